from odoo import Command
from odoo.exceptions import UserError

from .common import Q2cChangeOrderCase


class TestChangeOrderLifecycle(Q2cChangeOrderCase):
    """Every transition: draft -> submitted -> approved | rejected | void, and revisions."""

    def test_numbered_per_contract(self):
        first = self._sov_addition(1000.00)
        second = self._sov_addition(2000.00)
        other_project = self._create_project("Other (test)", self.pm_user)
        other = self._create_progress_contract(
            [("1", "Work", 5000.00)], project_ids=[Command.set(other_project.ids)]
        )
        other.action_activate()
        third = self._sov_addition(500.00, contract=other)
        self.assertEqual((first.name, second.name, third.name), ("CO-001", "CO-002", "CO-001"))

    def test_submit(self):
        order = self._sov_addition(1000.00)
        order.with_user(self.pm_user).action_submit()
        self.assertEqual(order.state, "submitted")
        self.assertEqual(order.submitted_by_id, self.pm_user)
        self.assertIn("Submitted revision 0", order.message_ids[0].body)
        self.assertEqual(order.activity_ids.user_id, self.pm_user)
        with self.assertRefused(UserError, "was submitted already"):
            order.action_submit()

    def test_approve(self):
        order = self._sov_addition(1000.00)
        self._submit_and_approve(order)
        self.assertEqual(order.state, "approved")
        self.assertEqual(order.pm_approved_by_id, self.pm_user)
        self.assertTrue(order.date_approved)
        self.assertTrue(order.effects_applied)
        self.assertFalse(order.activity_ids)
        self.assertAmount(self.contract.current_value, 1001000.00)

    def test_reject_needs_a_reason_and_changes_nothing(self):
        order = self._sov_addition(1000.00)
        order.with_user(self.pm_user).action_submit()
        with self.assertRefused(UserError, "Give the reason to reject"):
            order.with_user(self.pm_user).action_reject("  ")
        self.assertEqual(order.state, "submitted")
        wizard = (
            self.env["q2c.change.order.reason"]
            .with_user(self.pm_user)
            .create({"change_order_id": order.id, "action": "reject", "reason": "Not in scope"})
        )
        wizard.action_confirm()
        self.assertEqual(order.state, "rejected")
        self.assertEqual(order.decision_reason, "Not in scope")
        self.assertIn("Not in scope", order.message_ids[0].body)
        self.assertAmount(self.contract.current_value, 1000000.00)
        self.assertFalse(order.change_entry_ids)

    def test_void_draft_and_submitted(self):
        for submit in (False, True):
            with self.subTest(submit=submit):
                order = self._sov_addition(1000.00)
                if submit:
                    order.with_user(self.pm_user).action_submit()
                with self.assertRefused(UserError, "Give the reason to void"):
                    order.with_user(self.pm_user).action_void("")
                order.with_user(self.pm_user).action_void("Entered twice")
                self.assertEqual(order.state, "void")
                self.assertEqual(order.decision_reason, "Entered twice")
                self.assertFalse(order.activity_ids)
                with self.assertRefused(UserError, "cannot be voided"):
                    order.with_user(self.pm_user).action_void("again")

    def test_revision_supersedes_and_only_one_is_live(self):
        rev0 = self._sov_addition(1000.00)
        rev0.with_user(self.pm_user).action_submit()
        action = rev0.with_user(self.pm_user).action_revise("Owner asks for less")
        rev1 = self.ChangeOrder.browse(action["res_id"])
        self.assertEqual((rev1.name, rev1.revision, rev1.state), ("CO-001", 1, "draft"))
        self.assertEqual(rev1.previous_revision_id, rev0)
        self.assertEqual(len(rev1.line_ids), 1)
        self.assertEqual(rev0.state, "submitted")  # pending until the new revision is submitted
        with self.assertRefused(UserError, "only the latest revision"):
            self._approve(rev0)
        with self.assertRefused(UserError, "cannot be revised"):
            rev0.with_user(self.pm_user).action_revise()
        rev1.line_ids.unit_price = 800.00
        rev1.with_user(self.pm_user).action_submit()
        self.assertEqual(rev0.state, "superseded")
        self.assertEqual(rev0.superseded_by_id, rev1)
        with self.assertRefused(UserError, "only a submitted change order"):
            self._approve(rev0)
        self._approve(rev1)
        live = rev1._revisions().filtered(lambda o: o.state not in ("superseded", "void"))
        self.assertEqual(live, rev1)
        self.assertAmount(self.contract.current_value, 1000800.00)

    def test_voided_revision_gives_the_previous_one_back(self):
        rev0 = self._sov_addition(1000.00)
        rev0.with_user(self.pm_user).action_submit()
        rev1 = self.ChangeOrder.browse(rev0.with_user(self.pm_user).action_revise()["res_id"])
        rev1.with_user(self.pm_user).action_void("Revision not needed")
        self.assertFalse(rev0.has_newer_revision)
        self._approve(rev0)
        self.assertEqual(rev0.state, "approved")

    def test_revise_a_rejected_change_order(self):
        rev0 = self._sov_addition(1000.00)
        rev0.with_user(self.pm_user).action_submit()
        rev0.with_user(self.pm_user).action_reject("Too expensive")
        rev1 = self.ChangeOrder.browse(rev0.with_user(self.pm_user).action_revise()["res_id"])
        rev1.line_ids.unit_price = 700.00
        self._submit_and_approve(rev1)
        self.assertEqual(rev0.state, "rejected")
        self.assertAmount(self.contract.current_value, 1000700.00)

    def test_no_edit_or_delete_after_submission(self):
        order = self._sov_addition(1000.00)
        order.with_user(self.pm_user).action_submit()
        with self.assertRefused(UserError, "can no longer be edited"):
            order.title = "Changed"
        with self.assertRefused(UserError, "can no longer be edited"):
            order.line_ids.unit_price = 5.0
        with self.assertRefused(UserError, "is never deleted"):
            order.unlink()
        with self.assertRefused(UserError, "only through their buttons"):
            order.state = "approved"
        # The workflow's context marker is an object: a context from RPC cannot pass for it.
        with self.assertRefused(UserError, "only through their buttons"):
            order.with_context(q2c_co_workflow=True).write({"state": "approved"})
        self._approve(order)
        with self.assertRefused(UserError, "can no longer be edited"):
            order.line_ids.unit_price = 5.0
        with self.assertRefused(UserError, "is never deleted"):
            order.unlink()
        self.assertEqual(order.title, "Change")

    def test_draft_can_be_deleted(self):
        order = self._sov_addition(1000.00)
        order.unlink()
        self.assertFalse(order.exists())
