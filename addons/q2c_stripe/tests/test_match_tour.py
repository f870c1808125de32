from odoo.tests import tagged

from .common import StripeCase


@tagged("post_install", "-at_install")
class TestPaymentMatchTour(StripeCase):
    """Finance's path in the browser: a Stripe payment without q2c's reference waits in
    Payments to Match; Finance chooses the invoice and presses Match; the invoice is paid."""

    def test_finance_matches_a_held_payment(self):
        self.finance_user.password = "q2c_bill_finance"
        invoice = self._invoice(75.0)
        self._deliver(self._intent_succeeded("pi_tour", 75.0, self.currency.name.lower()))
        row = self._settlements(external_id="pi_tour")
        self.assertEqual((row.state, row.reason), ("to_match", "unmatched"))
        self.start_tour(
            "/odoo/action-q2c_payment.action_q2c_payments_to_match",
            "q2c_payment_match",
            login="q2c_bill_finance",
        )
        self.env.invalidate_all()
        self.assertEqual(row.state, "settled")
        self.assertEqual(row.move_id, invoice)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
