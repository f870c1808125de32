from odoo import _, fields, models
from odoo.exceptions import UserError


class AccountMove(models.Model):
    _inherit = "account.move"

    q2c_billing_line_id = fields.Many2one(
        "q2c.billing.run.line",
        string="Billing Run Result",
        copy=False,
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    q2c_billing_run_id = fields.Many2one(
        related="q2c_billing_line_id.run_id", string="Billing Run", store=True, index=True
    )
    q2c_contract_id = fields.Many2one(
        "q2c.contract", string="Contract", copy=False, readonly=True, index="btree_not_null"
    )

    _sql_constraints = [
        (
            "q2c_billing_line_uniq",
            "unique(q2c_billing_line_id)",
            "A contract's result in a billing run has one invoice.",
        ),
    ]

    def unlink(self):
        """The entries a q2c draft invoice billed are freed before it goes, whoever deletes
        it: otherwise they would stay marked billed by an invoice that no longer exists."""
        billed = self.filtered(lambda move: move.q2c_billing_line_id and move.state == "draft")
        if billed:
            lines = billed.invoice_line_ids
            lines.sudo().q2c_timesheet_ids._q2c_billing_free()
            lines.sudo().q2c_expense_ids._q2c_billing_free()
        return super().unlink()

    def button_draft(self):
        if self.filtered(lambda move: move.q2c_billing_line_id and move.state == "posted"):
            raise UserError(
                _(
                    "This invoice was created by a billing run and is posted: correct it with a "
                    "credit note, not by resetting it to draft."
                )
            )
        return super().button_draft()
