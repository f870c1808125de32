from odoo import Command

from ..money import nte_adjustment
from .common import Q2cContractCase


class TestNotToExceedCap(Q2cContractCase):
    """GC-02: a not-to-exceed cap reached mid-period, then raised (mode `adjustment`)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.erin = cls._create_employee("Erin", cls.role_senior)
        cls.frank = cls._create_employee("Frank", cls.role_consultant)
        card = cls._create_rate_card(
            "C-200 rates",
            lines=[
                (cls.erin, 200.00, "2025-01-01", None),
                (cls.frank, 150.00, "2025-01-01", None),
            ],
        )
        cls.contract = cls._create_contract(
            name="C-200", nte_original_amount=50000.00, rate_card_ids=[Command.link(card.id)]
        )
        cls.contract.action_activate()
        # What billing keeps: posted fee invoices of January and February.
        cls.contract.nte_billed_amount = 46200.00

    def _period_value(self, entries):
        lines = self.contract._price_time_entries(entries)
        return sum(line["amount"] for line in lines), lines

    def test_cap_reached_then_raised(self):
        contract = self.contract
        self.assertAmount(contract.nte_headroom, 3800.00)
        march = [
            {"date": "2025-03-03", "employee": self.erin, "hours": 10.00},
            {"date": "2025-03-10", "employee": self.frank, "hours": 8.00},
            {"date": "2025-03-17", "employee": self.erin, "hours": 6.00},
            {"date": "2025-03-24", "employee": self.frank, "hours": 4.00},
        ]
        value, lines = self._period_value(march)
        self.assertEqual([line["amount"] for line in lines], [3200.00, 1800.00])
        self.assertAmount(value, 5000.00)
        result = nte_adjustment(
            contract.currency_id, value, contract.nte_amount, contract.nte_billed_amount, 0.0
        )
        self.assertAmount(result["release"], 0.00)
        self.assertAmount(result["excess"], 1200.00)
        self.assertAmount(result["fee_total"], 3800.00)
        self.assertAmount(result["held"], 1200.00)

        contract.nte_billed_amount += result["fee_total"]
        self.assertAmount(contract.nte_billed_amount, 50000.00)
        self.assertAmount(contract.nte_headroom, 0.00)
        self.assertTrue(contract.is_over_cap)
        self.assertIn(contract, self.env["q2c.contract"].search([("is_over_cap", "=", True)]))

        # CA-01, approved 2025-04-10: the cap goes to 55,000.00 (a change order posts this
        # entry in q2c_change_order; the ledger is what moves the cap).
        self.env["q2c.contract.change.entry"].create(
            {
                "contract_id": contract.id,
                "currency_id": contract.currency_id.id,
                "date": "2025-04-10",
                "name": "CA-01",
                "kind": "nte",
                "amount": 5000.00,
            }
        )
        self.assertAmount(contract.nte_amount, 55000.00)
        self.assertAmount(contract.nte_headroom, 5000.00)
        self.assertFalse(contract.is_over_cap)

        april_value, _lines = self._period_value(
            [{"date": "2025-04-07", "employee": self.erin, "hours": 5.00}]
        )
        self.assertAmount(april_value, 1000.00)
        april = nte_adjustment(
            contract.currency_id,
            april_value,
            contract.nte_amount,
            contract.nte_billed_amount,
            result["held"],
        )
        self.assertAmount(april["release"], 1200.00)
        self.assertAmount(april["excess"], 0.00)
        self.assertAmount(april["fee_total"], 2200.00)
        self.assertAmount(april["held"], 0.00)
        contract.nte_billed_amount += april["fee_total"]
        self.assertAmount(contract.nte_billed_amount, 52200.00)
        self.assertAmount(contract.nte_headroom, 2800.00)
