import json
import time

from odoo.addons.q2c_hubspot import hubspot
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import CLIENT_SECRET, HubSpotCase, crm_data, fake_hubspot


@tagged("post_install", "-at_install")
class TestHubSpotWebhook(HubSpotCase):
    def test_refused_requests_store_nothing(self):
        now = int(time.time() * 1000)
        cases = [
            # A minute beyond the window: the server's clock moves on while the test runs.
            ("stale timestamp", {"timestamp": now - 360_000}, 401),
            ("future timestamp", {"timestamp": now + 360_000}, 401),
            ("wrong secret", {"secret": "not-the-secret"}, 401),
            ("v1 only", {"headers": {"X-HubSpot-Signature-v3": ""}}, 401),
        ]
        for name, kwargs, status in cases:
            with self.subTest(name):
                response = self._post_hubspot([self._event(1, "9001")], **kwargs)
                self.assertEqual(response.status_code, status)
        self.assertFalse(self._events(self.hubspot))

    def test_malformed_batches_are_400(self):
        cases = [
            ("not an array", {"eventId": 1}),
            ("no event id", [{"subscriptionType": "deal.creation", "portalId": 62515}]),
            ("other portal", [{**self._event(2, "9001"), "portalId": 1}]),
        ]
        for name, events in cases:
            with self.subTest(name):
                self.assertEqual(self._post_hubspot(events).status_code, 400)
        self.assertFalse(self._events(self.hubspot))

    def test_legacy_v1_only_when_allowed(self):
        body = json.dumps([self._event(3, "9001")]).encode()
        headers = {
            "Content-Type": "application/json",
            "X-HubSpot-Signature": hubspot.signature_v1(CLIENT_SECRET, body),
            "X-HubSpot-Signature-Version": "v1",
        }
        url = self._url(self.hubspot)
        self.assertEqual(self.url_open(url, data=body, headers=headers).status_code, 401)
        self.hubspot.hubspot_allow_legacy_signatures = True
        self.assertEqual(self.url_open(url, data=body, headers=headers).status_code, 200)
        self.assertEqual(self._events(self.hubspot).external_id, "62515-3")

    def test_legacy_v2_signature_over_the_public_url(self):
        """v2 signs method + URI + body with no timestamp: the URI is the public webhook URL
        HubSpot called, query string included, not the address Odoo sees behind a proxy."""
        self.env["ir.config_parameter"].set_param("web.base.url", "https://odoo.example.com")
        self.hubspot.invalidate_recordset(["webhook_url"])
        self.hubspot.hubspot_allow_legacy_signatures = True
        path = self._url(self.hubspot)

        def post(event_id, signed_uri, query=""):
            body = json.dumps([self._event(event_id, "9001")]).encode()
            signature = hubspot.signature_v2(CLIENT_SECRET, "POST", signed_uri, body)
            headers = {
                "Content-Type": "application/json",
                "X-HubSpot-Signature": signature,
                "X-HubSpot-Signature-Version": "v2",
            }
            return self.url_open(path + query, data=body, headers=headers)

        public = self.hubspot.webhook_url
        self.assertEqual(public, f"https://odoo.example.com{path}")
        self.assertEqual(post(5, f"{self.base_url()}{path}").status_code, 401)
        self.assertEqual(post(6, public + "?portal=62515").status_code, 401)
        self.assertEqual(post(7, public).status_code, 200)
        self.assertEqual(post(8, public + "?portal=62515", "?portal=62515").status_code, 200)
        self.assertEqual(
            sorted(self._events(self.hubspot).mapped("external_id")), ["62515-7", "62515-8"]
        )
        self.hubspot.hubspot_allow_legacy_signatures = False
        self.assertEqual(post(9, public).status_code, 401)

    def test_batch_deduplicated_by_event_id(self):
        events = [self._event(10, "9001"), self._event(11, "9002")]
        first = self._post_hubspot(events)
        self.assertEqual(first.status_code, 200)
        self.assertEqual([e["duplicate"] for e in first.json()["events"]], [False, False])
        again = self._post_hubspot([self._event(11, "9002"), self._event(12, "9002")])
        self.assertEqual([e["duplicate"] for e in again.json()["events"]], [True, False])
        self.assertEqual(
            sorted(self._events(self.hubspot).mapped("external_id")),
            ["62515-10", "62515-11", "62515-12"],
        )

    def test_test_connection(self):
        refused = (401, {}, {"status": "error", "category": "INVALID_AUTHENTICATION"})
        with fake_hubspot(crm_data(), before=[refused]) as (url, seen):
            self.hubspot.base_url = url
            system = self.hubspot.with_user(self.manager)
            with self.assertRaisesRegex(UserError, "HTTP 401"):
                system.action_test_connection()
            self.assertEqual(system.action_test_connection()["params"]["type"], "success")
        self.assertEqual([r["path"] for r in seen], ["/crm/v3/objects/deals"] * 2)
        self.assertEqual(seen[1]["headers"]["Authorization"], "Bearer pat-test-token")
        # The set-up is checked before the API: the integration user needs an e-mail.
        self.integration_user.email = False
        with self.assertRaisesRegex(UserError, "no e-mail address"):
            self.hubspot.with_user(self.manager).action_test_connection()
        # Unreachable: said in a sentence, not a stack of connection errors.
        self.hubspot.write({"base_url": "http://127.0.0.1:9", "outbound_max_tries": 1})
        self.integration_user.email = "integration@example.com"
        with self.assertRaisesRegex(UserError, r"cannot reach http://127.0.0.1:9 \(Connection"):
            self.hubspot.with_user(self.manager).action_test_connection()
