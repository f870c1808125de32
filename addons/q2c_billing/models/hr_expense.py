from odoo import fields, models


class HrExpense(models.Model):
    _inherit = "hr.expense"

    # Tracked like the other billing fields of an expense (docs/security.md, 8).
    q2c_invoice_line_id = fields.Many2one(tracking=True)

    def _q2c_billing_free(self):
        """`q2c_pricing`: a freed expense keeps its values as priced, no re-pricing."""
        return super(HrExpense, self.with_context(q2c_pricing=True))._q2c_billing_free()
