from odoo.addons.q2c_stripe import mapping
from odoo.tests import BaseCase, tagged


@tagged("post_install", "-at_install")
class TestStripeMapping(BaseCase):
    """Stripe objects to neutral transactions, without a database."""

    def test_invoice_payment_key_in_both_shapes(self):
        """The current shape names the PaymentIntent in `payments`, the older one on the
        invoice itself; both give the key `payment_intent.succeeded` gives."""
        current = {"id": "in_1", "payments": {"data": [{"payment": {"payment_intent": "pi_1"}}]}}
        older = {"id": "in_1", "payment_intent": "pi_1", "charge": "ch_1"}
        expanded = {"id": "in_1", "payment_intent": {"id": "pi_1", "object": "payment_intent"}}
        for invoice in (current, older, expanded):
            self.assertEqual(mapping.invoice_payment_key(invoice), "pi_1")
        self.assertEqual(mapping.invoice_payment_key({"id": "in_2"}), "in_2")

    def test_amounts_in_the_currency_units(self):
        """11900 cents are 119.00 EUR; 500 JPY are 500 yen; 1500 of BHD are 1.500 dinars."""
        self.assertEqual(mapping.major(11900, "eur"), 119.0)
        self.assertEqual(mapping.major(500, "jpy"), 500.0)
        self.assertEqual(mapping.major(1500, "bhd"), 1.5)
        with self.assertRaises(mapping.StripeShapeError):
            mapping.major("119.00", "eur")

    def test_refund_key_is_the_cumulative_total(self):
        event = {
            "type": "charge.refunded",
            "created": 1731500000,
            "data": {
                "object": {
                    "id": "ch_1",
                    "amount_refunded": 3000,
                    "currency": "eur",
                    "payment_intent": "pi_1",
                }
            },
        }
        tx = mapping.transaction(event)
        self.assertEqual(tx["external_id"], "pi_1:refunded:3000")
        self.assertEqual(tx["payment_external_id"], "pi_1")
        self.assertEqual(tx["amount"], 30.0)

    def test_failure_waits_for_the_last_retry(self):
        invoice = {
            "id": "in_9",
            "number": "N-9",
            "currency": "eur",
            "amount_due": 1000,
            "attempt_count": 1,
            "next_payment_attempt": 1731600000,
        }
        event = {"type": "invoice.payment_failed", "data": {"object": invoice}}
        self.assertIsNone(mapping.transaction(event))
        self.assertEqual(mapping.transaction(event, final_only=False)["kind"], "failure")
        last = {**event, "data": {"object": {**invoice, "next_payment_attempt": None}}}
        self.assertEqual(mapping.transaction(last)["external_id"], "in_9:attempt:1")

    def test_dispute_status(self):
        obj = {"id": "dp_1", "amount": 100, "currency": "usd", "payment_intent": "pi_1"}
        for status, expected in (("needs_response", "open"), ("won", "won"), ("lost", "lost")):
            event = {
                "type": "charge.dispute.closed",
                "data": {"object": {**obj, "status": status}},
            }
            self.assertEqual(mapping.transaction(event)["dispute_status"], expected)

    def test_dispute_fee_from_its_balance_transactions(self):
        """Lost: the withdrawal of -100.00 with a fee of 15.00 gives a fee of 15.00; won with
        the fee returned (-15.00 on the reinstatement) nets 0.00; none listed, no fee."""
        withdrawal = {"id": "txn_1", "amount": -10000, "fee": 1500}
        cases = (
            ([withdrawal], 15.0),
            ([withdrawal, {"id": "txn_2", "amount": 10000, "fee": -1500}], 0.0),
            ([], None),
        )
        for transactions, expected in cases:
            obj = {"id": "dp_2", "amount": 10000, "currency": "usd", "status": "lost"}
            event = {
                "type": "charge.dispute.closed",
                "data": {"object": {**obj, "balance_transactions": transactions}},
            }
            with self.subTest(expected=expected):
                self.assertEqual(mapping.transaction(event)["fee"], expected)

    def test_object_without_id_is_a_shape_error(self):
        with self.assertRaises(mapping.StripeShapeError):
            mapping.transaction({"type": "invoice.paid", "data": {"object": {"number": "x"}}})

    def test_intent_failure_only_with_q2c_reference(self):
        """An invoice's own PaymentIntent fails with its invoice (`invoice.payment_failed`);
        only a PaymentIntent q2c created (its reference in the metadata) counts by itself."""
        intent = {
            "id": "pi_7",
            "amount": 5000,
            "currency": "usd",
            "last_payment_error": {"charge": "ch_7", "message": "Your card was declined."},
        }
        event = {"id": "evt_7", "type": "payment_intent.payment_failed"}
        self.assertIsNone(mapping.transaction({**event, "data": {"object": intent}}))
        ours = {**intent, "metadata": {"q2c_invoice": "INV/2026/00001"}}
        tx = mapping.transaction({**event, "data": {"object": ours}})
        self.assertEqual(tx["external_id"], "pi_7:ch_7")
        self.assertEqual(tx["summary"], "Your card was declined.")

    def test_minor_units_back(self):
        """119.00 EUR are 11900 cents, 500 JPY 500, 1.5 BHD 1500: the inverse of major."""
        self.assertEqual(mapping.minor(119.0, "eur"), 11900)
        self.assertEqual(mapping.minor(500.0, "jpy"), 500)
        self.assertEqual(mapping.minor(1.5, "bhd"), 1500)
        self.assertEqual(mapping.minor(400.50, "usd"), 40050)

    def test_invoice_event_of_a_paid_invoice_is_its_payment(self):
        """The newest state decides: an invoice.payment_failed or invoice.finalized whose
        invoice (read again) is paid is the invoice's payment; an open one finalized is
        nothing; re-read paths by object type; an object of another id is refused."""
        paid = {"id": "in_1", "object": "invoice", "status": "paid", "currency": "usd"}
        paid |= {"amount_paid": 1000, "payment_intent": "pi_1"}
        for kind in ("invoice.payment_failed", "invoice.finalized"):
            tx = mapping.transaction({"type": kind, "data": {"object": paid}})
            self.assertEqual(
                (tx["kind"], tx["external_id"], tx["amount"]), ("payment", "pi_1", 10.0)
            )
        opened = {"type": "invoice.finalized", "data": {"object": {**paid, "status": "open"}}}
        self.assertIsNone(mapping.transaction(opened))
        self.assertEqual(mapping.reread(opened), ("in_1", "/v1/invoices/in_1"))
        charge = {
            "type": "charge.refunded",
            "data": {"object": {"id": "ch_1", "object": "charge"}},
        }
        self.assertEqual(mapping.reread(charge), ("ch_1", "/v1/charges/ch_1"))
        intent = {"type": "payment_intent.succeeded", "data": {"object": {"id": "pi_1"}}}
        self.assertIsNone(mapping.reread(intent))
        with self.assertRaises(mapping.StripeShapeError):
            mapping.with_object(opened, {"id": "in_2"})

    def test_payout_rows(self):
        """A charge of 100.00 with a fee of 3.20 and the payout's own transaction: +100.00,
        -3.20 (apart, to reconcile with the payment) and the transfer -96.80; a payout whose
        list lacks its own transaction gets the transfer from the payout; a failed one
        brings the money back (+96.80)."""
        payout = {"id": "po_1", "amount": 9680, "currency": "usd", "status": "paid"}
        charge = {"id": "txn_1", "type": "charge", "amount": 10000, "fee": 320, "currency": "usd"}
        charge["source"] = {"id": "ch_1", "object": "charge", "payment_intent": "pi_1"}
        own = {"id": "txn_po", "type": "payout", "amount": -9680, "fee": 0, "currency": "usd"}
        rows = mapping.payout_rows(payout, [charge, own])
        self.assertEqual(
            [(r["external_id"], r["kind"], r["amount"], r["payment_external_id"]) for r in rows],
            [
                ("txn_1", "charge", 100.0, "pi_1"),
                ("txn_1:fee", "fee", -3.2, "pi_1"),
                ("txn_po", "payout", -96.8, None),
            ],
        )
        rows = mapping.payout_rows({**payout, "balance_transaction": "txn_po"}, [charge])
        self.assertEqual(rows[-1]["external_id"], "txn_po")
        failed = mapping.payout_rows({**payout, "status": "failed"}, [charge, own])
        self.assertEqual((failed[-1]["external_id"], failed[-1]["amount"]), ("po_1:failed", 96.8))
