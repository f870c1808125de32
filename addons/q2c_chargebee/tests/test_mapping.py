from odoo.addons.q2c_chargebee import mapping
from odoo.tests import BaseCase, tagged


@tagged("post_install", "-at_install")
class TestChargebeeMapping(BaseCase):
    """Chargebee objects to neutral dicts, without a database."""

    def test_mrr(self):
        """Chargebee's `mrr` when given (4,990 cents: 49.90); else the plan brought to one
        month: 1,200.00 a year is 100.00; 300.00 every 3 months is 100.00; Product Catalog
        1.0's plan_unit_price x plan_quantity (2 x 25.00 monthly) is 50.00."""
        base = {"id": "s", "status": "active", "currency_code": "EUR"}
        cases = [
            ({"mrr": 4990}, 49.9),
            (
                {
                    "billing_period": 1,
                    "billing_period_unit": "year",
                    "subscription_items": [{"item_type": "plan", "amount": 120000}],
                },
                100.0,
            ),
            (
                {
                    "billing_period": 3,
                    "billing_period_unit": "month",
                    "subscription_items": [{"item_type": "plan", "unit_price": 30000}],
                },
                100.0,
            ),
            (
                {
                    "plan_id": "basic",
                    "plan_unit_price": 2500,
                    "plan_quantity": 2,
                    "billing_period": 1,
                    "billing_period_unit": "month",
                },
                50.0,
            ),
        ]
        for extra, expected in cases:
            with self.subTest(extra=extra):
                self.assertAlmostEqual(mapping.mrr({**base, **extra}), expected, places=2)

    def test_subscription_status_and_plan(self):
        obj = {
            "id": "sub_1",
            "customer_id": "c",
            "status": "non_renewing",
            "currency_code": "EUR",
            "current_term_start": 1731400000,
            "current_term_end": 1733992000,
            "subscription_items": [
                {"item_type": "addon", "item_price_id": "seats"},
                {"item_type": "plan", "item_price_id": "pro-EUR-monthly"},
            ],
        }
        sub = mapping.subscription(obj, 1731400000)
        self.assertEqual((sub["plan"], sub["status"]), ("pro-EUR-monthly", "non_renewing"))
        self.assertEqual(str(sub["term_start"]), "2024-11-12")
        with self.assertRaises(mapping.ChargebeeShapeError):
            mapping.subscription({**obj, "status": "gone"})

    def test_invoice_lines_and_states(self):
        """The spec's sample invoice: 119.00 with one line of 100.00; a discounted line
        becomes one line at its net (3 x 10.00 - 5.00 = 25.00); pending invoices wait."""
        invoice = {
            "id": "1042",
            "customer_id": "c",
            "status": "paid",
            "total": 11900,
            "tax": 1900,
            "currency_code": "EUR",
            "date": 1731400000,
            "line_items": [
                {"quantity": 1, "unit_amount": 10000, "amount": 10000, "description": "Pro"},
                {
                    "quantity": 3,
                    "unit_amount": 1000,
                    "amount": 3000,
                    "discount_amount": 500,
                    "description": "Seats",
                    "tax_amount": 0,
                },
            ],
        }
        doc = mapping.invoice(invoice)
        self.assertEqual((doc["total"], doc["tax"]), (119.0, 19.0))
        self.assertEqual(
            [(line["name"], line["quantity"], line["price_unit"]) for line in doc["lines"]],
            [("Pro", 1, 100.0), ("Seats (3)", 1, 25.0)],
        )
        self.assertIsNone(mapping.invoice({**invoice, "status": "pending"}))
        with self.assertRaises(mapping.ChargebeeShapeError):
            mapping.invoice({**invoice, "total": "119.00"})

    def test_payment_of_the_spec_sample(self):
        event = {
            "id": "ev_AzZjQjUEnMCnT2Ad",
            "occurred_at": 1731400000,
            "event_type": "payment_succeeded",
            "content": {
                "transaction": {
                    "id": "txn_AzZjQjUEnMCnd2Ag",
                    "customer_id": "AzZjQjUEnMCn82Aa",
                    "type": "payment",
                    "status": "success",
                    "amount": 11900,
                    "currency_code": "EUR",
                    "date": 1731400000,
                    "linked_invoices": [{"invoice_id": "1042", "applied_amount": 11900}],
                },
                "invoice": {"id": "1042"},
            },
        }
        tx = mapping.payment(event)
        self.assertEqual(
            (tx["external_id"], tx["amount"], tx["gateway_invoice_id"], tx["customer_ref"]),
            ("txn_AzZjQjUEnMCnd2Ag", 119.0, "1042", "AzZjQjUEnMCn82Aa"),
        )
        # Chargebee's transaction has no fee field: none is booked.
        self.assertIsNone(tx["fee"])
        self.assertIsNone(tx["applied"])
        # A payment of two invoices at once names none: it settles each by its share,
        # 119.00 = 70.00 + 49.00.
        two = [
            {"invoice_id": "1", "applied_amount": 7000},
            {"invoice_id": "2", "applied_amount": 4900},
        ]
        event["content"]["transaction"]["linked_invoices"] = two
        tx = mapping.payment(event)
        self.assertIsNone(tx["gateway_invoice_id"])
        self.assertEqual(
            tx["applied"],
            [
                {"gateway_invoice_id": "1", "amount": 70.0},
                {"gateway_invoice_id": "2", "amount": 49.0},
            ],
        )

    def test_refund_names_its_payment_and_credit_note(self):
        event = {
            "content": {
                "transaction": {
                    "id": "txn_r",
                    "type": "refund",
                    "amount": 3000,
                    "currency_code": "EUR",
                    "reference_transaction_id": "txn_p",
                    "linked_credit_notes": [{"cn_id": "CN-1"}],
                }
            }
        }
        tx = mapping.refund(event)
        self.assertEqual(
            (tx["payment_external_id"], tx["amount"], tx["gateway_credit_note_id"]),
            ("txn_p", 30.0, "CN-1"),
        )
        del event["content"]["transaction"]["reference_transaction_id"]
        with self.assertRaises(mapping.ChargebeeShapeError):
            mapping.refund(event)
