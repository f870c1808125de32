import json

from odoo import _, models
from odoo.addons.q2c_base.exceptions import PermanentError

from .. import mapping


class Q2cEvent(models.Model):
    _inherit = "q2c.event"

    def _get_handler(self):
        if self.system_type == "salesforce" and self.event_type == "Opportunity":
            return self._handle_salesforce_opportunity
        return super()._get_handler()

    def _handle_salesforce_opportunity(self):
        """The message may carry old or partial data: re-read the opportunity with its
        account, lines and contact roles, map it and hand it to q2c_crm's provisioning."""
        opportunity_id = mapping.notification_opportunity_id(json.loads(self.sudo().payload))
        if not opportunity_id:
            raise PermanentError(_("The notification carries no opportunity Id."))
        system = self.system_id
        opportunity = system._salesforce_fetch_opportunity(opportunity_id, event=self)
        deal = mapping.map_opportunity(opportunity, **self._salesforce_mapping_settings())
        return self.env["q2c.crm.provisioning"]._apply_deal(system, deal, self)

    def _salesforce_mapping_settings(self):
        """The connected system's settings `mapping.map_opportunity` reads."""
        system = self.system_id
        return {
            "won_stage": system.crm_won_stage,
            "billing_model_field": system.salesforce_billing_model_field,
            "start_date_field": system.salesforce_start_date_field,
            "default_billing_model": system.crm_default_billing_model,
        }
