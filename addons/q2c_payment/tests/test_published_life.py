import re

from odoo.addons.q2c_base.tests.common import Q2cCase
from odoo.addons.q2c_billing.tests.common import Q2cBillingCase
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged


@tagged("post_install", "-at_install")
class TestPublishedLifeFramework(Q2cBillingCase):
    """The update of a published invoice's gateway copy without a gateway connector: what
    queues the job, the hooks every connector implements, the fields only the job
    writes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A gateway's integration user registers payments (Accounting: Billing).
        cls.integration_user.groups_id += cls.env.ref("account.group_account_invoice")

    def _published(self):
        invoice = self.init_invoice(
            "out_invoice", partner=self.customer, amounts=[100.0], post=True
        )
        invoice._q2c_publication_done(
            self.system, {"external_id": "gw_1", "url": "https://pay.example/gw_1"}
        )
        return invoice

    def test_system_without_the_hook_fails_with_the_reason(self):
        """A cancelled published invoice queues its update job as the system's integration
        user; the base hook is not implemented, so the invoice shows Failed with the
        reason (the hourly batch job will try again)."""
        invoice = self._published()
        invoice.button_cancel()
        job = self.env["queue.job"].search([("uuid", "=", invoice.q2c_update_job_uuid)])
        self.assertEqual(
            (job.method_name, job.user_id), ("_q2c_gateway_update_job", self.integration_user)
        )
        Q2cCase._perform_job(self, invoice.q2c_update_job_uuid)
        self.assertEqual(invoice.q2c_publication_state, "failed")
        self.assertIn("cannot void published invoices", invoice.q2c_publication_error)

    def test_unpublished_invoices_queue_nothing(self):
        """An invoice never published, cancelled or paid, queues no update."""
        invoice = self.init_invoice(
            "out_invoice", partner=self.customer, amounts=[100.0], post=True
        )
        invoice.button_cancel()
        self.assertFalse(invoice.q2c_update_job_uuid)

    def test_paid_elsewhere_amount_is_written_by_the_job_only(self):
        invoice = self._published()
        with self.assertRaises(AccessError):
            invoice.with_user(self.finance_user).write({"q2c_paid_elsewhere_amount": 100.0})

    def test_one_gateway_publishes_a_currency(self):
        """Two gateway systems of one company may not both publish a currency: ticking
        Publish Posted Invoices on a second one (no Published Currencies: every currency)
        is refused with a message naming the first. With currencies of their own (USD
        here, EUR there) both may publish; a second one then asking for USD too is
        refused."""
        usd = self.env.ref("base.USD")
        eur = self.env.ref("base.EUR")
        (usd | eur).active = True
        self.system.payment_publish_invoices = True
        other = self.system.create(
            {
                "name": "Gateway B (test)",
                "system_type": "generic",
                "user_id": self.system.user_id.id,
                "company_id": self.system.company_id.id,
            }
        )
        with (
            self.assertRaisesRegex(
                ValidationError, re.escape(f"{self.system.name} already publishes")
            ),
            self.env.cr.savepoint(),
        ):
            other.payment_publish_invoices = True
            other.flush_recordset()
        self.env.invalidate_all()
        self.assertFalse(other.payment_publish_invoices)
        self.system.payment_publish_currency_ids = usd
        other.write({"payment_publish_invoices": True, "payment_publish_currency_ids": eur})
        with self.assertRaisesRegex(ValidationError, "in USD"), self.env.cr.savepoint():
            other.payment_publish_currency_ids = eur | usd
            other.flush_recordset()
