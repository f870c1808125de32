import json
import re

from odoo import fields, models
from odoo.addons.q2c_base.exceptions import MappingError
from odoo.addons.q2c_sync.ingest import FailedRecord, local_date, map_records
from odoo.addons.q2c_sync.models.q2c_sync_run import MAIN_STREAM
from odoo.addons.q2c_timesheet.ingest import InvalidEntry, parse_datetime

CLOCKIFY_API = "https://api.clockify.me/api/v1"
DURATION = re.compile(r"^P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")
# Approval request states (saas-specs.md 5.3) as canonical approval states. A withdrawn
# approval or submission sends the timesheet back to its owner: not submitted.
APPROVAL_STATES = {
    "APPROVED": "approved",
    "PENDING": "submitted",
    "REJECTED": "rejected",
    "WITHDRAWN_APPROVAL": "draft",
    "WITHDRAWN_SUBMISSION": "draft",
}
# The stream reading approval requests of every state, newest update first: approvals
# withdrawn or rejected after their entries were imported.
CHANGES = "changes"
TIME_MODEL = "account.analytic.line"


def duration_hours(text):
    """Hours of an ISO 8601 duration as Clockify writes it ("PT1H30M")."""
    match = DURATION.match(text) if isinstance(text, str) else None
    if not match or not any(match.groups()):
        raise ValueError(f"not a duration: {text!r}")
    days, hours, minutes, seconds = (float(part or 0) for part in match.groups())
    return round(days * 24 + hours + minutes / 60 + seconds / 3600, 6)


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    system_type = fields.Selection(
        selection_add=[("clockify", "Clockify")], ondelete={"clockify": "set generic"}
    )
    clockify_workspace_id = fields.Char("Clockify Workspace ID")

    def _compute_feature_support_fields(self):
        result = super()._compute_feature_support_fields()
        self.filtered(lambda s: s.system_type == "clockify").update({"supports_pull": True})
        return result

    def _auth_headers(self):
        if self.system_type != "clockify":
            return super()._auth_headers()
        token = self._get_secret("api_token") if self.sudo().api_token_enc else ""
        return {"X-Api-Key": token}

    # --- pull hooks -----------------------------------------------------------------------

    def _sync_page_request(self, run, page_no):
        """Approved approval requests, newest update first (saas-specs.md 5.3). Clockify has
        no updated-since filter and no total: pages are chained until a short page."""
        if self.system_type != "clockify":
            return super()._sync_page_request(run, page_no)
        base = (self.base_url or CLOCKIFY_API).rstrip("/")
        path = f"{base}/workspaces/{self.clockify_workspace_id}/approval-requests"
        return path, {
            "status": "APPROVED",
            "sort-column": "UPDATED_AT",
            "sort-order": "DESCENDING",
            "page": page_no,
            "page-size": max(self.pull_page_size, 1),
        }

    def _sync_parse_page(self, data):
        if self.system_type != "clockify":
            return super()._sync_parse_page(data)
        return self._clockify_parse_page(data)

    def _sync_stream_model(self, stream):
        if self.system_type != "clockify":
            return super()._sync_stream_model(stream)
        return TIME_MODEL

    def _sync_extra_streams(self, run):
        if self.system_type != "clockify":
            return super()._sync_extra_streams(run)
        return [CHANGES]

    def _sync_pages_addressable(self, stream):
        """Clockify pages by number (`page`): a page after a dead one of the main stream can
        still be asked. Not in `changes`: each of its pages relies on the entries the pages
        before it decided, so it stops at a dead page and the next run reads it again."""
        if self.system_type != "clockify":
            return super()._sync_pages_addressable(stream)
        return stream == MAIN_STREAM

    def _sync_fetch_stream_page(self, page):
        if self.system_type != "clockify" or page.stream != CHANGES:
            return super()._sync_fetch_stream_page(page)
        return self._clockify_fetch_changes(page)

    # --- Clockify --------------------------------------------------------------------------

    def _clockify_fetch_changes(self, page):
        """Approval requests of every state, newest update first, down to the run's window
        start (the watermark minus the overlap). The `status` filter is left out on
        purpose: it accepts only PENDING, APPROVED and WITHDRAWN_APPROVAL, and a request can
        pass through several states (withdrawn, then rejected) between two runs; its current
        state is what counts. Only entries Odoo already holds are taken back (see
        `_clockify_taken_back`): this stream never imports new time."""
        base = (self.base_url or CLOCKIFY_API).rstrip("/")
        size = max(self.pull_page_size, 1)
        params = {
            "sort-column": "UPDATED_AT",
            "sort-order": "DESCENDING",
            "page": page.page_no,
            "page-size": size,
        }
        path = f"{base}/workspaces/{self.clockify_workspace_id}/approval-requests"
        data = self._call("GET", path, params=params).json()
        if not isinstance(data, list):
            raise MappingError("Clockify answered without a list of approval requests")
        since = page.run_id.updated_since
        decided = self._clockify_decided(page)
        earlier, kept, oldest = set(decided), [], None
        for item in data:
            if not isinstance(item, dict):
                kept.append(item)  # held by the parser with its reason
                continue
            status = (item.get("approvalRequest") or {}).get("status") or {}
            # A malformed time is one request's bad data: read as within the window, its
            # entries are then held by the ingestion with the reason.
            updated = self._clockify_moment(status.get("updatedAt"))
            oldest = updated if oldest is None or (updated and updated < oldest) else oldest
            if since and updated and updated < since:
                continue  # seen by an earlier run
            # Newest first: an entry's first request here holds its current state (an
            # entry withdrawn from one request and approved in a newer one stays approved).
            fresh = [
                e
                for e in item.get("entries") or []
                if not isinstance(e, dict) or str(e.get("id")) not in decided
            ]
            decided.update(str(e.get("id")) for e in fresh if isinstance(e, dict))
            if fresh and status.get("state") != "APPROVED":
                kept.append({**item, "entries": fresh})
        page.sudo().listed_ids = json.dumps(sorted(decided - earlier))
        entries, _more = self._clockify_parse_page(kept)
        more = len(data) >= size and not (since and oldest and oldest < since)
        return self._clockify_taken_back(entries), more

    def _clockify_decided(self, page):
        """Entry ids whose current state an earlier page of this stream already gave."""
        earlier = page.run_id.page_ids.filtered(
            lambda p: p.stream == page.stream and p.page_no < page.page_no
        )
        return {ext for other in earlier for ext in json.loads(other.listed_ids or "[]")}

    def _clockify_taken_back(self, entries):
        """Of the entries whose requests are no longer approved, those that change what Odoo
        holds: entries it already has, unless it holds an approval newer than the change.
        One search for the page. A record that cannot be read is kept (held with its reason)
        when it has no id or Odoo holds its entry."""
        by_id = {str(entry["external_id"]): entry for entry in entries}
        current = self.env["account.analytic.line"]._q2c_current_lines(self, list(by_id))
        taken = [
            entry
            for entry in entries
            if isinstance(entry, FailedRecord)
            and (entry["external_id"] is None or str(entry["external_id"]) in current)
        ]
        for ext, entry in by_id.items():
            line = current.get(ext)
            if not line or isinstance(entry, FailedRecord):
                continue
            changed_at = self._clockify_moment(entry["updated_at"])
            if (
                line.q2c_approval_state == "approved"
                and line.q2c_approved_at
                and changed_at
                and line.q2c_approved_at > changed_at
            ):
                continue
            taken.append(entry)
        return taken

    def _clockify_parse_page(self, data):
        """(normalised stopped entries of the approval requests, whether a next page may
        follow: a full page). An entry or a request that cannot be read is held with the
        reason (`q2c_sync.ingest.map_records`); the others go on."""
        if not isinstance(data, list):
            raise MappingError("Clockify answered without a list of approval requests")
        entries = []
        for item in data:
            if not isinstance(item, dict):
                reason = "Clockify sent an approval request that is not an object"
                entries.append(FailedRecord(None, reason, item))
                continue
            request = item.get("approvalRequest") or {}
            status = request.get("status") or {}
            owner = request.get("owner") or {}
            context = {
                "user": owner.get("userId"),
                "zone": owner.get("timeZone"),
                "state": status.get("state"),
                "updated": status.get("updatedAt"),
            }
            entries += map_records(
                item.get("entries") or [],
                lambda entry, context=context: self._clockify_entry(entry, **context),
                "id",
            )
        return entries, len(data) >= max(self.pull_page_size, 1)

    def _clockify_entry(self, entry, user, zone, state, updated):
        """One entry of an approval request; None for a running timer (no end yet)."""
        interval = entry.get("timeInterval") or {}
        if not interval.get("end"):
            return None
        approved = state == "APPROVED"
        return {
            "external_id": entry.get("id"),
            "employee": entry.get("userId") or user,
            "project": (entry.get("project") or {}).get("id") or entry.get("projectId"),
            "date": self._clockify_date(interval.get("start"), zone),
            "hours": self._clockify_hours(interval.get("duration")),
            "description": entry.get("description") or "",
            "billable": bool(entry.get("billable")),
            "approval_state": APPROVAL_STATES.get(state, "draft"),
            "approved_at": updated if approved else None,
            "updated_at": updated,
        }

    @staticmethod
    def _clockify_moment(text):
        """A timestamp of Clockify's answer; None when absent or malformed (one request's
        bad data: its entries are held by the ingestion, which validates the same text)."""
        try:
            return parse_datetime(text)
        except InvalidEntry:
            return None

    @staticmethod
    def _clockify_hours(duration):
        """Hours of an entry's duration; a duration Clockify wrote malformed is bad data."""
        try:
            return duration_hours(duration)
        except ValueError as error:
            raise MappingError(f"Clockify sent a malformed duration: {duration!r}") from error

    @staticmethod
    def _clockify_date(start, zone):
        """The work date: the date of the entry's start in the time zone of the timesheet's
        owner (`owner.timeZone`, an IANA name): Clockify sends UTC timestamps, so work
        started at 19:00 in America/Chicago is on that day, not on the next one in UTC.
        Without a zone, the date in UTC. A malformed start or an unknown zone is bad data
        (the entry is held)."""
        try:
            moment = parse_datetime(start)
        except InvalidEntry:
            moment = None
        if moment is None:
            raise MappingError(f"Clockify sent an entry without a valid start: {start!r}")
        return local_date(moment, zone or "UTC", "Clockify")
