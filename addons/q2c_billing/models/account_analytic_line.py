from odoo import fields, models


class AccountAnalyticLine(models.Model):
    _inherit = "account.analytic.line"

    q2c_billing_status = fields.Selection(
        selection_add=[("nte_held", "Held: over the cap")],
        ondelete={"nte_held": "set null"},
    )
