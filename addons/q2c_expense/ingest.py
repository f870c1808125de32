"""Normalised expenses: validation and fingerprints (no ORM here).

A normalised expense is a dict with the keys every ingested entry has
(`q2c_sync.ingest.validate_common`: `external_id`, `date`, `billable`, `approval_state`,
optional `approved_at` and `updated_at`) and: `employee`, `project` and `category` (the other
system's ids), `amount` (the receipt total in `currency`, >= 0), `currency` (ISO 4217 code or
None for the company currency), `quantity` (> 0; units, e.g. miles, for mileage),
`recoverable_tax` (the part of `amount` the firm reclaims, in `currency`), `description` and
`receipt` (the receipt's reference at the source).
"""

import re

from odoo.addons.q2c_sync.ingest import (
    MAX_NUMBER,
    InvalidEntry,
    parse_number,
    parse_ref,
    parse_text,
    validate_common,
)
from odoo.addons.q2c_sync.ingest import (
    fingerprint as digest,
)

# Sanity bounds of one receipt; an amount beyond them is a sender's error, not an expense.
MAX_AMOUNT = MAX_NUMBER
MAX_QUANTITY = 1_000_000.0
CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


def _currency(value):
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not CURRENCY_CODE.match(value.upper()):
        raise InvalidEntry("'currency' must be an ISO 4217 code such as USD")
    return value.upper()


def validate(entry):
    """Check and normalise one expense; raise InvalidEntry with the reason."""
    common = validate_common(entry, what="an expense")
    amount = parse_number(entry.get("amount"), "amount", maximum=MAX_AMOUNT)
    recoverable_tax = parse_number(
        entry.get("recoverable_tax"), "recoverable_tax", default=0.0, maximum=MAX_AMOUNT
    )
    if recoverable_tax > amount:
        raise InvalidEntry("'recoverable_tax' cannot exceed 'amount'")
    return {
        **common,
        "employee": parse_ref(entry.get("employee"), "employee"),
        "project": parse_ref(entry.get("project"), "project"),
        "category": parse_ref(entry.get("category"), "category"),
        "amount": amount,
        "currency": _currency(entry.get("currency")),
        "quantity": parse_number(
            entry.get("quantity"), "quantity", default=1.0, maximum=MAX_QUANTITY, strict=True
        ),
        "recoverable_tax": recoverable_tax,
        "description": parse_text(entry.get("description"), "description", 1000),
        "receipt": parse_text(entry.get("receipt"), "receipt", 500),
    }


def fingerprint(employee_id, project_id, product_id, currency_id, entry):
    """What decides `unchanged`: the mapped values, not the sender's timestamps."""
    return digest(
        employee_id,
        project_id,
        product_id,
        currency_id,
        entry["date"],
        entry["amount"],
        entry["quantity"],
        entry["recoverable_tax"],
        entry["description"],
        entry["receipt"],
        entry["billable"],
        entry["approval_state"],
    )
