import base64
import json
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from odoo.addons.q2c_base.exceptions import MappingError
from odoo.addons.q2c_timesheet.tests.common import Q2cTimeCase
from odoo.tests import tagged

APPROVED_TAG = 7001
SEARCH_PATH = "/reports/api/v3/workspace/4567890/search/time_entries"


def toggl_row(
    entry_id,
    seconds=7200,
    start="2025-03-27T09:00:00+00:00",
    tags=(APPROVED_TAG,),
    at="2025-03-31T12:00:00+00:00",
    stop="2025-03-27T11:00:00+00:00",
    **values,
):
    """A row of Toggl's detailed report (Reports API v3, `grouped: false`): what the entries
    share, and the time entry itself (saas-specs.md 5.2)."""
    return {
        "user_id": 9101,
        "username": "Gina",
        "project_id": 9201,
        "task_id": None,
        "billable": True,
        "description": "Design review",
        "tag_ids": list(tags),
        "billable_amount_in_cents": 30000,
        "hourly_rate_in_cents": 15000,
        "currency": "USD",
        "row_number": entry_id,
        "time_entries": [
            {
                "id": entry_id,
                "seconds": seconds,
                "start": start,
                "stop": stop,
                "at": at,
                "at_tz": at,
            }
        ],
        **values,
    }


def toggl_page(rows, next_id=None, next_row=None):
    """One answer of the search: a JSON array of rows; the cursor of the next page in the
    X-Next-ID / X-Next-Row-Number headers while more rows follow."""
    headers = {}
    if next_id:
        headers = {"X-Next-ID": str(next_id), "X-Next-Row-Number": str(next_row)}
    return (200, headers, json.dumps(rows).encode(), 0)


TOGGL_SETTINGS = {
    "api_token": "toggl-token",
    "toggl_workspace_id": "4567890",
    "toggl_approval_mode": "tag",
    "toggl_approval_tag_id": str(APPROVED_TAG),
}


@tagged("post_install", "-at_install")
class TestTogglPull(Q2cTimeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.toggl = cls.pull_system = cls._create_time_source(
            "Toggl (test)", "toggl", "9101", "9201", **TOGGL_SETTINGS
        )

    @staticmethod
    def _body(request):
        return json.loads(request["body"])

    def test_pull_chained_pages_with_auth_and_rate_limit(self):
        script = [
            toggl_page(
                [toggl_row(1), toggl_row(2, seconds=-1711530000, stop=None)], next_id=3, next_row=3
            ),
            (429, {"Retry-After": "0"}, b'{"message": "Too many requests"}', 0),
            toggl_page(
                [
                    toggl_row(3, seconds=5400, start="2025-04-01T23:30:00-05:00"),
                    toggl_row(4, tags=()),
                    toggl_row(5, project_id=None),
                ]
            ),
        ]
        run, seen = self._pull(script)
        self.assertEqual(run.state, "done", run.page_ids.mapped("error"))
        self.assertEqual(self.toggl.pull_watermark, run.started_at)
        self.assertEqual(run.page_ids.mapped("page_no"), [1, 2])
        self.assertEqual(len(seen), 3, "the rate-limited page is asked again")
        first = seen[0]
        self.assertEqual(first["method"], "POST")
        self.assertEqual(urlsplit(first["path"]).path, SEARCH_PATH)
        token = base64.b64encode(b"toggl-token:api_token").decode()
        self.assertEqual(first["headers"]["Authorization"], f"Basic {token}")
        today = run.started_at.date()
        body = self._body(first)
        self.assertEqual(body["start_date"], str(today - timedelta(days=30)))
        self.assertEqual(body["end_date"], str(today + timedelta(days=1)))
        self.assertEqual(body["page_size"], 2)
        self.assertNotIn("first_id", body)
        # Page 2 reads the same window from the cursor page 1's answer gave, also on retry.
        for request in seen[1:]:
            self.assertEqual(self._body(request), {**body, "first_id": 3, "first_row_number": 3})
        line = self._line("1", self.toggl)
        self.assertEqual(line.unit_amount, 2.0)
        self.assertEqual(line.employee_id, self.gina)
        self.assertEqual(str(line.date), "2025-03-27")
        self.assertEqual(line.q2c_billing_status, "to_bill")
        self.assertAmount(line.q2c_rate, 160.0)
        self.assertEqual(line.q2c_approved_at, datetime(2025, 3, 31, 12, 0))
        self.assertEqual(line.create_uid, self.time_user)
        self.assertFalse(self._line("2", self.toggl), "a running timer is not imported")
        late = self._line("3", self.toggl)
        self.assertEqual(late.unit_amount, 1.5)
        self.assertEqual(str(late.date), "2025-04-01", "the date of the start as Toggl writes it")
        self.assertAmount(late.q2c_rate, 170.0)
        untagged = self._line("4", self.toggl)
        self.assertEqual(untagged.q2c_approval_state, "draft")
        self.assertEqual(untagged.q2c_billing_status, "pending_approval")
        second = run.page_ids.filtered(lambda p: p.page_no == 2)
        self.assertEqual((second.created_count, second.rejected_count), (2, 1))
        self.assertFalse(self._line("5", self.toggl), "no project: rejected, not guessed")

    def test_entry_edited_after_import_updates_or_corrects(self):
        self.toggl.toggl_import_from = "2025-03-01"
        run, seen = self._pull([toggl_page([toggl_row(21), toggl_row(22, seconds=10800)])])
        self.assertEqual(self._body(seen[0])["start_date"], "2025-03-01")
        self.assertEqual(run.page_ids.created_count, 2)
        billed = self._line("22", self.toggl)
        billed._q2c_mark_billed("INV-2025-0001")
        since = self.toggl.pull_watermark - timedelta(minutes=5)
        # Both entries are edited in Toggl. The report filters by work date, so the next run
        # reads the look-back window before the watermark again and finds them changed.
        edited = [
            toggl_row(21, seconds=9000, at="2025-04-02T08:00:00+00:00"),
            toggl_row(22, seconds=14400, at="2025-04-02T08:00:00+00:00"),
        ]
        second, seen = self._pull([toggl_page(edited)])
        self.assertEqual(second.updated_since, since)
        window_start = since.date() - timedelta(days=30)
        self.assertEqual(self._body(seen[0])["start_date"], str(window_start))
        self.assertEqual(second.page_ids.updated_count, 2)
        self.assertEqual(self._line("21", self.toggl).unit_amount, 2.5)
        # Billed: immutable; a reversal at the billed rate and a replacement (1.9).
        self.assertEqual(billed.unit_amount, 3.0)
        self.assertEqual(billed.q2c_billing_status, "billed")
        corrections = self.env["account.analytic.line"].search(
            [("q2c_origin_id", "=", billed.id)], order="id"
        )
        self.assertEqual(corrections.mapped("q2c_correction_kind"), ["reversal", "replacement"])
        self.assertEqual(corrections.mapped("unit_amount"), [-3.0, 4.0])
        self.assertEqual(corrections.mapped("q2c_billing_status"), ["to_bill", "to_bill"])
        # The same answer once more: nothing changes.
        third, _seen = self._pull([toggl_page(edited)])
        self.assertEqual(third.page_ids.unchanged_count, 2)
        self.assertEqual(
            self.env["account.analytic.line"].search_count([("q2c_origin_id", "=", billed.id)]),
            2,
        )

    def test_dead_chained_page_ends_partial_and_next_run_reads_it_again(self):
        watermark = datetime(2025, 4, 10, 6, 0)
        self.toggl.sudo().pull_watermark = watermark
        error = (500, {}, b'{"message": "boom"}', 0)
        script = [
            toggl_page([toggl_row(31), toggl_row(32)], next_id=33, next_row=3),
            error,
            error,  # page 2, first job try (two calls)
            error,
            error,  # page 2, second and last job try
        ]
        run, seen = self._pull(script)
        pages = {page.page_no: page for page in run.page_ids}
        self.assertEqual(sorted(pages), [1, 2], run.page_ids.mapped("error"))
        self.assertEqual(pages[1].state, "done")
        self.assertEqual(pages[2].state, "dead")
        self.assertIn("HTTP 500", pages[2].error)
        self.assertEqual(run.state, "partial")
        self.assertTrue(run.finished_at)
        self.assertEqual(self.toggl.pull_watermark, watermark, "a dead page keeps the watermark")
        window = self._body(seen[0])
        # The next run starts from the same watermark: the same window, page 1 found
        # unchanged, and the rows behind the dead page imported this time.
        script = [
            toggl_page([toggl_row(31), toggl_row(32)], next_id=33, next_row=3),
            toggl_page([toggl_row(33)]),
        ]
        second, seen = self._pull(script)
        self.assertEqual(self._body(seen[0]), window)
        self.assertEqual(second.state, "done")
        pages = {page.page_no: page for page in second.page_ids}
        self.assertEqual(pages[1].unchanged_count, 2)
        self.assertEqual(pages[2].created_count, 1)
        self.assertTrue(self._line("33", self.toggl))
        self.assertEqual(self.toggl.pull_watermark, second.started_at)

    def test_long_retry_after_and_quota_postpone_the_page(self):
        script = [
            (429, {"Retry-After": "120"}, b'{"message": "Too many requests"}', 0),
            (402, {"X-Toggl-Quota-Resets-In": "900"}, b'"quota exceeded"', 0),
            toggl_page([toggl_row(41)]),
        ]
        self.toggl.pull_page_max_retries = 3
        with self._stand_in(script) as seen:
            run = self.toggl._sync_start_run()
            page = run.page_ids
            for wait, reason in ((120, "HTTP 429"), (900, "402")):
                before = datetime.now()
                self._perform(page.job_uuid)
                with self.subTest(reason):
                    self.assertEqual(page.state, "failed")
                    self.assertIn(reason, page.error)
                    eta = self._job(page).eta
                    self.assertGreaterEqual(eta, before + timedelta(seconds=wait - 1))
                    self.assertLessEqual(eta, datetime.now() + timedelta(seconds=wait))
            self._perform(page.job_uuid)
        self.assertEqual(len(seen), 3, "a long wait is not slept in the worker")
        self.assertEqual(page.state, "done")
        self.assertEqual(run.state, "done")
        self.assertTrue(self._line("41", self.toggl))

    def test_wrong_token_is_dead_at_once(self):
        for status in (401, 403):
            with self.subTest(status=status):
                run, seen = self._pull([(status, {}, b"Incorrect username and/or password", 0)])
                self.assertEqual(len(seen), 1)
                self.assertEqual(run.page_ids.state, "dead")
                self.assertIn(f"HTTP {status}", run.page_ids.error)
                self.assertEqual(run.state, "partial")
                self.assertFalse(self.toggl.pull_watermark)

    def test_approval_modes(self):
        self.toggl.toggl_approval_mode = "all"
        self._pull([toggl_page([toggl_row(51, tags=())])])
        self.assertEqual(self._line("51", self.toggl).q2c_billing_status, "to_bill")
        # Tag mode without a tag: refused before spending a request of Toggl's quota.
        self.toggl.write({"toggl_approval_mode": "tag", "toggl_approval_tag_id": False})
        run, seen = self._pull([toggl_page([toggl_row(52)])])
        self.assertEqual(seen, [])
        self.assertEqual(run.page_ids.state, "dead")
        self.assertIn("Approval Tag ID", run.page_ids.error)

    def test_next_cursor_ends_the_chain(self):
        body = {"start_date": "2025-03-01", "end_date": "2025-04-11", "page_size": 2}
        heads = {"X-Next-ID": "9", "X-Next-Row-Number": "3"}
        parse = self.toggl._toggl_parse_page
        _entries, cursor = parse({"rows": [toggl_row(61)], "body": body, "headers": heads})
        self.assertEqual(json.loads(cursor), {**body, "first_id": 9, "first_row_number": 3})
        cases = [
            ("last page", [toggl_row(61)], body, {}),
            ("empty page", [], body, heads),
            (
                "same cursor again",
                [toggl_row(61)],
                {**body, "first_id": 9, "first_row_number": 3},
                heads,
            ),
        ]
        for name, rows, sent, headers in cases:
            with self.subTest(name):
                answer = {"rows": rows, "body": sent, "headers": headers}
                self.assertIsNone(parse(answer)[1])
        with self.assertRaises(MappingError):
            parse({"rows": {"error": "x"}, "body": body, "headers": {}})

    def test_cron_enqueues_as_the_integration_user(self):
        _run, job = self._cron_run()
        self.assertEqual(job.user_id, self.time_user)
        self.assertEqual(job.channel, self.toggl.job_channel)

    def test_entries_that_cannot_be_imported_are_held(self):
        """A stopped 30-hour entry and a row that is not an object are held with their
        reasons; the entry beside them imports, the run is done (issue 11, items 6 and 8).
        The work date is the start's date in the offset Toggl writes it with (the user's
        time zone), not in UTC (item 7)."""
        self.toggl.toggl_import_from = "2025-03-01"
        self.toggl.pull_page_size = 5
        rows = [
            toggl_row(71, seconds=30 * 3600),
            "not a row",
            toggl_row(72, start="2025-03-27T21:30:00-05:00", stop="2025-03-27T23:30:00-05:00"),
        ]
        run, _seen = self._pull([toggl_page(rows)])
        self.assertEqual(run.state, "done")
        self.assertEqual((run.page_ids.created_count, run.page_ids.held_count), (1, 2))
        self.assertEqual(str(self._line("72", self.toggl).date), "2025-03-27")
        holds = self.env["q2c.sync.hold"].search([("system_id", "=", self.toggl.id)])
        reasons = {hold.external_id: hold.reason for hold in holds}
        self.assertIn("'hours' must be", reasons["71"])
        self.assertTrue(any("not an object" in reason for reason in reasons.values()))
