import json

from odoo import models

# Property changes that can change what was provisioned; others are acknowledged unread.
RELEVANT_PROPERTIES = {"dealstage", "amount", "deal_currency_code", "hs_is_closed_won"}
DEAL_EVENTS = ("deal.creation", "deal.propertyChange")


class Q2cEvent(models.Model):
    _inherit = "q2c.event"

    def _get_handler(self):
        if self.system_type == "hubspot" and self.event_type in DEAL_EVENTS:
            return self._handle_hubspot_deal
        return super()._get_handler()

    def _handle_hubspot_deal(self):
        """Re-read the deal (events arrive out of order) and hand it to q2c_crm."""
        data = json.loads(self.sudo().payload)
        if (
            data.get("subscriptionType") == "deal.propertyChange"
            and data.get("propertyName") not in RELEVANT_PROPERTIES
        ):
            return self.env["q2c.contract"]
        deal = self.system_id._hubspot_fetch_deal(data["objectId"], event=self)
        return self._crm_apply_deal(deal)
