from odoo import _, fields, models
from odoo.addons.q2c_contract.models.q2c_contract import BILLING_MODELS

from ..exceptions import ProvisioningBlocked


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    supports_provisioning = fields.Boolean(
        compute="_compute_feature_support_fields",
        help="Won deals of this system become customers, contracts and projects.",
    )
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
        help="The deal stage that means won. Empty: the connector's default (its "
        "documentation says which, and whether the CRM's own won flag comes first).",
    )
    crm_write_back = fields.Boolean(
        "Write Odoo References Back",
        help="After provisioning, write the contract reference onto the CRM deal.",
    )

    def _compute_feature_support_fields(self):
        """`supports_provisioning`: won deals of this system become contracts (the CRM
        Provisioning settings apply). False by default; a CRM connector sets it for its
        type after super()."""
        result = super()._compute_feature_support_fields()
        self.update({"supports_provisioning": False})
        return result

    def _crm_write_back(self, deal, contract, event):
        """Write Odoo's contract reference back onto the CRM deal.

        Called once a deal is provisioned (and again on a replay), with the neutral deal
        dict (its `id` is the CRM's), the q2c.contract and the q2c.event being processed.
        Returns nothing. Raises what `_call` raises; a retry writes again, so the write must
        be idempotent (a PATCH of one field). A connector overriding it writes only when
        the system's `crm_write_back` is set. Default: nothing to write.
        """

    def _integration_user_groups(self):
        """A provisioning system's user creates customers (Contact Creation), projects with
        their tasks and milestones (Project / Administrator), and contracts, rate cards and
        change-order proposals (Contracts / Finance)."""
        groups = super()._integration_user_groups()
        if not self.supports_provisioning:
            return groups
        return (
            groups
            | self.env.ref("base.group_partner_manager")
            | self.env.ref("project.group_project_manager")
            | self.env.ref("q2c_contract.group_q2c_finance")
        )

    def _check_setup(self):
        """A provisioning system needs an integration user with an e-mail (see
        `_crm_check_user`)."""
        if self.supports_provisioning:
            self._crm_check_user()
        return super()._check_setup()

    def _crm_check_user(self):
        """Odoo posts the provisioning notes and notifies the people things are assigned to
        in the integration user's name, and refuses to without an e-mail address."""
        user = self.user_id
        if user and not user.sudo().email:
            raise ProvisioningBlocked(
                _(
                    "%(system)s: its integration user (%(user)s) has no e-mail address, and "
                    "Odoo cannot post the provisioning notes in its name. Give it one in "
                    "Settings > Users (e.g. integration@yourcompany.example); events refused "
                    "for this can then be replayed.",
                    user=user.name,
                    system=self.name,
                ),
                # No exception for a person: its to-do would be sent in the same user's name.
                kind=None,
            )
