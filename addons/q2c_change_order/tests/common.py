from odoo import Command
from odoo.addons.q2c_contract.tests.common import Q2cContractCase

# GC-06: the original schedule of values of K-900.
K900_SOV = [
    ("1", "General Conditions", 100000.00),
    ("2", "Sitework", 150000.00),
    ("3", "Concrete", 250000.00),
    ("4", "Structural Steel", 200000.00),
    ("5", "MEP", 220000.00),
    ("6", "Finishes", 80000.00),
]


class Q2cChangeOrderCase(Q2cContractCase):
    """A signed construction contract (K-900) on a project managed by `pm_user`."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.q2c_co_finance_threshold = 0.0
        # The approval rules without segregation of duties; test_change_order_segregation
        # turns it on.
        cls.company.q2c_co_segregation_of_duties = False
        cls.project.q2c_revenue_budget = 1000000.00
        cls.project.q2c_cost_budget = 880000.00
        cls.contract = cls._create_progress_contract(K900_SOV, name="K-900")
        cls.contract.action_activate()
        cls.sov = {line.item_no: line for line in cls.contract.sov_line_ids}
        cls.ChangeOrder = cls.env["q2c.change.order"]

    @classmethod
    def _create_change_order(cls, lines, contract=None, **values):
        """`lines`: dicts for q2c.change.order.line (name, unit_price, target, ...)."""
        contract = contract or cls.contract
        return cls.ChangeOrder.create(
            {
                "contract_id": contract.id,
                "title": values.pop("title", "Change"),
                "line_ids": [
                    Command.create({"name": f"Line {i}", "quantity": 1.0, **line})
                    for i, line in enumerate(lines, 1)
                ],
                **values,
            }
        )

    @classmethod
    def _sov_addition(cls, amount, **values):
        return cls._create_change_order(
            [{"target": "sov_new", "unit_price": amount, "unit_cost": amount * 0.8}], **values
        )

    def _approve(self, order, user=None):
        order.with_user(user or self.pm_user).action_approve()

    def _submit_and_approve(self, order):
        order.with_user(self.pm_user).action_submit()
        self._approve(order)
        return order
