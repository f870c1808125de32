import time

from odoo.tests import tagged

from .common import StripeCase
from .stripe_api import stripe_stand_in


@tagged("post_install", "-at_install")
class TestStripeReread(StripeCase):
    """Events delivered out of order (docs/saas-specs.md 1.4, 1.5): for invoice.*,
    charge.refunded and charge.dispute.*, an event older than one already applied to the
    same object is applied as the object's newest state, read from Stripe's API; through
    the HTTP controller and the jobs."""

    def setUp(self):
        super().setUp()
        self.stripe_system.stripe_reread = "stale"

    def _usd(self):
        return self.currency.name.lower()

    def _books(self, invoice):
        rows = self._settlements(move_id=invoice.id)
        return {
            "residual": round(invoice.amount_residual, 2),
            "paid": round(sum(rows.payment_id.mapped("amount")), 2),
            "refunded": round(sum(rows.refund_payment_id.mapped("amount")), 2),
            "credit_notes": round(sum(rows.credit_note_id.mapped("amount_total")), 2),
            "dispute": invoice.q2c_dispute_state,
            "standing": invoice.partner_id.q2c_standing,
        }

    def _failed(self, paid_event, created):
        """invoice.payment_failed of the same Stripe invoice (its last attempt), made
        before the payment: the invoice was still open."""
        obj = {
            **paid_event["data"]["object"],
            "status": "open",
            "amount_due": paid_event["data"]["object"]["amount_paid"],
            "attempt_count": 4,
            "next_payment_attempt": None,
        }
        return self._event("invoice.payment_failed", obj, created=created)

    def test_late_failure_of_a_paid_invoice_changes_nothing(self):
        """invoice.paid (made at t) is applied, then the invoice's last failed attempt
        (made at t - 100) arrives: older than what was applied, so the invoice is read
        again; it is paid, so the event is its payment, already booked: no failure, the
        customer stays in good standing. The same pair with the re-read turned off leaves
        the customer Good too: the failure of a Stripe invoice already paid by a booked
        payment is Already Booked."""
        now = int(time.time())
        invoice = self._invoice(90.0)
        paid = self._stripe_invoice_paid(invoice, 90.0, "pi_late_fail")
        paid["created"] = now
        with stripe_stand_in(self.stripe_system) as stripe:
            stripe.objects[paid["data"]["object"]["id"]] = paid["data"]["object"]
            self._deliver(paid, self._failed(paid, now - 100))
        self.assertEqual(
            [r["path"] for r in stripe.requests], [f"/v1/invoices/{paid['data']['object']['id']}"]
        )
        self.assertEqual(self._books(invoice)["standing"], "good")
        self.assertFalse(self._settlements(kind="failure"))
        self.assertEqual(len(self._settlements(kind="payment")), 1)

        self.stripe_system.stripe_reread = "never"
        self.customer.q2c_standing = "good"
        other = self._invoice(90.0)
        paid = self._stripe_invoice_paid(other, 90.0, "pi_late_fail_2")
        self._deliver(paid, self._failed(paid, now - 100))
        self.assertEqual(self.customer.q2c_standing, "good")
        self.assertEqual(self._settlements(kind="failure").state, "superseded")

    def test_paid_before_finalized_gives_the_same_books(self):
        """invoice.finalized then invoice.paid on one invoice; invoice.paid then the older
        invoice.finalized on another: the late finalized is read again (paid) and books
        nothing more. Both invoices end paid once; only the late event read Stripe."""
        now = int(time.time())
        books = []
        with stripe_stand_in(self.stripe_system) as stripe:
            for intent, reverse in (("pi_in_order", False), ("pi_out_of_order", True)):
                invoice = self._invoice(500.0)
                paid = self._stripe_invoice_paid(invoice, 500.0, intent)
                paid["created"] = now
                finalized = self._event(
                    "invoice.finalized",
                    {**paid["data"]["object"], "status": "open", "amount_paid": 0},
                    created=now - 60,
                )
                stripe.objects[paid["data"]["object"]["id"]] = paid["data"]["object"]
                self._deliver(*((paid, finalized) if reverse else (finalized, paid)))
                books.append(self._books(invoice))
        self.assertEqual(books[0], books[1])
        self.assertEqual(books[0]["residual"], 0.0)
        self.assertEqual(books[0]["paid"], 500.0)
        self.assertEqual([r["path"] for r in stripe.requests], ["/v1/invoices/in_pi_out_of_order"])

    def test_refund_before_payment_read_always(self):
        """Read the Newest State: Always. charge.refunded saying 300.00 refunded arrives
        before the payment; Stripe's charge says 500.00 now: the refund waits for the
        payment and is booked as 500.00 once the invoice.paid comes. The same events in
        order on another invoice, the charge read as 500.00 each time: the same books."""
        self.stripe_system.stripe_reread = "always"
        books = []
        with stripe_stand_in(self.stripe_system) as stripe:
            for intent, reverse in (("pi_rf_order", False), ("pi_rf_reverse", True)):
                invoice = self._invoice(1000.0)
                paid = self._stripe_invoice_paid(invoice, 1000.0, intent)
                refunded = self._charge_refunded(intent, 300.0, self._usd())
                stripe.objects[paid["data"]["object"]["id"]] = paid["data"]["object"]
                stripe.objects[f"ch_{intent}"] = {
                    **refunded["data"]["object"],
                    "amount_refunded": 50000,
                }
                self._deliver(*((refunded, paid) if reverse else (paid, refunded)))
                books.append(self._books(invoice))
        self.assertEqual(books[0], books[1])
        self.assertEqual((books[0]["paid"], books[0]["refunded"]), (1000.0, 500.0))
        self.assertEqual(books[0]["credit_notes"], 500.0)
        self.assertIn("/v1/charges/ch_pi_rf_reverse", [r["path"] for r in stripe.requests])
