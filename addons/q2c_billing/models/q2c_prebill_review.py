from decimal import ROUND_HALF_UP, Decimal

from odoo import _, api, fields, models
from odoo.addons.q2c_contract.money import round_half_up
from odoo.exceptions import AccessError, UserError

from ..exceptions import BillingBlocked
from .q2c_prebill_line import COMPUTED_KINDS

STATES = [("to_review", "To Review"), ("approved", "Approved"), ("cancelled", "Cancelled")]
FINANCE = "q2c_contract.group_q2c_finance"
MESSAGES = {
    "group": "Only Finance users review pre-bills.",
    "state": "The pre-bill review of %(review)s is %(state)s: only a review still to review "
    "can be adjusted or approved.",
    "blocked": "The invoice of %(review)s cannot be created: %(reason)s",
    "approved": "Pre-bill approved: invoice %(invoice)s, billed %(billed)s of a standard "
    "value of %(standard)s (realization %(realization)s%%).",
    "approved_nothing": "Pre-bill approved: nothing left to bill in this period.",
}


class Q2cPrebillReview(models.Model):
    """The pre-bill of one contract in one billing run (billing-domain.md 1.6): a draft
    invoice proposal a Finance reviewer works on before the invoice is created.

    The run's job builds it instead of the invoice when the contract requires a pre-bill
    review: one line per invoice line it would have created (time grouped per employee,
    role, rate and month, corrections, expenses, milestone shares). The reviewer adjusts
    billed hours, rate or an invoice-level amount, each with a reason code, excludes lines
    to the next period or writes them off; approving creates the invoice with the adjusted
    amounts through the same code as a run without review, exactly once (the invoice's
    unique link to the run result decides)."""

    _name = "q2c.prebill.review"
    _description = "Pre-bill Review"
    _inherit = ["mail.thread", "q2c.guarded.mixin"]
    _order = "id desc"
    _check_company_auto = True

    run_line_id = fields.Many2one(
        "q2c.billing.run.line",
        string="Billing Run Result",
        required=True,
        ondelete="cascade",
        readonly=True,
        index=True,
    )
    run_id = fields.Many2one(related="run_line_id.run_id", store=True, string="Billing Run")
    company_id = fields.Many2one(related="run_line_id.company_id", store=True, index=True)
    contract_id = fields.Many2one(related="run_line_id.contract_id", store=True, index=True)
    partner_id = fields.Many2one(related="contract_id.partner_id", string="Customer")
    contract_billing_model = fields.Selection(related="contract_id.billing_model")
    date_from = fields.Date(related="run_id.date_from", string="Period Start")
    date_to = fields.Date(related="run_id.date_to", string="Period End")
    currency_id = fields.Many2one(related="contract_id.currency_id")
    state = fields.Selection(
        STATES, string="Status", default="to_review", required=True, readonly=True, tracking=True
    )
    line_ids = fields.One2many("q2c.prebill.line", "review_id", string="Proposal")
    reviewer_id = fields.Many2one("res.users", string="Approved By", readonly=True, tracking=True)
    approved_at = fields.Datetime("Approved On", readonly=True, tracking=True)
    invoice_id = fields.Many2one(related="run_line_id.invoice_id", string="Invoice")
    standard_value = fields.Monetary(
        compute="_compute_values",
        store=True,
        help="Recorded hours x stored rate (and expenses, milestones at their value) of what "
        "this period bills or writes off; lines moved to the next period are left out.",
    )
    billed_value = fields.Monetary(
        compute="_compute_values",
        store=True,
        help="What the invoice bills for these lines, amount adjustments included.",
    )
    adjustment_value = fields.Monetary(
        "Write-up / Write-down",
        compute="_compute_values",
        store=True,
        help="Billed value minus standard value: negative is a write-down.",
    )
    realization = fields.Float(
        "Realization (%)",
        compute="_compute_values",
        store=True,
        aggregator="avg",
        digits=(16, 2),
        help="Billed value / standard value, in percent (shown rounded, never computed on).",
    )
    amount_total = fields.Monetary(
        "Invoice Total",
        compute="_compute_values",
        store=True,
        help="What the invoice will total before taxes: the billed value and the computed "
        "lines: a retainer's funds invoiced and what they pay, a not-to-exceed cap's "
        "adjustments.",
    )

    has_computed_lines = fields.Boolean(compute="_compute_has_computed_lines")

    _sql_constraints = [
        ("run_line_uniq", "unique(run_line_id)", "A contract's result in a run has one review.")
    ]

    @api.depends("run_id.name", "contract_id.display_name")
    def _compute_display_name(self):
        for review in self:
            review.display_name = _(
                "%(run)s: %(contract)s",
                run=review.run_id.name,
                contract=review.contract_id.display_name,
            )

    @api.depends(
        "line_ids.standard_value",
        "line_ids.billed_value",
        "line_ids.disposition",
        "line_ids.kind",
    )
    def _compute_values(self):
        """Standard = sum of the standard values of the lines billed or written off; billed
        = sum of their billed values plus the amount adjustments (1.6); realization =
        billed / standard. The computed lines (a retainer's funds and what they pay, 1.4; a
        not-to-exceed cap's adjustments, 1.2: what it holds is deferred, not written down)
        are not work: they count in the invoice total only."""
        for review in self:
            currency = review.currency_id or review.env.company.currency_id
            review.amount_total = round_half_up(
                currency,
                sum((Decimal(repr(line.billed_value)) for line in review.line_ids), Decimal(0)),
            )
            counted = review.line_ids.filtered(
                lambda line: line.disposition != "next_period" and line.kind not in COMPUTED_KINDS
            )
            standard = round_half_up(
                currency,
                sum((Decimal(repr(line.standard_value)) for line in counted), Decimal(0)),
            )
            billed = round_half_up(
                currency,
                sum((Decimal(repr(line.billed_value)) for line in counted), Decimal(0)),
            )
            review.standard_value = standard
            review.billed_value = billed
            review.adjustment_value = currency.round(billed - standard)
            review.realization = review._ratio(billed, standard)

    @api.depends("line_ids.kind")
    def _compute_has_computed_lines(self):
        for review in self:
            review.has_computed_lines = any(
                kind in COMPUTED_KINDS for kind in review.line_ids.mapped("kind")
            )

    @api.model
    def _ratio(self, billed, standard):
        """billed / standard in percent, rounded half-up to 2 decimals for display only."""
        if not standard:
            return 0.0
        ratio = Decimal(repr(billed)) / Decimal(repr(standard)) * Decimal(100)
        return float(ratio.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))

    # ------------------------------------------------------------------ guards

    def _q2c_guarded_fields(self):
        """Approval moves the state and records who approved, once."""
        return super()._q2c_guarded_fields() | {"state", "reviewer_id", "approved_at"}

    def _check_open(self):
        """Raise unless the user is Finance and every review is still to review."""
        if not self.env.su and not self.env.user.has_group(FINANCE):
            raise AccessError(_(MESSAGES["group"]))
        self.check_access("write")
        for review in self:
            if review.state != "to_review":
                raise UserError(
                    _(
                        MESSAGES["state"],
                        review=review.display_name,
                        state=dict(STATES)[review.state],
                    )
                )

    # ------------------------------------------------------------------ computed lines

    def _refresh_computed_lines(self):
        """The computed lines of the proposal (a retainer's, a cap's) follow the reviewer's
        decisions: recomputed as approving now would invoice them
        (`_prebill_computed_lines`)."""
        for review in self.sudo():
            if review.state == "to_review":
                review.run_line_id._prebill_computed_lines(review)

    # ------------------------------------------------------------------ approve

    def action_approve(self):
        """Create each contract's invoice with the adjusted amounts: entries written off are
        marked written off (never billed), entries moved to the next period stay to bill,
        billed hours and rates are stored on the entries; then the run's own invoice code
        builds the invoice from this proposal. When the run has no review left, it moves on
        to invoiced (and is posted when the company posts automatically)."""
        self._check_open()
        for review in self:
            review._approve_one()
        for run in self.run_id:
            run._prebill_reviews_done()
        return True

    def _approve_one(self):
        self.ensure_one()
        run_line = self.run_line_id.with_context(q2c_prebill_review_id=self.id)
        try:
            with self.env.cr.savepoint():
                self.line_ids._apply_to_entries()
                run_line._build_invoice()
        except BillingBlocked as error:
            raise UserError(
                _(MESSAGES["blocked"], review=self.display_name, reason=str(error))
            ) from error
        self._q2c_guarded_write(
            {
                "state": "approved",
                "reviewer_id": self.env.uid,
                "approved_at": fields.Datetime.now(),
            }
        )
        self._log_approval()

    def _log_approval(self):
        invoice = self.run_line_id.invoice_id
        if not invoice:
            self._message_log(body=_(MESSAGES["approved_nothing"]))
            return
        contract = self.contract_id
        self._message_log(
            body=_(
                MESSAGES["approved"],
                invoice=invoice.display_name,
                billed=contract._fmt(self.billed_value),
                standard=contract._fmt(self.standard_value),
                realization=f"{self.realization:.2f}",
            )
        )

    def _cancel(self):
        """The run was cancelled before approval: the proposal stays, for the record."""
        self.filtered(lambda review: review.state == "to_review")._q2c_guarded_write(
            {"state": "cancelled"}
        )

    def action_view_invoice(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.invoice_id.id,
            "view_mode": "form",
        }
