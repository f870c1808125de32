from odoo.addons.q2c_billing.tests.common import Q2cBillingCase
from odoo.exceptions import AccessError
from odoo.tests import tagged


@tagged("post_install", "-at_install")
class TestPublicationFramework(Q2cBillingCase):
    """The publication of posted invoices without a gateway: the hook every connector
    implements, the fields only the job writes, the give-up."""

    def _invoice(self):
        return self.init_invoice("out_invoice", partner=self.customer, amounts=[100.0], post=True)

    def test_a_system_without_publication_fails_with_the_reason(self):
        """The base hook is not implemented: the job records the invoice as Failed, with
        the reason, and sends nothing."""
        invoice = self._invoice()
        self.assertFalse(invoice.q2c_publication_state, "published without a system")
        result = invoice._q2c_publish_job(self.system.id)
        self.assertTrue(result.startswith("failed"))
        self.assertEqual(invoice.q2c_publication_state, "failed")
        self.assertIn("cannot publish invoices", invoice.q2c_publication_error)
        self.assertFalse(invoice.q2c_publication_external_id)

    def test_publication_fields_are_written_by_the_job_only(self):
        """Finance edits invoices, but not the payment link or the publication state: a
        link a person could type would send customers anywhere."""
        invoice = self._invoice()
        for vals in (
            {"q2c_payment_url": "https://example.com/pay"},
            {"q2c_publication_state": "published"},
        ):
            with self.subTest(vals), self.assertRaises(AccessError):
                invoice.with_user(self.finance_user).write(vals)

    def test_give_up_marks_failed_unless_published(self):
        """queue_job's on_fail hook: an invoice not published yet is Failed with the job's
        message; one published meanwhile stays Published."""
        failed, published = self._invoice(), self._invoice()
        published._q2c_publication_done(
            self.system, {"external_id": "gw_1", "url": "https://pay.example/gw_1"}
        )
        (failed | published)._q2c_publication_on_fail(exc_message="gave up after 5 tries")
        self.assertEqual(
            (failed.q2c_publication_state, failed.q2c_publication_error),
            ("failed", "gave up after 5 tries"),
        )
        self.assertEqual(published.q2c_publication_state, "published")
        self.assertEqual(
            self.env["q2c.external.ref"]._find(self.system, "invoice", "gw_1"), published
        )
        self.assertFalse(published._q2c_publication_due())
