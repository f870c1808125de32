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

    def test_nothing_to_bill_is_done_without_invoice(self):
        contract = self._contract("C-804", self._project("P-804"), cards=self.card)
        run = self._bill(
            "2025-03-01", "2025-03-31", "2025-04-03 10:00:00", "2025-04-03", contracts=contract
        )
        self.assertEqual((run.line_ids.state, run.line_ids.invoice_id.id), ("done", False))
        self.assertIn("Nothing to bill", run.line_ids.reason)
