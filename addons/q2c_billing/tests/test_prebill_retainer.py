from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import Q2cBillingCase

APPROVED = "2025-01-31T12:00:00Z"
JANUARY = ("2025-01-01", "2025-01-31", "2025-02-01 06:00:00", "2025-02-01")
JAN_FUNDS = "Retainer 2025-01-01 to 2025-01-31"
JAN_LINE = "Retainer 2025-01-15..2025-01-31 (17 of 31 days)"
FEB_LINE = "Retainer 2025-02-01..2025-02-28, in advance"
APPLIED = f"Retainer applied: {JAN_FUNDS}"
ERIN = "Erin - Senior Consultant, 2025-01-20..2025-01-21"


@tagged("post_install", "-at_install")
class TestPrebillRetainer(Q2cBillingCase):
    """Pre-bill review (billing-domain.md 1.6) of a prepaid drawdown retainer (1.4).

    Contract C-410, 10,000.00 a month from 2025-01-15, pre-bill review required; Erin,
    Senior Consultant, 200.00 an hour, works 15.00 h on 2025-01-20 and 15.00 h on 01-21
    (one line of 30.00 h). January's run (invoice 2025-02-01) would invoice:
      January's funds, prorated 10,000.00 x 17/31 = 5,483.870... -> +5,483.87
      February's funds, in advance                                 +10,000.00
      Erin 30.00 h x 200.00                                         +6,000.00
      Retainer applied (January's funds, all of them)               -5,483.87
    Total 16,000.00 (the overage 6,000.00 - 5,483.87 = 516.13 billed at T&M)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        senior = cls._role("Senior Consultant")
        cls.erin = cls._employee("Erin", senior)
        card = cls._card("C-410 card", [(cls.erin, 200.0, "2025-01-01", None)])
        cls.contract = cls._contract(
            "C-410",
            cls._project("P-410"),
            cards=card,
            billing_model="retainer",
            retainer_amount=10000.00,
            retainer_period="monthly",
            retainer_rollover_policy="none",
            date_start="2025-01-15",
            prebill_review_required=True,
        )
        cls.company.q2c_retainer_account_id = cls.env["account.account"].create(
            {"code": "219410", "name": "Customer advances", "account_type": "liability_current"}
        )
        cls._ingest_time(
            "P-410",
            [
                ("k1", "Erin", "2025-01-20", 15.0, APPROVED),
                ("k2", "Erin", "2025-01-21", 15.0, APPROVED),
            ],
        )
        cls.inefficiency = cls.env.ref("q2c_billing.prebill_reason_inefficiency")
        cls.goodwill = cls.env.ref("q2c_billing.prebill_reason_goodwill")

    def _review(self):
        run = self._bill(*JANUARY, contracts=self.contract)
        self.assertEqual(run.state, "review")
        return run, run.prebill_review_ids.with_user(self.finance_user)

    def assertProposal(self, review, expected, total):
        """`expected`: (kind, name, billed value) in the proposal's order."""
        lines = review.line_ids.sorted(lambda line: (line.sequence, line.id))
        self.assertEqual(
            [(line.kind, line.name) for line in lines], [(k, n) for k, n, _v in expected]
        )
        for line, (_kind, name, value) in zip(lines, expected, strict=True):
            self.assertAmount(line.billed_value, value, name)
        self.assertAmount(review.amount_total, total)

    def assertSameAsInvoice(self, review, invoice):
        """The proposal's lines billed are the invoice's lines, amount for amount, and the
        pre-bill total is the invoice total."""
        lines = review.line_ids.sorted(lambda line: (line.sequence, line.id))
        billed = lines.filtered(lambda line: line.kind != "amount") + lines.filtered(
            lambda line: line.kind == "amount"
        )
        invoice_lines = invoice.invoice_line_ids.sorted("sequence")
        self.assertEqual(
            sorted(billed.mapped("name")), sorted(invoice_lines.mapped("name")), "same lines"
        )
        by_name = {line.name: line for line in invoice_lines}
        for line in billed:
            self.assertAmount(by_name[line.name].price_subtotal, line.billed_value, line.name)
        self.assertEqual(
            self.currency.compare_amounts(review.amount_total, invoice.amount_total), 0
        )

    def test_proposal_shows_the_funds_and_what_they_pay_as_the_invoice_will(self):
        """The proposal shows the retainer's lines, read only, with the invoice's amounts:
        total 16,000.00 (see the class). Opening January's funds to compute them left
        nothing behind (no funds exist before the approval). Erin written down to 25.00 h
        (inefficiency): 25.00 x 200.00 = 5,000.00, now within January's funds: applied
        -5,000.00, total 5,483.87 + 10,000.00 + 5,000.00 - 5,000.00 = 15,483.87. Approving
        creates that invoice: 15,483.87, line for line; January's funds keep 5,483.87 -
        5,000.00 = 483.87."""
        run, review = self._review()
        self.assertProposal(
            review,
            [
                ("retainer", JAN_LINE, 5483.87),
                ("retainer", FEB_LINE, 10000.00),
                ("time", ERIN, 6000.00),
                ("retainer", APPLIED, -5483.87),
            ],
            16000.00,
        )
        self.assertAmount(review.standard_value, 6000.00)
        self.assertAmount(review.billed_value, 6000.00)
        self.assertFalse(self.contract.retainer_bucket_ids, "the dry run opened nothing")
        funds = review.line_ids.filtered(lambda line: line.kind == "retainer")[:1]
        with self.assertRaisesRegex(UserError, "computed from the retainer"):
            funds.write({"billed_rate": 1.0, "reason_id": self.inefficiency.id})

        erin = review.line_ids.filtered(lambda line: line.kind == "time")
        erin.write({"billed_hours": 25.0, "reason_id": self.inefficiency.id})
        self.assertProposal(
            review,
            [
                ("retainer", JAN_LINE, 5483.87),
                ("retainer", FEB_LINE, 10000.00),
                ("time", ERIN, 5000.00),
                ("retainer", APPLIED, -5000.00),
            ],
            15483.87,
        )
        review.action_approve()
        invoice = run.line_ids.invoice_id
        self.assertAmount(invoice.amount_total, 15483.87)
        self.assertSameAsInvoice(review, invoice)
        january = self.contract.retainer_bucket_ids.filtered(lambda b: b.name == JAN_FUNDS)
        self.assertAmount(january.balance, 483.87)

    def test_lump_sum_adjustment_moves_what_the_funds_pay(self):
        """Lump sums on a retainer (decision, billing-domain.md 1.4 and 1.6): the funds pay
        the usage at the value billed (1.4: "usage at T&M rates draws the balance down");
        an amount adjustment is allocated back to the billed lines pro rata to billed value
        (1.6), so a discount on the time billed is a discount on the usage: it draws less
        (a premium, more). Erin written down to 25.00 h = 5,000.00, then a goodwill
        discount of -100.00: its share on Erin's line (the only line) is -100.00, the usage
        billed 4,900.00, all within January's funds: applied -4,900.00. Invoice 5,483.87 +
        10,000.00 + 5,000.00 - 4,900.00 - 100.00 = 15,483.87 (the discount is kept in the
        client's funds: January's keep 5,483.87 - 4,900.00 = 583.87), the same as the
        proposal's total."""
        run, review = self._review()
        erin = review.line_ids.filtered(lambda line: line.kind == "time")
        erin.write({"billed_hours": 25.0, "reason_id": self.inefficiency.id})
        review.env["q2c.prebill.line"].create(
            {
                "review_id": review.id,
                "name": "Goodwill discount",
                "amount": -100.0,
                "reason_id": self.goodwill.id,
            }
        )
        self.assertAmount(erin.allocated_amount, -100.00)
        applied = review.line_ids.filtered(lambda line: line.name == APPLIED)
        self.assertAmount(applied.billed_value, -4900.00)
        self.assertAmount(review.amount_total, 15483.87)
        review.action_approve()
        invoice = run.line_ids.invoice_id
        self.assertInvoiceLines(
            invoice,
            [
                (JAN_LINE, 1.0, 5483.87, 5483.87),
                (FEB_LINE, 1.0, 10000.00, 10000.00),
                (ERIN, 25.0, 200.0, 5000.00),
                (APPLIED, 1.0, -4900.00, -4900.00),
                ("Goodwill discount", 1.0, -100.00, -100.00),
            ],
        )
        self.assertSameAsInvoice(review, invoice)
        drawdowns = self.contract.retainer_drawdown_ids
        self.assertEqual(len(drawdowns.bucket_id), 1)
        self.assertAmount(sum(drawdowns.mapped("amount")), 4900.00)
        self.assertAmount(drawdowns.bucket_id.balance, 583.87)
