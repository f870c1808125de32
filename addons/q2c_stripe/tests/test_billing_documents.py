import time

from odoo.addons.q2c_base.tests.common import Q2cCase
from odoo.addons.q2c_stripe import billing
from odoo.tests import BaseCase, tagged

from . import test_billing
from .common import StripeCase
from .stripe_api import stripe_stand_in


@tagged("post_install", "-at_install")
class TestStripeCreditNoteMapping(BaseCase):
    """Stripe credit notes as q2c_payment's mirror reads them, without a database."""

    def _note(self, **extra):
        return {
            "id": "cn_1",
            "object": "credit_note",
            "number": "A1B2C3D4-0007-CN-01",
            "invoice": "in_1",
            "customer": "cus_1",
            "currency": "usd",
            "status": "issued",
            "type": "post_payment",
            "total": 4600,
            "lines": {
                "data": [{"amount": 4000, "description": "Pro", "taxes": [{"amount": 600}]}]
            },
            **extra,
        }

    def test_refunds_of_both_shapes(self):
        """The current shape lists `refunds` with their amounts (25.00 + 21.00 = the total
        46.00: 40.00 before tax, 6.00 tax); before 2025-03-31 one `refund` id, its amount
        read from Stripe (None here). A draft status is not Stripe's."""
        doc = billing.credit_note(
            self._note(
                refunds=[
                    {"refund": "re_1", "amount_refunded": 2500},
                    {"refund": {"id": "re_2"}, "amount_refunded": 2100},
                ]
            )
        )
        self.assertEqual(
            (doc["total"], doc["tax"], doc["kind"], doc["invoice_ref"]),
            (46.0, 6.0, "post_payment", "in_1"),
        )
        self.assertEqual(doc["refunds"], [("re_1", 25.0), ("re_2", 21.0)])
        self.assertTrue(doc["lines"][0]["taxed"])
        older = billing.credit_note(self._note(refund="re_9"))
        self.assertEqual(older["refunds"], [("re_9", None)])
        with self.assertRaises(billing.StripeShapeError):
            billing.credit_note(self._note(status="draft"))


@tagged("post_install", "-at_install")
class TestStripeBillingDocuments(StripeCase):
    """Stripe Billing's own documents when Stripe invoices (set-up b): credit notes
    (created, updated, voided) and invoices voided, uncollectible or deleted, through the
    HTTP server and the jobs; and a voided Stripe invoice publishing an Odoo invoice
    (set-up a). Amounts in USD (docs/payments.md, "When the gateway invoices")."""

    # The subscription and invoice of test_billing (not imported as a class: it would run
    # twice).
    _subscription = test_billing.TestStripeBilling._subscription
    _stripe_invoice = test_billing.TestStripeBilling._stripe_invoice

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stripe_system.payment_invoicing = "gateway"
        cls.customer.email = "ap@acme.example"

    def _usd(self):
        return self.currency.name.lower()

    def _credit_note(self, amount, kind="pre_payment", status="issued", total=None, **extra):
        """A Stripe credit note of in_bill_1: one line of `amount` (no tax), its total
        `total` (else the line's)."""
        cents = round(amount * 100)
        return {
            "id": "cn_1",
            "object": "credit_note",
            "number": "A1B2C3D4-0007-CN-01",
            "invoice": "in_bill_1",
            "customer": "cus_acme",
            "currency": self._usd(),
            "status": status,
            "type": kind,
            "total": round(total * 100) if total is not None else cents,
            "out_of_band_amount": None,
            "created": int(time.time()),
            "lines": {
                "object": "list",
                "has_more": False,
                "data": [{"id": "cnli_1", "amount": cents, "description": "Service credit"}],
            },
            "refunds": [],
            **extra,
        }

    def _stand_in(self):
        """The Stripe stand-in holding the subscription and customer the mirror reads."""
        context = stripe_stand_in(self.stripe_system)
        stripe = context.__enter__()
        self.addCleanup(context.__exit__, None, None, None)
        stripe.objects["sub_pro"] = self._subscription()
        stripe.objects["cus_acme"] = {"id": "cus_acme", "object": "customer"}
        return stripe

    def _ref(self, object_type, external_id):
        return self.env["q2c.external.ref"]._find(self.stripe_system, object_type, external_id)

    def _books(self):
        """What the Stripe documents made in Odoo: the copied invoice's residual, the
        copied credit note's total and residual, what its reversal and the invoice's
        void reversal total, the money paid and refunded."""
        invoice = self._ref("invoice", "in_bill_1")
        note = self._ref("credit_note", "cn_1")
        rows = self._settlements()
        moves = self.env["account.move"].search(
            [("partner_id", "=", self.customer.id), ("journal_id.type", "=", "sale")]
        )
        return {
            "invoices": len(moves.filtered(lambda m: m.move_type == "out_invoice")),
            "credit_notes": len(moves.filtered(lambda m: m.move_type == "out_refund")),
            "residual": round(invoice.amount_residual, 2) if invoice else None,
            "note_total": round(note.amount_total, 2) if note else None,
            "note_residual": round(note.amount_residual, 2) if note else None,
            "paid": round(sum(rows.payment_id.mapped("amount")), 2),
            "refunded": round(sum(rows.refund_payment_id.mapped("amount")), 2),
        }

    # --- credit notes ------------------------------------------------------------------

    def test_pre_payment_credit_note_reduces_what_is_due_once(self):
        """Invoice 100.00 open, credit note 30.00 before payment, delivered twice (as
        created and as updated): one posted credit note of 30.00 for Acme, reconciled with
        the invoice: 100.00 - 30.00 = 70.00 due. invoice.paid of 70.00 then pays it."""
        self._stand_in()
        self._deliver(self._event("invoice.finalized", self._stripe_invoice()))
        note = self._credit_note(30.0)
        self._deliver(
            self._event("credit_note.created", note), self._event("credit_note.updated", note)
        )
        copy = self._ref("credit_note", "cn_1")
        self.assertEqual(
            (copy.move_type, copy.state, copy.partner_id), ("out_refund", "posted", self.customer)
        )
        self.assertEqual(
            self._books(),
            {
                "invoices": 1,
                "credit_notes": 1,
                "residual": 70.0,
                "note_total": 30.0,
                "note_residual": 0.0,
                "paid": 0.0,
                "refunded": 0.0,
            },
        )
        paid = self._stripe_invoice("paid")
        paid["amount_paid"] = 7000
        self._deliver(self._event("invoice.paid", paid))
        invoice = self._ref("invoice", "in_bill_1")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertAmount(self._settlements(kind="payment").payment_id.amount, 70.0)

    def test_credit_note_before_its_invoice(self):
        """credit_note.created first: its invoice (100.00, open) is read from Stripe and
        copied, then the credit note of 30.00 reduces it to 70.00; the late
        invoice.finalized copies nothing more. The same books as in invoice order."""
        stripe = self._stand_in()
        stripe.objects["in_bill_1"] = self._stripe_invoice()
        self._deliver(self._event("credit_note.created", self._credit_note(30.0)))
        self._deliver(self._event("invoice.finalized", self._stripe_invoice()))
        self.assertIn("/v1/invoices/in_bill_1", [r["path"] for r in stripe.requests])
        self.assertEqual(
            self._books(),
            {
                "invoices": 1,
                "credit_notes": 1,
                "residual": 70.0,
                "note_total": 30.0,
                "note_residual": 0.0,
                "paid": 0.0,
                "refunded": 0.0,
            },
        )

    def test_credit_note_total_must_be_stripes(self):
        """A credit note of one taxed line of 20.00 that Stripe totals 24.00: with the
        system's Sales Tax of 15%, Odoo makes 20.00 + 3.00 = 23.00, not 24.00. The event is
        dead saying both amounts; no credit note is booked, the invoice still owes
        100.00."""
        self._stand_in()
        self.stripe_system.payment_sales_tax_id = self.env["account.tax"].create(
            {
                "name": "Sales 15% (test)",
                "amount": 15.0,
                "type_tax_use": "sale",
                "company_id": self.company.id,
            }
        )
        self._deliver(self._event("invoice.finalized", self._stripe_invoice()))
        note = self._credit_note(20.0, total=24.0)
        note["lines"]["data"][0]["taxes"] = [{"amount": 400}]
        event = self._deliver(self._event("credit_note.created", note), expect="dead")
        self.assertIn("24.00", event.error)
        self.assertIn("23.00", event.error)
        self.assertFalse(self._ref("credit_note", "cn_1"))
        self.assertEqual(self._books()["credit_notes"], 0)
        self.assertEqual(self._books()["residual"], 100.0)

    def test_voided_credit_note_is_reversed_once(self):
        """Invoice 100.00, credit note 30.00 (due 70.00), then credit_note.voided twice:
        one reversal of 30.00 cancels the credit note, the invoice owes 100.00 again."""
        self._stand_in()
        self._deliver(
            self._event("invoice.finalized", self._stripe_invoice()),
            self._event("credit_note.created", self._credit_note(30.0)),
        )
        void = self._credit_note(30.0, status="void")
        self._deliver(
            self._event("credit_note.voided", void), self._event("credit_note.voided", void)
        )
        reversal = self._ref("credit_note_void", "cn_1")
        self.assertEqual((reversal.move_type, reversal.state), ("out_invoice", "posted"))
        self.assertAmount(reversal.amount_total, 30.0)
        self.assertIn("voided in Stripe", reversal.ref)
        note = self._ref("credit_note", "cn_1")
        self.assertEqual(reversal.reversed_entry_id, note)
        self.assertEqual(
            self.env["account.move"].search_count([("reversed_entry_id", "=", note.id)]), 1
        )
        books = self._books()
        self.assertEqual((books["residual"], books["note_residual"]), (100.0, 0.0))

    def test_voided_credit_note_before_created(self):
        """credit_note.voided (made at t) applied first, then the late credit_note.created
        (made at t - 60): older than what was applied, so the credit note is read again:
        void, nothing is booked. The invoice owes 100.00, as after created then voided."""
        self.stripe_system.stripe_reread = "stale"
        stripe = self._stand_in()
        now = int(time.time())
        void = self._credit_note(30.0, status="void")
        stripe.objects["cn_1"] = void
        self._deliver(
            self._event("invoice.finalized", self._stripe_invoice(), created=now - 120),
            self._event("credit_note.voided", void, created=now),
            self._event("credit_note.created", self._credit_note(30.0), created=now - 60),
        )
        self.assertIn("/v1/credit_notes/cn_1", [r["path"] for r in stripe.requests])
        books = self._books()
        self.assertEqual((books["credit_notes"], books["residual"]), (0, 100.0))

    def _refund_events(self):
        """Invoice 100.00 paid by pi_bill; a post-payment credit note of 40.00 refunding
        40.00 (re_1); the charge's refunded total 40.00."""
        note = self._credit_note(
            40.0, kind="post_payment", refunds=[{"refund": "re_1", "amount_refunded": 4000}]
        )
        charge = {
            "id": "ch_bill",
            "object": "charge",
            "amount": 10000,
            "amount_refunded": 4000,
            "currency": self._usd(),
            "refunded": False,
            "payment_intent": "pi_bill",
        }
        return (
            self._event("credit_note.created", note),
            self._event("charge.refunded", charge),
            note,
        )

    # Both orders end with these books: one credit note of 40.00 (Stripe's), paid by one
    # refund of 40.00; the invoice paid 100.00.
    REFUNDED_BOOKS = {
        "invoices": 1,
        "credit_notes": 1,
        "residual": 0.0,
        "note_total": 40.0,
        "note_residual": 0.0,
        "paid": 100.0,
        "refunded": 40.0,
    }

    def test_refund_credit_note_then_charge_refunded(self):
        """credit_note.created (post-payment, refund re_1 of 40.00) then charge.refunded
        (refunded total 40.00): the credit note is copied and its refund pays it; the
        charge's total adds 40.00 - 40.00 booked = 0.00: nothing more."""
        stripe = self._stand_in()
        credit_note, refunded, note = self._refund_events()
        stripe.objects["cn_1"] = note
        self._deliver(
            self._event("invoice.finalized", self._stripe_invoice()),
            self._event("invoice.paid", self._stripe_invoice("paid")),
            credit_note,
            refunded,
        )
        self.assertEqual(self._books(), self.REFUNDED_BOOKS)
        self.assertEqual(
            sorted(self._settlements(kind="refund").mapped("state")), ["settled", "superseded"]
        )

    def test_refund_charge_refunded_then_credit_note(self):
        """charge.refunded first: the paid invoice's credit notes are read from Stripe
        (cn_1, refunding 40.00) and copied with their refund; the charge's total then adds
        nothing, nor does the late credit_note.created. Same books as the other order."""
        stripe = self._stand_in()
        credit_note, refunded, note = self._refund_events()
        stripe.objects["cn_1"] = note
        self._deliver(
            self._event("invoice.finalized", self._stripe_invoice()),
            self._event("invoice.paid", self._stripe_invoice("paid")),
            refunded,
            credit_note,
        )
        lists = [r for r in stripe.requests if r["path"] == "/v1/credit_notes"]
        self.assertEqual([r["query"]["invoice"] for r in lists], [["in_bill_1"]])
        self.assertEqual(self._books(), self.REFUNDED_BOOKS)

    def test_refund_and_credit_note_before_the_payment(self):
        """charge.refunded first (its payment not booked: it waits, the charge names no
        invoice), credit_note.created (the invoice, paid in Stripe, read and copied; the
        post-payment credit note does not reduce it; its refund waits too), then
        invoice.paid of 100.00: the payment is booked, then the credit note's refund of
        40.00 before the charge's total of 40.00, which then adds 40.00 - 40.00 = 0.00.
        Same books as the other orders."""
        stripe = self._stand_in()
        credit_note, refunded, note = self._refund_events()
        stripe.objects["cn_1"] = note
        stripe.objects["in_bill_1"] = self._stripe_invoice("paid")
        self._deliver(
            refunded, credit_note, self._event("invoice.paid", self._stripe_invoice("paid"))
        )
        self.assertEqual(self._books(), self.REFUNDED_BOOKS)

    def test_refund_booked_before_its_credit_note_is_held(self):
        """charge.refunded of 40.00 before its payment (it waits; no credit note known),
        invoice.paid of 100.00 (the refund is then booked: a credit note of 40.00 of the
        copy, paid), then credit_note.created refunding the same 40.00: not copied (it
        would refund 80.00), held for a person naming the credit note booked; the books
        keep one credit note and one refund of 40.00."""
        stripe = self._stand_in()
        credit_note, refunded, note = self._refund_events()
        stripe.objects["in_bill_1"] = self._stripe_invoice("paid")
        self._deliver(
            self._event("invoice.finalized", self._stripe_invoice()),
            refunded,
            self._event("invoice.paid", self._stripe_invoice("paid")),
        )
        stripe.objects["cn_1"] = note
        event = self._deliver(credit_note, expect="dead")
        self.assertIn("already booked", event.error)
        self.assertEqual(self.env["q2c.exception"].search_count([("event_id", "=", event.id)]), 1)
        books = self._books()
        self.assertEqual((books["credit_notes"], books["refunded"]), (1, 40.0))
        self.assertFalse(self._ref("credit_note", "cn_1"))

    def test_refund_without_credit_note(self):
        """A refund made on the charge with no credit note in Stripe: the list is empty,
        the refund of 25.00 books a credit note of the copy and pays it, as in set-up a."""
        self._stand_in()
        _credit_note, refunded, _note = self._refund_events()
        refunded["data"]["object"]["amount_refunded"] = 2500
        self._deliver(
            self._event("invoice.finalized", self._stripe_invoice()),
            self._event("invoice.paid", self._stripe_invoice("paid")),
            refunded,
        )
        books = self._books()
        self.assertEqual((books["credit_notes"], books["refunded"]), (1, 25.0))

    # --- invoices voided, uncollectible, deleted ----------------------------------------

    def test_voided_invoice_is_reversed_once(self):
        """Invoice 100.00 copied, then invoice.voided twice: one credit note of 100.00
        "voided in Stripe" closes it (0.00 due)."""
        self._stand_in()
        self._deliver(self._event("invoice.finalized", self._stripe_invoice()))
        void = self._stripe_invoice("void")
        self._deliver(self._event("invoice.voided", void), self._event("invoice.voided", void))
        reversal = self._ref("invoice_void", "in_bill_1")
        self.assertEqual((reversal.move_type, reversal.state), ("out_refund", "posted"))
        self.assertAmount(reversal.amount_total, 100.0)
        self.assertIn("voided in Stripe", reversal.ref)
        books = self._books()
        self.assertEqual((books["credit_notes"], books["residual"]), (1, 0.0))
        self.assertEqual(self._ref("invoice", "in_bill_1").payment_state, "reversed")

    def test_voided_before_finalized_copies_nothing(self):
        """invoice.voided (made at t) first, invoice.finalized (made at t - 60) late: read
        again, the invoice is void: nothing is copied, nothing owed."""
        self.stripe_system.stripe_reread = "stale"
        stripe = self._stand_in()
        now = int(time.time())
        stripe.objects["in_bill_1"] = self._stripe_invoice("void")
        self._deliver(
            self._event("invoice.voided", self._stripe_invoice("void"), created=now),
            self._event("invoice.finalized", self._stripe_invoice(), created=now - 60),
        )
        self.assertFalse(self._ref("invoice", "in_bill_1"))
        self.assertEqual(self._books()["invoices"], 0)

    def test_voided_invoice_with_a_payment_is_held(self):
        """Invoice 100.00 copied; Finance registered 40.00 on it in Odoo; then Stripe
        voids it: nothing is reversed (60.00 still due), the event waits for a person with
        the reason, naming the payment."""
        self._stand_in()
        self._deliver(self._event("invoice.finalized", self._stripe_invoice()))
        invoice = self._ref("invoice", "in_bill_1")
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"amount": 40.0, "journal_id": self.bank_journal.id})._create_payments()
        event = self._deliver(
            self._event("invoice.voided", self._stripe_invoice("void")), expect="dead"
        )
        self.assertIn("voided in Stripe", event.error)
        self.assertEqual(self.env["q2c.exception"].search_count([("event_id", "=", event.id)]), 1)
        self.assertFalse(self._ref("invoice_void", "in_bill_1"))
        self.assertEqual(self._books()["residual"], 60.0)

    def test_uncollectible_stays_open_flagged_once(self):
        """invoice.marked_uncollectible before any other event of the invoice, twice: the
        invoice is copied (the debt is real: 100.00 due), flagged Uncollectible in Stripe,
        with one to-do for Finance; the late invoice.finalized copies nothing more."""
        self._stand_in()
        uncollectible = self._stripe_invoice("uncollectible")
        self._deliver(
            self._event("invoice.marked_uncollectible", uncollectible),
            self._event("invoice.marked_uncollectible", uncollectible),
            self._event("invoice.finalized", self._stripe_invoice()),
        )
        invoice = self._ref("invoice", "in_bill_1")
        self.assertTrue(invoice.stripe_uncollectible)
        self.assertEqual((invoice.state, invoice.payment_state), ("posted", "not_paid"))
        self.assertEqual(self._books()["residual"], 100.0)
        activities = invoice.activity_ids.filtered(lambda a: "Uncollectible" in a.summary)
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.user_id, self.finance_user)
        self.assertIn("100.00", activities.summary)

    def test_deleted_draft_is_acknowledged(self):
        """invoice.deleted (a draft): stored, done, nothing copied."""
        self._stand_in()
        event = self._deliver(self._event("invoice.deleted", self._stripe_invoice("draft")))
        self.assertEqual(event.event_type, "invoice.deleted")
        self.assertFalse(self._ref("invoice", "in_bill_1"))
        self.assertEqual(self._books()["invoices"], 0)

    def test_odoo_invoices_mode_ignores_credit_notes(self):
        """With Odoo invoicing (set-up a), Stripe's credit notes are not Odoo's books."""
        self.stripe_system.payment_invoicing = "odoo"
        self._deliver(self._event("credit_note.created", self._credit_note(30.0)))
        self.assertFalse(self._ref("credit_note", "cn_1"))


@tagged("post_install", "-at_install")
class TestStripePublishedVoided(StripeCase):
    """Set-up a: an Odoo invoice published to Stripe whose Stripe invoice is voided (in
    Stripe's Dashboard)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stripe_system.payment_publish_invoices = True

    def test_voided_at_stripe_ends_online_payment_only(self):
        """Invoice 100.00 published, then invoice.voided of its Stripe invoice twice: the
        Online Payment reads Voided at Gateway, the portal no longer offers Pay online,
        Finance has one to-do; the Odoo invoice stays posted with 100.00 due."""
        with stripe_stand_in(self.stripe_system) as stripe:
            invoice = self._invoice(100.0)
            Q2cCase._perform_job(self, invoice.q2c_publication_job_uuid)
            self.env.invalidate_all()
            stripe_invoice = dict(stripe.of_type("invoice")[0], status="void")
        self.assertEqual(invoice.q2c_publication_state, "published")
        self.assertIn("Pay online", self.url_open(invoice.get_portal_url()).text)
        self._deliver(
            self._event("invoice.voided", stripe_invoice),
            self._event("invoice.voided", stripe_invoice),
        )
        self.assertEqual(invoice.q2c_publication_state, "voided")
        self.assertEqual((invoice.state, invoice.payment_state), ("posted", "not_paid"))
        self.assertAmount(invoice.amount_residual, 100.0)
        activities = invoice.activity_ids.filtered(lambda a: "Voided in Stripe" in a.summary)
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.user_id, self.finance_user)
        self.assertNotIn("Pay online", self.url_open(invoice.get_portal_url()).text)

    def test_voided_stripe_invoice_of_no_odoo_invoice(self):
        """A Stripe invoice q2c did not publish, voided: acknowledged, nothing changes."""
        invoice = self._invoice(100.0)
        self._deliver(
            self._event(
                "invoice.voided", {"id": "in_other", "object": "invoice", "status": "void"}
            )
        )
        self.assertNotEqual(invoice.q2c_publication_state, "voided")
