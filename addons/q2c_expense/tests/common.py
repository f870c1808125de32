from odoo import Command
from odoo.addons.q2c_timesheet.tests.common import Q2cTimeCase
from odoo.tests import tagged

# GC-05's categories: (category, policy line values).
GC05_POLICY = {
    "Travel": {"markup_percent": 10.0},
    "Meals": {"cap_basis": "per_day", "cap_amount": 75.0},
    "Subcontracted services": {"markup_percent": 15.0},
    "Mileage": {"unit_rate": 0.70},
    "Software": {"billable": False},
}
# Expense products at the source: (source id, product name, category).
GC05_PRODUCTS = [
    ("airfare", "Airfare", "Travel"),
    ("hotel", "Hotel", "Travel"),
    ("meals", "Meals", "Meals"),
    ("translation", "Translation", "Subcontracted services"),
    ("mileage", "Mileage", "Mileage"),
    ("software", "Software licence", "Software"),
]

# 1 EUR in USD around GC-05's dates.
EUR_RATES = (("2025-03-01", 1.05), ("2025-03-12", 1.0874), ("2025-03-13", 1.20))


def set_eur_rates(env, company):
    """EUR active, with EUR_RATES as its only rates in `company`; returns EUR."""
    eur = env.ref("base.EUR")
    eur.active = True
    Rate = env["res.currency.rate"]
    Rate.search([("currency_id", "=", eur.id)]).unlink()
    for day, usd_per_eur in EUR_RATES:
        Rate.create(
            {
                "currency_id": eur.id,
                "name": day,
                "company_id": company.id,
                "inverse_company_rate": usd_per_eur,
            }
        )
    return eur


def create_gc05_products(env, system, label):
    """GC-05's expense categories and products (names ending in `label`), each product
    bound to its source id on `system`: (categories by name, products by source id)."""
    categories = {
        name: env["product.category"].create({"name": f"{name} ({label})"}) for name in GC05_POLICY
    }
    products = {}
    for source_id, name, category in GC05_PRODUCTS:
        products[source_id] = env["product.product"].create(
            {
                "name": f"{name} ({label})",
                "type": "service",
                "can_be_expensed": True,
                "standard_price": 0.0,
                "categ_id": categories[category].id,
                "supplier_taxes_id": [Command.clear()],
            }
        )
        env["q2c.external.ref"]._bind(system, "expense_category", source_id, products[source_id])
    return categories, products


@tagged("post_install", "-at_install")
class Q2cExpenseCase(Q2cTimeCase):
    """The time case's system, user (now also an expense All Approver), Gina and Hal, plus
    contract C-500 on project P-500 with GC-05's expense policy by product category, and EUR
    rates around 2025-03-12 (1 EUR = 1.0874 USD that day)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        expense_approver = cls.env.ref("hr_expense.group_hr_expense_user")
        cls.time_user.groups_id = [Command.link(expense_approver.id)]
        cls.company = cls.env.company
        cls.eur = set_eur_rates(cls.env, cls.company)
        cls.project_500 = cls.env["project.project"].create(
            {"name": "P-500 (test)", "partner_id": cls.customer.id}
        )
        cls.categories, cls.products = create_gc05_products(cls.env, cls.time_system, "q2c test")
        policy = [
            Command.create({"product_categ_id": cls.categories[name].id, **values})
            for name, values in GC05_POLICY.items()
        ]
        cls.contract_500 = cls._create_tm_contract(
            "C-500", cls.project_500, expense_policy_ids=policy
        )
        cls.env["q2c.external.ref"]._bind(cls.time_system, "project", "p-500", cls.project_500)

    @staticmethod
    def _expense(external_id, category="airfare", day="2025-03-04", amount=100.0, **values):
        return {
            "id": external_id,
            "employee": "u-gina",
            "project": "p-500",
            "category": category,
            "date": day,
            "amount": amount,
            **values,
        }

    def _ingest_expenses(self, expenses, system=None):
        return self._ingest_rows("hr.expense", expenses, system)

    def _push_expenses(self, expenses, key=None, params=""):
        return self._post_rows("/q2c/api/v1/expenses", expenses, key=key, params=params)

    def _exp(self, external_id, system=None):
        return self._ingested("hr.expense", external_id, system)

    def _corrections(self, expense):
        return self.env["hr.expense"].search([("q2c_origin_id", "=", expense.id)], order="id")
