from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    q2c_billing_auto_post = fields.Boolean(
        related="company_id.q2c_billing_auto_post", readonly=False
    )
    q2c_correction_policy = fields.Selection(
        related="company_id.q2c_correction_policy", readonly=False, required=True
    )
    q2c_retainer_account_id = fields.Many2one(
        related="company_id.q2c_retainer_account_id", readonly=False
    )
    q2c_retainer_breakage_account_id = fields.Many2one(
        related="company_id.q2c_retainer_breakage_account_id", readonly=False
    )
    q2c_retainer_journal_id = fields.Many2one(
        related="company_id.q2c_retainer_journal_id", readonly=False
    )
