from pathlib import Path

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestSuite(TransactionCase):
    def test_suite_depends_on_every_q2c_addon(self):
        """A q2c addon left out of the suite would be missing from `make run`."""
        addons_dir = Path(__file__).resolve().parents[2]
        on_disk = {
            path.parent.name
            for path in addons_dir.glob("q2c_*/__manifest__.py")
            if path.parent.name != "q2c_suite"
        }
        suite = self.env["ir.module.module"].search([("name", "=", "q2c_suite")])
        depends = set(suite.dependencies_id.mapped("name"))
        self.assertTrue(on_disk, "no q2c addon found beside q2c_suite")
        self.assertEqual(on_disk - depends, set(), "q2c addons missing from q2c_suite's depends")

    def test_every_q2c_addon_is_installed(self):
        modules = self.env["ir.module.module"].search([("name", "=like", "q2c\\_%")])
        self.assertTrue(modules)
        self.assertEqual(set(modules.mapped("state")), {"installed"})

    def test_crm_connectors_need_no_payments(self):
        """A firm syncing deals from its CRM without payments through q2c installs no
        payments stack: the account-standing write-back is in the bridges
        q2c_<crm>_payment (auto_install), not in the connectors."""
        modules = self.env["ir.module.module"]
        for name in ("q2c_hubspot", "q2c_salesforce"):
            with self.subTest(addon=name):
                connector = modules.search([("name", "=", name)])
                upstream = connector.upstream_dependencies(exclude_states=("uninstallable",))
                self.assertIn("q2c_crm", upstream.mapped("name"))
                self.assertFalse(
                    {"q2c_payment", "account_reconcile_oca"} & set(upstream.mapped("name"))
                )
                bridge = modules.search([("name", "=", f"{name}_payment")])
                self.assertTrue(bridge.auto_install)
                self.assertEqual(set(bridge.dependencies_id.mapped("name")), {name, "q2c_payment"})
