from odoo import fields, models


class Q2cContractSovLine(models.Model):
    _inherit = "q2c.contract.sov.line"

    change_order_id = fields.Many2one(
        "q2c.change.order",
        string="Added by",
        readonly=True,
        ondelete="restrict",
        check_company=True,
    )
