from decimal import ROUND_HALF_UP, Decimal

from odoo import _, api, fields, models
from odoo.addons.q2c_contract.money import line_amount, round_half_up
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare

KINDS = [
    ("time", "Time"),
    ("correction", "Correction"),
    ("expense", "Expense"),
    ("milestone", "Milestone"),
    ("amount", "Lump Sum"),
    ("retainer", "Retainer"),
    ("cap", "Not-to-exceed Cap"),
]
DISPOSITIONS = [
    ("bill", "Bill"),
    ("next_period", "Next Period"),
    ("write_off", "Write Off"),
]
# Lines a reviewer may adjust (hours, rate, next period, write-off); corrections settle
# what was billed and milestones bill their accepted share: they are billed as proposed.
ADJUSTABLE_KINDS = ("time", "expense")
# Lines computed from the invoice's plan (a retainer's funds, a cap's adjustments): read only.
COMPUTED_KINDS = ("retainer", "cap")
# In the context: the proposal's own refresh of its computed lines.
REFRESH_KEY = "q2c_prebill_refresh"
# What a reviewer changes on a line; each change records who and when.
ADJUSTMENT_FIELDS = frozenset(
    {"billed_hours", "billed_rate", "amount", "disposition", "reason_id", "note", "name"}
)
MESSAGES = {
    "reason": "%(line)s: an adjustment needs a reason code.",
    "not_adjustable": "%(line)s is a %(kind)s line: it is billed as proposed. Add an amount "
    "adjustment line instead.",
    "negative": "%(line)s: billed hours and rate cannot be negative.",
    "direction": "%(line)s: reason %(reason)s explains a %(kind)s, not this adjustment.",
    "proposed": "%(line)s comes from the run: only its billed hours, rate, disposition and "
    "reason change; delete only amount adjustment lines.",
    "retainer": "%(line)s is computed from the retainer's funds and the time billed: it "
    "follows the other lines and cannot be changed by hand.",
    "cap": "%(line)s is computed from the not-to-exceed cap and the other lines: it follows "
    "them and cannot be changed by hand.",
    "logged": "%(line)s: %(change)s (reason: %(reason)s)",
}


class Q2cPrebillLine(models.Model):
    """One line of a pre-bill (billing-domain.md 1.6): what the invoice would bill, at
    standard value (recorded hours x stored rate), and what the reviewer decides to bill.

    * Hours adjustment: the recorded entries keep their hours; the billed hours are stored
      on the line and, at approval, on each entry (`q2c_billed_quantity`, pro rata to its
      recorded hours, the last entry taking the remainder).
    * Rate adjustment: the line bills at another unit rate.
    * Amount adjustment: an invoice-level line (a discount or a premium), allocated back to
      the billed lines pro rata to their billed value, the last line taking the remainder
      (`allocated_amount`), for per-person realization.
    * Next period: the entries stay to bill, for the next run. Write off: never billed,
      their status becomes written off.

    Every adjustment names a reason code; the user and the time are kept on the line and in
    the review's chatter."""

    _name = "q2c.prebill.line"
    _description = "Pre-bill Proposal Line"
    _inherit = ["q2c.guarded.mixin"]
    _order = "review_id, sequence, id"
    _check_company_auto = True

    review_id = fields.Many2one(
        "q2c.prebill.review", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="review_id.company_id", store=True, index=True)
    contract_id = fields.Many2one(related="review_id.contract_id", store=True, index=True)
    currency_id = fields.Many2one(related="review_id.currency_id")
    review_state = fields.Selection(related="review_id.state", string="Review Status")
    sequence = fields.Integer(default=1000)
    kind = fields.Selection(KINDS, required=True, default="amount", readonly=True)
    name = fields.Char("Description", required=True)
    employee_id = fields.Many2one("hr.employee", readonly=True)
    timesheet_ids = fields.Many2many(
        "account.analytic.line",
        "q2c_prebill_line_timesheet_rel",
        "line_id",
        "timesheet_id",
        string="Time Entries",
        readonly=True,
    )
    expense_ids = fields.Many2many(
        "hr.expense",
        "q2c_prebill_line_expense_rel",
        "line_id",
        "expense_id",
        string="Expenses",
        readonly=True,
    )
    milestone_ids = fields.Many2many(
        "q2c.contract.milestone",
        "q2c_prebill_line_milestone_rel",
        "line_id",
        "milestone_id",
        string="Milestones",
        readonly=True,
    )
    recorded_hours = fields.Float(
        "Recorded Hours",
        digits="Product Unit of Measure",
        readonly=True,
        help="Hours recorded (days for a day rate; the quantity of an expense).",
    )
    rate = fields.Float("Standard Rate", digits="Product Price", readonly=True)
    standard_value = fields.Monetary(
        readonly=True, help="Recorded hours x stored rate, rounded half-up once per line."
    )
    billed_hours = fields.Float(
        "Billed Hours", digits="Product Unit of Measure", help="The quantity the invoice bills."
    )
    billed_rate = fields.Float("Billed Rate", digits="Product Price")
    amount = fields.Monetary(
        "Lump-sum Adjustment",
        help="An invoice-level discount (negative) or premium (positive).",
    )
    billed_value = fields.Monetary(compute="_compute_billed_value", store=True)
    allocated_amount = fields.Monetary(
        "Share of Lump-sum Adjustments",
        compute="_compute_allocated_amount",
        store=True,
        help="This line's share of the amount adjustments, pro rata to billed value, the "
        "last line taking the remainder (billing-domain.md 1.6).",
    )
    realization = fields.Float(
        "Realization (%)",
        compute="_compute_realization",
        store=True,
        aggregator="avg",
        digits=(16, 2),
        help="(Billed value + share of amount adjustments) / standard value, in percent.",
    )
    disposition = fields.Selection(DISPOSITIONS, "Decision", required=True, default="bill")
    reason_id = fields.Many2one("q2c.prebill.reason", string="Reason", ondelete="restrict")
    note = fields.Char()
    adjusted_by = fields.Many2one("res.users", readonly=True)
    adjusted_at = fields.Datetime("Adjusted On", readonly=True)
    entry_count = fields.Integer("Entries", compute="_compute_entry_count", compute_sudo=True)

    # ------------------------------------------------------------------ computes

    @api.depends(
        "kind",
        "disposition",
        "amount",
        "billed_hours",
        "billed_rate",
        "recorded_hours",
        "rate",
        "standard_value",
    )
    def _compute_billed_value(self):
        for line in self:
            currency = line.currency_id or line.env.company.currency_id
            if line.kind == "amount":
                line.billed_value = currency.round(line.amount)
            elif line.kind in COMPUTED_KINDS:
                # Funds, what they pay, the cap's adjustments: no standard value (not
                # work), billed as shown.
                line.billed_value = line_amount(currency, line.billed_hours, line.billed_rate)
            elif line.disposition != "bill":
                line.billed_value = 0.0
            elif not line._is_repriced():
                line.billed_value = line.standard_value
            else:
                line.billed_value = line_amount(currency, line.billed_hours, line.billed_rate)

    def _is_repriced(self):
        """Whether the billed hours or rate differ from the recorded ones."""
        self.ensure_one()
        return bool(
            float_compare(self.billed_hours, self.recorded_hours, precision_digits=2)
            or float_compare(self.billed_rate, self.rate, precision_digits=2)
        )

    @api.depends(
        "review_id.line_ids.billed_value",
        "review_id.line_ids.disposition",
        "review_id.line_ids.kind",
        "review_id.line_ids.sequence",
    )
    def _compute_allocated_amount(self):
        for review in self.review_id:
            lines = review.line_ids
            lines.allocated_amount = 0.0
            shares = lines._allocation(review.currency_id)
            for line, share in shares.items():
                line.allocated_amount = share
        (self - self.review_id.line_ids).allocated_amount = 0.0

    def _allocation(self, currency):
        """{line: share} of the amount adjustments among `self` (one review's lines): the
        billed time, expense and milestone lines, pro rata to billed value, the last line
        (by sequence) taking the remainder (billing-domain.md 1.6)."""
        currency = currency or self.env.company.currency_id
        total = sum(
            (Decimal(repr(line.amount)) for line in self if line.kind == "amount"), Decimal(0)
        )
        targets = self.filtered(
            lambda line: line.kind in ("time", "expense", "milestone")
            and line.disposition == "bill"
            and not currency.is_zero(line.billed_value)
        ).sorted(lambda line: (line.sequence, line.id))
        base = sum((Decimal(repr(line.billed_value)) for line in targets), Decimal(0))
        if not targets or not total or not base:
            return {}
        shares, given = {}, Decimal(0)
        for line in targets[:-1]:
            share = round_half_up(currency, total * Decimal(repr(line.billed_value)) / base)
            shares[line] = share
            given += Decimal(repr(share))
        shares[targets[-1]] = round_half_up(currency, total - given)
        return shares

    @api.depends("billed_value", "allocated_amount", "standard_value", "kind")
    def _compute_realization(self):
        for line in self:
            if line.kind == "amount" or not line.standard_value:
                line.realization = 0.0
                continue
            billed = Decimal(repr(line.billed_value)) + Decimal(repr(line.allocated_amount))
            ratio = billed / Decimal(repr(line.standard_value)) * Decimal(100)
            line.realization = float(ratio.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))

    def _compute_entry_count(self):
        for line in self:
            line.entry_count = len(line.timesheet_ids) + len(line.expense_ids)

    # ------------------------------------------------------------------ constraints

    def _is_adjusted(self):
        self.ensure_one()
        return self.kind == "amount" or self.disposition != "bill" or self._is_repriced()

    @api.constrains("billed_hours", "billed_rate", "amount", "disposition", "reason_id", "kind")
    def _check_adjustment(self):
        """Each adjustment states its reason (1.6); corrections and milestones are billed
        as proposed; a reason for write-downs does not explain a write-up (and back)."""
        for line in self:
            if line.kind in COMPUTED_KINDS:
                if line.disposition != "bill" or line.reason_id or line.amount:
                    raise ValidationError(_(MESSAGES[line.kind], line=line.name))
                continue
            if line.kind in ("correction", "milestone") and line._is_adjusted():
                kind = dict(KINDS)[line.kind].lower()
                raise ValidationError(_(MESSAGES["not_adjustable"], line=line.name, kind=kind))
            if line.billed_hours < 0 or line.billed_rate < 0:
                raise ValidationError(_(MESSAGES["negative"], line=line.name))
            if line._is_adjusted() and not line.reason_id:
                raise ValidationError(_(MESSAGES["reason"], line=line.name))
            direction = line._direction()
            if direction and line.reason_id.kind not in ("any", direction):
                raise ValidationError(
                    _(
                        MESSAGES["direction"],
                        line=line.name,
                        reason=line.reason_id.name,
                        kind=dict(line.reason_id._fields["kind"].selection)[
                            line.reason_id.kind
                        ].lower(),
                    )
                )

    def _direction(self):
        """write_down, write_up or None: how this line moves the billed value."""
        self.ensure_one()
        currency = self.currency_id or self.env.company.currency_id
        if self.kind == "amount":
            delta = self.amount
        elif self.disposition == "write_off":
            return "write_down"
        elif self.disposition != "bill":
            return None
        else:
            delta = self.billed_value - self.standard_value
        sign = currency.compare_amounts(delta, 0.0)
        return {-1: "write_down", 1: "write_up"}.get(sign)

    # ------------------------------------------------------------------ guards, CRUD

    def _q2c_guarded_fields(self):
        """Who adjusted a line and when: written by the adjustment itself."""
        return super()._q2c_guarded_fields() | {"adjusted_by", "adjusted_at"}

    def _q2c_immutable_fields(self):
        """What the run proposed: set when the proposal is built, never changed."""
        return super()._q2c_immutable_fields() | {
            "review_id",
            "kind",
            "employee_id",
            "timesheet_ids",
            "expense_ids",
            "milestone_ids",
            "recorded_hours",
            "rate",
            "standard_value",
        }

    @api.model_create_multi
    def create(self, vals_list):
        """Lines of a review still to review: the run's proposal, or a reviewer's amount
        adjustment (who and when recorded)."""
        reviews = self.env["q2c.prebill.review"].browse(
            {vals.get("review_id") for vals in vals_list if vals.get("review_id")}
        )
        reviews._check_open()
        lines = super().create(vals_list)
        adjustments = lines.filtered(lambda line: line.kind == "amount")
        adjustments._record_adjustment()
        if adjustments and not self.env.context.get(REFRESH_KEY):
            adjustments.review_id._refresh_computed_lines()
        return lines

    def write(self, vals):
        changes = ADJUSTMENT_FIELDS.intersection(vals)
        if not changes or self._q2c_released():
            return super().write(vals)
        self.review_id._check_open()
        computed = self.filtered(lambda line: line.kind in COMPUTED_KINDS)
        if computed:
            raise UserError(_(MESSAGES[computed[0].kind], line=computed[0].name))
        if "name" in vals and self.filtered(lambda line: line.kind != "amount"):
            raise UserError(_(MESSAGES["proposed"], line=self[:1].name))
        before = {line: line._describe() for line in self}
        result = super().write(vals)
        self._record_adjustment(before)
        self.review_id._refresh_computed_lines()
        return result

    def unlink(self):
        reviews = self.review_id
        result = super().unlink()
        if not self.env.context.get(REFRESH_KEY):
            reviews.exists()._refresh_computed_lines()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_only_adjustments(self):
        refresh = self.env.context.get(REFRESH_KEY)
        for line in self:
            if line.kind in COMPUTED_KINDS and refresh:
                continue
            if line.kind != "amount":
                raise UserError(_(MESSAGES["proposed"], line=line.name))
        self.review_id._check_open()

    def _describe(self):
        """What the line bills, in words, for the review's chatter."""
        self.ensure_one()
        if self.kind == "amount":
            return self.contract_id._fmt(self.amount)
        disposition = dict(DISPOSITIONS)[self.disposition]
        if self.disposition != "bill":
            return disposition
        return _(
            "%(hours)s x %(rate)s = %(value)s",
            hours=f"{self.billed_hours:.2f}",
            rate=f"{self.billed_rate:.2f}",
            value=self.contract_id._fmt(self.billed_value),
        )

    def _record_adjustment(self, before=None):
        """Who adjusted and when, on the line and in the review's chatter."""
        self._q2c_guarded_write(
            {"adjusted_by": self.env.uid, "adjusted_at": fields.Datetime.now()}
        )
        for line in self:
            change = line._describe()
            if before and line in before:
                change = f"{before[line]} \u2192 {change}"
            line.review_id._message_log(
                body=_(
                    MESSAGES["logged"],
                    line=line.name,
                    change=change,
                    reason=line.reason_id.name or "-",
                )
            )

    # ------------------------------------------------------------------ approval

    def _apply_to_entries(self):
        """At approval (1.6): written-off entries are marked written off, never billed;
        entries of a billed line store their billed quantity (pro rata to their recorded
        hours, the last entry taking the remainder) and rate; entries moved to the next
        period are left to bill. As superuser: the reviewer's checks were made and Finance
        decides the billing of every employee's time."""
        for line in self.sudo().filtered(lambda line: line.kind in ADJUSTABLE_KINDS):
            entries = line.timesheet_ids or line.expense_ids
            if line.disposition == "write_off":
                entries.write(
                    {
                        "q2c_billing_status": "written_off",
                        "q2c_prebill_line_id": line.id,
                        "q2c_billed_quantity": 0.0,
                    }
                )
            elif line.disposition == "bill":
                for entry, quantity in line._entry_quantities(entries):
                    entry.write(
                        {
                            "q2c_billed_quantity": quantity,
                            "q2c_billed_rate": line.billed_rate,
                            "q2c_prebill_line_id": line.id,
                        }
                    )

    def _entry_quantities(self, entries):
        """[(entry, billed quantity)]: the line's billed quantity in each entry's own unit
        (hours), pro rata to its recorded quantity; the last entry takes the remainder so
        that they add up to the line's billed hours x hours per unit."""
        self.ensure_one()
        recorded = {entry: Decimal(repr(entry._q2c_recorded_quantity())) for entry in entries}
        total = sum(recorded.values(), Decimal(0))
        if not total or not self.recorded_hours:
            return [(entry, float(quantity)) for entry, quantity in recorded.items()]
        # billed quantity of the entries = their recorded total x billed / recorded (line unit)
        ratio = Decimal(repr(self.billed_hours)) / Decimal(repr(self.recorded_hours))
        target = (total * ratio).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        result, given = [], Decimal(0)
        ordered = entries.sorted(lambda entry: (entry.date, entry.id))
        for entry in ordered[:-1]:
            part = (recorded[entry] * ratio).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            result.append((entry, float(part)))
            given += part
        result.append((ordered[-1], float(target - given)))
        return result
