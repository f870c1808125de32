from odoo import fields, models

# What freeing a record resets: it is to bill again, on no invoice.
FREED = {
    "q2c_billing_status": "to_bill",
    "q2c_billed_at": False,
    "q2c_billing_ref": False,
    "q2c_invoice_line_id": False,
}


class Q2cIngestedMixin(models.AbstractModel):
    """Billing on every ingested model (time entries, expenses, ...): the invoice line that
    billed a record, and freeing it when that invoice goes away."""

    _inherit = "q2c.ingested.mixin"

    q2c_invoice_line_id = fields.Many2one(
        "account.move.line",
        string="Billed on Invoice Line",
        copy=False,
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The customer invoice line that billed this record (q2c billing run).",
    )
    q2c_invoice_id = fields.Many2one(
        related="q2c_invoice_line_id.move_id", string="Billed on Invoice"
    )

    def _q2c_guarded_fields(self):
        """The invoice line that billed a record is billing's, like its status."""
        return super()._q2c_guarded_fields() | {"q2c_invoice_line_id"}

    def _q2c_billing_free(self):
        """The draft invoice that billed these records is deleted (its run was cancelled):
        they are to bill again, by the next run."""
        return self._q2c_guarded_write(FREED)
