import json
import time

import requests
import stripe

from odoo.addons.q2c_base.tests.common import stand_in_server
from odoo.addons.q2c_stripe import signature
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import PREVIOUS_SECRET, SECRET, StripeCase


@tagged("post_install", "-at_install")
class TestStripeWebhook(StripeCase):
    """The Stripe-Signature check over Odoo's HTTP server, with headers made by the official
    `stripe` package (docs/saas-specs.md 1.2, 1.3)."""

    def test_sdk_vector(self):
        """The SDK's published vector (saas-specs 1.3) verifies with our code at its time,
        and is refused 300 s later; its rotation form (a zero v1 first) passes."""
        payload = '{"id":"evt_test_123","object":"event","type":"invoice.paid"}'
        good = "a4ebd5be24fc9c02e060e5021678e32bccbec86ad5af54ea7099320c1d92ec11"
        header = f"t=1700000000,v1={good}"
        signature.verify(header, payload.encode(), ["whsec_test_secret"], 1700000000)
        rotated = f"t=1700000000,v1={'0' * 64},v1={good}"
        signature.verify(rotated, payload.encode(), ["whsec_test_secret"], 1700000300)
        with self.assertRaisesRegex(signature.SignatureError, "tolerance"):
            signature.verify(header, payload.encode(), ["whsec_test_secret"], 1700000301)
        # And the SDK agrees with the same vector.
        stripe.WebhookSignature.verify_header(payload, header, "whsec_test_secret", tolerance=None)

    def _intent_event(self):
        return self._intent_succeeded("pi_hook", 10.0, currency=self.currency.name.lower())

    def test_refused_deliveries_store_nothing(self):
        event = self._intent_event()
        payload = json.dumps(event)
        now = int(time.time())
        signed = stripe.WebhookSignature.generate_signature_header(payload, SECRET)
        v1 = signed.split("v1=")[1]
        v0_only = f"t={now},v0={v1}"
        cases = [
            ("forged body", {"event": payload.replace("10", "99"), "header": signed}, 401),
            ("stale timestamp", {"event": payload, "timestamp": now - 400}, 401),
            ("v0 only", {"event": payload, "header": v0_only}, 401),
            ("wrong secret", {"event": payload, "secret": "whsec_not_ours"}, 401),
            ("no header", {"event": payload, "header": ""}, 401),
            ("timestamp not a number", {"event": payload, "header": f"t=abc,v1={v1}"}, 401),
            ("no timestamp", {"event": payload, "header": f"v1={v1}"}, 401),
            ("non-ASCII signature", {"event": payload, "header": f"t={now},v1=é{v1}"}, 401),
        ]
        for name, kwargs, status in cases:
            with self.subTest(name), self.assertNoLogs(level="ERROR"):
                response = self._post_stripe(**kwargs)
                self.assertEqual(response.status_code, status, response.text)
        self.assertFalse(self._stripe_events())

    def test_rolled_secret_and_any_v1(self):
        """During a roll Stripe signs with both secrets: the header holds two v1; q2c keeps
        the previous secret valid for the grace period, and either signature passes."""
        self.stripe_system.webhook_secret = PREVIOUS_SECRET
        self.stripe_system.webhook_secret = SECRET
        event = self._intent_event()
        payload = json.dumps(event)
        now = int(time.time())
        old = stripe.WebhookSignature._compute_signature(f"{now}.{payload}", PREVIOUS_SECRET)
        new = stripe.WebhookSignature._compute_signature(f"{now}.{payload}", SECRET)
        header = f"t={now},v1={new},v1={old}"
        self.assertEqual(self._post_stripe(payload, header=header).status_code, 200)
        second = self._intent_succeeded("pi_hook2", 5.0, currency=self.currency.name.lower())
        self.assertEqual(self._post_stripe(second, secret=PREVIOUS_SECRET).status_code, 200)
        self.assertEqual(len(self._stripe_events()), 2)

    def test_malformed_oversized_and_other_mode(self):
        self.stripe_system.max_body_bytes = 2048
        big = self._intent_event()
        big["data"]["object"]["description"] = "x" * 4000
        other_mode = {**self._intent_event(), "livemode": True}
        cases = [
            ("not JSON", "{not json", 400),
            ("not an event", json.dumps({"id": "evt_1", "object": "charge", "type": "x"}), 400),
            ("no id", json.dumps({"object": "event", "type": "invoice.paid"}), 400),
            ("other mode", json.dumps(other_mode), 400),
            ("oversized", json.dumps(big), 413),
        ]
        for name, payload, status in cases:
            with self.subTest(name):
                self.assertEqual(self._post_stripe(payload).status_code, status)
        self.assertFalse(self._stripe_events())

    def test_unknown_type_is_acknowledged_and_not_stored(self):
        event = self._event("customer.created", {"id": "cus_1", "object": "customer"})
        response = self._post_stripe(event)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["events"], [])
        self.assertFalse(self._stripe_events())

    def test_same_event_twice_is_stored_once(self):
        event = self._intent_event()
        first, again = self._post_stripe(event), self._post_stripe(event)
        self.assertEqual(first.json()["events"], [{"id": event["id"], "duplicate": False}])
        self.assertEqual(again.json()["events"], [{"id": event["id"], "duplicate": True}])
        self.assertEqual(len(self._stripe_events()), 1)

    def test_test_connection(self):
        """GET /v1/balance with the secret key and the pinned API version; a refused key is
        said in a sentence."""
        refused = json.dumps(
            {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}}
        ).encode()
        balance = json.dumps({"object": "balance", "available": [], "pending": []}).encode()
        script = [(401, {}, refused, 0), (200, {}, balance, 0)]
        manager = self.env["res.users"].create(
            {
                "name": "Stripe manager",
                "login": "q2c_stripe_mgr",
                "company_id": self.company.id,
                "company_ids": [(6, 0, self.company.ids)],
                "groups_id": [(6, 0, [self.env.ref("q2c_base.group_integration_manager").id])],
            }
        )
        with stand_in_server(script) as (url, seen):
            self.stripe_system.base_url = url
            system = self.stripe_system.with_user(manager)
            with self.assertRaisesRegex(UserError, "Secret Key"):
                system.action_test_connection()
            self.assertEqual(system.action_test_connection()["params"]["type"], "success")
        self.assertEqual([r["path"] for r in seen], ["/v1/balance"] * 2)
        self.assertEqual(seen[1]["headers"]["Authorization"], "Bearer sk_test_123")
        self.assertEqual(seen[1]["headers"]["Stripe-Version"], "2026-10-28.endive")

    def test_retry_rules_of_the_sdk(self):
        """Stripe-Should-Retry decides when sent; else 409, 429 and 5xx are retried and
        other answers are not (saas-specs 1.8)."""

        def answer(status, should=None):
            response = requests.Response()
            response.status_code = status
            if should is not None:
                response.headers["Stripe-Should-Retry"] = should
            return response

        cases = [
            (answer(409), True),
            (answer(429), True),
            (answer(503), True),
            (answer(400), False),
            (answer(402), False),
            (answer(500, "false"), False),
            (answer(400, "true"), True),
            (answer(200, "true"), False),
        ]
        for response, expected in cases:
            with self.subTest(status=response.status_code, header=response.headers):
                transient, _wait = self.stripe_system._classify_response(response)
                self.assertEqual(transient, expected)
