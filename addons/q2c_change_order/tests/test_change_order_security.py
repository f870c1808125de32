from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from .common import Q2cChangeOrderCase


class TestChangeOrderSecurity(Q2cChangeOrderCase):
    """Who sees, submits, approves, rejects and voids; the Finance threshold; auditors."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.finance_2 = new_test_user(
            cls.env, login="q2c_finance_2", groups="q2c_contract.group_q2c_finance"
        )
        cls.order = cls._sov_addition(11421.08, title="Outlets")

    def _waiting(self, user):
        return self.ChangeOrder.with_user(user).search([("waiting_my_approval", "=", True)])

    def test_project_manager_approves_own_project(self):
        order = self.order.with_user(self.pm_user)
        self.assertTrue(order.can_submit)
        order.action_submit()
        self.assertEqual(self._waiting(self.pm_user), self.order)
        self.assertTrue(order.can_approve)
        order.action_approve()
        self.assertEqual(self.order.state, "approved")
        self.assertFalse(self._waiting(self.pm_user))

    def test_other_project_manager_sees_nothing(self):
        other = self.order.with_user(self.other_pm_user)
        with self.assertRaises(AccessError):
            other.read(["title"])
        self.order.with_user(self.pm_user).action_submit()
        with self.assertRaises(AccessError):
            other.action_approve()
        self.assertFalse(self._waiting(self.other_pm_user))
        self.assertEqual(self.order.state, "submitted")

    def test_approving_without_the_right_writes_nothing(self):
        """Finance may see every change order but is not the project's manager."""
        self.order.with_user(self.pm_user).action_submit()
        as_finance = self.order.with_user(self.finance_user)
        self.assertFalse(as_finance.can_approve)
        with self.assertRefused(AccessError, "needs the approval of .*manager of project"):
            as_finance.action_approve()
        self.assertEqual(self.order.state, "submitted")
        self.assertFalse(self.order.pm_approved_by_id)
        self.assertFalse(self.order.change_entry_ids)
        self.assertAmount(self.contract.current_value, 1000000.00)

    def test_finance_approval_above_the_threshold(self):
        self.company.q2c_co_finance_threshold = 10000.00
        self.order.with_user(self.pm_user).action_submit()
        self.assertTrue(self.order.finance_approval_required)
        self.assertEqual(self._waiting(self.finance_user), self.order)
        self.assertEqual(self._waiting(self.pm_user), self.order)
        self._approve(self.order)
        self.assertEqual(self.order.state, "submitted")
        self.assertFalse(self.order.effects_applied)
        self.assertFalse(self._waiting(self.pm_user))
        self.assertIn("still needs a Finance approval", self.order.message_ids[0].body)
        self._approve(self.order, self.finance_user)
        self.assertEqual(self.order.state, "approved")
        self.assertEqual(self.order.finance_approved_by_id, self.finance_user)
        self.assertAmount(self.contract.current_value, 1011421.08)

    def test_finance_may_approve_first(self):
        self.company.q2c_co_finance_threshold = 10000.00
        self.order.with_user(self.pm_user).action_submit()
        self._approve(self.order, self.finance_user)
        self.assertEqual(self.order.state, "submitted")
        self._approve(self.order)
        self.assertEqual(self.order.state, "approved")

    def test_below_the_threshold_the_project_manager_is_enough(self):
        self.company.q2c_co_finance_threshold = 20000.00
        self.order.with_user(self.pm_user).action_submit()
        self.assertFalse(self.order.finance_approval_required)
        self._approve(self.order)
        self.assertEqual(self.order.state, "approved")

    def test_one_person_does_not_give_both_approvals(self):
        """A project manager who is also in Finance: another Finance user must approve."""
        self.company.q2c_co_finance_threshold = 10000.00
        project = self._create_project("Finance PM (test)", self.finance_user)
        contract = self._create_progress_contract(
            [("1", "Work", 1000.00)], project_ids=[Command.set(project.ids)]
        )
        contract.action_activate()
        order = self._sov_addition(15000.00, contract=contract)
        order.with_user(self.finance_user).action_submit()
        self._approve(order, self.finance_user)
        self.assertEqual(order.pm_approved_by_id, self.finance_user)
        with self.assertRefused(AccessError, "Finance approval by another person"):
            self._approve(order, self.finance_user)
        self._approve(order, self.finance_2)
        self.assertEqual(order.state, "approved")

    def test_line_decisions_belong_to_approvers(self):
        self.order.with_user(self.pm_user).action_submit()
        with self.assertRaises(AccessError):
            self.order.line_ids.with_user(self.finance_user).write({"decision": "rejected"})
        self.assertEqual(self.order.line_ids.decision, "pending")
        # Through the form: a one2many update that only decides is allowed to the approver.
        self.order.with_user(self.pm_user).write(
            {"line_ids": [Command.update(self.order.line_ids.id, {"decision": "rejected"})]}
        )
        self.assertEqual(self.order.line_ids.decision, "rejected")

    def test_reject_and_void_rights(self):
        self.order.with_user(self.pm_user).action_submit()
        with self.assertRaises(AccessError):
            self.order.with_user(self.other_pm_user).action_reject("no")
        self.order.with_user(self.finance_user).action_reject("Over budget")
        self.assertEqual(self.order.state, "rejected")
        draft = self._sov_addition(10.00)
        self.assertTrue(draft.with_user(self.pm_user).can_void)
        self.assertFalse(draft.with_user(self.auditor_user).can_void)
        draft.with_user(self.finance_user).action_void("Duplicate")
        self.assertEqual(draft.state, "void")

    def test_auditor_reads_only(self):
        self.order.with_user(self.pm_user).action_submit()
        auditor = self.order.with_user(self.auditor_user)
        self.assertTrue(auditor.read(["amount_total", "state"]))
        self.assertTrue(auditor.line_ids.read(["amount"]))
        self.assertFalse(auditor.can_approve)
        self.assertFalse(auditor.can_reject)
        for action in (
            auditor.action_approve,
            lambda: auditor.action_reject("x"),
            lambda: auditor.action_void("x"),
            auditor.action_revise,
        ):
            with self.assertRaises(AccessError):
                action()
        with self.assertRaises(AccessError):
            self.ChangeOrder.with_user(self.auditor_user).create(
                {"contract_id": self.contract.id, "title": "No"}
            )
        self.assertEqual(self.order.state, "submitted")

    def test_multi_company(self):
        company_b = self.env["res.company"].create({"name": "q2c B (test)"})
        self.pm_user.company_ids = [Command.link(company_b.id)]
        project_b = self._create_project("B (test)", self.pm_user, company_id=company_b.id)
        contract_b = self._create_progress_contract(
            [("1", "Work", 1000.00)],
            company_id=company_b.id,
            project_ids=[Command.set(project_b.ids)],
        )
        contract_b.action_activate()
        order_b = self._sov_addition(100.00, contract=contract_b)
        in_a = self.ChangeOrder.with_user(self.pm_user).with_context(
            allowed_company_ids=self.company.ids
        )
        self.assertNotIn(order_b, in_a.search([]))
        with self.assertRaises(AccessError):
            in_a.browse(order_b.id).read(["title"])
        in_b = self.ChangeOrder.with_user(self.pm_user).with_context(
            allowed_company_ids=company_b.ids
        )
        self.assertIn(order_b, in_b.search([]))
