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
# Events that only matter for the state they announce: re-read, a Stripe invoice paid
# meanwhile is booked as paid (docs/saas-specs.md 1.5: re-fetch when order matters).
STATE_EVENTS = ("invoice.finalized",)
PAYOUT_EVENTS = ("payout.paid", "payout.failed")
HANDLED = (
    PAYMENT_EVENTS + FAILURE_EVENTS + REFUND_EVENTS + DISPUTE_EVENTS + STATE_EVENTS + PAYOUT_EVENTS
)
# The objects whose newest state the API gives (GET path by object type), for the events
# where order matters: invoice.*, credit_note.*, charge.refunded, charge.dispute.*.
REREAD_PATHS = {
    "invoice": "/v1/invoices/{id}",
    "credit_note": "/v1/credit_notes/{id}",
    "charge": "/v1/charges/{id}",
    "dispute": "/v1/disputes/{id}",
}


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


def minor(amount, currency):
    """A currency's major units as Stripe's integer minor units (the inverse of `major`)."""
    code = (currency or "").upper()
    if code in ZERO_DECIMAL:
        return round(amount)
    return round(amount * (1000 if code in THREE_DECIMAL else 100))


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


def reread(event):
    """(object id, API path) of the object to re-read for this event when order matters
    (invoice.*, credit_note.*, charge.refunded, charge.dispute.*), else None."""
    kind = event.get("type") or ""
    if not (
        kind.startswith(("invoice.", "credit_note.")) or kind in REFUND_EVENTS + DISPUTE_EVENTS
    ):
        return None
    obj = _object(event)
    path = REREAD_PATHS.get(obj.get("object"))
    return (obj["id"], path.format(id=obj["id"])) if path else None


def with_object(event, obj):
    """The event with its data.object replaced by `obj` (the newest state, re-read)."""
    if not isinstance(obj, dict) or obj.get("id") != _object(event)["id"]:
        raise StripeShapeError("the object read again is not the event's object")
    return {**event, "data": {**(event.get("data") or {}), "object": obj}}


def transaction(event, final_only=True):
    """The neutral transaction of one Stripe event, or None when it changes nothing. An
    `invoice.*` event whose invoice is paid (read again, the newest state) is its payment,
    whatever the event said: a late `invoice.payment_failed` or `invoice.finalized` of an
    invoice paid meanwhile books the payment once, never a failure."""
    kind = event.get("type")
    if kind.startswith("invoice.") and _object(event).get("status") == "paid":
        return payment_from_invoice(event)
    if kind in FAILURE_EVENTS:
        return failure(event, final_only)
    mapper = {
        "invoice.paid": payment_from_invoice,
        "payment_intent.succeeded": payment_from_intent,
        **dict.fromkeys(REFUND_EVENTS, refund_from_charge),
        **dict.fromkeys(DISPUTE_EVENTS, dispute),
    }.get(kind)
    return mapper(event) if mapper else None


# --- payouts -------------------------------------------------------------------------------

PAYOUT_KIND = {
    "charge": "charge",
    "payment": "charge",
    "refund": "refund",
    "payment_refund": "refund",
    "adjustment": "dispute",
    "payout": "payout",
}


def _source_payment(source):
    """The gateway payment a balance transaction's (expanded) source belongs to: a charge's
    or refund's or dispute's PaymentIntent, else the charge."""
    if not isinstance(source, dict):
        return None
    if source.get("object") == "payment_intent":
        return source["id"]
    return (
        _id(source.get("payment_intent"))
        or _id(source.get("charge"))
        or (source.get("id") if source.get("object") == "charge" else None)
    )


def payout_rows(payout, transactions):
    """A payout and its balance transactions (GET /v1/balance_transactions?payout=...,
    `data.source` expanded) as q2c_payment's statement rows: per transaction its gross
    amount and, apart, its fee (negative), so each reconciles with what q2c booked; the
    payout itself is the transfer out of the clearing account. A failed payout adds the
    transfer coming back."""
    if not isinstance(payout, dict) or not _id(payout):
        raise StripeShapeError("the payout has no id")
    rows = []
    for txn in transactions:
        if not isinstance(txn, dict) or not _id(txn):
            raise StripeShapeError("a balance transaction has no id")
        currency = txn.get("currency")
        kind = PAYOUT_KIND.get(txn.get("type"), "other")
        source = txn.get("source")
        payment = _source_payment(source) if kind != "payout" else None
        label = txn.get("description") or f"Stripe {txn.get('type')} {_id(source) or txn['id']}"
        base = {"payout_id": payout["id"], "payment_external_id": payment, "currency": currency}
        date = _date(txn.get("created")) or _date(payout.get("arrival_date"))
        rows.append(
            {
                **base,
                "external_id": txn["id"],
                "kind": kind,
                "amount": major(txn.get("amount"), currency),
                "date": date,
                "label": label,
            }
        )
        fee = txn.get("fee") or 0
        if fee:
            rows.append(
                {
                    **base,
                    "external_id": f"{txn['id']}:fee",
                    "kind": "fee",
                    "amount": -major(fee, currency),
                    "date": date,
                    "label": f"Stripe fee: {label}",
                }
            )
    currency = payout.get("currency")
    if not any(row["kind"] == "payout" for row in rows):
        # The list may leave out the payout's own transaction: the transfer is the payout.
        rows.append(
            {
                "payout_id": payout["id"],
                "payment_external_id": None,
                "currency": currency,
                "external_id": _id(payout.get("balance_transaction")) or payout["id"],
                "kind": "payout",
                "amount": -major(payout.get("amount"), currency),
                "date": _date(payout.get("arrival_date")),
                "label": f"Stripe payout {payout['id']}",
            }
        )
    if payout.get("status") == "failed":
        rows.append(
            {
                "payout_id": payout["id"],
                "payment_external_id": None,
                "currency": currency,
                "external_id": f"{payout['id']}:failed",
                "kind": "payout",
                "amount": major(payout.get("amount"), currency),
                "date": _date(payout.get("arrival_date")),
                "label": f"Stripe payout {payout['id']} failed: back to the Stripe balance",
            }
        )
    return rows
