import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from odoo import fields
from odoo.addons.q2c_timesheet.tests.common import Q2cTimeCase
from odoo.tests import tagged

from ..models.q2c_system import duration_hours


def approval(request_id, entries, state="APPROVED", updated="2025-03-31T10:00:00Z", zone="UTC"):
    """An approval request as Clockify lists it (saas-specs.md 5.3); `zone` is the
    owner's time zone."""
    return {
        "approvalRequest": {
            "id": request_id,
            "workspaceId": "ws1",
            "type": "TIMESHEET",
            "dateRange": {"start": "2025-03-24T00:00:00Z", "end": "2025-03-30T23:59:59Z"},
            "owner": {
                "userId": "c-gina",
                "userName": "Gina",
                "timeZone": zone,
                "startOfWeek": "MONDAY",
            },
            "status": {
                "state": state,
                "note": "",
                "updatedAt": updated,
                "updatedBy": "c-boss",
                "updatedByUserName": "Boss",
            },
        },
        "entries": entries,
    }


def answer(items):
    return (200, {}, json.dumps(items).encode(), 0)


def stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def entry(entry_id, duration="PT1H30M", start="2025-03-27T09:00:00Z", end="x"):
    return {
        "id": entry_id,
        "approvalRequestId": "r1",
        "description": "Workshop",
        "billable": True,
        "isLocked": True,
        "project": {"id": "c-p600", "name": "P-600", "clientId": "c1"},
        "task": None,
        "tags": [],
        "timeInterval": {"start": start, "end": end, "duration": duration},
    }


@tagged("post_install", "-at_install")
class TestClockifyPull(Q2cTimeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        settings = {"api_token": "clockify-key", "clockify_workspace_id": "ws1"}
        cls.clockify = cls.pull_system = cls._create_time_source(
            "Clockify (test)", "clockify", "c-gina", "c-p600", **settings
        )

    def test_duration(self):
        for text, hours in (("PT1H30M", 1.5), ("PT45M", 0.75), ("PT2H", 2.0), ("PT90S", 0.025)):
            with self.subTest(text):
                self.assertAlmostEqual(duration_hours(text), hours)
        with self.assertRaises(ValueError):
            duration_hours("1h30")

    def test_pull_chained_pages(self):
        page1 = [approval("r1", [entry("e1"), entry("e2", end=None)]), approval("r2", [])]
        page2 = [approval("r3", [entry("e3", duration="PT2H", start="2025-04-02T23:30:00Z")])]
        script = [
            (200, {}, json.dumps(page1).encode(), 0),
            (429, {"Retry-After": "0"}, b"{}", 0),
            (200, {}, json.dumps(page2).encode(), 0),
            answer([]),  # the stream of state changes: none
        ]
        run, seen = self._pull(script)
        self.assertEqual(run.state, "done")
        main = run.page_ids.filtered(lambda p: p.stream == "main")
        self.assertEqual(sorted(main.mapped("page_no")), [1, 2])
        self.assertEqual(run.page_ids.filtered(lambda p: p.stream == "changes").state, "done")
        self.assertEqual(seen[0]["headers"]["X-Api-Key"], "clockify-key")
        self.assertTrue(
            urlsplit(seen[0]["path"]).path.endswith("/workspaces/ws1/approval-requests")
        )
        query = parse_qs(urlsplit(seen[0]["path"]).query)
        self.assertEqual(query["status"], ["APPROVED"])
        self.assertEqual(query["page-size"], ["2"])
        self.assertEqual(self._line("e1", self.clockify).unit_amount, 1.5)
        self.assertFalse(self._line("e2", self.clockify), "a running timer is not imported")
        line = self._line("e3", self.clockify)
        self.assertEqual(str(line.date), "2025-04-02")
        self.assertEqual(line.q2c_billing_status, "to_bill")
        self.assertEqual(self.clockify.pull_watermark, run.started_at)

    def test_an_entry_edited_after_import(self):
        """Edited at the source: updated while unbilled; once billed, a reversal and a
        replacement, the billed line untouched."""
        self._pull([answer([approval("r1", [entry("e1")])]), answer([])])
        line = self._line("e1", self.clockify)
        self.assertEqual(line.unit_amount, 1.5)
        run, _seen = self._pull(
            [answer([approval("r1", [entry("e1", duration="PT2H")])]), answer([])]
        )
        self.assertEqual(sum(run.page_ids.mapped("updated_count")), 1)
        self.assertEqual(line.unit_amount, 2.0)
        line._q2c_mark_billed("INV-CLOCKIFY-1")
        self._pull([answer([approval("r1", [entry("e1", duration="PT2H30M")])]), answer([])])
        self.assertEqual(line.unit_amount, 2.0, "billed history is not edited")
        corrections = self.env["account.analytic.line"].search([("q2c_origin_id", "=", line.id)])
        self.assertEqual(
            sorted((c.q2c_correction_kind, c.unit_amount) for c in corrections),
            [("replacement", 2.5), ("reversal", -2.0)],
        )

    def test_withdrawn_and_rejected_approvals_are_taken_back(self):
        self.clockify.pull_page_size = 4
        first = [
            approval("r1", [entry("e1"), entry("e2")]),
            approval("r2", [entry("e3")]),
            approval("r5", [entry("e5")]),
        ]
        run, _seen = self._pull([answer(first), answer([])])
        self.assertEqual(run.state, "done")
        for ext in ("e2", "e3"):
            self._line(ext, self.clockify)._q2c_mark_billed("INV/C1")
        # r1's approval is withdrawn and r2 rejected; e5 was withdrawn from r4 and approved
        # again in r5 (newer): it stays approved. r0 and r6 changed before the last run.
        now = fields.Datetime.now()
        changes = [
            approval("r5", [entry("e5")], updated=stamp(now)),
            approval("r1", [entry("e1"), entry("e2")], "WITHDRAWN_APPROVAL", stamp(now)),
            approval("r2", [entry("e3")], "REJECTED", stamp(now)),
            approval("r4", [entry("e5")], "WITHDRAWN_APPROVAL", stamp(now - timedelta(minutes=1))),
        ]
        older = [
            approval("r0", [entry("e9")]),
            approval("r6", [entry("e1")], "REJECTED"),
            approval("r7", [entry("e7")]),
            approval("r8", [entry("e8")], "PENDING"),
        ]
        script = [
            answer([approval("r5", [entry("e5")], updated=stamp(now))]),
            answer(changes),
            answer(older),
        ]
        second, seen = self._pull(script)
        self.assertEqual(second.state, "done")
        self.assertEqual(len(seen), 3, "the changes stop at the first page older than the run")
        query = parse_qs(urlsplit(seen[1]["path"]).query)
        self.assertNotIn("status", query)
        self.assertEqual(query["sort-column"], ["UPDATED_AT"])
        self.assertEqual(query["sort-order"], ["DESCENDING"])
        withdrawn = self._line("e1", self.clockify)
        self.assertEqual(withdrawn.q2c_approval_state, "draft")
        self.assertEqual(withdrawn.q2c_billing_status, "pending_approval")
        self.assertFalse(withdrawn.q2c_approved_at)
        self.assertEqual(self._line("e5", self.clockify).q2c_billing_status, "to_bill")
        self.assertFalse(self._line("e9", self.clockify), "this stream imports nothing new")
        Line = self.env["account.analytic.line"]
        billed = self._line("e2", self.clockify)
        self.assertEqual(billed.q2c_billing_status, "billed")
        self.assertEqual(billed.q2c_approval_state, "approved")
        corrections = Line.search([("q2c_origin_id", "=", billed.id)], order="id")
        self.assertEqual(corrections.mapped("q2c_correction_kind"), ["reversal", "replacement"])
        self.assertEqual(corrections[1].q2c_billing_status, "pending_approval")
        rejected = self._line("e3", self.clockify)
        reversal = Line.search([("q2c_origin_id", "=", rejected.id)])
        self.assertEqual((reversal.q2c_correction_kind, reversal.unit_amount), ("reversal", -1.5))
        # The next run reads the same changes again (the overlap): nothing more happens.
        count = Line.search_count([("q2c_system_id", "=", self.clockify.id)])
        third, _seen = self._pull(script)
        self.assertEqual(third.state, "done")
        self.assertEqual(Line.search_count([("q2c_system_id", "=", self.clockify.id)]), count)
        self.assertEqual(sum(third.page_ids.mapped("updated_count")), 0)

    def test_a_dead_page_is_stepped_over(self):
        """Page-number paging: page 2 of 3 keeps failing; page 3 is still written, the run
        ends partial with the reason, and the next run reads everything again."""
        self.clockify.pull_page_size = 1
        error = (500, {}, b'{"message": "boom"}', 0)
        pages = [
            answer([approval("r1", [entry("e1")])]),
            answer([approval("r2", [entry("e2")])]),
            answer([approval("r3", [entry("e3")])]),
            answer([]),
        ]
        script = [pages[0], error, error, error, error, pages[2], pages[3], answer([])]
        run, seen = self._pull(script)
        self.assertEqual(len(seen), 8)
        self.assertEqual(parse_qs(urlsplit(seen[5]["path"]).query)["page"], ["3"])
        main = run.page_ids.filtered(lambda p: p.stream == "main")
        by_no = {page.page_no: page for page in main}
        self.assertEqual(by_no[2].state, "dead")
        self.assertIn("HTTP 500", by_no[2].error)
        self.assertEqual((by_no[3].state, by_no[3].created_count), ("done", 1))
        self.assertTrue(self._line("e3", self.clockify))
        self.assertFalse(self._line("e2", self.clockify))
        self.assertEqual(run.state, "partial")
        self.assertIn("main page 2: Retries exhausted", run.note)
        self.assertFalse(self.clockify.pull_watermark)
        second, _seen = self._pull([*pages, answer([])])
        self.assertEqual(second.state, "done")
        self.assertEqual(self.clockify.pull_watermark, second.started_at)
        Line = self.env["account.analytic.line"]
        lines = Line.search([("q2c_system_id", "=", self.clockify.id)])
        self.assertEqual(sorted(lines.mapped("q2c_external_id")), ["e1", "e2", "e3"])
        self.assertEqual(sum(second.page_ids.mapped("unchanged_count")), 2)

    def _held(self, external_id):
        return self.env["q2c.sync.hold"].search(
            [("system_id", "=", self.clockify.id), ("external_id", "=", external_id)]
        )

    def test_work_date_in_the_owner_time_zone(self):
        """Clockify sends UTC timestamps; the work date is the date where the timesheet's
        owner works (issue 11, item 7): 21:30 in Chicago on the 27th is 02:30 UTC on the
        28th, and stays in the week approved; 00:30 in Berlin on the 28th is the 28th. An
        unknown zone is held with the reason, the others import."""
        chicago = approval(
            "r1", [entry("e1", start="2025-03-28T02:30:00Z")], zone="America/Chicago"
        )
        berlin = approval("r2", [entry("e2", start="2025-03-27T23:30:00Z")], zone="Europe/Berlin")
        self.clockify.pull_page_size = 4
        mars = approval("r3", [entry("e3")], zone="Mars/Olympus_Mons")
        run, _seen = self._pull([answer([chicago, berlin, mars]), answer([])])
        self.assertEqual(run.state, "done")
        self.assertEqual(str(self._line("e1", self.clockify).date), "2025-03-27")
        self.assertEqual(str(self._line("e2", self.clockify).date), "2025-03-28")
        self.assertFalse(self._line("e3", self.clockify))
        self.assertIn("unknown time zone", self._held("e3").reason)

    def test_an_entry_that_fails_validation_is_held(self):
        """A stopped 30-hour entry (a timer left running over a weekend) is not imported:
        it is held with the reason, counted on its page and on the run, with an exception
        for a person; the entry beside it imports and the run goes on (issue 11, item 6).
        Fixed at the source, the next pull imports it and releases the hold."""
        long = entry("e-long", duration="PT30H")
        run, _seen = self._pull([answer([approval("r1", [long, entry("e-ok")])]), answer([])])
        self.assertEqual(run.state, "done")
        self.assertEqual(self.clockify.pull_watermark, run.started_at)
        self.assertTrue(self._line("e-ok", self.clockify))
        self.assertFalse(self._line("e-long", self.clockify))
        hold = self._held("e-long")
        self.assertEqual((hold.state, hold.kind), ("held", "time"))
        self.assertIn("'hours' must be", hold.reason)
        self.assertEqual(json.loads(hold.payload)["hours"], 30.0)
        self.assertTrue(hold.exception_id)
        self.assertIn("Fix them at the source", hold.exception_id.details)
        main = run.page_ids.filtered(lambda p: p.stream == "main")
        self.assertEqual((main.created_count, main.held_count), (1, 1))
        self.assertEqual(run.held_count, 1)
        self.assertIn("1 entry held with its reason", run.note)
        fixed = entry("e-long", duration="PT3H")
        self._pull([answer([approval("r1", [fixed, entry("e-ok")])]), answer([])])
        self.assertEqual(self._line("e-long", self.clockify).unit_amount, 3.0)
        self.assertEqual(hold.state, "released")

    def test_one_unreadable_entry_does_not_block_its_page(self):
        """A duration Clockify wrote malformed, an entry that is not an object and an entry
        without a start are each held with the reason; the entries beside them import and
        the page is done (issue 11, item 8)."""
        bad_duration = entry("e-bad", duration="1h30")
        no_start = entry("e-nostart", start=None)
        items = [approval("r1", [bad_duration, entry("e-ok"), "garbage", no_start])]
        run, _seen = self._pull([answer(items), answer([])])
        self.assertEqual(run.state, "done")
        main = run.page_ids.filtered(lambda p: p.stream == "main")
        self.assertEqual((main.state, main.created_count, main.held_count), ("done", 1, 3))
        self.assertTrue(self._line("e-ok", self.clockify))
        self.assertIn("malformed duration", self._held("e-bad").reason)
        self.assertIn("without a valid start", self._held("e-nostart").reason)
        no_id = self.env["q2c.sync.hold"].search(
            [("system_id", "=", self.clockify.id), ("external_id", "like", "(no id)%")]
        )
        self.assertIn("not an object", no_id.reason)

    def test_an_entry_listed_twice_on_a_page_is_imported_not_held(self):
        """An entry in two approved requests of one page: imported once, and its second
        copy is not held as if it could not be imported."""
        items = [approval("r1", [entry("e1")]), approval("r2", [entry("e1")])]
        run, _seen = self._pull([answer(items), answer([]), answer([])])
        self.assertEqual(run.state, "done")
        self.assertTrue(self._line("e1", self.clockify))
        self.assertEqual(run.held_count, 0)
        self.assertFalse(self._held("e1"))

    def test_an_unreadable_change_is_held_not_the_stream(self):
        """In the stream of approval changes, an entry Odoo holds whose duration cannot be
        read, and a request that is not an object, are held with their reasons; the change
        beside them is applied and the stream is done (issue 11, item 8)."""
        self.clockify.pull_page_size = 4
        self._pull([answer([approval("r1", [entry("e1"), entry("e2")])]), answer([])])
        now = stamp(fields.Datetime.now())
        changes = [
            approval("r1", [entry("e1", duration="soon"), entry("e2")], "REJECTED", now),
            "garbage",
        ]
        run, _seen = self._pull([answer([]), answer(changes)])
        self.assertEqual(run.state, "done")
        stream = run.page_ids.filtered(lambda p: p.stream == "changes")
        self.assertEqual((stream.state, stream.held_count), ("done", 2))
        self.assertEqual(self._line("e2", self.clockify).q2c_approval_state, "rejected")
        self.assertIn("malformed duration", self._held("e1").reason)
        self.assertEqual(self._line("e1", self.clockify).q2c_approval_state, "approved")
