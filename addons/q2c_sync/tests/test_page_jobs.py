import json
from contextlib import contextmanager
from unittest.mock import patch

from odoo.addons.q2c_base.exceptions import MappingError
from odoo.tests import tagged

from ..models.q2c_system import Q2cSystem
from .common import Q2cSyncCase


def page_answer(rows, more=False):
    return (200, {}, json.dumps({"rows": rows, "more": more}).encode(), 0)


@tagged("post_install", "-at_install")
class TestPageJobs(Q2cSyncCase):
    """A page's job and what q2c.job.tracked mirrors of it, on a source whose pages are
    chained, without any ingestion model: the tests fail before anything is written."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.system.write({"pull_page_max_retries": 2, "outbound_max_tries": 1})

    @contextmanager
    def _source(self, parse):
        def request(system, run, page_no):
            return f"{system.base_url}/rows", {"page": page_no}

        def model(system, stream):
            raise AssertionError("nothing is written in these tests")

        with (
            patch.object(Q2cSystem, "_sync_page_request", request),
            patch.object(Q2cSystem, "_sync_parse_page", parse),
            patch.object(Q2cSystem, "_sync_stream_model", model),
        ):
            yield

    def _pull(self, script, parse):
        """Start a run and perform its page jobs like queue_job's runner until none waits."""
        with self._source(parse):
            run, _seen = super()._pull(script, self.system)
        return run

    def test_flags(self):
        self.assertEqual((self.system.supports_pull, self.system.supports_push), (False, True))

    def test_the_cron_starts_no_run_for_a_system_without_integration_user(self):
        """Its pages would run as no one: a system is saved before its integration user is
        created (Create Integration User on the form)."""
        orphan = self._create_system(name="No user yet", user_id=False, pull_enabled=True)
        self.env["q2c.system"]._cron_pull()
        self.assertFalse(orphan.sync_run_ids)

    def test_a_parser_bug_fails_the_job_and_the_page_says_so(self):
        def parse(system, data):
            return data["no such key"], False

        run = self._pull([page_answer([])], parse)
        page = run.page_ids
        job = self._job(page)
        self.assertEqual(job.state, "failed", "a bug is not stepped over")
        self.assertIn("KeyError", job.exc_name)
        self.assertEqual((page.state, page.attempts), ("dead", 1))
        self.assertIn("Processing crashed", page.error)
        self.assertIn("no such key", page.error)
        self.assertEqual(run.state, "partial")
        self.assertIn("main page 1: Processing crashed", run.note)

    def test_a_malformed_answer_is_an_outcome(self):
        def parse(system, data):
            raise MappingError("the source answered without rows")

        run = self._pull([page_answer([])], parse)
        page = run.page_ids
        self.assertEqual(self._job(page).state, "done")
        self.assertEqual((page.state, page.error), ("dead", "the source answered without rows"))
        self.assertEqual(run.state, "partial")

    def test_transient_errors_retry_then_the_page_is_dead(self):
        def parse(system, data):
            raise AssertionError("never answered")

        error = (503, {}, b"{}", 0)
        with self._source(parse), self._stand_in([error, error], self.system):
            run = self.system._sync_start_run()
            page = run.page_ids
            self._perform_job(page.job_uuid)
            self.assertEqual((page.state, page.attempts), ("failed", 1), "mirrored retry")
            self.assertEqual(self._job(page).state, "pending")
            self._perform_job(page.job_uuid)
        self.assertEqual(self._job(page).state, "failed")
        self.assertEqual(page.state, "dead")
        self.assertIn("Retries exhausted", page.error)
        self.assertIn("HTTP 503", page.error)
        self.assertEqual(run.state, "partial")
        self.assertFalse(self.system.pull_watermark)

    def test_a_cancelled_job_makes_the_page_dead(self):
        run = self.system._sync_start_run()
        self._job(run.page_ids).button_cancelled()
        self.assertEqual(run.page_ids.state, "dead")
        self.assertIn("Job cancelled", run.page_ids.error)
        self.assertEqual(run.state, "partial")
