import json

from odoo import _, models
from odoo.addons.q2c_base.exceptions import PermanentError


class Q2cEvent(models.Model):
    _inherit = "q2c.event"

    def _get_handler(self):
        if self.system_type == "salesforce" and self.event_type == "Opportunity":
            return self._handle_salesforce_opportunity
        return super()._get_handler()

    def _handle_salesforce_opportunity(self):
        """The message may carry old or partial data: re-read the opportunity with its
        account, lines and contact roles, then hand it to q2c_crm."""
        data = json.loads(self.sudo().payload)
        opportunity_id = (data.get("fields") or {}).get("Id")
        if not opportunity_id:
            raise PermanentError(_("The notification carries no opportunity Id."))
        deal = self.system_id._salesforce_fetch_opportunity(opportunity_id, event=self)
        return self._crm_apply_deal(deal)
