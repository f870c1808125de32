from odoo import Command
from odoo.exceptions import UserError
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

    def test_posted_run_invoice_is_not_reset_to_draft(self):
        run = self._march(self._contract_with_time("F4"))
        run.with_user(self.finance_user).action_post()
        with self.assertRaisesRegex(UserError, "credit note"):
            run.invoice_ids.with_user(self.finance_user).button_draft()

    def test_day_rate_bills_days(self):
        """A day rate of 1,200.00 for 8 hours a day: 8.00 h + 4.00 h = 12.00 h = 1.50 days,
        1.50 x 1,200.00 = 1,800.00 (billing-domain.md 1.1, round(hours / hours per day, 2))."""
        card = self.env["q2c.rate.card"].create(
            {
                "name": "Day card",
                "scope": "contract",
                "currency_id": self.currency.id,
                "company_id": self.company.id,
                "line_ids": [
                    Command.create(
                        {
                            "role_id": self.consultant.id,
                            "rate": 1200.0,
                            "unit": "day",
                            "hours_per_day": 8.0,
                            "date_from": "2025-01-01",
                        }
                    )
                ],
            }
        )
        contract = self._contract("F5", self._project("P-F5"), cards=card)
        self._ingest_time(
            "P-F5",
            [
                ("d1", "Gina", "2025-03-03", 8.0, APPROVED),
                ("d2", "Gina", "2025-03-04", 4.0, APPROVED),
            ],
        )
        run = self._march(contract)
        self.assertInvoiceLines(
            run.invoice_ids,
            [
                ("Gina - Consultant, 2025-03-03..2025-03-04", 1.5, 1200.0, 1800.00),
            ],
        )

    def test_day_rate_of_an_override_bills_days(self):
        """The day rate comes from the contract's override, its card is hourly: 6.00 h +
        6.00 h = 12.00 h = 1.50 days at 8 hours a day, 1.50 x 1,000.00 = 1,500.00 (not
        12.00 x 1,000.00: a run looks for day rates among the overrides too)."""
        card = self._card("Hourly card", [(self.consultant, 150.0, "2025-01-01", None)])
        contract = self._contract(
            "F6",
            self._project("P-F6"),
            cards=card,
            rate_override_ids=[
                Command.create(
                    {
                        "employee_id": self.gina.id,
                        "rate": 1000.0,
                        "unit": "day",
                        "hours_per_day": 8.0,
                        "date_from": "2025-01-01",
                    }
                )
            ],
        )
        self._ingest_time(
            "P-F6",
            [
                ("o1", "Gina", "2025-03-05", 6.0, APPROVED),
                ("o2", "Gina", "2025-03-06", 6.0, APPROVED),
            ],
        )
        run = self._march(contract)
        self.assertInvoiceLines(
            run.invoice_ids,
            [
                ("Gina - Consultant, 2025-03-05..2025-03-06", 1.5, 1000.0, 1500.00),
            ],
        )
