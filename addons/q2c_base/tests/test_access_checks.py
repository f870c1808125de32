from unittest.mock import patch

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import Q2cCase

CREDENTIAL_WORDS = ("token", "secret", "password", "username", "key", "credential")


@tagged("post_install", "-at_install")
class TestAccessChecks(Q2cCase):
    """Methods acting with sudo() check the caller first; credentials stay out of the chatter
    and out of URLs (issue 12, items 2 and 5)."""

    def test_only_managers_regenerate_the_inbound_key(self):
        key = self.system.inbound_key
        # Following the record gives no right to act on it.
        self.system.message_subscribe(partner_ids=self.auditor.partner_id.ids)
        for user in (self.integration_user, self.auditor, self.employee):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.system.with_user(user).action_regenerate_inbound_key()
        self.assertEqual(self.system.inbound_key, key, "the webhook URL must still work")
        self.assertIs(self.system.with_user(self.manager).action_regenerate_inbound_key(), True)
        self.assertNotEqual(self.system.inbound_key, key)

    def test_only_managers_test_the_connection(self):
        """The test sends the stored token to the system: an Auditor may not make it."""
        made = []
        system_class = type(self.env["q2c.system"])
        with (
            patch.object(system_class, "_check_setup", lambda system: None),
            patch.object(system_class, "_test_connection", lambda system: made.append(system)),
        ):
            for user in (self.auditor, self.integration_user, self.employee):
                with self.subTest(user=user.login), self.assertRaises(AccessError):
                    self.system.with_user(user).action_test_connection()
            self.assertEqual(made, [], "no call may leave for a caller without the right")
            self.system.with_user(self.manager).action_test_connection()
        self.assertEqual(len(made), 1)

    def test_base_url_with_credentials_is_refused(self):
        system = self.system.with_user(self.manager)
        for url in ("https://user:pass@api.example.com", "admin:pw@api.example.com/v2"):
            with (
                self.subTest(url=url),
                self.assertRaisesRegex(ValidationError, "user name or password"),
            ):
                system.write({"base_url": url})
        system.write({"base_url": "https://api.example.com/v1?owner=a@b.com"})
        self.assertEqual(system.base_url, "https://api.example.com/v1?owner=a@b.com")

    def test_no_credential_is_tracked(self):
        """Tracking copies old and new values into the chatter, readable by followers."""
        for model in (name for name in self.env.registry if name.startswith("q2c.")):
            for name, field in self.env[model]._fields.items():
                if getattr(field, "tracking", None):
                    with self.subTest(field=f"{model}.{name}"):
                        self.assertFalse(any(word in name for word in CREDENTIAL_WORDS))

    def test_username_change_is_noted_without_its_value(self):
        system = self.system.with_user(self.manager).with_context(tracking_disable=False)
        system.write({"api_username": "3MVG9consumer-key-value"})
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT count(*) FROM mail_message m LEFT JOIN mail_tracking_value t "
            "ON t.mail_message_id = m.id WHERE m.model = 'q2c.system' AND m.res_id = %s AND "
            "(m.body::text LIKE %s OR t.old_value_char LIKE %s OR t.new_value_char LIKE %s)",
            [self.system.id, *["%consumer-key-value%"] * 3],
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.assertIn("API Username changed.", self.system.message_ids[0].body)
