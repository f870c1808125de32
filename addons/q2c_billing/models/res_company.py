from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    q2c_billing_auto_post = fields.Boolean(
        string="Post Billing Runs Automatically",
        help="A billing run whose contracts need no pre-bill review posts its invoices as soon "
        "as they are built. Off (the default): Finance posts them from the run.",
    )
