from odoo import _, api, fields, models

ACTIONS = [("reject", "Reject"), ("void", "Void"), ("revise", "Revise")]


class Q2cChangeOrderReason(models.TransientModel):
    """Asks why before a change order is rejected, voided or revised (required for the first
    two); the change order's method makes the checks and writes the audit."""

    _name = "q2c.change.order.reason"
    _description = "Change Order Decision Reason"

    change_order_id = fields.Many2one(
        "q2c.change.order", string="Change Order", required=True, ondelete="cascade"
    )
    action = fields.Selection(ACTIONS, string="Decision", required=True, default="reject")
    reason = fields.Text(string="Reason")

    @api.depends("change_order_id", "action")
    def _compute_display_name(self):
        labels = dict(ACTIONS)
        for wizard in self:
            wizard.display_name = _(
                "%(action)s %(order)s",
                action=labels.get(wizard.action, ""),
                order=wizard.change_order_id.display_name or "",
            )

    def action_confirm(self):
        self.ensure_one()
        order = self.change_order_id
        if self.action == "reject":
            order.action_reject(self.reason)
        elif self.action == "void":
            order.action_void(self.reason)
        else:
            return order.action_revise(self.reason)
        return {"type": "ir.actions.act_window_close"}
