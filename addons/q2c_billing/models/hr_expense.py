from odoo import fields, models


class HrExpense(models.Model):
    _inherit = "hr.expense"

    # The invoice line that billed an expense is not tracked: it goes with its draft invoice
    # when a run is cancelled, and mail's tracking drops every change of a record whose old
    # value no longer exists. The tracked billing status and billing reference (run and
    # contract) say what billed it.

    # A pre-bill review's decision (1.6) is guarded: tracked on the expense's chatter.
    q2c_billed_quantity = fields.Float(tracking=True)
    q2c_billed_rate = fields.Float(tracking=True)
    q2c_prebill_line_id = fields.Many2one(tracking=True)

    def _q2c_billing_free(self):
        """`q2c_pricing`: a freed expense keeps its values as priced, no re-pricing."""
        return super(HrExpense, self.with_context(q2c_pricing=True))._q2c_billing_free()

    def _q2c_recorded_quantity(self):
        """Pre-bill review (1.6): an expense's quantity (units, kilometres, days)."""
        self.ensure_one()
        return self.quantity
