import json
import time

from odoo.addons.q2c_hubspot import hubspot
from odoo.tests import tagged

from .common import CLIENT_SECRET, HubSpotCase


@tagged("post_install", "-at_install")
class TestHubSpotMalformedInput(HubSpotCase):
    """Malformed signature headers and ids on HubSpot's webhook: 401 for signatures and
    timestamps, 400 for ids, never 500; no ERROR logged, nothing stored (issue 12, item 4)."""

    def _assert_refused(self, label, status, send):
        with self.subTest(case=label):
            with self.assertNoLogs(level="ERROR"):
                response = send()
            self.assertEqual(response.status_code, status, response.text[:300])
            self.assertFalse(self._events(self.hubspot))

    def test_malformed_signature_headers(self):
        """v3 timestamps must be at most 16 ASCII digits, signatures ASCII of sane length;
        the legacy headers are read the same way when v1/v2 are allowed."""
        self.hubspot.hubspot_allow_legacy_signatures = True
        body = json.dumps([self._event(1, "9001")]).encode()
        now = str(int(time.time() * 1000))
        good = hubspot.signature_v3(CLIENT_SECRET, "POST", self.hubspot.webhook_url, body, now)
        v3 = {"X-HubSpot-Signature-v3": good, "X-HubSpot-Request-Timestamp": now}
        cases = [
            ("timestamp of 5,000 digits", {**v3, "X-HubSpot-Request-Timestamp": "9" * 5000}),
            ("timestamp of 4,000 digits", {**v3, "X-HubSpot-Request-Timestamp": "1" * 4000}),
            (
                "Arabic-Indic digits",
                {**v3, "X-HubSpot-Request-Timestamp": "١٢٣".encode()},
            ),
            # Sent as the Latin-1 byte 0xB2, read back as '²', which str.isdigit() takes.
            ("superscript digit", {**v3, "X-HubSpot-Request-Timestamp": b"\xb2"}),
            ("NUL byte in the timestamp", {**v3, "X-HubSpot-Request-Timestamp": now + "\x00"}),
            ("non-ASCII v3 signature", {**v3, "X-HubSpot-Signature-v3": f"{good}é".encode()}),
            ("very long v3 signature", {**v3, "X-HubSpot-Signature-v3": "A" * 5000}),
            ("non-ASCII v1 signature", {"X-HubSpot-Signature": "é".encode()}),
            (
                "NUL byte in the version",
                {"X-HubSpot-Signature": "ab", "X-HubSpot-Signature-Version": "v1\x00"},
            ),
        ]
        url = self._url(self.hubspot)
        for label, signed in cases:
            headers = {"Content-Type": "application/json", **signed}
            self._assert_refused(
                label, 401, lambda h=headers: self.url_open(url, data=body, headers=h)
            )

    def test_query_string_that_is_not_utf8(self):
        """The signed URI includes the query as received: bytes that are not UTF-8 cannot
        match HubSpot's signature (401), they must not break the verifier."""
        body = json.dumps([self._event(2, "9001")]).encode()
        now = str(int(time.time() * 1000))
        signature = hubspot.signature_v3(
            CLIENT_SECRET, "POST", self.hubspot.webhook_url, body, now
        )
        request = (
            f"POST {self._url(self.hubspot)}?x=\xff HTTP/1.1\r\n"
            "Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nX-HubSpot-Signature-v3: {signature}\r\n"
            f"X-HubSpot-Request-Timestamp: {now}\r\nConnection: close\r\n\r\n"
        ).encode("latin-1") + body
        answer = self._send_raw(request)
        self.assertTrue(answer.startswith(b"HTTP/1.1 401"), answer[:200])
        self.assertFalse(self._events(self.hubspot))

    def test_malformed_event_ids(self):
        """Signed, so verified; but an id the database cannot keep is 400, not 500."""
        cases = [
            ("NUL byte in the event id", [{**self._event(3, "9001"), "eventId": "3\u0000"}]),
            (
                "event id of 5,000 characters",
                [{**self._event(4, "9001"), "eventId": "".join(f"{n:x}" for n in range(1400))}],
            ),
            ("NUL byte in the type", [{**self._event(5, "9001"), "subscriptionType": "d\u0000"}]),
            ("type that is not text", [{**self._event(6, "9001"), "subscriptionType": ["x"]}]),
        ]
        for label, events in cases:
            self._assert_refused(label, 400, lambda events=events: self._post_hubspot(events))
