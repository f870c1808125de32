from odoo.addons.q2c_base.tests.common import Q2cCase
from odoo.tests import Form, tagged

from .common import StripeCase
from .stripe_api import stripe_stand_in

KEY = "sk_test_123"


@tagged("post_install", "-at_install")
class TestStripePublishedLife(StripeCase):
    """A published Stripe invoice follows the Odoo invoice (docs/payments.md, "After
    publication"): voided once when the Odoo invoice is cancelled or reversed, left alone
    (Finance told) when it is paid, paid out of band once when the Odoo invoice is paid
    another way. Through the real jobs, against the stand-in Stripe (secret key checked)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stripe_system.payment_publish_invoices = True
        cls.db_uuid = cls.env["ir.config_parameter"].sudo().get_param("database.uuid")

    def _published(self, stripe, amount=100.0):
        invoice = self._invoice(amount)
        Q2cCase._perform_job(self, invoice.q2c_publication_job_uuid)
        self.assertEqual(invoice.q2c_publication_state, "published")
        return invoice, stripe.objects[invoice.q2c_publication_external_id]

    def _update(self, invoice):
        """Run the invoice's last update job as queue_job's runner does."""
        self.assertTrue(invoice.q2c_update_job_uuid, "no update job was queued")
        Q2cCase._perform_job(self, invoice.q2c_update_job_uuid)

    def _pay_by_bank(self, invoice, amount):
        self.env["account.payment.register"].with_user(self.finance_user).with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"journal_id": self.bank_journal.id, "amount": amount})._create_payments()
        self.env.invalidate_all()

    def _activities(self, invoice):
        return invoice.activity_ids.filtered(lambda a: a.user_id == self.finance_user)

    def test_cancel_voids_once(self):
        """Finance cancels a published invoice: one job, on the Stripe channel as its
        integration user, sends `POST /v1/invoices/{id}/void` with the key
        q2c-<db uuid>-<move id>-void; Online Payment reads Voided and the portal offers no
        Pay online. The job run again, the invoice reset and cancelled again: nothing more
        is sent."""
        with stripe_stand_in(self.stripe_system, api_key=KEY) as stripe:
            invoice, stripe_invoice = self._published(stripe)
            page = self.url_open(invoice.get_portal_url()).text
            self.assertIn("Pay online", page)
            invoice.with_user(self.finance_user).button_cancel()
            job = self.env["queue.job"].search([("uuid", "=", invoice.q2c_update_job_uuid)])
            self.assertEqual(
                (job.method_name, job.channel, job.user_id),
                ("_q2c_gateway_update_job", self.stripe_system.job_channel, self.stripe_user),
            )
            self._update(invoice)
            voids = stripe.posts(f"/v1/invoices/{stripe_invoice['id']}/void")
            self.assertEqual(
                [r["headers"]["Idempotency-Key"] for r in voids],
                [f"q2c-{self.db_uuid}-{invoice.id}-void"],
            )
            self.assertEqual(stripe_invoice["status"], "void")
            self.assertEqual(invoice.q2c_publication_state, "voided")
            self.assertNotIn("Pay online", self.url_open(invoice.get_portal_url()).text)
            sent = len(stripe.requests)
            self._update(invoice)
            invoice.with_user(self.finance_user).button_draft()
            invoice.with_user(self.finance_user).button_cancel()
            self._update(invoice)
            self.assertEqual(len(stripe.requests), sent, "a second void was sent")
            self.assertEqual(invoice.q2c_publication_state, "voided")
            self.assertFalse(self._activities(invoice))

    def test_full_credit_note_voids(self):
        """The invoice of 250.00 fully reversed by a credit note (Odoo's reversal with
        reconciliation: payment state Reversed) voids the Stripe invoice; a partial credit
        note of 100.00 on another invoice changes nothing at Stripe. The invoice form shows
        the Payment Link while the Stripe invoice can be paid, not once it is voided."""
        with stripe_stand_in(self.stripe_system, api_key=KEY) as stripe:
            invoice, stripe_invoice = self._published(stripe, 250.0)
            self.assertFalse(Form(invoice)._get_modifier("q2c_payment_url", "invisible"))
            invoice._reverse_moves(cancel=True)
            self.assertEqual(invoice.payment_state, "reversed")
            self._update(invoice)
            self.assertEqual(stripe_invoice["status"], "void")
            self.assertEqual(invoice.q2c_publication_state, "voided")
            self.assertTrue(invoice.q2c_payment_url)
            self.assertTrue(Form(invoice)._get_modifier("q2c_payment_url", "invisible"))

            other, other_stripe = self._published(stripe, 250.0)
            credit_note = self.init_invoice(
                "out_refund", partner=self.customer, amounts=[100.0], post=True
            )
            (credit_note + other).line_ids.filtered(
                lambda line: line.account_type == "asset_receivable"
            ).reconcile()
            self.assertEqual(other.payment_state, "partial")
            self._update(other)
            self.assertEqual(other_stripe["status"], "open")
            self.assertEqual(other.q2c_publication_state, "published")
            closing = [
                r
                for r in stripe.posts(f"/v1/invoices/{other_stripe['id']}/")
                if r["path"].endswith(("/void", "/pay"))
            ]
            self.assertFalse(closing)

    def test_paid_at_stripe_is_not_voided(self):
        """The customer paid the hosted page just before Finance cancelled: Stripe reads
        `paid`, nothing is voided, Online Payment reads Paid Online, Not Voided and the
        Finance Contact gets one to-do; a second cancel adds nothing."""
        with stripe_stand_in(self.stripe_system, api_key=KEY) as stripe:
            invoice, stripe_invoice = self._published(stripe)
            stripe.pay_online(stripe_invoice["id"])
            invoice.with_user(self.finance_user).button_cancel()
            self._update(invoice)
            self.assertFalse(stripe.posts(f"/v1/invoices/{stripe_invoice['id']}/void"))
            self.assertEqual(stripe_invoice["status"], "paid")
            self.assertEqual(invoice.q2c_publication_state, "not_voided")
            (activity,) = self._activities(invoice)
            self.assertIn("paid online", activity.summary)
            invoice.with_user(self.finance_user).button_draft()
            invoice.with_user(self.finance_user).button_cancel()
            self._update(invoice)
            self.assertEqual(len(self._activities(invoice)), 1)

    def test_payment_booked_by_q2c_is_not_voided(self):
        """q2c booked the Stripe payment of the invoice (invoice.paid, 100.00); Finance
        resets the paid invoice to draft (Odoo unreconciles the payment) and cancels it:
        the copy is paid, so nothing is asked of Stripe, and Finance gets the to-do. The
        payment booked from Stripe queued no update job."""
        with stripe_stand_in(self.stripe_system, api_key=KEY) as stripe:
            invoice, stripe_invoice = self._published(stripe)
            self._deliver(self._stripe_invoice_paid(invoice, 100.0, "pi_booked"))
            self.assertIn(invoice.payment_state, ("paid", "in_payment"))
            self.assertFalse(invoice.q2c_update_job_uuid, "the gateway's own payment queued")
            sent = len(stripe.requests)
            invoice.with_user(self.finance_user).button_cancel()
            self._update(invoice)
            self.assertEqual(len(stripe.requests), sent, "Stripe was asked")
            self.assertEqual(stripe_invoice["status"], "open")
            self.assertEqual(invoice.q2c_publication_state, "not_voided")
            self.assertEqual(len(self._activities(invoice)), 1)

    def test_paid_by_bank_transfer_is_paid_out_of_band_once(self):
        """Invoice of 100.00 paid by bank transfer in two parts. 40.00 first: Stripe cannot
        record a partial payment out of band, so nothing is sent, the invoice stays
        Published (its page still asks for 100.00) and Finance gets a to-do. The other
        60.00: `POST /v1/invoices/{id}/pay` with `paid_out_of_band=true`, once, with the
        key q2c-<db uuid>-<move id>-paid-out-of-band; Online Payment reads Paid Another
        Way with 100.00 paid another way. The job run again sends nothing."""
        with stripe_stand_in(self.stripe_system, api_key=KEY) as stripe:
            invoice, stripe_invoice = self._published(stripe)
            pay_path = f"/v1/invoices/{stripe_invoice['id']}/pay"
            self._pay_by_bank(invoice, 40.0)
            self._update(invoice)
            self.assertFalse(stripe.posts(pay_path))
            self.assertEqual(invoice.q2c_publication_state, "published")
            self.assertAmount(invoice.q2c_paid_elsewhere_amount, 40.0)
            self.assertEqual(len(self._activities(invoice)), 1)
            self._update(invoice)
            self.assertEqual(len(self._activities(invoice)), 1)

            self._pay_by_bank(invoice, 60.0)
            self.assertIn(invoice.payment_state, ("paid", "in_payment"))
            self._update(invoice)
            (pay,) = stripe.posts(pay_path)
            self.assertEqual(pay["form"], {"paid_out_of_band": "true"})
            self.assertEqual(
                pay["headers"]["Idempotency-Key"],
                f"q2c-{self.db_uuid}-{invoice.id}-paid-out-of-band",
            )
            self.assertEqual(stripe_invoice["status"], "paid")
            self.assertEqual(invoice.q2c_publication_state, "paid_elsewhere")
            self.assertAmount(invoice.q2c_paid_elsewhere_amount, 100.0)
            sent = len(stripe.requests)
            self._update(invoice)
            self.assertEqual(len(stripe.requests), sent)

    def test_refused_void_fails_and_the_hourly_job_retries_it(self):
        """Stripe refuses the void once (HTTP 400; the invoice, read again, is still
        open): the invoice shows Failed with the reason. The hourly batch job queues the
        update again, which voids it with the same key."""
        with stripe_stand_in(self.stripe_system, api_key=KEY) as stripe:
            invoice, stripe_invoice = self._published(stripe)
            stripe.failures.append((f"/v1/invoices/{stripe_invoice['id']}/void", 400, {}))
            invoice.with_user(self.finance_user).button_cancel()
            self._update(invoice)
            self.assertEqual(invoice.q2c_publication_state, "failed")
            self.assertIn("HTTP 400", invoice.q2c_publication_error)
            first_job = invoice.q2c_update_job_uuid
            self.env["account.move"]._cron_q2c_publish_failed()
            self.assertNotEqual(invoice.q2c_update_job_uuid, first_job)
            self._update(invoice)
            self.assertEqual(invoice.q2c_publication_state, "voided")
            self.assertFalse(invoice.q2c_publication_error)
            keys = {
                r["headers"]["Idempotency-Key"]
                for r in stripe.posts(f"/v1/invoices/{stripe_invoice['id']}/void")
            }
            self.assertEqual(keys, {f"q2c-{self.db_uuid}-{invoice.id}-void"})

    def test_wrong_secret_key_is_refused(self):
        """The stand-in checks the secret key: with another key, the update fails with
        Stripe's 401 and nothing is voided."""
        with stripe_stand_in(self.stripe_system, api_key=KEY) as stripe:
            invoice, stripe_invoice = self._published(stripe)
            self.stripe_system.api_token = "sk_test_wrong"
            invoice.with_user(self.finance_user).button_cancel()
            self._update(invoice)
            self.assertEqual(invoice.q2c_publication_state, "failed")
            self.assertEqual(stripe_invoice["status"], "open")

    def test_paid_through_another_gateway_is_paid_out_of_band(self):
        """An invoice of 100.00 published on Stripe A is paid through another gateway
        system B of the company (a second account, publishing nothing): B books its
        payment of 100.00, which Stripe A does not know, so it is paid another way for A:
        one update job marks the Stripe invoice paid out of band and Online Payment reads
        Paid Another Way, 100.00 (the customer is not asked to pay twice)."""
        other = self.env["q2c.system"].create(
            {
                "name": "Gateway B (test)",
                "system_type": "generic",
                "user_id": self.stripe_user.id,
                "company_id": self.company.id,
                "payment_journal_id": self.bank_journal.id,
            }
        )
        with stripe_stand_in(self.stripe_system, api_key=KEY) as stripe:
            invoice, stripe_invoice = self._published(stripe)
            tx = {
                "kind": "payment",
                "external_id": "pi_other_gateway",
                "amount": 100.0,
                "currency": invoice.currency_id.name,
                "invoice_ref": invoice.name,
            }
            self.env["q2c.payment.settlement"].with_user(self.stripe_user)._apply(other, tx)
            self.env.invalidate_all()
            self.assertIn(invoice.payment_state, ("paid", "in_payment"))
            self._update(invoice)
            (pay,) = stripe.posts(f"/v1/invoices/{stripe_invoice['id']}/pay")
            self.assertEqual(pay["form"], {"paid_out_of_band": "true"})
            self.assertEqual(invoice.q2c_publication_state, "paid_elsewhere")
            self.assertAmount(invoice.q2c_paid_elsewhere_amount, 100.0)

    def test_payment_matched_by_hand_is_paid_out_of_band(self):
        """An invoice of 100.00 published on Stripe; the customer pays 100.00 through
        another Stripe payment carrying no reference (held in Payments to Match: No
        invoice found), which Finance matches to the invoice. That payment did not pay
        Stripe's copy of the invoice, whose page still asks for 100.00: one update job marks
        it paid out of band, Online Payment reads Paid Another Way, 100.00. A payment Stripe
        booked by its reference is not (test_payment_booked_by_q2c_is_not_voided)."""
        with stripe_stand_in(self.stripe_system, api_key=KEY) as stripe:
            invoice, stripe_invoice = self._published(stripe)
            tx = {
                "kind": "payment",
                "external_id": "pi_no_reference",
                "amount": 100.0,
                "currency": invoice.currency_id.name,
            }
            Settlement = self.env["q2c.payment.settlement"]
            Settlement.with_user(self.stripe_user)._apply(self.stripe_system, tx)
            held = Settlement.search([("external_id", "=", "pi_no_reference")])
            self.assertEqual((held.state, held.reason), ("to_match", "unmatched"))
            self.assertFalse(invoice.q2c_update_job_uuid)
            held = held.with_user(self.finance_user)
            held.move_id = invoice
            held.action_match()
            self.env.invalidate_all()
            self.assertTrue(held.matched_by_hand)
            self.assertIn(invoice.payment_state, ("paid", "in_payment"))
            self._update(invoice)
            (pay,) = stripe.posts(f"/v1/invoices/{stripe_invoice['id']}/pay")
            self.assertEqual(pay["form"], {"paid_out_of_band": "true"})
            self.assertEqual(invoice.q2c_publication_state, "paid_elsewhere")
            self.assertAmount(invoice.q2c_paid_elsewhere_amount, 100.0)
