import json
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

from odoo.addons.q2c_base.tests.common import stand_in_server
from odoo.addons.q2c_sync.models.q2c_system import Q2cSystem
from odoo.tests import tagged

from .common import Q2cTimeCase


def cursor_page(entries, cursor=None):
    """A page of the test source: entries in q2c's normalised form and the next cursor."""
    return (200, {}, json.dumps({"entries": entries, "next_cursor": cursor}).encode(), 0)


@tagged("post_install", "-at_install")
class TestSyncRuns(Q2cTimeCase):
    """The pull base with a source whose pages are chained by a cursor: page N can only be
    asked with page N-1's answer, so a dead page ends the run partial."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.time_system.write({"pull_page_max_retries": 2, "outbound_max_tries": 2})

    def _normalised(self, external_id):
        entry = self._entry(external_id)
        entry["external_id"] = entry.pop("id")
        return entry

    @contextmanager
    def _cursor_source(self):
        def request(system, run, page_no):
            return f"{system.base_url}/entries", {"page": page_no}

        def parse(system, data):
            return data["entries"], bool(data["next_cursor"])

        def model(system, stream):
            return "account.analytic.line"

        with (
            patch.object(Q2cSystem, "_sync_page_request", request),
            patch.object(Q2cSystem, "_sync_parse_page", parse),
            patch.object(Q2cSystem, "_sync_stream_model", model),
        ):
            yield

    def test_each_system_is_pulled_at_its_own_interval(self):
        started = []
        self.time_system.write({"pull_enabled": True, "pull_interval": 60})
        run = self.env["q2c.sync.run"].create(
            {
                "system_id": self.time_system.id,
                "state": "done",
                "started_at": datetime.now() - timedelta(minutes=10),
            }
        )
        with patch.object(Q2cSystem, "_sync_start_run", lambda system: started.append(system.id)):
            self.env["q2c.system"]._cron_pull()
            self.assertNotIn(self.time_system.id, started, "pulled 10 minutes ago: not due")
            run.started_at = datetime.now() - timedelta(minutes=61)
            self.env["q2c.system"]._cron_pull()
            self.assertIn(self.time_system.id, started, "pulled 61 minutes ago: due")

    def test_a_dead_chained_page_ends_the_run_partial(self):
        error = (500, {}, b'{"error": "boom"}', 0)
        pages = [
            cursor_page([self._normalised("c1")], "p2"),
            cursor_page([self._normalised("c2")], "p3"),
            cursor_page([self._normalised("c3")]),
        ]
        script = [pages[0], error, error, error, error]
        with self._cursor_source(), stand_in_server(script) as (url, seen):
            self.time_system.base_url = url
            run = self.time_system._sync_start_run()
            self._run_all(run)
        self.assertEqual(len(seen), 5, "nothing is asked after the dead page")
        dead = run.page_ids.filtered(lambda p: p.page_no == 2)
        self.assertEqual(dead.state, "dead")
        self.assertIn("HTTP 500", dead.error)
        self.assertTrue(dead.chain_stopped)
        self.assertEqual(run.state, "partial")
        self.assertIn("main page 2", run.note)
        self.assertIn("were not read", run.note)
        self.assertFalse(self.time_system.pull_watermark)
        self.assertTrue(self._line("c1"))
        # The next run reads everything again from the old watermark, without duplicates.
        with self._cursor_source(), stand_in_server(pages) as (url, seen):
            self.time_system.base_url = url
            second = self.time_system._sync_start_run()
            self._run_all(second)
        self.assertNotIn("updated_since", parse_qs(urlsplit(seen[0]["path"]).query))
        self.assertEqual(second.state, "done")
        self.assertEqual(self.time_system.pull_watermark, second.started_at)
        counts = [(p.page_no, p.created_count, p.unchanged_count) for p in second.page_ids]
        self.assertEqual(sorted(counts), [(1, 0, 1), (2, 1, 0), (3, 1, 0)])
        lines = self.env["account.analytic.line"].search(
            [("q2c_system_id", "=", self.time_system.id)]
        )
        self.assertEqual(sorted(lines.mapped("q2c_external_id")), ["c1", "c2", "c3"])

    def test_cron_closes_a_run_whose_last_pages_ended_together(self):
        """Two last pages committing together each saw the other unfinished: the next cron
        tick closes the run (and advances the watermark), then starts the next one."""
        self.time_system.pull_enabled = True
        run = self.env["q2c.sync.run"].create(
            {"system_id": self.time_system.id, "started_at": "2026-01-05 10:00:00"}
        )
        self.env["q2c.sync.page"].create(
            [{"run_id": run.id, "page_no": n, "state": "done"} for n in (1, 2)]
        )
        with self._cursor_source():
            self.env["q2c.system"]._cron_pull()
        self.assertEqual(run.state, "done")
        self.assertEqual(str(self.time_system.pull_watermark), "2026-01-05 10:00:00")
        runs = self.time_system.sync_run_ids
        self.assertEqual(runs.mapped("state"), ["running", "done"])
        self.assertEqual(str(runs[0].updated_since), "2026-01-05 09:55:00")
