"""Issue 12 item 3: a change order's state, approvals and billed amount change only through
its buttons and billing; the approvals are in the chatter with who gave them."""

from odoo.exceptions import AccessError, UserError

from .common import Q2cChangeOrderCase


class TestChangeOrderWorkflowFields(Q2cChangeOrderCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        cls.ChangeOrder = cls.env["q2c.change.order"]
        cls.order = cls._sov_addition(5000.0)
        # A record created in the transaction is tracked from the first pre-commit on.
        cls.env.flush_all()
        cls.env.cr.precommit.run()

    def test_state_and_approvals_are_refused_to_a_plain_write(self):
        self.order.with_user(self.pm_user).action_submit()
        for user in (self.pm_user, self.finance_user):
            for vals in (
                {"state": "approved"},
                {"pm_approved_by_id": user.id},
                {"finance_approved_by_id": user.id},
                {"date_approved": "2026-01-01"},
                {"decision_reason": "because"},
            ):
                with self.subTest(user=user.login, vals=vals), self.assertRaises(UserError):
                    self.order.with_user(user).write(vals)
        self.assertEqual(self.order.state, "submitted")
        self.assertFalse(self.order.pm_approved_by_id)

    def test_billed_amount_is_billing_s(self):
        for user in (self.pm_user, self.finance_user):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.order.with_user(user).write({"billed_amount": 5000.0})
        self._submit_and_approve(self.order)
        with self.assertRaises(AccessError):
            self.order.with_user(self.finance_user).write({"billed_amount": 5000.0})
        self.assertTrue(self.order.currency_id.is_zero(self.order.billed_amount))

    def test_approval_is_tracked_with_its_author(self):
        self._submit_and_approve(self.order)
        self.assertEqual(self.order.state, "approved")
        self.env.flush_all()
        self.env.cr.precommit.run()
        trackings = self.env["mail.tracking.value"].search(
            [
                ("mail_message_id.model", "=", "q2c.change.order"),
                ("mail_message_id.res_id", "=", self.order.id),
                ("field_id.name", "in", ("state", "pm_approved_by_id", "submitted_by_id")),
            ]
        )
        by_field = {t.field_id.name: t for t in trackings if t.field_id.name != "state"}
        self.assertEqual(by_field["submitted_by_id"].new_value_char, self.pm_user.name)
        self.assertEqual(by_field["pm_approved_by_id"].new_value_char, self.pm_user.name)
        self.assertEqual(
            by_field["pm_approved_by_id"].mail_message_id.author_id, self.pm_user.partner_id
        )
        approved = trackings.filtered(lambda t: t.new_value_char == "Approved")
        self.assertEqual(approved.mail_message_id.author_id, self.pm_user.partner_id)
