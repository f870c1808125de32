import base64
import datetime
import json

from odoo.addons.q2c_base.tests.common import stand_in_server
from odoo.addons.q2c_chargebee import auth
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import PASSWORD, ChargebeeCase


@tagged("post_install", "-at_install")
class TestChargebeeWebhook(ChargebeeCase):
    """HTTP Basic on the webhook over Odoo's HTTP server (docs/saas-specs.md 4.1): what is
    refused stores nothing; what is accepted is stored once per event id."""

    def _payment(self):
        invoice = self._invoice_obj()
        return self._payment_event("txn_hook", invoice, 10000, self._customer_obj())

    def test_spec_vector(self):
        """The spec's vector: webhook_user / secret_pass."""
        header = "Basic d2ViaG9va191c2VyOnNlY3JldF9wYXNz"
        self.assertEqual(auth.header("webhook_user", "secret_pass"), header)
        auth.verify(header, ["webhook_user:secret_pass"])
        with self.assertRaises(auth.AuthError):
            auth.verify(header, ["webhook_user:other"])

    def test_refused_deliveries_store_nothing(self):
        payload = json.dumps(self._payment())
        garbage = "Basic " + base64.b64encode(b"no colon here").decode()
        cases = [
            ("no header", {"header": ""}),
            ("wrong password", {"password": "guess"}),
            ("wrong username", {"username": "admin"}),
            ("empty password", {"password": ""}),
            ("bearer, not basic", {"header": f"Bearer {PASSWORD}"}),
            ("not base64", {"header": "Basic %%%"}),
            ("no colon", {"header": garbage}),
            ("oversized header", {"header": "Basic " + "A" * 2000}),
        ]
        for name, kwargs in cases:
            with self.subTest(name), self.assertNoLogs(level="ERROR"):
                response = self._post_cb(payload, **kwargs)
                self.assertEqual(response.status_code, 401, response.text)
        self.assertFalse(self._cb_events())

    def test_rotated_credentials_with_grace(self):
        """A new password: the old username and password stay accepted until the date the
        form shows, then are refused."""
        self.cb_system.chargebee_webhook_password = "new_pass"
        until = self.cb_system.webhook_secret_previous_until
        self.assertTrue(until)
        first, second, third = self._payment(), self._payment(), self._payment()
        self.assertEqual(self._post_cb(first, password="new_pass").status_code, 200)
        self.assertEqual(self._post_cb(second, password=PASSWORD).status_code, 200)
        self.cb_system.sudo().webhook_secret_previous_until = until - datetime.timedelta(days=2)
        self.assertEqual(self._post_cb(third, password=PASSWORD).status_code, 401)
        self.assertEqual(len(self._cb_events()), 2)

    def test_malformed_oversized_and_other_version(self):
        self.cb_system.max_body_bytes = 4096
        big = self._payment()
        big["content"]["invoice"]["notes"] = "x" * 5000
        v1 = {**self._payment(), "api_version": "v1"}
        no_content = {k: v for k, v in self._payment().items() if k != "content"}
        cases = [
            ("not JSON", "{not json", 400),
            ("not an event", json.dumps({"id": "ev_1", "object": "invoice"}), 400),
            ("no id", json.dumps({"object": "event", "event_type": "x", "content": {}}), 400),
            ("no content", json.dumps(no_content), 400),
            ("API v1", json.dumps(v1), 400),
            ("oversized", json.dumps(big), 413),
        ]
        for name, payload, status in cases:
            with self.subTest(name):
                self.assertEqual(self._post_cb(payload).status_code, status)
        self.assertFalse(self._cb_events())

    def test_unknown_type_is_acknowledged_and_not_stored(self):
        event = self._event("customer_created", {"customer": self._customer_obj()})
        response = self._post_cb(event)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["events"], [])
        self.assertFalse(self._cb_events())

    def test_replayed_event_is_stored_and_booked_once(self):
        """The same event id three times: stored once, its job books one payment."""
        event = self._payment()
        self._subscription_obj()
        answers = [self._post_cb(event).json()["events"][0]["duplicate"] for _i in range(3)]
        self.assertEqual(answers, [False, True, True])
        self.api.events[event["id"]] = event
        self._run(self._cb_events())
        self.assertEqual(self._cb_events().state, "done", self._cb_events().error)
        self.assertEqual(len(self._settlements(kind="payment")), 1)

    def test_api_base_url_on_the_form(self):
        """The Chargebee system form shows *API Base URL* next to the Site
        (docs/connectors/chargebee.md, Set-up in Odoo): written there, calls go to it
        instead of the site; emptied, to the site again."""
        with Form(self.cb_system) as form:
            form.base_url = "https://chargebee-proxy.example.com"
        self.assertEqual(self.cb_system._chargebee_url("/events/ev_1"), "/api/v2/events/ev_1")
        with Form(self.cb_system) as form:
            form.base_url = False
            form.chargebee_site = "acme-test"
        self.assertEqual(
            self.cb_system._chargebee_url("/events/ev_1"),
            "https://acme-test.chargebee.com/api/v2/events/ev_1",
        )

    def test_test_connection(self):
        """GET /api/v2/events?limit=1 with the API key as Basic username; a refused key is
        said in a sentence naming it."""
        refused = json.dumps(
            {
                "message": "Sorry, authentication failed",
                "api_error_code": "api_authentication_failed",
            }
        ).encode()
        script = [(401, {}, refused, 0), (200, {}, b'{"list": []}', 0)]
        manager = self.env["res.users"].create(
            {
                "name": "Chargebee manager",
                "login": "q2c_cb_mgr",
                "company_id": self.company.id,
                "company_ids": [(6, 0, self.company.ids)],
                "groups_id": [(6, 0, [self.env.ref("q2c_base.group_integration_manager").id])],
            }
        )
        with stand_in_server(script) as (url, seen):
            self.cb_system.base_url = url
            system = self.cb_system.with_user(manager)
            with self.assertRaisesRegex(UserError, "API Key"):
                system.action_test_connection()
            self.assertEqual(system.action_test_connection()["params"]["type"], "success")
        self.assertEqual([r["path"] for r in seen], ["/api/v2/events?limit=1"] * 2)
        key = base64.b64encode(b"test_cb_key:").decode()
        self.assertEqual(seen[1]["headers"]["Authorization"], f"Basic {key}")
