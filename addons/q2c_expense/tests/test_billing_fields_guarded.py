"""Issue 12 item 3, expenses: the billing fields (billing status, hold reason, billed at and
by what, corrections) and the priced values (contract, policy, cost, markup, billed value)
of an imported expense are written by ingestion, re-pricing, billing and corrections only,
never by a plain `write` or `create`; each change is in the expense's chatter with who made
it and when (docs/security.md, 8)."""

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import Q2cExpenseCase

EXPENSES = "base.group_user,hr_expense.group_hr_expense_user"


@tagged("post_install", "-at_install")
class TestExpenseBillingFieldsGuarded(Q2cExpenseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pm = new_test_user(
            cls.env,
            login="q2c_exp_guard_pm",
            groups=f"{EXPENSES},q2c_contract.group_q2c_project_manager",
        )
        cls.finance = new_test_user(
            cls.env,
            login="q2c_exp_guard_finance",
            groups=f"{EXPENSES},q2c_contract.group_q2c_finance",
        )
        cls.project_500.user_id = cls.pm

    def _tracked(self, expense, field_name):
        """[(author, old, new)] of the chatter's tracking of `field_name`, oldest first."""
        self.env.flush_all()
        self.env.cr.precommit.run()
        values = expense.message_ids.tracking_value_ids.filtered(
            lambda value: value.field_id.name == field_name
        ).sorted("id")
        return [
            (
                value.mail_message_id.author_id,
                value.old_value_char or "",
                value.new_value_char or "",
            )
            for value in values
        ]

    def test_a_plain_write_of_a_billing_field_is_refused(self):
        """Airfare 100.00 + 10% markup = 110.00 billed value; no one writes it by hand."""
        self._ingest_expenses([self._expense("eg-1", amount=100.0)])
        expense = self._exp("eg-1")
        self.assertEqual(expense.q2c_billing_status, "to_bill")
        self.assertAmount(expense.q2c_billed_value, 110.0)
        writes = {
            "q2c_billing_status": "billed",
            "q2c_hold_reason": "paid in cash",
            "q2c_billed_at": "2025-04-01 10:00:00",
            "q2c_billing_ref": "INV/FAKE",
            "q2c_billed_value": 1.0,
            "q2c_billable_cost": 1.0,
            "q2c_markup_amount": 0.0,
            "q2c_markup_percent": 90.0,
            "q2c_policy_id": False,
            "q2c_contract_id": self.contract.id,
            # The approval at the source: a person approving an expense the source did not
            # approve would make it billable (re-priced to bill).
            "q2c_approval_state": "rejected",
            "q2c_approved_at": "2025-04-01 10:00:00",
        }
        for user in (self.pm, self.time_user, self.finance):
            for name, value in writes.items():
                with (
                    self.subTest(user=user.login, field=name),
                    self.assertRaisesRegex(AccessError, "change only through its actions"),
                ):
                    expense.with_user(user).write({name: value})
        self.assertEqual(expense.q2c_billing_status, "to_bill")
        self.assertEqual(expense.q2c_contract_id, self.contract_500)
        self.assertAmount(expense.q2c_billed_value, 110.0)

    def test_an_expense_entered_in_odoo_has_no_billing_status(self):
        """An expense entered in Odoo's Expenses app is created as before, without q2c
        billing; it cannot be created billable."""
        Expense = self.env["hr.expense"].with_user(self.pm)
        values = {
            "name": "Taxi",
            "employee_id": self.gina.id,
            "product_id": self.products["airfare"].id,
            "total_amount_currency": 30.0,
        }
        native = Expense.create(values)
        self.assertFalse(native.q2c_billing_status)
        for name, value in {"q2c_billing_status": "to_bill", "q2c_billed_value": 30.0}.items():
            with (
                self.subTest(field=name),
                self.assertRaisesRegex(AccessError, "starts in its initial state"),
            ):
                Expense.create({**values, name: value})

    def test_actions_set_them_and_the_chatter_says_who(self):
        """As the integration user: meals 60.00 (under the 75.00 per diem) to bill at 60.00;
        re-priced at 90.00 (capped at 75.00) by an edit at the source; billed by Finance;
        edited again after billing: a reversal and a replacement. Each billing change is
        tracked with its author."""
        self._ingest_expenses([self._expense("eg-2", category="meals", amount=60.0)])
        expense = self._exp("eg-2")
        self.assertAmount(expense.q2c_billed_value, 60.0)
        self._ingest_expenses([self._expense("eg-2", category="meals", amount=90.0)])
        self.assertAmount(expense.q2c_billed_value, 75.0)
        expense.with_user(self.time_user).with_context(tracking_disable=False).action_q2c_reprice()
        billing = expense.with_user(self.finance).with_context(tracking_disable=False)
        billing._q2c_mark_billed("INV/2025/0009")
        self.assertEqual(expense.q2c_billing_status, "billed")
        self.assertEqual(
            self._tracked(expense, "q2c_billing_status"),
            [(self.finance.partner_id, "To bill", "Billed")],
        )
        self.assertEqual(
            self._tracked(expense, "q2c_billing_ref"),
            [(self.finance.partner_id, "", "INV/2025/0009")],
        )
        results = self._ingest_expenses([self._expense("eg-2", category="meals", amount=80.0)])
        self.assertEqual(results[0]["status"], "updated")
        reversal, replacement = self._corrections(expense)
        self.assertEqual(reversal.q2c_correction_kind, "reversal")
        self.assertAmount(reversal.q2c_billed_value, -75.0)
        self.assertEqual(replacement.q2c_billing_status, "to_bill")
        self.assertAmount(replacement.q2c_billed_value, 75.0)
        with self.assertRaises(AccessError):
            replacement.with_user(self.time_user).write({"q2c_billed_value": 80.0})
