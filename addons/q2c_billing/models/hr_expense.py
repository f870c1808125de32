from odoo import models


class HrExpense(models.Model):
    _inherit = "hr.expense"

    def _q2c_billing_free(self):
        """`q2c_pricing`: a freed expense keeps its values as priced, no re-pricing."""
        return super(HrExpense, self.with_context(q2c_pricing=True))._q2c_billing_free()

    def _q2c_recorded_quantity(self):
        """Pre-bill review (1.6): an expense's quantity (units, kilometres, days)."""
        self.ensure_one()
        return self.quantity
