import json

from odoo import models
from odoo.addons.q2c_base.exceptions import PermanentError

from .. import mapping


class Q2cEvent(models.Model):
    _inherit = "q2c.event"

    def _get_handler(self):
        if self.system_type == "stripe" and self.event_type in mapping.HANDLED:
            return self._handle_stripe_money
        return super()._get_handler()

    def _handle_stripe_money(self):
        """Map the Stripe event to a neutral transaction and hand it to q2c_payment, which
        books it once per Stripe object; an event that changes nothing touches nothing."""
        system = self.system_id
        event = json.loads(self.sudo().payload)
        try:
            tx = mapping.transaction(event, final_only=system.stripe_fail_on_last_attempt)
        except mapping.StripeShapeError as error:
            raise PermanentError(f"Stripe {self.event_type}: {error}") from error
        if tx is None:
            return self.env["q2c.payment.settlement"]
        if self._stripe_needs_fee(tx):
            tx["fee"] = system._stripe_payment_fee(tx["external_id"], tx["currency"], self)
        return self.env["q2c.payment.settlement"]._apply(system, tx, self)

    def _stripe_needs_fee(self, tx):
        """Whether to read a payment's fee from Stripe: a payment by PaymentIntent whose event
        did not carry it, not booked yet, on a system booking fees and reading them."""
        system = self.system_id
        if not (
            tx["kind"] == "payment"
            and tx.get("fee") is None
            and tx["external_id"].startswith("pi_")
            and system.stripe_read_fees
            and system.payment_fee_account_id
        ):
            return False
        booked = self.env["q2c.payment.settlement"].search_count(
            [
                ("system_id", "=", system.id),
                ("kind", "=", "payment"),
                ("external_id", "=", tx["external_id"]),
                ("state", "in", ("settled", "superseded")),
            ]
        )
        return not booked
