from datetime import timedelta

from odoo import fields
from odoo.addons.q2c_base.exceptions import PermanentError, TransientError
from odoo.addons.queue_job.job import Job
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import Q2cCase


@tagged("post_install", "-at_install")
class TestProcessing(Q2cCase):
    def _receive(self, external_id, event_type="q2c.ping"):
        response = self._post({"id": external_id, "type": event_type})
        self.assertEqual(response.status_code, 200, response.text)
        return self.env["q2c.event"].search(
            [("system_id", "=", self.system.id), ("external_id", "=", external_id)]
        )

    def test_intake_enqueues_one_job_on_the_system_channel(self):
        # queue_job's trap_jobs helper needs a newer Odoo than the 18.0 tree used here; the
        # stored job is asserted directly, then performed like the runner does.
        event = (
            self.env["q2c.event"]
            .sudo()
            ._store_inbound(
                self.system, [{"external_id": "t1", "event_type": "q2c.ping", "payload": "{}"}], {}
            )[0][1]
        )
        event._enqueue()
        jobs = self.env["queue.job"].search([("uuid", "=", event.job_uuid)])
        self.assertEqual(len(jobs), 1)
        self.assertEqual(
            (jobs.model_name, jobs.method_name, jobs.channel, jobs.user_id, jobs.records),
            ("q2c.event", "_process", self.system.job_channel, self.integration_user, event),
        )
        Job.load(self.env, event.job_uuid).perform()
        self.assertEqual(event.state, "done")

    def test_ping_is_done_with_latency(self):
        event = self._receive("p1")
        job = self._run_job_over_http(event)
        self.assertEqual(job.state, "done")
        self.assertEqual(event.state, "done")
        self.assertEqual(event.attempts, 1)
        self.assertTrue(event.processed_at)
        self.assertGreater(event.latency_seconds, 0, "measured with sub-second precision")
        self.assertLess(event.latency_seconds, 60)

    def test_unknown_event_type_is_ignored_with_reason(self):
        event = self._receive("u1", "customer.exploded")
        event._process()
        self.assertEqual(event.state, "ignored")
        self.assertEqual(event.error, "unhandled event type")

    def test_handler_runs_as_the_integration_user_not_sudo(self):
        seen = {}

        def handler(event):
            seen["uid"], seen["su"] = event.env.uid, event.env.su
            return event.env["res.partner"].create({"name": "Created by handler"})

        with self._handler("test.whoami", handler):
            event = self._receive("w1", "test.whoami")
            self._run_job_like_the_runner(event)
        self.assertEqual(event.state, "done")
        self.assertEqual(seen, {"uid": self.integration_user.id, "su": False})
        partner = event.link_ids.record_ref
        self.assertEqual(partner.name, "Created by handler")
        self.assertEqual(partner.create_uid, self.integration_user)

    def test_permanent_error_is_dead_at_once_and_rolls_back(self):
        def handler(event):
            event.env["res.partner"].create({"name": "half-written"})
            raise PermanentError("customer has no currency")

        with self._handler("test.bad", handler):
            event = self._receive("d1", "test.bad")
            job = self._run_job_like_the_runner(event)
        self.assertEqual(event.state, "dead")
        self.assertEqual(event.error, "customer has no currency")
        self.assertEqual(job.state, "done", "a permanent error is an outcome, not a job crash")
        self.assertFalse(self.env["res.partner"].search([("name", "=", "half-written")]))

    def test_permanent_error_can_open_an_exception_for_a_person(self):
        def handler(event):
            partner = event.env["res.partner"].create({"name": "rolled back"})
            raise PermanentError(
                "deal has no currency",
                person_kind="missing_data",
                details="set the currency in the CRM",
                record=partner,
            )

        with self._handler("test.person", handler):
            event = self._receive("pk1", "test.person")
            self._run_job_like_the_runner(event)
        self.assertEqual(event.state, "dead")
        exception = self.env["q2c.exception"].search([("event_id", "=", event.id)])
        self.assertEqual(
            (exception.name, exception.kind, exception.details, exception.res_model),
            ("deal has no currency", "missing_data", "set the currency in the CRM", False),
            "opened after the rollback; the rolled-back record is not pointed at",
        )
        self.assertTrue(exception.activity_ids)

    def test_transient_error_retries_then_succeeds(self):
        calls = []

        def handler(event):
            calls.append(1)
            if len(calls) == 1:
                raise TransientError("CRM answered HTTP 503", retry_after=120)
            return event.env["q2c.event"]

        with self._handler("test.flaky", handler):
            event = self._receive("f1", "test.flaky")
            job = self._run_job_like_the_runner(event)
            self.assertEqual(job.state, "pending")
            self.assertEqual(job.retry, 1)
            self.assertEqual(event.state, "failed")
            self.assertEqual(event.error, "CRM answered HTTP 503")
            self.assertEqual(event.attempts, 1)
            # Retry-After honoured: not before 120 s from now.
            self.assertGreater(job.eta, fields.Datetime.now() + timedelta(seconds=100))
            self._run_job_like_the_runner(event)
        self.assertEqual(job.state, "done")
        self.assertEqual(event.state, "done")
        self.assertEqual(len(calls), 2)

    def test_retries_exhausted_then_dead_then_replay_then_done(self):
        self.system.event_max_retries = 2
        broken = {"down": True}

        def handler(event):
            if broken["down"]:
                raise TransientError("timeout talking to the CRM")
            return event.env["q2c.event"]

        with self._handler("test.down", handler):
            event = self._receive("x1", "test.down")
            self._run_job_like_the_runner(event)
            self.assertEqual(event.state, "failed")
            job = self._run_job_like_the_runner(event)
            self.assertEqual(job.state, "failed")
            self.assertEqual(event.state, "dead", "no event stays queued behind a failed job")
            self.assertIn("Retries exhausted", event.error)
            self.assertIn("timeout talking to the CRM", event.error)
            # A person fixes the cause and replays.
            broken["down"] = False
            with self.assertRaises(AccessError):
                event.with_user(self.auditor).action_replay("try again")
            event.with_user(self.manager).action_replay("CRM is back")
            self.assertEqual(event.state, "queued")
            self.assertNotEqual(event.job_uuid, job.uuid)
            self._run_job_like_the_runner(event)
        self.assertEqual(event.state, "done")
        messages = event.message_ids.mapped("body")
        self.assertTrue(any("Replayed by" in m and "CRM is back" in m for m in messages))

    def test_a_crashing_handler_leaves_a_dead_event_with_the_error(self):
        def handler(event):
            return {}["missing mapping"]

        with self._handler("test.bug", handler):
            event = self._receive("k1", "test.bug")
            job = self._run_job_like_the_runner(event)
        self.assertEqual(job.state, "failed")
        self.assertEqual(event.state, "dead")
        self.assertIn("Processing crashed", event.error)
        self.assertIn("missing mapping", event.error)

    def test_replay_refuses_done_events_and_twice_changes_nothing(self):
        event = self._receive("r1")
        self._run_job_like_the_runner(event)
        with self.assertRaises(UserError):
            event.with_user(self.manager).action_replay("again")
        # The same job run twice applies nothing twice.
        self.assertEqual(event._process(), "skipped: event is done")

    def test_ignore_and_mark_done_need_a_reason_and_are_recorded(self):
        ignored, closed = self._receive("i1"), self._receive("i2")
        manager_events = (ignored | closed).with_user(self.manager)
        with self.assertRaises(UserError):
            manager_events[0].action_ignore("")
        wizard = (
            self.env["q2c.event.action.wizard"]
            .with_user(self.manager)
            .create({"action": "ignore", "event_ids": ignored.ids, "reason": "test noise"})
        )
        wizard.action_confirm()
        manager_events[1].action_mark_done("applied by hand in Odoo")
        self.assertEqual(ignored.state, "ignored")
        self.assertEqual(closed.state, "done")
        self.assertIn("test noise", ignored.message_ids[0].body)
        self.assertIn(self.manager.name, closed.message_ids[0].body)
        # A closed event is not processed again by a late job.
        self.assertEqual(ignored._process(), "skipped: event is ignored")

    def test_cancelled_job_marks_the_event_dead(self):
        event = self._receive("c1")
        self._job(event).button_cancelled()
        self.assertEqual(event.state, "dead")
        self.assertIn("cancelled", event.error)

    def test_reconcile_cron_closes_events_whose_job_failed_outside_the_orm(self):
        event = self._receive("z1")
        job = self._job(event)
        self.env.flush_all()
        # What queue_job's dead-job requeuer does after too many deaths: plain SQL.
        self.env.cr.execute(
            "UPDATE queue_job SET state = 'failed', exc_message = 'JobFoundDead' WHERE id = %s",
            (job.id,),
        )
        self.env.cr.execute(
            "UPDATE q2c_event SET write_date = now() at time zone 'utc' - interval '1 hour' "
            "WHERE id = %s",
            (event.id,),
        )
        self.env.invalidate_all()
        self.env["q2c.event"]._cron_reconcile_jobs()
        self.assertEqual(event.state, "dead")
        self.assertIn("JobFoundDead", event.error)
