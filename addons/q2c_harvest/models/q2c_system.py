import json
from datetime import timedelta

from odoo import _, fields, models
from odoo.addons.q2c_base.exceptions import MappingError
from odoo.addons.q2c_sync.ingest import map_records
from odoo.addons.q2c_timesheet.ingest import InvalidEntry, parse_datetime

HARVEST_API = "https://api.harvestapp.com/v2"
USER_AGENT = "q2c (https://github.com/q2c/q2c)"
# Harvest answers at most 2,000 entries per page; more is refused with HTTP 422.
HARVEST_MAX_PER_PAGE = 2000
# The stream that reads the reconciliation window again in full (deleted entries).
RECONCILE = "reconcile"
TIME_MODEL = "account.analytic.line"


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    system_type = fields.Selection(
        selection_add=[("harvest", "Harvest")], ondelete={"harvest": "set generic"}
    )
    harvest_account_id = fields.Char(
        "Harvest Account ID", help="Sent as the Harvest-Account-Id header on every call."
    )
    harvest_reconcile_days = fields.Integer(
        "Check Deletions (days)",
        default=14,
        help="Harvest reports no deleted entries. After a clean run, the entries of the last "
        "N days of work are read again in full; an entry Odoo holds for those days that "
        "Harvest no longer lists was deleted there. 0 turns the check off.",
    )

    def _compute_feature_support_fields(self):
        result = super()._compute_feature_support_fields()
        self.filtered(lambda s: s.system_type == "harvest").update({"supports_pull": True})
        return result

    def _auth_headers(self):
        """Harvest v2: a personal access token or OAuth2 token, the account id, and a
        User-Agent naming the app (Harvest refuses calls without one)."""
        if self.system_type != "harvest":
            return super()._auth_headers()
        token = self._get_secret("api_token") if self.sudo().api_token_enc else ""
        return {
            "Authorization": f"Bearer {token}",
            "Harvest-Account-Id": self.harvest_account_id or "",
            "User-Agent": USER_AGENT,
        }

    # --- pull hooks -----------------------------------------------------------------------

    def _sync_page_request(self, run, page_no):
        """GET /time_entries with `updated_since` and page-number paging: the first page
        tells `total_pages`, so the other pages are independent jobs (one that keeps failing
        does not stop the others)."""
        if self.system_type != "harvest":
            return super()._sync_page_request(run, page_no)
        params = {
            "page": page_no,
            "per_page": min(max(self.pull_page_size, 1), HARVEST_MAX_PER_PAGE),
            "is_running": "false",
        }
        if run.updated_since:
            params["updated_since"] = run.updated_since.strftime("%Y-%m-%dT%H:%M:%SZ")
        base = self.base_url or HARVEST_API
        return f"{base.rstrip('/')}/time_entries", params

    def _sync_parse_page(self, data):
        if self.system_type != "harvest":
            return super()._sync_parse_page(data)
        return self._harvest_parse_time_entries(data)

    def _sync_stream_model(self, stream):
        """Every Harvest stream writes time entries (q2c_harvest_expense adds expenses)."""
        if self.system_type != "harvest":
            return super()._sync_stream_model(stream)
        return TIME_MODEL

    def _sync_extra_streams(self, run):
        """The deletion check reads after the main stream, and only when that went clean:
        deletions are never decided on a partial read."""
        if self.system_type != "harvest":
            return super()._sync_extra_streams(run)
        dead = "dead" in run.page_ids.mapped("state")
        return [RECONCILE] if self.harvest_reconcile_days > 0 and not dead else []

    def _harvest_reconcile_window(self, run):
        """Work dates `from`..`to` (inclusive, as Harvest's filters are) re-read by `run`:
        fixed by the run's start, so every page of the re-read asks the same question."""
        to = run.started_at.date()
        return to - timedelta(days=max(self.harvest_reconcile_days, 1) - 1), to

    def _sync_fetch_stream_page(self, page):
        if self.system_type != "harvest" or page.stream != RECONCILE:
            return super()._sync_fetch_stream_page(page)
        return self._harvest_fetch_reconcile(page)

    def _sync_run_complete(self, run):
        """Entries of the window Harvest no longer lists are deleted there (see
        `q2c.sync.run._reconcile_deletions` for the guards)."""
        if self.system_type != "harvest":
            return super()._sync_run_complete(run)
        if self.harvest_reconcile_days <= 0:
            return
        if RECONCILE not in run.page_ids.mapped("stream"):
            run._add_note(_("Deletions not checked: the run has dead pages."))
            return
        run._reconcile_deletions(RECONCILE, *self._harvest_reconcile_window(run))

    # --- Harvest ---------------------------------------------------------------------------

    def _harvest_fetch_reconcile(self, page):
        """One page of every entry of the window, running timers included (a timer restarted
        on an entry does not delete it): the ids listed are kept on the page; the entries
        go through the ingestion like any page (mostly unchanged)."""
        date_from, date_to = self._harvest_reconcile_window(page.run_id)
        base = self.base_url or HARVEST_API
        params = {
            "from": date_from.isoformat(),
            "to": date_to.isoformat(),
            "page": page.page_no,
            "per_page": min(max(self.pull_page_size, 1), HARVEST_MAX_PER_PAGE),
        }
        data = self._call("GET", f"{base.rstrip('/')}/time_entries", params=params).json()
        entries, total_pages = self._harvest_parse_time_entries(data)
        listed = [entry.get("id") for entry in data["time_entries"] if isinstance(entry, dict)]
        page.sudo().listed_ids = json.dumps([str(ext) for ext in listed if ext is not None])
        return entries, total_pages

    def _harvest_parse_time_entries(self, data):
        """(normalised time entries, total pages) of one answer of /time_entries."""
        if not isinstance(data, dict) or not isinstance(data.get("time_entries"), list):
            raise MappingError("Harvest answered without a time_entries list")
        entries = map_records(data["time_entries"], self._harvest_entry, "id")
        return entries, data.get("total_pages")

    def _harvest_approval_state(self, entry):
        """Import rule (saas-specs.md 5.1): approved when `approval_status` is approved or
        the entry is closed (approved via Timesheet Approval)."""
        status = entry.get("approval_status")
        if status == "approved" or entry.get("is_closed"):
            return "approved"
        if status == "submitted":
            return "submitted"
        return "draft"

    def _harvest_entry(self, entry):
        """One time entry; None for a running timer (imported once stopped)."""
        if entry.get("is_running"):
            return None
        state = self._harvest_approval_state(entry)
        updated_at = entry.get("updated_at")
        return {
            "external_id": entry.get("id"),
            "employee": (entry.get("user") or {}).get("id"),
            "project": (entry.get("project") or {}).get("id"),
            "date": entry.get("spent_date"),
            "hours": entry.get("hours"),
            "description": entry.get("notes") or "",
            "billable": bool(entry.get("billable")),
            "approval_state": state,
            # Harvest gives no approval time: an approval is the entry's last update.
            "approved_at": updated_at if state == "approved" else None,
            "updated_at": self._harvest_moment(updated_at),
        }

    @staticmethod
    def _harvest_moment(text):
        """A timestamp of Harvest's answer (None when absent); a malformed one is bad data."""
        try:
            return parse_datetime(text) if text else None
        except InvalidEntry as error:
            raise MappingError(f"Harvest sent a malformed timestamp: {text!r}") from error
