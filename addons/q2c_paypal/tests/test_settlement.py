from odoo.tests import tagged

from .common import PayPalCase


@tagged("post_install", "-at_install")
class TestPayPalSettlement(PayPalCase):
    """PayPal events through the HTTP server and the jobs settle Odoo invoices once."""

    def _paid(self, invoice):
        return invoice.payment_state in ("paid", "in_payment")

    def test_capture_settles_the_invoice_with_its_fee(self):
        """saas-specs 4.2's capture on an invoice of 119.00: gross 119.00, PayPal's fee 4.09.
        Payment 114.91 in the PayPal journal (bank 114.91 debit), fee line 4.09 debit on the
        Gateway Fee Account, receivable 119.00 credit (114.91 + 4.09 = 119.00); the invoice
        is paid. The same event delivered twice, and PayPal's resend under a new event id,
        book nothing more."""
        invoice = self._invoice(119.0)
        event = self._capture_completed("42311647XV020574X", 119.0, 4.09, invoice.name)
        self._deliver(event)
        self.assertEqual(self._post_paypal(event).json()["events"][0]["duplicate"], True)
        self._deliver({**event, "id": event["id"] + "-RESENT"})
        row = self._settlements(kind="payment")
        self.assertEqual((len(row), row.state), (1, "settled"))
        self.assertTrue(self._paid(invoice))
        self.assertAmount(invoice.amount_residual, 0.0)
        payment = row.payment_id
        self.assertEqual(payment.journal_id, self.bank_journal)
        self.assertAmount(payment.amount, 114.91)
        lines = payment.move_id.line_ids
        fee = lines.filtered(lambda line: line.account_id == self.fee_account)
        receivable = lines.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        bank = lines - fee - receivable
        self.assertAmount(fee.debit, 4.09)
        self.assertAmount(receivable.credit, 119.0)
        self.assertAmount(bank.debit, 114.91)
        self.assertEqual(len(lines), 3)
        payments = self.env["account.payment"].search([("journal_id", "=", self.bank_journal.id)])
        self.assertEqual(payments, payment)

    def test_custom_id_is_the_second_reference(self):
        """No invoice_id, the Odoo number in custom_id: the capture still finds it."""
        invoice = self._invoice(50.0)
        self._deliver(self._capture_completed("CAPCUSTOM", 50.0, custom_id=invoice.name))
        self.assertTrue(self._paid(invoice))

    def test_refunds_and_dispute_forward_twice_and_reversed(self):
        """Invoice 1,000.00 captured, refunded 300.00 then 200.00 more (total 500.00), a
        dispute opened and resolved in the buyer's favour. Forward with every event twice:
        credit notes 300.00 + 200.00, each paid by an outbound payment, dispute lost. The
        same events in reverse order on a second invoice: the refunds wait for their
        capture, the 500.00 total is booked at once, the 300.00 total is already booked,
        the resolved dispute is not reopened by its late creation. Same books."""
        forward, reverse = self._invoice(1000.0), self._invoice(1000.0)

        def events(invoice, capture):
            return [
                self._capture_completed(capture, 1000.0, 29.30, invoice.name),
                self._refunded(capture, f"R1{capture}", 300.0, 300.0),
                self._refunded(capture, f"R2{capture}", 200.0, 500.0),
                self._dispute("CUSTOMER.DISPUTE.CREATED", capture, f"PP-D-{capture}", 500.0),
                self._dispute(
                    "CUSTOMER.DISPUTE.RESOLVED",
                    capture,
                    f"PP-D-{capture}",
                    500.0,
                    status="RESOLVED",
                    outcome="RESOLVED_BUYER_FAVOUR",
                ),
            ]

        for event in events(forward, "CAPFWD"):
            self._deliver(event)
            self._deliver({**event, "id": event["id"] + "-AGAIN"})
        self._deliver(*reversed(events(reverse, "CAPREV")))
        for invoice in (forward, reverse):
            rows = self._settlements(move_id=invoice.id)
            with self.subTest(invoice.name):
                self.assertTrue(self._paid(invoice))
                self.assertAmount(sum(rows.payment_id.mapped("amount")), 970.70)
                self.assertAmount(sum(rows.credit_note_id.mapped("amount_total")), 500.0)
                self.assertAmount(sum(rows.refund_payment_id.mapped("amount")), 500.0)
                self.assertAmount(sum(rows.credit_note_id.mapped("amount_residual")), 0.0)
                self.assertEqual(invoice.q2c_dispute_state, "lost")
        self.assertEqual(
            {r.external_id: r.state for r in self._settlements(kind="refund", move_id=reverse.id)},
            {"CAPREV:refunded:500.00": "settled", "CAPREV:refunded:300.00": "superseded"},
        )

    def test_reversal_takes_back_the_rest_of_the_capture(self):
        """200.00 captured, 50.00 refunded, then PayPal reverses the capture (the resource
        is the capture itself, no refunded total): the reversal books the 150.00 left, so
        the credit notes total the 200.00 captured."""
        invoice = self._invoice(200.0)
        self._deliver(
            self._capture_completed("CAPRVS", 200.0, None, invoice.name),
            self._refunded("CAPRVS", "R-RVS", 50.0, 50.0),
            self._event(
                "PAYMENT.CAPTURE.REVERSED",
                {"id": "CAPRVS", "status": "REVERSED", "amount": self._money(200.0)},
                "capture",
            ),
        )
        credit_notes = self._settlements(kind="refund").credit_note_id
        self.assertEqual(sorted(credit_notes.mapped("amount_total")), [50.0, 150.0])

    def test_unknown_invoice_held_in_payments_to_match(self):
        """A capture naming no Odoo invoice waits as 'No invoice found'; Finance chooses
        the invoice and presses Match: paid, with the fee."""
        invoice = self._invoice(80.0)
        self._deliver(self._capture_completed("CAPLOST", 80.0, 2.62, "INV/1999/99999"))
        row = self._settlements(kind="payment")
        self.assertEqual((row.state, row.reason), ("to_match", "unmatched"))
        self.assertFalse(row.payment_id)
        self.assertEqual(invoice.payment_state, "not_paid")
        row = row.with_user(self.finance_user)
        row.move_id = invoice
        row.action_match()
        self.assertEqual(row.state, "settled")
        self.assertTrue(self._paid(invoice))
        self.assertAmount(row.payment_id.amount, 77.38)

    def test_denied_capture_sets_standing_and_payment_resets_it(self):
        invoice = self._invoice(90.0)
        denied = self._event(
            "PAYMENT.CAPTURE.DENIED",
            {**self._capture("CAPDENY", 90.0, invoice_id=invoice.name), "status": "DECLINED"},
            "capture",
        )
        self._deliver(denied)
        self.assertEqual(self.customer.q2c_standing, "payment_failed")
        self._deliver(self._capture_completed("CAPOK", 90.0, None, invoice.name))
        self.assertEqual(self.customer.q2c_standing, "good")

    def _invoice_paid_event(self, pp_id, capture_id, amount, nested=False):
        """INVOICING.INVOICE.PAID of PayPal invoice `pp_id` paid by one PayPal capture:
        the invoice directly in `resource` (PayPal's current Invoicing notifications), or
        nested under `resource.invoice` (`nested`, the older v1-era shape)."""
        pp_invoice = {
            "id": pp_id,
            "status": "PAID",
            "detail": {"invoice_number": f"PP-{pp_id}", "currency_code": self.currency.name},
            "payments": {
                "paid_amount": self._money(amount),
                "transactions": [
                    {
                        "payment_id": capture_id,
                        "method": "PAYPAL",
                        "payment_date": "2026-12-01",
                        "amount": self._money(amount),
                    }
                ],
            },
        }
        resource = {"invoice": pp_invoice} if nested else pp_invoice
        return self._event("INVOICING.INVOICE.PAID", resource, "invoices")

    def test_paid_paypal_invoice_reads_the_fee_once(self):
        """INVOICING.INVOICE.PAID of a published invoice (bound to the Odoo invoice; its
        number on PayPal differs here) carries no fee: the capture is read once from PayPal
        (fee 3.20 on 100.00: bank 96.80); the capture's own event after it adds nothing."""
        invoice = self._invoice(100.0)
        self.env["q2c.external.ref"]._bind(self.paypal, "invoice", "INV2-PAID-0001", invoice)
        self.stand_in.captures["CAPINV"] = self._capture("CAPINV", 100.0, 3.20)
        paid = self._invoice_paid_event("INV2-PAID-0001", "CAPINV", 100.0)
        self._deliver(paid, self._capture_completed("CAPINV", 100.0, 3.20, invoice.name))
        self.assertEqual(len(self._seen("GET", "/v2/payments/captures/CAPINV")), 1)
        row = self._settlements(kind="payment")
        self.assertEqual((len(row), row.state), (1, "settled"))
        self.assertAmount(row.payment_id.amount, 96.80)
        self.assertTrue(self._paid(invoice))

    def test_paid_paypal_invoice_nested_under_resource_invoice(self):
        """The older (v1-era) INVOICING.INVOICE.PAID nests the invoice under
        `resource.invoice`: delivered signed through the HTTP server and its job, it books
        the same as the current shape (capture read for its fee 2.30 on 80.00: the payment
        of 80.00 puts 77.70 in the bank, the invoice is paid), not a dead event."""
        invoice = self._invoice(80.0)
        self.env["q2c.external.ref"]._bind(self.paypal, "invoice", "INV2-NEST-0001", invoice)
        self.stand_in.captures["CAPNEST"] = self._capture("CAPNEST", 80.0, 2.30)
        stored = self._deliver(self._invoice_paid_event("INV2-NEST-0001", "CAPNEST", 80.0, True))
        self.assertEqual(stored.state, "done")
        row = self._settlements(kind="payment")
        self.assertEqual((len(row), row.state, row.external_id), (1, "settled", "CAPNEST"))
        self.assertAmount(row.payment_id.amount, 77.70)
        self.assertTrue(self._paid(invoice))

    def test_signed_event_with_a_bad_resource_is_dead(self):
        """Signed, so stored; but the amount is a number, not PayPal's decimal string: the
        event is dead with its reason, nothing is recorded or booked."""
        invoice = self._invoice(40.0)
        event = self._capture_completed("CAPBAD", 40.0, None, invoice.name)
        event["resource"]["amount"]["value"] = 40.0
        stored = self._deliver(event, expect="dead")
        self.assertIn("not a decimal string", stored.error)
        self.assertFalse(self._settlements())
        self.assertEqual(invoice.payment_state, "not_paid")
