from odoo import fields, models

from .account_analytic_line import FREED


class HrExpense(models.Model):
    _inherit = "hr.expense"

    q2c_invoice_line_id = fields.Many2one(
        "account.move.line",
        string="Billed on Invoice Line",
        copy=False,
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The customer invoice line that re-billed this expense (q2c billing run).",
    )
    q2c_invoice_id = fields.Many2one(
        related="q2c_invoice_line_id.move_id", string="Billed on Invoice"
    )

    def _q2c_billing_free(self):
        """The draft invoice that billed these expenses is deleted (its run was cancelled):
        they are to bill again. `q2c_pricing`: the values stay as priced, no re-pricing."""
        return self.with_context(q2c_pricing=True).write(FREED)
