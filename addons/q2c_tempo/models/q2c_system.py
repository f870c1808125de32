from datetime import timedelta

from odoo import fields, models
from odoo.addons.q2c_base.exceptions import MappingError, PermanentError
from odoo.addons.q2c_sync.ingest import map_records
from odoo.addons.q2c_sync.models.q2c_sync_run import MAIN_STREAM

TEMPO_API = "https://api.tempo.io/4"
# Tempo answers at most 5,000 worklogs per page (saas-specs.md 5.4).
TEMPO_MAX_LIMIT = 5000
# The stream that asks again for the approval of periods still holding unapproved worklogs.
APPROVALS = "approvals"
# Pages of one author's period read in one job before giving up (5,000 worklogs each).
MAX_PERIOD_PAGES = 20
TIME_MODEL = "account.analytic.line"
HTTP_NOT_FOUND = 404


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    system_type = fields.Selection(
        selection_add=[("tempo", "Tempo")], ondelete={"tempo": "set generic"}
    )
    tempo_lookback_days = fields.Integer(
        "Approval Look-back (days)",
        default=31,
        help="Approving a timesheet period in Tempo does not touch its worklogs, so the "
        "updated-since pull does not see it. Each run asks Tempo again for the approval of "
        "every period that still holds unapproved worklogs of the last N days, and reads the "
        "worklogs of the periods approved since. 0 turns it off.",
    )

    def _compute_feature_support_fields(self):
        result = super()._compute_feature_support_fields()
        self.filtered(lambda s: s.system_type == "tempo").update({"supports_pull": True})
        return result

    def _tempo_url(self, path):
        return f"{(self.base_url or TEMPO_API).rstrip('/')}/{path}"

    # --- pull hooks -----------------------------------------------------------------------

    def _sync_page_request(self, run, page_no):
        """GET /worklogs with `updatedFrom` and offset paging; Tempo tells only whether a next
        page exists (`metadata.next`), so pages are chained."""
        if self.system_type != "tempo":
            return super()._sync_page_request(run, page_no)
        limit = min(max(self.pull_page_size, 1), TEMPO_MAX_LIMIT)
        params = {"offset": (page_no - 1) * limit, "limit": limit}
        if run.updated_since:
            params["updatedFrom"] = run.updated_since.strftime("%Y-%m-%dT%H:%M:%SZ")
        return self._tempo_url("worklogs"), params

    def _sync_pages_addressable(self, stream):
        """Offset paging: the main stream's page after a dead one is at a known offset."""
        if self.system_type != "tempo":
            return super()._sync_pages_addressable(stream)
        return stream == MAIN_STREAM

    def _sync_stream_model(self, stream):
        if self.system_type != "tempo":
            return super()._sync_stream_model(stream)
        return TIME_MODEL

    def _sync_extra_streams(self, run):
        """The approval sweep follows the main stream when the look-back window holds
        unapproved worklogs (nothing to ask otherwise)."""
        if self.system_type != "tempo":
            return super()._sync_extra_streams(run)
        if self.tempo_lookback_days <= 0:
            return []
        Line = self.env[TIME_MODEL].sudo()
        return [APPROVALS] if Line.search_count(self._tempo_pending_domain(run), limit=1) else []

    def _sync_fetch_stream_page(self, page):
        if self.system_type != "tempo" or page.stream != APPROVALS:
            return super()._sync_fetch_stream_page(page)
        return self._tempo_fetch_approvals(page)

    def _sync_parse_page(self, data):
        if self.system_type != "tempo":
            return super()._sync_parse_page(data)
        worklogs = self._tempo_results(data, objects_only=False)
        approvals = self._tempo_approvals(worklogs)
        entries = map_records(
            worklogs, lambda worklog: self._tempo_entry(worklog, approvals), "tempoWorklogId"
        )
        return entries, bool((data.get("metadata") or {}).get("next"))

    def _tempo_results(self, data, objects_only=True):
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise MappingError("Tempo answered without a results list")
        if not objects_only:
            return data["results"]
        return [w for w in data["results"] if isinstance(w, dict)]

    def _tempo_approvals(self, worklogs):
        """{(account id, date): approval status key, or the MappingError of an author whose
        approvals Tempo will not give}: approval is per timesheet period, not per worklog,
        so one call per author and period met on the page (a period answered covers the
        author's other dates in it)."""
        periods = {}
        statuses = {}
        unreadable = {}
        for worklog in worklogs:
            if not isinstance(worklog, dict):
                continue
            author = (worklog.get("author") or {}).get("accountId")
            day = worklog.get("startDate")
            if not author or not day or (author, day) in statuses:
                continue
            if author not in unreadable:
                try:
                    statuses[author, day] = self._tempo_period(author, day, periods)[2]
                    continue
                except PermanentError as error:
                    unreadable[author] = self._tempo_unreadable_author(author, error)
            statuses[author, day] = unreadable[author]
        return statuses

    @staticmethod
    def _tempo_unreadable_author(author, error):
        """The MappingError standing for `author`'s worklogs when Tempo refuses their
        approval with 404 (an Atlassian account deleted: a person who left): those worklogs
        are held with the reason, the page goes on (issue 11, item 8). Any other refusal
        (credentials, rights) is the same for every author: raised, the page is dead."""
        if error.status != HTTP_NOT_FOUND:
            raise error
        return MappingError(
            f"Tempo has no timesheet approval for author {author} (HTTP 404: an Atlassian "
            "account deleted or anonymised?); the worklog waits for a person to settle it"
        )

    def _tempo_period(self, author, day, periods):
        """(from, to, status key) of `author`'s period covering `day` (ISO dates): from the
        periods already answered (`periods`, by author, completed here), else asked."""
        known = [p for p in periods.setdefault(author, []) if p[0] <= day <= p[1]]
        if known:
            return known[0]
        url = self._tempo_url(f"timesheet-approvals/user/{author}")
        answer = self._call("GET", url, params={"from": day, "to": day}).json()
        period = answer.get("period") or {}
        status = (answer.get("status") or {}).get("key") or "OPEN"
        found = (period.get("from") or day, period.get("to") or day, status)
        periods[author].append(found)
        return found

    def _tempo_entry(self, worklog, approvals):
        author = (worklog.get("author") or {}).get("accountId")
        status = approvals.get((author, worklog.get("startDate")), "OPEN")
        if isinstance(status, MappingError):
            raise MappingError(status.reason)
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

    # --- periods approved after their worklogs were pulled ------------------------------------

    def _tempo_lookback_window(self, run):
        to = run.started_at.date()
        return to - timedelta(days=max(self.tempo_lookback_days, 1) - 1), to

    def _tempo_pending_domain(self, run):
        date_from, date_to = self._tempo_lookback_window(run)
        return [
            ("q2c_system_id", "=", self.id),
            ("q2c_approval_state", "!=", "approved"),
            ("date", ">=", date_from),
            ("date", "<=", date_to),
        ]

    def _tempo_fetch_approvals(self, page):
        """One page: for each author and period of the window holding unapproved worklogs,
        ask Tempo for the period's status (one call per period, not per date); read the
        worklogs of each period now APPROVED (`/worklogs/user/{accountId}`) and hand them to
        the ingestion, which approves them in place (or corrects billed ones). Their approval
        time is when q2c sees it: Tempo's period approval does not carry one here."""
        periods = {}
        for author, days in self._tempo_pending_dates(page.run_id).items():
            try:
                for day in days:
                    self._tempo_period(author, day, periods)
            except PermanentError as error:
                # The author's lines stay as they are (not approved); the others go on.
                reason = self._tempo_unreadable_author(author, error).reason
                periods.pop(author, None)
                page.run_id._add_note(reason)
        entries = []
        for author, author_periods in periods.items():
            for start, end, status in author_periods:
                if status != "APPROVED":
                    continue
                for worklog in self._tempo_user_worklogs(author, start, end):
                    approvals = {(author, worklog.get("startDate")): status}
                    entries.append({**self._tempo_entry(worklog, approvals), "approved_at": None})
        return entries, None

    def _tempo_pending_dates(self, run):
        """{account id: sorted ISO dates} of the unapproved lines of the window: one grouped
        read of the lines and one of the employees' references."""
        Line = self.env["account.analytic.line"].sudo()
        groups = Line._read_group(self._tempo_pending_domain(run), ["employee_id", "date:day"])
        employees = {employee.id for employee, _day in groups}
        domain = [
            ("system_id", "=", self.id),
            ("object_type", "=", "employee"),
            ("res_model", "=", "hr.employee"),
            ("res_id", "in", list(employees)),
        ]
        refs = self.env["q2c.external.ref"].sudo().search_read(domain, ["external_id", "res_id"])
        authors = {}
        for ref in refs:
            authors.setdefault(ref["res_id"], []).append(ref["external_id"])
        dates = {}
        for employee, day in groups:
            for author in authors.get(employee.id, []):
                dates.setdefault(author, set()).add(fields.Date.to_string(day))
        return {author: sorted(days) for author, days in dates.items()}

    def _tempo_user_worklogs(self, author, start, end):
        """Every worklog of `author` from `start` to `end`, following `metadata.next`."""
        limit = min(max(self.pull_page_size, 1), TEMPO_MAX_LIMIT)
        worklogs = []
        for number in range(MAX_PERIOD_PAGES):
            params = {"from": start, "to": end, "offset": number * limit, "limit": limit}
            url = self._tempo_url(f"worklogs/user/{author}")
            data = self._call("GET", url, params=params).json()
            worklogs += self._tempo_results(data)
            if not (data.get("metadata") or {}).get("next"):
                return worklogs
        raise PermanentError(f"Tempo: more than {MAX_PERIOD_PAGES} pages of worklogs for {author}")
