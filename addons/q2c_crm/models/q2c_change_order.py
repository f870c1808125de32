from odoo import fields, models


class Q2cChangeOrder(models.Model):
    _inherit = "q2c.change.order"

    crm_system_id = fields.Many2one(
        "q2c.system",
        string="Proposed by",
        readonly=True,
        index="btree_not_null",
        help="The CRM whose deal amount change proposed this change order.",
    )
    crm_deal_id = fields.Char("CRM Deal", readonly=True)
    crm_amount = fields.Monetary(
        "Deal Amount in the CRM",
        readonly=True,
        help="The contract value this proposal brings the contract to: the deal's amount in "
        "the CRM when it was proposed.",
    )
