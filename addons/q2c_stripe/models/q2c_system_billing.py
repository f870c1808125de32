import json

from odoo import models

from .. import billing


class Q2cSystem(models.Model):
    """Stripe Billing's events are received besides the payment events (set-up b)."""

    _inherit = "q2c.system"

    def _parse_events(self, body, headers):
        """Stripe's subscription and invoice-finalized events are stored too; the checks of
        every Stripe event (one Event object, mode, account) are q2c_stripe's own."""
        events = super()._parse_events(body, headers)
        if self.system_type != "stripe" or events:
            return events
        data = json.loads(body)
        if data["type"] in billing.BILLING_EVENTS:
            return [{"external_id": data["id"], "event_type": data["type"], "payload": body}]
        return events
