import time

from odoo import Command
from odoo.tests import new_test_user, tagged

from .common import ChargebeeCase


@tagged("post_install", "-at_install")
class TestChargebeeMirror(ChargebeeCase):
    """Chargebee invoices (set-up b): events through the HTTP server and the jobs, each copy
    re-read from the stand-in site, mirror subscriptions, invoices, credit notes and money
    into Odoo once each."""

    def _books(self):
        """Everything the Chargebee system put in the books, as counts and totals."""
        refs = self.env["q2c.external.ref"].search([("system_id", "=", self.cb_system.id)])
        moves = self.env["account.move"].browse(
            refs.filtered(lambda r: r.res_model == "account.move").mapped("res_id")
        )
        rows = self._settlements()
        return {
            "invoices": len(moves.filtered(lambda m: m.move_type == "out_invoice")),
            "credit_notes": len(moves.filtered(lambda m: m.move_type == "out_refund")),
            "invoiced": round(sum(moves.mapped("amount_total_signed")), 2),
            "due": round(sum(moves.mapped("amount_residual_signed")), 2),
            "payments": len(rows.payment_id),
            "refunds": len(rows.refund_payment_id),
            "subscriptions": self.env["q2c.subscription"].search_count(
                [("system_id", "=", self.cb_system.id)]
            ),
        }

    def test_subscription_invoice_and_payment_mirror_once(self):
        """A Pro Monthly subscription of 100.00 a month; its invoice 1042 of 100.00; the
        payment of 100.00. Each event delivered twice (the same id: stored once) and once
        more under another id (Chargebee's resend): one subscription, one posted invoice of
        100.00 linked to it and to Acme (found by its e-mail), one payment, nothing due."""
        customer = self._customer_obj()
        subscription = self._subscription_obj()
        invoice = self._invoice_obj()
        events = [
            self._event(
                "subscription_created", {"subscription": subscription, "customer": customer}
            ),
            self._event("invoice_generated", {"invoice": invoice}),
            self._payment_event("txn_1", invoice, 10000, customer),
        ]
        for event in events:
            self._deliver(event)
            again = self._post_cb(event)
            self.assertTrue(again.json()["events"][0]["duplicate"])
            self._deliver({**event, "id": event["id"] + "_resent"})
        self.assertEqual(
            self._books(),
            {
                "invoices": 1,
                "credit_notes": 0,
                "invoiced": 100.0,
                "due": 0.0,
                "payments": 1,
                "refunds": 0,
                "subscriptions": 1,
            },
        )
        sub = self._mirrored("subscription", "sub_1")
        move = self._mirrored("invoice", "1042")
        self.assertEqual(
            (sub.plan, sub.status, sub.partner_id, sub.invoice_ids),
            ("pro-monthly", "active", self.customer, move),
        )
        self.assertAmount(sub.mrr, 100.0)
        self.assertAmount(sub.mrr_company, 100.0)
        self.assertEqual((move.state, move.partner_id), ("posted", self.customer))
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertEqual(self._settlements().payment_id.journal_id, self.bank_journal)
        self.assertEqual(self.customer.q2c_subscription_count, 1)
        # Every copy was re-read from Chargebee before it was applied.
        fetched = {r["path"] for r in self.api.seen if r["path"].startswith("/api/v2/events/")}
        self.assertEqual(len(fetched), 6)

    def test_payment_before_its_invoice_event(self):
        """payment_succeeded arrives first: the invoice it carries is mirrored, the
        subscription read from Chargebee; the late invoice_generated adds nothing."""
        customer = self._customer_obj()
        self._subscription_obj()
        invoice = self._invoice_obj(inv_id="2001", total=4550)
        self._deliver(
            self._payment_event("txn_2", invoice, 4550, customer),
            self._event("invoice_generated", {"invoice": invoice}),
        )
        books = self._books()
        self.assertEqual((books["invoices"], books["payments"], books["due"]), (1, 1, 0.0))
        self.assertEqual(
            self._mirrored("invoice", "2001").q2c_subscription_id.external_id, "sub_1"
        )
        self.assertIn("/api/v2/subscriptions/sub_1", [r["path"] for r in self.api.seen])

    def test_refund_pays_the_mirrored_credit_note(self):
        """Invoice 1042 of 100.00 paid; Chargebee refunds 30.00 with a refundable credit
        note of 30.00. The credit note is copied once (reversing the invoice), the refund is
        an outbound payment of 30.00 paying it; delivered twice, and the refund before its
        credit note event: the same books (100.00 - 30.00 = 70.00 invoiced net)."""
        customer = self._customer_obj()
        self._subscription_obj()
        invoice = self._invoice_obj()
        note = self._credit_note_obj("CN-7", invoice, 3000)
        refund = self._refund_event("txn_r1", "txn_p1", 3000, note)
        created = self._event("credit_note_created", {"credit_note": note})
        self._deliver(self._payment_event("txn_p1", invoice, 10000, customer))
        for event in (refund, created):
            self._deliver(event)
            self._deliver({**event, "id": event["id"] + "_resent"})
        books = self._books()
        self.assertEqual(
            books,
            {
                "invoices": 1,
                "credit_notes": 1,
                "invoiced": 70.0,
                "due": 0.0,
                "payments": 1,
                "refunds": 1,
                "subscriptions": 1,
            },
        )
        credit_note = self._mirrored("credit_note", "CN-7")
        self.assertEqual(credit_note.reversed_entry_id, self._mirrored("invoice", "1042"))
        self.assertIn(credit_note.payment_state, ("paid", "in_payment"))
        row = self._settlements(kind="refund")
        self.assertEqual((row.state, row.credit_note_id), ("settled", credit_note))
        self.assertAmount(row.refund_payment_id.amount, 30.0)
        self.assertEqual(row.refund_payment_id.payment_type, "outbound")

    def test_adjustment_credit_note_reduces_what_is_due(self):
        """Invoice 1042 of 100.00 unpaid; an adjustment credit note of 25.00: 75.00 due."""
        self._customer_obj()
        self._subscription_obj()
        invoice = self._invoice_obj()
        self._deliver(
            self._event("invoice_generated", {"invoice": invoice}),
            self._event(
                "credit_note_created",
                {"credit_note": self._credit_note_obj("CN-8", invoice, 2500, "adjustment")},
            ),
        )
        move = self._mirrored("invoice", "1042")
        self.assertEqual(move.payment_state, "partial")
        self.assertAmount(move.amount_residual, 75.0)

    def test_unknown_customer_is_held_for_a_person(self):
        """A customer no Odoo customer has the e-mail of: the subscription event and the
        invoice event are held (dead, a possible-duplicate exception each), nothing booked
        and no customer created. A person decides *Create a new customer* on one: its event
        replays, the customer is created, the other held event goes again by itself."""
        customer = self._customer_obj("cust_new", "billing@newco.example", "NewCo Ltd")
        subscription = self._subscription_obj("sub_9", "cust_new")
        invoice = self._invoice_obj("3001", "sub_9", "cust_new")
        partners = self.env["res.partner"].search_count([])
        held = self._deliver(
            self._event(
                "subscription_created", {"subscription": subscription, "customer": customer}
            ),
            self._event("invoice_generated", {"invoice": invoice}),
            expect="dead",
        )
        exceptions = self.env["q2c.exception"].search([("event_id", "in", held.ids)])
        self.assertEqual(len(exceptions), 2)
        self.assertEqual(set(exceptions.mapped("kind")), {"duplicate"})
        self.assertEqual(set(exceptions.mapped("external_object_id")), {"cust_new"})
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        self.assertFalse(self._books()["invoices"])
        manager = new_test_user(
            self.env,
            login="q2c_cb_manager",
            groups="base.group_user,q2c_base.group_integration_manager",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        first = exceptions.filtered(lambda e: e.event_id == held[0])
        wizard = (
            self.env["q2c.duplicate.wizard"]
            .with_user(manager)
            .create({"exception_id": first.id, "choice": "new"})
        )
        wizard.action_confirm()
        self._run(held[0])
        self.assertEqual(held[0].state, "done", held[0].error)
        self._run(held[1])
        self.assertEqual(held[1].state, "done", held[1].error)
        partner = self._mirrored("customer", "cust_new")
        self.assertEqual((partner.name, partner.email), ("NewCo Ltd", "billing@newco.example"))
        self.assertEqual(set(exceptions.mapped("state")), {"resolved"})
        self.assertEqual(self._mirrored("invoice", "3001").partner_id, partner)

    def test_cancelled_subscription_closes_nothing(self):
        """Invoice 1042 (100.00) is mirrored and unpaid; Chargebee also still has invoice
        1043 (100.00) open, never delivered. The cancellation reads the subscription's open
        invoices page by page (one per page, a 429 with Retry-After first), mirrors 1043,
        closes nothing: both stay due (200.00), and Finance gets an activity naming them."""
        customer = self._customer_obj()
        subscription = self._subscription_obj()
        first = self._invoice_obj()
        second = self._invoice_obj(inv_id="1043")
        self.api.invoices = [first, second, {**self._invoice_obj(inv_id="999"), "status": "paid"}]
        self.api.page_size = 1
        self._deliver(
            self._event(
                "subscription_created", {"subscription": subscription, "customer": customer}
            ),
            self._event("invoice_generated", {"invoice": first}),
        )
        self.api.throttle = [1]
        cancelled = {**subscription, "status": "cancelled", "cancelled_at": int(time.time())}
        self._deliver(
            self._event(
                "subscription_cancelled", {"subscription": cancelled, "customer": customer}
            )
        )
        sub = self._mirrored("subscription", "sub_1")
        self.assertEqual(sub.status, "cancelled")
        self.assertEqual(len(sub.invoice_ids), 2)
        self.assertEqual(set(sub.invoice_ids.mapped("payment_state")), {"not_paid"})
        self.assertAmount(sum(sub.invoice_ids.mapped("amount_residual")), 200.0)
        activity = sub.activity_ids
        self.assertEqual(activity.user_id, self.finance_user)
        self.assertIn("2 invoice(s) stay open", activity.summary)
        listed = [r for r in self.api.seen if r["path"] == "/api/v2/invoices"]
        self.assertEqual([r["query"].get("offset") for r in listed], [None, None, "1"])
        self.assertEqual(listed[0]["query"]["subscription_id[is]"], "sub_1")
        # A late `subscription_changed` from before the cancellation changes nothing.
        older = {**subscription, "updated_at": int(time.time()) - 3600}
        self._deliver(self._sub_event("subscription_changed", older))
        self.assertEqual(sub.status, "cancelled")
        self.assertEqual(len(sub.activity_ids), 1)

    def test_the_copy_from_chargebee_is_applied(self):
        """The delivery says 999.00 was paid, Chargebee's copy of the event 100.00: 100.00
        is booked. An event Chargebee does not know is dead and books nothing."""
        customer = self._customer_obj()
        self._subscription_obj()
        invoice = self._invoice_obj()
        true_event = self._payment_event("txn_t", invoice, 10000, customer)
        self.api.events[true_event["id"]] = true_event
        forged = {**true_event}
        forged["content"] = {
            **true_event["content"],
            "transaction": {**true_event["content"]["transaction"], "amount": 99900},
        }
        self._deliver(forged, publish=False)
        self.assertAmount(self._settlements(kind="payment").amount, 100.0)
        unknown = self._payment_event("txn_u", self._invoice_obj(inv_id="5"), 500, customer)
        stored = self._deliver(unknown, publish=False, expect="dead")
        self.assertIn("404", stored.error)
        self.assertFalse(self._mirrored("invoice", "5"))

    def test_failed_payment_after_dunning_sets_the_standing(self):
        """payment_failed while Chargebee's dunning still retries changes nothing; the last
        one (dunning exhausted) sets Acme's standing to Payment Failed."""
        customer = self._customer_obj()
        self._subscription_obj()
        invoice = self._invoice_obj()

        def failed(txn_id, dunning):
            event = self._payment_event(txn_id, invoice, 10000, customer)
            event["event_type"] = "payment_failed"
            event["content"]["transaction"]["status"] = "failure"
            event["content"]["invoice"] = {**invoice, "dunning_status": dunning}
            return event

        self._deliver(failed("txn_f1", "in_progress"))
        self.assertEqual(self.customer.q2c_standing, "good")
        self._deliver(failed("txn_f2", "exhausted"))
        self.assertEqual(self.customer.q2c_standing, "payment_failed")
        self.assertEqual(len(self._settlements(kind="failure")), 1)
