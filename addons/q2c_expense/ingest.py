"""Normalised expenses: validation and fingerprints (no ORM here).

A normalised expense is a dict with: `external_id` (str), `employee`, `project` and `category`
(the other system's ids), `date` (date), `amount` (the receipt total in `currency`, >= 0),
`currency` (ISO 4217 code or None for the company currency), `quantity` (> 0; units, e.g.
miles, for mileage), `recoverable_tax` (the part of `amount` the firm reclaims, in `currency`),
`description`, `receipt` (the receipt's reference at the source), `billable` (bool),
`approval_state` (one of APPROVAL_STATES), optional `approved_at` and `updated_at`.

Dates, timestamps, references and approval states are read exactly as for time entries
(`q2c_timesheet.ingest`).
"""

import hashlib
import math
import re

from odoo.addons.q2c_timesheet.ingest import (
    APPROVAL_KEYS,
    InvalidEntry,
    _ref,
    parse_date,
    parse_datetime,
)

# Sanity bounds of one receipt; an amount beyond them is a sender's error, not an expense.
MAX_AMOUNT = 10_000_000.0
MAX_QUANTITY = 1_000_000.0
CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


def _number(value, name, default=None, minimum=0.0, maximum=MAX_AMOUNT, strict=False):
    """A finite number within bounds (JSON's NaN and Infinity are refused)."""
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidEntry(f"'{name}' must be a number")
    too_low = value <= minimum if strict else value < minimum
    if too_low or value > maximum:
        low = f"above {minimum:g}" if strict else f"at least {minimum:g}"
        raise InvalidEntry(f"'{name}' must be {low} and at most {maximum:g}")
    return float(value)


def _text(value, name, limit):
    value = value or ""
    if not isinstance(value, str):
        raise InvalidEntry(f"'{name}' must be a string")
    return value[:limit]


def _currency(value):
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not CURRENCY_CODE.match(value.upper()):
        raise InvalidEntry("'currency' must be an ISO 4217 code such as USD")
    return value.upper()


def validate(entry):
    """Check and normalise one expense; raise InvalidEntry with the reason."""
    if not isinstance(entry, dict):
        raise InvalidEntry("an expense must be a JSON object")
    external_id = _ref(entry.get("external_id"), "id")
    amount = _number(entry.get("amount"), "amount")
    recoverable_tax = _number(entry.get("recoverable_tax"), "recoverable_tax", default=0.0)
    if recoverable_tax > amount:
        raise InvalidEntry("'recoverable_tax' cannot exceed 'amount'")
    state = entry.get("approval_state") or "approved"
    if state not in APPROVAL_KEYS:
        raise InvalidEntry(f"'approval_state' must be one of {sorted(APPROVAL_KEYS)}")
    billable = entry.get("billable", True)
    if not isinstance(billable, bool):
        raise InvalidEntry("'billable' must be true or false")
    return {
        "external_id": external_id,
        "employee": _ref(entry.get("employee"), "employee"),
        "project": _ref(entry.get("project"), "project"),
        "category": _ref(entry.get("category"), "category"),
        "date": parse_date(entry.get("date")),
        "amount": amount,
        "currency": _currency(entry.get("currency")),
        "quantity": _number(
            entry.get("quantity"), "quantity", default=1.0, maximum=MAX_QUANTITY, strict=True
        ),
        "recoverable_tax": recoverable_tax,
        "description": _text(entry.get("description"), "description", 1000),
        "receipt": _text(entry.get("receipt"), "receipt", 500),
        "billable": billable,
        "approval_state": state,
        "approved_at": parse_datetime(entry.get("approved_at")),
        "updated_at": parse_datetime(entry.get("updated_at")),
    }


def fingerprint(employee_id, project_id, product_id, currency_id, entry):
    """What decides `unchanged`: the mapped values, not the sender's timestamps."""
    text = "|".join(
        str(part)
        for part in (
            employee_id,
            project_id,
            product_id,
            currency_id,
            entry["date"].isoformat(),
            repr(round(entry["amount"], 6)),
            repr(round(entry["quantity"], 6)),
            repr(round(entry["recoverable_tax"], 6)),
            entry["description"],
            entry["receipt"],
            int(entry["billable"]),
            entry["approval_state"],
        )
    )
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()
