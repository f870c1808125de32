import json
from urllib.parse import parse_qs, urlsplit

from odoo.addons.q2c_base.tests.common import stand_in_server
from odoo.addons.q2c_timesheet.tests.common import Q2cTimeCase
from odoo.tests import tagged


def worklog(worklog_id, seconds=7200, day="2025-03-27", author="t-gina", **values):
    """A Tempo v4 worklog (saas-specs.md 5.4)."""
    return {
        "self": f"https://api.tempo.io/4/worklogs/{worklog_id}", "tempoWorklogId": worklog_id,
        "issue": {"self": "https://x.atlassian.net/rest/api/2/issue/10001", "id": 10001},
        "timeSpentSeconds": seconds, "billableSeconds": seconds, "startDate": day,
        "startTime": "09:00:00", "description": "Spec work",
        "createdAt": "2025-03-27T17:00:00Z", "updatedAt": "2025-03-31T12:00:00Z",
        "author": {"self": "…", "accountId": author}, "attributes": {"values": []},
        **values,
    }  # fmt: skip


def page(results, next_url=None):
    body = {"self": "…", "metadata": {"count": len(results), "offset": 0, "limit": 2,
                                      "next": next_url}, "results": results}  # fmt: skip
    return (200, {}, json.dumps(body).encode(), 0)


def approval(status, start="2025-03-24", end="2025-03-30"):
    body = {"period": {"from": start, "to": end}, "requiredSeconds": 144000,
            "timeSpentSeconds": 144000, "status": {"key": status}}  # fmt: skip
    return (200, {}, json.dumps(body).encode(), 0)


@tagged("post_install", "-at_install")
class TestTempoPull(Q2cTimeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tempo = cls._create_system(
            name="Tempo (test)", system_type="tempo", user_id=cls.time_user.id,
            api_token="tempo-token", time_page_size=2, outbound_max_tries=2,
        )  # fmt: skip
        Ref = cls.env["q2c.external.ref"]
        Ref._bind(cls.tempo, "employee", "t-gina", cls.gina)
        Ref._bind(cls.tempo, "issue", "10001", cls.project)

    def test_pull_with_period_approval(self):
        script = [
            page([worklog(1), worklog(2, day="2025-03-28")], next_url="https://next"),
            approval("APPROVED"),  # covers 2025-03-27 and 2025-03-28: one call
            (503, {"Retry-After": "0"}, b"{}", 0),
            page([worklog(3, seconds=5400, day="2025-04-01")]),
            approval("IN_REVIEW", "2025-03-31", "2025-04-06"),
        ]
        with stand_in_server(script) as (url, seen):
            self.tempo.base_url = url
            run = self.tempo._time_start_run()
            self._run_all(run)
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
