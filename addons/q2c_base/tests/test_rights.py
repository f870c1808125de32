from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import Q2cCase


@tagged("post_install", "-at_install")
class TestGroupRights(Q2cCase):
    """What each group can do, and that it can do nothing more."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_integration = new_test_user(
            cls.env,
            login="q2c_int_other",
            groups="base.group_user,q2c_base.group_integration_user",
        )
        cls.other_system = cls._create_system(
            name="Other system", user_id=cls.other_integration.id
        )
        store = cls.env["q2c.event"].sudo()._store_inbound
        cls.event = store(
            cls.system, [{"external_id": "e1", "event_type": "x", "payload": '{"a":1}'}], {}
        )[0][1]
        cls.other_event = store(
            cls.other_system, [{"external_id": "e2", "event_type": "x", "payload": "{}"}], {}
        )[0][1]
        cls.event.sudo().write({"state": "dead", "error": "boom"})

    def test_manager_configures_and_reads_payloads(self):
        systems = self.env["q2c.system"].with_user(self.manager)
        system = systems.create(
            {
                "name": "New",
                "system_type": "generic",
                "user_id": self.integration_user.id,
                "webhook_secret": "s",
            }
        )
        system.write({"base_url": "https://api.example.com"})
        self.assertLessEqual(self.system | self.other_system | system, systems.search([]))
        self.assertEqual(self.event.with_user(self.manager).payload, '{"a":1}')
        self.event.with_user(self.manager).action_ignore("known noise")
        with self.assertRaises(AccessError):
            self.event.with_user(self.manager).unlink()  # the inbox is an audit trail

    def test_auditor_reads_everything_changes_nothing(self):
        event = self.event.with_user(self.auditor)
        self.assertEqual(event.payload, '{"a":1}')
        self.assertEqual(
            len(self.env["q2c.event"].with_user(self.auditor).search([])),
            len(self.env["q2c.event"].search([])),
        )
        with self.assertRaises(AccessError):
            event.action_replay("no")
        with self.assertRaises(AccessError):
            self.system.with_user(self.auditor).write({"name": "renamed"})
        with self.assertRaises(AccessError):
            self.env["q2c.system"].with_user(self.auditor).create(
                {"name": "x", "system_type": "generic", "user_id": self.integration_user.id}
            )

    def test_integration_user_sees_only_its_system_and_no_payload(self):
        events = self.env["q2c.event"].with_user(self.integration_user)
        self.assertEqual(events.search([]), self.event)
        self.assertEqual(
            self.env["q2c.system"].with_user(self.integration_user).search([]), self.system
        )
        with self.assertRaises(AccessError):
            self.other_event.with_user(self.integration_user).read(["state"])
        with self.assertRaises(AccessError):
            self.event.with_user(self.integration_user).read(["payload"])
        with self.assertRaises(AccessError):
            self.event.with_user(self.integration_user).write({"error": "x"})
        with self.assertRaises(AccessError):
            self.system.with_user(self.integration_user).write({"webhook_secret": "mine"})

    def test_plain_employee_has_no_access(self):
        for model in (
            "q2c.system",
            "q2c.event",
            "q2c.outbound.log",
            "q2c.external.ref",
            "q2c.exception",
        ):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(self.employee).search([])

    def test_multi_company(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        user_b = new_test_user(
            self.env,
            login="q2c_int_b",
            groups="base.group_user,q2c_base.group_integration_user",
            company_id=company_b.id,
            company_ids=[company_b.id],
        )
        system_b = self._create_system(name="B system", company_id=company_b.id, user_id=user_b.id)
        manager_a = self.env["q2c.system"].with_user(self.manager)
        self.assertNotIn(system_b, manager_a.search([]))
        with self.assertRaises(AccessError):
            system_b.with_user(self.manager).read(["name"])
