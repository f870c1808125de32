"""Chargebee API v2 objects to q2c_payment's neutral dicts (docs/saas-specs.md 4.1). Plain
functions, tested without a database.

Amounts are integers in the currency's smallest unit; dates are Unix seconds. An event's
`content` holds the objects of its type: `invoice_generated` -> invoice; `payment_succeeded`,
`payment_failed`, `payment_refunded` -> transaction, invoice, customer, subscription;
`credit_note_created` -> credit_note; `subscription_*` -> subscription, customer."""

import datetime

# Currencies counted in whole units, and in thousandths (ISO 4217 minor units).
ZERO_DECIMAL = set("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
THREE_DECIMAL = {"BHD", "JOD", "KWD", "OMR", "TND"}

PAYMENT_EVENTS = ("payment_succeeded",)
FAILURE_EVENTS = ("payment_failed",)
REFUND_EVENTS = ("payment_refunded",)
INVOICE_EVENTS = ("invoice_generated", "invoice_updated")
CREDIT_NOTE_EVENTS = ("credit_note_created", "credit_note_updated")
# A document deleted at Chargebee (its content: the `invoice` or `credit_note` as it was).
# Voiding one is reported as `invoice_updated` / `credit_note_updated` with status voided.
DELETION_EVENTS = ("invoice_deleted", "credit_note_deleted")
DOCUMENT_EVENTS = INVOICE_EVENTS + CREDIT_NOTE_EVENTS + DELETION_EVENTS
# Chargebee's subscription lifecycle events; each carries the subscription's whole state.
SUBSCRIPTION_EVENTS = (
    "subscription_created",
    "subscription_started",
    "subscription_activated",
    "subscription_changed",
    "subscription_renewed",
    "subscription_reactivated",
    "subscription_cancelled",
    "subscription_cancellation_scheduled",
    "subscription_scheduled_cancellation_removed",
    "subscription_paused",
    "subscription_resumed",
    "subscription_trial_end_reminder",
)
HANDLED = PAYMENT_EVENTS + FAILURE_EVENTS + REFUND_EVENTS + DOCUMENT_EVENTS + SUBSCRIPTION_EVENTS
STATUSES = ("future", "in_trial", "active", "non_renewing", "paused", "cancelled")
# Invoices not final yet (a pending invoice still collects charges) or not owed.
NOT_FINAL = ("pending", "voided")
# Average month lengths of a billing period unit.
MONTHS_PER_UNIT = {"day": 12 / 365, "week": 12 / 52, "month": 1, "year": 12}


class ChargebeeShapeError(ValueError):
    """An object lacks a field every Chargebee object of its kind has."""


def major(amount, currency):
    """Chargebee's integer minor units as the currency's major units."""
    code = (currency or "").upper()
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise ChargebeeShapeError(f"amount {amount!r} is not an integer")
    if code in ZERO_DECIMAL:
        return float(amount)
    return amount / (1000 if code in THREE_DECIMAL else 100)


def date(seconds):
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        return None
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).date()


def moment(seconds):
    """Unix seconds as a naive UTC datetime (Odoo's), or None."""
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        return None
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).replace(tzinfo=None)


def _obj(value, what):
    if not isinstance(value, dict) or not isinstance(value.get("id"), str) or not value["id"]:
        raise ChargebeeShapeError(f"the {what} has no id")
    return value


def content(event):
    data = event.get("content") if isinstance(event, dict) else None
    if not isinstance(data, dict):
        raise ChargebeeShapeError("the event has no content")
    return data


def customer(obj):
    obj = _obj(obj, "customer")
    person = " ".join(filter(None, [obj.get("first_name"), obj.get("last_name")]))
    return {
        "external_id": obj["id"],
        "name": obj.get("company") or person or obj.get("email") or obj["id"],
        "email": obj.get("email"),
        "is_company": bool(obj.get("company")),
    }


def _plan(obj):
    """Product Catalog 1.0 `plan_id`; 2.0: the `plan` item of `subscription_items`."""
    if obj.get("plan_id"):
        return obj["plan_id"], None
    for item in obj.get("subscription_items") or []:
        if isinstance(item, dict) and item.get("item_type") == "plan":
            return item.get("item_price_id"), item
    return None, None


def _monthly(amount, period, unit):
    months = MONTHS_PER_UNIT.get(unit)
    if not months or not isinstance(period, int) or period <= 0:
        return None
    return amount / (period * months)


def mrr(obj):
    """The subscription's MRR in major units: Chargebee's `mrr` when given, else the plan's
    amount brought to one month (yearly 1,200.00 -> 100.00)."""
    currency = obj.get("currency_code")
    if isinstance(obj.get("mrr"), int):
        return major(obj["mrr"], currency)
    plan_id, item = _plan(obj)
    if item is not None:
        amount = item.get("amount")
        if not isinstance(amount, int):
            amount = (item.get("unit_price") or 0) * (item.get("quantity") or 1)
    else:
        amount = obj.get("plan_amount")
        if not isinstance(amount, int):
            amount = (obj.get("plan_unit_price") or 0) * (obj.get("plan_quantity") or 1)
    monthly = _monthly(amount, obj.get("billing_period"), obj.get("billing_period_unit"))
    return round(major(int(monthly), currency), 2) if monthly is not None else 0.0


def subscription(obj, occurred_at=None):
    obj = _obj(obj, "subscription")
    status = obj.get("status")
    if status not in STATUSES:
        raise ChargebeeShapeError(f"subscription status {status!r} is not Chargebee's")
    plan_id, _item = _plan(obj)
    return {
        "external_id": obj["id"],
        "customer_ref": obj.get("customer_id"),
        "plan": plan_id,
        "status": status,
        "term_start": date(obj.get("current_term_start")),
        "term_end": date(obj.get("current_term_end")),
        "currency": obj.get("currency_code"),
        "mrr": mrr(obj),
        "cancelled_on": date(obj.get("cancelled_at")),
        # The state's own time when Chargebee gives it, else the event's.
        "occurred_at": moment(obj.get("updated_at")) or moment(occurred_at),
    }


def _lines(obj, currency):
    lines = []
    for item in obj.get("line_items") or []:
        if not isinstance(item, dict):
            raise ChargebeeShapeError("a line item is not an object")
        amount = item.get("amount")
        discount = item.get("discount_amount") or 0
        quantity = item.get("quantity") or 1
        unit = item.get("unit_amount")
        name = item.get("description") or item.get("entity_id") or "/"
        if not discount and isinstance(unit, int) and unit * quantity == amount:
            price, qty = major(unit, currency), quantity
        else:
            price, qty = major(amount - discount, currency), 1
            if quantity != 1:
                name = f"{name} ({quantity})"
        taxed = bool(item.get("tax_amount")) or bool(item.get("is_taxed"))
        lines.append({"name": name, "quantity": qty, "price_unit": price, "taxed": taxed})
    return lines


def _document(obj, what):
    obj = _obj(obj, what)
    currency = obj.get("currency_code")
    if not isinstance(obj.get("total"), int):
        raise ChargebeeShapeError(f"the {what} {obj['id']} has no integer total")
    return {
        "external_id": obj["id"],
        "number": obj["id"],
        "customer_ref": obj.get("customer_id"),
        "subscription_ref": obj.get("subscription_id"),
        "currency": currency,
        "date": date(obj.get("date")),
        "due_date": date(obj.get("due_date")),
        "total": major(obj["total"], currency),
        "tax": major(obj.get("tax") or 0, currency),
        "lines": _lines(obj, currency),
        "status": obj.get("status"),
    }


def voided(obj):
    """The id of a voided invoice or credit note, else None."""
    obj = _obj(obj, "document")
    return obj["id"] if obj.get("status") == "voided" else None


def invoice(obj):
    """A final invoice, or None while it is not final (pending) or voided."""
    doc = _document(obj, "invoice")
    return None if doc["status"] in NOT_FINAL else doc


def credit_note(obj):
    doc = _document(obj, "credit note")
    doc["invoice_ref"] = obj.get("reference_invoice_id")
    doc["kind"] = obj.get("type")
    return None if doc["status"] == "voided" else doc


def _linked_invoice(txn, data):
    linked = [
        row.get("invoice_id")
        for row in txn.get("linked_invoices") or []
        if isinstance(row, dict) and row.get("invoice_id")
    ]
    if len(linked) == 1:
        return linked[0]
    if not linked and isinstance(data.get("invoice"), dict):
        return data["invoice"].get("id")
    # Several invoices paid at once: settled by their shares (`applied`).
    return None


def applied(txn):
    """The shares of a payment Chargebee applied to several invoices (`linked_invoices`,
    each `applied_amount`): [{gateway_invoice_id, amount}], or None for one invoice or none."""
    currency = txn.get("currency_code")
    rows = [
        row
        for row in txn.get("linked_invoices") or []
        if isinstance(row, dict) and row.get("invoice_id")
    ]
    if len(rows) < 2:
        return None
    return [
        {
            "gateway_invoice_id": row["invoice_id"],
            "amount": major(row.get("applied_amount"), currency),
        }
        for row in rows
    ]


def _txn(data):
    return _obj(data.get("transaction"), "transaction")


def payment(event):
    data = content(event)
    txn = _txn(data)
    if txn.get("status") != "success":
        return None
    currency = txn.get("currency_code")
    return {
        "kind": "payment",
        "external_id": txn["id"],
        "amount": major(txn.get("amount"), currency),
        "currency": currency,
        # Chargebee's transaction reports no gateway fee (its API has no fee field).
        "fee": None,
        "date": date(txn.get("date")) or date(event.get("occurred_at")),
        "gateway_invoice_id": _linked_invoice(txn, data),
        "applied": applied(txn),
        "customer_ref": txn.get("customer_id"),
    }


def failure(event, final_only=True):
    """A failed payment, or None while Chargebee's dunning will retry the invoice and the
    system waits for the last attempt."""
    data = content(event)
    txn = _txn(data)
    invoice_obj = data.get("invoice") if isinstance(data.get("invoice"), dict) else {}
    if final_only and invoice_obj.get("dunning_status") == "in_progress":
        return None
    currency = txn.get("currency_code")
    return {
        "kind": "failure",
        "external_id": txn["id"],
        "amount": major(txn.get("amount"), currency),
        "currency": currency,
        "date": date(txn.get("date")) or date(event.get("occurred_at")),
        "gateway_invoice_id": _linked_invoice(txn, data),
        "customer_ref": txn.get("customer_id"),
        "summary": txn.get("error_text") or f"Chargebee payment {txn['id']}",
    }


def refund(event):
    """A refund transaction: its own amount, paying the credit note Chargebee made for it.
    The payment it refunds: `reference_transaction_id` (else `refunded_txn_id`)."""
    data = content(event)
    txn = _txn(data)
    currency = txn.get("currency_code")
    note = data.get("credit_note") if isinstance(data.get("credit_note"), dict) else {}
    linked = [
        row.get("cn_id")
        for row in txn.get("linked_credit_notes") or []
        if isinstance(row, dict) and row.get("cn_id")
    ]
    payment_id = txn.get("reference_transaction_id") or txn.get("refunded_txn_id")
    if not payment_id:
        raise ChargebeeShapeError(f"refund {txn['id']} names no refunded payment")
    return {
        "kind": "refund",
        "external_id": txn["id"],
        "payment_external_id": payment_id,
        "amount": major(txn.get("amount"), currency),
        "currency": currency,
        "date": date(txn.get("date")) or date(event.get("occurred_at")),
        "customer_ref": txn.get("customer_id"),
        "gateway_credit_note_id": note.get("id") or (linked[0] if linked else None),
    }
