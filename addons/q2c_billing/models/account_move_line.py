from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    q2c_timesheet_ids = fields.One2many(
        "account.analytic.line", "q2c_invoice_line_id", string="Billed Time Entries"
    )
    q2c_expense_ids = fields.One2many(
        "hr.expense", "q2c_invoice_line_id", string="Billed Expenses"
    )
