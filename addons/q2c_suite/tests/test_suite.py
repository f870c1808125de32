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
