import json
from urllib.parse import parse_qs, urlsplit

from odoo.addons.q2c_timesheet.tests.common import Q2cTimeCase
from odoo.tests import tagged


def harvest_entry(entry_id, hours=2.0, day="2025-03-27", **values):
    """A time entry as Harvest v2 documents it (saas-specs.md 5.1), trimmed to what we read."""
    return {
        "id": entry_id,
        "spent_date": day,
        "hours": hours,
        "rounded_hours": hours,
        "notes": "Design review",
        "is_locked": True,
        "locked_reason": "approved",
        "is_closed": False,
        "approval_status": "approved",
        "is_billed": False,
        "is_running": False,
        "billable": True,
        "billable_rate": 150.0,
        "user": {"id": 101, "name": "Gina"},
        "project": {"id": 201, "name": "P-600"},
        "client": {"id": 301, "name": "C-600 customer"},
        "task": {"id": 401, "name": "Design"},
        "created_at": "2025-03-27T17:00:00Z",
        "updated_at": "2025-03-31T12:00:00Z",
        **values,
    }


def harvest_page(entries, page, total_pages, per_page=2, key="time_entries"):
    """One page of a Harvest v2 list answer, the records under `key`."""
    body = {
        key: entries,
        "per_page": per_page,
        "total_pages": total_pages,
        "total_entries": per_page * total_pages,
        "page": page,
        "next_page": page + 1 if page < total_pages else None,
        "previous_page": page - 1 if page > 1 else None,
        "links": {"first": "…", "next": None, "previous": None, "last": "…"},
    }
    return (200, {}, json.dumps(body).encode(), 0)


# The settings of the test systems reading Harvest (time entries and expenses).
HARVEST_SETTINGS = {
    "api_token": "harvest-pat",
    "harvest_account_id": "987654",
    "harvest_reconcile_days": 0,
}


@tagged("post_install", "-at_install")
class TestHarvestPull(Q2cTimeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.harvest = cls.pull_system = cls._create_time_source(
            "Harvest (test)", "harvest", "101", "201", **HARVEST_SETTINGS
        )

    def test_pull_pages_rate_limit_and_edit(self):
        script = [
            harvest_page([harvest_entry(1), harvest_entry(2, is_running=True)], 1, 2),
            (429, {"Retry-After": "0"}, b'{"message": "Too many requests"}', 0),
            harvest_page(
                [
                    harvest_entry(3, hours=1.5),
                    harvest_entry(4, approval_status="submitted", is_locked=False),
                ],
                2,
                2,
            ),
        ]
        with self._stand_in(script) as seen:
            run = self.harvest._sync_start_run()
            self.assertEqual(run.page_ids.mapped("page_no"), [1])
            self.assertTrue(run.page_ids.job_uuid)
            self._run_all(run)
        self.assertEqual(run.state, "done")
        self.assertEqual(self.harvest.pull_watermark, run.started_at)
        self.assertEqual(sorted(run.page_ids.mapped("state")), ["done", "done"])
        first = seen[0]
        self.assertEqual(first["headers"]["Authorization"], "Bearer harvest-pat")
        self.assertEqual(first["headers"]["Harvest-Account-Id"], "987654")
        self.assertIn("q2c", first["headers"]["User-Agent"])
        query = parse_qs(urlsplit(first["path"]).query)
        self.assertEqual(query["page"], ["1"])
        self.assertEqual(query["per_page"], ["2"])
        self.assertNotIn("updated_since", query)
        self.assertEqual(len(seen), 3, "the rate-limited page is asked again")
        self.assertEqual(self._line("1", self.harvest).unit_amount, 2.0)
        self.assertFalse(self._line("2", self.harvest), "a running timer is not imported")
        self.assertEqual(self._line("3", self.harvest).q2c_billing_status, "to_bill")
        self.assertEqual(self._line("4", self.harvest).q2c_billing_status, "pending_approval")
        self.assertEqual(self._line("1", self.harvest).create_uid, self.time_user)
        # The entry is edited in Harvest after import: the next run pulls it from the
        # watermark minus the overlap and updates it; an unchanged one stays unchanged.
        script = [
            harvest_page(
                [
                    harvest_entry(1, hours=2.5, updated_at="2025-04-02T08:00:00Z"),
                    harvest_entry(3, hours=1.5),
                ],
                1,
                1,
            )
        ]
        second, seen = self._pull(script)
        query = parse_qs(urlsplit(seen[0]["path"]).query)
        self.assertIn("updated_since", query)
        page = second.page_ids
        self.assertEqual((page.updated_count, page.unchanged_count), (1, 1))
        self.assertEqual(self._line("1", self.harvest).unit_amount, 2.5)

    def test_a_failing_page_goes_dead_while_the_others_go_on(self):
        error = (500, {}, b'{"message": "boom"}', 0)
        script = [
            harvest_page([harvest_entry(11)], 1, 3, per_page=1),
            error,
            error,  # page 2, first job try (two calls)
            harvest_page([harvest_entry(13)], 3, 3, per_page=1),
            error,
            error,  # page 2, second and last job try
        ]
        run, _seen = self._pull(script)
        pages = {page.page_no: page for page in run.page_ids}
        self.assertEqual(pages[1].state, "done")
        self.assertEqual(pages[3].state, "done")
        self.assertEqual(pages[2].state, "dead")
        self.assertIn("HTTP 500", pages[2].error)
        self.assertEqual(run.state, "partial")
        self.assertFalse(self.harvest.pull_watermark, "a dead page keeps the watermark")
        self.assertTrue(self._line("13", self.harvest))

    def test_refused_answer_is_dead_at_once(self):
        script = [(401, {}, b'{"error": "invalid_token"}', 0)]
        run, seen = self._pull(script)
        self.assertEqual(len(seen), 1)
        self.assertEqual(run.page_ids.state, "dead")
        self.assertIn("401", run.page_ids.error)
        self.assertEqual(run.state, "partial")

    def test_cron_enqueues_as_the_integration_user(self):
        _run, job = self._cron_run()
        self.assertEqual(job.user_id, self.time_user)
        self.assertEqual(job.channel, self.harvest.job_channel)
        # A run under way: the cron starts no second one.
        self.env["q2c.system"]._cron_pull()
        self.assertEqual(len(self.harvest.sync_run_ids), 1)

    # --- deletions ---------------------------------------------------------------------------

    def test_deleted_entries_are_found_by_reading_the_window_again(self):
        self.harvest.harvest_reconcile_days = 7
        entries = [
            harvest_entry(21, day=self._days_ago(1)),
            harvest_entry(22, day=self._days_ago(2), hours=2.5),
            harvest_entry(23, day=self._days_ago(3)),
            harvest_entry(29, day=self._days_ago(30)),
        ]
        run, seen = self._pull(
            [harvest_page(entries, 1, 1, per_page=4), harvest_page(entries[:3], 1, 1, per_page=3)]
        )
        self.assertEqual(run.state, "done")
        self.assertEqual(len(seen), 2)
        query = parse_qs(urlsplit(seen[1]["path"]).query)
        self.assertEqual((query["from"], query["to"]), ([self._days_ago(6)], [self._days_ago(0)]))
        self.assertNotIn("updated_since", query)
        self.assertNotIn("is_running", query, "a running timer still exists at the source")
        self.assertFalse(run.note)
        billed = self._line("23", self.harvest)
        billed._q2c_mark_billed("INV/H1")
        # 22 and 23 are deleted in Harvest; 24 runs (listed, not imported); 29 is older
        # than the window and not read again.
        listing = [
            harvest_entry(21, day=self._days_ago(1)),
            harvest_entry(24, day=self._days_ago(0), is_running=True),
        ]
        second, seen = self._pull([harvest_page([], 1, 1), harvest_page(listing, 1, 1)])
        self.assertEqual(second.state, "done")
        self.assertIn("2 entries deleted at the source", second.note)
        deleted = self._line("22", self.harvest)
        self.assertEqual((deleted.unit_amount, deleted.q2c_billing_status), (0.0, "deleted"))
        self.assertIn("Was 2.50 h", deleted.q2c_hold_reason)
        self.assertEqual((billed.unit_amount, billed.q2c_billing_status), (2.0, "billed"))
        reversal = self.env["account.analytic.line"].search([("q2c_origin_id", "=", billed.id)])
        self.assertEqual((reversal.q2c_correction_kind, reversal.unit_amount), ("reversal", -2.0))
        self.assertIn("Deleted in Harvest (test)", reversal.q2c_hold_reason)
        self.assertEqual(self._line("29", self.harvest).unit_amount, 2.0)
        self.assertEqual(self._line("21", self.harvest).q2c_billing_status, "to_bill")
        # The same listing again changes nothing: no second reversal.
        third, _seen = self._pull([harvest_page([], 1, 1), harvest_page(listing, 1, 1)])
        self.assertFalse(third.note)
        self.assertEqual(len(reversal.search([("q2c_origin_id", "=", billed.id)])), 1)
        # Listed again after all (its date had moved, say): the entry is restored; the
        # billed one gets a replacement next to its reversal.
        back = [
            harvest_entry(22, day=self._days_ago(2), hours=2.5, updated_at="2030-01-01T00:00:00Z"),
            harvest_entry(23, day=self._days_ago(3), updated_at="2030-01-01T00:00:00Z"),
        ]
        self._pull([harvest_page(back, 1, 1), harvest_page(back + listing, 1, 1)])
        self.assertEqual((deleted.unit_amount, deleted.q2c_billing_status), (2.5, "to_bill"))
        corrections = reversal.search([("q2c_origin_id", "=", billed.id)], order="id")
        self.assertEqual(corrections.mapped("q2c_correction_kind"), ["reversal", "replacement"])
        self.assertEqual(sum((billed | corrections).mapped("unit_amount")), 2.0)

    def test_no_deletion_on_an_incomplete_or_suspicious_read(self):
        self.harvest.harvest_reconcile_days = 7
        entries = [harvest_entry(40 + n, day=self._days_ago(n % 5)) for n in range(12)]
        error = (500, {}, b'{"message": "boom"}', 0)
        # The re-read has two pages; its page 2 keeps failing: nothing is marked deleted.
        script = [
            harvest_page(entries, 1, 1, per_page=12),
            harvest_page(entries[:1], 1, 2, per_page=1),
            error,
            error,
            error,
            error,
        ]
        run, _seen = self._pull(script)
        self.assertEqual(run.state, "partial")
        self.assertIn("Deletions not checked", run.note)
        self.assertFalse(self.harvest.pull_watermark)
        self.assertEqual(set(self._lines().mapped("q2c_billing_status")), {"to_bill"})
        # A complete re-read that no longer lists most entries looks like a change of rights,
        # not deletions: refused, with an exception for a person.
        run, _seen = self._pull([harvest_page([], 1, 1), harvest_page(entries[:2], 1, 1)])
        self.assertEqual(run.state, "done")
        self.assertIn("Deletions not applied: 10 of 12", run.note)
        self.assertEqual(set(self._lines().mapped("q2c_billing_status")), {"to_bill"})
        exception = self.env["q2c.exception"].search(
            [("system_id", "=", self.harvest.id), ("state", "=", "open")]
        )
        self.assertIn("missing at the source", exception.name)
        # A run with a dead page in its main read does not even start the re-read.
        run, seen = self._pull([(401, {}, b'{"error": "invalid_token"}', 0)])
        self.assertEqual(len(seen), 1)
        self.assertIn("Deletions not checked: the run has dead pages", run.note)

    def _lines(self):
        return self.env["account.analytic.line"].search([("q2c_system_id", "=", self.harvest.id)])

    def test_entries_that_cannot_be_imported_are_held(self):
        """A stopped 30-hour entry (fails validation) and an entry with a malformed
        timestamp (cannot be mapped) are held with their reasons, counted on the page; the
        entry beside them imports, the run is done (issue 11, items 6 and 8)."""
        entries = [
            harvest_entry(21, hours=30.0),
            harvest_entry(22, updated_at="last Tuesday"),
            harvest_entry(23),
        ]
        run, _seen = self._pull([harvest_page(entries, 1, 1, per_page=3)])
        self.assertEqual(run.state, "done")
        self.assertEqual(self.harvest.pull_watermark, run.started_at)
        self.assertEqual((run.page_ids.created_count, run.page_ids.held_count), (1, 2))
        self.assertIn("2 entries held with their reason", run.note)
        self.assertTrue(self._line("23", self.harvest))
        holds = self.env["q2c.sync.hold"].search([("system_id", "=", self.harvest.id)])
        reasons = {hold.external_id: hold.reason for hold in holds}
        self.assertIn("'hours' must be", reasons["21"])
        self.assertIn("malformed timestamp", reasons["22"])
