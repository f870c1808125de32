from odoo import fields, models


class Q2cRetainerDrawdown(models.Model):
    """A billing run draws each billed time entry's value from the retainer funds: one
    drawdown per entry and bucket, pointing to the "Retainer applied" invoice line that
    billed it. Deleting that line (its run cancelled) deletes the drawdown: the funds are
    back."""

    _inherit = "q2c.retainer.drawdown"

    invoice_line_id = fields.Many2one(
        "account.move.line",
        string="Invoice Line",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        help="The invoice line that applied this usage to the retainer.",
    )
    invoice_id = fields.Many2one(related="invoice_line_id.move_id", string="Invoice")
    timesheet_id = fields.Many2one(
        "account.analytic.line",
        string="Time Entry",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
    )

    _sql_constraints = [
        (
            "timesheet_bucket_invoice_uniq",
            "unique(timesheet_id, bucket_id, invoice_line_id)",
            "A time entry draws once from a bucket.",
        ),
    ]
