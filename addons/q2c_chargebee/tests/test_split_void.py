from odoo.tests import tagged

from .common import ChargebeeCase


@tagged("post_install", "-at_install")
class TestChargebeeSplitAndVoid(ChargebeeCase):
    """A payment Chargebee applied to several invoices settles each copy by its share; an
    invoice or credit note deleted or voided at Chargebee reverses its copy once, or waits
    for a person when something is booked on it (docs/connectors/chargebee.md)."""

    def _split_payment(self, txn_id, invoice, amount, shares, customer):
        event = self._payment_event(txn_id, invoice, amount, customer)
        event["content"]["transaction"]["linked_invoices"] = [
            {"invoice_id": inv_id, "applied_amount": applied} for inv_id, applied in shares
        ]
        return event

    def _two_invoices(self):
        customer = self._customer_obj()
        self._subscription_obj()
        first = self._invoice_obj("1042", total=10000)
        second = self._invoice_obj("1043", total=8000)
        self.api.invoices = [first, second]
        self._deliver(self._event("invoice_generated", {"invoice": first}))
        return customer, first, second

    def test_payment_applied_to_two_invoices(self):
        """Invoice 1042 of 100.00 (copied) and 1043 of 80.00 (only at Chargebee). One
        payment of 150.00 applied 100.00 to 1042 and 50.00 to 1043: 1043 is read from
        Chargebee and copied, then one Odoo payment per invoice: 100.00 pays 1042, 50.00
        leaves 80.00 - 50.00 = 30.00 due on 1043. Delivered again under another id: the
        same two payments, nothing more."""
        customer, first, _second = self._two_invoices()
        event = self._split_payment(
            "txn_s1", first, 15000, [("1042", 10000), ("1043", 5000)], customer
        )
        self._deliver(event)
        self._deliver({**event, "id": event["id"] + "_resent"})
        row = self._settlements(kind="payment")
        self.assertEqual((len(row), row.state), (1, "settled"))
        self.assertEqual(len(row.payment_ids), 2)
        one, two = self._mirrored("invoice", "1042"), self._mirrored("invoice", "1043")
        self.assertIn("/api/v2/invoices/1043", [r["path"] for r in self.api.seen])
        self.assertIn(one.payment_state, ("paid", "in_payment"))
        self.assertEqual(two.payment_state, "partial")
        self.assertAmount(two.amount_residual, 30.0)
        by_invoice = {
            payment.reconciled_invoice_ids: payment.amount for payment in row.payment_ids
        }
        self.assertAmount(by_invoice[one], 100.0)
        self.assertAmount(by_invoice[two], 50.0)
        self.assertAmount(row.booked_amount, 150.0)

    def test_shares_that_do_not_add_up_are_held(self):
        """150.00 paid, 100.00 + 40.00 = 140.00 applied: held (Amounts applied do not add
        up), the reason naming both sums; nothing is booked."""
        customer, first, _second = self._two_invoices()
        self._deliver(
            self._split_payment(
                "txn_s2", first, 15000, [("1042", 10000), ("1043", 4000)], customer
            )
        )
        row = self._settlements(kind="payment")
        self.assertEqual((row.state, row.reason), ("to_match", "applied"))
        self.assertIn("140.00", row.note)
        self.assertIn("150.00", row.note)
        self.assertFalse(row.payment_ids | row.payment_id)
        self.assertEqual(self._mirrored("invoice", "1042").payment_state, "not_paid")

    def test_unknown_linked_invoice_is_held_then_matched(self):
        """100.00 applied to 1042 and 50.00 to 1099, which Chargebee does not know (404):
        held as No invoice found, naming 1099. Once 1099 (50.00) is copied, Finance's Match
        books both shares: 1042 and 1099 paid."""
        customer, first, _second = self._two_invoices()
        self._deliver(
            self._split_payment(
                "txn_s3", first, 15000, [("1042", 10000), ("1099", 5000)], customer
            )
        )
        row = self._settlements(kind="payment")
        self.assertEqual((row.state, row.reason), ("to_match", "unmatched"))
        self.assertIn("1099", row.note)
        self._deliver(
            self._event("invoice_generated", {"invoice": self._invoice_obj("1099", total=5000)})
        )
        row.with_user(self.finance_user).action_match()
        self.assertEqual(row.state, "settled")
        self.assertEqual(len(row.payment_ids), 2)
        for number in ("1042", "1099"):
            self.assertIn(self._mirrored("invoice", number).payment_state, ("paid", "in_payment"))

    def test_deleted_and_voided_invoices_are_reversed_once(self):
        """Unpaid copies 1042 (100.00) and 1043 (80.00). `invoice_deleted` of 1042, twice
        (another id): one credit note of 100.00 reversing it, its reference naming why;
        `invoice_updated` with 1043 voided: a credit note of 80.00. Both invoices end
        reversed, nothing due. A deleted invoice never copied changes nothing."""
        _customer, first, second = self._two_invoices()
        self._deliver(self._event("invoice_generated", {"invoice": second}))
        deleted = self._event("invoice_deleted", {"invoice": first})
        self._deliver(deleted, {**deleted, "id": deleted["id"] + "_resent"})
        self._deliver(self._event("invoice_updated", {"invoice": {**second, "status": "voided"}}))
        self._deliver(self._event("invoice_deleted", {"invoice": self._invoice_obj("7777")}))
        for number, total in (("1042", 100.0), ("1043", 80.0)):
            move = self._mirrored("invoice", number)
            reversal = self._mirrored("invoice_reversal", number)
            self.assertEqual(move.reversal_move_ids, reversal)
            self.assertEqual((reversal.move_type, reversal.state), ("out_refund", "posted"))
            self.assertAmount(reversal.amount_total, total)
            self.assertEqual(move.payment_state, "reversed")
        self.assertIn("1042 deleted", self._mirrored("invoice_reversal", "1042").ref)
        self.assertIn("1043 voided", self._mirrored("invoice_reversal", "1043").ref)
        self.assertFalse(self._mirrored("invoice", "7777"))

    def test_voided_invoice_with_a_payment_waits_for_a_person(self):
        """1042 of 100.00 paid through Chargebee, then reported voided: not reversed; the
        event waits (dead) with an exception naming the invoice and its payment."""
        customer, first, _second = self._two_invoices()
        self._deliver(self._payment_event("txn_p9", first, 10000, customer))
        held = self._deliver(
            self._event("invoice_updated", {"invoice": {**first, "status": "voided"}}),
            expect="dead",
        )
        move = self._mirrored("invoice", "1042")
        self.assertFalse(self._mirrored("invoice_reversal", "1042"))
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        exception = self.env["q2c.exception"].search([("event_id", "=", held.id)])
        self.assertEqual((exception.res_model, exception.res_id), ("account.move", move.id))
        payment = self._settlements(kind="payment").payment_id
        self.assertIn(payment.name, exception.name)

    def test_deleted_credit_note_is_reversed(self):
        """1042 of 100.00 paid; a refundable credit note CN-9 of 30.00 stays the customer's
        credit. `credit_note_deleted`: an invoice of 30.00 reverses it; the customer owes
        nothing and has no credit left (100.00 - 30.00 + 30.00 - 100.00 paid = 0.00)."""
        customer, first, _second = self._two_invoices()
        self._deliver(self._payment_event("txn_p10", first, 10000, customer))
        note = self._credit_note_obj("CN-9", first, 3000)
        self._deliver(self._event("credit_note_created", {"credit_note": note}))
        self._deliver(self._event("credit_note_deleted", {"credit_note": note}))
        credit_note = self._mirrored("credit_note", "CN-9")
        reversal = self._mirrored("credit_note_reversal", "CN-9")
        self.assertEqual((reversal.move_type, reversal.state), ("out_invoice", "posted"))
        self.assertAmount(reversal.amount_total, 30.0)
        self.assertTrue(credit_note.currency_id.is_zero(credit_note.amount_residual))
        self.assertEqual(reversal.reversed_entry_id, credit_note)
        moves = credit_note | reversal | self._mirrored("invoice", "1042")
        self.assertAmount(sum(moves.mapped("amount_residual_signed")), 0.0)

    def test_void_of_a_reconciled_credit_note_waits(self):
        """An adjustment credit note CN-8 of 25.00 reduces open 1042 to 75.00 due; Chargebee
        then voids CN-8: its copy is applied to 1042, so the event waits for a person."""
        _customer, first, _second = self._two_invoices()
        note = self._credit_note_obj("CN-8", first, 2500, "adjustment")
        self._deliver(self._event("credit_note_created", {"credit_note": note}))
        self._deliver(
            self._event("credit_note_updated", {"credit_note": {**note, "status": "voided"}}),
            expect="dead",
        )
        self.assertFalse(self._mirrored("credit_note_reversal", "CN-8"))
        self.assertAmount(self._mirrored("invoice", "1042").amount_residual, 75.0)
