from odoo.tests import tagged

from .common import Q2cExpenseCase

# GC-05 (billing-domain.md 5): the six expenses as a source system sends them, and what each
# re-bills: (cost, billable cost, markup, invoice line amount, quantity, unit price).
GC05 = [
    (
        {"id": "1", "category": "airfare", "date": "2025-03-04", "amount": 612.40},
        (612.40, 612.40, 61.24, 673.64, 1.0, 673.64),
    ),
    (
        {"id": "2", "category": "hotel", "date": "2025-03-07", "amount": 489.25},
        (489.25, 489.25, 48.93, 538.18, 1.0, 538.18),
    ),
    (
        {"id": "3", "category": "meals", "date": "2025-03-05", "amount": 92.30},
        (92.30, 75.00, 0.00, 75.00, 1.0, 75.00),
    ),
    (
        {
            "id": "4",
            "category": "translation",
            "date": "2025-03-12",
            "amount": 1250.00,
            "currency": "EUR",
        },
        (1359.25, 1359.25, 203.89, 1563.14, 1.0, 1563.14),
    ),
    (
        {
            "id": "5",
            "category": "mileage",
            "date": "2025-03-18",
            "amount": 102.20,
            "quantity": 146,
        },
        (102.20, 102.20, 0.00, 102.20, 146.0, 0.70),
    ),
    (
        {"id": "6", "category": "software", "date": "2025-03-20", "amount": 299.00},
        (299.00, 0.00, 0.00, None, None, None),
    ),
]


@tagged("post_install", "-at_install")
class TestExpensePolicyBilling(Q2cExpenseCase):
    """Golden case GC-05 (billing-domain.md 5): expenses re-billed under the contract's
    expense policy: FX at the expense date, markups, the per-diem cap, mileage rates,
    non-billable categories and the invoice lines they give."""

    def test_gc05_expenses_rebilled_with_markup(self):
        """GC-05 to the cent, pushed through the HTTP API: FX at the expense date, the
        per-diem cap, half-up markups on exact ties, mileage at the unit rate, and a
        non-billable category."""
        payload = [
            {
                "employee": "u-gina",
                "project": "p-500",
                "receipt": f"R-{row['id']}",
                "approved_at": "2025-03-31T12:00:00Z",
                **row,
            }
            for row, _expected in GC05
        ]
        response = self._push_expenses(payload)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["summary"], {"created": 6})
        billed = self.env["hr.expense"]
        for row, (cost, billable, markup, amount, _qty, _price) in GC05:
            expense = self._exp(row["id"])
            with self.subTest(expense=row["id"]):
                self.assertAmount(expense.q2c_cost, cost)
                # Odoo's own conversion of the receipt agrees with the cost (no tax here).
                self.assertAmount(expense.total_amount, cost)
                self.assertAmount(expense.q2c_billable_cost, billable)
                self.assertAmount(expense.q2c_markup_amount, markup)
                self.assertEqual(expense.q2c_receipt_ref, f"R-{row['id']}")
                if amount is None:
                    self.assertEqual(expense.q2c_billing_status, "not_billable")
                else:
                    self.assertEqual(expense.q2c_billing_status, "to_bill")
                    self.assertAmount(expense.q2c_billed_value, amount)
                    billed |= expense
        self.assertAlmostEqual(self._exp("4").q2c_fx_rate, 1.0874, places=9)
        # 48.925 is an exact tie: half-up gives 48.93 (half-even would give 48.92).
        self.assertAmount(self._exp("2").q2c_markup_amount, 48.93)
        self.assertAmount(self._exp("3").q2c_non_billable_cost, 17.30)

        Expense = self.env["hr.expense"]
        to_bill = Expense.search(Expense._q2c_billable_domain(self.contract_500, "2025-04-03"))
        self.assertEqual(to_bill, billed)
        lines = self.contract_500._price_expenses(to_bill)
        expected = {row["id"]: exp for row, exp in GC05 if exp[3] is not None}
        self.assertEqual(len(lines), 5)
        for line in lines:
            _cost, billable, markup, amount, quantity, price = expected[
                line["expense"].q2c_external_id
            ]
            with self.subTest(line=line["description"]):
                self.assertAmount(line["amount"], amount)
                self.assertAmount(line["quantity"], quantity)
                self.assertAmount(line["price_unit"], price)
                self.assertAmount(line["cost"], billable)
                self.assertAmount(line["markup"], markup)
        self.assertAmount(sum(line["amount"] for line in lines), 2952.16)
        self.assertAmount(sum(line["cost"] for line in lines), 2638.10)
        self.assertAmount(sum(line["markup"] for line in lines), 314.06)
        everything = Expense.search([("q2c_contract_id", "=", self.contract_500.id)])
        self.assertAmount(sum(everything.mapped("q2c_non_billable_cost")), 316.30)

    def test_fx_at_the_expense_date_not_today(self):
        """The same EUR receipt on three dates: each converted at its own date's rate."""
        self._ingest_expenses(
            [
                self._expense(
                    "fx-1", category="translation", day="2025-03-11", amount=100.0, currency="EUR"
                ),
                self._expense(
                    "fx-2", category="translation", day="2025-03-12", amount=100.0, currency="EUR"
                ),
                self._expense(
                    "fx-3", category="translation", day="2025-03-13", amount=100.0, currency="EUR"
                ),
            ]
        )
        # 2025-03-11 takes the rate of 2025-03-01 (the latest on or before it); 15% markup.
        for ext, cost, markup in (
            ("fx-1", 105.00, 15.75),
            ("fx-2", 108.74, 16.31),
            ("fx-3", 120.00, 18.00),
        ):
            with self.subTest(expense=ext):
                self.assertAmount(self._exp(ext).q2c_cost, cost)
                self.assertAmount(self._exp(ext).q2c_markup_amount, markup)

    def test_no_rate_on_or_before_the_date_holds_the_expense(self):
        """Odoo falls back to a later rate (or 1.0) when none is on or before a date; a
        receipt is never priced so: it waits until the rate exists."""
        self._ingest_expenses(
            [
                self._expense(
                    "early", category="translation", day="2025-02-28", amount=100.0, currency="EUR"
                ),
            ]
        )
        expense = self._exp("early")
        self.assertEqual(expense.q2c_billing_status, "no_rate")
        self.assertIn("EUR", expense.q2c_hold_reason)
        self.assertAmount(expense.q2c_billed_value, 0.0)
        self.env["res.currency.rate"].create(
            {
                "currency_id": self.eur.id,
                "name": "2025-02-01",
                "company_id": self.company.id,
                "inverse_company_rate": 1.04,
            }
        )
        expense.action_q2c_reprice()
        self.assertEqual(expense.q2c_billing_status, "to_bill")
        self.assertFalse(expense.q2c_hold_reason)
        self.assertAmount(expense.q2c_cost, 104.0)
        self.assertAmount(expense.q2c_billed_value, 119.60)

    def test_per_diem_cap_is_per_person_per_day(self):
        """75.00 a day, shared by one person's receipts of that day in arrival order; another
        day and another person each have their own."""
        self._ingest_expenses(
            [
                self._expense("m-1", category="meals", day="2025-03-05", amount=40.0),
                self._expense("m-2", category="meals", day="2025-03-05", amount=50.0),
                self._expense("m-3", category="meals", day="2025-03-06", amount=50.0),
                self._expense(
                    "m-4", category="meals", day="2025-03-05", amount=60.0, employee="u-hal"
                ),
            ]
        )
        self._ingest_expenses(
            [self._expense("m-5", category="meals", day="2025-03-05", amount=10.0)]
        )
        for ext, billable, excess in (
            ("m-1", 40.0, 0.0),
            ("m-2", 35.0, 15.0),
            ("m-3", 50.0, 0.0),
            ("m-4", 60.0, 0.0),
            ("m-5", 0.0, 10.0),
        ):
            with self.subTest(expense=ext):
                self.assertAmount(self._exp(ext).q2c_billable_cost, billable)
                self.assertAmount(self._exp(ext).q2c_non_billable_cost, excess)
        # The first receipt of the day is corrected down at the source: the day is shared
        # again, and the later receipts get what it no longer takes.
        self._ingest_expenses(
            [self._expense("m-1", category="meals", day="2025-03-05", amount=20.0)]
        )
        for ext, billable in (("m-1", 20.0), ("m-2", 50.0), ("m-5", 5.0)):
            with self.subTest(expense=ext, after="edit"):
                self.assertAmount(self._exp(ext).q2c_billable_cost, billable)

    def test_per_item_cap_and_recoverable_tax(self):
        policy = self.contract_500.expense_policy_ids.filtered(
            lambda line: line.product_categ_id == self.categories["Travel"]
        )
        policy.write({"cap_basis": "per_item", "cap_amount": 500.0})
        self._ingest_expenses(
            [
                self._expense("c-1", amount=612.40),
                self._expense("c-2", amount=612.40, recoverable_tax=112.40),
            ]
        )
        capped, net = self._exp("c-1"), self._exp("c-2")
        self.assertAmount(capped.q2c_billable_cost, 500.0)
        self.assertAmount(capped.q2c_non_billable_cost, 112.40)
        self.assertAmount(capped.q2c_billed_value, 550.0)
        # Cost and markup are net of the tax the firm reclaims.
        self.assertAmount(net.q2c_cost, 500.0)
        self.assertAmount(net.q2c_billed_value, 550.0)
        self.assertAmount(net.q2c_non_billable_cost, 0.0)
