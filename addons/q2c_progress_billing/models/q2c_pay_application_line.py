from odoo import _, api, fields, models
from odoo.addons.q2c_contract.money import percent_of, round_half_up
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare, float_round

# What the project manager enters while the application is a draft (G703 columns E and F).
APPLIED_FIELDS = {"work_this_period", "stored_now", "work_percent"}
# What Finance enters while the application is submitted: the amounts certified.
CERTIFIED_FIELDS = {"certified_work", "certified_stored"}


class Q2cPayApplicationLine(models.Model):
    """One row of the G703 continuation sheet: one schedule-of-values line in one pay
    application (billing-domain.md 2.2).

    C, D, the previous stored balance and the previous retainage come from the schedule of
    values as of the period end and from the previous certified application; they are set by
    the application (guarded). E and F are the project manager's, the certified E and F
    Finance's. Every other column is computed.
    """

    _name = "q2c.pay.application.line"
    _description = "Pay Application Line (G703)"
    _inherit = ["q2c.guarded.mixin"]
    _order = "application_id, sequence, id"
    _check_company_auto = True

    application_id = fields.Many2one(
        "q2c.pay.application", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(related="application_id.company_id", store=True)
    currency_id = fields.Many2one(related="application_id.currency_id", store=True)
    state = fields.Selection(related="application_id.state")
    sov_line_id = fields.Many2one(
        "q2c.contract.sov.line",
        string="Schedule-of-Values Line",
        required=True,
        ondelete="restrict",
        check_company=True,
    )
    sequence = fields.Integer(default=10)
    item_no = fields.Char(string="Item No.", readonly=True)
    name = fields.Char(string="Description of Work", readonly=True)
    scheduled_value = fields.Monetary(string="Scheduled Value", readonly=True)
    previous_completed = fields.Monetary(
        string="From Previous Application",
        readonly=True,
        help="Work completed on the previous certified application (its D + E, certified).",
    )
    previous_stored = fields.Monetary(
        string="Previously Stored",
        readonly=True,
        help="Materials stored at the previous certified application (its F, certified).",
    )
    previous_retainage = fields.Monetary(string="Previous Retainage", readonly=True)
    own_retainage = fields.Boolean(string="Own Retainage Rate", readonly=True)
    own_retainage_percent = fields.Float(string="Line Retainage (%)", digits=(5, 4), readonly=True)
    own_retainage_stored_percent = fields.Float(
        string="Line Retainage on Stored (%)", digits=(5, 4), readonly=True
    )
    is_directive = fields.Boolean(
        string="Directive (CCD)",
        readonly=True,
        help="A construction change directive's line: its change order is not approved by "
        "this period's end; its scheduled value is the directive's undisputed amount.",
    )
    # Applied (the project manager's).
    work_this_period = fields.Monetary(
        string="Work This Period",
        help="Value installed this period, including stored material installed this period.",
    )
    work_percent = fields.Float(
        string="Work Complete (%)",
        digits=(16, 2),
        compute="_compute_work_percent",
        inverse="_inverse_work_percent",
        help="Work completed to date (previous + this period) as a share of the scheduled "
        "value; entering it sets the work this period.",
    )
    stored_now = fields.Monetary(
        string="Materials Presently Stored",
        help="Materials stored and not yet installed at the period end (not cumulative).",
    )
    total_completed = fields.Monetary(
        string="Completed and Stored to Date", compute="_compute_columns", store=True
    )
    percent_complete = fields.Float(
        string="% (G ÷ C)", digits=(16, 2), compute="_compute_columns", store=True
    )
    balance_to_finish = fields.Monetary(compute="_compute_columns", store=True)
    earned_this_period = fields.Monetary(
        string="Earned This Period", compute="_compute_columns", store=True
    )
    retainage_work = fields.Monetary(
        string="Retainage on Work", compute="_compute_retainage", store=True
    )
    retainage_stored = fields.Monetary(
        string="Retainage on Stored", compute="_compute_retainage", store=True
    )
    retainage = fields.Monetary(compute="_compute_retainage", store=True)
    # Certified (Finance's, from the owner's or architect's certificate).
    certified_work = fields.Monetary(string="Certified Work This Period")
    certified_stored = fields.Monetary(string="Certified Stored")
    certified_total = fields.Monetary(
        string="Certified to Date", compute="_compute_columns", store=True
    )
    certified_earned = fields.Monetary(
        string="Certified This Period", compute="_compute_columns", store=True
    )
    certified_retainage = fields.Monetary(compute="_compute_retainage", store=True)

    _sql_constraints = [
        (
            "sov_line_uniq",
            "unique(application_id, sov_line_id)",
            "A schedule-of-values line appears once in a pay application.",
        ),
    ]

    def _q2c_guarded_fields(self):
        """Columns that come from the schedule of values and the previous application."""
        return super()._q2c_guarded_fields() | {
            "application_id",
            "sov_line_id",
            "item_no",
            "name",
            "scheduled_value",
            "previous_completed",
            "previous_stored",
            "previous_retainage",
            "own_retainage",
            "own_retainage_percent",
            "own_retainage_stored_percent",
            "is_directive",
        }

    @api.depends(
        "scheduled_value",
        "previous_completed",
        "previous_stored",
        "work_this_period",
        "stored_now",
        "certified_work",
        "certified_stored",
        "application_id.state",
        "application_id.submitted_on",
    )
    def _compute_columns(self):
        for line in self:
            currency = line.currency_id
            total = currency.round(
                line.previous_completed + line.work_this_period + line.stored_now
            )
            previous = line.previous_completed + line.previous_stored
            line.total_completed = total
            line.percent_complete = (
                total / line.scheduled_value * 100.0 if line.scheduled_value else 0.0
            )
            line.balance_to_finish = currency.round(line.scheduled_value - total)
            line.earned_this_period = currency.round(total - previous)
            if not line.application_id._has_certificate():
                line.certified_total = line.certified_earned = 0.0
                continue
            certified = currency.round(
                line.previous_completed + line.certified_work + line.certified_stored
            )
            line.certified_total = certified
            line.certified_earned = currency.round(certified - previous)

    def _percent_done(self):
        """(D + E) / C in percent, unrounded."""
        self.ensure_one()
        done = self.previous_completed + self.work_this_period
        return done / self.scheduled_value * 100.0 if self.scheduled_value else 0.0

    @api.depends("scheduled_value", "previous_completed", "work_this_period")
    def _compute_work_percent(self):
        for line in self:
            line.work_percent = line._percent_done()

    def _work_from_percent(self, percent):
        """E = round(C x percent) - D (billing-domain.md GC-10: 50% of 11,421.08 is 5,710.54)."""
        self.ensure_one()
        to_date = percent_of(self.currency_id, self.scheduled_value, percent)
        return self.currency_id.round(to_date - self.previous_completed)

    def _percent_typed(self):
        """Whether the percent is one the user entered, not the displayed (rounded) percent of
        the current E: billing-domain.md section 0, a displayed percent is never fed back
        (E = 12,345.70 on C = 60,000.00 shows 20.58%, which would give back 12,348.00)."""
        self.ensure_one()
        shown = float_round(self._percent_done(), precision_digits=2)
        return bool(float_compare(self.work_percent, shown, precision_digits=2))

    def _inverse_work_percent(self):
        """A percent entered sets E; the displayed percent written back leaves E as it is."""
        for line in self:
            if line._percent_typed():
                line.work_this_period = line._work_from_percent(line.work_percent)

    @api.onchange("work_percent")
    def _onchange_work_percent(self):
        """Typing the percent in the grid sets E at once. This also runs after an edit of E
        (the percent recomputed from E changed): then the percent is the displayed one and
        E stays as typed."""
        for line in self:
            if line._percent_typed():
                line.work_this_period = line._work_from_percent(line.work_percent)

    def _rate(self):
        """The line's retainage rate (%) on work on this application: its own, else the
        document's."""
        self.ensure_one()
        if self.own_retainage and self.application_id.kind == "progress":
            return self.own_retainage_percent
        return self.application_id.retainage_rate

    def _rate_stored(self):
        """The line's retainage rate (%) on stored material (2.4: rate_stored, with the
        per-line override): its own, else the document's."""
        self.ensure_one()
        if self.own_retainage and self.application_id.kind == "progress":
            return self.own_retainage_stored_percent
        return self.application_id.retainage_stored_rate

    def _retainage_of(self, work_to_date, stored):
        """Per-line retainage (column I, 2.2): round(rate_work x (D+E)) + round(rate_stored x
        F); frozen, the previous application's; a release application holds nothing per line
        (2.4)."""
        application = self.application_id
        currency = self.currency_id
        if application.kind == "release":
            return 0.0, 0.0
        if application.retainage_frozen and not self.own_retainage:
            return self.previous_retainage, 0.0
        return (
            percent_of(currency, work_to_date, self._rate()),
            percent_of(currency, stored, self._rate_stored()),
        )

    @api.depends(
        "previous_completed",
        "work_this_period",
        "stored_now",
        "certified_work",
        "certified_stored",
        "previous_retainage",
        "own_retainage",
        "own_retainage_percent",
        "own_retainage_stored_percent",
        "application_id.retainage_rate",
        "application_id.retainage_stored_rate",
        "application_id.retainage_frozen",
        "application_id.kind",
        "application_id.state",
        "application_id.submitted_on",
    )
    def _compute_retainage(self):
        for line in self:
            work, stored = line._retainage_of(
                line.previous_completed + line.work_this_period, line.stored_now
            )
            line.retainage_work = work
            line.retainage_stored = stored
            line.retainage = line.currency_id.round(work + stored)
            if not line.application_id._has_certificate():
                line.certified_retainage = 0.0
                continue
            work, stored = line._retainage_of(
                line.previous_completed + line.certified_work, line.certified_stored
            )
            line.certified_retainage = line.currency_id.round(work + stored)

    # ------------------------------------------------------------------ validation

    def _check_amounts(self, certified=False):
        """Work to date within the scheduled value, stored material not negative, nothing new
        on a release application (billing-domain.md 2.2, 2.4; issue 15, bad input)."""
        for line in self:
            currency = line.currency_id
            work = line.certified_work if certified else line.work_this_period
            stored = line.certified_stored if certified else line.stored_now
            fmt = line.application_id.contract_id._fmt
            if currency.compare_amounts(stored, 0.0) < 0:
                raise ValidationError(
                    _(
                        "Line %(line)s: materials presently stored cannot be negative "
                        "(%(amount)s).",
                        line=line.sov_line_id.display_name,
                        amount=fmt(stored),
                    )
                )
            total = round_half_up(currency, line.previous_completed + work + stored)
            low, high = sorted((0.0, line.scheduled_value))
            if (
                currency.compare_amounts(total, high) > 0
                or currency.compare_amounts(total, low) < 0
            ):
                raise ValidationError(
                    _(
                        "Line %(line)s: work completed and stored to date (%(total)s) would "
                        "exceed its scheduled value (%(value)s).",
                        line=line.sov_line_id.display_name,
                        total=fmt(total),
                        value=fmt(line.scheduled_value),
                    )
                )
            if line.application_id.kind == "release" and not (
                currency.is_zero(work) and currency.is_zero(stored)
            ):
                raise ValidationError(
                    _(
                        "Line %(line)s: a retainage release application has no new work and "
                        "no stored material.",
                        line=line.sov_line_id.display_name,
                    )
                )

    @api.constrains("work_this_period", "stored_now", "certified_work", "certified_stored")
    def _constrain_amounts(self):
        self._check_amounts()
        self.filtered(lambda ln: ln.application_id.state != "draft")._check_amounts(True)

    # ------------------------------------------------------------------ edits by state

    def _check_editable(self, names):
        """E and F change in a draft, the certified E and F in a submitted application and
        by Finance only (docs/security.md: the form's read-only columns are not the
        control); nothing changes once certified (issue 15: editing a certified
        application)."""
        if self._q2c_released():
            return
        if (
            names & CERTIFIED_FIELDS
            and not self.env.su
            and not self.env.user.has_group("q2c_contract.group_q2c_finance")
        ):
            raise AccessError(
                _(
                    "Only Finance enters the amounts certified (from the owner's or the "
                    "architect's certificate)."
                )
            )
        for line in self:
            app = line.application_id
            state = app.state
            label = app._state_label()
            if names & APPLIED_FIELDS and state != "draft":
                what = app._what_to_do_instead()
                raise UserError(
                    _(
                        "%(app)s is %(state)s: the work and stored amounts applied for change "
                        "only in a draft. %(what)s",
                        app=app.display_name,
                        state=label,
                        what=what,
                    )
                )
            if names & CERTIFIED_FIELDS and state != "submitted":
                raise UserError(
                    _(
                        "%(app)s is %(state)s: certified amounts are entered only while it is "
                        "submitted for certification.",
                        app=app.display_name,
                        state=label,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        if not (self.env.su or self._q2c_released()):
            raise UserError(_("Pay application rows come from the schedule of values."))
        return lines

    def write(self, vals):
        self._check_editable(set(vals))
        if "work_this_period" in vals and "work_percent" in vals:
            # The percent is shown rounded to 2 decimals (billing-domain.md section 0: a
            # displayed percent is never fed back): the form sends it back with E after an
            # edit of E, and E is what the project manager typed (or what the percent's
            # onchange set from a percent typed).
            vals = {k: v for k, v in vals.items() if k != "work_percent"}
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        for line in self:
            if line.application_id.state != "draft":
                raise UserError(
                    _(
                        "%(app)s is %(state)s: its rows are kept.",
                        app=line.application_id.display_name,
                        state=line.application_id._state_label(),
                    )
                )
