from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    q2c_role_id = fields.Many2one(
        "hr.job",
        string="Rate Card Role",
        help="The role (job position) this service sells. A won time-and-materials or retainer "
        "deal whose line uses this product gets a contract rate card pricing the role at the "
        "line's unit price. Empty: the line only becomes a project task.",
    )
