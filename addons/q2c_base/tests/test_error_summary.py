from datetime import timedelta

from odoo import fields
from odoo.addons.q2c_base.exceptions import MappingError, PermanentError, TransientError
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import Q2cCase


@tagged("post_install", "-at_install")
class TestErrorSummary(Q2cCase):
    """A failed or dead event says in one sentence what went wrong and what to do; the
    technical text stays in `error`."""

    def _dies_with(self, error, external_id):
        def handler(event):
            raise error

        with self._handler("test.summary", handler):
            response = self._post({"id": external_id, "type": "test.summary"})
            self.assertEqual(response.status_code, 200)
            event = self._events().filtered(lambda e: e.external_id == external_id)
            self._run_job_like_the_runner(event)
        return event

    def test_typed_errors_become_sentences(self):
        name = self.system.name
        cases = [
            (
                PermanentError("CRM refused GET /deals/1: HTTP 401 {}", status=401),
                f"{name} refused q2c's credentials (HTTP 401): check them",
            ),
            (
                PermanentError("CRM refused GET /deals/9: HTTP 404", status=404),
                f"{name} no longer has the record asked for (HTTP 404)",
            ),
            (
                PermanentError("refused", status=422, vendor_code="INVALID_FIELD"),
                f"{name} refused the request (HTTP 422, INVALID_FIELD)",
            ),
            (
                MappingError("deal D-1 has no amount"),
                f"The data from {name} is incomplete or malformed: deal D-1 has no amount.",
            ),
            (
                AccessError("You are not allowed to create contracts"),
                f"The integration user of {name} may not make this change in Odoo",
            ),
            (
                ValidationError("The end date is before the start date"),
                "Odoo refused the change: The end date is before the start date. Correct",
            ),
            (
                PermanentError(
                    "Deal D-1: customer Hooli may already exist", person_kind="duplicate"
                ),
                "may already exist. An exception was opened for a person: decide there",
            ),
        ]
        for index, (error, expected) in enumerate(cases):
            with self.subTest(error=type(error).__name__, expected=expected):
                event = self._dies_with(error, f"s{index}")
                self.assertEqual(event.state, "dead")
                self.assertIn(expected, event.error_summary)
                self.assertTrue(event.error_summary.endswith("."))
                self.assertEqual(event.error, getattr(error, "reason", None) or str(error))

    def test_a_crash_asks_to_report_it_with_the_traceback_folded(self):
        def handler(event):
            return {}["missing mapping"]

        with self._handler("test.bug", handler):
            self._post({"id": "bug-1", "type": "test.bug"})
            event = self._events().filtered(lambda e: e.external_id == "bug-1")
            self._run_job_like_the_runner(event)
        self.assertEqual(event.state, "dead")
        self.assertIn("An unexpected error stopped the processing", event.error_summary)
        self.assertIn("report it with the technical detail below", event.error_summary)
        self.assertNotIn("KeyError", event.error_summary)
        self.assertIn("Traceback", event.error, "the technical detail keeps the traceback")
        self.assertIn("missing mapping", event.error)

    def test_retrying_then_exhausted(self):
        self.system.event_max_retries = 2

        def handler(event):
            raise TransientError("timeout talking to the CRM")

        with self._handler("test.down", handler):
            self._post({"id": "down-1", "type": "test.down"})
            event = self._events().filtered(lambda e: e.external_id == "down-1")
            self._run_job_like_the_runner(event)
            self.assertEqual(event.state, "failed")
            self.assertIn("q2c tries again by itself", event.error_summary)
            self._run_job_like_the_runner(event)
        self.assertEqual(event.state, "dead")
        self.assertIn(
            f"{self.system.name} could not be reached after 2 tries", event.error_summary
        )
        event.with_user(self.manager).action_replay("back up")
        self.assertFalse(event.error_summary, "a replayed event has nothing wrong yet")


@tagged("post_install", "-at_install")
class TestDashboard(Q2cCase):
    """Per system what needs attention, those in trouble first."""

    def _event(self, system, external_id, state, minutes_ago, **vals):
        event = (
            self.env["q2c.event"]
            .sudo()
            ._store_inbound(
                system, [{"external_id": external_id, "event_type": "x", "payload": "{}"}], {}
            )[0][1]
        )
        received = fields.Datetime.now() - timedelta(minutes=minutes_ago)
        event.write({"state": state, "received_at": received, **vals})
        return event

    def test_cards_say_what_needs_attention_and_come_in_order_of_trouble(self):
        calm = self._create_system(name="A calm system")
        waiting = self._create_system(name="B waiting system")
        failing = self._create_system(name="C failing system")
        dying = self._create_system(name="D dying system")
        self._event(calm, "c1", "done", 5)
        self._event(waiting, "w1", "queued", 200.5)
        self._event(failing, "f1", "failed", 20, error_summary="CRM did not answer.")
        self._event(dying, "d0", "dead", 60, error_summary="An older reason.")
        self._event(dying, "d1", "dead", 30, error_summary="CRM refused the credentials.")
        self._event(dying, "q1", "queued", 3.5)
        systems = (calm | waiting | failing | dying).with_user(self.manager)
        self.assertEqual(
            [(s.trouble_rank, s.dead_count, s.failed_count) for s in systems],
            [(0, 0, 0), (1, 0, 0), (2, 0, 1), (3, 2, 0)],
        )
        self.assertEqual(dying.last_error_summary, "CRM refused the credentials.")
        self.assertEqual(waiting.oldest_pending_age, "3 h 20 min")
        self.assertEqual(calm.oldest_pending_age, False)
        self.assertEqual(dying.oldest_pending_age, "3 min")
        self.assertAlmostEqual(
            dying.last_received_at,
            fields.Datetime.now() - timedelta(minutes=3),
            delta=timedelta(minutes=1),
        )
        ordered = (
            self.env["q2c.system"]
            .with_user(self.manager)
            .search([("id", "in", systems.ids)], order="trouble_rank desc, name")
        )
        self.assertEqual(ordered, dying | failing | waiting | calm)
        view = self.env.ref("q2c_base.q2c_system_view_kanban")
        self.assertIn('default_order="trouble_rank desc, name"', view.arch)
