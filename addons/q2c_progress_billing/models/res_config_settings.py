from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    q2c_retainage_account_id = fields.Many2one(
        related="company_id.q2c_retainage_account_id", readonly=False
    )
