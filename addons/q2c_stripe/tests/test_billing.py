import json
import time

from odoo.addons.q2c_base.tests.common import stand_in_server
from odoo.addons.q2c_stripe import billing
from odoo.tests import BaseCase, tagged

from .common import StripeCase


@tagged("post_install", "-at_install")
class TestStripeBillingMapping(BaseCase):
    """Stripe subscriptions and invoices as q2c_payment's mirror reads them, without a
    database."""

    def test_mrr_and_status(self):
        """Two items: 1,200.00 a year is 100.00 a month, 2 x 15.00 a month is 30.00: MRR
        130.00. Active but cancelling at the period's end reads Not Renewing."""
        sub = {
            "id": "sub_1",
            "status": "active",
            "cancel_at_period_end": True,
            "customer": "cus_1",
            "currency": "eur",
            "items": {
                "data": [
                    {
                        "price": {
                            "id": "price_y",
                            "lookup_key": "pro-yearly",
                            "unit_amount": 120000,
                            "recurring": {"interval": "year", "interval_count": 1},
                        },
                        "quantity": 1,
                        "current_period_start": 1731400000,
                        "current_period_end": 1762936000,
                    },
                    {
                        "price": {
                            "id": "price_s",
                            "unit_amount": 1500,
                            "recurring": {"interval": "month"},
                        },
                        "quantity": 2,
                    },
                ]
            },
        }
        mapped = billing.subscription({"created": 1731400000, "data": {"object": sub}})
        self.assertEqual((mapped["plan"], mapped["status"]), ("pro-yearly", "non_renewing"))
        self.assertAlmostEqual(mapped["mrr"], 130.0, places=2)
        self.assertEqual(str(mapped["term_start"]), "2024-11-12")

    def test_invoice_of_both_shapes(self):
        """The current shape names the subscription in `parent`, the older one on the
        invoice; a draft is not copied."""
        current = {
            "id": "in_1",
            "status": "paid",
            "currency": "eur",
            "total": 11900,
            "customer": "cus_1",
            "parent": {"subscription_details": {"subscription": "sub_1"}},
            "lines": {"data": [{"amount": 10000, "description": "Pro"}]},
        }
        doc = billing.invoice(current)
        self.assertEqual(
            (doc["subscription_ref"], doc["total"], doc["tax"]), ("sub_1", 119.0, 19.0)
        )
        older = {**current, "parent": None, "subscription": "sub_2"}
        self.assertEqual(billing.invoice(older)["subscription_ref"], "sub_2")
        self.assertIsNone(billing.invoice({**current, "status": "draft"}))


@tagged("post_install", "-at_install")
class TestStripeBilling(StripeCase):
    """Stripe Billing (the system's Who Invoices: the gateway): subscription and invoice
    events through the HTTP server and the jobs copy Stripe's subscription and invoice once,
    and invoice.paid pays the copy."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stripe_system.payment_invoicing = "gateway"
        cls.customer.email = "ap@acme.example"

    def _usd(self):
        return self.currency.name.lower()

    def _subscription(self, status="active", **extra):
        now = int(time.time())
        return {
            "id": "sub_pro",
            "object": "subscription",
            "customer": "cus_acme",
            "status": status,
            "currency": self._usd(),
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": "si_1",
                        "price": {
                            "id": "price_pro",
                            "lookup_key": "pro-monthly",
                            "unit_amount": 10000,
                            "recurring": {"interval": "month", "interval_count": 1},
                        },
                        "quantity": 1,
                        "current_period_start": now,
                        "current_period_end": now + 30 * 86400,
                    }
                ],
            },
            **extra,
        }

    def _stripe_invoice(self, status="open", intent="pi_bill"):
        return {
            "id": "in_bill_1",
            "object": "invoice",
            "number": "A1B2C3D4-0007",
            "customer": "cus_acme",
            "customer_email": "ap@acme.example",
            "customer_name": "Acme",
            "status": status,
            "currency": self._usd(),
            "total": 10000,
            "amount_due": 10000,
            "amount_paid": 10000 if status == "paid" else 0,
            "created": int(time.time()),
            "parent": {
                "type": "subscription_details",
                "subscription_details": {"subscription": "sub_pro"},
            },
            "lines": {
                "object": "list",
                "has_more": False,
                "data": [
                    {"id": "il_1", "amount": 10000, "description": "1 x Pro plan", "quantity": 1}
                ],
            },
            "payments": {
                "data": [{"payment": {"type": "payment_intent", "payment_intent": intent}}]
            },
            "status_transitions": {"paid_at": int(time.time())},
        }

    def test_subscription_and_its_invoice_mirror_once(self):
        """customer.subscription.created (the customer read from Stripe: Acme by its
        e-mail), invoice.finalized of 100.00, invoice.paid of 100.00; each delivered twice
        under two ids: one subscription (MRR 100.00), one posted invoice linked to it, one
        payment; the invoice is paid. Deleting the subscription closes nothing."""
        customer = {"id": "cus_acme", "object": "customer", "email": "ap@acme.example"}
        script = [(200, {}, json.dumps(customer).encode(), 0)]
        with stand_in_server(script) as (url, seen):
            self.stripe_system.base_url = url
            for event in (
                self._event("customer.subscription.created", self._subscription()),
                self._event("invoice.finalized", self._stripe_invoice()),
                self._event("invoice.paid", self._stripe_invoice("paid")),
            ):
                self._deliver(event, {**event, "id": event["id"] + "_again"})
        self.assertEqual([r["path"] for r in seen], ["/v1/customers/cus_acme"])
        Ref = self.env["q2c.external.ref"]
        sub = Ref._find(self.stripe_system, "subscription", "sub_pro")
        move = Ref._find(self.stripe_system, "invoice", "in_bill_1")
        self.assertEqual(
            (sub.plan, sub.status, sub.partner_id), ("pro-monthly", "active", self.customer)
        )
        self.assertAmount(sub.mrr, 100.0)
        self.assertEqual(sub.invoice_ids, move)
        self.assertEqual((move.state, move.partner_id), ("posted", self.customer))
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertEqual(len(self._settlements(kind="payment").payment_id), 1)
        self._deliver(self._event("customer.subscription.deleted", self._subscription("canceled")))
        self.assertEqual(sub.status, "cancelled")
        self.assertIn("no invoice open", sub.activity_ids.summary)

    def test_paid_before_finalized(self):
        """invoice.paid first: the invoice is copied from it (the subscription read from
        Stripe), then paid; the late invoice.finalized adds nothing."""
        script = [(200, {}, json.dumps(self._subscription()).encode(), 0)]
        with stand_in_server(script) as (url, seen):
            self.stripe_system.base_url = url
            self._deliver(
                self._event("invoice.paid", self._stripe_invoice("paid")),
                self._event("invoice.finalized", self._stripe_invoice()),
            )
        self.assertEqual([r["path"] for r in seen], ["/v1/subscriptions/sub_pro"])
        move = self.env["q2c.external.ref"]._find(self.stripe_system, "invoice", "in_bill_1")
        self.assertEqual(move.q2c_subscription_id.external_id, "sub_pro")
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertEqual(
            self.env["account.move"].search_count(
                [("q2c_subscription_id.system_id", "=", self.stripe_system.id)]
            ),
            1,
        )

    def test_odoo_invoices_mode_copies_nothing(self):
        """With Odoo invoicing (set-up a), Stripe's own invoices are not copied."""
        self.stripe_system.payment_invoicing = "odoo"
        self._deliver(self._event("invoice.finalized", self._stripe_invoice()))
        self.assertFalse(
            self.env["q2c.external.ref"]._find(self.stripe_system, "invoice", "in_bill_1")
        )
