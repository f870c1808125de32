from odoo import _, fields, models
from odoo.addons.q2c_base.exceptions import PermanentError


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    hubspot_standing_property = fields.Char(
        "Account Standing Property",
        default="q2c_account_standing",
        help="Company property receiving the customer's account standing (good, "
        "payment_failed, on_hold, suspended): create it in HubSpot as a dropdown with these "
        "internal values.",
    )

    def _compute_feature_support_fields(self):
        result = super()._compute_feature_support_fields()
        self.filtered(lambda s: s.system_type == "hubspot").update(
            {"supports_standing_write_back": True}
        )
        return result

    def _write_account_standing(self, account_id, standing):
        """`PATCH /crm/v3/objects/companies/{id}` of the standing property (scope
        crm.objects.companies.write): an overwrite, so a repeat changes nothing."""
        if self.system_type != "hubspot":
            return super()._write_account_standing(account_id, standing)
        if not self.hubspot_standing_property:
            raise PermanentError(_("Set the Account Standing Property of %s.", self.name))
        self._hubspot_api(
            "PATCH",
            f"/crm/v3/objects/companies/{account_id}",
            json={"properties": {self.hubspot_standing_property: standing}},
        )
