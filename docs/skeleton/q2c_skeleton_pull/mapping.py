"""The vendor's records as q2c's normalised entries: plain functions, tested without a
database. Raise MappingError for bad data from outside only; anything else is a bug."""

from odoo.addons.q2c_base.exceptions import MappingError
from odoo.addons.q2c_sync.ingest import map_records


def page(answer):
    """(normalised entries, total pages) of one answer of GET /time_entries:
    {"entries": [...], "total_pages": N}. A malformed answer is a MappingError (the page is
    dead); one record that cannot be read is held with its reason by `map_records`, and the
    records beside it go on."""
    if not isinstance(answer, dict) or not isinstance(answer.get("entries"), list):
        raise MappingError("the source answered without an entries list")
    return map_records(answer["entries"], time_entry, "id"), answer.get("total_pages")


def time_entry(record):
    """One vendor time entry in the keys of `q2c_timesheet.ingest` (what
    `account.analytic.line._q2c_ingest` validates: unknown people or projects are held);
    None for a running timer (no `hours` yet), left out until it stops."""
    if record.get("hours") is None:
        return None
    approved = record.get("status") == "approved"
    return {
        "external_id": record.get("id"),
        "employee": record.get("user_id"),
        "project": record.get("project_id"),
        "date": record.get("date"),
        "hours": record.get("hours"),
        "description": record.get("notes") or "",
        "billable": bool(record.get("billable", True)),
        "approval_state": "approved" if approved else "submitted",
        "approved_at": record.get("updated_at") if approved else None,
        "updated_at": record.get("updated_at"),
    }
