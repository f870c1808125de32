from odoo import fields, models

ACTIONS = [("reject", "Reject"), ("void", "Void"), ("revise", "Revise")]


class Q2cChangeOrderReason(models.TransientModel):
    """Asks why before a change order is rejected, voided or revised (required for the first
    two); the change order's method makes the checks and writes the audit."""

    _name = "q2c.change.order.reason"
    _description = "Change Order Decision Reason"

    change_order_id = fields.Many2one("q2c.change.order", required=True, ondelete="cascade")
    action = fields.Selection(ACTIONS, required=True, default="reject")
    reason = fields.Text()

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
