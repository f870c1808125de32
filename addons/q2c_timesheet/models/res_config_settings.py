from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    q2c_time_approval = fields.Selection(related="company_id.q2c_time_approval", readonly=False)
