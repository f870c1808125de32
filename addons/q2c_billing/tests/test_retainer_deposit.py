from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import Q2cBillingCase

JAN_APPROVED = "2025-01-31T12:00:00Z"
FEB_APPROVED = "2025-02-28T12:00:00Z"
DEPOSIT = "Security deposit, held until the final invoice"
APPLIED = "Security deposit applied to the final invoice"


@tagged("post_install", "-at_install")
class TestBillingSecurityRetainer(Q2cBillingCase):
    """Evergreen (security) retainer (billing-domain.md 1.4): "held as a deposit ... and
    applied to the final invoice. It is modelled as a customer deposit applied once at the
    end." Contract C-410: a deposit of 5,000.00, from 2025-01-15 to 2025-02-20; usage at
    T&M: Erin, Senior Consultant, 200.00 an hour, billed monthly as it happens (nothing is
    drawn from the deposit). The first run invoices the deposit to customer advances; the
    run whose period reaches the contract's end (February's) applies it once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.senior = cls._role("Senior Consultant")
        cls.erin = cls._employee("Erin", cls.senior)
        cls.card = cls._card("C-410 card", [(cls.erin, 200.0, "2025-01-01", None)])
        cls.contract = cls._contract(
            "C-410",
            cls._project("P-410"),
            cards=cls.card,
            billing_model="retainer",
            retainer_type="security",
            retainer_deposit_amount=5000.00,
            date_start="2025-01-15",
            date_end="2025-02-20",
        )
        cls.advances = cls.env["account.account"].create(
            {"code": "219000", "name": "Customer advances", "account_type": "liability_current"}
        )
        cls.company.q2c_retainer_account_id = cls.advances
        cls._ingest_time("P-410", [("d1", "Erin", "2025-01-20", 20.0, JAN_APPROVED)])

    def _january(self):
        return self._bill(
            "2025-01-01", "2025-01-31", "2025-02-01 06:00:00", "2025-02-01", self.contract
        )

    def _february(self):
        return self._bill(
            "2025-02-01", "2025-02-28", "2025-03-01 06:00:00", "2025-03-01", self.contract
        )

    def _deposit(self):
        return self.contract.retainer_bucket_ids.filtered(lambda b: b.kind == "deposit")

    def test_deposit_invoiced_first_then_applied_to_the_final_invoice(self):
        """January's run (invoice 2025-02-01):
        Security deposit:                   +5,000.00 (customer advances)
        Erin 20.00 h x 200.00:              +4,000.00 (revenue; the deposit is not drawn)
        Total 9,000.00.
        February's run reaches the end (02-20): the final invoice (2025-03-01):
        Erin 15.00 h on 02-10 and on 02-11, 30.00 h x 200.00: +6,000.00
        Security deposit applied:           -5,000.00 = min(5,000.00, 6,000.00)
        Total 1,000.00; the deposit is used up (0.00). March's run bills nothing and applies
        nothing again."""
        january = self._january().line_ids.invoice_id
        self.assertInvoiceLines(
            january,
            [
                (DEPOSIT, 1.0, 5000.00, 5000.00),
                ("Erin - Senior Consultant, 2025-01-20", 20.0, 200.0, 4000.00),
            ],
        )
        self.assertAmount(january.amount_total, 9000.00)
        lines = january.invoice_line_ids.sorted("sequence")
        self.assertEqual(lines[0].account_id, self.advances)
        self.assertNotEqual(lines[1].account_id, self.advances)
        deposit = self._deposit()
        self.assertEqual(deposit.invoice_line_id, lines[0])
        self.assertFalse(deposit.expiry)
        self.assertFalse(self.contract.retainer_drawdown_ids, "usage draws nothing")
        self._ingest_time(
            "P-410",
            [
                ("d2", "Erin", "2025-02-10", 15.0, FEB_APPROVED),
                ("d3", "Erin", "2025-02-11", 15.0, FEB_APPROVED),
            ],
        )
        final = self._february().line_ids.invoice_id
        self.assertInvoiceLines(
            final,
            [
                ("Erin - Senior Consultant, 2025-02-10..2025-02-11", 30.0, 200.0, 6000.00),
                (APPLIED, 1.0, -5000.00, -5000.00),
            ],
        )
        self.assertAmount(final.amount_total, 1000.00)
        applied = final.invoice_line_ids.sorted("sequence")[1]
        self.assertEqual(applied.account_id, self.advances)
        self.assertEqual(deposit.drawdown_ids.invoice_line_id, applied)
        self.assertAmount(deposit.balance, 0.00)
        march = self._bill(
            "2025-03-01", "2025-03-31", "2025-04-01 06:00:00", "2025-04-01", self.contract
        )
        self.assertFalse(march.line_ids.invoice_id)
        self.assertEqual(len(deposit.drawdown_ids), 1, "applied once")

    def test_deposit_larger_than_the_final_invoice_keeps_the_rest(self):
        """The final invoice bills Erin 10.00 h x 200.00 = 2,000.00 on 02-10: the deposit
        applied is min(5,000.00, 2,000.00) = 2,000.00, the invoice totals 0.00 (never
        negative) and 3,000.00 of the deposit stays on customer advances, to return to the
        client. Cancelling that run gives the 2,000.00 back to the deposit; the run again
        applies it once."""
        self._january()
        self._ingest_time("P-410", [("d2", "Erin", "2025-02-10", 10.0, FEB_APPROVED)])
        run = self._february()
        final = run.line_ids.invoice_id
        self.assertInvoiceLines(
            final,
            [
                ("Erin - Senior Consultant, 2025-02-10", 10.0, 200.0, 2000.00),
                (APPLIED, 1.0, -2000.00, -2000.00),
            ],
        )
        self.assertAmount(final.amount_total, 0.00)
        deposit = self._deposit()
        self.assertAmount(deposit.balance, 3000.00)
        self.assertAmount(self.contract.retainer_balance, 3000.00)
        run.with_user(self.finance_user).action_cancel()
        self.assertAmount(deposit.balance, 5000.00)
        again = self._february().line_ids.invoice_id
        self.assertAmount(again.amount_total, 0.00)
        self.assertAmount(deposit.balance, 3000.00)

    def test_one_run_to_the_end_neither_invoices_nor_applies_the_deposit(self):
        """C-411 runs 2025-01-15..2025-01-31: January's run is its first and its final
        invoice. Invoicing the deposit and applying it on the same invoice would be
        +5,000.00 - 5,000.00: the invoice bills the usage only, Erin 5.00 h x 200.00 =
        1,000.00."""
        contract = self._contract(
            "C-411",
            self._project("P-411"),
            cards=self.card,
            billing_model="retainer",
            retainer_type="security",
            retainer_deposit_amount=5000.00,
            date_start="2025-01-15",
            date_end="2025-01-31",
        )
        self._ingest_time("P-411", [("e1", "Erin", "2025-01-22", 5.0, JAN_APPROVED)])
        run = self._bill("2025-01-01", "2025-01-31", "2025-02-01 06:00:00", "2025-02-01", contract)
        self.assertInvoiceLines(
            run.line_ids.invoice_id,
            [("Erin - Senior Consultant, 2025-01-22", 5.0, 200.0, 1000.00)],
        )
        self.assertFalse(contract.retainer_bucket_ids)

    def test_usage_never_draws_the_deposit(self):
        """The deposit is held, not a fund: a draw of 1,000.00 of usage on 01-20 finds no
        funds and is all overage."""
        self._january()
        applied, overage = self.contract._retainer_draw("2025-01-20", 1000.00, "usage")
        self.assertAmount(applied, 0.00)
        self.assertAmount(overage, 1000.00)

    def test_a_security_retainer_needs_its_deposit(self):
        contract = self.env["q2c.contract"].create(
            {
                "name": "C-412",
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "billing_model": "retainer",
                "retainer_type": "security",
            }
        )
        with self.assertRaisesRegex(UserError, "amount of its deposit"):
            contract.action_activate()
        contract.retainer_deposit_amount = 2500.00
        contract.action_activate()
        self.assertEqual(contract.state, "active")
