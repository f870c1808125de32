from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..pricing import CAP_BASES, Policy


class Q2cExpensePolicy(models.Model):
    """How a contract re-bills one expense category (billing-domain.md 1.5): billable or not,
    the markup, a cap per item or per day, and a unit rate for mileage. A line names either an
    expense product or a product category; the product's own line wins, then the line of its
    category or of the nearest parent category."""

    _name = "q2c.expense.policy"
    _description = "Contract Expense Policy"
    _order = "contract_id, sequence, id"
    _check_company_auto = True

    contract_id = fields.Many2one(
        "q2c.contract", required=True, ondelete="cascade", index=True, check_company=True
    )
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    currency_id = fields.Many2one(related="contract_id.currency_id", store=True)
    product_id = fields.Many2one(
        "product.product",
        string="Expense Product",
        domain=[("can_be_expensed", "=", True)],
        check_company=True,
        help="This expense category only; empty: the line applies to a product category.",
    )
    product_categ_id = fields.Many2one(
        "product.category",
        string="Product Category",
        help="Every expense product of this category and of its sub-categories, unless a "
        "line names the product itself or a closer category.",
    )
    billable = fields.Boolean(default=True, help="Unticked: the expenses are never re-billed.")
    markup_percent = fields.Float(
        "Markup (%)", digits=(6, 4), help="Added to the billable cost, e.g. 10 for 10%."
    )
    cap_basis = fields.Selection(CAP_BASES, string="Cap", required=True, default="none")
    cap_amount = fields.Monetary(
        "Cap Amount",
        help="Per item: the most one receipt bills. Per day: the most one person's receipts "
        "of one day bill together (a per diem). The excess is non-billable.",
    )
    unit_rate = fields.Monetary(
        "Unit Rate",
        help="Mileage: the expense bills its quantity (miles, km) times this rate instead of "
        "the receipt amount.",
    )

    _sql_constraints = [
        (
            "product_uniq",
            "unique(contract_id, product_id)",
            "A contract has one expense policy per expense product.",
        ),
        (
            "category_uniq",
            "unique(contract_id, product_categ_id)",
            "A contract has one expense policy per product category.",
        ),
    ]

    @api.depends("product_id", "product_categ_id")
    def _compute_display_name(self):
        for line in self:
            line.display_name = (line.product_id or line.product_categ_id).display_name or "/"

    @api.constrains("product_id", "product_categ_id")
    def _check_target(self):
        for line in self:
            if bool(line.product_id) == bool(line.product_categ_id):
                raise ValidationError(
                    _("An expense policy line names either an expense product or a category.")
                )

    @api.constrains("markup_percent", "cap_basis", "cap_amount", "unit_rate")
    def _check_amounts(self):
        for line in self:
            currency = line.currency_id
            if line.markup_percent < 0 or currency.compare_amounts(line.unit_rate, 0) < 0:
                raise ValidationError(_("Markups and unit rates cannot be negative."))
            if line.cap_basis != "none" and currency.compare_amounts(line.cap_amount, 0) <= 0:
                raise ValidationError(
                    _("The cap of %s needs an amount above zero.", line.display_name)
                )

    def _policy(self):
        """The line's terms as the pure `pricing.Policy`."""
        self.ensure_one()
        return Policy(
            billable=self.billable,
            markup_percent=self.markup_percent,
            cap_basis=self.cap_basis if self.billable else "none",
            cap_amount=self.cap_amount,
            unit_rate=self.unit_rate,
        )
