from odoo.tests import tagged

from .common import Q2cBillingCase

APPROVED = "2025-03-31T12:00:00Z"


@tagged("post_install", "-at_install")
class TestBlockedContracts(Q2cBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.consultant = cls._role("Consultant")
        cls.partner_role = cls._role("Partner")
        cls.gina = cls._employee("Gina", cls.consultant)
        cls.carol = cls._employee("Carol", cls.partner_role)
        cls.card = cls._card("Consultants only", [(cls.consultant, 160.0, "2025-01-01", None)])

    def test_entry_without_rate_blocks_its_contract_only(self):
        """Carol (Partner) has no rate on C-801's card: her approved 2.00 h block C-801 with
        a reason naming her entry (never billed at 0.00, never skipped), and nothing of
        C-801 is written; C-800 in the same run is invoiced: 6.00 h x 160.00 = 960.00."""
        good = self._contract("C-800", self._project("P-800"), cards=self.card)
        bad = self._contract("C-801", self._project("P-801"), cards=self.card)
        self._ingest_time("P-800", [("g1", "Gina", "2025-03-27", 6.0, APPROVED)])
        self._ingest_time(
            "P-801",
            [
                ("g2", "Gina", "2025-03-27", 1.0, APPROVED),
                ("c1", "Carol", "2025-03-12", 2.0, APPROVED),
            ],
        )
        self.assertEqual(self._time("c1").q2c_billing_status, "no_rate")
        run = self._bill(
            "2025-03-01", "2025-03-31", "2025-04-03 10:00:00", "2025-04-03", contracts=good | bad
        )
        by_contract = {line.contract_id: line for line in run.line_ids}
        self.assertEqual(by_contract[good].state, "done")
        self.assertAmount(by_contract[good].invoice_id.amount_total, 960.00)
        blocked = by_contract[bad]
        self.assertEqual(blocked.state, "blocked")
        self.assertFalse(blocked.invoice_id)
        self.assertIn("without a rate", blocked.reason)
        self.assertIn("Carol 2025-03-12 2.00 h", blocked.reason)
        self.assertFalse(self.env["account.move"].search([("q2c_contract_id", "=", bad.id)]))
        self.assertEqual(self._time("g2").q2c_billing_status, "to_bill")
        self.assertEqual(run.state, "invoiced")
        self.assertEqual(run.line_blocked_count, 1)

    def test_currency_without_rate_at_invoice_date_blocks(self):
        other = self.env.ref("base.CHF")
        other.active = True
        self.env["res.currency.rate"].search([("currency_id", "=", other.id)]).unlink()
        card = self.card.copy({"currency_id": other.id, "name": "CHF card"})
        contract = self._contract(
            "C-802", self._project("P-802"), cards=card, currency_id=other.id
        )
        run = self._bill(
            "2025-03-01", "2025-03-31", "2025-04-03 10:00:00", "2025-04-03", contracts=contract
        )
        self.assertEqual(run.line_ids.state, "blocked")
        self.assertIn("No exchange rate for CHF", run.line_ids.reason)

    def test_company_without_sales_journal_blocks(self):
        contract = self._contract("C-805", self._project("P-805"), cards=self.card)
        self._ingest_time("P-805", [("j1", "Gina", "2025-03-27", 1.0, APPROVED)])
        self.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", self.company.id)]
        ).active = False
        run = self._bill(
            "2025-03-01", "2025-03-31", "2025-04-03 10:00:00", "2025-04-03", contracts=contract
        )
        self.assertEqual(run.line_ids.state, "blocked")
        self.assertIn("no sales journal", run.line_ids.reason)
        self.assertEqual(self._time("j1").q2c_billing_status, "to_bill")

    def test_billing_model_not_billed_yet_is_blocked_by_name(self):
        contract = self._contract("C-803", self._project("P-803"), cards=self.card)
        contract.billing_model = "progress"
        run = self._bill(
            "2025-03-01", "2025-03-31", "2025-04-03 10:00:00", "2025-04-03", contracts=contract
        )
        self.assertEqual(run.line_ids.state, "blocked")
        self.assertIn("Progress billing", run.line_ids.reason)

    def test_contract_on_hold_is_blocked_with_its_state_in_words(self):
        """A contract put on hold is not billed; the reason names its state as the contract
        form shows it ("On Hold"), not the stored value."""
        contract = self._contract("C-809", self._project("P-809"), cards=self.card)
        self._ingest_time("P-809", [("h1", "Gina", "2025-03-10", 1.0, APPROVED)])
        contract._q2c_guarded_write({"state": "on_hold"})
        run = self._bill(
            "2025-03-01", "2025-03-31", "2025-04-03 10:00:00", "2025-04-03", contracts=contract
        )
        self.assertEqual(run.line_ids.state, "blocked")
        self.assertIn("is On Hold: only active contracts are billed", run.line_ids.reason)

    def test_nothing_to_bill_is_done_without_invoice(self):
        contract = self._contract("C-804", self._project("P-804"), cards=self.card)
        run = self._bill(
            "2025-03-01", "2025-03-31", "2025-04-03 10:00:00", "2025-04-03", contracts=contract
        )
        self.assertEqual((run.line_ids.state, run.line_ids.invoice_id.id), ("done", False))
        self.assertIn("Nothing to bill", run.line_ids.reason)

    # ------------------------------------------------------------------ bad input (issue 14)

    def _nothing_written(self, contract, entry_ids):
        """No document of `contract`, its entries still to bill."""
        self.assertFalse(self.env["account.move"].search([("q2c_contract_id", "=", contract.id)]))
        for entry_id in entry_ids:
            self.assertEqual(self._time(entry_id).q2c_billing_status, "to_bill", entry_id)
            self.assertFalse(self._time(entry_id).q2c_invoice_line_id)

    def test_overlap_with_a_posted_run_blocks_that_contract_only(self):
        """C-810's March run (Gina 03-27 1.00 h x 160.00 = 160.00) is posted. A run over
        2025-03-15..2025-04-15 for C-810 and C-811: C-810 is blocked naming the March run
        and its 04-02 entry stays to bill; C-811 is billed: Gina 04-02 3.00 h x 160.00 =
        480.00."""
        held = self._contract("C-810", self._project("P-810"), cards=self.card)
        free = self._contract("C-811", self._project("P-811"), cards=self.card)
        self._ingest_time("P-810", [("o1", "Gina", "2025-03-27", 1.0, APPROVED)])
        march = self._bill(
            "2025-03-01", "2025-03-31", "2025-04-03 10:00:00", "2025-04-03", contracts=held
        )
        march.with_user(self.finance_user).action_post()
        self._ingest_time("P-810", [("o2", "Gina", "2025-04-02", 2.0, "2025-04-03T12:00:00Z")])
        self._ingest_time("P-811", [("o3", "Gina", "2025-04-02", 3.0, "2025-04-03T12:00:00Z")])
        run = self._bill(
            "2025-03-15", "2025-04-15", "2025-04-20 10:00:00", "2025-04-20", contracts=held | free
        )
        by_contract = {line.contract_id: line for line in run.line_ids}
        self.assertEqual(by_contract[held].state, "blocked")
        self.assertIn(march.name, by_contract[held].reason)
        self.assertFalse(by_contract[held].invoice_id)
        self.assertEqual(self._time("o2").q2c_billing_status, "to_bill")
        self.assertAmount(by_contract[free].invoice_id.amount_total, 480.00)
        self.assertEqual((run.state, run.line_blocked_count), ("invoiced", 1))

    def test_customer_of_another_company_blocks_that_contract_only(self):
        """C-812's customer was moved to another company after the contract was signed:
        blocked with the reason, nothing written; C-813 in the same run is billed: Gina
        03-27 2.00 h x 160.00 = 320.00."""
        elsewhere = self.env["res.partner"].create({"name": "Moved Ltd", "is_company": True})
        moved = self._contract(
            "C-812", self._project("P-812"), cards=self.card, partner_id=elsewhere.id
        )
        other = self._contract("C-813", self._project("P-813"), cards=self.card)
        self._ingest_time("P-812", [("n1", "Gina", "2025-03-27", 1.0, APPROVED)])
        self._ingest_time("P-813", [("n2", "Gina", "2025-03-27", 2.0, APPROVED)])
        elsewhere.company_id = self.env["res.company"].create({"name": "Other Co (billing test)"})
        run = self._bill(
            "2025-03-01",
            "2025-03-31",
            "2025-04-03 10:00:00",
            "2025-04-03",
            contracts=moved | other,
        )
        by_contract = {line.contract_id: line for line in run.line_ids}
        self.assertEqual(by_contract[moved].state, "blocked")
        self.assertIn("belongs to company Other Co (billing test)", by_contract[moved].reason)
        self._nothing_written(moved, ["n1"])
        self.assertAmount(by_contract[other].invoice_id.amount_total, 320.00)

    def test_locked_period_blocks_with_the_lock_named(self):
        """The run's invoice date 2025-04-03 is on or before a lock date of the company
        (sales, fiscal year, then hard lock, each set to 2025-04-30 in turn): the contract
        is blocked with the lock named, no draft invoice is left, its entry stays to bill
        (Odoo itself would silently date the invoice's entries after the lock). With the
        lock on 2025-03-31 instead, the same run bills it: 1.00 h x 160.00 = 160.00."""
        fields = ("sale_lock_date", "fiscalyear_lock_date", "hard_lock_date")
        for number, field in enumerate(fields):
            with self.subTest(lock=field):
                key = f"P-82{number}"
                contract = self._contract(f"C-82{number}", self._project(key), cards=self.card)
                self._ingest_time(key, [(f"l{number}", "Gina", "2025-03-27", 1.0, APPROVED)])
                self.company.write({other: False for other in fields[:-1]})
                self.company.write({field: "2025-04-30"})
                run = self._bill(
                    "2025-03-01",
                    "2025-03-31",
                    "2025-04-03 10:00:00",
                    "2025-04-03",
                    contracts=contract,
                )
                line = run.line_ids
                self.assertEqual(line.state, "blocked")
                self.assertIn("2025-04-03 is in a closed accounting period", line.reason)
                label = self.company.fields_get([field])[field]["string"]
                self.assertIn(label, line.reason)
                self.assertEqual(run.line_blocked_count, 1)
                self._nothing_written(contract, [f"l{number}"])
        contract = self._contract("C-829", self._project("P-829"), cards=self.card)
        self._ingest_time("P-829", [("l9", "Gina", "2025-03-27", 1.0, APPROVED)])
        self.company.sudo().write({"sale_lock_date": False, "fiscalyear_lock_date": False})
        self.env.cr.execute(
            "UPDATE res_company SET hard_lock_date = '2025-03-31' WHERE id = %s", [self.company.id]
        )
        self.company.invalidate_recordset()
        run = self._bill(
            "2025-03-01", "2025-03-31", "2025-04-03 10:00:00", "2025-04-03", contracts=contract
        )
        self.assertEqual(run.line_ids.state, "done", run.line_ids.reason)
        self.assertAmount(run.line_ids.invoice_id.amount_total, 160.00)

    def test_exchange_rate_is_checked_per_contract(self):
        """C-830 bills in CHF, whose only rate starts 2025-04-10, after the run's invoice date
        2025-04-03: blocked, nothing written; C-831 (company currency) in the same run is
        billed: 1.00 h x 160.00 = 160.00. With a rate of 2025-04-01 added, April's run
        (invoice date 2025-05-03) bills C-830's March entry: 1.00 h x CHF 160.00 = CHF
        160.00."""
        chf = self.env.ref("base.CHF")
        chf.active = True
        Rate = self.env["res.currency.rate"]
        Rate.search([("currency_id", "=", chf.id)]).unlink()
        Rate.create({"currency_id": chf.id, "name": "2025-04-10", "rate": 0.9})
        card = self.card.copy({"currency_id": chf.id, "name": "CHF card"})
        foreign = self._contract("C-830", self._project("P-830"), cards=card, currency_id=chf.id)
        local = self._contract("C-831", self._project("P-831"), cards=self.card)
        self._ingest_time("P-830", [("x1", "Gina", "2025-03-27", 1.0, APPROVED)])
        self._ingest_time("P-831", [("x2", "Gina", "2025-03-27", 1.0, APPROVED)])
        run = self._bill(
            "2025-03-01",
            "2025-03-31",
            "2025-04-03 10:00:00",
            "2025-04-03",
            contracts=foreign | local,
        )
        by_contract = {line.contract_id: line for line in run.line_ids}
        self.assertEqual(by_contract[foreign].state, "blocked")
        self.assertIn("No exchange rate for CHF", by_contract[foreign].reason)
        self._nothing_written(foreign, ["x1"])
        self.assertAmount(by_contract[local].invoice_id.amount_total, 160.00)

        Rate.create({"currency_id": chf.id, "name": "2025-04-01", "rate": 0.92})
        april = self._bill(
            "2025-04-01", "2025-04-30", "2025-05-03 10:00:00", "2025-05-03", contracts=foreign
        )
        invoice = april.line_ids.invoice_id
        self.assertEqual(april.line_ids.state, "done", april.line_ids.reason)
        self.assertEqual(invoice.currency_id, chf)
        self.assertAmount(invoice.amount_total, 160.00)
