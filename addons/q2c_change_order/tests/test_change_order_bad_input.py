from odoo.exceptions import UserError, ValidationError

from .common import Q2cChangeOrderCase


class TestChangeOrderBadInput(Q2cChangeOrderCase):
    """Refused with a message that says what is wrong; nothing half-written."""

    def test_change_order_on_a_closed_contract(self):
        pending = self._sov_addition(1000.00)
        self.contract.action_close()
        count = self.ChangeOrder.search_count([])
        with self.assertRefused(UserError, "is closed: it takes no change orders"):
            self._sov_addition(1000.00)
        self.assertEqual(self.ChangeOrder.search_count([]), count)
        with self.assertRefused(UserError, "is closed"):
            pending.with_user(self.pm_user).action_submit()
        self.assertEqual(pending.state, "draft")

    def test_change_order_on_a_draft_contract(self):
        project = self._create_project("Draft (test)", self.pm_user)
        contract = self._create_progress_contract(
            [("1", "Work", 10.00)], project_ids=[(6, 0, project.ids)]
        )
        order = self._sov_addition(1.00, contract=contract)
        with self.assertRefused(UserError, "is a draft"):
            order.action_submit()

    def test_target_the_billing_model_does_not_take(self):
        order = self._create_change_order([{"target": "contract_value", "unit_price": 1000.00}])
        with self.assertRefused(ValidationError, "which a progress billing .* contract does not"):
            order.with_user(self.pm_user).action_submit()
        self.assertEqual(order.state, "draft")

    def test_no_lines_or_zero_amount(self):
        empty = self._create_change_order([])
        with self.assertRefused(UserError, "has no lines"):
            empty.action_submit()
        zero = self._sov_addition(0.0)
        with self.assertRefused(ValidationError, "has no amount"):
            zero.action_submit()

    def test_cap_change_without_a_cap(self):
        project = self._create_project("T&M (test)", self.pm_user)
        contract = self._create_contract(project_ids=[(6, 0, project.ids)])
        contract.action_activate()
        order = self._create_change_order(
            [{"target": "nte_cap", "unit_price": 100.00}], contract=contract
        )
        with self.assertRefused(ValidationError, "has no not-to-exceed cap"):
            order.action_submit()
