from odoo import Command
from odoo.exceptions import UserError, ValidationError

from .common import Q2cChangeOrderCase


class TestChangeOrderEffects(Q2cChangeOrderCase):
    """Approving applies the effects exactly once; voiding an unbilled change reverses them."""

    def test_approve_twice_is_one_effect(self):
        order = self._sov_addition(45000.00, title="Foundation drainage")
        self._submit_and_approve(order)
        with self.assertRefused(UserError, "only a submitted change order can be approved"):
            self._approve(order)
        self.assertEqual(order._apply_effects(), [])
        self.assertAmount(self.contract.current_value, 1045000.00)
        self.assertEqual(len(order.change_entry_ids.filtered(lambda e: e.kind == "value")), 1)
        self.assertEqual(len(order.sov_line_ids), 1)

    def test_effects_of_an_addition_and_a_deduction(self):
        """GC-07/GC-08's change orders: +45,000.00 as line 7, -20,000.00 on line 6."""
        co1 = self._sov_addition(45000.00, title="Foundation drainage")
        self._submit_and_approve(co1)
        line7 = co1.sov_line_ids
        self.assertEqual((line7.item_no, line7.name), ("7", "CO-001 Foundation drainage"))
        self.assertAmount(line7.scheduled_value, 45000.00)
        co2 = self._create_change_order(
            [{"target": "sov_adjust", "sov_line_id": self.sov["6"].id, "unit_price": -20000.00}],
            title="Owner-furnished flooring",
        )
        self._submit_and_approve(co2)
        self.assertAmount(self.sov["6"].scheduled_value, 60000.00)
        self.assertAmount(self.sov["6"].original_value, 80000.00)
        self.assertAmount(self.contract.approved_change_amount, 25000.00)
        self.assertAmount(self.contract.current_value, 1025000.00)
        self.assertAmount(self.contract.sov_total, self.contract.current_value)
        entry = co2.change_entry_ids.filtered(lambda e: e.sov_line_id == self.sov["6"])
        self.assertAmount(entry.amount_before, 80000.00)
        self.assertAmount(entry.amount_after, 60000.00)
        self.assertIn("80,000.00", self.contract.message_ids[0].body)

    def test_partial_approval_per_line(self):
        order = self._create_change_order(
            [
                {"target": "sov_new", "unit_price": 1000.00},
                {"target": "sov_new", "unit_price": 2000.00},
                {"target": "sov_new", "unit_price": 4000.00},
            ],
            ohp_percent=10.0,
        )
        self.assertAmount(order.amount_total, 7700.00)
        order.with_user(self.pm_user).action_submit()
        first, second, third = order.line_ids.sorted("sequence")
        second.with_user(self.pm_user).write({"decision": "revised", "revised_amount": 1500.00})
        third.with_user(self.pm_user).write({"decision": "rejected"})
        self._approve(order)
        self.assertEqual(order.state, "approved")
        self.assertTrue(order.is_partially_approved)
        self.assertEqual(first.decision, "approved")
        # (1,000.00 + 1,500.00) + OH&P 10% = 2,750.00
        self.assertAmount(order.approved_amount, 2750.00)
        self.assertAmount(order.amount_total, 7700.00)
        self.assertAmount(self.contract.current_value, 1002750.00)
        self.assertIn("Partially approved", order.message_ids[0].body)

    def test_every_line_rejected_is_a_rejection(self):
        order = self._sov_addition(1000.00)
        order.with_user(self.pm_user).action_submit()
        order.line_ids.with_user(self.pm_user).decision = "rejected"
        with self.assertRefused(UserError, "reject the change order instead"):
            self._approve(order)
        self.assertEqual(order.state, "submitted")
        self.assertFalse(order.pm_approved_by_id)

    def test_void_before_billing_reverses(self):
        order = self._sov_addition(45000.00)
        self._submit_and_approve(order)
        line = order.sov_line_ids
        order.with_user(self.pm_user).action_void("Entered against the wrong contract")
        self.assertEqual(order.state, "void")
        self.assertTrue(order.effects_reversed)
        self.assertAmount(self.contract.current_value, 1000000.00)
        self.assertAmount(line.scheduled_value, 0.0)
        self.assertFalse(line.active)
        self.assertAmount(self.project.q2c_revenue_budget_revised, 1000000.00)
        self.assertAmount(self.project.q2c_cost_budget_revised, 880000.00)
        reversals = order.change_entry_ids.filtered("is_reversal")
        self.assertEqual(len(reversals), 3)  # value, revenue budget, cost budget
        self.assertIn("1,045,000.00", order.message_ids[0].body)
        # A second reversal finds nothing to do.
        self.assertEqual(order._reverse_effects(), [])

    def test_void_after_billing_is_refused(self):
        order = self._sov_addition(45000.00)
        self._submit_and_approve(order)
        order.sov_line_ids.billed_amount = 20000.00  # what billing records on a pay application
        with self.assertRefused(UserError, "was billed: voiding it would rewrite invoiced"):
            order.with_user(self.pm_user).action_void("Too late")
        self.assertEqual(order.state, "approved")
        self.assertFalse(order.effects_reversed)
        self.assertAmount(self.contract.current_value, 1045000.00)

    def test_void_billed_through_the_hook(self):
        order = self._create_change_order(
            [{"target": "sov_adjust", "sov_line_id": self.sov["1"].id, "unit_price": 5000.00}]
        )
        self._submit_and_approve(order)
        order.billed_amount = 5000.00
        with self.assertRefused(UserError, "was billed"):
            order.with_user(self.pm_user).action_void("Too late")
        self.assertAmount(self.sov["1"].scheduled_value, 105000.00)

    def test_reversal_never_goes_below_billed(self):
        order = self._create_change_order(
            [{"target": "sov_adjust", "sov_line_id": self.sov["1"].id, "unit_price": 10000.00}]
        )
        self._submit_and_approve(order)
        self.sov["1"].billed_amount = 105000.00
        with self.assertRefused(ValidationError, "below the .* already billed"):
            order.with_user(self.pm_user).action_void("Wrong")
        self.assertEqual(order.state, "approved")
        self.assertAmount(self.sov["1"].scheduled_value, 110000.00)

    def test_deduction_below_billed_is_refused(self):
        self.sov["2"].billed_amount = 120000.05
        order = self._create_change_order(
            [{"target": "sov_adjust", "sov_line_id": self.sov["2"].id, "unit_price": -40000.00}]
        )
        order.with_user(self.pm_user).action_submit()
        with self.assertRefused(ValidationError, "below the .*120,000.05 already billed"):
            self._approve(order)
        self.assertEqual(order.state, "submitted")
        self.assertFalse(order.change_entry_ids)
        self.assertAmount(self.sov["2"].scheduled_value, 150000.00)

    def test_fixed_fee_change_adds_a_milestone(self):
        project = self._create_project("Fixed (test)", self.pm_user)
        contract = self._create_contract(
            billing_model="fixed_fee",
            original_value=95555.55,
            project_ids=[Command.set(project.ids)],
            milestone_ids=[
                Command.create({"sequence": 1, "name": "M1", "percent": 20}),
                Command.create({"sequence": 2, "name": "M2", "percent": 30}),
                Command.create({"sequence": 3, "name": "M3", "percent": 50}),
            ],
        )
        contract.action_activate()
        before = contract.milestone_ids.mapped("amount")
        order = self._create_change_order(
            [{"target": "milestone", "unit_price": 12000.00}], contract=contract, title="Extra"
        )
        self._submit_and_approve(order)
        self.assertAmount(contract.current_value, 107555.55)
        new = order.milestone_ids
        self.assertEqual((new.name, new.basis), ("CO-001 Extra", "amount"))
        self.assertAmount(new.amount, 12000.00)
        self.assertEqual((contract.milestone_ids - new).mapped("amount"), before)
        self.assertAmount(contract.milestone_total, contract.current_value)
        order.with_user(self.pm_user).action_void("Withdrawn")
        self.assertFalse(new.active)
        self.assertAmount(contract.current_value, 95555.55)

    def test_gc02_cap_raised_by_a_change_order(self):
        """GC-02, April: CA-01 raises the NTE from 50,000.00 to 55,000.00."""
        project = self._create_project("T&M (test)", self.pm_user)
        contract = self._create_contract(
            name="C-200", nte_original_amount=50000.00, project_ids=[Command.set(project.ids)]
        )
        contract.action_activate()
        contract.nte_billed_amount = 50000.00
        self.assertTrue(contract.is_over_cap)
        order = self._create_change_order(
            [{"target": "nte_cap", "unit_price": 5000.00}], contract=contract, title="CA-01"
        )
        self.assertIn(order, self.ChangeOrder.search([("contract_over_cap", "=", True)]))
        self._submit_and_approve(order)
        self.assertAmount(contract.nte_amount, 55000.00)
        self.assertAmount(contract.nte_headroom, 5000.00)
        self.assertAmount(contract.current_value, 0.00)
        self.assertFalse(contract.is_over_cap)
        self.assertFalse(order.change_entry_ids.filtered(lambda e: e.kind.startswith("budget")))
