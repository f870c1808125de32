from odoo import _, api, fields, models


class Q2cRateCardLine(models.Model):
    _name = "q2c.rate.card.line"
    _inherit = ["q2c.rate.mixin"]
    _description = "Rate Card Line"
    _order = "card_id, employee_id, role_id, date_from"
    _check_company_auto = True

    card_id = fields.Many2one(
        "q2c.rate.card", string="Rate Card", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="card_id.company_id", store=True)
    currency_id = fields.Many2one(related="card_id.currency_id", store=True)
    product_id = fields.Many2one(
        "product.product",
        string="Service",
        domain=[("type", "=", "service")],
        check_company=True,
        help="The service product invoice lines use for this rate.",
    )

    @api.depends("card_id", "employee_id", "role_id", "rate", "date_from")
    def _compute_display_name(self):
        for line in self:
            line.display_name = (
                f"{line.card_id.name}: {line._rate_key_label()} {line.rate:.2f} ({line.date_from})"
            )

    def _key_domain(self):
        return [*super()._key_domain(), ("card_id", "=", self.card_id.id)]

    def _overlap_owner_label(self):
        self.ensure_one()
        return _("rate card %s", self.card_id.name)

    @api.constrains("card_id")
    def _check_card(self):
        self._check_overlap()
