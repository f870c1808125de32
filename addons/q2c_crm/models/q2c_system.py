from odoo import _, api, fields, models
from odoo.addons.q2c_base.exceptions import Q2cError
from odoo.addons.q2c_contract.models.q2c_contract import BILLING_MODELS
from odoo.exceptions import UserError

CRM_TYPES = ("hubspot", "salesforce")


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    is_crm = fields.Boolean(compute="_compute_is_crm")
    crm_contract_state = fields.Selection(
        [("draft", "Draft"), ("active", "Active")],
        string="New Contracts",
        default="draft",
        help="Draft: Finance reviews and activates each contract. Active: the contract is "
        "activated at once when its billing model allows it (a fixed fee needs milestones "
        "adding up to the fee); otherwise it stays a draft with a note saying why.",
    )
    crm_default_billing_model = fields.Selection(
        BILLING_MODELS,
        string="Default Billing Model",
        help="Used when the deal does not name a billing model (see the connector's field "
        "mapping). Empty: a deal without one is refused with the field named.",
    )
    crm_default_manager_id = fields.Many2one(
        "res.users",
        string="Default Contract Manager",
        help="Contract and project manager when the deal owner has no Odoo user with the "
        "same e-mail. Empty: the integration user.",
    )
    crm_won_stage = fields.Char(
        "Won Stage",
        help="The deal stage that means won (HubSpot: closedwon; Salesforce: the opportunity's "
        "IsWon flag is used, this value is the stage name fallback).",
    )
    crm_write_back = fields.Boolean(
        "Write Odoo References Back",
        help="After provisioning, write the contract reference onto the CRM deal.",
    )

    @api.depends("system_type")
    def _compute_is_crm(self):
        for system in self:
            system.is_crm = system.system_type in CRM_TYPES

    def _crm_write_back(self, deal, contract, event):
        """Write Odoo's reference onto the deal; connectors add `_crm_write_back_<type>`."""
        if self.crm_write_back:
            self._dispatch("_crm_write_back", deal, contract, event)

    def action_test_connection(self):
        """Call a cheap read of the system's API with the stored credentials."""
        self.ensure_one()
        try:
            self._dispatch("_test_connection")
        except Q2cError as error:
            raise UserError(
                _("%(system)s: %(error)s", system=self.name, error=getattr(error, "reason", error))
            ) from error
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.name,
                "message": _("Connection works."),
                "type": "success",
                "sticky": False,
            },
        }
