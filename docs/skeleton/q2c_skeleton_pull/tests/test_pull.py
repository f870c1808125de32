import json
from urllib.parse import parse_qs, urlsplit

from odoo.addons.q2c_base.tests.common import stand_in_server
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job
from odoo.tests import TransactionCase, new_test_user, tagged

# What the integration user of a time connector is given (see q2c_timesheet's CONFIGURE).
TIME_GROUPS = (
    "base.group_user,q2c_base.group_integration_user,hr_timesheet.group_hr_timesheet_approver"
)


def answer(entries, total_pages):
    body = {"entries": entries, "total_pages": total_pages}
    return (200, {}, json.dumps(body).encode(), 0)


def record(entry_id, hours=3.0):
    return {
        "id": entry_id,
        "user_id": "s-gina",
        "project_id": "s-p600",
        "date": "2025-03-27",
        "hours": hours,
        "notes": "work",
        "status": "approved",
        "updated_at": "2025-03-28T09:00:00Z",
    }


@tagged("post_install", "-at_install")
class TestSkeletonPull(TransactionCase):
    """Two pages from a local stand-in of the vendor's API into timesheet lines, each page
    read by its real job (`q2c.sync.page._run`, performed like queue_job's runner does)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Code opening its own cursor (the outbound log) stays in the test transaction.
        cls.registry.enter_test_mode(cls.cr)
        cls.addClassCleanup(cls.registry.leave_test_mode)
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.time_user = new_test_user(cls.env, login="q2c_int_skeleton", groups=TIME_GROUPS)
        cls.gina = cls.env["hr.employee"].create({"name": "Gina"})
        cls.project = cls.env["project.project"].create({"name": "P-600 (skeleton)"})
        cls.skeleton = cls.env["q2c.system"].create(
            {
                "name": "Skeleton (test)",
                "system_type": "skeletonpull",
                "user_id": cls.time_user.id,
                "pull_page_size": 1,
            }
        )
        Ref = cls.env["q2c.external.ref"]
        Ref._bind(cls.skeleton, "employee", "s-gina", cls.gina)
        Ref._bind(cls.skeleton, "project", "s-p600", cls.project)

    def _perform(self, uuid):
        """Perform one job as queue_job's runner does (its outcome stored on the job)."""
        job = Job.load(self.env, uuid)
        job.set_started()
        try:
            with self.env.cr.savepoint():
                job.perform()
                job.set_done()
        except RetryableJobError as error:
            job.postpone(result=str(error), seconds=error.seconds)
            job.set_pending(reset_retry=False)
        job.store()
        self.env.invalidate_all()

    def test_the_type_pulls(self):
        self.assertTrue(self.skeleton.supports_pull)

    def test_two_pages_into_timesheet_lines(self):
        script = [answer([record("s1")], 2), answer([record("s2", hours=1.5)], 2)]
        with stand_in_server(script) as (url, seen):
            self.skeleton.base_url = url
            run = self.skeleton._sync_start_run()
            self._perform(run.page_ids.job_uuid)  # page 1 enqueues page 2
            self.assertEqual(len(run.page_ids), 2)
            self._perform(run.page_ids.filtered(lambda p: p.page_no == 2).job_uuid)
        pages = [parse_qs(urlsplit(request["path"]).query)["page"] for request in seen]
        self.assertEqual(pages, [["1"], ["2"]])
        self.assertEqual(run.state, "done", run.page_ids.mapped("error"))
        self.assertEqual(run.page_ids.mapped("created_count"), [1, 1])
        self.assertEqual(self.skeleton.pull_watermark, run.started_at)
        lines = self.env["account.analytic.line"].search(
            [("q2c_system_id", "=", self.skeleton.id)]
        )
        self.assertEqual(sorted(lines.mapped("q2c_external_id")), ["s1", "s2"])
        self.assertEqual(sorted(lines.mapped("unit_amount")), [1.5, 3.0])
        self.assertEqual(lines.employee_id, self.gina)
