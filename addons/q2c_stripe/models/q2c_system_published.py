"""A published Stripe invoice after publication (docs/connectors/stripe.md, "After
publication"): voided when the Odoo invoice is cancelled or reversed, paid out of band when
it is paid another way. Called by q2c_payment's update job."""

from odoo import models
from odoo.addons.q2c_base.exceptions import PermanentError


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    def _stripe_invoice_status(self, move):
        invoice_id = move.q2c_publication_external_id
        return self._stripe_get(f"/v1/invoices/{invoice_id}").get("status")

    def _q2c_void_published_invoice(self, move):
        """`POST /v1/invoices/{id}/void` (no parameters; key `...-void`), after reading the
        invoice: one `paid` is not voided, one already `void` is not voided again. A void
        Stripe refuses is read again: paid meanwhile (the customer paid in that second) is
        an answer, anything else a refusal."""
        if self.system_type != "stripe":
            return super()._q2c_void_published_invoice(move)
        status = self._stripe_invoice_status(move)
        if status == "paid":
            return "paid"
        if status == "void":
            return "voided"
        path = f"/v1/invoices/{move.q2c_publication_external_id}/void"
        try:
            self._stripe_post(path, {}, self._q2c_idempotency_key(move, "void"))
        except PermanentError:
            if self._stripe_invoice_status(move) == "paid":
                return "paid"
            raise
        return "voided"

    def _q2c_mark_published_invoice_paid(self, move, amount):
        """Stripe closes an invoice paid another way only whole: `POST
        /v1/invoices/{id}/pay` with `paid_out_of_band=true` (key `...-paid-out-of-band`)
        once the Odoo invoice is fully paid; a partial payment another way is not sent
        ("skipped": Finance is told the page still asks for the whole invoice). An invoice
        Stripe already holds as paid is left as it is."""
        if self.system_type != "stripe":
            return super()._q2c_mark_published_invoice_paid(move, amount)
        if not move.currency_id.is_zero(move.amount_residual):
            return "skipped"
        if self._stripe_invoice_status(move) == "paid":
            return "paid"
        self._stripe_post(
            f"/v1/invoices/{move.q2c_publication_external_id}/pay",
            {"paid_out_of_band": "true"},
            self._q2c_idempotency_key(move, "paid-out-of-band"),
        )
        return "paid"
