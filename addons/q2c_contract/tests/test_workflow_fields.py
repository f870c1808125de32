"""Issue 12 item 3: a contract's state and a milestone's acceptance and billing change only
through their buttons, the acceptance wizard and billing; a plain `write` (what any RPC
client can send) is refused for every user but the superuser, and each change the actions
make is in the chatter with who made it."""

from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError

from .common import Q2cContractCase


class TestWorkflowFields(Q2cContractCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Tracking on: the chatter is what these tests read.
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        cls.contract = cls._create_contract(
            name="C-GUARD",
            billing_model="fixed_fee",
            original_value=1000.0,
            user_id=cls.pm_user.id,
            milestone_ids=[
                Command.create({"sequence": 1, "name": "M1", "percent": 40}),
                Command.create({"sequence": 2, "name": "M2", "percent": 60}),
            ],
        )
        cls.m1, cls.m2 = cls.contract.milestone_ids.sorted("sequence")
        # A record created in the transaction is tracked from the first pre-commit on.
        cls.env.flush_all()
        cls.env.cr.precommit.run()

    def _commit_tracking(self):
        """What the end of a request does: write the tracking of the changes made so far
        (each button is its own request, so each action its own tracking message)."""
        self.env.flush_all()
        self.env.cr.precommit.run()

    def _tracked(self, record, field_name):
        """The tracking values of `field_name` on `record`, newest first."""
        self._commit_tracking()
        return (
            self.env["mail.tracking.value"]
            .sudo()
            .search(
                [
                    ("mail_message_id.model", "=", record._name),
                    ("mail_message_id.res_id", "=", record.id),
                    ("field_id.name", "=", field_name),
                ],
                order="id desc",
            )
        )

    def test_contract_state_is_refused_to_a_plain_write(self):
        for user in (self.pm_user, self.finance_user):
            for state in ("active", "closed", "on_hold"):
                with self.subTest(user=user.login, state=state), self.assertRaises(AccessError):
                    self.contract.with_user(user).write({"state": state})
        self.assertEqual(self.contract.state, "draft")
        with self.assertRaises(AccessError):
            self.contract.with_user(self.finance_user).write({"nte_billed_amount": 10.0})

    def test_an_active_contract_does_not_go_back_to_draft_by_write(self):
        """The issue's path: back to draft, raise the value, activate again, no change order."""
        self.contract.with_user(self.finance_user).action_activate()
        for user in (self.pm_user, self.finance_user):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.contract.with_user(user).write({"state": "draft"})
        self.assertEqual(self.contract.state, "active")

    def test_a_contract_is_created_in_draft_only(self):
        for user in (self.pm_user, self.finance_user):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["q2c.contract"].with_user(user).create(
                    {
                        "name": "Born active",
                        "partner_id": self.customer.id,
                        "currency_id": self.usd.id,
                        "user_id": user.id,
                        "state": "active",
                    }
                )
        draft = (
            self.env["q2c.contract"]
            .with_user(self.pm_user)
            .create(
                {
                    "name": "Born draft",
                    "partner_id": self.customer.id,
                    "currency_id": self.usd.id,
                    "user_id": self.pm_user.id,
                    "state": "draft",
                }
            )
        )
        self.assertEqual(draft.state, "draft")

    def test_activation_is_tracked_with_its_author(self):
        self.contract.with_user(self.finance_user).action_activate()
        self.assertEqual(self.contract.state, "active")
        tracking = self._tracked(self.contract, "state")[:1]
        self.assertEqual(tracking.new_value_char, "Active")
        self.assertEqual(tracking.mail_message_id.author_id, self.finance_user.partner_id)
        self.assertEqual(tracking.create_uid, self.finance_user)

    def test_milestone_acceptance_fields_are_refused_to_a_plain_write(self):
        self.contract.with_user(self.finance_user).action_activate()
        for user in (self.pm_user, self.finance_user):
            for vals in (
                {"state": "accepted"},
                {"state": "submitted"},
                {"accepted_share": 50.0},
                {"accepted_date": "2026-01-31"},
                {"client_approver": "Nobody"},
                {"deemed": True},
                {"submitted_date": "2026-01-01"},
                {"acceptance_recorded_by_id": user.id},
                {"billed_amount": 400.0},
            ):
                with self.subTest(user=user.login, vals=vals), self.assertRaises(AccessError):
                    self.m1.with_user(user).write(vals)
        self.assertEqual(self.m1.state, "pending")
        self.assertTrue(self.m1.currency_id.is_zero(self.m1.billed_amount))

    def test_milestone_acceptance_through_the_contract_form_is_refused(self):
        """The one2many of the contract form writes the milestones too."""
        with self.assertRaises(AccessError):
            self.contract.with_user(self.pm_user).write(
                {"milestone_ids": [Command.update(self.m1.id, {"state": "accepted"})]}
            )
        self.assertEqual(self.m1.state, "pending")

    def test_a_milestone_is_created_pending_only(self):
        with self.assertRaises(AccessError):
            self.env["q2c.contract.milestone"].with_user(self.pm_user).create(
                {
                    "contract_id": self.contract.id,
                    "name": "Born accepted",
                    "basis": "amount",
                    "fixed_amount": 1.0,
                    "state": "accepted",
                }
            )

    def test_milestone_actions_still_work_and_are_tracked(self):
        self.contract.with_user(self.finance_user).action_activate()
        self._commit_tracking()
        self.m1.with_user(self.pm_user).action_submit()
        self._commit_tracking()
        self.assertEqual(self.m1.state, "submitted")
        wizard = (
            self.env["q2c.milestone.acceptance"]
            .with_user(self.finance_user)
            .create(
                {
                    "milestone_id": self.m1.id,
                    "client_approver": "Client Person",
                    "accepted_share": 100.0,
                }
            )
        )
        wizard.action_confirm()
        self.assertEqual(self.m1.state, "accepted")
        self.assertEqual(self.m1.client_approver, "Client Person")
        self.assertEqual(self.m1.acceptance_recorded_by_id, self.finance_user)
        submitted = self._tracked(self.m1, "state").filtered(
            lambda t: t.new_value_char == "Submitted"
        )
        accepted = self._tracked(self.m1, "state").filtered(
            lambda t: t.new_value_char == "Accepted"
        )
        self.assertEqual(submitted.mail_message_id.author_id, self.pm_user.partner_id)
        self.assertEqual(accepted.mail_message_id.author_id, self.finance_user.partner_id)
        approver = self._tracked(self.m1, "client_approver")[:1]
        self.assertEqual(approver.new_value_char, "Client Person")
        self.assertEqual(approver.mail_message_id.author_id, self.finance_user.partner_id)

    def test_billing_records_its_amount_through_the_milestone(self):
        self.contract.with_user(self.finance_user).action_activate()
        self.m1.with_user(self.pm_user).action_submit()
        self.m1.with_user(self.pm_user).action_accept()
        self._commit_tracking()
        self.m1.with_user(self.finance_user)._bill(400.0)
        self.assertAmount(self.m1.billed_amount, 400.0)
        self.assertEqual(self.m1.state, "billed")
        billed = self._tracked(self.m1, "billed_amount")[:1]
        self.assertEqual(billed.mail_message_id.author_id, self.finance_user.partner_id)

    def test_schedule_of_values_billed_amount_is_billing_s(self):
        contract = self._create_progress_contract([("1", "Sitework", 500.0)], project_ids=[])
        line = contract.sov_line_ids
        for user in (self.pm_user, self.finance_user):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                line.with_user(user).write({"billed_amount": 100.0})
        self.assertTrue(line.currency_id.is_zero(line.billed_amount))

    def test_retainer_funds_expire_only_by_their_expiry(self):
        contract = self._create_contract(
            name="R-GUARD", billing_model="retainer", retainer_amount=1000.0, project_ids=[]
        )
        bucket = self.env["q2c.retainer.bucket"].create(
            {
                "contract_id": contract.id,
                # A period's funds: with q2c_billing installed, a top-up waits for its
                # invoice before it may expire.
                "kind": "period",
                "name": "January",
                "amount": 500.0,
                "valid_from": "2026-01-07",
                "expiry": "2026-01-31",
            }
        )
        for vals in ({"state": "expired"}, {"breakage_amount": 500.0}, {"rolled_over_amount": 1}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                bucket.with_user(self.finance_user).write(vals)
        bucket.with_user(self.finance_user).write({"amount": 600.0})
        self.env["q2c.retainer.bucket"].with_user(self.finance_user)._expire(
            bucket.expiry + timedelta(days=1)
        )
        self.assertEqual(bucket.state, "expired")
        self.assertAmount(bucket.breakage_amount, 600.0)
