from odoo.addons.q2c_base.tests.common import Q2cCase
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import StripeCase
from .stripe_api import stripe_stand_in


@tagged("post_install", "-at_install")
class TestStripePublication(StripeCase):
    """Posting an Odoo invoice publishes it on Stripe once (docs/payments.md, set-up a):
    customer, invoice with q2c's reference, items, finalized; the hosted page is the
    invoice's payment link. Against a local stand-in speaking Stripe's format."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stripe_system.payment_publish_invoices = True
        cls.db_uuid = cls.env["ir.config_parameter"].sudo().get_param("database.uuid")

    def _key(self, move, step):
        return f"q2c-{self.db_uuid}-{move.id}-{step}"

    def _publish(self, move):
        """Run the invoice's publication job as queue_job's runner does."""
        self.assertTrue(move.q2c_publication_job_uuid, "no publication job")
        Q2cCase._perform_job(self, move.q2c_publication_job_uuid)
        self.env.invalidate_all()

    def test_posting_queues_one_job_on_the_system_channel(self):
        """A posted customer invoice of the company: one job, on the Stripe system's
        channel, as its integration user, the invoice Queued. A currency not listed in
        Published Currencies is not published."""
        invoice = self._invoice(100.0)
        job = self.env["queue.job"].search([("uuid", "=", invoice.q2c_publication_job_uuid)])
        self.assertEqual(
            (job.method_name, job.channel, job.user_id, job.records),
            ("_q2c_publish_job", self.stripe_system.job_channel, self.stripe_user, invoice),
        )
        self.assertEqual(invoice.q2c_publication_state, "queued")
        eur = self.setup_other_currency("EUR")
        self.stripe_system.payment_publish_currency_ids = self.currency
        other = self._invoice(100.0, currency=eur)
        self.assertFalse(other.q2c_publication_state)
        self.assertFalse(other.q2c_publication_job_uuid)

    def test_publication_creates_customer_invoice_items_and_link_once(self):
        """Invoice of 2 lines, 600.00 + 400.50 = 1,000.50: Stripe gets a customer
        (metadata q2c_partner), an invoice (send_invoice, metadata q2c_invoice = the Odoo
        number), items of 60000 and 40050 cents (= 100050, the Odoo total) and the
        finalize; each POST with its key q2c-<db uuid>-<move id>-<step>. The invoice is
        Published with Stripe's hosted page; the Stripe invoice is bound to it. Running
        the job again, or queuing the invoice again, sends nothing."""
        with stripe_stand_in(self.stripe_system) as stripe:
            invoice = self.init_invoice(
                "out_invoice", partner=self.customer, amounts=[600.0, 400.50], post=True
            )
            self._publish(invoice)
            customer_key = f"q2c-{self.db_uuid}-res_partner-{self.customer.id}-customer"
            self.assertEqual(
                [(r["path"], r["headers"].get("Idempotency-Key")) for r in stripe.posts()],
                [
                    ("/v1/customers", customer_key),
                    ("/v1/invoices", self._key(invoice, "invoice")),
                    *[
                        ("/v1/invoiceitems", self._key(invoice, f"item-{line.id}"))
                        for line in invoice.invoice_line_ids
                    ],
                    (
                        f"/v1/invoices/{invoice.q2c_publication_external_id}/finalize",
                        self._key(invoice, "finalize"),
                    ),
                ],
            )
            created = stripe.posts("/v1/invoices")[0]["form"]
            self.assertEqual(created["metadata[q2c_invoice]"], invoice.name)
            self.assertEqual(created["collection_method"], "send_invoice")
            self.assertEqual(
                stripe.posts("/v1/customers")[0]["form"]["metadata[q2c_partner]"],
                str(self.customer.id),
            )
            items = [int(r["form"]["amount"]) for r in stripe.posts("/v1/invoiceitems")]
            self.assertEqual(items, [60000, 40050])
            self.assertAmount(invoice.amount_total, 1000.50)
            stripe_invoice = stripe.of_type("invoice")[0]
            self.assertEqual(stripe_invoice["total"], 100050)
            self.assertEqual(invoice.q2c_publication_state, "published")
            self.assertEqual(invoice.q2c_publication_external_id, stripe_invoice["id"])
            self.assertEqual(invoice.q2c_payment_url, stripe_invoice["hosted_invoice_url"])
            self.assertEqual(
                self.env["q2c.external.ref"]._find(
                    self.stripe_system, "invoice", stripe_invoice["id"]
                ),
                invoice,
            )
            sent = len(stripe.requests)
            Q2cCase._perform_job(self, invoice.q2c_publication_job_uuid)
            invoice._q2c_enqueue_publication()
            self.assertEqual(len(stripe.requests), sent, "a second publication sent requests")
            # A second invoice of the same customer reuses the Stripe customer.
            second = self._invoice(50.0)
            self._publish(second)
            self.assertEqual(len(stripe.of_type("customer")), 1)
            self.assertEqual(len(stripe.of_type("invoice")), 2)

    def test_server_error_is_retried_with_the_same_key(self):
        """Stripe answers 500 to the invoice's creation, then succeeds, and 409 (another
        request with the same key in flight) to its item: each retry carries the same
        Idempotency-Key, one Stripe invoice with one item exists, the invoice is published. With
        `Stripe-Should-Retry: false` a 500 is not retried: the publication fails with the
        reason, and the batch job's retry publishes it with the same keys."""
        with stripe_stand_in(self.stripe_system) as stripe:
            stripe.failures.append(("/v1/invoices", 500, {}))
            stripe.failures.append(("/v1/invoiceitems", 409, {}))
            invoice = self._invoice(120.0)
            self._publish(invoice)
            for path, step in (
                ("/v1/invoices", "invoice"),
                ("/v1/invoiceitems", f"item-{invoice.invoice_line_ids.id}"),
            ):
                tries = [r for r in stripe.posts() if r["path"] == path]
                self.assertEqual(len(tries), 2, path)
                self.assertEqual(
                    {r["headers"]["Idempotency-Key"] for r in tries}, {self._key(invoice, step)}
                )
            self.assertEqual(len(stripe.of_type("invoiceitem")), 1)
            self.assertEqual(invoice.q2c_publication_state, "published")
            self.assertEqual(len(stripe.of_type("invoice")), 1)

            stripe.failures.append(("/v1/invoices", 500, {"Stripe-Should-Retry": "false"}))
            other = self._invoice(80.0)
            self._publish(other)
            self.assertEqual(other.q2c_publication_state, "failed")
            self.assertIn("HTTP 500", other.q2c_publication_error)
            self.assertFalse(other.q2c_payment_url)
            self.env["account.move"]._cron_q2c_publish_failed()
            self.assertEqual(other.q2c_publication_state, "queued")
            self._publish(other)
            self.assertEqual(other.q2c_publication_state, "published")
            self.assertEqual(len(stripe.of_type("invoice")), 2)

    def test_crash_after_stripe_created_the_invoice_publishes_it_once(self):
        """The finalize is refused (HTTP 400) after Stripe created the invoice and its item:
        the publication fails and Odoo keeps nothing of it. The batch job's retry sends the
        same requests with the same keys: Stripe replays its first answers, so there is
        still one Stripe invoice with one item, now finalized and linked."""
        with stripe_stand_in(self.stripe_system) as stripe:
            invoice = self._invoice(75.0)
            stripe.failures.append(("/v1/invoices/in_", 400, {}))
            self._publish(invoice)
            self.assertEqual(invoice.q2c_publication_state, "failed")
            self.assertFalse(invoice.q2c_publication_external_id)
            self.env["account.move"]._cron_q2c_publish_failed()
            self._publish(invoice)
            self.assertEqual(invoice.q2c_publication_state, "published")
            self.assertEqual(len(stripe.of_type("invoice")), 1)
            self.assertEqual(len(stripe.of_type("invoiceitem")), 1)
            self.assertEqual(stripe.of_type("invoice")[0]["status"], "open")

    def test_portal_shows_pay_online(self):
        """The customer's portal page of a published invoice has a Pay online button to
        Stripe's hosted page; an unpublished invoice has none."""
        with stripe_stand_in(self.stripe_system):
            invoice = self._invoice(60.0)
            self._publish(invoice)
        self.stripe_system.payment_publish_invoices = False
        unpublished = self._invoice(60.0)
        page = self.url_open(invoice.get_portal_url()).text
        self.assertIn("Pay online", page)
        self.assertIn(invoice.q2c_payment_url, page)
        self.assertNotIn("Pay online", self.url_open(unpublished.get_portal_url()).text)

    def test_a_gateway_invoice_copy_is_never_published(self):
        """Set-up b on another gateway (the Chargebee kind: "The gateway invoices") in the
        same company as this Stripe system with Publish Posted Invoices: the copy of its
        invoice (230.00, made by q2c.payment.mirror) is not queued nor published on Stripe
        (the customer pays it at its own gateway); an invoice bound by hand to a gateway's
        invoice is not due either. A publication queued for an invoice paid before its job
        ran ends "nothing to publish" and the invoice no longer reads Queued."""
        self.system.payment_invoicing = "gateway"
        with stripe_stand_in(self.stripe_system) as stripe:
            copy = self.env["q2c.payment.mirror"]._mirror_invoice(
                self.system,
                {
                    "external_id": "cb_inv_1",
                    "number": "CB-1",
                    "currency": self.currency.name,
                    "total": 230.0,
                    "tax": 0.0,
                    "lines": [{"name": "Plan", "quantity": 1, "price_unit": 230.0}],
                },
                self.customer,
            )
            self.assertEqual(copy.state, "posted")
            self.assertAmount(copy.amount_residual, 230.0)
            self.assertFalse(copy.q2c_publication_state)
            self.assertFalse(copy.q2c_publication_job_uuid, "the copy was queued")
            copy._q2c_enqueue_publication(self.stripe_system)
            self.assertFalse(copy.q2c_publication_job_uuid, "the copy was queued")
            self.assertFalse(copy._q2c_publication_due())
            # Bound to a gateway's invoice (any system): never due.
            bound = self._invoice(40.0)
            self.env["q2c.external.ref"]._bind(self.system, "invoice", "cb_inv_2", bound)
            self._publish(bound)
            self.assertFalse(bound.q2c_publication_state, "stays Queued")
            self.assertFalse(bound.q2c_publication_external_id)
            # Paid before its publication job ran.
            paid = self._invoice(60.0)
            self.assertEqual(paid.q2c_publication_state, "queued")
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=paid.ids
            ).create({"journal_id": self.bank_journal.id})._create_payments()
            self._publish(paid)
            self.assertFalse(paid.q2c_publication_state, "stays Queued")
            self.assertFalse(stripe.posts(), "something was published on Stripe")

    def test_refusal_reads_as_a_sentence_and_publish_again_queues_it(self):
        """Stripe refuses the invoice (HTTP 400, `error.message` "The customer's email is
        invalid."): Publication Problem reads "Publishing the invoice at Stripe (test)
        failed: The customer's email is invalid." (no URL, status or JSON; the raw answer
        stays in the job's result). Finance clicks Publish Again: the job is queued now
        and publishes it; a second click, nothing failed any more, is refused."""
        refusal = {
            "error": {
                "type": "invalid_request_error",
                "message": "The customer's email is invalid.",
            }
        }
        with stripe_stand_in(self.stripe_system) as stripe:
            stripe.failures.append(("/v1/invoices", 400, {}, refusal))
            invoice = self._invoice(80.0)
            self._publish(invoice)
            self.assertEqual(invoice.q2c_publication_state, "failed")
            self.assertEqual(
                invoice.q2c_publication_error,
                f"Publishing the invoice at {self.stripe_system.name} failed: "
                "The customer's email is invalid.",
            )
            job = self.env["queue.job"].search([("uuid", "=", invoice.q2c_publication_job_uuid)])
            self.assertIn("HTTP 400", job.result)
            first = invoice.q2c_publication_job_uuid
            invoice.with_user(self.finance_user).action_q2c_publish_again()
            self.assertEqual(invoice.q2c_publication_state, "queued")
            self.assertNotEqual(invoice.q2c_publication_job_uuid, first)
            self._publish(invoice)
            self.assertEqual(invoice.q2c_publication_state, "published")
            self.assertEqual(len(stripe.of_type("invoice")), 1)
            with self.assertRaises(UserError):
                invoice.with_user(self.finance_user).action_q2c_publish_again()
