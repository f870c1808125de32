"""A published PayPal invoice after publication (docs/connectors/paypal.md, "After
publication"): cancelled when the Odoo invoice is cancelled or reversed, a payment recorded
on it when the Odoo invoice is paid another way. Called by q2c_payment's update job."""

from odoo import _, fields, models
from odoo.addons.q2c_base.exceptions import PermanentError

from .. import mapping

# Invoicing v2 statuses of an invoice holding money: it is not cancelled.
PAID_STATUSES = (
    "PAID",
    "MARKED_AS_PAID",
    "PARTIALLY_PAID",
    "PAYMENT_PENDING",
    "REFUNDED",
    "PARTIALLY_REFUNDED",
    "MARKED_AS_REFUNDED",
)
CLOSED_STATUSES = ("PAID", "MARKED_AS_PAID")
# How q2c names a payment made another way, in PayPal's words (`payment_detail.method`).
METHODS = {"bank": "BANK_TRANSFER", "other": "OTHER"}


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    def _paypal_published_invoice(self, move):
        path = f"/v2/invoicing/invoices/{move.q2c_publication_external_id}"
        invoice = self._paypal_api("GET", path).json()
        if not isinstance(invoice, dict):
            raise PermanentError(_("PayPal answered %s without an invoice.", path))
        return invoice

    def _paypal_paid_online(self, invoice):
        """Whether the PayPal invoice holds money the customer paid through PayPal (a
        PayPal transaction), not only payments q2c recorded as made another way."""
        if invoice.get("status") not in PAID_STATUSES:
            return False
        payments = invoice.get("payments") if isinstance(invoice.get("payments"), dict) else {}
        transactions = [t for t in payments.get("transactions") or [] if isinstance(t, dict)]
        return (
            not transactions
            or invoice.get("status") == "PAYMENT_PENDING"
            or any(t.get("method", "PAYPAL") == "PAYPAL" for t in transactions)
        )

    def _q2c_void_published_invoice(self, move):
        """`POST /v2/invoicing/invoices/{id}/cancel` (the customer is notified; key
        `...-cancel`), after reading the invoice: one already CANCELLED is not cancelled
        again; one paid through PayPal (or being paid) is not cancelled. A cancel PayPal
        refuses is read again: paid meanwhile is an answer, anything else a refusal."""
        if self.system_type != "paypal":
            return super()._q2c_void_published_invoice(move)
        invoice = self._paypal_published_invoice(move)
        if invoice.get("status") == "CANCELLED":
            return "voided"
        if self._paypal_paid_online(invoice):
            return "paid"
        try:
            self._paypal_api(
                "POST",
                f"/v2/invoicing/invoices/{move.q2c_publication_external_id}/cancel",
                json={
                    "subject": _("Invoice %s cancelled", move.name),
                    "note": _("This invoice was cancelled: there is nothing to pay."),
                    "send_to_recipient": True,
                    "send_to_invoicer": False,
                },
                idempotency_key=self._q2c_idempotency_key(move, "cancel"),
            )
        except PermanentError:
            if self._paypal_paid_online(self._paypal_published_invoice(move)):
                return "paid"
            raise
        return "voided"

    def _q2c_mark_published_invoice_paid(self, move, amount):
        """`POST /v2/invoicing/invoices/{id}/payments`: an external payment (method
        BANK_TRANSFER when every payment made another way went through a bank journal,
        else OTHER) of `amount`, dated the last such payment. PayPal records partial
        payments: the invoice is PARTIALLY_PAID and its page asks for the rest. When the
        Odoo invoice is fully paid, the payment is what PayPal still has due, so the PayPal
        invoice is closed (MARKED_AS_PAID) even after a partial credit note in Odoo. Key
        `...-paid-<total paid another way>`: a retry records nothing twice."""
        if self.system_type != "paypal":
            return super()._q2c_mark_published_invoice_paid(move, amount)
        currency = move.currency_id
        invoice = self._paypal_published_invoice(move)
        if invoice.get("status") in CLOSED_STATUSES:
            return "paid"
        full = currency.is_zero(move.amount_residual)
        value = amount
        if invoice.get("due_amount") is not None:
            due, _code = mapping.money(invoice["due_amount"], "due_amount")
            value = due if full else min(amount, due)
        dates = [m.date for _a, m in move._q2c_paid_elsewhere_partials()]
        total = currency.round(move.q2c_paid_elsewhere_amount + amount)
        self._paypal_api(
            "POST",
            f"/v2/invoicing/invoices/{move.q2c_publication_external_id}/payments",
            json={
                "method": METHODS[move._q2c_paid_elsewhere_method()],
                "payment_date": fields.Date.to_string(
                    max(dates) if dates else fields.Date.context_today(self)
                ),
                "amount": {
                    "currency_code": currency.name,
                    "value": f"{currency.round(value):.{currency.decimal_places}f}",
                },
                "note": _("Paid another way, booked in Odoo on %s.", move.name),
            },
            idempotency_key=self._q2c_idempotency_key(
                move, f"paid-{total:.{currency.decimal_places}f}"
            ),
        )
        return "paid" if full else "partial"
