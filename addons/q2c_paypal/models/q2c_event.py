import json

from odoo import models
from odoo.addons.q2c_base.exceptions import PermanentError

from .. import mapping


class Q2cEvent(models.Model):
    _inherit = "q2c.event"

    def _get_handler(self):
        if self.system_type == "paypal" and self.event_type == mapping.INVOICE_CANCELLED:
            return self._handle_paypal_invoice_cancelled
        if self.system_type == "paypal" and self.event_type in mapping.HANDLED:
            return self._handle_paypal_money
        return super()._get_handler()

    def _handle_paypal_money(self):
        """Map the PayPal event to neutral transactions and hand each to q2c_payment, which
        books it once per PayPal object; an event that changes nothing touches nothing."""
        system = self.system_id
        event = json.loads(self.sudo().payload)
        try:
            txs = mapping.transactions(event)
        except mapping.PayPalShapeError as error:
            raise PermanentError(f"PayPal {self.event_type}: {error}") from error
        rows = self.env["q2c.payment.settlement"]
        for tx in txs:
            if tx.get("full_reversal"):
                tx["amount"] = self._paypal_reversed_total(tx)
            if self._paypal_needs_fee(tx):
                tx["fee"] = system._paypal_capture_fee(tx["external_id"], tx["currency"], self)
            rows |= rows._apply(system, tx, self)
        return rows

    def _handle_paypal_invoice_cancelled(self):
        """A PayPal invoice q2c published was cancelled at PayPal: Online Payment reads
        Voided and Finance is told; the Odoo invoice itself is never cancelled from here.
        The echo of q2c's own cancel, or an invoice q2c did not publish, changes nothing."""
        try:
            invoice_id = mapping.cancelled_invoice_id(json.loads(self.sudo().payload))
        except mapping.PayPalShapeError as error:
            raise PermanentError(f"PayPal {self.event_type}: {error}") from error
        return self.env["account.move"]._q2c_gateway_copy_voided(self.system_id, invoice_id)

    def _paypal_payment_row(self, capture_id):
        return self.env["q2c.payment.settlement"].search(
            [
                ("system_id", "=", self.system_id.id),
                ("kind", "=", "payment"),
                ("external_id", "=", capture_id),
            ]
        )

    def _paypal_reversed_total(self, tx):
        """A reversal takes back the whole capture: the refunded total becomes the
        captured amount when the capture is known, else the reversal's own amount."""
        payment = self._paypal_payment_row(tx["payment_external_id"])
        return payment.amount if payment else tx["amount"]

    def _paypal_needs_fee(self, tx):
        """Whether to read a payment's fee from PayPal: a payment of a paid PayPal invoice
        (its event carries no fee), not booked yet, on a system booking fees."""
        system = self.system_id
        if not (
            tx["kind"] == "payment"
            and tx.get("fee") is None
            and tx.get("gateway_invoice_id")
            and system.paypal_read_fees
            and system.payment_fee_account_id
        ):
            return False
        payment = self._paypal_payment_row(tx["external_id"])
        return not payment or payment.state not in ("settled", "superseded")
