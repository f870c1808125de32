from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    q2c_timesheet_ids = fields.One2many(
        "account.analytic.line", "q2c_invoice_line_id", string="Billed Time Entries"
    )
    q2c_expense_ids = fields.One2many(
        "hr.expense", "q2c_invoice_line_id", string="Billed Expenses"
    )
    q2c_cap_contract_id = fields.Many2one(
        "q2c.contract",
        string="Under Cap of",
        # copy: a credit note made from the invoice is under the same cap (it re-opens it).
        copy=True,
        readonly=True,
        index="btree_not_null",
        help="The contract whose not-to-exceed cap this line counts against.",
    )
