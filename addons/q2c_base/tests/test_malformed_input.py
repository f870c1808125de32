import json
import time
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .. import signatures
from .common import SECRET, Q2cCase


@tagged("post_install", "-at_install")
class TestMalformedInput(Q2cCase):
    """Malformed client input on every q2c_base route (webhook intake, /q2c/health,
    /q2c/metrics) is answered with the status the route documents (404 unknown key, 401
    signature or timestamp, 400 malformed body or header), never 500: no ERROR is logged,
    nothing is stored (issue 12, item 4)."""

    def _assert_refused(self, label, status, send):
        """`send()` makes the request; it must answer `status`, log no ERROR, store nothing."""
        with self.subTest(case=label):
            before = self.env["q2c.event"].search_count([])
            with self.assertNoLogs(level="ERROR"):
                response = send()
            self.assertEqual(response.status_code, status, response.text[:300])
            self.assertEqual(self.env["q2c.event"].search_count([]), before)

    def test_webhook_url(self):
        """The type and key of the URL: a NUL byte or a very long value is an unknown key."""
        key = self.system.inbound_key
        cases = [
            ("NUL byte in the key", f"/q2c/webhook/generic/{key}%00"),
            ("NUL byte in the type", f"/q2c/webhook/gen%00eric/{key}"),
            ("very long key", f"/q2c/webhook/generic/{'k' * 5000}"),
            ("very long type", f"/q2c/webhook/{'g' * 5000}/{key}"),
            ("non-ASCII key", f"/q2c/webhook/generic/{key}%C3%A9"),
            ("percent-encoded slash", f"/q2c/webhook/generic/{key}%2F..%2F"),
        ]
        for label, url in cases:
            self._assert_refused(label, 404, lambda url=url: self._post({"id": "u1"}, url=url))

    def test_signature_header(self):
        """X-Q2C-Signature: `t` must be ASCII digits of a sane length, `v1` hex: else 401."""
        body = json.dumps({"id": "s1"}).encode()
        now = int(time.time())
        good = signatures.sign(SECRET, body, now)
        digest = good.partition(",v1=")[2]
        cases = [
            ("non-ASCII signature value", f"t={now},v1={digest[:-1]}é".encode()),
            ("only a non-ASCII signature", f"t={now},v1=é".encode()),
            ("timestamp of 5,000 digits", f"t={'9' * 5000},v1={digest}"),
            ("timestamp of 4,000 digits", f"t={'1' * 4000},v1={digest}"),
            ("Arabic-Indic digits", f"t=١٢٣,v1={digest}".encode()),
            ("superscript digit (Latin-1)", f"t=\xb2,v1={digest}".encode("latin-1")),
            ("NUL byte in the header", f"t={now},v1={digest}\x00"),
            ("very long header", f"t={now},v1={digest}," + "v1=00," * 2000),
            ("very long signature", f"t={now},v1={'a' * 5000}"),
            ("no timestamp", f"v1={digest}"),
        ]
        for label, header in cases:
            self._assert_refused(
                label,
                401,
                lambda header=header: self._post(
                    body, secret=None, headers={"X-Q2C-Signature": header}
                ),
            )
        # The same request with its real signature still goes through.
        response = self._post(body, secret=None, headers={"X-Q2C-Signature": good})
        self.assertEqual(response.status_code, 200, response.text)

    def test_event_ids_and_headers(self):
        """What a signed body or header carries must be storable: else 400, never 500."""
        cases = [
            ("NUL byte in the id", {"id": "evt\u0000"}, {}),
            ("NUL byte in the type", {"id": "n2", "type": "ping\u0000"}, {}),
            ("line break in the id", {"id": "evt\n2"}, {}),
            ("id of 5,000 characters", {"id": "".join(f"{n:x}" for n in range(1400))}, {}),
            ("type of 5,000 characters", {"id": "n3", "type": "t" * 5000}, {}),
            ("deeply nested body", b"[" * 100000 + b"]" * 100000, {}),
            ("NUL byte in the correlation id", {"id": "n4"}, {"X-Correlation-Id": "c\x00"}),
            ("long correlation id", {"id": "n5"}, {"X-Correlation-Id": "c" * 5000}),
            ("non-ASCII correlation id", {"id": "n6"}, {"X-Correlation-Id": "é".encode()}),
        ]
        self.system.max_body_bytes = 1024 * 1024
        for label, body, headers in cases:
            self._assert_refused(
                label, 400, lambda body=body, headers=headers: self._post(body, headers=headers)
            )

    def test_health_and_metrics(self):
        """/q2c/health reads nothing from the request; /q2c/metrics reads its bearer key:
        a malformed one is 401, as a wrong one is."""
        for label, query in [("NUL byte", "?x=%00"), ("long query", "?x=" + "9" * 5000)]:
            with self.subTest(case=f"health, {label}"), self.assertNoLogs(level="ERROR"):
                response = self.url_open(f"/q2c/health{query}")
                self.assertIn(response.status_code, (200, 503))
        expiry = fields.Datetime.now() + timedelta(days=1)
        key = self.env["res.users.apikeys"].with_user(self.manager)._generate(None, "m", expiry)
        cases = [
            ("NUL byte in the key", f"Bearer {key[:10]}\x00{key[10:]}"),
            ("NUL byte only", "Bearer \x00"),
            ("non-ASCII key", f"Bearer {key[:-1]}é".encode()),
            ("very long key", "Bearer " + "k" * 5000),
        ]
        for label, header in cases:
            self._assert_refused(
                f"metrics, {label}",
                401,
                lambda header=header: self.url_open(
                    "/q2c/metrics", headers={"Authorization": header}
                ),
            )
        response = self.url_open("/q2c/metrics", headers={"Authorization": f"Bearer {key}"})
        self.assertEqual(response.status_code, 200)

    def test_malformed_content_length(self):
        """A Content-Length of thousands of digits or non-ASCII digits is no length: the
        request is refused (4xx), never a 500."""
        body = json.dumps({"id": "cl1"}).encode()
        signature = signatures.sign(SECRET, body)
        for label, length in [
            ("5,000 digits", b"9" * 5000),
            ("superscript digit", b"\xb2"),
            ("negative", b"-1"),
        ]:
            request = (
                (
                    f"POST {self._url()} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    f"Content-Type: application/json\r\nX-Q2C-Signature: {signature}\r\n"
                    "Connection: close\r\n"
                ).encode()
                + b"Content-Length: "
                + length
                + b"\r\n\r\n"
                + body
            )
            with self.subTest(case=label):
                before = self.env["q2c.event"].search_count([])
                answer = self._send_raw(request)
                self.assertRegex(answer[:12], rb"^HTTP/1\.[01] 4\d\d", answer[:300])
                self.assertEqual(self.env["q2c.event"].search_count([]), before)
