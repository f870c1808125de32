import socket

from odoo.addons.q2c_base import outbound
from odoo.addons.q2c_base.exceptions import PermanentError, TransientError
from odoo.tests import tagged

from .common import Q2cCase, stand_in_server


@tagged("post_install", "-at_install")
class TestOutbound(Q2cCase):
    """The outbound helper against a local HTTP server speaking plain JSON over HTTP."""

    def _system(self, base_url, **overrides):
        vals = {"base_url": base_url, "api_token": "tok_live_secret", "timeout_read": 2.0}
        vals.update(overrides)
        system = self._create_system(name="Outbound test", **vals)
        return system

    def _call_failing(self, system, error_class, *args, **kwargs):
        """Call and return the expected error. Not assertRaises: Odoo's rolls back a
        savepoint, and with it the log lines written (in test mode) inside it."""
        try:
            system._call(*args, **kwargs)
        except error_class as error:
            return error
        self.fail(f"{error_class.__name__} not raised")

    def _logs(self, system):
        return self.env["q2c.outbound.log"].search([("system_id", "=", system.id)], order="id")

    def test_429_then_success_honours_retry_after_and_logs_each_try(self):
        script = [
            (429, {"Retry-After": "1"}, b'{"error": "slow down"}', 0),
            (200, {}, b'{"ok": true}', 0),
        ]
        with stand_in_server(script) as (base_url, seen):
            system = self._system(base_url)
            response = system.with_context(q2c_correlation_id="corr-1")._call(
                "POST", "/v1/deals?token=abc&page=2", json={"a": 1}, idempotency_key="idem-1"
            )
        self.assertEqual(response.json(), {"ok": True})
        self.assertEqual(len(seen), 2)
        for request in seen:
            self.assertEqual(request["headers"]["Authorization"], "Bearer tok_live_secret")
            self.assertEqual(request["headers"]["X-Correlation-Id"], "corr-1")
            self.assertEqual(request["headers"]["Idempotency-Key"], "idem-1")
        logs = self._logs(system)
        self.assertEqual(logs.mapped("status_code"), [429, 200])
        self.assertEqual(logs.mapped("attempt"), [1, 2])
        self.assertEqual(set(logs.mapped("correlation_id")), {"corr-1"})
        self.assertEqual(logs[0].url, f"{base_url}/v1/deals?token=%2A%2A%2A&page=2")
        self.assertNotIn("abc", "".join(logs.mapped("url")))
        self.assertNotIn("tok_live_secret", str(logs.read()))

    def test_5xx_exhausted_raises_transient_with_retry_after(self):
        script = [(503, {"Retry-After": "0"}, b"", 0)] * 2 + [(503, {"Retry-After": "90"}, b"", 0)]
        with stand_in_server(script) as (base_url, seen):
            system = self._system(base_url, outbound_max_tries=3)
            error = self._call_failing(system, TransientError, "GET", "/v1/ping")
        self.assertEqual(len(seen), 3)
        self.assertEqual(error.retry_after, 90.0)
        self.assertEqual(self._logs(system).mapped("status_code"), [503, 503, 503])

    def test_long_retry_after_is_not_slept_in_the_worker(self):
        with stand_in_server([(429, {"Retry-After": "3600"}, b"", 0)]) as (base_url, seen):
            system = self._system(base_url, outbound_max_tries=5)
            error = self._call_failing(system, TransientError, "GET", "/v1/ping")
        self.assertEqual(len(seen), 1, "a one-hour wait becomes a later job retry")
        self.assertEqual(error.retry_after, 3600.0)

    def test_read_timeout_is_transient_and_logged(self):
        script = [(200, {}, b"{}", 1.5)]
        with stand_in_server(script) as (base_url, _seen):
            system = self._system(base_url, timeout_read=0.3, outbound_max_tries=1)
            self._call_failing(system, TransientError, "GET", "/v1/slow")
        log = self._logs(system)
        self.assertEqual(log.status_code, 0)
        self.assertEqual(log.error, "ReadTimeout")

    def test_4xx_is_permanent_unless_the_caller_handles_it(self):
        script = [(404, {}, b'{"error": "no such deal"}', 0), (404, {}, b"{}", 0)]
        with stand_in_server(script) as (base_url, _seen):
            system = self._system(base_url)
            error = self._call_failing(system, PermanentError, "GET", "/v1/deals/9")
            self.assertIn("404", error.reason)
            response = system._call("GET", "/v1/deals/9", raise_for_status=False)
        self.assertEqual(response.status_code, 404)

    def test_one_session_per_system(self):
        first = outbound.session_for("db", 1)
        self.assertIs(outbound.session_for("db", 1), first)
        self.assertIsNot(outbound.session_for("db", 2), first)
        outbound.drop_session("db", 1)
        self.assertIsNot(outbound.session_for("db", 1), first)

    def test_rate_limit_window(self):
        self.assertEqual(outbound.rate_limit_wait("db", 99, 2, now=0.0), 0.0)
        self.assertEqual(outbound.rate_limit_wait("db", 99, 2, now=1.0), 0.0)
        self.assertAlmostEqual(outbound.rate_limit_wait("db", 99, 2, now=10.0), 50.0)
        self.assertEqual(outbound.rate_limit_wait("db", 99, 2, now=61.0), 0.0)

    def test_retry_after_http_date(self):
        self.assertEqual(
            outbound.parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412480), 30.0
        )
        self.assertIsNone(outbound.parse_retry_after("soon"))

    def test_purge_keeps_recent_lines(self):
        with stand_in_server([(200, {}, b"{}", 0)]) as (base_url, _seen):
            system = self._system(base_url)
            system._call("GET", "/v1/ping")
        log = self._logs(system)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE q2c_outbound_log SET create_date = now() - interval '40 days' WHERE id = %s",
            (log.id,),
        )
        self.env.invalidate_all()
        with stand_in_server([(200, {}, b"{}", 0)]) as (base_url, _seen):
            system.base_url = base_url
            system._call("GET", "/v1/ping")
        self.env["q2c.outbound.log"]._cron_purge()
        remaining = self._logs(system)
        self.assertEqual(len(remaining), 1)
        self.assertNotEqual(remaining, log)

    def test_retry_after_seconds_are_ascii_digits_only(self):
        """str.isdigit() also accepts "²", Arabic-Indic or full-width digits, which float()
        then reads or refuses: a header in such digits is not a delay (RFC 9110 10.2.3)."""
        self.assertEqual(outbound.parse_retry_after(" 120 "), 120.0)
        for value in ("\u00b2", "\u0661\u0662\u0660", "\uff11\uff12", "1\u00b2"):
            with self.subTest(value=value):
                self.assertIsNone(outbound.parse_retry_after(value))

    def test_unreachable_error_masks_secrets_of_the_url(self):
        """requests quotes the URL it tried in a connection error; the error becomes the
        event's or page's error and the chatter's, read by integration users."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        system = self._system(f"http://127.0.0.1:{port}", outbound_max_tries=1)
        error = self._call_failing(system, TransientError, "GET", "/v1/x?api_key=K3Y-VALUE&a=1")
        self.assertNotIn("K3Y-VALUE", str(error))
        self.assertIn("api_key=***", str(error))
        self.assertEqual(
            outbound.redact_text("url: https://u:p@h/x?token=abc&page=2"),
            "url: https://h/x?token=***&page=2",
        )

    def test_userinfo_in_urls_is_found(self):
        for url, expected in (
            ("https://user:pass@api.example.com/v1", True),
            ("https://token@api.example.com", True),
            ("user:pass@api.example.com", True),
            ("https://api.example.com/v1?email=a@b.com", False),
            ("https://api.example.com/users/@me", False),
        ):
            with self.subTest(url=url):
                self.assertEqual(outbound.url_has_userinfo(url), expected)
