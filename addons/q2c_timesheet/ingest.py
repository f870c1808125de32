"""Normalised time entries: validation and fingerprints (no ORM here).

A normalised entry is a dict with the keys every ingested entry has
(`q2c_sync.ingest.validate_common`: `external_id`, `date`, `billable`, `approval_state`,
optional `approved_at` and `updated_at`) and: `employee` and `project` (the other system's
ids), `project_type`, optional `task`, `hours` (float >= 0) and `description`.
"""

from odoo.addons.q2c_sync.ingest import (
    APPROVAL_STATES,
    InvalidEntry,
    parse_datetime,
    parse_number,
    parse_ref,
    parse_text,
    validate_common,
)
from odoo.addons.q2c_sync.ingest import (
    fingerprint as digest,
)

# The pull connectors read timestamps through this module.
__all__ = ["APPROVAL_STATES", "InvalidEntry", "fingerprint", "parse_datetime", "validate"]

MAX_HOURS_PER_ENTRY = 24.0
# Object types whose external references stand for an Odoo project: a project, or (Tempo) the
# Jira issue a worklog is booked on, bound to the project that bills it.
PROJECT_OBJECT_TYPES = ("project", "issue")


def _project_type(value):
    if value in (None, ""):
        return "project"
    if value not in PROJECT_OBJECT_TYPES:
        raise InvalidEntry(f"'project_type' must be one of {list(PROJECT_OBJECT_TYPES)}")
    return value


def validate(entry):
    """Check and normalise one entry; raise InvalidEntry with the reason."""
    common = validate_common(entry)
    return {
        **common,
        "employee": parse_ref(entry.get("employee"), "employee"),
        "project": parse_ref(entry.get("project"), "project"),
        "project_type": _project_type(entry.get("project_type")),
        "task": parse_ref(entry.get("task"), "task", required=False),
        "hours": parse_number(entry.get("hours"), "hours", maximum=MAX_HOURS_PER_ENTRY),
        "description": parse_text(entry.get("description"), "description", 1000),
    }


def fingerprint(employee_id, project_id, task_id, entry):
    """What decides `unchanged`: the mapped values, not the sender's timestamps."""
    return digest(
        employee_id,
        project_id,
        task_id or 0,
        entry["date"],
        entry["hours"],
        entry["description"],
        entry["billable"],
        entry["approval_state"],
    )
