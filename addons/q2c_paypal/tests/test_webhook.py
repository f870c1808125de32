import json
from unittest.mock import patch

from odoo.addons.q2c_paypal.models import q2c_system as paypal_system
from odoo.exceptions import UserError
from odoo.tests import Form, tagged
from odoo.tools import config

from .common import ACCESS_TOKEN, PayPalCase, pki, transmission_time


@tagged("post_install", "-at_install")
class TestPayPalWebhook(PayPalCase):
    """PayPal's signature over Odoo's HTTP server: real RSA signatures made with a test CA
    and a PayPal-named leaf certificate served by the stand-in (docs/saas-specs.md 4.2)."""

    def _event_body(self, capture_id="CAPHOOK1", amount=10.0):
        return json.dumps(self._capture_completed(capture_id, amount, invoice_id="INV/NONE"))

    def test_offline_signature_accepted_and_certificate_cached(self):
        """Two deliveries signed by the leaf: both stored; the certificate is downloaded
        once (then cached), and no token is asked for (offline needs no API call)."""
        for capture in ("CAPHOOK1", "CAPHOOK2"):
            response = self._post_paypal(self._event_body(capture))
            self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(len(self._paypal_events()), 2)
        self.assertEqual(len(self._seen("GET", "/certs/")), 1)
        self.assertFalse(self._seen("POST", "/v1/oauth2/token"))

    def _refusals(self):
        body = self._event_body()
        signed = self._signed_headers(body.encode())
        other_key = pki().inter_key
        missing = {k: v for k, v in signed.items() if k != "PAYPAL-TRANSMISSION-SIG"}
        return [
            ("forged body", body.replace("10.00", "99.00"), signed),
            ("wrong webhook id", body, {"webhook_id": "9XX99999XX999999X"}),
            ("stale transmission time", body, {"transmission_time": transmission_time(-400)}),
            (
                "transmission time in the future",
                body,
                {"transmission_time": transmission_time(400)},
            ),
            ("other key", body, {"key": other_key}),
            ("not a PayPal host", body, {"cert_url": "https://evil.example.com/certs/leaf.pem"}),
            (
                "PayPal lookalike host",
                body,
                {"cert_url": "https://api.paypal.com.evil.example/v1/notifications/certs/C-1"},
            ),
            ("plain http", body, {"cert_url": "http://api.paypal.com/v1/notifications/certs/C-1"}),
            ("untrusted root", body, {"cert_url": self._cert_url("untrusted.pem")}),
            ("not PayPal's name", body, {"cert_url": self._cert_url("wrong-name.pem")}),
            ("expired certificate", body, {"cert_url": self._cert_url("expired.pem")}),
            ("no certificate there", body, {"cert_url": self._cert_url("none.pem")}),
            ("no signature header", body, missing),
            ("other algorithm", body, {"PAYPAL-AUTH-ALGO": "SHA1withRSA"}),
            ("signature not base64", body, {"PAYPAL-TRANSMISSION-SIG": "not*base64"}),
        ]

    def test_refused_deliveries_store_nothing(self):
        for name, body, change in self._refusals():
            with self.subTest(name), self.assertNoLogs(level="ERROR"):
                headers = change if "Content-Type" in change else None
                overrides = {} if headers else change
                response = self._post_paypal(body, headers=headers, **overrides)
                self.assertEqual(response.status_code, 401, response.text)
        self.assertFalse(self._paypal_events())
        # Refused before anything was downloaded from a host that is not PayPal's.
        self.assertNotIn("evil", json.dumps([r["path"] for r in self.stand_in.seen]))

    def test_no_webhook_id_accepts_nothing(self):
        self.paypal.paypal_webhook_id = False
        self.assertEqual(self._post_paypal(self._event_body()).status_code, 401)
        self.assertFalse(self._paypal_events())

    def test_stand_in_host_needs_the_test_setting(self):
        """The stand-in's (http, 127.0.0.1) certificate URL is accepted only through the
        test setting, which is read only while Odoo runs its tests: a server without
        --test-enable refuses it even with the options set."""
        with patch.dict(config.options, {"test_enable": False}):
            self.assertEqual(self._post_paypal(self._event_body()).status_code, 401)
        with patch.dict(config.options, {paypal_system.TEST_ORIGIN_OPTION: ""}):
            self.assertEqual(self._post_paypal(self._event_body()).status_code, 401)
        self.assertFalse(self._paypal_events())
        self.assertFalse(self._seen("GET", "/certs/"))

    def test_replayed_delivery_is_stored_once(self):
        """The same signed delivery twice (inside the window): acknowledged both times,
        stored and processed once; the event id decides, not the transmission id."""
        body = self._event_body().encode()
        headers = self._signed_headers(body)
        first = self.url_open(self._paypal_url(), data=body, headers=headers)
        again = self.url_open(self._paypal_url(), data=body, headers=headers)
        event_id = json.loads(body)["id"]
        self.assertEqual(first.json()["events"], [{"id": event_id, "duplicate": False}])
        self.assertEqual(again.json()["events"], [{"id": event_id, "duplicate": True}])
        resent = self._post_paypal(body.decode())  # PayPal's own retry: a new transmission
        self.assertEqual(resent.json()["events"], [{"id": event_id, "duplicate": True}])
        self.assertEqual(len(self._paypal_events()), 1)

    def test_malformed_oversized_and_unknown_type(self):
        """Signed, but not an event (400), larger than the limit (413), or of a type q2c
        does not handle (200, nothing stored: PayPal re-sends refusals for days)."""
        self.paypal.max_body_bytes = 2048
        big = self._capture_completed("CAPBIG", 10.0)
        big["resource"]["note"] = "x" * 4000
        unknown = self._event("BILLING.SUBSCRIPTION.CREATED", {"id": "I-1"}, "subscription")
        cases = [
            ("not JSON", "{not json", 400),
            (
                "no resource",
                json.dumps({"id": "WH-1", "event_type": "PAYMENT.CAPTURE.COMPLETED"}),
                400,
            ),
            ("not an object", json.dumps(["WH-1"]), 400),
            ("oversized", json.dumps(big), 413),
            ("unknown type", json.dumps(unknown), 200),
        ]
        for name, payload, status in cases:
            with self.subTest(name):
                response = self._post_paypal(payload)
                self.assertEqual(response.status_code, status, response.text)
        self.assertEqual(self._post_paypal(json.dumps(unknown)).json()["events"], [])
        self.assertFalse(self._paypal_events())

    def test_online_verification(self):
        """Through PayPal's verify-webhook-signature API with the app's token: the raw body
        is sent verbatim as `webhook_event`, with our webhook id; PayPal's FAILURE is a
        refusal, and nothing is downloaded."""
        self.paypal.paypal_verification = "online"
        body = self._event_body()
        self.assertEqual(self._post_paypal(body).status_code, 200)
        token_calls = self._seen("POST", "/v1/oauth2/token")
        (verify,) = self._seen("POST", "/v1/notifications/verify-webhook-signature")
        self.assertEqual(len(token_calls), 1)
        self.assertEqual(verify["headers"]["Authorization"], f"Bearer {ACCESS_TOKEN}")
        sent = verify["body"].decode()
        self.assertTrue(sent.endswith(f'"webhook_event": {body}}}'), sent[-200:])
        self.assertEqual(json.loads(sent)["webhook_id"], "1JE4291016473214C")
        forged = body.replace("10.00", "99.00")
        headers = self._signed_headers(body.encode())
        self.assertEqual(self._post_paypal(forged, headers=headers).status_code, 401)
        self.assertEqual(
            self._post_paypal(self._event_body("CAPX"), webhook_id="OTHER").status_code, 401
        )
        self.assertEqual(len(self._paypal_events()), 1)
        self.assertFalse(self._seen("GET", "/certs/"))

    def test_online_verification_unreachable_refuses(self):
        """PayPal's verification API cannot be reached: the delivery is refused (401, PayPal
        sends it again later), nothing is stored."""
        self.paypal.write({"paypal_verification": "online", "outbound_max_tries": 1})
        self.paypal.base_url = "http://127.0.0.1:9"
        self.assertEqual(self._post_paypal(self._event_body()).status_code, 401)
        self.assertFalse(self._paypal_events())

    def test_api_base_url_on_the_form(self):
        """The PayPal system form shows *API Base URL* (docs/connectors/paypal.md, Set-up
        in Odoo): it can be written there, and calls then go to it, whatever the
        environment."""
        with Form(self.paypal) as form:
            form.base_url = "https://paypal-proxy.example.com"
        self.assertEqual(self.paypal.base_url, "https://paypal-proxy.example.com")
        self.assertEqual(self.paypal._paypal_url("/v1/oauth2/token"), "/v1/oauth2/token")
        form = Form(self.paypal)
        form.base_url = False
        form.save()
        self.assertTrue(self.paypal._paypal_url("/v1/x").startswith("https://api-m.sandbox."))

    def test_test_connection(self):
        """An OAuth token with the Client ID and Secret; a refused secret is said in a
        sentence naming PayPal's words."""
        self.paypal.api_password = "wrong-secret"
        with self.assertRaisesRegex(UserError, "Client ID and Secret"):
            self.paypal.action_test_connection()
        self.paypal.api_password = "EfGhClientSecret"
        self.assertEqual(self.paypal.action_test_connection()["params"]["type"], "success")
        self.assertEqual(len(self._seen("POST", "/v1/oauth2/token")), 2)
