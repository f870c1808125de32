from datetime import timedelta

from odoo import fields
from odoo.addons.q2c_base.controllers.main import PG_ADVISORY_LOCK_ID
from odoo.sql_db import db_connect
from odoo.tests import tagged

from .common import Q2cCase


@tagged("post_install", "-at_install")
class TestMonitoring(Q2cCase):
    def _event(self, external_id, state, received_minutes_ago, latency=None):
        event = (
            self.env["q2c.event"]
            .sudo()
            ._store_inbound(
                self.system, [{"external_id": external_id, "event_type": "x", "payload": "{}"}], {}
            )[0][1]
        )
        received = fields.Datetime.now() - timedelta(minutes=received_minutes_ago)
        vals = {"state": state, "received_at": received}
        if latency is not None:
            vals.update(
                latency_seconds=latency, processed_at=received + timedelta(seconds=latency)
            )
        event.write(vals)
        return event

    def test_kpis(self):
        for index, latency in enumerate([1, 2, 3, 4, 100]):
            self._event(f"done{index}", "done", 30, latency)
        self._event("q1", "queued", 90)
        self._event("f1", "failed", 10)
        self._event("d1", "dead", 5)
        system = self.system.with_user(self.manager)
        self.assertEqual(system.backlog_count, 2)
        self.assertEqual(system.events_24h_count, 8)
        self.assertEqual(system.failed_24h_count, 2)
        self.assertAlmostEqual(system.failure_rate, 25.0)
        self.assertAlmostEqual(system.oldest_pending_minutes, 90, delta=1)
        self.assertAlmostEqual(system.latency_p50, 3.0)
        self.assertAlmostEqual(system.latency_p95, 80.8)

    def _q2c_crons(self):
        return self.env["ir.cron"].browse(
            self.env["ir.model.data"]
            .search([("model", "=", "ir.cron"), ("module", "=like", "q2c\\_%")])
            .mapped("res_id")
        )

    def _health_with_runner(self):
        """/q2c/health while the advisory lock queue_job's runner holds is taken."""
        with db_connect(self.env.cr.dbname).cursor() as runner_cr:
            runner_cr.execute("SELECT pg_advisory_lock(%s)", (PG_ADVISORY_LOCK_ID,))
            response = self.url_open("/q2c/health")
            runner_cr.execute("SELECT pg_advisory_unlock(%s)", (PG_ADVISORY_LOCK_ID,))
        return response

    def test_health_is_public_json_and_detects_the_runner(self):
        # No cron worker runs in tests: keep the schedules due later, so only the runner counts.
        self._q2c_crons().nextcall = fields.Datetime.now() + timedelta(hours=1)
        self._event("q1", "queued", 3)
        response = self.url_open("/q2c/health")
        self.assertEqual(response.status_code, 503, "no job runner in tests")
        data = response.json()
        self.assertEqual(
            set(data),
            {
                "status",
                "database",
                "job_runner",
                "overdue_schedules",
                "backlog",
                "oldest_pending_seconds",
                "time",
            },
        )
        self.assertEqual(
            (data["status"], data["database"], data["job_runner"]), ("degraded", True, False)
        )
        self.assertGreaterEqual(data["backlog"], 1)
        self.assertGreater(data["oldest_pending_seconds"], 170)
        self.assertNotIn(self.system.inbound_key, response.text)
        # What queue_job's runner does when it serves this database: hold its advisory lock.
        alive = self._health_with_runner()
        self.assertEqual(alive.status_code, 200)
        self.assertEqual(alive.json()["job_runner"], True)
        self.assertEqual(alive.json()["overdue_schedules"], [])

    def test_health_reports_overdue_schedules(self):
        """A q2c schedule whose next run is more than the tolerance (15 minutes) in the past
        has no cron worker running it: health is degraded (503) and names it, although the
        job runner is alive; it is healthy again once the schedule has run."""
        crons = self._q2c_crons()
        self.assertTrue(crons, "q2c addons declare scheduled actions")
        crons.nextcall = fields.Datetime.now() + timedelta(hours=1)
        pull = crons[0]
        pull.nextcall = fields.Datetime.now() - timedelta(minutes=14)
        self.assertEqual(self._health_with_runner().status_code, 200, "late, within tolerance")
        pull.nextcall = fields.Datetime.now() - timedelta(minutes=16)
        late = self._health_with_runner()
        self.assertEqual(late.status_code, 503)
        self.assertEqual(late.json()["status"], "degraded")
        self.assertEqual(late.json()["overdue_schedules"], [pull.cron_name])
        # The dashboard card says the same, to whoever reads it.
        self.assertEqual(self.system.with_user(self.manager).overdue_schedules, pull.cron_name)
        self.env["ir.config_parameter"].set_param("q2c.schedule_overdue_minutes", "30")
        self.assertEqual(self._health_with_runner().status_code, 200, "tolerance configurable")
        self.env["ir.config_parameter"].set_param("q2c.schedule_overdue_minutes", "15")
        pull.active = False
        self.assertEqual(self._health_with_runner().status_code, 200, "an inactive one is not")
        pull.active = True
        pull.nextcall = fields.Datetime.now() + timedelta(minutes=5)
        self.assertEqual(self._health_with_runner().status_code, 200)
        self.system.invalidate_recordset(["overdue_schedules"])
        self.assertFalse(self.system.with_user(self.manager).overdue_schedules)

    def test_metrics_need_an_api_key_of_a_manager_or_auditor(self):
        self._event("q1", "queued", 3)
        self.assertEqual(self.url_open("/q2c/metrics").status_code, 401)
        bad = self.url_open("/q2c/metrics", headers={"Authorization": "Bearer not-a-key"})
        self.assertEqual(bad.status_code, 401)
        expiry = fields.Datetime.now() + timedelta(days=1)
        keys = {}
        for user in (self.manager, self.integration_user):
            keys[user] = (
                self.env["res.users.apikeys"].with_user(user)._generate(None, "metrics", expiry)
            )
        forbidden = self.url_open(
            "/q2c/metrics", headers={"Authorization": f"Bearer {keys[self.integration_user]}"}
        )
        self.assertEqual(forbidden.status_code, 403)
        response = self.url_open(
            "/q2c/metrics", headers={"Authorization": f"Bearer {keys[self.manager]}"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.headers["Content-Type"].startswith("text/plain"))
        text = response.text
        self.assertIn("# TYPE q2c_events_backlog gauge", text)
        self.assertIn(
            'q2c_events_backlog{system="Generic test system",type="generic",'
            f'id="{self.system.id}"}} 1',
            text,
        )
        self.assertIn("q2c_job_runner_up 0", text)

    def test_purge_drops_old_payloads_and_keeps_metadata(self):
        old = self._event("old", "done", 60 * 24 * 40, latency=1)
        recent = self._event("recent", "done", 60, latency=1)
        failed = self._event("kept", "dead", 60 * 24 * 40)
        self.env["q2c.event"]._cron_purge_payloads()
        self.assertFalse(old.payload)
        self.assertTrue(old.payload_purged)
        self.assertEqual((old.external_id, old.state), ("old", "done"))
        self.assertEqual(recent.payload, "{}")
        self.assertEqual(failed.payload, "{}", "a dead event keeps its payload for replay")
