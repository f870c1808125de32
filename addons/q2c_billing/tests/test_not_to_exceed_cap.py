from odoo.tests import tagged

from .common import Q2cBillingCase


@tagged("post_install", "-at_install")
class TestNotToExceedCap(Q2cBillingCase):
    """Not-to-exceed caps through billing runs (billing-domain.md 1.2, GC-02).

    Contract C-200, T&M, cap 50,000.00 on fees, alerts at 75%, 90% and 100%; Erin (Senior
    Consultant) 200.00, Frank (Consultant) 150.00. History billed and posted by runs:
    January Erin 120.00 h x 200.00 = 24,000.00 (48%: no alert); February Frank 148.00 h x
    150.00 = 22,200.00, billed to date 46,200.00 (92.4%: 75% = 37,500.00 and 90% =
    45,000.00 reached, one activity). Headroom 50,000.00 - 46,200.00 = 3,800.00.
    March: 03-03 Erin 10.00 h, 03-10 Frank 8.00 h, 03-17 Erin 6.00 h, 03-24 Frank 4.00 h;
    value 5,000.00 (January: 15 entries of 8.00 h; February: 18 of 8.00 h and one of 4.00 h).
    April: the cap is raised by 5,000.00 to 55,000.00 (CA-01, 2025-04-10);
    04-07 Erin 5.00 h = 1,000.00."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.senior = cls._role("Senior Consultant")
        cls.consultant = cls._role("Consultant")
        cls.erin = cls._employee("Erin", cls.senior)
        cls.frank = cls._employee("Frank", cls.consultant)
        cls.card = cls._card(
            "C-200 rates",
            [(cls.erin, 200.0, "2025-01-01", None), (cls.frank, 150.0, "2025-01-01", None)],
        )

    def _capped_contract(self, mode):
        key = f"P-200-{mode}"
        self.key = key
        contract = self._contract(
            f"C-200 {mode}",
            self._project(key),
            cards=self.card,
            nte_original_amount=50000.0,
            nte_mode=mode,
        )
        january = [(f"j{day}", "Erin", f"2025-01-{day:02d}", 8.0) for day in range(1, 16)]
        february = [(f"f{day}", "Frank", f"2025-02-{day:02d}", 8.0) for day in range(1, 19)]
        self._month(contract, "2025-01", january)
        self._month(contract, "2025-02", [*february, ("f19", "Frank", "2025-02-19", 4.0)])
        self.assertAmount(contract.nte_billed_amount, 46200.00)
        self.assertAmount(contract.nte_headroom, 3800.00)
        return contract

    def _month(self, contract, month, rows, post=True):
        """Ingest `rows` (id, who, date, hours) approved on the last day of `month`, bill
        the month by a run (cut-off and invoice date the 3rd of the next month), post."""
        year, number = (int(part) for part in month.split("-"))
        last = {1: 31, 2: 28, 3: 31, 4: 30}[number]
        next_month = f"{year}-{number + 1:02d}-03"
        if rows:
            self._ingest_time(
                self.key,
                [(f"{self.key}-{ext}", *row, f"{month}-{last}T12:00:00Z") for ext, *row in rows],
            )
        run = self._bill(
            f"{month}-01",
            f"{month}-{last}",
            f"{next_month} 10:00:00",
            next_month,
            contracts=contract,
        )
        self.assertEqual(run.line_ids.state, "done", run.line_ids.reason)
        if post:
            run.with_user(self.finance_user).action_post()
        return run

    def _march_rows(self):
        return [
            ("m1", "Erin", "2025-03-03", 10.0),
            ("m2", "Frank", "2025-03-10", 8.0),
            ("m3", "Erin", "2025-03-17", 6.0),
            ("m4", "Frank", "2025-03-24", 4.0),
        ]

    def _raise_cap(self, contract):
        """CA-01 by hand: Finance posts the cap's change entry (what an approved change
        order writes)."""
        self.env["q2c.contract.change.entry"].with_user(self.finance_user).create(
            {
                "contract_id": contract.id,
                "currency_id": contract.currency_id.id,
                "date": "2025-04-10",
                "name": "CA-01",
                "kind": "nte",
                "amount": 5000.0,
            }
        )
        self.assertAmount(contract.nte_amount, 55000.00)
        self.assertAmount(contract.nte_headroom, 5000.00)

    def _activities(self, contract):
        return self.env["mail.activity"].search(
            [("res_model", "=", "q2c.contract"), ("res_id", "=", contract.id)], order="id"
        )

    def _alerted(self, contract):
        return sorted(
            (alert.cap_amount, alert.threshold) for alert in contract.sudo().nte_alert_ids
        )

    def test_gc02_adjustment_mode(self):
        """GC-02, mode `adjustment`. March: every line in full, Erin 10.00 + 6.00 = 16.00 h
        x 200.00 = 3,200.00, Frank 8.00 + 4.00 = 12.00 h x 150.00 = 1,800.00; release =
        min(held 0.00, headroom 3,800.00) = 0.00; excess = max(0, 5,000.00 - 3,800.00) =
        1,200.00, one line -1,200.00; total 3,800.00. Billed to date 50,000.00, headroom
        0.00, held 1,200.00, all 28.00 h billed, the 100% alert (one activity).
        April, cap 55,000.00: headroom 5,000.00; release = min(1,200.00, 5,000.00) =
        1,200.00; excess = max(0, 1,000.00 - (5,000.00 - 1,200.00)) = 0.00: Erin 5.00 h x
        200.00 = 1,000.00 + release 1,200.00 = 2,200.00. Billed to date 52,200.00 (94.91%
        of the new cap: its 75% and 90% alert, once), headroom 2,800.00, held 0.00."""
        contract = self._capped_contract("adjustment")
        self.assertEqual(self._alerted(contract), [(50000.0, 75), (50000.0, 90)])
        self.assertEqual(len(self._activities(contract)), 1)
        self.assertIn("75%, 90%", self._activities(contract).summary)

        march = self._month(contract, "2025-03", self._march_rows(), post=False)
        invoice = march.invoice_ids
        self.assertInvoiceLines(
            invoice,
            [
                ("Erin - Senior Consultant, 2025-03-03..2025-03-17", 16.0, 200.0, 3200.00),
                ("Frank - Consultant, 2025-03-10..2025-03-24", 12.0, 150.0, 1800.00),
                ("Not-to-exceed limit adjustment (cap", 1.0, -1200.0, -1200.00),
            ],
        )
        self.assertAmount(invoice.amount_total, 3800.00)
        # A retried job bills nothing twice and alerts nothing twice.
        self._perform(march.line_ids.job_uuid)
        march.line_ids.with_user(self.finance_user)._bill_contract()
        self.assertEqual(march.invoice_ids, invoice)
        self.assertEqual(len(contract.nte_hold_ids), 1)
        march.with_user(self.finance_user).action_post()
        self.assertAmount(contract.nte_billed_amount, 50000.00)
        self.assertAmount(contract.nte_headroom, 0.00)
        self.assertAmount(contract.nte_held_amount, 1200.00)
        self.assertTrue(contract.is_over_cap)
        entries = self._time_of(self._march_rows())
        self.assertEqual(set(entries.mapped("q2c_billing_status")), {"billed"})
        self.assertAmount(sum(entries.mapped("unit_amount")), 28.0)
        self.assertEqual(self._alerted(contract)[-1], (50000.0, 100))
        self.assertEqual(len(self._activities(contract)), 2)

        self._raise_cap(contract)
        april = self._month(contract, "2025-04", [("a1", "Erin", "2025-04-07", 5.0)])
        self.assertInvoiceLines(
            april.invoice_ids,
            [
                ("Erin - Senior Consultant, 2025-04-07", 5.0, 200.0, 1000.00),
                (f"release of the amount held on {invoice.name}", 1.0, 1200.0, 1200.00),
            ],
        )
        self.assertAmount(april.invoice_ids.amount_total, 2200.00)
        self.assertAmount(contract.nte_billed_amount, 52200.00)
        self.assertAmount(contract.nte_headroom, 2800.00)
        self.assertAmount(contract.nte_held_amount, 0.00)
        release = contract.nte_hold_ids.filtered(lambda row: row.kind == "release")
        self.assertEqual(release.hold_id.invoice_id, invoice)
        self.assertEqual(
            self._alerted(contract),
            [(50000.0, 75), (50000.0, 90), (50000.0, 100), (55000.0, 75), (55000.0, 90)],
        )
        self.assertEqual(len(self._activities(contract)), 3)

        # A May run with nothing new bills nothing: the release is not billed twice.
        may = self._bill(
            "2025-05-01", "2025-05-31", "2025-06-03 10:00:00", "2025-06-03", contracts=contract
        )
        self.assertFalse(may.invoice_ids)
        self.assertEqual(len(self._activities(contract)), 3)

    def test_gc02_truncate_mode(self):
        """GC-02, variant `truncate`. March, entries by work date within the headroom
        3,800.00: 03-03 Erin 10.00 h = 2,000.00 (1,800.00 left), 03-10 Frank 8.00 h =
        1,200.00 (600.00 left), 03-17 Erin 6.00 h crosses the cap: 600.00 / 200.00 = 3.00 h
        billed, 3.00 h held; 03-24 Frank 4.00 h held (nte_held). Lines: Erin 13.00 h x
        200.00 = 2,600.00, Frank 8.00 h x 150.00 = 1,200.00; total 3,800.00; held 3.00 x
        200.00 + 4.00 x 150.00 = 1,200.00.
        April, cap 55,000.00, headroom 5,000.00: released first, oldest first: Erin (March
        work) 3.00 h x 200.00 = 600.00, Frank (March work) 4.00 h x 150.00 = 600.00, then
        Erin (April) 5.00 h x 200.00 = 1,000.00; total 2,200.00; billed to date 52,200.00."""
        contract = self._capped_contract("truncate")
        march = self._month(contract, "2025-03", self._march_rows())
        invoice = march.invoice_ids
        self.assertInvoiceLines(
            invoice,
            [
                ("Erin - Senior Consultant, 2025-03-03..2025-03-17", 13.0, 200.0, 2600.00),
                ("Frank - Consultant, 2025-03-10", 8.0, 150.0, 1200.00),
            ],
        )
        self.assertAmount(invoice.amount_total, 3800.00)
        self.assertAmount(contract.nte_billed_amount, 50000.00)
        self.assertAmount(contract.nte_held_amount, 1200.00)
        split, held = self._time_of(self._march_rows()[2:])
        self.assertEqual(split.q2c_billing_status, "billed")
        self.assertEqual(held.q2c_billing_status, "nte_held")
        self.assertFalse(held.q2c_invoice_line_id)
        holds = contract.nte_hold_ids.sorted("id")
        self.assertEqual(holds.mapped("hours"), [3.0, 4.0])
        self.assertEqual(holds.timesheet_id, split | held)

        # An edit at the source of an entry with held hours is refused with the reason
        # (it would bill them twice): Frank's 03-24 entry stays 4.00 h, held.
        edit = self._ingest_time_raw([(f"{self.key}-m4", "Frank", "2025-03-24", 3.0)])
        self.assertEqual(edit[0]["status"], "rejected")
        self.assertIn("held over the not-to-exceed cap", edit[0]["reason"])
        self.assertAmount(held.unit_amount, 4.0)

        self._raise_cap(contract)
        april_rows = [("a1", "Erin", "2025-04-07", 5.0)]
        april = self._month(contract, "2025-04", april_rows, post=False)
        lines = april.invoice_ids.invoice_line_ids.sorted("sequence")
        self.assertInvoiceLines(
            april.invoice_ids,
            [
                ("Erin - Senior Consultant, 2025-03-17 (held over the cap on", 3.0, 200.0, 600.00),
                ("Frank - Consultant, 2025-03-24 (held over the cap on", 4.0, 150.0, 600.00),
                ("Erin - Senior Consultant, 2025-04-07", 5.0, 200.0, 1000.00),
            ],
        )
        self.assertIn(invoice.name, lines[0].name)
        self.assertAmount(april.invoice_ids.amount_total, 2200.00)
        self.assertEqual(held.q2c_invoice_line_id, lines[1])
        # Cancelled before posting: Frank's 03-24 entry is held again by March's hold, and
        # a new April run releases the same 1,200.00 once.
        april.with_user(self.finance_user).action_cancel()
        self.assertEqual(held.q2c_billing_status, "nte_held")
        self.assertFalse(held.q2c_invoice_line_id)
        self.assertAmount(contract.nte_held_amount, 1200.00)
        april = self._month(contract, "2025-04", [])
        lines = april.invoice_ids.invoice_line_ids.sorted("sequence")
        self.assertEqual(lines.mapped("price_subtotal"), [600.0, 600.0, 1000.0])
        self.assertAmount(april.invoice_ids.amount_total, 2200.00)
        self.assertAmount(contract.nte_billed_amount, 52200.00)
        self.assertAmount(contract.nte_held_amount, 0.00)
        self.assertEqual(held.q2c_billing_status, "billed")
        self.assertEqual(held.q2c_invoice_line_id, lines[1])
        self.assertEqual(split.q2c_invoice_line_id.move_id, invoice)
        self.assertEqual(len(contract.nte_hold_ids.filtered(lambda row: row.kind == "release")), 2)

    def test_truncate_cancel_frees_the_held_entries(self):
        """Cancelling the March run (truncate) deletes its draft and its ledger rows: the
        held 03-24 entry is to bill again and a new March run bills the same 3,800.00 and
        holds the same 1,200.00, once."""
        contract = self._capped_contract("truncate")
        march = self._month(contract, "2025-03", self._march_rows(), post=False)
        march.with_user(self.finance_user).action_cancel()
        self.assertFalse(contract.nte_hold_ids)
        entries = self._time_of(self._march_rows())
        self.assertEqual(set(entries.mapped("q2c_billing_status")), {"to_bill"})
        again = self._bill(
            "2025-03-01", "2025-03-31", "2025-04-03 10:00:00", "2025-04-03", contracts=contract
        )
        self.assertAmount(again.invoice_ids.amount_total, 3800.00)
        self.assertAmount(contract.nte_held_amount, 1200.00)
        self.assertEqual(len(contract.nte_hold_ids), 2)

    def test_cap_not_raised_holds_more_and_credit_note_reopens(self):
        """Adjustment mode, cap not raised. April: headroom 0.00, held 1,200.00: release
        0.00, excess = 1,000.00 - 0.00 = 1,000.00: Erin 1,000.00 - 1,000.00 = 0.00, held
        2,200.00. A credit note of 500.00 on
        the March invoice, posted by an accountant, re-opens 500.00 of headroom (billed
        49,500.00), and the May run releases 500.00 of March's hold (held 1,700.00)."""
        contract = self._capped_contract("adjustment")
        march = self._month(contract, "2025-03", self._march_rows())
        april = self._month(contract, "2025-04", [("a1", "Erin", "2025-04-07", 5.0)])
        self.assertAmount(april.invoice_ids.amount_total, 0.00)
        self.assertAmount(contract.nte_held_amount, 2200.00)
        self.assertAmount(contract.nte_billed_amount, 50000.00)

        refund = march.invoice_ids._reverse_moves(
            [{"invoice_date": "2025-05-02", "ref": "goodwill"}]
        )
        fee_lines = refund.invoice_line_ids.filtered("q2c_cap_contract_id")
        self.assertEqual(len(fee_lines), 3)
        refund.invoice_line_ids[1:].unlink()
        refund.invoice_line_ids.write({"quantity": 1.0, "price_unit": 500.0})
        # Posted by an accountant without contract rights: the contract's figure follows.
        accountant = self.env(su=False).user
        self.assertFalse(accountant.has_group("q2c_contract.group_q2c_finance"))
        refund.with_user(accountant).action_post()
        self.assertAmount(contract.nte_billed_amount, 49500.00)
        self.assertAmount(contract.nte_headroom, 500.00)

        may = self._bill(
            "2025-05-01", "2025-05-31", "2025-06-03 10:00:00", "2025-06-03", contracts=contract
        )
        self.assertInvoiceLines(
            may.invoice_ids,
            [(f"release of the amount held on {march.invoice_ids.name}", 1.0, 500.0, 500.00)],
        )
        self.assertAmount(contract.nte_held_amount, 1700.00)

    def _ingest_time_raw(self, rows):
        """Deliver `rows` (id, who, date, hours) approved at the end of March; the results
        as ingestion gives them (rejections included)."""
        entries = [
            {
                "external_id": ext,
                "employee": f"u-{who}",
                "project": self.key,
                "date": day,
                "hours": hours,
                "description": "work",
                "approved_at": "2025-03-31T12:00:00Z",
            }
            for ext, who, day, hours in rows
        ]
        return self.env["account.analytic.line"].sudo()._q2c_ingest(self.system, entries)

    def _time_of(self, rows):
        return self.env["account.analytic.line"].browse(
            [self._time(f"{self.key}-{row[0]}").id for row in rows]
        )
