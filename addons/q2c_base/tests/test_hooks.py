import json
from unittest.mock import patch

import requests

from odoo.addons.q2c_base.exceptions import PermanentError, TransientError
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import Q2cCase


@tagged("post_install", "-at_install")
class TestConnectorHooks(Q2cCase):
    """The defaults of q2c.system's hooks and capability flags, as a connector finds them."""

    def test_generic_type_receives_webhooks_and_has_no_connection_test(self):
        self.assertEqual(self.env["q2c.system"]._fields["system_type"].selection[0][0], "generic")
        self.assertTrue(self.system.supports_webhook)
        self.assertFalse(self.system.supports_test_connection)
        # The set-up check comes first: the rights other installed addons declare.
        self.system.with_user(self.manager).action_grant_integration_user_groups()
        with self.assertRaisesRegex(UserError, "has no connection test"):
            self.system.with_user(self.manager).action_test_connection()

    def test_a_type_without_a_verifier_fails_closed(self):
        """A type whose addon adds no `_verify_request` refuses every delivery (401) and
        stores nothing, even one signed with the system's secret."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE q2c_system SET system_type = 'unverified' WHERE id = %s", (self.system.id,)
        )
        self.env.invalidate_all()
        url = f"/q2c/webhook/unverified/{self.system.inbound_key}"
        System = type(self.env["q2c.system"])
        compute = System._compute_feature_support_fields

        def declares_webhooks(systems):
            compute(systems)
            systems.filtered(lambda s: s.system_type == "unverified").supports_webhook = True

        with patch.object(System, "_compute_feature_support_fields", declares_webhooks):
            response = self._post(json.dumps({"id": "evt_1"}).encode(), url=url)
        self.assertEqual(response.status_code, 401, response.text)
        self.assertFalse(self._events())

    def test_a_type_that_receives_no_webhooks_has_no_webhook_url(self):
        """`supports_webhook` gates the route: a delivery to a system whose connector
        receives no webhooks is answered 404, like an unknown key, and nothing is stored."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE q2c_system SET system_type = 'pullonly' WHERE id = %s", (self.system.id,)
        )
        self.env.invalidate_all()
        url = f"/q2c/webhook/pullonly/{self.system.inbound_key}"
        response = self._post(json.dumps({"id": "evt_1"}).encode(), url=url)
        self.assertEqual(response.status_code, 404, response.text)
        self.assertFalse(self._events())

    def test_parsed_ids_and_payloads_are_stored_as_text(self):
        """A parser that gives a number as the event id and a dict as the payload: the event
        is new (not taken for a repeat), stored with the id's text and the payload's JSON."""
        Event = self.env["q2c.event"].sudo()
        parsed = [{"external_id": 42, "event_type": "q2c.ping", "payload": {"a": 1}}]
        ((external_id, event),) = Event._store_inbound(self.system, parsed, {})
        self.assertEqual(external_id, "42")
        self.assertTrue(event)
        self.assertEqual((event.external_id, json.loads(event.payload)), ("42", {"a": 1}))
        ((_id, repeat),) = Event._store_inbound(self.system, parsed, {})
        self.assertIsNone(repeat)

    def test_test_connection_failure_reads_the_error_attributes(self):
        system = self._create_system(name="Billing", base_url="http://127.0.0.1:9")
        try:
            requests.get("http://127.0.0.1:9", timeout=2)
        except requests.ConnectionError as refused:
            try:
                raise TransientError("Billing unreachable") from refused
            except TransientError as error:
                unreachable = error
        cases = [
            (unreachable, r"^Billing: cannot reach http://127.0.0.1:9 \(Connection refused\)"),
            (PermanentError("refused: HTTP 401", status=401), "credentials were refused"),
            (PermanentError("refused: HTTP 403", status=403), "credentials were refused"),
            (
                PermanentError("token: HTTP 400", status=400, vendor_code="invalid_client"),
                "credentials were refused",
            ),
            (PermanentError("refused: HTTP 404", status=404), "Nothing at that address"),
            (PermanentError("Billing: set the account id first."), r"^Billing: set the account"),
        ]
        for error, expected in cases:
            with self.subTest(error=str(error)):
                self.assertRegex(system._test_connection_failure(error), expected)
        plain_400 = PermanentError("refused: HTTP 400 bad query", status=400)
        self.assertEqual(system._test_connection_failure(plain_400), plain_400.reason)
