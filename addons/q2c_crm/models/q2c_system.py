import re

from odoo import _, api, fields, models
from odoo.addons.q2c_base.exceptions import Q2cError, TransientError
from odoo.addons.q2c_contract.models.q2c_contract import BILLING_MODELS
from odoo.exceptions import UserError

from ..exceptions import ProvisioningBlocked

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
        help="Contract and project manager when the deal owner has no Odoo user (none bound "
        "to the owner, none with the owner's e-mail as login or e-mail). Empty: such a deal is "
        "refused, naming the owner's e-mail, until the user exists or a default is set.",
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

    def _crm_check_user(self):
        """Odoo posts the provisioning notes and notifies the people things are assigned to
        in the integration user's name, and refuses to without an e-mail address."""
        user = self.user_id
        if user and not user.sudo().email:
            raise ProvisioningBlocked(
                _("%(system)s: its integration user (%(user)s) has no e-mail address, and "
                  "Odoo cannot post the provisioning notes in its name. Give it one in "
                  "Settings > Users (e.g. integration@yourcompany.example); events refused "
                  "for this can then be replayed.", user=user.name, system=self.name),
                # No exception for a person: its to-do would be sent in the same user's name.
                kind=None,
            )  # fmt: skip

    def action_test_connection(self):
        """Check the set-up, then call a cheap read of the system's API with the stored
        credentials."""
        self.ensure_one()
        try:
            self._crm_check_user()
            self._dispatch("_test_connection")
        except Q2cError as error:
            raise UserError(self._test_connection_failure(error)) from error
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

    def _test_connection_failure(self, error):
        """What a person reads when the test fails: what happened, and what to check."""
        reason = str(getattr(error, "reason", error))
        if reason.startswith(f"{self.name}: "):
            return reason
        if reason.startswith(f"{self.name} "):  # "<system> refused ...", "<system> unreachable"
            reason = reason[len(self.name) + 1 :]
        status = re.search(r"HTTP (\d{3})", reason)
        if isinstance(error, TransientError) and not status:
            cause = re.search(r"\[Errno -?\d+\] ([^'\")]+)", reason) or re.search(
                r"(timed out|Connection refused)", reason
            )
            return _(
                "%(system)s: cannot reach %(url)s (%(cause)s). Check the API Base URL and that "
                "this server may open connections to it.",
                system=self.name,
                url=self.base_url or _("the default API address"),
                cause=cause.group(1).strip() if cause else reason,
            )
        status = int(status.group(1)) if status else 0
        if status in (400, 401, 403) and (status != 400 or "token" in reason):
            hint = _(
                "The credentials were refused: check %s.",
                self._dispatch("_credentials_label") or _("the API credentials"),
            )
        elif status == 404:
            hint = _("Nothing at that address: check the API Base URL.")
        else:
            hint = ""
        return _("%(system)s: %(reason)s\n%(hint)s", system=self.name, reason=reason, hint=hint)
