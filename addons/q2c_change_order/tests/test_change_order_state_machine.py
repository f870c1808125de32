from odoo.exceptions import UserError

from ..models.q2c_change_order import STATES, TRANSITIONS
from .common import Q2cChangeOrderCase

BUTTONS = {
    "submit": "can_submit",
    "approve": "can_approve",
    "reject": "can_reject",
    "revise": "can_revise",
    "void": "can_void",
}


class TestChangeOrderStateMachine(Q2cChangeOrderCase):
    """The can_* fields and the buttons read one table: a button shows exactly when the state
    (and, for decisions, being the latest revision) lets its action through."""

    def _refused(self, order, action):
        try:
            order._check_transition(action)
        except UserError:
            return True
        return False

    def test_buttons_follow_the_table(self):
        order = self._sov_addition(1000.0)
        self.assertEqual(set(BUTTONS), set(TRANSITIONS) - {"supersede"})
        as_pm = order.with_user(self.pm_user)
        for state, _label in STATES:
            for newer in (False, True):
                order._workflow_write({"state": state, "has_newer_revision": newer})
                for action, field in BUTTONS.items():
                    with self.subTest(state=state, newer_revision=newer, action=action):
                        allowed = as_pm._transition_allowed(action)
                        self.assertEqual(self._refused(as_pm, action), not allowed)
                        self.assertEqual(as_pm[field], allowed and as_pm._user_may(action))
                        if state not in TRANSITIONS[action].sources:
                            self.assertFalse(as_pm[field])

    def test_a_decision_waits_for_the_latest_revision(self):
        order = self._sov_addition(1000.0)
        order._workflow_write({"state": "submitted", "has_newer_revision": True})
        as_pm = order.with_user(self.pm_user)
        for action in ("approve", "reject", "revise"):
            with self.subTest(action=action):
                self.assertFalse(as_pm._transition_allowed(action))
        self.assertTrue(as_pm._transition_allowed("void"))
