import json
import time
from unittest.mock import patch

import psycopg2

from odoo.tests import tagged

from .. import signatures
from ..models import q2c_event as q2c_event_module
from ..models.q2c_event import insert_event_rows
from .common import SECRET, Q2cCase


@tagged("post_install", "-at_install")
class TestWebhookController(Q2cCase):
    """Every answer of POST /q2c/webhook/<type>/<key>, with real signed bytes."""

    def test_status_codes(self):
        body = json.dumps({"id": "evt_1", "type": "q2c.ping"}).encode()
        inactive = self._create_system(name="Inactive", active=False)
        no_secret = self._create_system(name="No secret", webhook_secret=False)
        small = self._create_system(name="Small", max_body_bytes=64)
        old = int(time.time()) - 400
        cases = [
            ("unknown key", 404, {"url": f"/q2c/webhook/generic/{'x' * 32}"}),
            (
                "wrong type for the key",
                404,
                {"url": f"/q2c/webhook/stripe/{self.system.inbound_key}"},
            ),
            ("inactive system", 404, {"system": inactive}),
            ("wrong content type", 415, {"headers": {"Content-Type": "text/plain"}}),
            ("body over the limit", 413, {"system": small, "body": b"{" + b" " * 100 + b"}"}),
            ("missing signature", 401, {"secret": None}),
            ("bad signature", 401, {"secret": "not-the-secret"}),
            ("stale timestamp", 401, {"timestamp": old}),
            ("future timestamp", 401, {"timestamp": int(time.time()) + 400}),
            ("no secret configured", 401, {"system": no_secret}),
            ("malformed body", 400, {"body": b"{not json"}),
            ("missing event id", 400, {"body": b'{"type": "q2c.ping"}'}),
            ("non-object body", 400, {"body": b'["evt"]'}),
            ("accepted", 200, {}),
        ]
        for label, status, kwargs in cases:
            with self.subTest(case=label):
                before = self.env["q2c.event"].search_count([])
                kwargs.setdefault("body", body)
                response = self._post(**kwargs)
                self.assertEqual(response.status_code, status, response.text)
                self.assertIn("application/json", response.headers["Content-Type"])
                if status != 200:
                    # A rejected request leaves nothing behind.
                    self.assertEqual(self.env["q2c.event"].search_count([]), before)
                    self.assertIn("error", response.json())
        self.assertEqual(len(self._events()), 1)

    def test_401_gives_no_detail(self):
        bad = self._post({"id": "evt_x"}, secret="wrong")
        stale = self._post({"id": "evt_x"}, timestamp=int(time.time()) - 3600)
        self.assertEqual(bad.json(), stale.json())
        self.assertEqual(bad.json(), {"error": "unauthorized", "detail": None})

    def test_400_says_why(self):
        response = self._post(b'{"type": "q2c.ping"}')
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["error"], "bad_request")
        self.assertIn("id", response.json()["detail"])

    def test_accepted_event_is_stored_and_queued(self):
        response = self._post(
            {"id": "evt_42", "type": "q2c.ping"}, headers={"X-Correlation-Id": "corr-42"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.json(),
            {"status": "accepted", "events": [{"id": "evt_42", "duplicate": False}]},
        )
        event = self._events()
        self.assertEqual(len(event), 1)
        self.assertEqual(event.external_id, "evt_42")
        self.assertEqual(event.event_type, "q2c.ping")
        self.assertEqual(event.state, "queued")
        self.assertEqual(event.correlation_id, "corr-42")
        self.assertEqual(json.loads(event.payload), {"id": "evt_42", "type": "q2c.ping"})
        job = self._job(event)
        self.assertEqual(job.state, "pending")
        self.assertEqual(job.channel, f"root.q2c.generic_{self.system.id}")
        self.assertEqual(job.user_id, self.integration_user, "jobs run as the integration user")
        self.assertEqual(job.max_retries, self.system.event_max_retries)

    def test_repeat_delivery_is_acknowledged_and_stored_once(self):
        first = self._post({"id": "evt_rep", "type": "q2c.ping"})
        again = self._post({"id": "evt_rep", "type": "q2c.ping"})
        self.assertEqual(first.status_code, 200)
        self.assertEqual(again.status_code, 200)
        self.assertEqual(again.json()["events"], [{"id": "evt_rep", "duplicate": True}])
        events = self._events()
        self.assertEqual(len(events), 1)
        jobs = self.env["queue.job"].search(
            [("model_name", "=", "q2c.event"), ("records", "ilike", str(events.id))]
        )
        self.assertEqual(
            len(jobs.filtered(lambda j: events.id in j.records.ids)), 1, "one job, not two"
        )

    def test_request_retried_after_a_serialization_failure_verifies_the_same_bytes(self):
        """A concurrent copy of an event can make the intake INSERT fail with a
        serialization error (REPEATABLE READ); Odoo then retries the whole request, which
        must read and verify the same body again (a consumed body would be a 401)."""

        class ConcurrentCopy(psycopg2.errors.SerializationFailure):
            pgcode = "40001"

        calls = []

        def first_attempt_loses_the_race(cr, rows, **kwargs):
            calls.append(1)
            if len(calls) == 1:
                raise ConcurrentCopy("could not serialize access due to concurrent update")
            return insert_event_rows(cr, rows, **kwargs)

        with patch.object(q2c_event_module, "insert_event_rows", first_attempt_loses_the_race):
            response = self._post({"id": "evt_retried", "type": "q2c.ping"})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(len(calls), 2, "Odoo retried the request once")
        self.assertEqual(self._events().external_id, "evt_retried")

    def test_numeric_ids_and_same_id_on_two_systems(self):
        other = self._create_system(name="Other sender")
        self.assertEqual(self._post({"id": 7}).status_code, 200)
        self.assertEqual(self._post({"id": 7}, system=other).status_code, 200)
        self.assertEqual(self._events().external_id, "7")
        self.assertEqual(self._events(other).external_id, "7")

    def test_rotation_keeps_previous_secret_until_set_time(self):
        self.system.with_user(self.manager).webhook_secret = "whsec_new"
        self.assertEqual(self._post({"id": "old-secret"}, secret=SECRET).status_code, 200)
        self.assertEqual(self._post({"id": "new-secret"}, secret="whsec_new").status_code, 200)
        self.system.sudo().webhook_secret_previous_until = "2000-01-01 00:00:00"
        self.assertEqual(self._post({"id": "old-secret-2"}, secret=SECRET).status_code, 401)
        self.assertEqual(self._post({"id": "new-secret-2"}, secret="whsec_new").status_code, 200)

    def test_regenerated_key_retires_the_old_url(self):
        old_url = self._url()
        self.system.with_user(self.manager).action_regenerate_inbound_key()
        self.assertEqual(self._post({"id": "a"}, url=old_url).status_code, 404)
        self.assertEqual(self._post({"id": "b"}).status_code, 200)

    def test_get_is_not_allowed(self):
        response = self.url_open(self._url())
        self.assertEqual(response.status_code, 405)

    def test_tolerance_edges(self):
        """300 s either way is accepted, beyond is refused (checked on the verifier)."""
        body, now = b'{"id": "edge"}', 1_800_000_000
        for offset, expected in ((-300, True), (300, True), (-301, False), (301, False)):
            with self.subTest(offset=offset):
                header = signatures.sign(SECRET, body, now + offset)
                self.assertEqual(signatures.verify(header, body, [SECRET], now=now), expected)
        header = signatures.sign(SECRET, body, now)
        self.assertFalse(signatures.verify(header, body + b" ", [SECRET], now=now))
        self.assertTrue(signatures.verify(f"{header},v1=deadbeef", body, [SECRET], now=now))
        self.assertFalse(signatures.verify(header.replace("v1=", "v0="), body, [SECRET], now=now))
