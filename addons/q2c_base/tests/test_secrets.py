from unittest.mock import patch

from odoo.addons.q2c_base import crypto
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import config

from .common import SECRET, Q2cCase


@tagged("post_install", "-at_install")
class TestSecrets(Q2cCase):
    def _columns(self, system):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT webhook_secret_enc, api_token_enc, api_password_enc FROM q2c_system "
            "WHERE id = %s",
            (system.id,),
        )
        return self.env.cr.fetchone()

    def test_database_never_holds_plaintext(self):
        system = self._create_system(api_token="tok_plain_123", api_password="pw_plain_456")
        columns = self._columns(system)
        for value, plaintext in zip(
            columns, (SECRET, "tok_plain_123", "pw_plain_456"), strict=True
        ):
            self.assertTrue(value.startswith(crypto.PREFIX))
            self.assertNotIn(plaintext, value)
        self.env.cr.execute(
            "SELECT count(*) FROM q2c_system WHERE row_to_json(q2c_system)::text LIKE %s",
            (f"%{SECRET}%",),
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.assertEqual(system._get_secret("api_token"), "tok_plain_123")

    def test_secrets_are_write_only(self):
        data = self.system.with_user(self.manager).read(
            ["webhook_secret", "api_token", "webhook_secret_set"]
        )[0]
        self.assertFalse(data["webhook_secret"])
        self.assertFalse(data["api_token"])
        self.assertTrue(data["webhook_secret_set"])
        with self.assertRaises(Exception):  # noqa: B017 - AccessError on a group-restricted field
            self.system.with_user(self.manager).read(["webhook_secret_enc"])

    def test_rotation_message_and_grace(self):
        self.system.with_user(self.manager).write(
            {"webhook_secret": "second", "secret_grace_hours": 2}
        )
        self.assertEqual(sorted(self.system._webhook_secrets()), sorted([SECRET, "second"]))
        self.assertTrue(self.system.webhook_secret_previous_until)
        self.assertIn("rotated", self.system.message_ids[0].body)

    def test_missing_key_is_a_clear_error_at_the_point_of_use(self):
        with (
            patch.dict(config.options, {"q2c_secret_key": ""}),
            patch.dict("os.environ", {}, clear=False) as env,
        ):
            env.pop("Q2C_SECRET_KEY", None)
            with self.assertRaisesRegex(UserError, "q2c_secret_key"):
                self.system.with_user(self.manager).webhook_secret = "new"
            with self.assertRaisesRegex(UserError, "q2c_secret_key"):
                self.system._get_secret("webhook_secret")
            # Inbound deliveries fail closed, without a crash.
            with self.assertLogs("odoo.addons.q2c_base.controllers.main", "WARNING"):
                response = self._post({"id": "no-key"})
            self.assertEqual(response.status_code, 401)

    def test_wrong_key_cannot_decrypt(self):
        with (
            patch.dict(config.options, {"q2c_secret_key": "another-key"}),
            self.assertRaisesRegex(UserError, "cannot be decrypted"),
        ):
            self.system._get_secret("webhook_secret")
