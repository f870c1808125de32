from odoo.tests import tagged

from .common import CrmCase


@tagged("post_install", "-at_install")
class TestAmountChanges(CrmCase):
    """Later amounts of a provisioned deal: one live proposal, revised, voided, never an
    overwrite; decided proposals are left alone."""

    def setUp(self):
        super().setUp()
        self.system.crm_contract_state = "active"
        self.sent = 0

    def _amount(self, amount):
        self.sent += 1
        deal = self._deal(billing_model="time_and_materials", amount=amount)
        event = self._send(f"amt-{self.sent}", deal)
        self.assertEqual(event.state, "done", event.error)
        return event

    def _orders(self, contract):
        return self.env["q2c.change.order"].search(
            [("contract_id", "=", contract.id)], order="number, revision"
        )

    def _live(self, contract):
        return self._orders(contract).filtered(
            lambda o: o.state in ("draft", "submitted") and not o.has_newer_revision
        )

    def _approve(self, order):
        order.sudo().action_submit()
        while order.state == "submitted":
            order.sudo().action_approve()

    def _assert_amount(self, order, amount):
        self.assertFalse(
            order.currency_id.compare_amounts(order.amount_total, amount),
            f"{order.display_name}: {order.amount_total} != {amount}",
        )

    def test_newer_amounts_supersede_the_pending_proposal(self):
        self._amount("30000")
        contract = self._contract()
        self.assertEqual(contract.state, "active")
        self.assertFalse(self._orders(contract))
        # A first change: a draft proposal for the difference.
        self._amount("32000")
        first = self._orders(contract)
        self.assertEqual((first.state, first.revision), ("draft", 0))
        self._assert_amount(first, 2000)
        self.assertEqual((first.crm_system_id, first.crm_deal_id), (self.system, "D-1"))
        # A second change before any decision: a new revision supersedes the draft.
        self._amount("35000")
        rev0, rev1 = self._orders(contract)
        self.assertEqual((rev0.state, rev0.superseded_by_id), ("superseded", rev1))
        self.assertEqual((rev1.number, rev1.revision, rev1.state), (rev0.number, 1, "draft"))
        self._assert_amount(rev1, 5000)
        self._assert_amount(rev0, 2000)
        self.assertEqual(self._live(contract), rev1)
        # The same amount again (a replay, another property changed): nothing new.
        self._amount("35000")
        self.assertEqual(len(self._orders(contract)), 2)
        # Submitted for approval, then the CRM changes again: revised and submitted again.
        rev1.sudo().action_submit()
        self._amount("36000.50")
        rev2 = self._live(contract)
        self.assertEqual((rev2.revision, rev2.state), (2, "submitted"))
        self._assert_amount(rev2, 6000.50)
        self.assertEqual((rev1.state, rev1.superseded_by_id), ("superseded", rev2))
        self.assertEqual(
            len(self._orders(contract).filtered(lambda o: o.state in ("draft", "submitted"))), 1
        )
        # Back to the contract value: the pending proposal is voided, with the reason.
        self._amount("30000")
        self.assertEqual(rev2.state, "void")
        self.assertIn("back to the contract value", rev2.decision_reason)
        self.assertFalse(self._live(contract))
        self._amount("30000")
        self.assertEqual(len(self._orders(contract)), 3)
        # The contract value itself never moved.
        self.assertFalse(contract.currency_id.compare_amounts(contract.current_value, 30000))
        self.assertFalse(contract.currency_id.compare_amounts(contract.crm_amount, 30000))

    def test_decided_proposals_are_left_alone(self):
        self._amount("30000")
        contract = self._contract()
        self._amount("31000")
        approved = self._live(contract)
        self._approve(approved)
        self.assertEqual(approved.state, "approved")
        self.assertFalse(contract.currency_id.compare_amounts(contract.current_value, 31000))
        # The CRM says what the contract now says: nothing to propose.
        self._amount("31000")
        self.assertEqual(self._orders(contract), approved)
        # A new amount: a new change order for the difference to the current value; the
        # approved one is not touched.
        self._amount("33000")
        rejected = self._live(contract)
        self.assertNotEqual(rejected.number, approved.number)
        self._assert_amount(rejected, 2000)
        self.assertEqual(approved.state, "approved")
        rejected.sudo().action_submit()
        rejected.sudo().action_reject(reason="the customer has not signed")
        # The same amount again after a rejection: not proposed again.
        self._amount("33000")
        self.assertEqual(len(self._orders(contract)), 2)
        # Another amount: a new proposal.
        self._amount("34000")
        newest = self._live(contract)
        self.assertEqual(len(self._orders(contract)), 3)
        self.assertEqual(newest.revision, 0)
        self._assert_amount(newest, 3000)
        self.assertEqual(rejected.state, "rejected")
