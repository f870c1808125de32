from odoo import _, fields, models


class Q2cContractChangeEntry(models.Model):
    _inherit = "q2c.contract.change.entry"

    change_order_id = fields.Many2one(
        "q2c.change.order",
        string="Change Order",
        ondelete="restrict",
        index=True,
        readonly=True,
        check_company=True,
    )
    effect_key = fields.Char(string="Effect", readonly=True)

    _sql_constraints = [
        (
            "change_order_effect_uniq",
            "unique(change_order_id, effect_key, is_reversal)",
            "A change order's effect is applied once and reversed once.",
        ),
    ]

    def _change_label(self):
        """A change order's effect key starts with its target (`<target>:<sov line>/<kind>`):
        a new schedule-of-values line, an adjusted one and a new milestone each say so."""
        labels = {
            "sov_new": _("New schedule-of-values line"),
            "sov_adjust": _("Schedule-of-values line adjusted"),
            "milestone": _("New milestone"),
        }
        target = (self.effect_key or "").split(":", 1)[0]
        if self.kind == "value" and target in labels:
            return labels[target]
        return super()._change_label()
