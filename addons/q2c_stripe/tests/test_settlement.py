import json
import time

from odoo import sql_db
from odoo.addons.q2c_base.tests.common import Q2cCase, stand_in_server
from odoo.tests import tagged

from .common import StripeCase


@tagged("post_install", "-at_install")
class TestStripeSettlement(StripeCase):
    """Stripe events through the HTTP server and the jobs settle Odoo invoices once."""

    def _usd(self):
        return self.currency.name.lower()

    def _books(self, invoice):
        """What the books hold for one invoice: its residual and state, the payments and
        refunds registered, the credit notes' total and the invoice's chargeback flag."""
        rows = self._settlements(move_id=invoice.id)
        credit_notes = rows.credit_note_id
        return {
            "residual": round(invoice.amount_residual, 2),
            "payment_state": invoice.payment_state,
            "paid": round(sum(rows.payment_id.mapped("amount")), 2),
            "refunded": round(sum(rows.refund_payment_id.mapped("amount")), 2),
            "credit_notes": round(sum(credit_notes.mapped("amount_total")), 2),
            "credit_notes_open": round(sum(credit_notes.mapped("amount_residual")), 2),
            "dispute": invoice.q2c_dispute_state,
        }

    def test_invoice_paid_by_stripe_ends_paid(self):
        """invoice.paid for 1,000.00 with q2c's reference: one payment of 1,000.00 in the
        Stripe journal, reconciled; the payment_intent.succeeded of the same payment (its
        PaymentIntent) adds nothing."""
        invoice = self._invoice(1000.0)
        paid = self._stripe_invoice_paid(invoice, 1000.0, "pi_full")
        events = self._deliver(paid, self._intent_succeeded("pi_full", 1000.0, self._usd()))
        self.assertEqual(events.mapped("state"), ["done", "done"])
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertAmount(invoice.amount_residual, 0.0)
        row = self._settlements(kind="payment")
        self.assertEqual(len(row), 1)
        self.assertEqual(row.state, "settled")
        self.assertEqual(row.payment_id.journal_id, self.bank_journal)
        self.assertAmount(row.payment_id.amount, 1000.0)

    def test_partial_payment_with_fee(self):
        """A PaymentIntent of 400.00 with a Stripe fee of 11.90 on a 1,000.00 invoice: the
        invoice is partially paid, 600.00 due; the receivable is credited 400.00, the bank
        (clearing) account debited 388.10 and the fee account 11.90 (400.00 - 11.90)."""
        invoice = self._invoice(1000.0)
        self._deliver(
            self._intent_succeeded("pi_part", 400.0, self._usd(), ref=invoice.name, fee=11.90)
        )
        self.assertEqual(invoice.payment_state, "partial")
        self.assertAmount(invoice.amount_residual, 600.0)
        payment = self._settlements(kind="payment").payment_id
        self.assertAmount(payment.amount, 388.10)
        lines = payment.move_id.line_ids
        fee_line = lines.filtered(lambda line: line.account_id == self.fee_account)
        self.assertAmount(fee_line.debit, 11.90)
        receivable = lines.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertAmount(receivable.credit, 400.0)

    def test_refund_dispute_twice_and_reversed_give_the_same_books(self):
        """Invoice 1,000.00 paid, refunded 300.00 then 500.00 in all (charge.refunded carries
        the charge's cumulative total), then disputed and the dispute lost. Forward, every
        event twice: credit notes 300.00 + 200.00 = 500.00, each paid by an outbound payment.
        The same events in reverse order on a second invoice: the refunds wait for their
        payment, the later total is booked at once (500.00), the earlier one is already
        booked, the closed dispute is not reopened by its late `created`. Both books agree."""
        forward, reverse = self._invoice(1000.0), self._invoice(1000.0)

        def events(invoice, intent):
            return [
                self._stripe_invoice_paid(invoice, 1000.0, intent),
                self._charge_refunded(intent, 300.0, self._usd()),
                self._charge_refunded(intent, 500.0, self._usd()),
                self._dispute(
                    "charge.dispute.created", intent, "needs_response", 500.0, self._usd()
                ),
                self._dispute("charge.dispute.closed", intent, "lost", 500.0, self._usd()),
            ]

        for event in events(forward, "pi_fwd"):
            self._deliver(event)
            self._deliver({**event, "id": event["id"] + "_again"})
        self._deliver(*reversed(events(reverse, "pi_rev")))
        expected = {
            "residual": 0.0,
            "payment_state": forward.payment_state,
            "paid": 1000.0,
            "refunded": 500.0,
            "credit_notes": 500.0,
            "credit_notes_open": 0.0,
            "dispute": "lost",
        }
        self.assertEqual(self._books(forward), expected)
        self.assertEqual(self._books(reverse), expected)
        self.assertIn(forward.payment_state, ("paid", "in_payment"))
        self.assertEqual(
            len(self._settlements(kind="refund", move_id=forward.id, state="settled")), 2
        )
        refunds = self._settlements(kind="refund", move_id=reverse.id)
        self.assertEqual(
            {row.external_id: row.state for row in refunds},
            {"pi_rev:refunded:50000": "settled", "pi_rev:refunded:30000": "superseded"},
        )
        # Finance had a to-do for each step of the chargeback; the lost one closed "send
        # evidence", so "collect it" is left.
        summaries = forward.activity_ids.mapped("summary")
        self.assertEqual([s for s in summaries if "Chargeback" in s], summaries)
        self.assertEqual(len(summaries), 1, summaries)
        self.assertIn("Chargeback lost", summaries[0])
        self.assertEqual(forward.activity_ids.user_id, self.finance_user)

    def test_dispute_flags_the_invoice(self):
        invoice = self._invoice(250.0)
        self._deliver(
            self._stripe_invoice_paid(invoice, 250.0, "pi_disp"),
            self._dispute(
                "charge.dispute.created", "pi_disp", "warning_needs_response", 250.0, self._usd()
            ),
        )
        self.assertEqual(invoice.q2c_dispute_state, "open")
        self.assertIn("Chargeback opened", invoice.activity_ids.summary)
        self._deliver(self._dispute("charge.dispute.closed", "pi_disp", "won", 250.0, self._usd()))
        self.assertEqual(invoice.q2c_dispute_state, "won")
        # Closed at Stripe: "send evidence" is moot (marked done, saying why).
        self.assertFalse(invoice.activity_ids.filtered(lambda a: "Chargeback opened" in a.summary))
        self.assertIn("Chargeback won", invoice.activity_ids.summary)
        done = invoice.message_ids.filtered(lambda m: "Chargeback opened" in (m.body or ""))
        self.assertIn("no evidence to send", done[:1].body)

    def test_lost_dispute_closes_the_evidence_to_do(self):
        """Disputed, then lost: the "send evidence" to-do is marked done (no evidence to
        send); one to-do remains, "collect it from the customer"."""
        invoice = self._invoice(250.0)
        self._deliver(
            self._stripe_invoice_paid(invoice, 250.0, "pi_lost"),
            self._dispute(
                "charge.dispute.created", "pi_lost", "warning_needs_response", 250.0, self._usd()
            ),
        )
        self._deliver(
            self._dispute("charge.dispute.closed", "pi_lost", "lost", 250.0, self._usd())
        )
        self.assertEqual(invoice.q2c_dispute_state, "lost")
        (todo,) = invoice.activity_ids
        self.assertIn("Chargeback lost", todo.summary)

    def test_lost_dispute_is_booked_once(self):
        """Invoice 600.00 paid by a PaymentIntent with a fee of 17.70 (clearing 582.30).
        Disputed, Stripe's withdrawal carrying its 15.00 dispute fee; closed as lost, the
        closing event delivered twice: one outbound payment of 615.00 from the Stripe
        journal, clearing 582.30 - 615.00 = -32.70, fees 17.70 + 15.00 = 32.70, and the
        customer owes the 600.00 again."""
        invoice = self._invoice(600.0)
        usd = self._usd()
        closed = self._dispute("charge.dispute.closed", "pi_lost", "lost", 600.0, usd, fee=15.0)
        self._deliver(
            self._intent_succeeded("pi_lost", 600.0, usd, ref=invoice.name, fee=17.70),
            self._dispute("charge.dispute.created", "pi_lost", "needs_response", 600.0, usd, 15.0),
            closed,
            {**closed, "id": closed["id"] + "_again"},
        )
        row = self._settlements(kind="dispute")
        booking = row.dispute_payment_id
        self.assertEqual(len(booking), 1)
        self.assertAmount(booking.amount, 615.0)
        payments = row.payment_id | booking | self._settlements(kind="payment").payment_id
        lines = payments.move_id.line_ids
        clearing = lines.filtered(
            lambda line: line.account_id == line.payment_id.outstanding_account_id
        )
        self.assertAmount(sum(clearing.mapped("balance")), -32.70)
        fees = lines.filtered(lambda line: line.account_id == self.fee_account)
        self.assertAmount(sum(fees.mapped("balance")), 32.70)
        receivable = lines.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertAmount(sum(receivable.mapped("amount_residual")), 600.0)
        self.assertEqual(invoice.q2c_dispute_state, "lost")

    def test_unmatched_payment_waits_and_is_matched_by_finance(self):
        """A PaymentIntent of 150.00 without q2c's reference pays nothing by itself: it is
        held as 'No invoice found'; Finance picks the invoice and presses Match."""
        invoice = self._invoice(150.0)
        self._deliver(self._intent_succeeded("pi_lost", 150.0, self._usd()))
        row = self._settlements(kind="payment")
        self.assertEqual((row.state, row.reason), ("to_match", "unmatched"))
        # Stripe's customer cus_acme is not bound to a partner: no customer to show.
        self.assertFalse(row.partner_id)
        self.assertEqual(invoice.payment_state, "not_paid")
        row = row.with_user(self.finance_user)
        row.move_id = invoice
        row.action_match()
        self.assertEqual(row.state, "settled")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))

    def test_held_payment_names_the_bound_customer(self):
        """Stripe's customer cus_acme is bound to the customer: a payment held for want of
        an invoice shows that customer in Payments to Match."""
        self.env["q2c.external.ref"]._bind(
            self.stripe_system, "customer", "cus_acme", self.customer
        )
        self._deliver(self._intent_succeeded("pi_who", 150.0, self._usd()))
        row = self._settlements(kind="payment", external_id="pi_who")
        self.assertEqual((row.state, row.partner_id), ("to_match", self.customer))

    def test_held_for_a_reason_never_guessed(self):
        """Overpayment (200.00 on 120.00 due), another currency, an invoice number that
        names no invoice: each held with its reason, no payment registered."""
        invoice = self._invoice(120.0)
        other = self.setup_other_currency("EUR")
        self._deliver(
            self._intent_succeeded("pi_over", 200.0, self._usd(), ref=invoice.name),
            self._intent_succeeded("pi_eur", 120.0, other.name.lower(), ref=invoice.name),
            self._intent_succeeded("pi_none", 120.0, self._usd(), ref="INV/1999/99999"),
        )
        reasons = {row.external_id: row.reason for row in self._settlements(state="to_match")}
        self.assertEqual(
            reasons, {"pi_over": "overpayment", "pi_eur": "currency", "pi_none": "unmatched"}
        )
        self.assertFalse(self._settlements().payment_id)
        self.assertEqual(invoice.payment_state, "not_paid")

    def test_held_payment_resolved_by_its_invoice_event(self):
        """payment_intent.succeeded without reference is held; the invoice.paid of the same
        PaymentIntent names the invoice: the held row settles, once."""
        invoice = self._invoice(80.0)
        self._deliver(self._intent_succeeded("pi_late", 80.0, self._usd()))
        self.assertEqual(self._settlements().state, "to_match")
        self._deliver(self._stripe_invoice_paid(invoice, 80.0, "pi_late"))
        row = self._settlements()
        self.assertEqual((len(row), row.state), (1, "settled"))
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))

    def test_failed_payment_sets_standing_and_recovery_resets_it(self):
        invoice = self._invoice(90.0)
        failed = self._event(
            "invoice.payment_failed",
            {
                "id": "in_fail",
                "object": "invoice",
                "number": "STRIPE-0009",
                "customer": "cus_acme",
                "currency": self._usd(),
                "amount_due": 9000,
                "attempt_count": 4,
                "next_payment_attempt": None,
                "metadata": {"q2c_invoice": invoice.name},
            },
        )
        self._deliver(failed)
        self.assertEqual(self.customer.q2c_standing, "payment_failed")
        # Named by the Odoo invoice and its amount, Stripe's words in parentheses.
        (todo,) = self.customer.activity_ids
        self.assertTrue(todo.summary.startswith(f"Payment failed: {invoice.name}, "), todo.summary)
        self.assertIn("90.00", todo.summary)
        self.assertTrue(
            self.customer.activity_ids.filtered(lambda a: "Payment failed" in a.summary)
        )
        # Still retried by Stripe: nothing changes yet.
        retrying = self._event(
            "invoice.payment_failed",
            {**failed["data"]["object"], "attempt_count": 1, "next_payment_attempt": 1999999999},
        )
        self._deliver(retrying)
        self.assertEqual(len(self._settlements(kind="failure")), 1)
        self._deliver(self._stripe_invoice_paid(invoice, 90.0, "pi_recover"))
        self.assertEqual(self.customer.q2c_standing, "good")
        # The failure's to-do is moot now: marked done, with the reason in its feedback.
        self.assertFalse(
            self.customer.activity_ids.filtered(lambda a: "Payment failed" in a.summary)
        )
        done = self.customer.message_ids.filtered(lambda m: "Payment failed" in (m.body or ""))
        self.assertIn("standing back to Good", done[:1].body)

    def test_signed_event_with_a_bad_object_is_dead_and_books_nothing(self):
        """Signed, so stored; but `amount_paid` is not Stripe's integer: the event is dead
        with its reason, no transaction is recorded, nothing is booked."""
        invoice = self._invoice(40.0)
        event = self._stripe_invoice_paid(invoice, 40.0, "pi_bad")
        event["data"]["object"]["amount_paid"] = "40.00"
        stored = self._deliver(event, expect="dead")
        self.assertIn("not an integer", stored.error)
        self.assertFalse(self._settlements())
        self.assertEqual(invoice.payment_state, "not_paid")

    def test_integration_user_rights_are_declared(self):
        """The Stripe system's integration user books payments and sets standings: Create
        Integration User gives it Accounting: Billing and Contact Creation."""
        groups = self.stripe_system._integration_user_groups()
        for xmlid in ("account.group_account_invoice", "base.group_partner_manager"):
            self.assertIn(self.env.ref(xmlid), groups)
        self.assertFalse(self.stripe_system._integration_user_missing_groups())

    def test_fee_read_from_stripe(self):
        """invoice.paid carries no fee: with Read Fees from Stripe, the PaymentIntent is read
        with its charge's balance transaction (fee 3.20 on 100.00): bank 96.80, fee 3.20,
        receivable 100.00. The payment_intent.succeeded of the same payment, coming after,
        reads nothing more."""
        invoice = self._invoice(100.0)
        intent = {
            "id": "pi_fee",
            "object": "payment_intent",
            "latest_charge": {
                "id": "ch_fee",
                "object": "charge",
                "balance_transaction": {"id": "txn_fee", "fee": 320, "currency": self._usd()},
            },
        }
        script = [(200, {}, json.dumps(intent).encode(), 0)]
        self.stripe_system.stripe_read_fees = True
        with stand_in_server(script) as (url, seen):
            self.stripe_system.base_url = url
            self._deliver(
                self._stripe_invoice_paid(invoice, 100.0, "pi_fee"),
                self._intent_succeeded("pi_fee", 100.0, self._usd()),
            )
        self.assertEqual(
            [r["path"] for r in seen],
            ["/v1/payment_intents/pi_fee?expand%5B%5D=latest_charge.balance_transaction"],
        )
        payment = self._settlements(kind="payment").payment_id
        self.assertAmount(payment.amount, 96.80)
        fee_line = payment.move_id.line_ids.filtered(
            lambda line: line.account_id == self.fee_account
        )
        self.assertAmount(fee_line.debit, 3.20)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))

    def _failed_late(self, invoice, intent, created):
        return self._event(
            "invoice.payment_failed",
            {
                "id": f"in_{intent}",
                "object": "invoice",
                "customer": "cus_acme",
                "currency": self._usd(),
                "amount_due": round(invoice.amount_total * 100),
                "attempt_count": 4,
                "next_payment_attempt": None,
                "metadata": {"q2c_invoice": invoice.name},
            },
            created=created,
        )

    def _failure_todos(self):
        return self.customer.activity_ids.filtered(lambda a: "Payment failed" in a.summary)

    def test_failure_older_than_the_payment_changes_nothing(self):
        """Stripe invoice in_pi_late: invoice.paid made at T+20 (75.00), then its
        payment_failed made at T+15 (an earlier attempt) handled after it: the failure is
        Already Booked, no "Payment failed" to-do, the customer stays Good. In the other
        order (failure first, then the payment) the customer ends Good too."""
        t = int(time.time())
        invoice = self._invoice(75.0)
        paid = self._stripe_invoice_paid(invoice, 75.0, "pi_late")
        paid["created"] = t + 20
        self._deliver(paid, self._failed_late(invoice, "pi_late", t + 15))
        failure = self._settlements(kind="failure")
        self.assertEqual(failure.state, "superseded")
        self.assertEqual(self.customer.q2c_standing, "good")
        self.assertFalse(self._failure_todos())
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        # The other order.
        other = self._invoice(75.0)
        paid = self._stripe_invoice_paid(other, 75.0, "pi_order")
        paid["created"] = t + 20
        self._deliver(self._failed_late(other, "pi_order", t + 15), paid)
        self.assertEqual(self.customer.q2c_standing, "good")

    def test_events_of_one_stripe_object_wait_for_each_other(self):
        """Another worker handles Stripe invoice in_pi_busy (it holds the object's lock, on
        its own connection): the payment_failed of the same invoice is not handled but
        retried later (no failure recorded, standing Good); once that worker is done, the
        retry handles it."""
        invoice = self._invoice(30.0)
        failed = self._failed_late(invoice, "pi_busy", int(time.time()))
        key = f"q2c_stripe:{self.stripe_system.id}:in_pi_busy"
        other = sql_db.db_connect(self.env.cr.dbname).cursor()
        try:
            other.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])
            stored = self._deliver(failed, expect="failed")
            self.assertIn("being handled", stored.error)
            self.assertFalse(self._settlements(kind="failure"))
            self.assertEqual(self.customer.q2c_standing, "good")
        finally:
            other.rollback()
            other.close()
        Q2cCase._perform_job(self, stored.job_uuid)
        self.assertEqual(stored.state, "done", stored.error)
        self.assertEqual(self._settlements(kind="failure").state, "settled")
        self.assertEqual(self.customer.q2c_standing, "payment_failed")
