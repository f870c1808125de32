from odoo import Command
from odoo.exceptions import UserError

from ..models.q2c_contract import STATES, TRANSITIONS
from ..models.q2c_contract_milestone import ACCEPTANCE_STATES
from ..models.q2c_contract_milestone import TRANSITIONS as MILESTONE_TRANSITIONS
from .common import Q2cContractCase

CONTRACT_BUTTONS = {
    "activate": "can_activate",
    "hold": "can_hold",
    "resume": "can_resume",
    "close": "can_close",
    "reset_to_draft": "can_reset_to_draft",
}
MILESTONE_BUTTONS = {"submit": "can_submit", "accept": "can_accept", "reject": "can_reject"}


class TestStateMachine(Q2cContractCase):
    """A button is shown exactly when its action would not be refused for the state."""

    def _refused(self, record, action):
        try:
            record._check_transition(action)
        except UserError:
            return True
        return False

    def test_contract_buttons_follow_the_table(self):
        contract = self._create_contract(original_value=1000.0)
        self.assertEqual(set(CONTRACT_BUTTONS), set(TRANSITIONS))
        as_finance = contract.with_user(self.finance_user)
        for state, _label in STATES:
            contract.write({"state": state})
            for action, field in CONTRACT_BUTTONS.items():
                with self.subTest(state=state, action=action):
                    allowed = state in TRANSITIONS[action].sources
                    self.assertEqual(as_finance[field], allowed)
                    self.assertEqual(self._refused(as_finance, action), not allowed)

    def test_contract_buttons_need_the_group(self):
        contract = self._create_contract(original_value=1000.0)
        as_pm = contract.with_user(self.pm_user)
        self.assertFalse(as_pm.can_activate)
        contract.write({"state": "active"})
        self.assertTrue(as_pm.can_hold)
        self.assertFalse(as_pm.can_close)

    def test_milestone_buttons_follow_the_table(self):
        contract = self._create_contract(
            billing_model="fixed_fee",
            original_value=1000.0,
            milestone_ids=[Command.create({"name": "Design", "percent": 100.0})],
        )
        milestone = contract.milestone_ids
        # Internal steps, no button: the deemed acceptance (cron, billing), billing's records.
        internal = {"deem_accepted", "bill", "unbill"}
        self.assertEqual(set(MILESTONE_BUTTONS), set(MILESTONE_TRANSITIONS) - internal)
        for state, _label in ACCEPTANCE_STATES:
            milestone.write({"state": state})
            for action, field in MILESTONE_BUTTONS.items():
                with self.subTest(state=state, action=action):
                    allowed = state in MILESTONE_TRANSITIONS[action].sources
                    self.assertEqual(milestone[field], allowed)
                    self.assertEqual(self._refused(milestone, action), not allowed)
