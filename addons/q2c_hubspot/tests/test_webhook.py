import json
import time

from odoo.addons.q2c_hubspot import hubspot, mapping
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
        self.assertEqual(
            self._events(self.hubspot).external_id,
            "62515-deal.propertyChange-9001-dealstage-1731400500456-3",
        )

    def test_legacy_v2_signature_over_the_public_url(self):
        """v2 signs method + URI + body with no timestamp: the URI is the public webhook URL
        HubSpot called, query string included, not the address Odoo sees behind a proxy."""
        self.hubspot.public_base_url = "https://odoo.example.com"
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
            sorted(self._events(self.hubspot).mapped("external_id")),
            sorted(mapping.event_key(self._event(n, "9001")) for n in (7, 8)),
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
            sorted(
                mapping.event_key(self._event(n, deal))
                for n, deal in ((10, "9001"), (11, "9002"), (12, "9002"))
            ),
        )

    def test_shared_event_id_for_different_deals_stores_both(self):
        """HubSpot documents `eventId` as not guaranteed to be unique: one signed batch with
        two events sharing eventId 20 for deals 9001 and 9002 stores both, each queued to
        read its own deal, and says so; HubSpot's next attempt of the same batch
        (attemptNumber 1) stores nothing more and says both are repeats."""
        batch = [self._event(20, "9001"), self._event(20, "9002")]
        first = self._post_hubspot(batch)
        self.assertEqual(first.status_code, 200, first.text)
        answered = first.json()["events"]
        self.assertEqual([e["duplicate"] for e in answered], [False, False])
        events = self._events(self.hubspot)
        self.assertEqual(len(events), 2, "one event per deal, not one per eventId")
        self.assertEqual(sorted(e["id"] for e in answered), sorted(events.mapped("external_id")))
        self.assertEqual(sorted(json.loads(e.payload)["objectId"] for e in events), [9001, 9002])
        self.assertEqual(set(events.mapped("state")), {"queued"})
        jobs = set(events.mapped("job_uuid"))
        self.assertEqual(len(jobs), 2, "each deal is read by its own job")
        retried = self._post_hubspot([{**event, "attemptNumber": 1} for event in batch])
        self.assertEqual([e["duplicate"] for e in retried.json()["events"]], [True, True])
        self.assertEqual(len(self._events(self.hubspot)), 2)

    def test_same_event_twice_in_one_batch_is_answered_as_stored(self):
        """The same event twice in one batch is stored once; the answer says the second
        copy is a repeat (before, both were answered new for one stored row)."""
        event = self._event(30, "9001")
        response = self._post_hubspot([event, event, self._event(31, "9001")])
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual([e["duplicate"] for e in response.json()["events"]], [False, True, False])
        self.assertEqual(len(self._events(self.hubspot)), 2)

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
