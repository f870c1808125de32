from odoo import Command
from odoo.exceptions import ValidationError

from .common import Q2cChangeOrderCase


class TestChangeOrderScreens(Q2cChangeOrderCase):
    """What the contract and change-order screens offer and how they label it (issue 13,
    items 6, 7 and 10)."""

    def test_new_change_order_from_the_contract(self):
        action = self.contract.with_user(self.pm_user).action_new_change_order()
        self.assertEqual(action["res_model"], "q2c.change.order")
        self.assertEqual(action["context"]["default_contract_id"], self.contract.id)
        self.assertEqual(action["context"]["default_project_id"], self.project.id)

    def test_pending_changes_are_value_changes(self):
        """A pending cap increase is exposure on the cap, not on the contract value."""
        project = self._create_project("T&M (test)", self.pm_user)
        contract = self._create_contract(
            nte_original_amount=50000.00, project_ids=[Command.set(project.ids)]
        )
        contract.action_activate()
        order = self._create_change_order(
            [
                {"target": "nte_cap", "unit_price": 5000.00},
                {"target": "contract_value", "unit_price": 1200.00},
            ],
            contract=contract,
        )
        order.with_user(self.pm_user).action_submit()
        self.assertAmount(contract.pending_change_amount, 1200.00)

    def test_kanban_columns_in_lifecycle_order(self):
        rejected = self._sov_addition(100.00, title="Rejected")
        rejected.with_user(self.pm_user).action_submit()
        rejected.with_user(self.pm_user).action_reject("Too dear")
        self._submit_and_approve(self._sov_addition(200.00, title="Approved"))
        domain = [("contract_id", "=", self.contract.id)]
        groups = self.ChangeOrder.read_group(domain, ["state"], ["state"])
        self.assertEqual(
            [group["state"] for group in groups], ["draft", "submitted", "approved", "rejected"]
        )

    def test_back_to_draft_not_offered_once_changes_are_approved(self):
        as_finance = self.contract.with_user(self.finance_user)
        self.assertTrue(as_finance.can_reset_to_draft)
        self._submit_and_approve(self._sov_addition(1000.00))
        as_finance.invalidate_recordset()
        self.assertFalse(as_finance.can_reset_to_draft)

    def test_change_log_labels_each_kind(self):
        added = self._submit_and_approve(self._sov_addition(1000.00, title="Added"))
        adjusted = self._create_change_order(
            [{"target": "sov_adjust", "sov_line_id": self.sov["6"].id, "unit_price": -500.00}]
        )
        self._submit_and_approve(adjusted)
        labels = {
            (entry.change_order_id, entry.kind): entry.change_label
            for entry in self.contract.change_entry_ids
        }
        self.assertEqual(labels[added, "value"], "New schedule-of-values line")
        self.assertEqual(labels[adjusted, "value"], "Schedule-of-values line adjusted")
        self.assertEqual(labels[added, "budget_revenue"], "Revenue budget")
        adjusted.with_user(self.pm_user).action_void("Entered twice")
        reversal = adjusted.change_entry_ids.filtered(
            lambda e: e.is_reversal and e.kind == "value"
        )
        self.assertEqual(reversal.change_label, "Reversal: Schedule-of-values line adjusted")

    def _fixed_fee_contract(self):
        project = self._create_project("Fixed (test)", self.pm_user, allow_milestones=True)
        contract = self._create_contract(
            name="F-100",
            billing_model="fixed_fee",
            original_value=10000.00,
            project_ids=[Command.set(project.ids)],
            milestone_ids=[Command.create({"name": "All", "percent": 100})],
        )
        contract.action_activate()
        return contract

    def test_fixed_fee_increase_goes_to_a_milestone(self):
        """billing-domain.md 3.4: on a fixed-fee contract the fee delta goes to a new
        milestone; a contract value increase alone would never be billed."""
        contract = self._fixed_fee_contract()
        order = self._create_change_order(
            [{"target": "contract_value", "unit_price": 2000.00}], contract=contract
        )
        with self.assertRefused(ValidationError, "put it on a new milestone"):
            order.with_user(self.pm_user).action_submit()
        self.assertEqual(order.state, "draft")
        order.line_ids.target = "milestone"
        self._submit_and_approve(order)
        self.assertAmount(contract.current_value, 12000.00)
        self.assertAmount(contract.milestone_total, 12000.00)
        self.assertAmount(contract.milestone_gap, 0.00)

    def test_fixed_fee_reduction_shows_the_gap(self):
        contract = self._fixed_fee_contract()
        milestone_cut = self._create_change_order(
            [{"target": "milestone", "unit_price": -1000.00}], contract=contract
        )
        with self.assertRefused(ValidationError, "a new milestone needs a positive amount"):
            milestone_cut.with_user(self.pm_user).action_submit()
        order = self._create_change_order(
            [{"target": "contract_value", "unit_price": -1000.00}], contract=contract
        )
        self._submit_and_approve(order)
        self.assertAmount(contract.current_value, 9000.00)
        self.assertAmount(contract.milestone_gap, -1000.00)
