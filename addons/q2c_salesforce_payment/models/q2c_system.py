from odoo import _, fields, models
from odoo.addons.q2c_base.exceptions import PermanentError
from odoo.addons.q2c_salesforce import mapping


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    salesforce_standing_field = fields.Char(
        "Account Standing Field",
        default="Q2C_Account_Standing__c",
        help="Account field (API name) receiving the customer's account standing (good, "
        "payment_failed, on_hold, suspended): a picklist with these API names.",
    )

    def _compute_feature_support_fields(self):
        result = super()._compute_feature_support_fields()
        self.filtered(lambda s: s.system_type == "salesforce").update(
            {"supports_standing_write_back": True}
        )
        return result

    def _write_account_standing(self, account_id, standing):
        """`PATCH /services/data/vXX.X/sobjects/Account/{id}` of the standing field: an
        overwrite, so a repeat changes nothing (Salesforce answers 204)."""
        if self.system_type != "salesforce":
            return super()._write_account_standing(account_id, standing)
        if not self.salesforce_standing_field:
            raise PermanentError(_("Set the Account Standing Field of %s.", self.name))
        if not mapping.is_salesforce_id(account_id):
            raise PermanentError(_("Not a Salesforce id: %s", account_id))
        version = self.salesforce_api_version or "v62.0"
        self._salesforce_rest(
            f"/services/data/{version}/sobjects/Account/{account_id}",
            method="PATCH",
            json={self.salesforce_standing_field: standing},
        )
