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


@tagged("post_install", "-at_install")
class TestTimeToBillMenu(TransactionCase):
    def test_finance_reaches_time_to_bill(self):
        """Finance has no Timesheets app; Contracts > Billing > Time to Bill lists the
        approved time waiting for a run, grouped by contract, which Finance may read."""
        finance = self.env.ref("q2c_contract.group_q2c_finance")
        user = self.env["res.users"].create(
            {"name": "Finance reader", "login": "q2c.ttb", "groups_id": [(6, 0, finance.ids)]}
        )
        menu = self.env.ref("q2c_billing.menu_q2c_time_to_bill")
        visible = self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()
        self.assertIn(menu.id, visible)
        action = self.env.ref("q2c_billing.q2c_time_to_bill_action")
        self.assertIn("search_default_q2c_to_bill", action.context)
        self.env["account.analytic.line"].with_user(user).search(
            [("q2c_billing_status", "=", "to_bill")], limit=1
        )
