"""Stripe events to q2c_payment's neutral transactions (`q2c.payment.settlement._apply`).
Plain functions, tested without a database. Shapes: docs/saas-specs.md 1.6 and 1.7; both
the current invoice shape (`payments`, `parent`) and the older one (`payment_intent`,
`charge` on the invoice) are read.

The key of a payment is its PaymentIntent (else its charge, else the Stripe invoice): a
Stripe invoice paid by card sends both `invoice.paid` and `payment_intent.succeeded` for one
payment, and both name the same key, so the money is booked once whichever comes first."""

import datetime

# The reference q2c puts in the metadata of what it publishes: the Odoo invoice number.
REF_KEY = "q2c_invoice"
# Currencies Stripe counts in whole units, and those it counts in thousandths
# (docs.stripe.com/currencies#zero-decimal, #three-decimal).
ZERO_DECIMAL = set("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
THREE_DECIMAL = {"BHD", "JOD", "KWD", "OMR", "TND"}

PAYMENT_EVENTS = ("invoice.paid", "payment_intent.succeeded")
FAILURE_EVENTS = ("invoice.payment_failed", "payment_intent.payment_failed")
REFUND_EVENTS = ("charge.refunded",)
DISPUTE_EVENTS = ("charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed")
HANDLED = PAYMENT_EVENTS + FAILURE_EVENTS + REFUND_EVENTS + DISPUTE_EVENTS


class StripeShapeError(ValueError):
    """The event's object lacks a field every Stripe object of its type has."""


def major(amount, currency):
    """Stripe's integer minor units as the currency's major units."""
    code = (currency or "").upper()
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise StripeShapeError(f"amount {amount!r} is not an integer")
    if code in ZERO_DECIMAL:
        return float(amount)
    return amount / (1000 if code in THREE_DECIMAL else 100)


def _date(seconds):
    if not isinstance(seconds, int):
        return None
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).date()


def _id(value):
    """An id, or the id of an expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _object(event):
    obj = ((event.get("data") or {}).get("object")) if isinstance(event, dict) else None
    if not isinstance(obj, dict) or not _id(obj):
        raise StripeShapeError("the event has no data.object with an id")
    return obj


def _metadata(obj):
    metadata = obj.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def invoice_payment_key(invoice):
    """The PaymentIntent (else charge) that paid a Stripe invoice, in the current shape
    (`payments.data[].payment`) or the older one (`payment_intent`, `charge`); else the
    invoice's own id."""
    for row in ((invoice.get("payments") or {}).get("data")) or []:
        payment = (row or {}).get("payment") or {}
        key = _id(payment.get("payment_intent")) or _id(payment.get("charge"))
        if key:
            return key
    return _id(invoice.get("payment_intent")) or _id(invoice.get("charge")) or invoice["id"]


def charge_fee(charge, currency):
    """The fee of an expanded charge's expanded balance transaction, or None."""
    if not isinstance(charge, dict):
        return None
    txn = charge.get("balance_transaction")
    if isinstance(txn, dict) and isinstance(txn.get("fee"), int):
        return major(txn["fee"], txn.get("currency") or currency)
    return None


def payment_from_invoice(event):
    invoice = _object(event)
    currency = invoice.get("currency")
    paid_at = (invoice.get("status_transitions") or {}).get("paid_at")
    return {
        "kind": "payment",
        "external_id": invoice_payment_key(invoice),
        "amount": major(invoice.get("amount_paid"), currency),
        "currency": currency,
        "fee": None,
        "date": _date(paid_at) or _date(event.get("created")),
        "invoice_ref": _metadata(invoice).get(REF_KEY),
        "invoice_number": invoice.get("number"),
        "gateway_invoice_id": invoice["id"],
        "customer_ref": _id(invoice.get("customer")),
    }


def payment_from_intent(event):
    intent = _object(event)
    currency = intent.get("currency")
    return {
        "kind": "payment",
        "external_id": intent["id"],
        "amount": major(intent.get("amount_received"), currency),
        "currency": currency,
        "fee": charge_fee(intent.get("latest_charge"), currency),
        "date": _date(intent.get("created")) or _date(event.get("created")),
        "invoice_ref": _metadata(intent).get(REF_KEY),
        "invoice_number": None,
        "gateway_invoice_id": _id(intent.get("invoice")),
        "customer_ref": _id(intent.get("customer")),
    }


def refund_from_charge(event):
    """The charge's cumulative refunded amount: q2c_payment books what it adds to what is
    booked, so a late or repeated `charge.refunded` books nothing twice."""
    charge = _object(event)
    currency = charge.get("currency")
    payment = _id(charge.get("payment_intent")) or charge["id"]
    refunded = charge.get("amount_refunded")
    return {
        "kind": "refund",
        "external_id": f"{payment}:refunded:{refunded}",
        "payment_external_id": payment,
        "amount": major(refunded, currency),
        "currency": currency,
        "date": _date(event.get("created")),
        "customer_ref": _id(charge.get("customer")),
    }


def dispute(event):
    obj = _object(event)
    currency = obj.get("currency")
    status = obj.get("status")
    return {
        "kind": "dispute",
        "external_id": obj["id"],
        "payment_external_id": _id(obj.get("payment_intent")) or _id(obj.get("charge")),
        "amount": major(obj.get("amount"), currency),
        "currency": currency,
        "date": _date(obj.get("created")) or _date(event.get("created")),
        "dispute_status": status if status in ("won", "lost") else "open",
        "fee": dispute_fee(obj, currency),
    }


def dispute_fee(obj, currency):
    """The dispute fee Stripe kept: the net `fee` of the dispute's balance transactions
    (the withdrawal carries it; a won dispute's reinstatement may return it), or None when
    the object lists none (Stripe API reference, the Dispute object)."""
    fees = [
        bt.get("fee")
        for bt in obj.get("balance_transactions") or []
        if isinstance(bt, dict) and isinstance(bt.get("fee"), int)
    ]
    if not fees:
        return None
    return max(major(sum(fees), currency), 0.0)


def failure(event, final_only=True):
    """A failed payment, or None while Stripe will still retry it (`next_payment_attempt`
    set on the invoice) and the system waits for the last attempt. A PaymentIntent's
    failure counts only when it carries q2c's reference: an invoice's own attempts are told
    by `invoice.payment_failed`."""
    obj = _object(event)
    if event.get("type") == "invoice.payment_failed":
        if final_only and obj.get("next_payment_attempt"):
            return None
        return {
            "kind": "failure",
            "external_id": f"{obj['id']}:attempt:{obj.get('attempt_count')}",
            "amount": major(obj.get("amount_due"), obj.get("currency")),
            "currency": obj.get("currency"),
            "date": _date(event.get("created")),
            "invoice_ref": _metadata(obj).get(REF_KEY),
            "invoice_number": obj.get("number"),
            "gateway_invoice_id": obj["id"],
            "customer_ref": _id(obj.get("customer")),
            "summary": f"Stripe invoice {obj.get('number') or obj['id']}",
        }
    if not _metadata(obj).get(REF_KEY):
        return None
    error = obj.get("last_payment_error") or {}
    return {
        "kind": "failure",
        "external_id": f"{obj['id']}:{_id(error.get('charge')) or event.get('id')}",
        "amount": major(obj.get("amount"), obj.get("currency")),
        "currency": obj.get("currency"),
        "date": _date(event.get("created")),
        "invoice_ref": _metadata(obj).get(REF_KEY),
        "customer_ref": _id(obj.get("customer")),
        "summary": error.get("message") or f"Stripe payment {obj['id']}",
    }


def transaction(event, final_only=True):
    """The neutral transaction of one Stripe event, or None when it changes nothing."""
    kind = event.get("type")
    if kind == "invoice.paid":
        return payment_from_invoice(event)
    if kind == "payment_intent.succeeded":
        return payment_from_intent(event)
    if kind in REFUND_EVENTS:
        return refund_from_charge(event)
    if kind in DISPUTE_EVENTS:
        return dispute(event)
    if kind in FAILURE_EVENTS:
        return failure(event, final_only)
    return None
