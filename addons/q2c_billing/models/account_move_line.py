from odoo import api, fields, models

RETAINAGE_KINDS = [("withheld", "Retainage withheld"), ("release", "Retainage release")]


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    q2c_timesheet_ids = fields.One2many(
        "account.analytic.line", "q2c_invoice_line_id", string="Billed Time Entries"
    )
    q2c_expense_ids = fields.One2many(
        "hr.expense", "q2c_invoice_line_id", string="Billed Expenses"
    )
    q2c_cap_contract_id = fields.Many2one(
        "q2c.contract",
        string="Under Cap of",
        # copy: a credit note made from the invoice is under the same cap (it re-opens it).
        copy=True,
        readonly=True,
        index="btree_not_null",
        help="The contract whose not-to-exceed cap this line counts against.",
    )

    q2c_retainage_kind = fields.Selection(
        RETAINAGE_KINDS,
        string="Retainage",
        # copy: a credit note made from the invoice gives back the retainage it withheld.
        copy=True,
        readonly=True,
        index="btree_not_null",
        help="A line withholding retainage (negative) or releasing it (positive) on a "
        "construction contract's invoice (billing-domain.md 2.4); the contract's Retainage "
        "Held sums them over its posted invoices.",
    )

    q2c_milestone_share_ids = fields.One2many(
        "q2c.milestone.share", "invoice_line_id", string="Billed Milestone Shares"
    )

    q2c_retainer_drawdown_ids = fields.One2many(
        "q2c.retainer.drawdown", "invoice_line_id", string="Retainer Drawdowns"
    )
    q2c_retainer_bucket_ids = fields.One2many(
        "q2c.retainer.bucket", "invoice_line_id", string="Retainer Funds Invoiced"
    )

    @api.ondelete(at_uninstall=False)
    def _unlink_q2c_free_retainer(self):
        """A deleted line of a draft invoice gives back the retainer funds it applied (its
        drawdowns go) and un-invoices the funds it billed: a period's funds go, to be opened
        again by the next run; a top-up is to invoice again."""
        lines = self.sudo()
        lines.q2c_retainer_drawdown_ids.unlink()
        lines.q2c_retainer_bucket_ids._q2c_unbill(lines)

    @api.ondelete(at_uninstall=False)
    def _unlink_q2c_free_milestone_shares(self):
        """A deleted line of a draft invoice (the invoice deleted, or the line removed from
        it) frees the milestone shares it billed: they are to bill again, by the next run.
        Odoo refuses to delete the line of a posted invoice before this runs."""
        self.sudo().q2c_milestone_share_ids._q2c_free()
