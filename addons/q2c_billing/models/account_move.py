from odoo import _, api, fields, models
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
    # The service period on the invoice (Community has no service dates on invoice lines):
    # the billing run's period; each line's name carries its own dates.
    q2c_service_date_from = fields.Date("Service Period Start", copy=False, readonly=True)
    q2c_service_date_to = fields.Date("Service Period End", copy=False, readonly=True)
    q2c_timesheet_ids = fields.Many2many(
        "account.analytic.line",
        string="Billed Time Entries",
        compute="_compute_q2c_timesheet_ids",
        compute_sudo=True,
        help="The time entries this invoice's lines billed: the timesheet annex of its PDF.",
    )

    _sql_constraints = [
        (
            "q2c_billing_line_uniq",
            "unique(q2c_billing_line_id, move_type)",
            "A contract's result in a billing run has one invoice and at most one credit note.",
        ),
    ]

    @api.depends("invoice_line_ids.q2c_timesheet_ids")
    def _compute_q2c_timesheet_ids(self):
        for move in self:
            move.q2c_timesheet_ids = move.invoice_line_ids.q2c_timesheet_ids.sorted(
                lambda line: (line.employee_id.name or "", line.date, line.id)
            )

    def _q2c_annex_entries(self):
        """The time entries of the timesheet annex (report_invoice_document), read as
        superuser: whoever may print the invoice (Finance, the customer on the portal) sees
        the entries it billed, whichever employee logged them."""
        self.ensure_one()
        return self.sudo().q2c_timesheet_ids

    def unlink(self):
        """The entries a q2c draft invoice billed are freed before it goes, whoever deletes
        it: otherwise they would stay marked billed by an invoice that no longer exists."""
        billed = self.filtered(lambda move: move.q2c_billing_line_id and move.state == "draft")
        if billed:
            lines = billed.invoice_line_ids
            held_again = billed._q2c_released_entries()
            lines.sudo().q2c_timesheet_ids._q2c_billing_free()
            lines.sudo().q2c_expense_ids._q2c_billing_free()
            billed._q2c_free_held_entries()
            held_again._q2c_guarded_write({"q2c_billing_status": "nte_held"})
        return super().unlink()

    def _q2c_released_entries(self):
        """Truncate mode: the entries wholly held by an earlier invoice that these drafts
        billed by releasing them: when the drafts go, their hold holds them again."""
        rows = (
            self.env["q2c.cap.hold"]
            .sudo()
            .search([("invoice_id", "in", self.ids), ("kind", "=", "release")])
        )
        return rows.timesheet_id.filtered(lambda line: line.q2c_invoice_id in self)

    def _q2c_free_held_entries(self):
        """Truncate mode: the entries these drafts held whole are to bill again (the
        drafts' ledger rows go with them)."""
        rows = (
            self.env["q2c.cap.hold"]
            .sudo()
            .search([("invoice_id", "in", self.ids), ("kind", "=", "hold")])
        )
        held = rows.timesheet_id.filtered(lambda line: line.q2c_billing_status == "nte_held")
        held._q2c_billing_free()

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted.line_ids.q2c_cap_contract_id._nte_refresh_billed()
        return posted

    def button_cancel(self):
        contracts = self.line_ids.q2c_cap_contract_id
        result = super().button_cancel()
        contracts._nte_refresh_billed()
        return result

    def button_draft(self):
        if self.filtered(lambda move: move.q2c_billing_line_id and move.state == "posted"):
            raise UserError(
                _(
                    "This invoice was created by a billing run and is posted: correct it with a "
                    "credit note, not by resetting it to draft."
                )
            )
        contracts = self.line_ids.q2c_cap_contract_id
        result = super().button_draft()
        contracts._nte_refresh_billed()
        return result
