import time

from odoo.tests import tagged

from .common import ChargebeeCase


@tagged("post_install", "-at_install")
class TestSubscriptionTour(ChargebeeCase):
    """Finance's path in the browser: a Chargebee subscription is cancelled while its invoice
    is unpaid; Finance finds it under Subscriptions, sees it cancelled and its invoice still
    due, and opens the invoice. The cancellation closed nothing."""

    def test_finance_reads_a_cancelled_subscription(self):
        self.finance_user.password = "q2c_bill_finance"
        customer = self._customer_obj()
        subscription = self._subscription_obj()
        invoice = self._invoice_obj()
        cancelled = {**subscription, "status": "cancelled", "cancelled_at": int(time.time())}
        self._deliver(
            self._sub_event("subscription_created", subscription, customer),
            self._event("invoice_generated", {"invoice": invoice}),
            self._sub_event("subscription_cancelled", cancelled, customer),
        )
        self.start_tour(
            "/odoo/action-q2c_payment.action_q2c_subscription",
            "q2c_subscription_cancelled",
            login="q2c_bill_finance",
        )
        self.env.invalidate_all()
        move = self._mirrored("invoice", "1042")
        self.assertEqual(move.payment_state, "not_paid")
        self.assertAmount(move.amount_residual, 100.0)
        self.assertEqual(self._mirrored("subscription", "sub_1").status, "cancelled")
