from datetime import datetime

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import Q2cExpenseCase


@tagged("post_install", "-at_install")
class TestExpenseIngestion(Q2cExpenseCase):
    def test_created_then_unchanged_then_updated(self):
        first = self._ingest_expenses(
            [self._expense("e-1", amount=612.40, receipt="R-1"), self._expense("e-2")]
        )
        self.assertEqual([r["status"] for r in first], ["created", "created"])
        expense = self._exp("e-1")
        self.assertEqual(first[0]["expense_id"], expense.id)
        self.assertEqual(expense.employee_id, self.gina)
        self.assertEqual(expense.product_id, self.products["airfare"])
        self.assertEqual(expense.q2c_project_id, self.project_500)
        self.assertEqual(expense.q2c_contract_id, self.contract_500)
        self.assertEqual(expense.q2c_approval_state, "approved")
        self.assertTrue(expense.q2c_approved_at)
        self.assertEqual(expense.q2c_billing_status, "to_bill")
        self.assertEqual(expense.q2c_policy_id.product_categ_id, self.categories["Travel"])
        self.assertAmount(expense.q2c_markup_percent, 10.0)
        self.assertAmount(expense.q2c_billed_value, 673.64)
        self.assertEqual(expense.create_uid, self.time_user)
        # Outside Odoo's expense reports: no sheet, Odoo's own state untouched.
        self.assertFalse(expense.sheet_id)
        self.assertEqual(expense.state, "draft")
        again = self._ingest_expenses(
            [self._expense("e-1", amount=612.40, receipt="R-1"), self._expense("e-2")]
        )
        self.assertEqual([r["status"] for r in again], ["unchanged", "unchanged"])
        edited = self._ingest_expenses([self._expense("e-2", amount=200.0)])
        self.assertEqual(edited[0]["status"], "updated")
        self.assertAmount(self._exp("e-2").total_amount_currency, 200.0)
        self.assertAmount(self._exp("e-2").q2c_billed_value, 220.0)
        self.assertEqual(
            self.env["hr.expense"].search_count([("q2c_system_id", "=", self.time_system.id)]), 2
        )

    def test_invalid_entries_do_not_block_valid_ones(self):
        cases = [
            (self._expense("x1", day="nope"), "date"),
            (self._expense("x2", amount=-1), "amount"),
            (self._expense("x3", amount="7"), "amount"),
            (self._expense("x4", quantity=0), "quantity"),
            (self._expense("x5", currency="euro"), "currency"),
            (self._expense("x6", currency="XQQ"), "currency"),
            (self._expense("x7", recoverable_tax=200.0), "recoverable_tax"),
            (self._expense("x8", approval_state="validated"), "approval_state"),
            (self._expense("x9", billable="yes"), "billable"),
            (
                {
                    "employee": "u-gina",
                    "project": "p-500",
                    "category": "airfare",
                    "date": "2025-03-04",
                    "amount": 1.0,
                },
                "id",
            ),
            (self._expense("x10", category=None), "category"),
        ]
        results = self._ingest_expenses([entry for entry, _f in cases] + [self._expense("ok")])
        for (entry, field), result in zip(cases, results, strict=False):
            with self.subTest(entry=entry):
                self.assertEqual(result["status"], "rejected")
                self.assertIn(field, result["reason"])
                self.assertNotIn("held", result)
        self.assertEqual(results[-1]["status"], "created")
        self.assertTrue(self._exp("ok"))
        self.assertFalse(self._exp("x6"))

    def test_same_id_twice_in_a_batch(self):
        results = self._ingest_expenses([self._expense("d"), self._expense("d", amount=1.0)])
        self.assertEqual([r["status"] for r in results], ["created", "rejected"])
        self.assertAmount(self._exp("d").total_amount_currency, 100.0)

    def test_unmapped_references_are_held_with_an_exception(self):
        results = self._ingest_expenses(
            [
                self._expense("u1", employee="u-nobody"),
                self._expense("u2", employee="u-nobody"),
                self._expense("u3", category="caviar"),
                self._expense("u4", project="p-unknown"),
            ]
        )
        self.assertEqual({r["status"] for r in results}, {"rejected"})
        self.assertTrue(all(r["held"] for r in results))
        self.assertIn("caviar", results[2]["reason"])
        holds = self.env["q2c.sync.hold"].search(
            [("system_id", "=", self.time_system.id), ("kind", "=", "expense")]
        )
        self.assertEqual(sorted(holds.mapped("external_id")), ["u1", "u2", "u3", "u4"])
        exceptions = self.env["q2c.exception"].search(
            [("system_id", "=", self.time_system.id), ("kind", "=", "missing_data")]
        )
        self.assertEqual(len(exceptions), 3)  # one per missing reference
        # A time entry may have the same id at the source: its hold is its own.
        self._ingest([self._entry("u1", employee="u-nobody")])
        time_hold = self.env["q2c.sync.hold"].search(
            [("system_id", "=", self.time_system.id), ("external_id", "=", "u1")]
        )
        self.assertEqual(sorted(time_hold.mapped("kind")), ["expense", "time"])
        # Mapped later: the next delivery imports the expense and releases its hold only.
        caviar = self.env["product.product"].create(
            {
                "name": "Caviar (test)",
                "can_be_expensed": True,
                "type": "service",
                "categ_id": self.categories["Meals"].id,
            }
        )
        self.env["q2c.external.ref"]._bind(self.time_system, "expense_category", "caviar", caviar)
        self.assertEqual(
            self._ingest_expenses([self._expense("u3", category="caviar")])[0]["status"],
            "created",
        )
        states = {hold.external_id: hold.state for hold in holds}
        self.assertEqual(states, {"u1": "held", "u2": "held", "u3": "released", "u4": "held"})

    def test_unapproved_is_held_until_approved(self):
        self._ingest_expenses([self._expense("s", approval_state="submitted")])
        expense = self._exp("s")
        self.assertEqual(expense.q2c_billing_status, "pending_approval")
        self.assertFalse(expense.q2c_approved_at)
        self.assertAmount(expense.q2c_billed_value, 0.0)
        self.assertAmount(expense.q2c_cost, 100.0)
        self._ingest_expenses(
            [self._expense("s", approval_state="approved", approved_at="2025-04-07T09:00:00Z")]
        )
        self.assertEqual(expense.q2c_billing_status, "to_bill")
        self.assertEqual(expense.q2c_approved_at, datetime(2025, 4, 7, 9, 0))
        self.assertAmount(expense.q2c_billed_value, 110.0)
        Expense = self.env["hr.expense"]
        # Approved after the March cut-off: not in the March run, in the April one.
        march = Expense.search(Expense._q2c_billable_domain(self.contract_500, "2025-04-03"))
        april = Expense.search(Expense._q2c_billable_domain(self.contract_500, "2025-05-05"))
        self.assertNotIn(expense, march)
        self.assertIn(expense, april)

    def test_no_contract_no_policy_and_not_billable(self):
        other = self.env["project.project"].create({"name": "No contract (test)"})
        self.env["q2c.external.ref"]._bind(self.time_system, "project", "p-none", other)
        gift = self.env["product.product"].create(
            {"name": "Gift (test)", "can_be_expensed": True, "type": "service"}
        )
        self.env["q2c.external.ref"]._bind(self.time_system, "expense_category", "gift", gift)
        self._ingest_expenses(
            [
                self._expense("orphan", project="p-none"),
                self._expense("gift", category="gift"),
                self._expense("free", billable=False),
                self._expense("soft", category="software"),
            ]
        )
        self.assertEqual(self._exp("orphan").q2c_billing_status, "no_contract")
        gift_expense = self._exp("gift")
        self.assertEqual(gift_expense.q2c_billing_status, "no_policy")
        self.assertIn("no expense policy", gift_expense.q2c_hold_reason)
        self.assertEqual(self._exp("free").q2c_billing_status, "not_billable")
        self.assertAmount(self._exp("free").q2c_non_billable_cost, 100.0)
        self.assertEqual(self._exp("soft").q2c_billing_status, "not_billable")
        # A policy line added later: re-pricing (Finance's button) bills the held expense.
        self.contract_500.expense_policy_ids = [
            (0, 0, {"product_id": gift.id, "markup_percent": 5.0})
        ]
        gift_expense.action_q2c_reprice()
        self.assertEqual(gift_expense.q2c_billing_status, "to_bill")
        self.assertAmount(gift_expense.q2c_billed_value, 105.0)

    def test_product_line_wins_over_its_category(self):
        self.contract_500.expense_policy_ids = [
            (0, 0, {"product_id": self.products["hotel"].id, "markup_percent": 20.0})
        ]
        self._ingest_expenses(
            [self._expense("h", category="hotel"), self._expense("a", category="airfare")]
        )
        self.assertAmount(self._exp("h").q2c_markup_amount, 20.0)
        self.assertAmount(self._exp("a").q2c_markup_amount, 10.0)

    def test_edit_after_billing_creates_a_correction(self):
        self._ingest_expenses([self._expense("b", category="meals", amount=92.30)])
        original = self._exp("b")
        original._q2c_mark_billed("INV/1")
        with self.assertRaises(UserError):
            original.with_user(self.time_user).write({"total_amount_currency": 50.0})
        result = self._ingest_expenses(
            [self._expense("b", category="meals", amount=60.0, day="2025-03-13")]
        )[0]
        self.assertEqual(result["status"], "updated")
        self.assertAmount(original.total_amount_currency, 92.30)
        self.assertEqual(original.q2c_billing_status, "billed")
        reversal, replacement = self._corrections(original)
        self.assertEqual(reversal.q2c_correction_kind, "reversal")
        self.assertAmount(reversal.total_amount_currency, -92.30)
        self.assertAmount(reversal.q2c_billable_cost, -75.0)
        self.assertAmount(reversal.q2c_billed_value, -75.0)
        self.assertAmount(reversal.q2c_non_billable_cost, -17.30)
        self.assertEqual(reversal.q2c_billing_status, "to_bill")
        self.assertEqual(replacement.q2c_correction_kind, "replacement")
        self.assertEqual(result["expense_id"], replacement.id)
        self.assertAmount(replacement.q2c_billed_value, 60.0)
        self.assertAmount(replacement.q2c_billed_value + reversal.q2c_billed_value, -15.0)
        # The same edit again changes nothing; a further edit updates the replacement.
        again = self._ingest_expenses(
            [self._expense("b", category="meals", amount=60.0, day="2025-03-13")]
        )
        self.assertEqual(again[0]["status"], "unchanged")
        self._ingest_expenses(
            [self._expense("b", category="meals", amount=70.0, day="2025-03-13")]
        )
        self.assertAmount(replacement.q2c_billed_value, 70.0)
        self.assertEqual(len(self._corrections(original)), 2)

    def test_a_reversal_gives_the_per_diem_back(self):
        """The billed receipt took the whole day's cap; corrected on the same day, the
        replacement gets the cap the reversal gives back."""
        self._ingest_expenses([self._expense("pd", category="meals", amount=92.30)])
        self._exp("pd")._q2c_mark_billed("INV/1")
        self._ingest_expenses([self._expense("pd", category="meals", amount=80.0)])
        _reversal, replacement = self._corrections(self._exp("pd"))
        self.assertAmount(replacement.q2c_billable_cost, 75.0)
        self.assertAmount(replacement.q2c_non_billable_cost, 5.0)

    def test_rejection_after_billing_reverses_only(self):
        self._ingest_expenses([self._expense("r", amount=612.40)])
        self._exp("r")._q2c_mark_billed("INV/2")
        result = self._ingest_expenses(
            [self._expense("r", amount=612.40, approval_state="rejected")]
        )[0]
        self.assertEqual(result["status"], "updated")
        corrections = self._corrections(self._exp("r"))
        self.assertEqual(corrections.mapped("q2c_correction_kind"), ["reversal"])
        self.assertAmount(corrections.q2c_billed_value, -673.64)

    def test_reversal_stands_for_an_expense_rejected_after_billing(self):
        """Rejected after billing, the reversal stands for the expense: the same rejection
        again reverses nothing more, and a later approval adds one replacement (the billed
        expense is not reversed a second time)."""
        rejected = self._expense("rr", amount=612.40, approval_state="rejected")
        self._ingest_expenses([self._expense("rr", amount=612.40)])
        billed = self._exp("rr")
        billed._q2c_mark_billed("INV/3")
        self._ingest_expenses([rejected])
        self.assertEqual(self._ingest_expenses([rejected])[0]["status"], "unchanged")
        self.assertEqual(self._corrections(billed).mapped("q2c_correction_kind"), ["reversal"])
        result = self._ingest_expenses([self._expense("rr", amount=500.0)])[0]
        reversal, replacement = self._corrections(billed)
        self.assertEqual((result["status"], result["expense_id"]), ("updated", replacement.id))
        self.assertEqual(replacement.q2c_correction_kind, "replacement")
        self.assertEqual(replacement.q2c_billing_status, "to_bill")
        self.assertAmount(replacement.q2c_billed_value, 550.0)
        values = (billed | reversal | replacement).mapped(lambda e: e._q2c_value())
        self.assertAmount(sum(values), 550.0)
        again = self._ingest_expenses([self._expense("rr", amount=500.0)])
        self.assertEqual(again[0]["status"], "unchanged")

    def test_imported_expense_stays_off_expense_reports(self):
        self._ingest_expenses([self._expense("rep")])
        expense = self._exp("rep")
        with self.assertRaises(ValidationError):
            self.env["hr.expense.sheet"].create(
                {
                    "name": "Report (test)",
                    "employee_id": self.gina.id,
                    "expense_line_ids": [(6, 0, expense.ids)],
                }
            )

    def test_chunk_writes_in_few_queries(self):
        expenses = [
            self._expense(
                f"q-{n}",
                category=("airfare", "meals", "mileage")[n % 3],
                day=f"2025-03-{1 + n % 28:02d}",
                quantity=10,
            )
            for n in range(60)
        ]
        self._ingest_expenses(expenses[:1])  # warm caches
        self.env.invalidate_all()
        # Per chunk, not per expense: 59 expenses cost a few dozen queries.
        with self.assertQueryCount(__system__=50):
            results = self._ingest_expenses(expenses[1:])
        self.assertEqual({r["status"] for r in results}, {"created"})
