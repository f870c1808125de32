from odoo import _, api, fields, models
from odoo.addons.q2c_contract.models.q2c_contract import EDITABLE_STATES
from odoo.exceptions import UserError

from .q2c_change_order import PENDING_STATES


class Q2cContract(models.Model):
    _inherit = "q2c.contract"

    change_order_ids = fields.One2many("q2c.change.order", "contract_id", string="Change Orders")
    change_order_count = fields.Integer(
        string="Change Order Count", compute="_compute_change_order_stats"
    )
    pending_change_amount = fields.Monetary(
        string="Pending Changes",
        compute="_compute_change_order_stats",
        help="What submitted, not yet approved change orders would add to the contract value "
        "(exposure; a cap change is not value); not in the contract value.",
    )

    @api.depends("change_order_ids.state", "change_order_ids.amount_total")
    def _compute_change_order_stats(self):
        for contract in self:
            orders = contract.change_order_ids
            contract.change_order_count = len(orders)
            pending = orders.filtered(lambda o: o.state in PENDING_STATES)
            contract.pending_change_amount = contract.currency_id.round(
                sum(
                    group["total"]
                    for order in pending
                    for group in order._effect_groups(approved=False)
                    if group["target"] != "nte_cap"
                )
            )

    def _check_takes_change_orders(self, active_only=False):
        """A closed contract takes no change orders; submitting needs a signed one."""
        for contract in self:
            if contract.state == "closed":
                raise UserError(
                    _(
                        "Contract %(contract)s is closed: it takes no change orders.",
                        contract=contract.display_name,
                    )
                )
            if active_only and contract.state in EDITABLE_STATES:
                raise UserError(
                    _(
                        "Contract %(contract)s is a draft: edit it directly; change orders "
                        "change signed contracts.",
                        contract=contract.display_name,
                    )
                )

    def action_view_change_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "q2c_change_order.q2c_change_order_action"
        )
        action["domain"] = [("contract_id", "=", self.id)]
        action["context"] = {"default_contract_id": self.id}
        return action

    def action_new_change_order(self):
        """A new change order on this contract, in a form (the button on the contract)."""
        self.ensure_one()
        self._check_takes_change_orders(active_only=True)
        return {
            "type": "ir.actions.act_window",
            "name": _("New Change Order"),
            "res_model": "q2c.change.order",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": {
                "default_contract_id": self.id,
                "default_project_id": self.project_ids[:1].id,
            },
        }
