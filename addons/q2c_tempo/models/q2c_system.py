from odoo import models

TEMPO_API = "https://api.tempo.io/4"
# Tempo answers at most 5,000 worklogs per page (saas-specs.md 5.4).
TEMPO_MAX_LIMIT = 5000


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    def _time_page_request_tempo(self, run, page_no):
        """GET /worklogs with `updatedFrom` and offset paging; Tempo tells only whether a next
        page exists (`metadata.next`), so pages are chained."""
        limit = min(max(self.time_page_size, 1), TEMPO_MAX_LIMIT)
        params = {"offset": (page_no - 1) * limit, "limit": limit}
        if run.updated_since:
            params["updatedFrom"] = run.updated_since.strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{(self.base_url or TEMPO_API).rstrip('/')}/worklogs", params

    def _time_parse_page_tempo(self, data):
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise ValueError("Tempo answered without a results list")
        worklogs = [w for w in data["results"] if isinstance(w, dict)]
        approvals = self._tempo_approvals(worklogs)
        entries = [self._tempo_entry(w, approvals) for w in worklogs]
        return entries, bool((data.get("metadata") or {}).get("next"))

    def _tempo_approvals(self, worklogs):
        """{(account id, date): approval status key}: approval is per timesheet period, not
        per worklog, so one call per author and period met on the page (a period answered
        covers the author's other dates in it)."""
        periods = {}
        statuses = {}
        for worklog in worklogs:
            author = (worklog.get("author") or {}).get("accountId")
            day = worklog.get("startDate")
            if not author or not day or (author, day) in statuses:
                continue
            known = [p for p in periods.get(author, []) if p[0] <= day <= p[1]]
            if known:
                statuses[author, day] = known[0][2]
                continue
            answer = self._call(
                "GET", f"{(self.base_url or TEMPO_API).rstrip('/')}/timesheet-approvals/user/"
                f"{author}", params={"from": day, "to": day},
            ).json()  # fmt: skip
            period = answer.get("period") or {}
            status = (answer.get("status") or {}).get("key") or "OPEN"
            periods.setdefault(author, []).append(
                (period.get("from") or day, period.get("to") or day, status)
            )
            statuses[author, day] = status
        return statuses

    def _tempo_entry(self, worklog, approvals):
        author = (worklog.get("author") or {}).get("accountId")
        status = approvals.get((author, worklog.get("startDate")), "OPEN")
        state = {"APPROVED": "approved", "IN_REVIEW": "submitted"}.get(status, "draft")
        seconds = worklog.get("timeSpentSeconds")
        billable = worklog.get("billableSeconds")
        return {
            "external_id": worklog.get("tempoWorklogId"),
            "employee": author,
            "project": (worklog.get("issue") or {}).get("id"),
            "project_type": "issue",
            "date": worklog.get("startDate"),
            "hours": round(seconds / 3600, 6) if isinstance(seconds, int | float) else None,
            "description": worklog.get("description") or "",
            "billable": bool(billable) if isinstance(billable, int | float) else True,
            "approval_state": state,
            "approved_at": worklog.get("updatedAt") if state == "approved" else None,
            "updated_at": worklog.get("updatedAt"),
        }
