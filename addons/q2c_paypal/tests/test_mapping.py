import datetime

from odoo.addons.q2c_paypal import mapping
from odoo.tests import BaseCase, tagged

# saas-specs 4.2's PAYMENT.CAPTURE.COMPLETED, trimmed.
CAPTURE = {
    "id": "WH-58D329510W468432D-8HN650336L201105X",
    "create_time": "2024-11-12T10:15:31.120Z",
    "resource_type": "capture",
    "event_type": "PAYMENT.CAPTURE.COMPLETED",
    "resource": {
        "id": "42311647XV020574X",
        "status": "COMPLETED",
        "amount": {"currency_code": "EUR", "value": "119.00"},
        "final_capture": True,
        "invoice_id": "INV/2024/00042",
        "custom_id": "odoo-sale-17",
        "seller_receivable_breakdown": {
            "gross_amount": {"currency_code": "EUR", "value": "119.00"},
            "paypal_fee": {"currency_code": "EUR", "value": "4.09"},
            "net_amount": {"currency_code": "EUR", "value": "114.91"},
        },
        "create_time": "2024-11-12T10:15:28Z",
    },
}


@tagged("post_install", "-at_install")
class TestPayPalMapping(BaseCase):
    """PayPal events to neutral transactions, without a database."""

    def test_capture_of_the_spec(self):
        """119.00 EUR with PayPal's fee 4.09, q2c's reference in invoice_id."""
        (tx,) = mapping.transactions(CAPTURE)
        self.assertEqual(
            tx,
            {
                "kind": "payment",
                "external_id": "42311647XV020574X",
                "amount": 119.0,
                "currency": "EUR",
                "fee": 4.09,
                "date": datetime.date(2024, 11, 12),
                "invoice_ref": "INV/2024/00042",
                "invoice_number": "odoo-sale-17",
                "gateway_invoice_id": None,
                "customer_ref": None,
            },
        )
        pending = {**CAPTURE, "resource": {**CAPTURE["resource"], "status": "PENDING"}}
        self.assertEqual(mapping.transactions(pending), [])

    def test_money_is_a_decimal_string(self):
        self.assertEqual(mapping.money({"currency_code": "jpy", "value": "500"}), (500.0, "JPY"))
        for bad in (
            {"currency_code": "EUR", "value": 119.0},
            {"currency_code": "EUR", "value": "NaN"},
            {"currency_code": "EUR", "value": "1,00"},
            {"value": "1.00"},
            None,
        ):
            with self.subTest(bad), self.assertRaises(mapping.PayPalShapeError):
                mapping.money(bad)

    def test_refund_is_the_capture_total(self):
        """The second refund of 200.00 after 300.00: the key and amount are the capture's
        refunded total (500.00), so a repeat or a late older refund books nothing twice."""
        event = {
            "event_type": "PAYMENT.CAPTURE.REFUNDED",
            "resource": {
                "id": "1JU08902781691411",
                "amount": {"currency_code": "USD", "value": "200.00"},
                "seller_payable_breakdown": {
                    "total_refunded_amount": {"currency_code": "USD", "value": "500.00"}
                },
                "links": [
                    {"rel": "up", "href": "https://api.paypal.com/v2/payments/captures/CAP1"}
                ],
            },
        }
        (tx,) = mapping.transactions(event)
        self.assertEqual(
            (tx["external_id"], tx["payment_external_id"], tx["amount"]),
            ("CAP1:refunded:500.00", "CAP1", 500.0),
        )
        del event["resource"]["seller_payable_breakdown"]
        with self.assertRaisesRegex(mapping.PayPalShapeError, "total_refunded_amount"):
            mapping.transactions(event)

    def test_reversal_of_a_capture(self):
        """A reversal names its capture by its `up` link or is the capture itself; without a
        refunded total it is a reversal of the whole capture."""
        event = {
            "event_type": "PAYMENT.CAPTURE.REVERSED",
            "resource": {"id": "CAP2", "amount": {"currency_code": "USD", "value": "-80.00"}},
        }
        (tx,) = mapping.transactions(event)
        self.assertEqual(
            (tx["external_id"], tx["payment_external_id"], tx["amount"], tx["full_reversal"]),
            ("CAP2:reversed", "CAP2", 80.0, True),
        )

    def test_dispute_outcomes(self):
        def dispute(status, outcome=None):
            resource = {
                "dispute_id": "PP-D-1",
                "status": status,
                "dispute_amount": {"currency_code": "USD", "value": "50.00"},
                "disputed_transactions": [{"seller_transaction_id": "CAP3"}],
            }
            if outcome:
                resource["dispute_outcome"] = {"outcome_code": outcome}
            return {"event_type": "CUSTOMER.DISPUTE.UPDATED", "resource": resource}

        cases = [
            (dispute("WAITING_FOR_SELLER_RESPONSE"), "open"),
            (dispute("RESOLVED", "RESOLVED_BUYER_FAVOUR"), "lost"),
            (dispute("RESOLVED", "ACCEPTED"), "lost"),
            (dispute("RESOLVED", "RESOLVED_SELLER_FAVOUR"), "won"),
            (dispute("RESOLVED", "CANCELED_BY_BUYER"), "won"),
        ]
        for event, status in cases:
            with self.subTest(status):
                (tx,) = mapping.transactions(event)
                self.assertEqual(
                    (tx["external_id"], tx["payment_external_id"], tx["dispute_status"]),
                    ("PP-D-1", "CAP3", status),
                )
        no_capture = dispute("OPEN")
        no_capture["resource"]["disputed_transactions"] = [{}]
        with self.assertRaises(mapping.PayPalShapeError):
            mapping.transactions(no_capture)

    def test_paid_paypal_invoice(self):
        """One payment per PayPal transaction, keyed by its capture; a payment the merchant
        recorded by hand (cash) is not PayPal's."""
        event = {
            "event_type": "INVOICING.INVOICE.PAID",
            "resource": {
                "id": "INV2-ABCD-0001",
                "status": "PAID",
                "detail": {"invoice_number": "INV/2026/00007", "currency_code": "USD"},
                "payments": {
                    "transactions": [
                        {
                            "payment_id": "CAP4",
                            "method": "PAYPAL",
                            "payment_date": "2026-12-01",
                            "amount": {"currency_code": "USD", "value": "60.00"},
                        },
                        {
                            "payment_id": "EXTR-1",
                            "method": "CASH",
                            "amount": {"currency_code": "USD", "value": "40.00"},
                        },
                    ]
                },
            },
        }
        (tx,) = mapping.transactions(event)
        self.assertEqual(
            (tx["external_id"], tx["amount"], tx["invoice_ref"], tx["gateway_invoice_id"]),
            ("CAP4", 60.0, "INV/2026/00007", "INV2-ABCD-0001"),
        )
        self.assertEqual(tx["date"], datetime.date(2026, 12, 1))

    def test_denied_capture_is_a_failure(self):
        event = {
            "event_type": "PAYMENT.CAPTURE.DENIED",
            "resource": {
                "id": "CAP5",
                "status": "DECLINED",
                "amount": {"currency_code": "USD", "value": "90.00"},
                "invoice_id": "INV/2026/00009",
            },
        }
        (tx,) = mapping.transactions(event)
        self.assertEqual(
            (tx["kind"], tx["external_id"], tx["invoice_ref"]),
            ("failure", "CAP5:denied", "INV/2026/00009"),
        )
