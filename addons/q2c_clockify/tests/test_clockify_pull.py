import json
from urllib.parse import parse_qs, urlsplit

from odoo.addons.q2c_base.tests.common import stand_in_server
from odoo.addons.q2c_timesheet.tests.common import Q2cTimeCase
from odoo.tests import tagged

from ..models.q2c_system import duration_hours


def approval(request_id, entries, state="APPROVED"):
    """An approval request as Clockify lists it (saas-specs.md 5.3)."""
    return {
        "approvalRequest": {
            "id": request_id, "workspaceId": "ws1", "type": "TIMESHEET",
            "dateRange": {"start": "2025-03-24T00:00:00Z", "end": "2025-03-30T23:59:59Z"},
            "owner": {"userId": "c-gina", "userName": "Gina", "timeZone": "UTC",
                      "startOfWeek": "MONDAY"},
            "status": {"state": state, "note": "", "updatedAt": "2025-03-31T10:00:00Z",
                       "updatedBy": "c-boss", "updatedByUserName": "Boss"},
        },
        "entries": entries,
    }  # fmt: skip


def entry(entry_id, duration="PT1H30M", start="2025-03-27T09:00:00Z", end="x"):
    return {
        "id": entry_id, "approvalRequestId": "r1", "description": "Workshop", "billable": True,
        "isLocked": True, "project": {"id": "c-p600", "name": "P-600", "clientId": "c1"},
        "task": None, "tags": [],
        "timeInterval": {"start": start, "end": end, "duration": duration},
    }  # fmt: skip


@tagged("post_install", "-at_install")
class TestClockifyPull(Q2cTimeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clockify = cls._create_system(
            name="Clockify (test)", system_type="clockify", user_id=cls.time_user.id,
            api_token="clockify-key", clockify_workspace_id="ws1", time_page_size=2,
            outbound_max_tries=2,
        )  # fmt: skip
        Ref = cls.env["q2c.external.ref"]
        Ref._bind(cls.clockify, "employee", "c-gina", cls.gina)
        Ref._bind(cls.clockify, "project", "c-p600", cls.project)

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
        ]
        with stand_in_server(script) as (url, seen):
            self.clockify.base_url = url
            run = self.clockify._time_start_run()
            self._run_all(run)
        self.assertEqual(run.state, "done")
        self.assertEqual(sorted(run.page_ids.mapped("page_no")), [1, 2])
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
        self.assertEqual(self.clockify.time_watermark, run.started_at)
