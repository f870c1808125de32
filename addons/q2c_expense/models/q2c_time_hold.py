from odoo import fields, models


class Q2cTimeHold(models.Model):
    _inherit = "q2c.time.hold"

    kind = fields.Selection(
        selection_add=[("expense", "Expense")], ondelete={"expense": "cascade"}
    )
