from odoo import fields, models


class Q2cContractChangeEntry(models.Model):
    _inherit = "q2c.contract.change.entry"

    change_order_id = fields.Many2one(
        "q2c.change.order", ondelete="restrict", index=True, readonly=True, check_company=True
    )
    effect_key = fields.Char(readonly=True)

    _sql_constraints = [
        (
            "change_order_effect_uniq",
            "unique(change_order_id, effect_key, is_reversal)",
            "A change order's effect is applied once and reversed once.",
        ),
    ]
