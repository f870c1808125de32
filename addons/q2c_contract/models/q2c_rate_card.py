from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

SCOPES = [
    ("contract", "Contract"),
    ("customer", "Customer"),
    ("company_default", "Company default"),
]


class Q2cRateCard(models.Model):
    _name = "q2c.rate.card"
    _description = "Rate Card"
    _inherit = ["mail.thread"]
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    scope = fields.Selection(SCOPES, required=True, default="contract", tracking=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        check_company=True,
        tracking=True,
        help="For a customer rate card: the customer whose contracts it prices.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, tracking=True
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
        tracking=True,
    )
    line_ids = fields.One2many("q2c.rate.card.line", "card_id", string="Rates", copy=True)
    contract_ids = fields.Many2many(
        "q2c.contract",
        "q2c_contract_rate_card_rel",
        "card_id",
        "contract_id",
        string="Contracts",
        readonly=True,
    )
    note = fields.Text()

    @api.constrains("scope", "partner_id")
    def _check_partner(self):
        for card in self:
            if card.scope == "customer" and not card.partner_id:
                raise ValidationError(
                    _(
                        "Rate card %(card)s is a customer rate card: choose its customer.",
                        card=card.name,
                    )
                )

    @api.constrains("scope", "partner_id", "company_id", "active")
    def _check_single_default(self):
        """Only one active company default card and one per customer: resolution must be unique."""
        for card in self.filtered(lambda c: c.active and c.scope != "contract"):
            domain = [
                ("id", "!=", card.id),
                ("scope", "=", card.scope),
                ("company_id", "=", card.company_id.id),
            ]
            if card.scope == "customer":
                domain.append(("partner_id", "=", card.partner_id.id))
            other = self.search(domain, limit=1)
            if other:
                raise ValidationError(
                    _(
                        "Rate cards %(card)s and %(other)s are both active %(scope)s rate cards "
                        "of %(company)s%(customer)s; archive one of them.",
                        card=card.name,
                        other=other.name,
                        scope=dict(self._fields["scope"]._description_selection(self.env))[
                            card.scope
                        ],
                        company=card.company_id.name,
                        customer=(card.scope == "customer" and f" ({card.partner_id.name})") or "",
                    )
                )

    @api.constrains("currency_id", "scope")
    def _check_contract_currency(self):
        for card in self:
            card.contract_ids._check_rate_card_currency()
