from odoo import fields, models
from odoo.addons.q2c_timesheet.ingest import parse_datetime

HARVEST_API = "https://api.harvestapp.com/v2"
USER_AGENT = "q2c (https://github.com/q2c/q2c)"
# Harvest answers at most 2,000 entries per page; more is refused with HTTP 422.
HARVEST_MAX_PER_PAGE = 2000


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    harvest_account_id = fields.Char(
        "Harvest Account ID", help="Sent as the Harvest-Account-Id header on every call."
    )

    def _auth_headers_harvest(self):
        """Harvest v2: a personal access token or OAuth2 token, the account id, and a
        User-Agent naming the app (Harvest refuses calls without one)."""
        token = self._get_secret("api_token") if self.sudo().api_token_enc else ""
        return {
            "Authorization": f"Bearer {token}",
            "Harvest-Account-Id": self.harvest_account_id or "",
            "User-Agent": USER_AGENT,
        }

    def _time_page_request_harvest(self, run, page_no):
        """GET /time_entries with `updated_since` and page-number paging: the first page
        tells `total_pages`, so the other pages are independent jobs (one that keeps failing
        does not stop the others)."""
        params = {
            "page": page_no,
            "per_page": min(max(self.time_page_size, 1), HARVEST_MAX_PER_PAGE),
            "is_running": "false",
        }
        if run.updated_since:
            params["updated_since"] = run.updated_since.strftime("%Y-%m-%dT%H:%M:%SZ")
        base = self.base_url or HARVEST_API
        return f"{base.rstrip('/')}/time_entries", params

    def _time_parse_page_harvest(self, data):
        if not isinstance(data, dict) or not isinstance(data.get("time_entries"), list):
            raise ValueError("Harvest answered without a time_entries list")
        entries = [
            self._harvest_entry(entry)
            for entry in data["time_entries"]
            if isinstance(entry, dict) and not entry.get("is_running")
        ]
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
            "updated_at": parse_datetime(updated_at) if updated_at else None,
        }
