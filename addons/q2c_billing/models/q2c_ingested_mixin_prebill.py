from odoo import fields, models

# What freeing a record resets of its pre-bill review.
FREED = {"q2c_billed_quantity": 0.0, "q2c_billed_rate": 0.0, "q2c_prebill_line_id": False}


class Q2cIngestedMixin(models.AbstractModel):
    """Pre-bill review on every ingested model (billing-domain.md 1.6): the recorded entry
    keeps its hours, the billed quantity and rate are stored beside them; an entry written
    off is never billed."""

    _inherit = "q2c.ingested.mixin"

    q2c_billing_status = fields.Selection(
        selection_add=[("written_off", "Written off")],
        ondelete={"written_off": "set null"},
    )
    q2c_prebill_line_id = fields.Many2one(
        "q2c.prebill.line",
        string="Pre-bill Line",
        copy=False,
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The pre-bill review line that decided how this record was billed or written off.",
    )
    q2c_billed_quantity = fields.Float(
        "Billed Hours",
        digits="Product Unit of Measure",
        copy=False,
        readonly=True,
        help="Set by a pre-bill review: what the invoice bills of this record's recorded "
        "quantity (its hours for time); the recorded quantity itself never changes.",
    )
    q2c_billed_rate = fields.Float(
        "Billed Rate", digits="Product Price", copy=False, readonly=True
    )
    q2c_writeoff_reason_id = fields.Many2one(
        related="q2c_prebill_line_id.reason_id", string="Adjustment Reason"
    )

    def _q2c_guarded_fields(self):
        """What a pre-bill review decided for the record (its billed hours and rate, the
        line that decided): only the review's approval and freeing write them."""
        return super()._q2c_guarded_fields() | set(FREED)

    def _q2c_recorded_quantity(self):
        """The quantity a pre-bill line spreads its billed quantity over: hours for time.
        Concrete models override it."""
        self.ensure_one()
        raise NotImplementedError

    def _q2c_billing_free(self):
        """A freed record forgets the review that priced it: the next run proposes it again."""
        result = super()._q2c_billing_free()
        self.filtered("q2c_prebill_line_id")._q2c_guarded_write(FREED)
        return result
