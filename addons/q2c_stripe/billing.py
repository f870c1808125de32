"""Stripe Billing (set-up b, the gateway invoices): Stripe subscriptions and the invoices
Stripe makes for them, as q2c_payment's mirror reads them (`q2c.payment.mirror`). Plain
functions, tested without a database. Shapes: docs/saas-specs.md 1.6 and 1.7, the current
one (`parent.subscription_details.subscription`, periods on the subscription items) and the
older one (`subscription` on the invoice, `current_period_*` on the subscription)."""

import datetime

from .mapping import StripeShapeError, _id, major

SUBSCRIPTION_EVENTS = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
)
# The invoice becomes final (numbered, owed): it is copied then.
INVOICE_EVENTS = ("invoice.finalized",)
# Money events of an invoice: the invoice is copied first when it is not yet.
INVOICE_MONEY_EVENTS = ("invoice.paid", "invoice.payment_failed")
# Stripe's own credit notes (set-up b): copied once, reversed once when voided.
CREDIT_NOTE_EVENTS = ("credit_note.created", "credit_note.updated", "credit_note.voided")
# An invoice leaving the owed states: void (reversed in Odoo), uncollectible (stays owed,
# flagged for Finance), deleted (a draft: nothing was copied).
INVOICE_END_EVENTS = ("invoice.voided", "invoice.marked_uncollectible", "invoice.deleted")
BILLING_EVENTS = SUBSCRIPTION_EVENTS + INVOICE_EVENTS + CREDIT_NOTE_EVENTS + INVOICE_END_EVENTS
# Stripe's subscription statuses as q2c.subscription's.
STATUSES = {
    "incomplete": "future",
    "trialing": "in_trial",
    "active": "active",
    "past_due": "active",
    "unpaid": "paused",
    "paused": "paused",
    "canceled": "cancelled",
    "incomplete_expired": "cancelled",
}
# Invoices owed: a draft is not final, a void one is not owed.
FINAL = ("open", "paid", "uncollectible")
MONTHS_PER_INTERVAL = {"day": 12 / 365, "week": 12 / 52, "month": 1, "year": 12}


def _date(seconds):
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        return None
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).date()


def _moment(seconds):
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        return None
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).replace(tzinfo=None)


def _object(event):
    obj = ((event.get("data") or {}).get("object")) if isinstance(event, dict) else None
    if not isinstance(obj, dict) or not _id(obj):
        raise StripeShapeError("the event has no data.object with an id")
    return obj


def _items(obj):
    items = (obj.get("items") or {}).get("data")
    return [item for item in items or [] if isinstance(item, dict)]


def _price(item):
    price = item.get("price") or item.get("plan") or {}
    return price if isinstance(price, dict) else {"id": price}


def mrr(obj):
    """The subscription's monthly recurring revenue in major units: each item's unit amount
    x quantity brought to one month by its price's interval (yearly 1,200.00 -> 100.00)."""
    currency = obj.get("currency")
    total = 0.0
    for item in _items(obj):
        price = _price(item)
        recurring = price.get("recurring") or {}
        interval = recurring.get("interval") or price.get("interval")
        count = recurring.get("interval_count") or price.get("interval_count") or 1
        months = MONTHS_PER_INTERVAL.get(interval)
        amount = price.get("unit_amount")
        if months is None or not isinstance(amount, int):
            continue
        total += major(amount, currency) * (item.get("quantity") or 1) / (months * count)
    return round(total, 2)


def subscription(event):
    obj = _object(event)
    status = obj.get("status")
    if status not in STATUSES:
        raise StripeShapeError(f"subscription status {status!r} is not Stripe's")
    items = _items(obj)
    first = items[0] if items else {}
    price = _price(first)
    state = STATUSES[status]
    if state == "active" and obj.get("cancel_at_period_end"):
        state = "non_renewing"
    return {
        "external_id": obj["id"],
        "customer_ref": _id(obj.get("customer")),
        "plan": price.get("lookup_key") or price.get("nickname") or price.get("id"),
        "status": state,
        "term_start": _date(first.get("current_period_start") or obj.get("current_period_start")),
        "term_end": _date(first.get("current_period_end") or obj.get("current_period_end")),
        "currency": obj.get("currency"),
        "mrr": 0.0 if state == "cancelled" else mrr(obj),
        "cancelled_on": _date(obj.get("canceled_at") or obj.get("ended_at")),
        "occurred_at": _moment(event.get("created")),
    }


def invoice_subscription(obj):
    details = ((obj.get("parent") or {}).get("subscription_details")) or {}
    return _id(details.get("subscription")) or _id(obj.get("subscription"))


def _document(obj, what):
    """The lines and totals of an invoice or credit note: each line's `amount` is before
    tax (taxed when it lists `taxes`, or `tax_amounts` in older versions); the tax is what
    the total adds to them."""
    currency = obj.get("currency")
    lines = (obj.get("lines") or {}).get("data") or []
    if (obj.get("lines") or {}).get("has_more"):
        raise StripeShapeError(f"{what} {obj['id']} has more lines than the event carries")
    doc_lines = []
    for line in lines:
        if not isinstance(line, dict):
            raise StripeShapeError(f"a {what} line is not an object")
        doc_lines.append(
            {
                "name": line.get("description") or line.get("id") or "/",
                "quantity": 1,
                "price_unit": major(line.get("amount"), currency),
                "taxed": bool(line.get("taxes") or line.get("tax_amounts")),
            }
        )
    total = major(obj.get("total"), currency)
    untaxed = sum(line["price_unit"] for line in doc_lines)
    return {
        "external_id": obj["id"],
        "number": obj.get("number") or obj["id"],
        "customer_ref": _id(obj.get("customer")),
        "currency": currency,
        "date": _date(obj.get("effective_at") or obj.get("created")),
        "total": total,
        "tax": round(total - untaxed, 3),
        "lines": doc_lines,
    }


def invoice(obj):
    """A final Stripe invoice as a document to copy, or None (draft, void)."""
    if obj.get("status") not in FINAL:
        return None
    return {
        **_document(obj, "invoice"),
        "subscription_ref": invoice_subscription(obj),
        "due_date": _date(obj.get("due_date")),
    }


def credit_note(obj):
    """A Stripe credit note as a document to copy: `status` issued or void, `kind`
    pre_payment (it reduced what the invoice owed) or post_payment (given back after
    payment: refunded, credited to the customer's balance, or outside Stripe), `invoice_ref`
    the invoice it credits, and `refunds`: the Stripe refunds it gave back with their
    amounts in major units (`refunds[].amount_refunded`), or, in versions before 2025-03-31,
    the one `refund` id (its amount read from Stripe, None here)."""
    status = obj.get("status")
    if status not in ("issued", "void"):
        raise StripeShapeError(f"credit note status {status!r} is not Stripe's")
    invoice_ref = _id(obj.get("invoice"))
    if not invoice_ref:
        raise StripeShapeError(f"credit note {obj['id']} names no invoice")
    currency = obj.get("currency")
    refunds = []
    for row in obj.get("refunds") or []:
        if isinstance(row, dict) and _id(row.get("refund")):
            refunds.append((_id(row["refund"]), major(row.get("amount_refunded"), currency)))
    if not refunds and _id(obj.get("refund")):
        refund = obj["refund"]
        amount = refund.get("amount") if isinstance(refund, dict) else None
        refunds.append((_id(refund), None if amount is None else major(amount, currency)))
    return {
        **_document(obj, "credit note"),
        "status": status,
        "kind": obj.get("type"),
        # Given after payment: never reduces what the invoice owes in Odoo, even when the
        # payment is not booked there yet (it waits as the customer's credit).
        "applies_to_invoice": obj.get("type") != "post_payment",
        "invoice_ref": invoice_ref,
        "refunds": refunds,
    }


def invoice_customer(obj):
    """The customer as the invoice names it (`customer_email`, `customer_name`)."""
    return {
        "external_id": _id(obj.get("customer")),
        "name": obj.get("customer_name") or obj.get("customer_email"),
        "email": obj.get("customer_email"),
        "is_company": False,
    }


def customer(obj):
    return {
        "external_id": obj["id"],
        "name": obj.get("name") or obj.get("email") or obj["id"],
        "email": obj.get("email"),
        "is_company": False,
    }
