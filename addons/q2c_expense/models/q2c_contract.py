from odoo import _, fields, models
from odoo.addons.q2c_contract.money import line_amount


class Q2cContract(models.Model):
    _inherit = "q2c.contract"

    expense_policy_ids = fields.One2many(
        "q2c.expense.policy",
        "contract_id",
        string="Expense Policy",
        copy=True,
        help="How each expense category is re-billed. An expense of a category with no line "
        "is held (no policy) until one is added.",
    )

    def _expense_policy_for(self, product):
        """The policy line of `product`: its own line, else the line of its category or of
        the nearest parent category; an empty recordset when none applies."""
        self.ensure_one()
        lines = self.sudo().expense_policy_ids
        own = lines.filtered(lambda line: line.product_id == product)
        if own:
            return own[:1]
        by_category = {line.product_categ_id: line for line in lines if line.product_categ_id}
        category = product.sudo().categ_id
        while category:
            if category in by_category:
                return by_category[category]
            category = category.parent_id
        return lines.browse()

    def _price_expenses(self, expenses):
        """Invoice lines for re-billed expenses (billing-domain.md 1.5 and GC-05), one per
        expense, in date order: quantity 1 x (billable cost + markup), or for mileage without
        markup, quantity x unit rate. Each line keeps the cost and the markup it shows."""
        self.ensure_one()
        currency = self.currency_id
        lines = []
        for expense in expenses.sorted(lambda e: (e.date, e.id)):
            quantity, price = 1.0, expense.q2c_billed_value
            mileage = line_amount(currency, expense.quantity, expense.q2c_unit_rate)
            if (
                expense.q2c_unit_rate
                and currency.is_zero(expense.q2c_markup_amount)
                and currency.compare_amounts(mileage, expense.q2c_billable_cost) == 0
            ):
                quantity, price = expense.quantity, expense.q2c_unit_rate
            lines.append(
                {
                    "expense": expense,
                    "description": _(
                        "%(employee)s, %(category)s, %(date)s: cost %(cost)s, markup %(markup)s",
                        employee=expense.employee_id.name,
                        category=expense.product_id.name,
                        date=expense.date,
                        cost=self._fmt(expense.q2c_billable_cost),
                        markup=self._fmt(expense.q2c_markup_amount),
                    ),
                    "quantity": quantity,
                    "price_unit": price,
                    "cost": expense.q2c_billable_cost,
                    "markup": expense.q2c_markup_amount,
                    "amount": line_amount(currency, quantity, price),
                }
            )
        return lines
