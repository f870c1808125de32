from odoo import fields, models


class Q2cContract(models.Model):
    _inherit = "q2c.contract"

    crm_amount = fields.Monetary(
        "Amount in the CRM",
        readonly=True,
        copy=False,
        help="The deal amount last read from the CRM this contract was provisioned from. A "
        "different amount is proposed as a change order; the same amount again changes nothing.",
    )
