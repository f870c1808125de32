import json
import time

import requests

from odoo.addons.q2c_base.tests.common import Q2cCase
from odoo.addons.q2c_paypal.models import q2c_system as paypal_system
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import PayPalCase


@tagged("post_install", "-at_install")
class TestPayPalPublish(PayPalCase):
    """`_q2c_publish_invoice` against the stand-in: a PayPal invoice numbered with the Odoo
    invoice, sent to the customer, exactly once."""

    def test_published_once_with_the_payer_link(self):
        """Invoice of 119.00: one PayPal invoice (number = Odoo number, one item of 119.00,
        PayPal-Request-Id set), sent once; the answer is its id and the payer's link. A
        second call creates and sends nothing and answers the same."""
        self.customer.email = "billing@acme.example"
        invoice = self._invoice(119.0)
        first = self.paypal._q2c_publish_invoice(invoice)
        second = self.paypal._q2c_publish_invoice(invoice)
        self.assertEqual(first, second)
        (pp_id,) = self.stand_in.invoices
        self.assertEqual(
            first,
            {"external_id": pp_id, "url": f"https://www.sandbox.paypal.com/invoice/p/#{pp_id}"},
        )
        creates = [r for r in self.stand_in.seen if r["path"] == "/v2/invoicing/invoices"]
        self.assertEqual(len(creates), 1)
        create = creates[0]
        self.assertEqual(len(self._seen("POST", f"/v2/invoicing/invoices/{pp_id}/send")), 1)
        self.assertEqual(
            create["headers"]["PayPal-Request-Id"],
            self.paypal._q2c_idempotency_key(invoice, "invoice"),
        )
        body = json.loads(create["body"])
        self.assertEqual(body["detail"]["invoice_number"], invoice.name)
        self.assertEqual(
            body["items"][0]["unit_amount"],
            {"currency_code": self.currency.name, "value": "119.00"},
        )
        self.assertEqual(
            body["primary_recipients"][0]["billing_info"]["email_address"], "billing@acme.example"
        )
        self.assertEqual(
            self.env["q2c.external.ref"]._find(self.paypal, "invoice", pp_id), invoice
        )

    def test_lost_answer_gets_the_same_paypal_invoice(self):
        """The binding was lost (the transaction that stored it rolled back after PayPal
        created the invoice): the retry sends the same PayPal-Request-Id, PayPal answers
        the invoice it made, already sent: no second invoice, no second sending."""
        invoice = self._invoice(60.0)
        first = self.paypal._q2c_publish_invoice(invoice)
        self.env["q2c.external.ref"].search([("system_id", "=", self.paypal.id)]).unlink()
        again = self.paypal._q2c_publish_invoice(invoice)
        self.assertEqual(again["external_id"], first["external_id"])
        self.assertEqual(len(self.stand_in.invoices), 1)
        self.assertEqual(len([r for r in self.stand_in.seen if r["path"].endswith("/send")]), 1)

    def test_only_posted_customer_invoices(self):
        draft = self.init_invoice("out_invoice", partner=self.customer, amounts=[10.0])
        with self.assertRaisesRegex(UserError, "posted customer invoice"):
            self.paypal._q2c_publish_invoice(draft)
        self.assertFalse(self.stand_in.seen)

    def test_refused_token_is_fetched_again_once(self):
        """A token PayPal no longer accepts (401) is replaced by a new one, once, and the
        call goes on."""
        paypal_system._TOKENS[self.paypal._paypal_token_key()] = (
            "expired-token",
            time.monotonic() + 600,
        )
        result = self.paypal._q2c_publish_invoice(self._invoice(20.0))
        self.assertTrue(result["url"])
        self.assertEqual(len(self._seen("POST", "/v1/oauth2/token")), 1)
        refused = [r for r in self.stand_in.seen if "expired-token" in str(r["headers"])]
        self.assertEqual(len(refused), 1)

    def test_posting_publishes_through_the_job(self):
        """With Publish Posted Invoices on, posting an invoice of 119.00 queues the
        publication job on the PayPal system's channel as its integration user; the job
        (run as queue_job's runner does) creates and sends one PayPal invoice, and the Odoo
        invoice is Published with the payer's link; the batch retry publishes nothing more."""
        self.paypal.payment_publish_invoices = True
        invoice = self._invoice(119.0)
        job = self.env["queue.job"].search([("uuid", "=", invoice.q2c_publication_job_uuid)])
        self.assertEqual(
            (job.method_name, job.channel, job.user_id),
            ("_q2c_publish_job", self.paypal.job_channel, self.paypal_user),
        )
        Q2cCase._perform_job(self, invoice.q2c_publication_job_uuid)
        self.env.invalidate_all()
        (pp_id,) = self.stand_in.invoices
        self.assertEqual(invoice.q2c_publication_state, "published")
        self.assertEqual(
            invoice.q2c_payment_url, f"https://www.sandbox.paypal.com/invoice/p/#{pp_id}"
        )
        self.env["account.move"]._cron_q2c_publish_failed()
        self.assertEqual(len(self.stand_in.invoices), 1)
        self.assertEqual(len(self._seen("POST", f"/v2/invoicing/invoices/{pp_id}/send")), 1)

    def test_refusal_words_are_paypals_descriptions(self):
        """PayPal's error answer {"name", "message", "details": [{"issue", "description"}]}:
        the Publication Problem shows the details' descriptions, else the message, never
        the JSON."""

        def answer(data):
            response = requests.models.Response()
            response.status_code = 422
            response._content = json.dumps(data).encode()
            return response

        details = {
            "name": "UNPROCESSABLE_ENTITY",
            "message": "The requested action could not be performed.",
            "details": [
                {"issue": "INVALID_EMAIL", "description": "The recipient's email is invalid."}
            ],
        }
        self.assertEqual(
            self.paypal._vendor_error_message(answer(details)),
            "The recipient's email is invalid.",
        )
        self.assertEqual(
            self.paypal._vendor_error_message(answer({**details, "details": []})),
            "The requested action could not be performed.",
        )
        self.assertIsNone(self.paypal._vendor_error_message(answer({"name": "X"})))
