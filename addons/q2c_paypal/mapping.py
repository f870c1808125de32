"""PayPal webhook events to q2c_payment's neutral transactions
(`q2c.payment.settlement._apply`). Plain functions, tested without a database. Shapes:
docs/saas-specs.md 4.2 (capture), PayPal's Payments v2 refund, Disputes v1 and Invoicing v2
objects.

A payment's key is its capture id: `PAYMENT.CAPTURE.COMPLETED` and the transaction of the
`INVOICING.INVOICE.PAID` of the same money name the same capture, so it is booked once
whichever comes first. Refunds carry the capture's cumulative refunded total
(`seller_payable_breakdown.total_refunded_amount`), so q2c_payment books only what a late or
repeated event adds."""

import datetime
import decimal

PAYMENT_EVENTS = ("PAYMENT.CAPTURE.COMPLETED", "INVOICING.INVOICE.PAID")
FAILURE_EVENTS = ("PAYMENT.CAPTURE.DENIED", "PAYMENT.CAPTURE.DECLINED")
REFUND_EVENTS = ("PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REVERSED")
DISPUTE_EVENTS = (
    "CUSTOMER.DISPUTE.CREATED",
    "CUSTOMER.DISPUTE.UPDATED",
    "CUSTOMER.DISPUTE.RESOLVED",
)
# A PayPal invoice cancelled (by q2c, or by someone at PayPal): no money, its own handler.
INVOICE_CANCELLED = "INVOICING.INVOICE.CANCELLED"
HANDLED = PAYMENT_EVENTS + FAILURE_EVENTS + REFUND_EVENTS + DISPUTE_EVENTS + (INVOICE_CANCELLED,)
# Dispute outcomes (Disputes v1 `dispute_outcome.outcome_code`) that cost the merchant.
LOST_OUTCOMES = ("RESOLVED_BUYER_FAVOUR", "ACCEPTED")
WON_OUTCOMES = ("RESOLVED_SELLER_FAVOUR", "CANCELED_BY_BUYER", "DENIED", "RESOLVED_WITH_PAYOUT")


class PayPalShapeError(ValueError):
    """The event's resource lacks a field every PayPal object of its type has."""


def _resource(event):
    resource = event.get("resource") if isinstance(event, dict) else None
    if not isinstance(resource, dict):
        raise PayPalShapeError("the event has no resource object")
    return resource


def invoice_resource(event):
    """The PayPal invoice an `INVOICING.INVOICE.*` event carries: directly in `resource`
    (PayPal's current Invoicing v2 notifications), or nested under `resource.invoice`
    (older, v1-era notifications); both shapes are accepted."""
    resource = _resource(event)
    nested = resource.get("invoice")
    if "id" not in resource and isinstance(nested, dict):
        return nested
    return resource


def _text(value):
    return value if isinstance(value, str) and value else None


def money(obj, what="amount"):
    """(value as float, currency code) of a PayPal Money object `{currency_code, value}`."""
    if not isinstance(obj, dict):
        raise PayPalShapeError(f"{what} is not a money object")
    currency, value = obj.get("currency_code"), obj.get("value")
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha()):
        raise PayPalShapeError(f"{what} has no currency code")
    try:
        amount = decimal.Decimal(value) if isinstance(value, str) else None
    except decimal.InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise PayPalShapeError(f"{what} value {value!r} is not a decimal string")
    return float(amount), currency.upper()


def _date(value):
    if not isinstance(value, str):
        return None
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _id(resource, key="id"):
    value = _text(resource.get(key))
    if not value:
        raise PayPalShapeError(f"the resource has no {key}")
    return value


def capture_of(resource):
    """The capture a refund (or reversal) belongs to: its `up` link
    (`.../v2/payments/captures/<id>`), else `supplementary_data.related_ids.capture_id`."""
    for link in resource.get("links") or []:
        href = isinstance(link, dict) and link.get("rel") == "up" and _text(link.get("href"))
        if href and "/captures/" in href:
            return href.rstrip("/").rsplit("/", 1)[1]
    related = (resource.get("supplementary_data") or {}).get("related_ids") or {}
    return _text(related.get("capture_id")) if isinstance(related, dict) else None


def fee_of(capture, currency):
    """`seller_receivable_breakdown.paypal_fee` in the capture's currency, or None."""
    breakdown = capture.get("seller_receivable_breakdown")
    if not isinstance(breakdown, dict) or breakdown.get("paypal_fee") is None:
        return None
    fee, fee_currency = money(breakdown["paypal_fee"], "paypal_fee")
    return fee if fee_currency == currency else None


def payment_from_capture(event):
    """A completed capture: gross amount, PayPal's fee, q2c's reference in `invoice_id` (the
    Odoo invoice number; `custom_id` the second choice). A capture still PENDING books
    nothing."""
    capture = _resource(event)
    if capture.get("status") not in (None, "COMPLETED"):
        return None
    amount, currency = money(capture.get("amount"))
    return {
        "kind": "payment",
        "external_id": _id(capture),
        "amount": amount,
        "currency": currency,
        "fee": fee_of(capture, currency),
        "date": _date(capture.get("create_time")) or _date(event.get("create_time")),
        "invoice_ref": _text(capture.get("invoice_id")),
        "invoice_number": _text(capture.get("custom_id")),
        "gateway_invoice_id": None,
        "customer_ref": None,
    }


def payments_from_invoice(event):
    """One payment per PayPal transaction of a paid PayPal invoice (keyed by its capture);
    payments the merchant recorded by hand (cash, check: `method` other than PAYPAL) are
    not PayPal's money and are left out."""
    invoice = invoice_resource(event)
    invoice_id = _id(invoice)
    detail = invoice.get("detail") if isinstance(invoice.get("detail"), dict) else {}
    payments = invoice.get("payments") if isinstance(invoice.get("payments"), dict) else {}
    rows = []
    for txn in payments.get("transactions") or []:
        if not isinstance(txn, dict) or txn.get("method", "PAYPAL") != "PAYPAL":
            continue
        amount, currency = money(txn.get("amount"), "transaction amount")
        rows.append(
            {
                "kind": "payment",
                "external_id": _id(txn, "payment_id"),
                "amount": amount,
                "currency": currency,
                "fee": None,
                "date": _date(txn.get("payment_date")) or _date(event.get("create_time")),
                "invoice_ref": _text(detail.get("invoice_number")),
                "invoice_number": _text(detail.get("reference")),
                "gateway_invoice_id": invoice_id,
                "customer_ref": None,
            }
        )
    return rows


def refund(event):
    """A refund (`PAYMENT.CAPTURE.REFUNDED`, the resource a refund pointing `up` to its
    capture) as the capture's cumulative refunded total. A reversal
    (`PAYMENT.CAPTURE.REVERSED`: PayPal took the money back) is a refund of the whole
    capture: `full_reversal` tells the handler to book what is left of the payment."""
    resource = _resource(event)
    reversal = event.get("event_type") == "PAYMENT.CAPTURE.REVERSED"
    capture = capture_of(resource) or (reversal and _id(resource))
    if not capture:
        raise PayPalShapeError("the refund names no capture (no `up` link)")
    amount, currency = money(resource.get("amount"))
    breakdown = resource.get("seller_payable_breakdown")
    total = breakdown.get("total_refunded_amount") if isinstance(breakdown, dict) else None
    if total is not None:
        amount, currency = money(total, "total_refunded_amount")
    elif not reversal:
        raise PayPalShapeError("the refund has no seller_payable_breakdown.total_refunded_amount")
    amount = abs(amount)
    key = "reversed" if reversal else f"refunded:{amount:.2f}"
    return {
        "kind": "refund",
        "external_id": f"{capture}:{key}",
        "payment_external_id": capture,
        "amount": amount,
        "currency": currency,
        "date": _date(resource.get("create_time")) or _date(event.get("create_time")),
        "full_reversal": reversal and total is None,
        "invoice_ref": _text(resource.get("invoice_id")),
    }


def dispute_status(dispute):
    """open, won or lost, from the dispute's status and outcome."""
    if dispute.get("status") != "RESOLVED":
        return "open"
    outcome = (dispute.get("dispute_outcome") or {}).get("outcome_code")
    if outcome in LOST_OUTCOMES:
        return "lost"
    return "won" if outcome in WON_OUTCOMES else "open"


def dispute(event):
    resource = _resource(event)
    rows = resource.get("disputed_transactions") or []
    capture = None
    for row in rows if isinstance(rows, list) else []:
        capture = isinstance(row, dict) and _text(row.get("seller_transaction_id"))
        if capture:
            break
    if not capture:
        raise PayPalShapeError("the dispute names no seller_transaction_id")
    amount, currency = money(resource.get("dispute_amount"), "dispute_amount")
    return {
        "kind": "dispute",
        "external_id": _id(resource, "dispute_id"),
        "payment_external_id": capture,
        "amount": amount,
        "currency": currency,
        "date": _date(resource.get("create_time")) or _date(event.get("create_time")),
        "dispute_status": dispute_status(resource),
    }


def failure(event):
    capture = _resource(event)
    amount, currency = money(capture.get("amount"))
    capture_id = _id(capture)
    return {
        "kind": "failure",
        "external_id": f"{capture_id}:{event.get('event_type', '').rsplit('.', 1)[-1].lower()}",
        "amount": amount,
        "currency": currency,
        "date": _date(event.get("create_time")),
        "invoice_ref": _text(capture.get("invoice_id")),
        "invoice_number": _text(capture.get("custom_id")),
        "customer_ref": None,
        "summary": f"PayPal capture {capture_id} denied",
    }


def transactions(event):
    """The neutral transactions of one PayPal event (a list, maybe empty)."""
    kind = event.get("event_type")
    if kind == "PAYMENT.CAPTURE.COMPLETED":
        tx = payment_from_capture(event)
        return [tx] if tx else []
    if kind == "INVOICING.INVOICE.PAID":
        return payments_from_invoice(event)
    if kind in REFUND_EVENTS:
        return [refund(event)]
    if kind in DISPUTE_EVENTS:
        return [dispute(event)]
    if kind in FAILURE_EVENTS:
        return [failure(event)]
    return []


def cancelled_invoice_id(event):
    """The id of the PayPal invoice an `INVOICING.INVOICE.CANCELLED` event is about."""
    return _id(invoice_resource(event))


def invoice_id_of(answer):
    """The id of a created PayPal invoice: the representation's `id`, else the id at the
    end of its `self` link (PayPal answers a link when no representation is asked)."""
    if isinstance(answer, dict):
        if _text(answer.get("id")):
            return answer["id"]
        href = _text(answer.get("href"))
        if href and "/invoices/" in href:
            return href.rstrip("/").rsplit("/", 1)[1]
    raise PayPalShapeError("PayPal answered no invoice id")


def payer_url(invoice):
    """The payer's link of a PayPal invoice (`detail.metadata.recipient_view_url`)."""
    detail = invoice.get("detail") if isinstance(invoice, dict) else None
    metadata = detail.get("metadata") if isinstance(detail, dict) else None
    return _text(metadata.get("recipient_view_url")) if isinstance(metadata, dict) else None
