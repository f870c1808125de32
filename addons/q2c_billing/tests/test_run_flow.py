from odoo.tests import tagged

from .common import Q2cBillingCase

APPROVED = "2025-03-31T12:00:00Z"


@tagged("post_install", "-at_install")
class TestRunFlow(Q2cBillingCase):
    """States draft -> preparing -> review -> invoiced -> posted, auto-post, invoice terms."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.consultant = cls._role("Consultant")
        cls.gina = cls._employee("Gina", cls.consultant)
        cls.card = cls._card("Flow card", [(cls.consultant, 160.0, "2025-01-01", None)])

    def _contract_with_time(self, key, **values):
        contract = self._contract(key, self._project(f"P-{key}"), cards=self.card, **values)
        self._ingest_time(f"P-{key}", [(f"{key}-1", "Gina", "2025-03-27", 1.0, APPROVED)])
        return contract

    def _march(self, contracts):
        return self._bill(
            "2025-03-01", "2025-03-31", "2025-04-03 10:00:00", "2025-04-03", contracts=contracts
        )

    def test_prebill_review_stops_the_run_at_review(self):
        contract = self._contract_with_time("F1", prebill_review_required=True)
        run = self._march(contract)
        self.assertEqual(run.state, "review")
        as_finance = run.with_user(self.finance_user)
        as_finance.action_approve()
        self.assertEqual(run.state, "invoiced")
        as_finance.action_post()
        self.assertEqual((run.state, run.invoice_ids.state), ("posted", "posted"))
        with self.assertRaisesRegex(Exception, "Posted"):
            as_finance.action_post()

    def test_company_auto_post(self):
        self.company.q2c_billing_auto_post = True
        run = self._march(self._contract_with_time("F2"))
        self.assertEqual((run.state, run.invoice_ids.state), ("posted", "posted"))

    def test_invoice_carries_fiscal_position_and_payment_terms(self):
        self.customer.property_account_position_id = self.fiscal_pos_a
        run = self._march(self._contract_with_time("F3"))
        invoice = run.invoice_ids
        self.assertEqual(invoice.fiscal_position_id, self.fiscal_pos_a)
        self.assertEqual(invoice.invoice_payment_term_id, self.pay_terms_b)
        self.assertEqual(str(invoice.invoice_date), "2025-04-03")
        self.assertAmount(invoice.amount_total, 160.00)
