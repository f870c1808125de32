from odoo import _, fields, models
from odoo.exceptions import UserError

# What a source edit changes on a time entry; refused while hours of it are held over a cap.
DELIVERED_FIELDS = frozenset(
    {"unit_amount", "date", "employee_id", "q2c_rate", "q2c_approval_state", "q2c_billable"}
)
CAP_HELD = (
    "Time entry %(entry)s is held over the not-to-exceed cap of %(contract)s (%(hours)s h, "
    "truncate mode): it can change only once its held hours are billed, after the cap is "
    "raised."
)


class AccountAnalyticLine(models.Model):
    _inherit = "account.analytic.line"

    q2c_billing_status = fields.Selection(
        selection_add=[("nte_held", "Held: over the cap")],
        ondelete={"nte_held": "set null"},
    )

    def write(self, vals):
        if not DELIVERED_FIELDS.isdisjoint(vals):
            self._q2c_check_not_cap_held()
        return super().write(vals)

    def _q2c_invoiced_hours(self):
        """The hours the invoice bills of this entry (its timesheet annex): what a pre-bill
        review decided (`q2c_billed_quantity`, billing-domain.md 1.6), else its recorded
        hours."""
        self.ensure_one()
        return self.q2c_billed_quantity if self.q2c_prebill_line_id else self.unit_amount

    def _q2c_correct(self, vals):
        self._q2c_check_not_cap_held()
        return super()._q2c_correct(vals)

    def _q2c_write_deleted(self, reason):
        self._q2c_check_not_cap_held()
        return super()._q2c_write_deleted(reason)

    def _q2c_check_not_cap_held(self):
        """Hours of an entry held in the cap ledger (truncate mode) are billed later from
        the ledger: an edit, a rejection or a deletion at the source meanwhile would bill
        them twice, or reverse hours never billed. Refused with the reason (ingestion
        reports the entry rejected); a person settles it once the hours are released."""
        if not self.ids:
            return
        holds = (
            self.env["q2c.cap.hold"]
            .sudo()
            .search(
                [
                    ("timesheet_id", "in", self.ids),
                    ("kind", "=", "hold"),
                    ("invoice_id.state", "!=", "cancel"),
                ]
            )
        )
        for hold in holds:
            hours = hold._live_remaining_hours()
            if hours > 0:
                raise UserError(
                    _(
                        CAP_HELD,
                        entry=hold.timesheet_id.display_name,
                        contract=hold.contract_id.display_name,
                        hours=f"{hours:.2f}",
                    )
                )

    def _q2c_recorded_quantity(self):
        """Pre-bill review (1.6): a time entry's recorded hours."""
        self.ensure_one()
        return self.unit_amount
