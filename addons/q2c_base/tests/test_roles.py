from lxml import etree

from odoo.addons.base.models.res_users import name_selection_groups
from odoo.addons.q2c_base.exceptions import PermanentError
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import Q2cCase

OPERATOR = "q2c_base.group_integration_operator"
MANAGER = "q2c_base.group_integration_manager"
AUDITOR = "q2c_base.group_auditor"


@tagged("post_install", "-at_install")
class TestRoles(Q2cCase):
    """Every q2c role is chosen in the standard user form; menus follow the role."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.operator = new_test_user(cls.env, login="q2c_op", groups=f"base.group_user,{OPERATOR}")

    def _application(self, category_xmlid):
        category = self.env.ref(category_xmlid)
        for app, kind, groups, _heading in self.env["res.groups"].get_groups_by_application():
            if app == category:
                return kind, groups
        return None, None

    def test_roles_are_selections_of_the_user_form(self):
        kind, groups = self._application("q2c_base.module_category_q2c")
        self.assertEqual(kind, "selection", "a chain, not checkboxes shown in debug mode only")
        self.assertEqual(groups, self.env.ref(OPERATOR) | self.env.ref(MANAGER))
        self.assertEqual(groups[0], self.env.ref(OPERATOR), "the lower level first")
        kind, groups = self._application("q2c_base.module_category_q2c_audit")
        self.assertEqual((kind, groups), ("selection", self.env.ref(AUDITOR)))
        technical = self.env.ref("q2c_base.group_integration_user")
        self.assertEqual(technical.category_id, self.env.ref("base.module_category_hidden"))

    def test_user_form_outside_debug_mode_offers_each_role(self):
        """The form as the administrator gets it without debug mode (no request here, so
        `base.group_no_one` is off): the selection of each q2c category is there, the
        technical group's field is not shown."""
        self.env["res.groups"]._update_user_groups_view()
        users = self.env["res.users"].with_user(self.env.ref("base.user_admin"))
        arch = users.get_views([(self.env.ref("base.view_users_form").id, "form")])["views"][
            "form"
        ]["arch"]
        shown = {
            node.get("name")
            for node in etree.fromstring(arch).iter("field")
            if node.get("invisible") not in ("True", "1")
        }
        for category in ("q2c_base.module_category_q2c", "q2c_base.module_category_q2c_audit"):
            _kind, groups = self._application(category)
            self.assertIn(name_selection_groups(groups.ids), shown)
        technical = self.env.ref("q2c_base.group_integration_user")
        self.assertFalse([name for name in shown if str(technical.id) in name.split("_")])

    def test_choosing_manager_makes_an_operator(self):
        user = new_test_user(self.env, login="q2c_chosen", groups="base.group_user")
        _kind, groups = self._application("q2c_base.module_category_q2c")
        field = name_selection_groups(groups.ids)
        user.write({field: self.env.ref(MANAGER).id})
        self.assertTrue(user.has_group(OPERATOR))
        self.assertTrue(user.has_group(MANAGER))
        user.write({field: self.env.ref(OPERATOR).id})
        self.assertFalse(user.has_group(MANAGER))

    def _visible(self, user, *xmlids):
        """Whether the web client shows each menu to `user`: the menu and all its parents
        are visible (what `load_menus` walks)."""
        visible = self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()

        def shown(menu):
            return not menu or (menu.id in visible and shown(menu.parent_id))

        return {xmlid: shown(self.env.ref(xmlid)) for xmlid in xmlids}

    def test_menus_follow_the_role(self):
        menus = (
            "q2c_base.menu_q2c_root",
            "q2c_base.menu_q2c_dashboard",
            "q2c_base.menu_q2c_events",
            "q2c_base.menu_q2c_exceptions",
            "q2c_base.menu_q2c_config",
            "q2c_base.menu_q2c_systems",
            "q2c_base.menu_q2c_external_refs",
        )
        everything = dict.fromkeys(menus, True)
        operator = dict(everything)
        for xmlid in menus[4:]:
            operator[xmlid] = False
        cases = {
            self.operator: operator,
            self.manager: everything,
            self.auditor: everything,
            self.employee: dict.fromkeys(menus, False),
            self.integration_user: dict.fromkeys(menus, False),
        }
        for user, expected in cases.items():
            with self.subTest(user=user.login):
                self.assertEqual(self._visible(user, *menus), expected)

    def test_operator_replays_but_neither_configures_nor_reads_payloads(self):
        def dies(event):
            raise PermanentError("refused", status=422)

        with self._handler("test.op", dies):
            self._post({"id": "op-1", "type": "test.op"})
            event = self._events().filtered(lambda e: e.external_id == "op-1")
            self._run_job_like_the_runner(event)
        self.assertEqual(event.state, "dead")
        as_operator = event.with_user(self.operator)
        self.assertTrue(as_operator.error_summary)
        with self.assertRaises(AccessError):
            as_operator.read(["payload"])
        with self.assertRaises(AccessError):
            as_operator.action_ignore("not for me")
        with self.assertRaises(AccessError):
            self.system.with_user(self.operator).write({"name": "Renamed"})
        self.system.with_user(self.operator).read(["dead_count", "last_error_summary"])
        as_operator.action_replay("fixed in the CRM")
        self.assertEqual(event.state, "queued")
        with self.assertRaises(AccessError):
            event.with_user(self.employee).action_replay("no")
