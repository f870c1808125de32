import json
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessDenied
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestIntegrationUserLogin(HttpCase):
    """Integration users act for an external system and never sign in as a person."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.integration_user = new_test_user(
            cls.env,
            login="q2c_integration",
            password="Integration-Pass-1",
            groups="base.group_user,q2c_base.group_integration_user",
        )
        cls.manager = new_test_user(
            cls.env,
            login="q2c_manager",
            password="Manager-Pass-1",
            groups="base.group_user,q2c_base.group_integration_manager",
        )

    def _authenticate(self, login, password):
        """POST the web client's JSON-RPC login through the real HTTP server."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {"db": self.env.cr.dbname, "login": login, "password": password},
        }
        response = self.url_open(
            "/web/session/authenticate",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        return response.json()

    def test_integration_user_cannot_log_in_on_the_web(self):
        with self.assertLogs("odoo.http", level="WARNING") as logs:
            answer = self._authenticate("q2c_integration", "Integration-Pass-1")
        self.assertIn("error", answer)
        self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.AccessDenied")
        self.assertIn("Integration users cannot log in interactively.", logs.output[0])

    def test_manager_logs_in_on_the_web(self):
        answer = self._authenticate("q2c_manager", "Manager-Pass-1")
        self.assertNotIn("error", answer)
        self.assertEqual(answer["result"]["uid"], self.manager.id)

    def test_integration_user_rpc_needs_an_api_key(self):
        users = self.env["res.users"].with_user(self.integration_user)
        with self.assertRaises(AccessDenied):
            users.check(self.env.cr.dbname, self.integration_user.id, "Integration-Pass-1")
        key = (
            self.env["res.users.apikeys"]
            .with_user(self.integration_user)
            ._generate(None, "q2c test key", fields.Datetime.now() + timedelta(days=1))
        )
        # Raises AccessDenied if the key is refused.
        users.check(self.env.cr.dbname, self.integration_user.id, key)

    def test_groups_hierarchy(self):
        admin = self.env.ref("base.user_admin")
        self.assertTrue(admin.has_group("q2c_base.group_integration_manager"))
        self.assertFalse(self.integration_user.has_group("q2c_base.group_integration_manager"))
        self.assertFalse(self.integration_user.has_group("q2c_base.group_auditor"))
