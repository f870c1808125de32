import json
from urllib.parse import parse_qs, urlsplit

from odoo.addons.q2c_timesheet.tests.common import Q2cTimeCase
from odoo.tests import tagged


def worklog(worklog_id, seconds=7200, day="2025-03-27", author="t-gina", **values):
    """A Tempo v4 worklog (saas-specs.md 5.4)."""
    return {
        "self": f"https://api.tempo.io/4/worklogs/{worklog_id}",
        "tempoWorklogId": worklog_id,
        "issue": {"self": "https://x.atlassian.net/rest/api/2/issue/10001", "id": 10001},
        "timeSpentSeconds": seconds,
        "billableSeconds": seconds,
        "startDate": day,
        "startTime": "09:00:00",
        "description": "Spec work",
        "createdAt": "2025-03-27T17:00:00Z",
        "updatedAt": "2025-03-31T12:00:00Z",
        "author": {"self": "…", "accountId": author},
        "attributes": {"values": []},
        **values,
    }


def page(results, next_url=None):
    body = {
        "self": "…",
        "metadata": {"count": len(results), "offset": 0, "limit": 2, "next": next_url},
        "results": results,
    }
    return (200, {}, json.dumps(body).encode(), 0)


def approval(status, start="2025-03-24", end="2025-03-30"):
    body = {
        "period": {"from": start, "to": end},
        "requiredSeconds": 144000,
        "timeSpentSeconds": 144000,
        "status": {"key": status},
    }
    return (200, {}, json.dumps(body).encode(), 0)


@tagged("post_install", "-at_install")
class TestTempoPull(Q2cTimeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        refs = [("issue", "10001", cls.project)]
        settings = {"api_token": "tempo-token", "tempo_lookback_days": 0}
        cls.tempo = cls.pull_system = cls._create_time_source(
            "Tempo (test)", "tempo", "t-gina", None, refs=refs, **settings
        )

    def test_pull_with_period_approval(self):
        script = [
            page([worklog(1), worklog(2, day="2025-03-28")], next_url="https://next"),
            approval("APPROVED"),  # covers 2025-03-27 and 2025-03-28: one call
            (503, {"Retry-After": "0"}, b"{}", 0),
            page([worklog(3, seconds=5400, day="2025-04-01")]),
            approval("IN_REVIEW", "2025-03-31", "2025-04-06"),
        ]
        run, seen = self._pull(script)
        self.assertEqual(run.state, "done")
        self.assertEqual(len(seen), 5)
        self.assertEqual(seen[0]["headers"]["Authorization"], "Bearer tempo-token")
        self.assertEqual(parse_qs(urlsplit(seen[0]["path"]).query)["offset"], ["0"])
        self.assertEqual(parse_qs(urlsplit(seen[2]["path"]).query)["offset"], ["2"])
        self.assertTrue(
            urlsplit(seen[1]["path"]).path.endswith("/timesheet-approvals/user/t-gina")
        )
        line = self._line("1", self.tempo)
        self.assertEqual(line.unit_amount, 2.0)
        self.assertEqual(line.project_id, self.project)
        self.assertEqual(line.q2c_billing_status, "to_bill")
        self.assertEqual(self._line("2", self.tempo).q2c_approval_state, "approved")
        pending = self._line("3", self.tempo)
        self.assertEqual(pending.q2c_approval_state, "submitted")
        self.assertEqual(pending.q2c_billing_status, "pending_approval")
        self.assertEqual(pending.unit_amount, 1.5)

    def test_a_worklog_edited_after_import(self):
        """Edited in Tempo: updated while unbilled; once billed, a reversal and a
        replacement, the billed line untouched."""
        self._pull([page([worklog(7)]), approval("APPROVED")])
        line = self._line("7", self.tempo)
        self.assertEqual(line.unit_amount, 2.0)
        edited = page([worklog(7, seconds=9000, updatedAt="2025-04-02T12:00:00Z")])
        run, _seen = self._pull([edited, approval("APPROVED")])
        self.assertEqual(sum(run.page_ids.mapped("updated_count")), 1)
        self.assertEqual(line.unit_amount, 2.5)
        line._q2c_mark_billed("INV-TEMPO-1")
        again = page([worklog(7, seconds=10800, updatedAt="2025-04-03T12:00:00Z")])
        self._pull([again, approval("APPROVED")])
        self.assertEqual(line.unit_amount, 2.5, "billed history is not edited")
        corrections = self.env["account.analytic.line"].search([("q2c_origin_id", "=", line.id)])
        self.assertEqual(
            sorted((c.q2c_correction_kind, c.unit_amount) for c in corrections),
            [("replacement", 3.0), ("reversal", -2.5)],
        )

    def test_a_period_approved_later_is_pulled(self):
        """Approving a period does not update its worklogs: the look-back asks again for
        the periods that hold unapproved worklogs and reads those approved since."""
        self.tempo.tempo_lookback_days = 14
        start, end = self._days_ago(6), self._days_ago(0)
        logs = [
            worklog(31, day=self._days_ago(3)),
            worklog(32, day=self._days_ago(2)),
            worklog(33, day=self._days_ago(40)),
        ]
        run, seen = self._pull(
            [
                page(logs),
                approval("IN_REVIEW", start, end),
                approval("OPEN", self._days_ago(44), self._days_ago(38)),
                approval("IN_REVIEW", start, end),  # the look-back: still in review
            ]
        )
        self.assertEqual(run.state, "done")
        self.assertEqual(len(seen), 4)
        self.assertEqual([p.stream for p in run.page_ids], ["main", "approvals"])
        self.assertEqual(self._line("31", self.tempo).q2c_billing_status, "pending_approval")
        # The period is approved in Tempo; the worklogs are not updated: the main read finds
        # nothing, the look-back finds the approval and reads the period's worklogs.
        script = [page([]), approval("APPROVED", start, end), page(logs[:2])]
        second, seen = self._pull(script)
        self.assertEqual(second.state, "done")
        self.assertEqual(len(seen), 3)
        path = urlsplit(seen[2]["path"])
        self.assertTrue(path.path.endswith("/worklogs/user/t-gina"))
        query = parse_qs(path.query)
        self.assertEqual((query["from"], query["to"]), ([start], [end]))
        for ext in ("31", "32"):
            line = self._line(ext, self.tempo)
            self.assertEqual(line.q2c_approval_state, "approved")
            self.assertEqual(line.q2c_billing_status, "to_bill")
            self.assertAmount(line.q2c_rate, 170.0)
            self.assertGreaterEqual(line.q2c_approved_at, second.started_at)
        self.assertEqual(
            self._line("33", self.tempo).q2c_approval_state, "draft", "older than the look-back"
        )
        # Nothing unapproved left in the window: no look-back.
        third, seen = self._pull([page([])])
        self.assertEqual(len(seen), 1)
        self.assertEqual(third.page_ids.mapped("stream"), ["main"])

    def test_a_dead_page_is_stepped_over(self):
        """Offset paging: page 2 of 3 keeps failing; page 3 is still written."""
        self.tempo.pull_page_size = 1
        error = (500, {}, b"{}", 0)
        script = [
            page([worklog(41)], next_url="https://next"),
            approval("APPROVED"),
            error,
            error,
            error,
            error,
            page([worklog(43)]),
            approval("APPROVED"),
        ]
        run, seen = self._pull(script)
        self.assertEqual(len(seen), 8)
        self.assertEqual(parse_qs(urlsplit(seen[6]["path"]).query)["offset"], ["2"])
        by_no = {p.page_no: p for p in run.page_ids}
        self.assertEqual((by_no[2].state, by_no[3].state), ("dead", "done"))
        self.assertIn("HTTP 500", by_no[2].error)
        self.assertEqual(self._line("43", self.tempo).q2c_billing_status, "to_bill")
        self.assertEqual(run.state, "partial")
        self.assertIn("main page 2", run.note)
        self.assertFalse(self.tempo.pull_watermark)

    def test_a_dead_look_back_ends_the_run_partial(self):
        """The look-back is one page: when it keeps failing it is not stepped over."""
        self.tempo.tempo_lookback_days = 14
        start, end = self._days_ago(6), self._days_ago(0)
        error = (503, {}, b"{}", 0)
        script = [
            page([worklog(51, day=self._days_ago(1))]),
            approval("IN_REVIEW", start, end),
            error,
            error,
            error,
            error,
        ]
        run, seen = self._pull(script)
        self.assertEqual(len(seen), 6)
        look_back = run.page_ids.filtered(lambda p: p.stream == "approvals")
        self.assertEqual((look_back.page_no, look_back.state), (1, "dead"))
        self.assertEqual(run.state, "partial")
        self.assertIn("approvals page 1: Retries exhausted", run.note)
        self.assertFalse(self.tempo.pull_watermark)

    def test_an_author_tempo_does_not_know_is_held_not_the_page(self):
        """The approval lookup of one author answers 404 (an Atlassian account deleted):
        that author's worklogs are held with the reason, the others import and the page is
        done, run after run (issue 11, item 8). Other refusals still end the page."""
        self.env["q2c.external.ref"]._bind(self.tempo, "employee", "t-gone", self.hal)
        gone = (404, {}, b'{"errors": [{"message": "User not found"}]}', 0)
        worklogs = [worklog(41), worklog(42, author="t-gone"), worklog(43, author="t-gone")]
        self.tempo.pull_page_size = 3
        run, seen = self._pull([page(worklogs), approval("APPROVED"), gone])
        self.assertEqual(run.state, "done")
        self.assertEqual(len(seen), 3, "one lookup per author, the 404 not asked again")
        self.assertEqual((run.page_ids.created_count, run.page_ids.held_count), (1, 2))
        self.assertEqual(self._line("41", self.tempo).q2c_approval_state, "approved")
        holds = self.env["q2c.sync.hold"].search([("system_id", "=", self.tempo.id)])
        self.assertEqual(sorted(holds.mapped("external_id")), ["42", "43"])
        self.assertIn("HTTP 404", holds[0].reason)
        self.assertIn("t-gone", holds[0].reason)
        refused = (401, {}, b'{"errors": [{"message": "bad token"}]}', 0)
        second, _seen = self._pull([page([worklog(44, author="t-gone")]), refused])
        self.assertEqual(second.page_ids.state, "dead")
        self.assertIn("401", second.page_ids.error)

    def test_the_look_back_steps_over_an_author_tempo_does_not_know(self):
        """The approval sweep asks again about an author whose account was deleted since
        (404): that author's worklogs stay as they were, the run is done and its outcome
        names the author (issue 11, item 8)."""
        self.env["q2c.external.ref"]._bind(self.tempo, "employee", "t-gone", self.hal)
        self.tempo.tempo_lookback_days = 14
        start, end = self._days_ago(6), self._days_ago(0)
        logs = [worklog(81, day=self._days_ago(2), author="t-gone")]
        in_review = approval("IN_REVIEW", start, end)
        run, _seen = self._pull([page(logs), in_review, in_review])
        self.assertEqual(run.state, "done")
        gone = (404, {}, b'{"errors": [{"message": "User not found"}]}', 0)
        second, seen = self._pull([page([]), gone])
        self.assertEqual(len(seen), 2)
        self.assertEqual(second.state, "done")
        self.assertEqual(second.page_ids.mapped("state"), ["done", "done"])
        self.assertIn("t-gone", second.note)
        self.assertIn("HTTP 404", second.note)
        self.assertEqual(self._line("81", self.tempo).q2c_approval_state, "submitted")
