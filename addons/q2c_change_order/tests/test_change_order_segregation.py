from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from .common import Q2cChangeOrderCase


class TestChangeOrderSegregation(Q2cChangeOrderCase):
    """Segregation of duties (issue 13, item 6): whoever asked for a change order does not
    approve it; when the project manager asked, the contract manager or Finance approves in
    the manager's place."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.q2c_co_segregation_of_duties = True
        cls.contract.user_id = cls.other_pm_user
        cls.order = cls._sov_addition(12000.00, title="Outlets", user_id=cls.pm_user.id)

    def _waiting(self, user):
        return self.ChangeOrder.with_user(user).search([("waiting_my_approval", "=", True)])

    def test_requester_does_not_approve_their_own(self):
        self.order.with_user(self.pm_user).action_submit()
        as_pm = self.order.with_user(self.pm_user)
        self.assertFalse(as_pm.can_approve)
        # The form says why there is no Approve button, and who approves instead.
        self.assertRegex(as_pm.approval_note, "^You asked for it: .*segregation of duties")
        self.assertIn(self.other_pm_user.name, as_pm.approval_note)
        other_view = self.order.with_user(self.other_pm_user)
        self.assertTrue(other_view.approval_note.startswith("It needs "))
        self.assertFalse(self._waiting(self.pm_user))
        with self.assertRefused(AccessError, "You asked for .*segregation of duties"):
            as_pm.action_approve()
        self.assertEqual(self.order.state, "submitted")
        self.assertFalse(self.order.pm_approved_by_id)
        self.assertAmount(self.contract.current_value, 1000000.00)

    def test_contract_manager_approves_in_the_managers_place(self):
        self.order.with_user(self.pm_user).action_submit()
        self.assertEqual(self._waiting(self.other_pm_user), self.order)
        as_contract_manager = self.order.with_user(self.other_pm_user)
        self.assertTrue(as_contract_manager.can_approve)
        as_contract_manager.action_approve()
        self.assertEqual(self.order.state, "approved")
        self.assertEqual(self.order.pm_approved_by_id, self.other_pm_user)
        self.assertAmount(self.contract.current_value, 1012000.00)

    def test_finance_approves_in_the_managers_place(self):
        self.order.with_user(self.pm_user).action_submit()
        self.assertEqual(self._waiting(self.finance_user), self.order)
        self.order.with_user(self.finance_user).action_approve()
        self.assertEqual(self.order.state, "approved")
        self.assertEqual(self.order.pm_approved_by_id, self.finance_user)

    def test_submitter_is_a_requester_too(self):
        """Finance requested nothing but submitted it: Finance does not approve it."""
        order = self._sov_addition(500.00, title="Signage", user_id=self.other_pm_user.id)
        order.with_user(self.finance_user).action_submit()
        self.assertFalse(order.with_user(self.finance_user).can_approve)
        self.assertFalse(order.with_user(self.other_pm_user).can_approve)
        # Neither asked the project manager: the manager approves as always.
        order.with_user(self.pm_user).action_approve()
        self.assertEqual(order.state, "approved")

    def test_finance_approval_is_a_third_person(self):
        """Above the threshold, the Finance approval comes from neither the requester nor the
        person who approved in the manager's place."""
        self.company.q2c_co_finance_threshold = 10000.00
        finance_2 = new_test_user(
            self.env, login="q2c_finance_sod", groups="q2c_contract.group_q2c_finance"
        )
        self.order.with_user(self.pm_user).action_submit()
        self.order.with_user(self.finance_user).action_approve()
        self.assertEqual(self.order.state, "submitted")
        self.assertFalse(self.order.with_user(self.finance_user).can_approve)
        self.order.with_user(finance_2).action_approve()
        self.assertEqual(self.order.state, "approved")
        self.assertEqual(self.order.finance_approved_by_id, finance_2)

    def test_without_the_setting_the_manager_approves_their_own(self):
        self.company.q2c_co_segregation_of_duties = False
        self.order.with_user(self.pm_user).action_submit()
        self.assertFalse(self.order.with_user(self.finance_user).can_approve)
        self.order.with_user(self.pm_user).action_approve()
        self.assertEqual(self.order.state, "approved")
