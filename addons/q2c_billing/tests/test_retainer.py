from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged

from .common import Q2cBillingCase

JAN_APPROVED = "2025-01-31T12:00:00Z"
FEB_APPROVED = "2025-02-28T12:00:00Z"
JANUARY = "Retainer 2025-01-15..2025-01-31 (17 of 31 days)"
JAN_FUNDS = "Retainer 2025-01-01 to 2025-01-31"
FEB_FUNDS = "Retainer 2025-02-01 to 2025-02-28"


@tagged("post_install", "-at_install")
class TestBillingRetainer(Q2cBillingCase):
    """Prepaid drawdown retainer (billing-domain.md 1.4) through billing runs: contract C-400,
    10,000.00 USD a month from 2025-01-15 to 2025-06-20, no rollover; usage at T&M: Erin,
    Senior Consultant, 200.00 an hour. The run of month M (invoice dated the 1st of M+1)
    invoices the retainer of M+1 in advance (and the first period, when not invoiced yet),
    the T&M lines of M's usage, and "Retainer applied" lines for what the funds cover; the
    net of the last two is the overage at T&M.

    January is prorated by calendar days: 10,000.00 x 17/31 = 5,483.870... -> 5,483.87
    (billing-domain.md 1.4); June (to 06-20): 10,000.00 x 20/30 = 6,666.666... -> 6,666.67."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.senior = cls._role("Senior Consultant")
        cls.erin = cls._employee("Erin", cls.senior)
        card = cls._card("C-400 card", [(cls.erin, 200.0, "2025-01-01", None)])
        cls.contract = cls._contract(
            "C-400",
            cls._project("P-400"),
            cards=card,
            billing_model="retainer",
            retainer_amount=10000.00,
            retainer_period="monthly",
            retainer_rollover_policy="none",
            date_start="2025-01-15",
            date_end="2025-06-20",
        )
        Account = cls.env["account.account"]
        cls.advances = Account.create(
            {"code": "219000", "name": "Customer advances", "account_type": "liability_current"}
        )
        cls.breakage = Account.create(
            {"code": "419000", "name": "Retainer breakage", "account_type": "income_other"}
        )
        cls.company.write(
            {
                "q2c_retainer_account_id": cls.advances.id,
                "q2c_retainer_breakage_account_id": cls.breakage.id,
            }
        )
        cls._ingest_time("P-400", [("j1", "Erin", "2025-01-20", 20.0, JAN_APPROVED)])

    # ------------------------------------------------------------------ helpers

    def _january(self):
        return self._bill(
            "2025-01-01", "2025-01-31", "2025-02-01 06:00:00", "2025-02-01", self.contract
        )

    def _february(self):
        return self._bill(
            "2025-02-01", "2025-02-28", "2025-03-01 06:00:00", "2025-03-01", self.contract
        )

    def _bucket(self, name):
        return self.contract.retainer_bucket_ids.filtered(lambda b: b.name == name)

    def _top_up(self):
        """Finance records a top-up bought on 2025-02-01: 2,000.00, expiring 2025-02-14."""
        return (
            self.env["q2c.retainer.bucket"]
            .with_user(self.finance_user)
            .create(
                {
                    "contract_id": self.contract.id,
                    "name": "Top-up February",
                    "kind": "top_up",
                    "amount": 2000.00,
                    "valid_from": "2025-02-01",
                    "expiry": "2025-02-14",
                }
            )
        )

    def _post(self, run):
        run.with_user(self.finance_user).action_post()
        self.assertEqual(run.invoice_ids.state, "posted")

    # ------------------------------------------------------------------ advance and usage

    def test_first_run_prorates_and_bills_the_next_period_in_advance(self):
        """January's run (invoice 2025-02-01):
        January's funds, prorated:        +5,483.87
        February's funds, in advance:    +10,000.00
        Erin 20.00 h x 200.00:            +4,000.00
        Retainer applied (January funds): -4,000.00 (all of it is covered: no overage)
        Total 15,483.87. The funds are credited to customer advances (a liability): 5,483.87
        + 10,000.00 - 4,000.00 = 11,483.87; revenue 4,000.00. January's funds keep 1,483.87."""
        run = self._january()
        invoice = run.line_ids.invoice_id
        self.assertInvoiceLines(
            invoice,
            [
                (JANUARY, 1.0, 5483.87, 5483.87),
                ("Retainer 2025-02-01..2025-02-28, in advance", 1.0, 10000.00, 10000.00),
                ("Erin - Senior Consultant, 2025-01-20", 20.0, 200.0, 4000.00),
                (f"Retainer applied: {JAN_FUNDS}", 1.0, -4000.00, -4000.00),
            ],
        )
        self.assertAmount(invoice.amount_total, 15483.87)
        lines = invoice.invoice_line_ids.sorted("sequence")
        on_advances = lines.filtered(lambda line: line.account_id == self.advances)
        self.assertEqual(len(on_advances), 3)
        self.assertAmount(-sum(on_advances.mapped("balance")), 11483.87)
        self.assertNotEqual(lines[2].account_id, self.advances, "usage is revenue")

        january, february = self._bucket(JAN_FUNDS), self._bucket(FEB_FUNDS)
        self.assertEqual(january.invoice_line_id, lines[0])
        self.assertEqual(february.invoice_line_id, lines[1])
        self.assertAmount(january.amount, 5483.87)
        self.assertEqual(str(january.valid_from), "2025-01-15")
        self.assertAmount(january.balance, 1483.87)
        drawdown = self.contract.retainer_drawdown_ids
        self.assertEqual(len(drawdown), 1)
        self.assertEqual(drawdown.bucket_id, january)
        self.assertEqual(drawdown.timesheet_id, self._time("j1"))
        self.assertEqual(drawdown.invoice_line_id, lines[3])
        self.assertAmount(drawdown.amount, 4000.00)
        self.assertEqual(self._time("j1").q2c_invoice_line_id, lines[2])

    def test_top_up_earliest_expiry_first_and_overage_at_t_and_m(self):
        """February's run (invoice 2025-03-01), after January's; a top-up of 2,000.00 valid
        02-01..02-14 was bought. Erin works 15.00 h on 02-10 and 02-11 (3,000.00 each) and
        20.00 h on 02-20 and 02-21 (4,000.00 each), in work-date order:
        02-10: the top-up expires first (02-14 < 02-28): 2,000.00 from it, 1,000.00 from
        February's funds (10,000.00 -> 9,000.00);
        02-11: the top-up is empty: 3,000.00 from February's (-> 6,000.00);
        02-20: the top-up is no longer valid: 4,000.00 from February's (-> 2,000.00);
        02-21: 2,000.00 from February's (-> 0.00); 2,000.00 is not covered.
        Lines: March's funds in advance +10,000.00; the top-up +2,000.00; Erin 70.00 h x
        200.00 = +14,000.00; applied: top-up -2,000.00, February -10,000.00. Overage =
        14,000.00 - 12,000.00 = 2,000.00 at T&M. Total 10,000.00 + 2,000.00 + 2,000.00 =
        14,000.00."""
        self._january()
        top_up = self._top_up()
        self._ingest_time(
            "P-400",
            [
                ("f1", "Erin", "2025-02-10", 15.0, FEB_APPROVED),
                ("f2", "Erin", "2025-02-11", 15.0, FEB_APPROVED),
                ("f3", "Erin", "2025-02-20", 20.0, FEB_APPROVED),
                ("f4", "Erin", "2025-02-21", 20.0, FEB_APPROVED),
            ],
        )
        invoice = self._february().line_ids.invoice_id
        self.assertInvoiceLines(
            invoice,
            [
                ("Retainer 2025-03-01..2025-03-31, in advance", 1.0, 10000.00, 10000.00),
                (
                    "Retainer top-up Top-up February, valid 2025-02-01..2025-02-14",
                    1.0,
                    2000.0,
                    2000.0,
                ),
                ("Erin - Senior Consultant, 2025-02-10..2025-02-21", 70.0, 200.0, 14000.00),
                ("Retainer applied: Top-up February", 1.0, -2000.00, -2000.00),
                (f"Retainer applied: {FEB_FUNDS}", 1.0, -10000.00, -10000.00),
            ],
        )
        self.assertAmount(invoice.amount_total, 14000.00)
        lines = invoice.invoice_line_ids.sorted("sequence")
        self.assertEqual(top_up.invoice_line_id, lines[1])
        self.assertAmount(top_up.balance, 0.00)
        self.assertAmount(self._bucket(FEB_FUNDS).balance, 0.00)
        draws = {
            (d.timesheet_id.q2c_external_id, d.bucket_id.name): d
            for d in self.contract.retainer_drawdown_ids
            if d.invoice_line_id.move_id == invoice
        }
        expected = {
            ("f1", "Top-up February"): (2000.00, lines[3]),
            ("f1", FEB_FUNDS): (1000.00, lines[4]),
            ("f2", FEB_FUNDS): (3000.00, lines[4]),
            ("f3", FEB_FUNDS): (4000.00, lines[4]),
            ("f4", FEB_FUNDS): (2000.00, lines[4]),
        }
        self.assertEqual(set(draws), set(expected))
        for key, (amount, invoice_line) in expected.items():
            self.assertAmount(draws[key].amount, amount)
            self.assertEqual(draws[key].invoice_line_id, invoice_line)

    def test_funds_opened_before_billing_are_invoiced_once(self):
        """January's funds opened before any run (as the demo data does): January's run
        invoices them, the same record, 5,483.87; the total is the same 15,483.87."""
        january = self.contract._open_retainer_period("2025-01-15")
        invoice = self._january().line_ids.invoice_id
        self.assertAmount(invoice.amount_total, 15483.87)
        self.assertEqual(january.invoice_line_id, invoice.invoice_line_ids.sorted("sequence")[0])
        self.assertEqual(len(self.contract.retainer_bucket_ids), 2)

    def test_first_partial_period_waits_for_its_invoice_not_billed_at_t_and_m(self):
        """January's funds (the first, partial period) opened by hand before January's run,
        and the expiry cron runs on 2025-02-01, before the run: funds not invoiced yet do
        not expire (billing-domain.md 1.4: the retainer invoice opens the funds, valid from
        the period start). January's run invoices them prorated, 10,000.00 x 17/31 =
        5,483.870... -> 5,483.87, February's 10,000.00 in advance, and Erin's 20.00 h x
        200.00 = 4,000.00 on 01-20 draws from January's funds (-4,000.00): not overage at
        T&M. Total 5,483.87 + 10,000.00 + 4,000.00 - 4,000.00 = 15,483.87; January's funds
        keep 1,483.87. A top-up bought and not invoiced waits the same way; funds of a
        contract no longer active expire as before."""
        january = self.contract._open_retainer_period("2025-01-15")
        self.env["q2c.retainer.bucket"]._expire("2025-02-01")
        self.assertEqual(january.state, "open")
        invoice = self._january().line_ids.invoice_id
        self.assertInvoiceLines(
            invoice,
            [
                (JANUARY, 1.0, 5483.87, 5483.87),
                ("Retainer 2025-02-01..2025-02-28, in advance", 1.0, 10000.00, 10000.00),
                ("Erin - Senior Consultant, 2025-01-20", 20.0, 200.0, 4000.00),
                (f"Retainer applied: {JAN_FUNDS}", 1.0, -4000.00, -4000.00),
            ],
        )
        self.assertAmount(invoice.amount_total, 15483.87)
        self.assertEqual(january.invoice_line_id, invoice.invoice_line_ids.sorted("sequence")[0])
        self.assertEqual(self.contract.retainer_drawdown_ids.bucket_id, january)
        self.assertAmount(january.balance, 1483.87)

        other = self._contract(
            "C-400b",
            self._project("P-400b"),
            billing_model="retainer",
            retainer_amount=3100.00,
            retainer_period="monthly",
            date_start="2025-01-15",
        )
        stale = other._open_retainer_period("2025-01-15")
        other.action_close()
        self.env["q2c.retainer.bucket"]._expire("2025-02-01")
        self.assertEqual(stale.state, "expired", "a closed contract's funds expire")

    def test_usage_shares_a_line_to_the_cent(self):
        """Fay (186.50 an hour) works 0.25 h on 02-03 and 0.25 h on 02-04, one line:
        round(0.50 x 186.50) = 93.25 (entry by entry: 46.63 + 46.63 = 93.26). The entries
        draw round(93.25 x 0.25/0.50) = round(46.625) = 46.63 and 93.25 - 46.63 = 46.62, so
        "Retainer applied" is -93.25, the line exactly: no overage of a cent either way.
        Total: March's funds 10,000.00."""
        fay = self._employee("Fay", self.senior)
        self.contract.rate_card_ids.line_ids = [
            Command.create({"employee_id": fay.id, "rate": 186.50, "date_from": "2025-01-01"})
        ]
        self._january()
        self._ingest_time(
            "P-400",
            [
                ("c1", "Fay", "2025-02-03", 0.25, FEB_APPROVED),
                ("c2", "Fay", "2025-02-04", 0.25, FEB_APPROVED),
            ],
        )
        invoice = self._february().line_ids.invoice_id
        lines = invoice.invoice_line_ids.sorted("sequence")
        self.assertAmount(lines[1].price_subtotal, 93.25)
        self.assertAmount(lines[2].price_subtotal, -93.25)
        self.assertAmount(invoice.amount_total, 10000.00)
        amounts = sorted(lines[2].q2c_retainer_drawdown_ids.mapped("amount"))
        self.assertAmount(amounts[0], 46.62)
        self.assertAmount(amounts[1], 46.63)

    def test_correction_puts_the_funds_back(self):
        """January's run is posted; Erin's 01-20 entry (20.00 h, 4,000.00 drawn from
        January's funds, which keep 1,483.87) is edited at the source to 15.00 h. January's
        funds are still open (February's usage is not billed). February's run:
        March's funds, in advance:                     +10,000.00
        reversal -20.00 h x 200.00:                     -4,000.00
        replacement 15.00 h x 200.00:                   +3,000.00
        Retainer applied (January's funds):             -3,000.00
        Retainer given back (January's funds):          +4,000.00
        Total 10,000.00: the correction costs the client nothing in cash, the funds move.
        January's funds: 1,483.87 + 4,000.00 - 3,000.00 = 2,483.87."""
        january_run = self._january()
        self._post(january_run)
        self._ingest_time("P-400", [("j1", "Erin", "2025-01-20", 15.0, "2025-02-10T12:00:00Z")])
        # No cut-off given: the reversal is approved when the correction is made (today).
        run = self._bill("2025-02-01", "2025-02-28", False, "2025-03-01", self.contract)
        invoice = run.line_ids.invoice_id
        origin = january_run.invoice_ids.name
        self.assertInvoiceLines(
            invoice,
            [
                ("Retainer 2025-03-01..2025-03-31, in advance", 1.0, 10000.00, 10000.00),
                (f"Correction of {origin}, reversal: Erin", -20.0, 200.0, -4000.00),
                (f"Correction of {origin}, replacement: Erin", 15.0, 200.0, 3000.00),
                (f"Retainer applied: {JAN_FUNDS}", 1.0, -3000.00, -3000.00),
                (f"Retainer given back: {JAN_FUNDS}", 1.0, 4000.00, 4000.00),
            ],
        )
        self.assertAmount(invoice.amount_total, 10000.00)
        january = self._bucket(JAN_FUNDS)
        self.assertAmount(january.balance, 2483.87)
        given_back = invoice.invoice_line_ids.sorted("sequence")[4].q2c_retainer_drawdown_ids
        self.assertEqual(given_back.timesheet_id.q2c_correction_kind, "reversal")
        self.assertAmount(given_back.amount, -4000.00)

    def test_correction_of_expired_funds_gives_back_into_new_funds(self):
        """As above, but January's funds have expired before the correction: January's run
        is posted, the expiry releases their 1,483.87 as breakage (posted entry). Erin's
        01-20 entry (20.00 h, 4,000.00 drawn from January's funds) is then edited to
        15.00 h. billing-domain.md 1.4: the funds go "into a new bucket if that one has
        already expired": new funds of 4,000.00, valid from January's first day (01-15, so
        the replacement dated 01-20 draws on them) to the end of March (the period
        February's run invoices in advance; no rollover). February's run:
        March's funds, in advance:                                  +10,000.00
        reversal -20.00 h x 200.00:                                  -4,000.00
        replacement 15.00 h x 200.00:                                +3,000.00
        Retainer applied (the new funds):                            -3,000.00
        Retainer given back as new funds:                            +4,000.00
        Total 10,000.00 (settled at T&M it would be 9,000.00: the 1,000.00 back as cash).
        New funds: 4,000.00 - 3,000.00 = 1,000.00 left. January's breakage stays 1,483.87."""
        january_run = self._january()
        self._post(january_run)
        self.env["q2c.retainer.bucket"]._expire("2025-02-02")
        january = self._bucket(JAN_FUNDS)
        self.assertEqual(january.state, "expired")
        self.assertAmount(january.breakage_amount, 1483.87)
        self._ingest_time("P-400", [("j1", "Erin", "2025-01-20", 15.0, "2025-02-10T12:00:00Z")])
        run = self._bill("2025-02-01", "2025-02-28", False, "2025-03-01", self.contract)
        invoice = run.line_ids.invoice_id
        origin = january_run.invoice_ids.name
        new_funds = f"Given back from {JAN_FUNDS}"
        self.assertInvoiceLines(
            invoice,
            [
                ("Retainer 2025-03-01..2025-03-31, in advance", 1.0, 10000.00, 10000.00),
                (f"Correction of {origin}, reversal: Erin", -20.0, 200.0, -4000.00),
                (f"Correction of {origin}, replacement: Erin", 15.0, 200.0, 3000.00),
                (f"Retainer applied: {new_funds}", 1.0, -3000.00, -3000.00),
                (
                    f"Retainer given back as new funds ({JAN_FUNDS} expired)",
                    1.0,
                    4000.00,
                    4000.00,
                ),
            ],
        )
        self.assertAmount(invoice.amount_total, 10000.00)
        lines = invoice.invoice_line_ids.sorted("sequence")
        self.assertEqual(lines[4].account_id, self.advances)
        given = self._bucket(new_funds)
        self.assertEqual(given.kind, "given_back")
        self.assertEqual(given.source_bucket_id, january)
        self.assertEqual(given.invoice_line_id, lines[4])
        self.assertEqual((str(given.valid_from), str(given.expiry)), ("2025-01-15", "2025-03-31"))
        self.assertAmount(given.amount, 4000.00)
        self.assertAmount(given.balance, 1000.00)
        self.assertAmount(january.breakage_amount, 1483.87)
        self.assertAmount(january.balance, 0.00)
        # Cancelling the draft takes the new funds away with it.
        run.with_user(self.finance_user).action_cancel()
        self.assertFalse(given.exists())

    # ------------------------------------------------------------------ consumption order

    def _february_usage(self, rows):
        self._ingest_time("P-400", [(*row, FEB_APPROVED) for row in rows])
        return self._february().line_ids.invoice_id

    def _draws(self, invoice):
        return {
            (d.timesheet_id.q2c_external_id, d.bucket_id.name): d.amount
            for d in self.contract.retainer_drawdown_ids
            if d.invoice_line_id.move_id == invoice
        }

    def test_oldest_funds_first(self):
        """Consumption order "Oldest funds first" (billing-domain.md 1.4 names the
        consumption order a contract term). A top-up of 2,000.00 valid 02-05..02-14; the
        same February usage as above (15.00 h on 02-10 and 02-11, 3,000.00 each; 20.00 h on
        02-20 and 02-21, 4,000.00 each). February's funds (valid from 02-01) are older than
        the top-up and go first: 3,000.00, 3,000.00 and 4,000.00 empty them; on 02-21 the
        top-up has expired: 4,000.00 is overage. The top-up is not drawn (2,000.00 left to
        expire). Lines: March +10,000.00, top-up +2,000.00, 70.00 h x 200.00 = +14,000.00,
        applied February -10,000.00: total 16,000.00 (earliest expiry first: 14,000.00)."""
        self.contract.retainer_draw_order = "oldest_first"
        self._january()
        top_up = self._top_up()
        top_up.valid_from = "2025-02-05"
        invoice = self._february_usage(
            [
                ("f1", "Erin", "2025-02-10", 15.0),
                ("f2", "Erin", "2025-02-11", 15.0),
                ("f3", "Erin", "2025-02-20", 20.0),
                ("f4", "Erin", "2025-02-21", 20.0),
            ]
        )
        self.assertAmount(invoice.amount_total, 16000.00)
        applied = invoice.invoice_line_ids.filtered(lambda line: "applied" in line.name)
        self.assertEqual(applied.mapped("name"), [f"Retainer applied: {FEB_FUNDS}"])
        self.assertAmount(applied.price_subtotal, -10000.00)
        draws = self._draws(invoice)
        self.assertEqual(set(draws), {("f1", FEB_FUNDS), ("f2", FEB_FUNDS), ("f3", FEB_FUNDS)})
        self.assertAmount(draws[("f3", FEB_FUNDS)], 4000.00)
        self.assertAmount(top_up.balance, 2000.00)

    def test_period_funds_before_top_ups(self):
        """Consumption order "Period funds before top-ups". The top-up of 2,000.00 valid
        02-01..02-14; Erin works 15.00 h a day from 02-10 to 02-13 (3,000.00 each) and
        20.00 h on 02-20 (4,000.00). 02-10, 02-11, 02-12: 3,000.00 each from February's
        funds (-> 1,000.00), although the top-up expires first; 02-13: 1,000.00 from
        February's (-> 0.00), then 2,000.00 from the top-up; 02-20: 4,000.00 overage. Lines:
        March +10,000.00, top-up +2,000.00, 80.00 h x 200.00 = +16,000.00, applied February
        -10,000.00 then top-up -2,000.00: total 16,000.00. (Earliest expiry first draws the
        top-up on 02-10 instead: the same total, other drawdowns.)"""
        self.contract.retainer_draw_order = "top_ups_last"
        self._january()
        self._top_up()
        invoice = self._february_usage(
            [
                ("f1", "Erin", "2025-02-10", 15.0),
                ("f2", "Erin", "2025-02-11", 15.0),
                ("f3", "Erin", "2025-02-12", 15.0),
                ("f4", "Erin", "2025-02-13", 15.0),
                ("f5", "Erin", "2025-02-20", 20.0),
            ]
        )
        self.assertAmount(invoice.amount_total, 16000.00)
        applied = invoice.invoice_line_ids.sorted("sequence").filtered(
            lambda line: "applied" in line.name
        )
        self.assertEqual(
            applied.mapped("name"),
            [f"Retainer applied: {FEB_FUNDS}", "Retainer applied: Top-up February"],
        )
        draws = self._draws(invoice)
        expected = {
            ("f1", FEB_FUNDS): 3000.00,
            ("f2", FEB_FUNDS): 3000.00,
            ("f3", FEB_FUNDS): 3000.00,
            ("f4", FEB_FUNDS): 1000.00,
            ("f4", "Top-up February"): 2000.00,
        }
        self.assertEqual(set(draws), set(expected))
        for key, amount in expected.items():
            self.assertAmount(draws[key], amount)

    # ------------------------------------------------------------------ not-to-exceed cap

    def test_cap_counts_the_usage_and_the_funds_pay_what_is_billed(self):
        """C-402: the same retainer with a not-to-exceed cap of 5,000.00 (adjustment mode).
        Erin works 20.00 h on 01-20 (4,000.00) and 10.00 h on 01-27 (2,000.00). The usage
        lines are the fees under the cap (billing-domain.md 1.2), drawn or not; the funds
        lines are deposits, not fees. V = 6,000.00, headroom 5,000.00: excess 1,000.00 held.
        The funds pay for the 5,000.00 billed, the 1,000.00 withheld coming off the latest
        work: 01-20 draws 4,000.00, 01-27 draws 2,000.00 - 1,000.00 = 1,000.00. January's
        run:
        January's funds (17 of 31 days):     +5,483.87
        February's funds, in advance:       +10,000.00
        Erin 30.00 h x 200.00:               +6,000.00
        Retainer applied (January):          -5,000.00
        Not-to-exceed limit adjustment:      -1,000.00
        Total 15,483.87; January's funds keep 483.87; billed under the cap 6,000.00 -
        1,000.00 = 5,000.00; held 1,000.00. (Drawing the usage before the cap would take
        5,483.87 and bill 15,000.00: funds spent on work the cap withheld.)"""
        contract = self._contract(
            "C-402",
            self._project("P-402"),
            cards=self.contract.rate_card_ids,
            billing_model="retainer",
            retainer_amount=10000.00,
            date_start="2025-01-15",
            date_end="2025-06-20",
            nte_original_amount=5000.00,
        )
        self._ingest_time(
            "P-402",
            [
                ("k1", "Erin", "2025-01-20", 20.0, JAN_APPROVED),
                ("k2", "Erin", "2025-01-27", 10.0, JAN_APPROVED),
            ],
        )
        run = self._bill("2025-01-01", "2025-01-31", "2025-02-01 06:00:00", "2025-02-01", contract)
        invoice = run.line_ids.invoice_id
        self.assertInvoiceLines(
            invoice,
            [
                (JANUARY, 1.0, 5483.87, 5483.87),
                ("Retainer 2025-02-01..2025-02-28, in advance", 1.0, 10000.00, 10000.00),
                ("Erin - Senior Consultant, 2025-01-20..2025-01-27", 30.0, 200.0, 6000.00),
                (f"Retainer applied: {JAN_FUNDS}", 1.0, -5000.00, -5000.00),
                ("Not-to-exceed limit adjustment", 1.0, -1000.00, -1000.00),
            ],
        )
        self.assertAmount(invoice.amount_total, 15483.87)
        january = contract.retainer_bucket_ids.filtered(lambda b: b.name == JAN_FUNDS)
        self.assertAmount(january.balance, 483.87)
        draws = {d.timesheet_id.q2c_external_id: d.amount for d in contract.retainer_drawdown_ids}
        self.assertEqual(set(draws), {"k1", "k2"})
        self.assertAmount(draws["k1"], 4000.00)
        self.assertAmount(draws["k2"], 1000.00)
        self.assertAmount(contract._nte_billed(), 5000.00)
        self.assertAmount(contract.nte_held_amount, 1000.00)
        lines = invoice.invoice_line_ids.sorted("sequence")
        self.assertEqual(lines.filtered("q2c_cap_contract_id"), lines[2] | lines[4])

    def test_truncated_cap_draws_the_hours_billed_and_released(self):
        """C-403: the same retainer, cap 5,000.00 in truncate mode. Erin works 20.00 h on
        01-20 (4,000.00), 10.00 h on 01-27 (2,000.00) and 5.00 h on 01-29 (1,000.00).
        January's run, by work date within the headroom 5,000.00: 01-20 in full (1,000.00
        left), 01-27 crosses the cap: 1,000.00 / 200.00 = 5.00 h billed, 5.00 h held; 01-29
        held whole. Lines: January's funds +5,483.87, February's +10,000.00, Erin 25.00 h x
        200.00 = +5,000.00, applied -5,000.00: 01-20 draws 4,000.00 and 01-27 the value of
        its 5.00 h billed, 1,000.00. Total 15,483.87; January's funds keep 483.87.
        The cap is raised by 5,000.00 (posted January first); February's run releases the
        10.00 h held, one line (same employee, rate and month) 10.00 h x 200.00 = 2,000.00,
        usage of 01-27 and 01-29 billed now (billing-domain.md 1.4: allocated by work date):
        01-27's 5.00 h (1,000.00) draws January's last 483.87, the rest (516.13) and 01-29's
        1,000.00 are overage. February's invoice: March's funds +10,000.00, release
        +2,000.00, applied -483.87 = 11,516.13."""
        contract = self._contract(
            "C-403",
            self._project("P-403"),
            cards=self.contract.rate_card_ids,
            billing_model="retainer",
            retainer_amount=10000.00,
            date_start="2025-01-15",
            date_end="2025-06-20",
            nte_original_amount=5000.00,
            nte_mode="truncate",
        )
        self._ingest_time(
            "P-403",
            [
                ("k1", "Erin", "2025-01-20", 20.0, JAN_APPROVED),
                ("k2", "Erin", "2025-01-27", 10.0, JAN_APPROVED),
                ("k3", "Erin", "2025-01-29", 5.0, JAN_APPROVED),
            ],
        )
        january_run = self._bill(
            "2025-01-01", "2025-01-31", "2025-02-01 06:00:00", "2025-02-01", contract
        )
        january = january_run.line_ids.invoice_id
        self.assertInvoiceLines(
            january,
            [
                (JANUARY, 1.0, 5483.87, 5483.87),
                ("Retainer 2025-02-01..2025-02-28, in advance", 1.0, 10000.00, 10000.00),
                ("Erin - Senior Consultant, 2025-01-20..2025-01-27", 25.0, 200.0, 5000.00),
                (f"Retainer applied: {JAN_FUNDS}", 1.0, -5000.00, -5000.00),
            ],
        )
        draws = {d.timesheet_id.q2c_external_id: d.amount for d in contract.retainer_drawdown_ids}
        self.assertEqual(set(draws), {"k1", "k2"})
        self.assertAmount(draws["k1"], 4000.00)
        self.assertAmount(draws["k2"], 1000.00)
        self._post(january_run)
        self.env["q2c.contract.change.entry"].with_user(self.finance_user).create(
            {
                "contract_id": contract.id,
                "currency_id": contract.currency_id.id,
                "date": "2025-02-10",
                "name": "Cap raised",
                "kind": "nte",
                "amount": 5000.0,
            }
        )
        self.assertAmount(contract.nte_headroom, 5000.00)
        february = self._bill(
            "2025-02-01", "2025-02-28", "2025-03-01 06:00:00", "2025-03-01", contract
        ).line_ids.invoice_id
        self.assertInvoiceLines(
            february,
            [
                ("Retainer 2025-03-01..2025-03-31, in advance", 1.0, 10000.00, 10000.00),
                (
                    "Erin - Senior Consultant, 2025-01-27..2025-01-29 (held over",
                    10.0,
                    200.0,
                    2000.00,
                ),
                (f"Retainer applied: {JAN_FUNDS}", 1.0, -483.87, -483.87),
            ],
        )
        self.assertAmount(february.amount_total, 11516.13)
        released = {
            d.timesheet_id.q2c_external_id: d.amount
            for d in contract.retainer_drawdown_ids
            if d.invoice_line_id.move_id == february
        }
        self.assertEqual(set(released), {"k2"})
        self.assertAmount(released["k2"], 483.87)
        self.assertAmount(
            contract.retainer_bucket_ids.filtered(lambda b: b.name == JAN_FUNDS).balance, 0.00
        )

    def test_last_period_prorated_and_nothing_after_the_end(self):
        """C-401, the same retainer from 2025-05-01 to 2025-06-20. May's run: May's funds
        10,000.00, June's in advance prorated to the contract's end: 10,000.00 x 20/30 =
        6,666.67. June's run has no period left to invoice and no usage: nothing to bill."""
        contract = self._contract(
            "C-401",
            self._project("P-401"),
            cards=self.contract.rate_card_ids,
            billing_model="retainer",
            retainer_amount=10000.00,
            date_start="2025-05-01",
            date_end="2025-06-20",
        )
        may = self._bill("2025-05-01", "2025-05-31", "2025-06-01 06:00:00", "2025-06-01", contract)
        self.assertInvoiceLines(
            may.line_ids.invoice_id,
            [
                ("Retainer 2025-05-01..2025-05-31", 1.0, 10000.00, 10000.00),
                (
                    "Retainer 2025-06-01..2025-06-20 (20 of 30 days), in advance",
                    1.0,
                    6666.67,
                    6666.67,
                ),
            ],
        )
        june = self._bill(
            "2025-06-01", "2025-06-30", "2025-07-01 06:00:00", "2025-07-01", contract
        )
        self.assertEqual(june.line_ids.state, "done")
        self.assertFalse(june.line_ids.invoice_id)

    # ------------------------------------------------------------------ exactly once

    def test_nothing_is_invoiced_or_drawn_twice(self):
        """January's job performed again and a second January run bill nothing; February's
        run invoices March's funds only (February's were invoiced in advance by January's);
        March's run does not invoice the top-up February's run invoiced."""
        run = self._january()
        self._perform(run.line_ids.job_uuid)
        again = self._january()
        self.assertEqual(again.line_ids.state, "blocked")
        self.assertEqual(len(self.contract.retainer_drawdown_ids), 1)
        self._top_up()
        february = self._february().line_ids.invoice_id
        names = february.invoice_line_ids.mapped("name")
        self.assertEqual(
            [name for name in names if name.startswith("Retainer 2025")],
            ["Retainer 2025-03-01..2025-03-31, in advance"],
        )
        march = self._bill(
            "2025-03-01", "2025-03-31", "2025-04-01 06:00:00", "2025-04-01", self.contract
        ).line_ids.invoice_id
        self.assertEqual(
            march.invoice_line_ids.mapped("name"), ["Retainer 2025-04-01..2025-04-30, in advance"]
        )
        periods = self.contract.retainer_bucket_ids.filtered(lambda b: b.kind == "period")
        self.assertEqual(len(periods), 4)
        self.assertEqual(len(periods.invoice_line_id), 4)

    def test_retainer_job_locks_its_contract_first(self):
        """Two runs of different periods (January's and February's) both reach February's
        funds: each job writes the contract's row before it reads the funds, like a capped
        contract's (the race itself is tested on real connections in test_cap_race), and
        the unique index on (contract, start) of a period's funds decides the rest."""
        Line = type(self.env["q2c.billing.run.line"])
        with patch.object(Line, "_lock_cap", autospec=True) as lock:
            self._january()
        lock.assert_called_once()
        self.assertEqual(lock.call_args.args[1], self.contract)

    def test_cancel_gives_the_funds_back(self):
        """Cancelling January's run deletes its draft: the drawdown goes, the funds it opened
        go, the entry is to bill again; the next January run bills the same 15,483.87.
        Cancelling February's run frees the top-up: the next run invoices it."""
        run = self._january()
        run.with_user(self.finance_user).action_cancel()
        self.assertFalse(self.contract.retainer_bucket_ids)
        self.assertFalse(self.contract.retainer_drawdown_ids)
        self.assertEqual(self._time("j1").q2c_billing_status, "to_bill")
        invoice = self._january().line_ids.invoice_id
        self.assertAmount(invoice.amount_total, 15483.87)
        top_up = self._top_up()
        self._february().with_user(self.finance_user).action_cancel()
        self.assertFalse(top_up.invoice_line_id)
        self.assertTrue(self._bucket(FEB_FUNDS), "January's run invoiced February's funds")
        invoice = self._february().line_ids.invoice_id
        self.assertEqual(top_up.invoice_line_id.move_id, invoice)

    def test_without_advances_account_the_contract_is_blocked(self):
        self.company.q2c_retainer_account_id = False
        result = self._january().line_ids
        self.assertEqual(result.state, "blocked")
        self.assertIn("no retainer advances account", result.reason)
        self.assertFalse(self.contract.retainer_bucket_ids, "nothing half-written")

    # ------------------------------------------------------------------ breakage

    def test_expiry_releases_the_rest_by_a_journal_entry(self):
        """January's funds 5,483.87 - 4,000.00 used = 1,483.87 left at their expiry
        (2025-01-31, no rollover). They expire once January's usage is billed and posted:
        one posted journal entry dated 2025-01-31, customer advances debit 1,483.87, retainer
        breakage credit 1,483.87; no invoice line. February's funds (expiry 02-28) wait for
        February's run."""
        Bucket = self.env["q2c.retainer.bucket"]
        run = self._january()
        january, february = self._bucket(JAN_FUNDS), self._bucket(FEB_FUNDS)
        Bucket._expire("2025-03-05")
        self.assertEqual(january.state, "open", "the invoice is still a draft")
        self._post(run)
        Bucket._expire("2025-03-05")
        self.assertEqual(january.state, "expired")
        self.assertEqual(february.state, "open", "February's usage is not billed yet")
        self.assertAmount(january.breakage_amount, 1483.87)
        self.assertAmount(january.balance, 0.00)
        move = january.breakage_move_id
        self.assertEqual(move.move_type, "entry")
        self.assertEqual(move.state, "posted")
        self.assertEqual(str(move.date), "2025-01-31")
        debit = move.line_ids.filtered(lambda line: line.account_id == self.advances)
        credit = move.line_ids.filtered(lambda line: line.account_id == self.breakage)
        self.assertAmount(debit.balance, 1483.87)
        self.assertAmount(credit.balance, -1483.87)
        self.assertFalse(
            self.env["account.move.line"].search(
                [("move_id.move_type", "=", "out_invoice"), ("account_id", "=", self.breakage.id)]
            ),
            "breakage is never an invoice line",
        )
        Bucket._expire("2025-03-06")
        self.assertEqual(
            self.env["account.move"].search_count(
                [("q2c_contract_id", "=", self.contract.id), ("move_type", "=", "entry")]
            ),
            1,
            "expired once",
        )

    def test_rollover_then_breakage_of_the_rolled_funds(self):
        """Rollover into the next period only. January's funds keep 1,483.87 at their
        expiry: they roll into a fund valid 02-01..02-28 and nothing is released (no
        entry). February's run bills no usage; once it is posted, the rolled 1,483.87
        expire unused (a rollover does not roll again): one breakage entry of 1,483.87 on
        the advances account January's invoice credited. February's own 10,000.00 roll into
        March (no entry)."""
        Bucket = self.env["q2c.retainer.bucket"]
        self.contract.retainer_rollover_policy = "next_period_only"
        self._post(self._january())
        Bucket._expire("2025-02-02")
        january = self._bucket(JAN_FUNDS)
        rolled = self.contract.retainer_bucket_ids.filtered(lambda b: b.kind == "rollover")
        self.assertEqual(january.state, "expired")
        self.assertFalse(january.breakage_move_id)
        self.assertAmount(rolled.amount, 1483.87)
        self.assertEqual(
            (str(rolled.valid_from), str(rolled.expiry)), ("2025-02-01", "2025-02-28")
        )
        self._post(self._february())
        Bucket._expire("2025-03-02")
        self.assertEqual(rolled.state, "expired")
        self.assertAmount(rolled.breakage_amount, 1483.87)
        move = rolled.breakage_move_id
        self.assertEqual(move.state, "posted")
        debit = move.line_ids.filtered(lambda line: line.account_id == self.advances)
        self.assertAmount(debit.balance, 1483.87)
        february = self._bucket(FEB_FUNDS)
        self.assertEqual(february.state, "expired")
        self.assertFalse(february.breakage_move_id)
        self.assertAmount(february.rolled_over_amount, 10000.00)
