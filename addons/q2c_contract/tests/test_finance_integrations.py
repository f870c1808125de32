from odoo.addons.base.models.res_users import name_selection_groups
from odoo.addons.q2c_base.exceptions import PermanentError
from odoo.addons.q2c_base.tests.common import Q2cCase
from odoo.tests import new_test_user, tagged


@tagged("post_install", "-at_install")
class TestFinanceWatchesIntegrations(Q2cCase):
    """Finance (Contracts) reaches the integration dashboard, reads why an event died and
    replays it, with nothing but its Contracts role."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.finance = new_test_user(
            cls.env,
            login="q2c_fin_tour",
            password="q2c_fin_tour",
            groups="q2c_contract.group_q2c_finance",
        )
        cls.tour_system = cls._create_system(name="Tour CRM")

    def test_contract_roles_are_a_selection_of_the_user_form(self):
        category = self.env.ref("q2c_contract.module_category_q2c_contract")
        kind, groups = next(
            (kind, groups)
            for app, kind, groups, _heading in self.env["res.groups"].get_groups_by_application()
            if app == category
        )
        self.assertEqual(kind, "selection")
        pm = self.env.ref("q2c_contract.group_q2c_project_manager")
        self.assertEqual(groups, pm | self.env.ref("q2c_contract.group_q2c_finance"))
        self.assertEqual(category.parent_id, self.env.ref("q2c_base.module_category_q2c_root"))
        self.env["res.groups"]._update_user_groups_view()
        admin = self.env.ref("base.user_admin")
        arch = (
            self.env["res.users"]
            .with_user(admin)
            .get_views([(self.env.ref("base.view_users_form").id, "form")])
        )
        self.assertIn(f'name="{name_selection_groups(groups.ids)}"', arch["views"]["form"]["arch"])

    def test_finance_is_an_integration_operator(self):
        self.assertTrue(self.finance.has_group("q2c_base.group_integration_operator"))
        self.assertFalse(self.finance.has_group("q2c_base.group_integration_manager"))
        visible = self.env["ir.ui.menu"].with_user(self.finance)._visible_menu_ids()
        self.assertIn(self.env.ref("q2c_base.menu_q2c_dashboard").id, visible)
        self.assertNotIn(self.env.ref("q2c_base.menu_q2c_config").id, visible, "no configuration")

    def test_finance_replays_a_dead_event_from_the_dashboard(self):
        def refused(event):
            raise PermanentError("Tour CRM refused GET /deals/7: HTTP 401 {}", status=401)

        def applied(event):
            return event.env["q2c.event"]

        with self._handler("test.tour", refused):
            self._post({"id": "tour-dead-1", "type": "test.tour"}, system=self.tour_system)
            event = self._events(self.tour_system)
            self._run_job_like_the_runner(event)
        self.assertEqual(event.state, "dead")
        self.start_tour(
            "/odoo/action-q2c_base.action_q2c_dashboard",
            "q2c_dashboard_replay",
            login="q2c_fin_tour",
        )
        self.assertEqual(event.state, "queued", "re-queued by the replay")
        self.assertIn("The API token was renewed", event.message_ids[0].body)
        with self._handler("test.tour", applied):
            self._run_job_like_the_runner(event)
        self.assertEqual(event.state, "done")
