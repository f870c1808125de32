from odoo import api, fields, models
from odoo.tools import float_round

KINDS = [("hold", "Held over the cap"), ("release", "Released")]


class Q2cCapHold(models.Model):
    """The not-to-exceed held ledger (billing-domain.md 1.2): what a billing run held over a
    contract's cap, and what a later run released once the cap was raised.

    A `hold` row is written with the invoice whose cap adjustment withheld the amount; a
    `release` row with the invoice that billed it again, pointing to the hold it releases
    (oldest first). Rows belong to their invoice: deleting a draft invoice (a cancelled run)
    deletes its rows, so the ledger always says what the invoices say. Nobody edits it."""

    _name = "q2c.cap.hold"
    _description = "Not-to-exceed Held Ledger"
    _order = "date, id"
    _check_company_auto = True

    contract_id = fields.Many2one(
        "q2c.contract", required=True, ondelete="restrict", index=True, check_company=True
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="contract_id.currency_id")
    kind = fields.Selection(KINDS, required=True, readonly=True)
    name = fields.Char(string="Description", required=True, readonly=True)
    date = fields.Date(required=True, readonly=True, help="The invoice date.")
    amount = fields.Monetary(required=True, readonly=True, help="Held, or released (positive).")
    run_line_id = fields.Many2one(
        "q2c.billing.run.line", string="Billing Run Result", readonly=True, ondelete="set null"
    )
    run_id = fields.Many2one(related="run_line_id.run_id", string="Billing Run")
    invoice_id = fields.Many2one(
        "account.move", required=True, readonly=True, index=True, ondelete="cascade"
    )
    invoice_line_id = fields.Many2one("account.move.line", readonly=True, ondelete="set null")
    hold_id = fields.Many2one(
        "q2c.cap.hold",
        string="Releases",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        help="The hold this release bills again.",
    )
    timesheet_id = fields.Many2one(
        "account.analytic.line",
        string="Time Entry",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        help="Truncate mode: the entry whose hours are held or released.",
    )
    hours = fields.Float(readonly=True, digits="Product Unit of Measure")
    rate = fields.Float(readonly=True, digits="Product Price")
    release_ids = fields.One2many("q2c.cap.hold", "hold_id", string="Released by")
    remaining = fields.Monetary(
        compute="_compute_remaining", help="Of a hold: the amount not released yet."
    )

    @api.depends("amount", "kind", "release_ids.amount")
    def _compute_remaining(self):
        for row in self:
            if row.kind != "hold":
                row.remaining = 0.0
                continue
            row.remaining = row._live_remaining()

    @api.model
    def _open_holds(self, contract):
        """The holds of `contract` with an amount left to release, oldest first, on invoices
        not cancelled (draft or posted)."""
        holds = self.sudo().search(
            [
                ("contract_id", "=", contract.id),
                ("kind", "=", "hold"),
                ("invoice_id.state", "!=", "cancel"),
            ],
            order="date, id",
        )
        currency = contract.currency_id
        return holds.filtered(
            lambda hold: currency.compare_amounts(hold._live_remaining(), 0.0) > 0
        )

    def _live_remaining(self):
        """Remaining amount counting only releases on invoices not cancelled."""
        self.ensure_one()
        releases = self.release_ids.filtered(lambda row: row.invoice_id.state != "cancel")
        return self.currency_id.round(self.amount - sum(releases.mapped("amount")))

    def _live_remaining_hours(self):
        """Of a truncate hold: the hours not released yet."""
        self.ensure_one()
        releases = self.release_ids.filtered(lambda row: row.invoice_id.state != "cancel")
        return float_round(self.hours - sum(releases.mapped("hours")), precision_digits=2)

    def _invoice_label(self):
        """The invoice that held the amount: its number, or its run while it is a draft."""
        self.ensure_one()
        name = self.invoice_id.name
        return name if name and name != "/" else self.run_line_id.run_id.name or ""
