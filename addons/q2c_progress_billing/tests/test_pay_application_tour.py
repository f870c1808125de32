from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestPayApplicationTour(HttpCase):
    """In the browser: the project manager enters the work and stored material of a pay
    application and submits it; Finance certifies it and creates its invoice. On the demo
    company (a chart of accounts and a retainage receivable account)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.ref("base.main_company")
        cls.pm = new_test_user(
            cls.env,
            login="q2c_tour_progress_pm",
            password="q2c_tour_progress_pm",
            groups="q2c_contract.group_q2c_project_manager",
        )
        cls.finance = new_test_user(
            cls.env,
            login="q2c_tour_progress_fin",
            password="q2c_tour_progress_fin",
            groups="q2c_contract.group_q2c_finance,account.group_account_invoice",
        )
        customer = cls.env["res.partner"].create({"name": "Owner (tour)", "is_company": True})
        project = cls.env["project.project"].create(
            {"name": "Tour site", "partner_id": customer.id, "user_id": cls.pm.id}
        )
        cls.contract = cls.env["q2c.contract"].create(
            {
                "name": "Tour building",
                "code": "K-TOUR",
                "partner_id": customer.id,
                "currency_id": company.currency_id.id,
                "billing_model": "progress",
                "project_ids": [Command.link(project.id)],
                "original_value": 300000.0,
                "retainage_percent": 10.0,
                "sov_line_ids": [
                    Command.create({"item_no": "1", "name": "Sitework", "original_value": 100000}),
                    Command.create({"item_no": "2", "name": "Steel", "original_value": 200000}),
                ],
            }
        )
        cls.contract.action_activate()
        app = (
            cls.env["q2c.pay.application"]
            .with_user(cls.pm)
            .create({"contract_id": cls.contract.id, "period_end": "2025-04-30"})
        )
        cls.app = cls.env["q2c.pay.application"].browse(app.id)

    def test_prepare_submit_certify_invoice(self):
        """20,000.00 of work and 5,000.00 stored, 10% retainage: 25,000.00 - 2,500.00 =
        22,500.00 applied for; 18,000.00 of work certified: 23,000.00 - 2,300.00 = 20,700.00
        certified (line 8), the invoice's total."""
        url = f"/odoo/action-q2c_progress_billing.action_q2c_pay_application/{self.app.id}"
        self.start_tour(url, "q2c_progress_prepare", login=self.pm.login)
        self.assertEqual(self.app.state, "submitted")
        self.assertEqual(self.app.submitted_by_id, self.pm)
        currency = self.app.currency_id
        self.assertFalse(currency.compare_amounts(self.app.payment_due, 22500.00))
        self.start_tour(url, "q2c_progress_certify", login=self.finance.login)
        self.assertEqual(self.app.state, "invoiced")
        self.assertEqual(self.app.certified_by_id, self.finance)
        # Certified 18,000.00 of work and the 5,000.00 stored: 23,000.00 - 2,300.00 =
        # 20,700.00, line 8 of the certificate; the applied figures stay as applied.
        row = self.app.line_ids.filtered(lambda ln: ln.item_no == "1")
        self.assertFalse(currency.compare_amounts(row.work_this_period, 20000.00))
        self.assertFalse(currency.compare_amounts(row.certified_work, 18000.00))
        self.assertFalse(currency.compare_amounts(self.app.payment_due, 22500.00))
        self.assertFalse(currency.compare_amounts(self.app.amount_certified, 20700.00))
        self.assertFalse(
            currency.compare_amounts(self.app.invoice_id.amount_total, self.app.amount_certified)
        )
        self.assertIn("18,000.00", self.app.certification_note)

    def test_amount_typed_is_kept(self):
        """Sitework, C = 100,000.00: E typed 12,345.70 shows 12.35% (12.3457% rounded) and is
        saved as 12,345.70, not round(100,000.00 x 12.35%) = 12,350.00 (billing-domain.md
        section 0: a displayed percent is never fed back)."""
        url = f"/odoo/action-q2c_progress_billing.action_q2c_pay_application/{self.app.id}"
        self.start_tour(url, "q2c_progress_exact_amount", login=self.pm.login)
        row = self.app.line_ids.filtered(lambda ln: ln.item_no == "1")
        self.assertFalse(self.app.currency_id.compare_amounts(row.work_this_period, 12345.70))
