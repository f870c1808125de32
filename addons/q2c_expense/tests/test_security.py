from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import Q2cExpenseCase


@tagged("post_install", "-at_install")
class TestExpensePolicySecurity(Q2cExpenseCase):
    """Expense policy lines follow the contract's rules: project managers read their own
    contracts' lines, Finance maintains them, auditors read, other companies see nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        groups = "base.group_user,q2c_contract.group_q2c_project_manager"
        cls.own_pm = new_test_user(cls.env, login="q2c_exp_pm", groups=groups)
        cls.other_pm = new_test_user(cls.env, login="q2c_exp_other_pm", groups=groups)
        cls.finance = new_test_user(
            cls.env, login="q2c_exp_finance", groups="q2c_contract.group_q2c_finance"
        )
        cls.project_500.user_id = cls.own_pm
        cls.lines = cls.contract_500.expense_policy_ids

    def _visible(self, user):
        return (
            self.env["q2c.expense.policy"]
            .with_user(user)
            .search([("contract_id", "=", self.contract_500.id)])
        )

    def test_who_sees_and_edits_the_policy(self):
        self.assertEqual(self._visible(self.own_pm), self.lines)
        self.assertFalse(self._visible(self.other_pm))
        self.assertEqual(self._visible(self.auditor), self.lines)
        with self.assertRaises(AccessError):
            self.lines[:1].with_user(self.own_pm).write({"markup_percent": 50.0})
        with self.assertRaises(AccessError):
            self.lines[:1].with_user(self.auditor).write({"markup_percent": 50.0})
        self.lines[:1].with_user(self.finance).write({"markup_percent": 12.5})
        self.assertEqual(self.lines[:1].markup_percent, 12.5)

    def test_other_company_policies_are_invisible(self):
        other = self.env["res.company"].create({"name": "Other company (q2c expense test)"})
        self.finance.write({"company_ids": [(4, other.id)]})
        contract = self.env["q2c.contract"].create(
            {
                "name": "Other company contract",
                "partner_id": self.customer.id,
                "company_id": other.id,
                "currency_id": self.usd.id,
                "expense_policy_ids": [
                    (
                        0,
                        0,
                        {"product_categ_id": self.categories["Travel"].id, "markup_percent": 10.0},
                    )
                ],
            }
        )
        Policy = self.env["q2c.expense.policy"].with_user(self.finance)
        in_main = Policy.with_context(allowed_company_ids=[self.company.id]).search(
            [("contract_id", "=", contract.id)]
        )
        in_both = Policy.with_context(allowed_company_ids=[self.company.id, other.id]).search(
            [("contract_id", "=", contract.id)]
        )
        self.assertFalse(in_main)
        self.assertEqual(in_both, contract.expense_policy_ids)

    def test_an_edit_by_the_employee_reprices_the_expense(self):
        """An employee edits their own imported expense in Odoo: it is priced again, although
        they cannot read the contract's policy (pricing reads configuration, not they)."""
        hal_user = new_test_user(self.env, login="q2c_exp_hal", groups="base.group_user")
        self.hal.user_id = hal_user
        self._ingest_expenses(
            [self._expense("hal-1", category="meals", employee="u-hal", amount=90.0)]
        )
        expense = self._exp("hal-1")
        self.assertAmount(expense.q2c_billable_cost, 75.0)
        with self.assertRaises(AccessError):
            self.lines.with_user(hal_user).read(["markup_percent"])
        expense.with_user(hal_user).write({"total_amount_currency": 60.0})
        self.assertAmount(expense.q2c_billable_cost, 60.0)
        self.assertAmount(expense.q2c_non_billable_cost, 0.0)
