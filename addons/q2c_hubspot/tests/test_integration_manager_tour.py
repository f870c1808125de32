from odoo.addons.q2c_base.tests.test_integration_user import expected_groups
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestIntegrationManagerTour(HttpCase):
    """An Integration Manager who is not an administrator sets up a HubSpot system in the
    browser: system, integration user, webhook URL, API key (issues 13.1 and 11.4)."""

    def test_integration_manager_sets_up_hubspot(self):
        manager = new_test_user(
            self.env,
            login="q2c_tour_manager",
            password="q2c_tour_manager",
            name="Tour Manager",
            email="tour.manager@example.com",
            groups="q2c_base.group_integration_manager",
        )
        self.assertFalse(manager.has_group("base.group_system"))
        self.start_tour(
            "/odoo/action-q2c_base.action_q2c_system/new",
            "q2c_hubspot_integration_manager",
            login="q2c_tour_manager",
        )
        system = self.env["q2c.system"].search([("name", "=", "HubSpot Tour")])
        self.assertEqual(system.system_type, "hubspot")
        user = system.user_id
        self.assertTrue(user, "the system has its integration user")
        declared = system._integration_user_groups()
        for xmlid in (
            "q2c_base.group_integration_user",
            "base.group_partner_manager",
            "project.group_project_manager",
            "q2c_contract.group_q2c_finance",
        ):
            self.assertIn(self.env.ref(xmlid), declared)
        self.assertEqual(user.groups_id, expected_groups(declared))
        self.assertTrue(user._is_q2c_integration_user())
        self.assertFalse(system._integration_user_missing_groups())
        keys = self.env["res.users.apikeys"].sudo().search([("user_id", "=", user.id)])
        self.assertEqual(len(keys), 1, "one API key of the integration user")
        self.assertTrue(keys.expiration_date, "the default key expires (1 year)")
