"""Issue 12 item 3: an event's state and outcome change only through the intake, the job and
the manual actions; what the system sent is immutable, even for the superuser, until the
retention purge clears it."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import Q2cCase


@tagged("post_install", "-at_install")
class TestEventWorkflowFields(Q2cCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.event = cls.env["q2c.event"].create(
            {
                "system_id": cls.system.id,
                "company_id": cls.system.company_id.id,
                "external_id": "e-guarded",
                "event_type": "q2c.ping",
                "state": "done",
                "received_at": fields.Datetime.now() - timedelta(days=40),
                "processed_at": fields.Datetime.now() - timedelta(days=40),
                "payload": '{"amount": 100}',
                "headers": '{"User-Agent": "test"}',
            }
        )

    def test_manager_cannot_rewrite_an_event_outcome(self):
        as_manager = self.event.with_user(self.manager)
        for vals in (
            {"state": "received"},
            {"state": "dead", "error": "rewritten"},
            {"error": "rewritten"},
            {"processed_at": fields.Datetime.now()},
            {"attempts": 0},
            {"external_id": "e-other"},
            {"payload_purged": True},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                as_manager.write(vals)
        self.assertEqual(self.event.state, "done")
        self.assertFalse(self.event.error)

    def test_payload_is_immutable_even_for_the_superuser(self):
        for user in (self.manager, self.env.ref("base.user_admin")):
            for vals in ({"payload": '{"amount": 999}'}, {"headers": "{}"}, {"payload": False}):
                with (
                    self.subTest(user=user.login, vals=vals),
                    self.assertRaisesRegex(UserError, "kept as received"),
                ):
                    self.event.with_user(user).write(vals)
        for vals in ({"payload": '{"amount": 999}'}, {"headers": "{}"}):
            with (
                self.subTest(superuser=True, vals=vals),
                self.assertRaisesRegex(UserError, "kept as received"),
            ):
                self.event.sudo().write(vals)
        self.assertEqual(self.event.payload, '{"amount": 100}')

    def test_the_release_cannot_come_from_a_caller_context(self):
        """RPC callers set the context: no value they can send releases a guarded field."""
        for release in ("q2c.event", ["q2c.event"], {"models": ["q2c.event"]}, True):
            with self.subTest(release=release), self.assertRaises(AccessError):
                self.event.with_user(self.manager).with_context(q2c_guard_release=release).write(
                    {"state": "received"}
                )

    def test_actions_still_change_the_state_with_who_and_why(self):
        dead = self.env["q2c.event"].create(
            {
                "system_id": self.system.id,
                "company_id": self.system.company_id.id,
                "external_id": "e-dead",
                "event_type": "q2c.ping",
                "state": "dead",
                "received_at": fields.Datetime.now(),
            }
        )
        dead.with_user(self.manager).action_mark_done("handled by hand")
        self.assertEqual(dead.state, "done")
        message = dead.message_ids[:1]
        self.assertEqual(message.author_id, self.manager.partner_id)
        self.assertIn("handled by hand", message.body)

    def test_retention_purge_still_clears_the_payload(self):
        self.env["q2c.event"]._cron_purge_payloads()
        self.assertFalse(self.event.payload)
        self.assertFalse(self.event.headers)
        self.assertTrue(self.event.payload_purged)
