from odoo import fields, models


class Q2cContract(models.Model):
    _inherit = "q2c.contract"

    q2c_standing = fields.Selection(
        string="Customer Standing",
        related="partner_id.commercial_partner_id.q2c_standing",
        help="The customer's account standing, kept by its payments (q2c Payments).",
    )
