import json

from odoo.addons.q2c_base.tests.common import Q2cCase
from odoo.tests import tagged

from .. import skeleton

SECRET = "skeleton-test-secret"
NUL_ID = b'{"account": "acct-1", "events": [{"id": "e\\u0000", "type": "contact.updated"}]}'


@tagged("post_install", "-at_install")
class TestSkeletonWebhook(Q2cCase):
    """Real signed bytes through Odoo's HTTP server, then the event's job."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.skeleton = cls._create_system(
            name="Skeleton (test)",
            system_type="skeleton",
            webhook_secret=SECRET,
            skeleton_account_id="acct-1",
        )

    def _deliver(self, events, secret=SECRET, account="acct-1", body=None):
        if body is None:
            body = json.dumps({"account": account, "events": events}).encode()
        headers = {"Content-Type": "application/json"}
        if secret:
            headers[skeleton.SIGNATURE_HEADER] = skeleton.sign(secret, body)
        url = f"/q2c/webhook/skeleton/{self.skeleton.inbound_key}"
        return self.url_open(url, data=body, headers=headers)

    def _contact(self, event_id, name, event_type="contact.updated"):
        return {"id": event_id, "type": event_type, "data": {"id": "c-1", "name": name}}

    def test_registration_and_capabilities(self):
        field = self.env["q2c.system"]._fields["system_type"]
        self.assertIn(("skeleton", "Skeleton"), field.selection)
        self.assertEqual(field.ondelete["skeleton"], "set generic")
        self.assertTrue(self.skeleton.supports_webhook)
        self.assertFalse(self.skeleton.supports_test_connection)

    def test_signed_delivery_is_stored_once_and_applied(self):
        events = [
            self._contact("e1", "Ada", "contact.created"),
            self._contact("e2", "Ada Lovelace"),
        ]
        response = self._deliver(events)
        self.assertEqual(response.status_code, 200, response.text)
        again = self._deliver(events)
        self.assertEqual([e["duplicate"] for e in again.json()["events"]], [True, True])
        stored = self._events(self.skeleton).sorted("external_id")
        self.assertEqual(stored.mapped("external_id"), ["e1", "e2"])
        for event in stored:
            self._run_job_like_the_runner(event)
        self.assertEqual(stored.mapped("state"), ["done", "done"])
        partner = self.env["q2c.external.ref"]._find(self.skeleton, "contact", "c-1")
        self.assertEqual(partner.name, "Ada Lovelace")
        self.assertEqual(partner.create_uid, self.integration_user)
        self.assertEqual(stored[1].link_ids.record_ref, partner)

    def test_refused_requests_store_nothing(self):
        event = [self._contact("e9", "Eve")]
        cases = [
            ("no signature", 401, {"secret": None}),
            ("wrong secret", 401, {"secret": "not-the-secret"}),
            ("another account", 400, {"account": "acct-2"}),
            ("not JSON", 400, {"body": b"{oops"}),
            ("event without type", 400, {"body": b'{"account": "acct-1", "events": [{"id": 1}]}'}),
            ("nested deeper than Python parses", 400, {"body": b"[" * 100000 + b"]" * 100000}),
            ("NUL character in an id", 400, {"body": NUL_ID}),
        ]
        for label, status, kwargs in cases:
            # Malformed input is refused with its status, never a 500 with a traceback.
            with self.subTest(case=label), self.assertNoLogs(level="ERROR"):
                self.assertEqual(self._deliver(event, **kwargs).status_code, status)
        self.assertFalse(self._events(self.skeleton))

    def test_other_event_types_are_ignored(self):
        self._deliver([{"id": "e5", "type": "invoice.paid", "data": {}}])
        event = self._events(self.skeleton)
        event._process()
        self.assertEqual((event.state, event.error), ("ignored", "unhandled event type"))
