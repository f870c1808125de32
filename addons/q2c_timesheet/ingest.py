"""Normalised time entries: validation and fingerprints (no ORM here).

A normalised entry is a dict with: `external_id` (str), `employee` and `project` (the other
system's ids), optional `task`, `date` (date), `hours` (float >= 0), `description`,
`billable` (bool), `approval_state` (one of APPROVAL_STATES), optional `approved_at`
(datetime) and `updated_at`.
"""

import hashlib
from datetime import UTC, date, datetime

APPROVAL_STATES = [
    ("draft", "Not submitted"),
    ("submitted", "Submitted"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
]
APPROVAL_KEYS = {key for key, _label in APPROVAL_STATES}
MAX_HOURS_PER_ENTRY = 24.0


class InvalidEntry(ValueError):
    """An entry that can never be imported as sent; the reason goes back to the sender."""


def parse_date(value):
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise InvalidEntry("'date' must be a string YYYY-MM-DD")
    try:
        return date.fromisoformat(value[:10])
    except ValueError as error:
        raise InvalidEntry(f"'date' is not a date: {value!r}") from error


def parse_datetime(value):
    """An ISO 8601 timestamp as a naive UTC datetime (Odoo's storage), or None."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if not isinstance(value, str):
        raise InvalidEntry(f"not a timestamp: {value!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise InvalidEntry(f"not a timestamp: {value!r}") from error
    if parsed.tzinfo:
        parsed = parsed.astimezone(UTC)
    return parsed.replace(tzinfo=None)


def _ref(value, name, required=True):
    if value in (None, "") or isinstance(value, bool):
        if required:
            raise InvalidEntry(f"'{name}' is required")
        return None
    if not isinstance(value, str | int):
        raise InvalidEntry(f"'{name}' must be a string or a number")
    return str(value)


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
    """Check and normalise one entry in place; raise InvalidEntry with the reason."""
    if not isinstance(entry, dict):
        raise InvalidEntry("an entry must be a JSON object")
    external_id = _ref(entry.get("external_id"), "id")
    hours = entry.get("hours")
    if isinstance(hours, bool) or not isinstance(hours, int | float):
        raise InvalidEntry("'hours' must be a number")
    if not 0 <= hours <= MAX_HOURS_PER_ENTRY:
        raise InvalidEntry(f"'hours' must be between 0 and {MAX_HOURS_PER_ENTRY:g}")
    state = entry.get("approval_state") or "approved"
    if state not in APPROVAL_KEYS:
        raise InvalidEntry(f"'approval_state' must be one of {sorted(APPROVAL_KEYS)}")
    billable = entry.get("billable", True)
    if not isinstance(billable, bool):
        raise InvalidEntry("'billable' must be true or false")
    description = entry.get("description") or ""
    if not isinstance(description, str):
        raise InvalidEntry("'description' must be a string")
    return {
        "external_id": external_id,
        "employee": _ref(entry.get("employee"), "employee"),
        "project": _ref(entry.get("project"), "project"),
        "project_type": _project_type(entry.get("project_type")),
        "task": _ref(entry.get("task"), "task", required=False),
        "date": parse_date(entry.get("date")),
        "hours": float(hours),
        "description": description[:1000],
        "billable": billable,
        "approval_state": state,
        "approved_at": parse_datetime(entry.get("approved_at")),
        "updated_at": parse_datetime(entry.get("updated_at")),
    }


def split_valid(raw_entries, validate_one, reject):
    """({external id: (index, entry)} of the valid entries, results so far): each raw entry
    validated by `validate_one`; an invalid one, or an id seen earlier in the same batch, gets
    `reject(external id, reason)` at its index and stays out."""
    results = [None] * len(raw_entries)
    entries = {}
    for index, raw in enumerate(raw_entries):
        try:
            entry = validate_one(raw)
        except InvalidEntry as error:
            ext = raw.get("external_id") if isinstance(raw, dict) else None
            results[index] = reject(ext, str(error))
            continue
        if entry["external_id"] in entries:
            results[index] = reject(entry["external_id"], "the same id twice in one request")
            continue
        entries[entry["external_id"]] = (index, entry)
    return entries, results


def fingerprint(employee_id, project_id, task_id, entry):
    """What decides `unchanged`: the mapped values, not the sender's timestamps."""
    text = "|".join(
        str(part)
        for part in (
            employee_id,
            project_id,
            task_id or 0,
            entry["date"].isoformat(),
            repr(round(entry["hours"], 6)),
            entry["description"],
            int(entry["billable"]),
            entry["approval_state"],
        )
    )
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()
