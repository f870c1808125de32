"""Records from outside: the checks every ingestion shares (no ORM here).

Each ingestion (one per kind of record) normalises one entry with a `validate(entry)` of
its own, built from these readers; `split_valid` runs it over a batch and drops the ids sent
twice. A reader raises `InvalidEntry` with a reason the sender can act on; the entry is then
rejected and the entries beside it go on.
"""

import hashlib
import json
import math
import zoneinfo
from datetime import UTC, date, datetime

from psycopg2 import errorcodes, errors

from odoo.addons.q2c_base import inputs
from odoo.addons.q2c_base.exceptions import MappingError

APPROVAL_STATES = [
    ("draft", "Not submitted"),
    ("submitted", "Submitted"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
]
APPROVAL_KEYS = {key for key, _label in APPROVAL_STATES}
# Sanity bound of any amount or quantity from outside: beyond it is a sender's error.
MAX_NUMBER = 10_000_000.0


class InvalidEntry(MappingError, ValueError):
    """An entry that can never be imported as sent; the reason goes back to the sender."""


class HeldEntry(MappingError):
    """A valid entry with a reference that is not mapped yet: it is held (q2c.sync.hold)
    with `reason` until a person maps the reference, then imported on its next delivery."""


class ConcurrentIngest(errors.SerializationFailure):
    """Another transaction stored an entry of this batch after this one began (the same id
    pushed twice at the same moment, a push beside a pull): this transaction cannot see that
    row, so it cannot say whether the entry is unchanged or updated. A serialization failure
    for PostgreSQL's error code: Odoo replays the whole request in a new transaction (and
    queue_job a job), which finds the row and answers per entry, nothing rolled back for
    good (issue 11, item 3)."""

    pgcode = errorcodes.SERIALIZATION_FAILURE
    pgerror = "q2c: an entry of the batch was stored by a concurrent transaction"


def raise_if_concurrent(error, constraint):
    """Raise ConcurrentIngest when `error` (an IntegrityError) is the unique violation of
    `constraint` (its PostgreSQL name, `<table>_<name>`); otherwise return."""
    if isinstance(error, errors.UniqueViolation) and error.diag.constraint_name == constraint:
        raise ConcurrentIngest(ConcurrentIngest.pgerror) from error


class FailedRecord(dict):
    """A record of a pulled page that its connector could not map (a MappingError for that
    record alone, or not an object at all): its `external_id` (None when it has none), the
    `reason` and the `record` as the source sent it. The ingestion rejects and holds it; the
    records beside it go on. A class of its own, so no JSON body can pass for one."""

    def __init__(self, external_id, reason, record):
        super().__init__(external_id=external_id, reason=reason, record=record)


def map_records(records, map_one, id_key):
    """The entries of a page's `records`: `map_one(record)` for each (None: left out, e.g. a
    running timer). A record that is not an object, or whose `map_one` raises MappingError,
    becomes a FailedRecord with its id (`record[id_key]`) and the reason: one record's bad
    data never blocks the page (issue 11, item 8). Any other exception is a bug and fails the
    page."""
    entries = []
    for record in records:
        if not isinstance(record, dict):
            reason = f"the source sent a record that is not an object: {record!r:.100}"
            entries.append(FailedRecord(None, reason, record))
            continue
        try:
            entry = map_one(record)
        except MappingError as error:
            entries.append(FailedRecord(record.get(id_key), error.reason, record))
            continue
        if entry is not None:
            entries.append(entry)
    return entries


def hold_key(external_id, raw):
    """The external id a rejected entry is held under: its own id as text, else a digest of
    what was received (an entry without an id is still kept)."""
    if external_id not in (None, "") and not isinstance(external_id, bool | dict | list):
        return str(external_id)[: inputs.MAX_ID_CHARS]
    text = json.dumps(raw, sort_keys=True, default=str)
    return "(no id) " + hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:16]


def parse_date(value, name="date"):
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise InvalidEntry(f"'{name}' must be a string YYYY-MM-DD")
    try:
        return date.fromisoformat(value[:10])
    except ValueError as error:
        raise InvalidEntry(f"'{name}' is not a date: {value!r}") from error


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


def local_date(moment, zone, source):
    """The date of `moment` (a naive UTC datetime) in the IANA time zone `zone`, where the
    source says the work was done (issue 11, item 7). An unknown zone is the source's bad
    data: MappingError (the record is held)."""
    try:
        if not isinstance(zone, str) or len(zone) > 64:
            raise ValueError(zone)
        tzinfo = zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise MappingError(f"{source} sent an unknown time zone: {zone!r:.70}") from error
    return moment.replace(tzinfo=UTC).astimezone(tzinfo).date()


def parse_ref(value, name, required=True):
    """Another system's id (a string or a number) as a string; None when absent."""
    if value in (None, "") or isinstance(value, bool):
        if required:
            raise InvalidEntry(f"'{name}' is required")
        return None
    if not isinstance(value, str | int):
        raise InvalidEntry(f"'{name}' must be a string or a number")
    value = str(value)
    # Ids are keys of unique indexes, whose rows PostgreSQL bounds (~2.7 kB).
    if len(value) > inputs.MAX_ID_CHARS:
        raise InvalidEntry(f"'{name}' is at most {inputs.MAX_ID_CHARS} characters")
    return value


def parse_number(value, name, default=None, minimum=0.0, maximum=MAX_NUMBER, strict=False):
    """A finite number within bounds, as a float (JSON's NaN and Infinity are refused).
    `strict`: the minimum itself is refused."""
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidEntry(f"'{name}' must be a number")
    too_low = value <= minimum if strict else value < minimum
    if too_low or value > maximum:
        low = f"above {minimum:g}" if strict else f"at least {minimum:g}"
        raise InvalidEntry(f"'{name}' must be {low} and at most {maximum:g}")
    return float(value)


def parse_text(value, name, limit):
    """Free text, cut at `limit` characters; '' when absent."""
    value = value or ""
    if not isinstance(value, str):
        raise InvalidEntry(f"'{name}' must be a string")
    return value[:limit]


def parse_bool(value, name):
    if not isinstance(value, bool):
        raise InvalidEntry(f"'{name}' must be true or false")
    return value


def parse_approval_state(value):
    """One of APPROVAL_STATES; an entry sent without one is approved."""
    state = value or "approved"
    if state not in APPROVAL_KEYS:
        raise InvalidEntry(f"'approval_state' must be one of {sorted(APPROVAL_KEYS)}")
    return state


def validate_common(entry, what="an entry"):
    """The keys every ingested entry has, checked and normalised: `external_id`, `date`,
    `billable`, `approval_state`, `approved_at` and `updated_at`."""
    if not isinstance(entry, dict):
        raise InvalidEntry(f"{what} must be a JSON object")
    return {
        "external_id": parse_ref(entry.get("external_id"), "id"),
        "date": parse_date(entry.get("date")),
        "billable": parse_bool(entry.get("billable", True), "billable"),
        "approval_state": parse_approval_state(entry.get("approval_state")),
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
        if isinstance(raw, FailedRecord):
            results[index] = reject(raw["external_id"], raw["reason"])
            continue
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


def _fingerprint_part(part):
    if isinstance(part, bool):
        return str(int(part))
    if isinstance(part, float):
        return repr(round(part, 6))
    if isinstance(part, date):
        return part.isoformat()
    return str(part)


def fingerprint(*parts):
    """What decides `unchanged`: a digest of the mapped values (never the sender's
    timestamps). Dates in ISO form, floats rounded to 6 places, booleans as 0 or 1."""
    text = "|".join(_fingerprint_part(part) for part in parts)
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()
