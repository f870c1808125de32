import time

from odoo.addons.q2c_base.tests.common import Q2cCase
from odoo.tests import tagged

from .common import StripeCase
from .stripe_api import stripe_stand_in


@tagged("post_install", "-at_install")
class TestStripeEndToEnd(StripeCase):
    """Set-up a from end to end, through Odoo's HTTP server and the jobs, with signatures
    made by the `stripe` package: an Odoo invoice posted is published to (a stand-in of)
    Stripe, paid there (invoice.paid), partially refunded (charge.refunded) and disputed
    (charge.dispute.created)."""

    def _usd(self):
        return self.currency.name.lower()

    def _books(self, invoice):
        rows = self._settlements(move_id=invoice.id)
        return {
            "payment_state": invoice.payment_state,
            "residual": round(invoice.amount_residual, 2),
            "paid": round(sum(rows.payment_id.mapped("amount")), 2),
            "refunded": round(sum(rows.refund_payment_id.mapped("amount")), 2),
            "credit_notes": round(sum(rows.credit_note_id.mapped("amount_total")), 2),
            "credit_notes_open": round(sum(rows.credit_note_id.mapped("amount_residual")), 2),
            "dispute": invoice.q2c_dispute_state,
            "standing": invoice.partner_id.q2c_standing,
        }

    def _published(self, stripe, amount):
        invoice = self._invoice(amount)
        Q2cCase._perform_job(self, invoice.q2c_publication_job_uuid)
        self.env.invalidate_all()
        self.assertEqual(invoice.q2c_publication_state, "published")
        return invoice, stripe.objects[invoice.q2c_publication_external_id]

    def _gateway_events(self, stripe_invoice, intent, amount):
        """What Stripe sends for its invoice paid by card (the invoice as Stripe holds it,
        with q2c's metadata, no Stripe number: a payment found by the binding), a refund
        of 300.00 and a chargeback of the remaining 700.00."""
        now = int(time.time())
        paid_invoice = {
            **stripe_invoice,
            "status": "paid",
            "amount_paid": stripe_invoice["total"],
            "number": None,
            "payments": {
                "data": [{"payment": {"type": "payment_intent", "payment_intent": intent}}]
            },
            "status_transitions": {"paid_at": now},
        }
        return [
            self._event("invoice.paid", paid_invoice, created=now),
            self._event(
                "charge.refunded",
                self._charge_refunded(intent, 300.0, self._usd())["data"]["object"],
                created=now + 10,
            ),
            self._event(
                "charge.dispute.created",
                self._dispute(
                    "charge.dispute.created", intent, "needs_response", 700.0, self._usd()
                )["data"]["object"],
                created=now + 20,
            ),
        ]

    def test_published_paid_refunded_disputed_twice_and_reversed(self):
        """Invoice 1,000.00 published and paid through Stripe, refunded 300.00, disputed:
        one payment of 1,000.00, one credit note of 300.00 paid back by a refund payment,
        the invoice flagged Disputed, the customer in good standing. Each event delivered
        twice on one invoice, and all of them in reverse order on a second one: the same
        books."""
        self.stripe_system.payment_publish_invoices = True
        self.stripe_system.stripe_reread = "stale"
        self.stripe_system.payment_activity_user_id = self.finance_user
        with stripe_stand_in(self.stripe_system) as stripe:
            forward, stripe_forward = self._published(stripe, 1000.0)
            reverse, stripe_reverse = self._published(stripe, 1000.0)
            for event in self._gateway_events(stripe_forward, "pi_e2e_fwd", 1000.0):
                stripe.objects[event["data"]["object"]["id"]] = event["data"]["object"]
                self._deliver(event)
                self._deliver({**event, "id": event["id"] + "_again"})
            events = self._gateway_events(stripe_reverse, "pi_e2e_rev", 1000.0)
            for event in events:
                stripe.objects[event["data"]["object"]["id"]] = event["data"]["object"]
            self._deliver(*reversed(events))
        expected = {
            "payment_state": forward.payment_state,
            "residual": 0.0,
            "paid": 1000.0,
            "refunded": 300.0,
            "credit_notes": 300.0,
            "credit_notes_open": 0.0,
            "dispute": "open",
            "standing": "good",
        }
        self.assertIn(forward.payment_state, ("paid", "in_payment"))
        self.assertEqual(self._books(forward), expected)
        self.assertEqual(self._books(reverse), expected)
        for invoice in (forward, reverse):
            payment = self._settlements(kind="payment", move_id=invoice.id)
            self.assertEqual(len(payment), 1)
            self.assertEqual(payment.gateway_invoice_id, invoice.q2c_publication_external_id)
            self.assertEqual(
                len(self._settlements(kind="refund", move_id=invoice.id, state="settled")), 1
            )
