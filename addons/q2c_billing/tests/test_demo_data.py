from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestBillingDemoData(TransactionCase):
    def test_demo_company_bills_retainers(self):
        """With demo data, the main company has a retainer advances account (a current
        liability), so the demo retainer contract is not blocked in its first run."""
        module = self.env["ir.module.module"].search([("name", "=", "q2c_billing")])
        if not module.demo:
            self.skipTest("installed without demo data")
        account = self.env.ref("base.main_company").q2c_retainer_account_id
        self.assertTrue(account)
        self.assertEqual(account.account_type, "liability_current")
