import json

from odoo import models

from .. import mapping

DEAL_EVENTS = ("deal.creation", "deal.propertyChange")


class Q2cEvent(models.Model):
    _inherit = "q2c.event"

    def _get_handler(self):
        if self.system_type == "hubspot" and self.event_type in DEAL_EVENTS:
            return self._handle_hubspot_deal
        return super()._get_handler()

    def _handle_hubspot_deal(self):
        """Re-read the deal (events arrive out of order), map it and hand it to q2c_crm's
        provisioning. A change of a property that cannot change what was provisioned is
        acknowledged without reading."""
        data = json.loads(self.sudo().payload)
        if not mapping.needs_reading(data):
            return self.env["q2c.contract"]
        system = self.system_id
        fetched = system._hubspot_fetch_deal(data["objectId"], event=self)
        deal = mapping.map_deal(**fetched, **self._hubspot_mapping_settings())
        return self.env["q2c.crm.provisioning"]._apply_deal(system, deal, self)

    def _hubspot_mapping_settings(self):
        """The connected system's settings `mapping.map_deal` reads."""
        system = self.system_id
        return {
            "won_stage": system.crm_won_stage,
            "billing_model_property": system.hubspot_billing_model_property,
            "start_date_property": system.hubspot_start_date_property,
            "default_billing_model": system.crm_default_billing_model,
        }
