from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    q2c_company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency (q2c)"
    )
    q2c_co_finance_threshold = fields.Monetary(
        related="company_id.q2c_co_finance_threshold",
        currency_field="q2c_company_currency_id",
        readonly=False,
    )
    q2c_co_segregation_of_duties = fields.Boolean(
        related="company_id.q2c_co_segregation_of_duties", readonly=False
    )
