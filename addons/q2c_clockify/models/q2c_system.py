import re
from datetime import UTC, datetime

from odoo import fields, models

CLOCKIFY_API = "https://api.clockify.me/api/v1"
DURATION = re.compile(r"^P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")


def duration_hours(text):
    """Hours of an ISO 8601 duration as Clockify writes it ("PT1H30M")."""
    match = DURATION.match(text or "")
    if not match or not any(match.groups()):
        raise ValueError(f"not a duration: {text!r}")
    days, hours, minutes, seconds = (float(part or 0) for part in match.groups())
    return round(days * 24 + hours + minutes / 60 + seconds / 3600, 6)


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    clockify_workspace_id = fields.Char("Clockify Workspace ID")

    def _auth_headers_clockify(self):
        token = self._get_secret("api_token") if self.sudo().api_token_enc else ""
        return {"X-Api-Key": token}

    def _time_page_request_clockify(self, run, page_no):
        """Approved approval requests, newest update first (saas-specs.md 5.3). Clockify has
        no updated-since filter and no total: pages are chained until a short page."""
        base = (self.base_url or CLOCKIFY_API).rstrip("/")
        path = f"{base}/workspaces/{self.clockify_workspace_id}/approval-requests"
        return path, {
            "status": "APPROVED",
            "sort-column": "UPDATED_AT",
            "sort-order": "DESCENDING",
            "page": page_no,
            "page-size": max(self.time_page_size, 1),
        }

    def _time_parse_page_clockify(self, data):
        if not isinstance(data, list):
            raise ValueError("Clockify answered without a list of approval requests")
        entries = []
        for item in data:
            request = item.get("approvalRequest") or {}
            state = (request.get("status") or {}).get("state")
            updated = (request.get("status") or {}).get("updatedAt")
            user = (request.get("owner") or {}).get("userId")
            for entry in item.get("entries") or []:
                interval = entry.get("timeInterval") or {}
                if not interval.get("end"):
                    continue  # a running timer
                entries.append(self._clockify_entry(entry, interval, user, state, updated))
        return entries, len(data) >= max(self.time_page_size, 1)

    def _clockify_entry(self, entry, interval, user, state, updated):
        approved = state == "APPROVED"
        start = interval.get("start") or ""
        return {
            "external_id": entry.get("id"),
            "employee": entry.get("userId") or user,
            "project": (entry.get("project") or {}).get("id") or entry.get("projectId"),
            "date": self._clockify_date(start),
            "hours": duration_hours(interval.get("duration")),
            "description": entry.get("description") or "",
            "billable": bool(entry.get("billable")),
            "approval_state": "approved" if approved else "submitted",
            "approved_at": updated if approved else None,
            "updated_at": updated,
        }

    def _clockify_date(self, start):
        """The work date: the start's date in UTC (Clockify sends UTC timestamps)."""
        try:
            moment = datetime.fromisoformat(start.replace("Z", "+00:00"))
        except ValueError:
            return start
        return (moment.astimezone(UTC) if moment.tzinfo else moment).date().isoformat()
