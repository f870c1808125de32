import base64
import json
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.addons.q2c_base import outbound
from odoo.addons.q2c_base.exceptions import MappingError, PermanentError, TransientError
from odoo.addons.q2c_sync.ingest import FailedRecord, map_records
from odoo.exceptions import UserError, ValidationError

TOGGL_API = "https://api.track.toggl.com"
SEARCH_PATH = "/reports/api/v3/workspace/{workspace}/search/time_entries"
# Response headers of the detailed report that point at the next page, and the body keys that
# take them back on the next request (saas-specs.md 5.2; X-Next-Timestamp is passed back too
# when Toggl sends it).
CURSOR_HEADERS = {
    "X-Next-ID": "first_id",
    "X-Next-Row-Number": "first_row_number",
    "X-Next-Timestamp": "first_timestamp",
}
APPROVAL_MODES = [
    ("tag", "Entries with the approval tag"),
    ("all", "Every stopped entry"),
]
# Toggl answers 402 when the organization's hourly request quota is used up (saas-specs.md
# 5.2); the quota comes back within the hour, so the page waits instead of dying.
QUOTA_EXCEEDED = 402
QUOTA_WAIT_DEFAULT = 3600.0
QUOTA_RESET_HEADER = "X-Toggl-Quota-Resets-In"
TIME_MODEL = "account.analytic.line"


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    system_type = fields.Selection(
        selection_add=[("toggl", "Toggl")], ondelete={"toggl": "set generic"}
    )
    toggl_workspace_id = fields.Char(
        "Toggl Workspace ID", help="The workspace whose detailed report is pulled."
    )
    toggl_approval_mode = fields.Selection(
        APPROVAL_MODES,
        string="Toggl Approval",
        default="tag",
        help="Toggl time entries carry no approval flag. With the approval tag, an entry is "
        "approved (and billable) once it carries that tag and not submitted otherwise; with "
        "every stopped entry, whatever Toggl holds counts as approved.",
    )
    toggl_approval_tag_id = fields.Char(
        "Toggl Approval Tag ID",
        help="Id of the Toggl tag that marks an entry approved (the detailed report names "
        "tags by id; GET /api/v9/workspaces/{workspace_id}/tags lists them).",
    )
    toggl_lookback_days = fields.Integer(
        "Look-back (days)",
        default=30,
        help="Toggl's report filters by work date, not by update time: every run reads the "
        "work dates from this many days before the last clean run up to tomorrow, so an "
        "entry edited within that window is found again and updated.",
    )
    toggl_import_from = fields.Date(
        "Import From",
        help="Work date the first run starts from. Empty: today minus the look-back.",
    )

    @api.constrains("system_type", "toggl_lookback_days")
    def _check_toggl_lookback_days(self):
        for system in self.filtered(lambda s: s.system_type == "toggl"):
            if system.toggl_lookback_days < 0:
                raise ValidationError(_("The look-back cannot be negative."))

    def _compute_feature_support_fields(self):
        result = super()._compute_feature_support_fields()
        self.filtered(lambda s: s.system_type == "toggl").update({"supports_pull": True})
        return result

    def _auth_headers(self):
        """Toggl: HTTP Basic with the API token as user name and the word `api_token` as
        password (saas-specs.md 5.2)."""
        if self.system_type != "toggl":
            return super()._auth_headers()
        token = self._get_secret("api_token") if self.sudo().api_token_enc else ""
        basic = base64.b64encode(f"{token}:api_token".encode()).decode()
        return {"Authorization": f"Basic {basic}"}

    # --- one page ---------------------------------------------------------------------------

    def _sync_fetch_answer(self, page):
        """POST the detailed-report search. Page 1 builds the body from the run's window; a
        chained page reads the body its previous page stored as cursor (same window, plus
        first_id / first_row_number), so a retry reads the same page again."""
        if self.system_type != "toggl":
            return super()._sync_fetch_answer(page)
        self._toggl_check_setup()
        body = json.loads(page.cursor) if page.cursor else self._toggl_first_body(page.run_id)
        url = self._toggl_url(SEARCH_PATH.format(workspace=self.toggl_workspace_id))
        response = self._call("POST", url, json=body, raise_for_status=False)
        self._toggl_raise_for_status(response, url)
        headers = {key: response.headers.get(key) for key in CURSOR_HEADERS}
        return {"rows": response.json(), "body": body, "headers": headers}

    def _sync_parse_page(self, data):
        if self.system_type != "toggl":
            return super()._sync_parse_page(data)
        return self._toggl_parse_page(data)

    def _sync_stream_model(self, stream):
        if self.system_type != "toggl":
            return super()._sync_stream_model(stream)
        return TIME_MODEL

    def _toggl_parse_page(self, data):
        """(stopped time entries of the answer's rows, the next page's cursor or None)."""
        rows = data.get("rows")
        if not isinstance(rows, list):
            raise MappingError("Toggl answered without a list of time entry rows")
        entries = []
        for row in rows:
            if not isinstance(row, dict):
                reason = "Toggl sent a report row that is not an object"
                entries.append(FailedRecord(None, reason, row))
                continue
            entries += map_records(
                row.get("time_entries") or [],
                lambda entry, row=row: self._toggl_entry(row, entry),
                "id",
            )
        return entries, self._toggl_next_cursor(data, bool(rows))

    # --- request --------------------------------------------------------------------------

    def _toggl_url(self, path):
        return f"{(self.base_url or TOGGL_API).rstrip('/')}{path}"

    def _toggl_check_setup(self):
        """Refuse before spending a request of Toggl's hourly quota on a call that cannot
        work (the page ends dead with this reason)."""
        if not self.toggl_workspace_id:
            raise UserError(_("%s: set the Toggl Workspace ID.", self.name))
        if self.toggl_approval_mode == "tag" and not (self.toggl_approval_tag_id or "").strip():
            raise UserError(
                _(
                    "%s: set the Toggl Approval Tag ID, or count every stopped entry as "
                    "approved.",
                    self.name,
                )
            )

    def _toggl_window(self, run):
        """(first, last) work date a run reads. Toggl's report filters by work date only, so a
        run reads from the look-back before its `updated_since` (the watermark minus the
        overlap) up to tomorrow (entries of users ahead of UTC)."""
        today = run.started_at.date()
        lookback = timedelta(days=max(self.toggl_lookback_days, 0))
        if run.updated_since:
            first = run.updated_since.date() - lookback
        else:
            first = self.toggl_import_from or today - lookback
        return min(first, today), today + timedelta(days=1)

    def _toggl_first_body(self, run):
        first, last = self._toggl_window(run)
        return {
            "start_date": first.isoformat(),
            "end_date": last.isoformat(),
            "page_size": max(self.pull_page_size, 1),
            "grouped": False,
        }

    def _toggl_raise_for_status(self, response, url):
        """402 (hourly quota used up) is retried once the quota comes back; other 4xx, a
        wrong token (401/403) among them, make the page dead at once with Toggl's answer."""
        status = response.status_code
        if status == QUOTA_EXCEEDED:
            wait = outbound.parse_retry_after(
                response.headers.get(QUOTA_RESET_HEADER) or response.headers.get("Retry-After")
            )
            raise TransientError(
                _(
                    "%(system)s: Toggl's hourly request quota is used up (HTTP 402)",
                    system=self.name,
                ),
                retry_after=wait if wait is not None else QUOTA_WAIT_DEFAULT,
                status=status,
            )
        if 400 <= status < 500:
            raise PermanentError(
                _(
                    "%(system)s refused POST %(url)s: HTTP %(status)s %(body)s",
                    system=self.name,
                    url=outbound.redact_url(url),
                    status=status,
                    body=response.text[:300],
                ),
                status=status,
            )

    def _toggl_next_cursor(self, data, has_rows):
        """The body of the next page as a cursor string, or None on the last page: Toggl sends
        X-Next-ID / X-Next-Row-Number while more rows follow. An empty page, or a cursor that
        would read the same page again, ends the chain instead of looping."""
        headers = data.get("headers") or {}
        if not has_rows or not headers.get("X-Next-Row-Number"):
            return None
        body = dict(data.get("body") or {})
        for header, key in CURSOR_HEADERS.items():
            value = (headers.get(header) or "").strip()
            if not value:
                continue
            if not value.isdigit():
                raise MappingError(f"Toggl sent a malformed {header} header: {value!r}")
            body[key] = int(value)
        if body == data.get("body"):
            return None
        return json.dumps(body, sort_keys=True)

    # --- mapping --------------------------------------------------------------------------

    @staticmethod
    def _toggl_is_stopped(entry):
        """A running timer has no stop and a negative duration: skipped until it stops."""
        if not isinstance(entry, dict) or not entry.get("stop"):
            return False
        seconds = entry.get("seconds")
        return not isinstance(seconds, int | float) or seconds >= 0

    def _toggl_approval_state(self, row):
        if self.toggl_approval_mode == "all":
            return "approved"
        tag = (self.toggl_approval_tag_id or "").strip()
        tags = {str(tag_id) for tag_id in row.get("tag_ids") or []}
        return "approved" if tag in tags else "draft"

    def _toggl_entry(self, row, entry):
        """One time entry of a report row; None for a running timer. The row holds what its
        entries share (user, project, description, billable, tags); each entry its id,
        seconds, start and `at` (last update)."""
        if not self._toggl_is_stopped(entry):
            return None
        state = self._toggl_approval_state(row)
        seconds = entry.get("seconds")
        updated_at = entry.get("at")
        return {
            "external_id": entry.get("id"),
            "employee": row.get("user_id"),
            "project": row.get("project_id"),
            # The work date as Toggl writes the start: the date in the offset it carries.
            "date": entry.get("start"),
            "hours": (
                round(seconds / 3600, 6)
                if isinstance(seconds, int | float) and not isinstance(seconds, bool)
                else None
            ),
            "description": row.get("description") or "",
            "billable": bool(row.get("billable")),
            "approval_state": state,
            # Toggl gives no approval time: an approval is the entry's last update.
            "approved_at": updated_at if state == "approved" else None,
            "updated_at": updated_at,
        }
