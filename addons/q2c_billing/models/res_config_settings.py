from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    q2c_billing_auto_post = fields.Boolean(
        related="company_id.q2c_billing_auto_post", readonly=False
    )
