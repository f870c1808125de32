import json

from odoo.addons.q2c_base.tests.common import Q2cCase
from odoo.tests import tagged

from .common import PayPalCase


@tagged("post_install", "-at_install")
class TestPayPalPublishedLife(PayPalCase):
    """A published PayPal invoice follows the Odoo invoice (docs/payments.md, "After
    publication"): cancelled once when the Odoo invoice is cancelled, left alone (Finance
    told) when paid through PayPal, external payments recorded (partial ones too) when the
    Odoo invoice is paid another way; INVOICING.INVOICE.CANCELLED marks it Voided. Through
    the real jobs and HTTP server, against the stand-in PayPal (bearer token checked)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.paypal.payment_publish_invoices = True
        cls.db_uuid = cls.env["ir.config_parameter"].sudo().get_param("database.uuid")

    def _published(self, amount=119.0):
        invoice = self._invoice(amount)
        Q2cCase._perform_job(self, invoice.q2c_publication_job_uuid)
        self.assertEqual(invoice.q2c_publication_state, "published")
        pp_id = invoice.q2c_publication_external_id
        return invoice, self.stand_in.invoices[pp_id]

    def _update(self, invoice):
        self.assertTrue(invoice.q2c_update_job_uuid, "no update job was queued")
        Q2cCase._perform_job(self, invoice.q2c_update_job_uuid)

    def _pay_by_bank(self, invoice, amount):
        self.env["account.payment.register"].with_user(self.finance_user).with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"journal_id": self.bank_journal.id, "amount": amount})._create_payments()
        self.env.invalidate_all()

    def _activities(self, invoice):
        return invoice.activity_ids.filtered(lambda a: a.user_id == self.finance_user)

    def _cancelled_event(self, pp_invoice, nested=False):
        """INVOICING.INVOICE.CANCELLED: the invoice directly in `resource` (PayPal's current
        shape) or nested under `resource.invoice` (`nested`, the older v1-era shape)."""
        cancelled = {**pp_invoice, "status": "CANCELLED"}
        resource = {"invoice": cancelled} if nested else cancelled
        return self._event("INVOICING.INVOICE.CANCELLED", resource, "invoices")

    def test_cancel_cancels_once_and_the_echo_changes_nothing(self):
        """Finance cancels a published invoice: the job sends `POST
        /v2/invoicing/invoices/{id}/cancel` once (PayPal-Request-Id
        q2c-<db uuid>-<move id>-cancel, the customer notified); PayPal's invoice is
        CANCELLED, Online Payment reads Voided. Reset and cancelled again: nothing more is
        sent. PayPal's INVOICING.INVOICE.CANCELLED about it (the echo of q2c's own cancel)
        is handled and tells no one."""
        invoice, pp_invoice = self._published()
        invoice.with_user(self.finance_user).button_cancel()
        self._update(invoice)
        cancels = self._seen("POST", f"/v2/invoicing/invoices/{pp_invoice['id']}/cancel")
        self.assertEqual(
            [r["headers"]["PayPal-Request-Id"] for r in cancels],
            [f"q2c-{self.db_uuid}-{invoice.id}-cancel"],
        )
        self.assertTrue(json.loads(cancels[0]["body"])["send_to_recipient"])
        self.assertEqual(pp_invoice["status"], "CANCELLED")
        self.assertEqual(invoice.q2c_publication_state, "voided")
        invoice.with_user(self.finance_user).button_draft()
        invoice.with_user(self.finance_user).button_cancel()
        self._update(invoice)
        self.assertEqual(
            len(self._seen("POST", f"/v2/invoicing/invoices/{pp_invoice['id']}/cancel")), 1
        )
        self._deliver(self._cancelled_event(pp_invoice))
        self.assertEqual(invoice.q2c_publication_state, "voided")
        self.assertFalse(self._activities(invoice))

    def test_paid_through_paypal_is_not_cancelled(self):
        """The customer paid the PayPal invoice (a PAYPAL transaction) before Finance
        cancelled: nothing is cancelled, Online Payment reads Paid Online, Not Voided, and
        the Finance Contact gets one to-do."""
        invoice, pp_invoice = self._published()
        pp_invoice["status"] = "PAID"
        pp_invoice["payments"] = {
            "transactions": [
                {"payment_id": "CAPX", "method": "PAYPAL", "amount": self._money(119.0)}
            ]
        }
        invoice.with_user(self.finance_user).button_cancel()
        self._update(invoice)
        self.assertFalse(self._seen("POST", f"/v2/invoicing/invoices/{pp_invoice['id']}/cancel"))
        self.assertEqual(invoice.q2c_publication_state, "not_voided")
        (activity,) = self._activities(invoice)
        self.assertIn("paid online", activity.summary)

    def test_paid_by_bank_transfer_records_external_payments_once(self):
        """Invoice of 119.00 paid by bank transfer: 40.00, then 79.00. PayPal records
        partial payments: the first job records 40.00 (method BANK_TRANSFER, key
        ...-paid-40.00), PayPal's invoice is PARTIALLY_PAID with 79.00 due, Online Payment
        stays Published and the portal still offers Pay online (for the rest). The second
        records 79.00 (key ...-paid-119.00): MARKED_AS_PAID, Online Payment reads Paid
        Another Way. Each job run again records nothing."""
        invoice, pp_invoice = self._published()
        path = f"/v2/invoicing/invoices/{pp_invoice['id']}/payments"
        self._pay_by_bank(invoice, 40.0)
        self._update(invoice)
        self._update(invoice)
        (first,) = self._seen("POST", path)
        body = json.loads(first["body"])
        self.assertEqual(
            (body["method"], body["amount"]),
            ("BANK_TRANSFER", {"currency_code": self.currency.name, "value": "40.00"}),
        )
        self.assertEqual(
            first["headers"]["PayPal-Request-Id"], f"q2c-{self.db_uuid}-{invoice.id}-paid-40.00"
        )
        self.assertEqual(pp_invoice["status"], "PARTIALLY_PAID")
        self.assertEqual(pp_invoice["due_amount"]["value"], "79.00")
        self.assertEqual(invoice.q2c_publication_state, "published")
        self.assertAmount(invoice.q2c_paid_elsewhere_amount, 40.0)
        self.assertIn("Pay online", self.url_open(invoice.get_portal_url()).text)

        self._pay_by_bank(invoice, 79.0)
        self._update(invoice)
        self._update(invoice)
        payments = self._seen("POST", path)
        self.assertEqual(len(payments), 2)
        self.assertEqual(json.loads(payments[1]["body"])["amount"]["value"], "79.00")
        self.assertEqual(
            payments[1]["headers"]["PayPal-Request-Id"],
            f"q2c-{self.db_uuid}-{invoice.id}-paid-119.00",
        )
        self.assertEqual(pp_invoice["status"], "MARKED_AS_PAID")
        self.assertEqual(invoice.q2c_publication_state, "paid_elsewhere")
        self.assertAmount(invoice.q2c_paid_elsewhere_amount, 119.0)
        self.assertFalse(self._activities(invoice))

    def test_paid_through_another_gateway_records_an_external_payment(self):
        """An invoice of 119.00 published on PayPal is paid through another gateway
        system of the company (a Stripe payment, say): that system books 119.00, which
        PayPal does not know, so it is paid another way for PayPal: one job records an
        external payment of 119.00, PayPal's invoice reads MARKED_AS_PAID and Online
        Payment Paid Another Way, 119.00 (the customer is not asked to pay twice)."""
        other = self.env["q2c.system"].create(
            {
                "name": "Gateway B (test)",
                "system_type": "generic",
                "user_id": self.paypal_user.id,
                "company_id": self.company.id,
                "payment_journal_id": self.bank_journal.id,
            }
        )
        invoice, pp_invoice = self._published()
        tx = {
            "kind": "payment",
            "external_id": "pi_other_gateway",
            "amount": 119.0,
            "currency": invoice.currency_id.name,
            "invoice_ref": invoice.name,
        }
        self.env["q2c.payment.settlement"].with_user(self.paypal_user)._apply(other, tx)
        self.env.invalidate_all()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self._update(invoice)
        (payment,) = self._seen("POST", f"/v2/invoicing/invoices/{pp_invoice['id']}/payments")
        self.assertEqual(json.loads(payment["body"])["amount"]["value"], "119.00")
        self.assertEqual(pp_invoice["status"], "MARKED_AS_PAID")
        self.assertEqual(invoice.q2c_publication_state, "paid_elsewhere")
        self.assertAmount(invoice.q2c_paid_elsewhere_amount, 119.0)

    def test_cancelled_at_paypal_marks_voided_and_tells_finance(self):
        """Someone cancels the published PayPal invoice at PayPal: its
        INVOICING.INVOICE.CANCELLED (signed, through the HTTP server and the event job)
        makes Online Payment read Voided and gives the Finance Contact a to-do; the Odoo
        invoice stays posted with 119.00 due, and the portal no longer offers Pay online.
        The same event delivered again is a duplicate; an event about a PayPal invoice q2c
        did not publish touches nothing."""
        invoice, pp_invoice = self._published()
        event = self._cancelled_event(pp_invoice)
        stored = self._deliver(event)
        self.assertEqual(invoice.q2c_publication_state, "voided")
        self.assertEqual(invoice.state, "posted")
        self.assertAmount(invoice.amount_residual, 119.0)
        (activity,) = self._activities(invoice)
        self.assertIn("cancelled at the gateway", activity.summary)
        self.assertNotIn("Pay online", self.url_open(invoice.get_portal_url()).text)
        link = self.env["q2c.event.link"].sudo().search([("event_id", "=", stored.id)])
        self.assertEqual((link.res_model, link.res_id), ("account.move", invoice.id))
        response = self._post_paypal(event)
        self.assertEqual(response.json()["events"], [{"id": event["id"], "duplicate": True}])
        self.assertEqual(len(self._activities(invoice)), 1)
        other = self._cancelled_event({**pp_invoice, "id": "INV2-NOT-OURS"})
        self.assertEqual(self._deliver(other).state, "done")
        self.assertEqual(len(self._activities(invoice)), 1)

    def test_cancelled_nested_under_resource_invoice_marks_voided(self):
        """The older (v1-era) INVOICING.INVOICE.CANCELLED nests the invoice under
        `resource.invoice`: delivered signed through the HTTP server and its job it marks
        the published invoice Voided as the current shape does (119.00 still due), not a
        dead event."""
        invoice, pp_invoice = self._published()
        stored = self._deliver(self._cancelled_event(pp_invoice, nested=True))
        self.assertEqual(stored.state, "done")
        self.assertEqual(invoice.q2c_publication_state, "voided")
        self.assertAmount(invoice.amount_residual, 119.0)
        self.assertEqual(len(self._activities(invoice)), 1)
