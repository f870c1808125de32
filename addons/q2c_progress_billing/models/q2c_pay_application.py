"""Pay applications: AIA G702 (application and certificate for payment) and its G703
continuation sheet (billing-domain.md section 2)."""

from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import Command, _, api, fields, models
from odoo.addons.q2c_base.models.q2c_guarded_mixin import RELEASE_KEY, _Release
from odoo.addons.q2c_contract.money import percent_of
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare

STATES = [
    ("draft", "Draft"),
    ("submitted", "Submitted"),
    ("certified", "Certified"),
    ("invoiced", "Invoiced"),
    ("superseded", "Superseded"),
    ("void", "Void"),
]
KINDS = [
    ("progress", "Progress"),
    ("release", "Retainage release"),
]
RELEASE_STAGES = [
    ("substantial", "At substantial completion, holding back the punch list"),
    ("final", "At final completion"),
]
# Applications that count: the certified ones feed the next one's D and line 7.
CERTIFIED_STATES = ("certified", "invoiced")
OPEN_STATES = ("draft", "submitted")
FINANCE = "q2c_contract.group_q2c_finance"
PROJECT_MANAGER = "q2c_contract.group_q2c_project_manager"
# G702 figures (lines 1 to 9, the change-order box, the certified ones): set by the
# application's own code only.
G702_FIELDS = (
    "original_sum",
    "change_sum",
    "co_previous_additions",
    "co_previous_deductions",
    "co_month_additions",
    "co_month_deductions",
)


class Q2cPayApplication(models.Model):
    """One pay application of a progress-billing contract for one period.

    Numbered 1, 2, 3 per contract (a revision keeps its number, the unique index on
    (contract, number, revision) decides between two concurrent ones); one live application
    per contract and period (a partial unique index). draft -> submitted -> certified ->
    invoiced; a submitted application is revised (it becomes superseded, read-only) and an
    uninvoiced one voided with a reason.
    """

    _name = "q2c.pay.application"
    _description = "Pay Application"
    _inherit = ["mail.thread", "q2c.guarded.mixin"]
    _order = "contract_id, number desc, revision desc, id desc"
    _check_company_auto = True

    contract_id = fields.Many2one(
        "q2c.contract",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
        domain="[('billing_model', '=', 'progress'), ('state', 'in', ('active', 'on_hold'))]",
        tracking=True,
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="contract_id.currency_id", store=True)
    partner_id = fields.Many2one(related="contract_id.partner_id", string="Owner")
    number = fields.Integer(string="Application No.", readonly=True, copy=False, tracking=True)
    revision = fields.Integer(default=0, required=True, readonly=True, copy=False, tracking=True)
    revision_of_id = fields.Many2one(
        "q2c.pay.application", string="Revision Of", readonly=True, copy=False, tracking=True
    )
    kind = fields.Selection(KINDS, required=True, default="progress")
    release_stage = fields.Selection(RELEASE_STAGES, default="final")
    punch_list_value = fields.Monetary(
        help="Value of the work still to finish or correct at substantial completion; "
        "the contract's punch-list holdback share of it stays retained."
    )
    period_end = fields.Date(string="Period To", required=True, tracking=True)
    previous_id = fields.Many2one(
        "q2c.pay.application",
        string="Previous Certified Application",
        readonly=True,
        copy=False,
        tracking=True,
    )
    state = fields.Selection(
        STATES, required=True, default="draft", readonly=True, copy=False, tracking=True
    )
    void_reason = fields.Text(copy=False, tracking=True)
    certification_note = fields.Text(
        string="Certification Explanation",
        help="Why the amount certified differs from the amount applied for.",
    )
    line_ids = fields.One2many(
        "q2c.pay.application.line", "application_id", string="Continuation Sheet (G703)"
    )
    invoice_id = fields.Many2one(
        "account.move", readonly=True, copy=False, check_company=True, tracking=True
    )
    submitted_by_id = fields.Many2one("res.users", readonly=True, copy=False, tracking=True)
    submitted_on = fields.Datetime(readonly=True, copy=False, tracking=True)
    certified_by_id = fields.Many2one("res.users", readonly=True, copy=False, tracking=True)
    certified_on = fields.Datetime(readonly=True, copy=False, tracking=True)
    # Retainage rate of this application (billing-domain.md 2.4).
    retainage_rate = fields.Float(
        string="Retainage Rate (%)", digits=(5, 4), compute="_compute_retainage_rate", store=True
    )
    retainage_stored_rate = fields.Float(
        string="Retainage Rate on Stored Material (%)",
        digits=(5, 4),
        compute="_compute_retainage_rate",
        store=True,
    )
    retainage_reduced = fields.Boolean(
        string="Reduced Retainage", compute="_compute_retainage_rate", store=True
    )
    retainage_frozen = fields.Boolean(
        string="Retainage Frozen", compute="_compute_retainage_rate", store=True
    )
    # G702 lines 1 and 2 and the change-order box: set from the change ledger.
    original_sum = fields.Monetary(string="1. Original Contract Sum", readonly=True, tracking=True)
    change_sum = fields.Monetary(
        string="2. Net Change by Change Orders", readonly=True, tracking=True
    )
    co_previous_additions = fields.Monetary(
        string="Previous Months: Additions", readonly=True, tracking=True
    )
    co_previous_deductions = fields.Monetary(
        string="Previous Months: Deductions", readonly=True, tracking=True
    )
    co_month_additions = fields.Monetary(
        string="This Month: Additions", readonly=True, tracking=True
    )
    co_month_deductions = fields.Monetary(
        string="This Month: Deductions", readonly=True, tracking=True
    )
    co_total_additions = fields.Monetary(
        string="Total Additions", compute="_compute_g702", store=True
    )
    co_total_deductions = fields.Monetary(
        string="Total Deductions", compute="_compute_g702", store=True
    )
    co_net = fields.Monetary(
        string="Net Changes by Change Order", compute="_compute_g702", store=True
    )
    # G702 lines 3 to 9, as applied for.
    contract_sum = fields.Monetary(
        string="3. Contract Sum to Date", compute="_compute_g702", store=True
    )
    total_completed = fields.Monetary(
        string="4. Total Completed and Stored to Date", compute="_compute_g702", store=True
    )
    completed_work = fields.Monetary(
        string="Completed Work (D + E)", compute="_compute_g702", store=True
    )
    stored_materials = fields.Monetary(
        string="Stored Material (F)", compute="_compute_g702", store=True
    )
    retainage_work = fields.Monetary(
        string="5a. Retainage on Completed Work", compute="_compute_g702", store=True
    )
    retainage_stored = fields.Monetary(
        string="5b. Retainage on Stored Material", compute="_compute_g702", store=True
    )
    retainage_total = fields.Monetary(
        string="5. Total Retainage", compute="_compute_g702", store=True
    )
    earned_less_retainage = fields.Monetary(
        string="6. Total Earned Less Retainage", compute="_compute_g702", store=True
    )
    previous_certificates = fields.Monetary(
        string="7. Less Previous Certificates for Payment", compute="_compute_g702", store=True
    )
    payment_due = fields.Monetary(
        string="8. Current Payment Due", compute="_compute_g702", store=True
    )
    balance_to_finish = fields.Monetary(
        string="9. Balance to Finish, Including Retainage", compute="_compute_g702", store=True
    )
    # Certified.
    certified_completed = fields.Monetary(
        string="Certified Completed and Stored", compute="_compute_g702", store=True
    )
    certified_retainage = fields.Monetary(compute="_compute_g702", store=True)
    certified_earned = fields.Monetary(
        string="Certified Earned Less Retainage", compute="_compute_g702", store=True
    )
    amount_certified = fields.Monetary(compute="_compute_g702", store=True)
    certified_balance_to_finish = fields.Monetary(
        string="Certified Balance to Finish",
        compute="_compute_g702",
        store=True,
        help="Line 9 of the certificate: contract sum to date (line 3) less the certified "
        "total earned less retainage (line 6).",
    )
    retainage_change = fields.Monetary(
        string="Retainage Withheld This Period",
        compute="_compute_g702",
        store=True,
        help="Certified retainage of this application less that of the previous one; "
        "negative: retainage released.",
    )
    percent_complete = fields.Float(
        string="Complete (%)", digits=(16, 2), compute="_compute_g702", store=True
    )
    retainage_cap = fields.Monetary(
        string="Retainage Cap",
        compute="_compute_g702",
        store=True,
        help="Mode cap of the contract: the most retainage held, rate x threshold x line 3.",
    )
    retainage_capped = fields.Boolean(
        string="Retainage Capped",
        compute="_compute_g702",
        store=True,
        help="The retainage at the contract's rates would exceed the cap: line 5 is the cap.",
    )
    document_ids = fields.One2many(
        "q2c.pay.application.document", "application_id", string="Required Documents"
    )
    documents_missing = fields.Char(
        string="Documents Missing",
        compute="_compute_documents_missing",
        help="Required documents not attached yet: the application is not submitted without "
        "them.",
    )
    can_submit = fields.Boolean(compute="_compute_can")
    can_certify = fields.Boolean(compute="_compute_can")

    def init(self):
        # Numbered 1, 2, 3 per contract, a revision keeping its number: the database decides
        # between two applications created at the same time.
        self.env.cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS q2c_pay_application_number_uniq "
            "ON q2c_pay_application (contract_id, number, revision)"
        )
        # One live application per contract and period.
        self.env.cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS q2c_pay_application_period_uniq "
            "ON q2c_pay_application (contract_id, period_end) "
            "WHERE state NOT IN ('void', 'superseded')"
        )

    def _q2c_guarded_fields(self):
        return super()._q2c_guarded_fields() | {
            "state",
            "number",
            "revision",
            "revision_of_id",
            "previous_id",
            "invoice_id",
            "submitted_by_id",
            "submitted_on",
            "certified_by_id",
            "certified_on",
            *G702_FIELDS,
        }

    # ------------------------------------------------------------------ computes

    @api.depends("contract_id.code", "number", "revision", "kind")
    def _compute_display_name(self):
        for app in self:
            name = _("Application No. %s", app.number or "?")
            if app.revision:
                name = _("%(name)s, revision %(rev)s", name=name, rev=app.revision)
            if app.contract_id:
                name = f"{app.contract_id.code or app.contract_id.name} {name}"
            app.display_name = name

    def _has_certificate(self):
        """Whether the certified figures mean something: from submission on (Finance enters
        them while it is submitted). A draft, or one voided before submission, has none:
        its certified figures are zero (not the previous application's figures less
        retainage, which read as a negative amount certified)."""
        self.ensure_one()
        return self.state not in ("draft", "void") or bool(self.submitted_on)

    def _state_label(self):
        return dict(self._fields["state"]._description_selection(self.env))[self.state].lower()

    def _what_to_do_instead(self):
        """What a person does to change an application that is no longer a draft: revise a
        submitted one; a certified one is changed in the next application, or voided by
        Finance while not invoiced and prepared again; an invoiced one, in the next; a
        superseded one through its revision; a void one by a new application."""
        self.ensure_one()
        if self.state == "submitted":
            return _("Revise the application instead.")
        if self.state == "certified":
            return _(
                "Enter the change in the next application, or have Finance void this one (it "
                "is not invoiced yet) and prepare it again."
            )
        if self.state == "superseded":
            return _("Its revision replaces it: change the revision.")
        if self.state == "void":
            return _("Prepare a new application for the period.")
        return _("Enter the change in the next application.")

    @api.depends(
        "kind",
        "line_ids.total_completed",
        "line_ids.stored_now",
        "line_ids.scheduled_value",
        "previous_id",
        "contract_id.retainage_percent",
        "contract_id.retainage_reduced_percent",
        "contract_id.retainage_threshold_percent",
        "contract_id.retainage_reduction_mode",
        "contract_id.retainage_threshold_measure",
        "contract_id.retainage_stored_separate",
        "contract_id.retainage_stored_percent",
        "contract_id.retainage_reduced_stored_percent",
    )
    def _compute_retainage_rate(self):
        """The rates on work and on stored material at this application's completion, after
        this period's work and stored material (2.4): L4 / L3, or (D + E) / L3 when the
        contract measures completed work only. Mode `recompute`: the reduced rates from the
        threshold on. Mode `freeze`: from the triggering application on, no new retainage
        and no release (the lines keep the previous application's retainage). Mode `cap`:
        the full rates, the total limited by `_retainage_cap_amount`."""
        for app in self:
            contract = app.contract_id
            if app.kind == "release" or not contract:
                app.retainage_rate = app.retainage_stored_rate = 0.0
                app.retainage_reduced = app.retainage_frozen = False
                continue
            contract_sum = sum(app.line_ids.mapped("scheduled_value"))
            done = sum(app.line_ids.mapped("total_completed"))
            if contract.retainage_threshold_measure == "completed_only":
                done -= sum(app.line_ids.mapped("stored_now"))
            ratio = done / contract_sum if contract_sum else 0.0
            threshold = contract.retainage_threshold_percent
            reached = bool(threshold) and float_compare(ratio * 100.0, threshold, 6) >= 0
            app.retainage_rate, app.retainage_stored_rate = contract._retainage_rates(reached)
            app.retainage_reduced = reached and contract.retainage_reduction_mode == "recompute"
            app.retainage_frozen = (
                reached and contract.retainage_reduction_mode == "freeze" and bool(app.previous_id)
            )

    @api.depends(
        "kind",
        "release_stage",
        "punch_list_value",
        "original_sum",
        "change_sum",
        "co_previous_additions",
        "co_previous_deductions",
        "co_month_additions",
        "co_month_deductions",
        "previous_id",
        "retainage_rate",
        "retainage_frozen",
        "line_ids.scheduled_value",
        "line_ids.total_completed",
        "line_ids.certified_total",
        "line_ids.stored_now",
        "line_ids.certified_stored",
        "line_ids.retainage_work",
        "line_ids.retainage_stored",
        "line_ids.certified_retainage",
        "retainage_stored_rate",
        "line_ids.own_retainage_stored_percent",
        "contract_id.retainage_basis",
        "contract_id.retainage_punch_list_percent",
        "contract_id.retainage_reduction_mode",
        "contract_id.retainage_threshold_percent",
        "state",
        "submitted_on",
    )
    def _compute_g702(self):
        """G702 lines 3 to 9 and the change-order box totals (billing-domain.md 2.3)."""
        for app in self:
            currency = app.currency_id or self.env.company.currency_id
            rnd = currency.round
            previous = app.previous_id
            app.co_total_additions = rnd(app.co_previous_additions + app.co_month_additions)
            app.co_total_deductions = rnd(app.co_previous_deductions + app.co_month_deductions)
            app.co_net = rnd(app.co_total_additions - app.co_total_deductions)
            app.contract_sum = rnd(app.original_sum + app.change_sum)
            app.retainage_cap = app._retainage_cap_amount() or 0.0
            app.retainage_capped = False
            lines = app.line_ids
            app.total_completed = rnd(sum(lines.mapped("total_completed")))
            app.stored_materials = rnd(sum(lines.mapped("stored_now")))
            app.completed_work = rnd(app.total_completed - app.stored_materials)
            work, stored = app._retainage_totals(certified=False)
            app.retainage_capped = app._retainage_totals(certified=False, capped=False) != (
                work,
                stored,
            )
            app.retainage_work = work
            app.retainage_stored = stored
            app.retainage_total = rnd(work + stored)
            app.earned_less_retainage = rnd(app.total_completed - app.retainage_total)
            app.previous_certificates = previous.certified_earned if previous else 0.0
            app.payment_due = rnd(app.earned_less_retainage - app.previous_certificates)
            app.balance_to_finish = rnd(app.contract_sum - app.earned_less_retainage)
            app.percent_complete = (
                app.total_completed / app.contract_sum * 100.0 if app.contract_sum else 0.0
            )
            if not app._has_certificate():
                app.certified_completed = app.certified_retainage = 0.0
                app.certified_earned = app.amount_certified = app.retainage_change = 0.0
                app.certified_balance_to_finish = 0.0
                continue
            app.certified_completed = rnd(sum(lines.mapped("certified_total")))
            work, stored = app._retainage_totals(certified=True)
            app.certified_retainage = rnd(work + stored)
            app.certified_earned = rnd(app.certified_completed - app.certified_retainage)
            app.amount_certified = rnd(app.certified_earned - app.previous_certificates)
            app.certified_balance_to_finish = rnd(app.contract_sum - app.certified_earned)
            app.retainage_change = rnd(
                app.certified_retainage - (previous.certified_retainage if previous else 0.0)
            )

    def _retainage_totals(self, certified, capped=True):
        """(5a, 5b). `per_line_cumulative`: the sums of the rows' rounded retainage (column
        I). `per_document`: round(rate x sum(D+E)) + round(rate x sum F), per rate when lines
        carry their own. Frozen: the previous application's. A release holds back, at
        substantial completion, the punch-list share (GC-09b), at final completion nothing.
        Mode `cap` (2.4, "cap total retainage at rate x 50% x L3"): above the cap, line 5 is
        the cap; the retainage on stored material is kept (it is not installed yet) and
        the retainage on work takes the rest."""
        self.ensure_one()
        currency = self.currency_id or self.env.company.currency_id
        previous = self.previous_id
        if self.kind == "release":
            if self.release_stage == "final" or not previous:
                return 0.0, 0.0
            holdback = percent_of(
                currency, self.punch_list_value, self.contract_id.retainage_punch_list_percent
            )
            held = previous.certified_retainage
            return min(holdback, held) if currency.compare_amounts(held, 0) > 0 else 0.0, 0.0
        lines = self.line_ids
        if self.retainage_frozen:
            return previous.certified_retainage, 0.0
        if self.contract_id.retainage_basis == "per_document":
            work_base, stored_base = defaultdict(float), defaultdict(float)
            for line in lines:
                work = line.certified_work if certified else line.work_this_period
                stored = line.certified_stored if certified else line.stored_now
                work_base[line._rate()] += line.previous_completed + work
                stored_base[line._rate_stored()] += stored
            work = currency.round(sum(percent_of(currency, b, r) for r, b in work_base.items()))
            stored = currency.round(
                sum(percent_of(currency, b, r) for r, b in stored_base.items())
            )
        elif certified:
            total = currency.round(sum(lines.mapped("certified_retainage")))
            stored = currency.round(
                sum(percent_of(currency, ln.certified_stored, ln._rate_stored()) for ln in lines)
            )
            work = currency.round(total - stored)
        else:
            work = currency.round(sum(lines.mapped("retainage_work")))
            stored = currency.round(sum(lines.mapped("retainage_stored")))
        cap = self._retainage_cap_amount() if capped else None
        if cap is not None and currency.compare_amounts(work + stored, cap) > 0:
            stored = min(stored, cap)
            work = currency.round(cap - stored)
        return work, stored

    def _retainage_cap_amount(self):
        """Mode `cap` of the contract: round(rate on work x threshold x L3), the most
        retainage held (billing-domain.md 2.4); None without a cap."""
        self.ensure_one()
        contract = self.contract_id
        if (
            self.kind != "progress"
            or contract.retainage_reduction_mode != "cap"
            or not contract.retainage_threshold_percent
        ):
            return None
        currency = self.currency_id or self.env.company.currency_id
        contract_sum = sum(self.line_ids.mapped("scheduled_value"))
        share = contract.retainage_percent * contract.retainage_threshold_percent / 100.0
        return percent_of(currency, contract_sum, share)

    @api.depends("state")
    @api.depends_context("uid")
    def _compute_can(self):
        for app in self:
            app.can_submit = app.state == "draft" and app._user_may("submit")
            app.can_certify = app.state == "submitted" and app._user_may("certify")

    # ------------------------------------------------------------------ rows and ledger

    def _sov_as_of(self):
        """{sov line: scheduled value as of the period end}: the original value plus the
        change entries of approved change orders dated on or before it (2.1, 2.5). Lines a
        change order adds after the period end are not there yet; pending change orders
        never write entries, so they never appear, except a construction change directive
        issued by the period end: its line is scheduled at its undisputed amount until its
        change order is approved (2.5, A201 §7.3.9).

        Returns the values, the change entries and {directive line: (undisputed amount,
        converted)}, converted when its change order's approval falls in the period."""
        self.ensure_one()
        Entry = self.env["q2c.contract.change.entry"]
        entries = Entry.search(
            [
                ("contract_id", "=", self.contract_id.id),
                ("kind", "=", "value"),
                ("date", "<=", self.period_end),
            ]
        )
        changes = defaultdict(float)
        for entry in entries.filtered("sov_line_id"):
            changes[entry.sov_line_id] += entry.amount
        values, directives = {}, {}
        sov_lines = self.contract_id.with_context(active_test=False).sov_line_ids
        for sov_line in sov_lines:
            directive = sov_line.ccd_date and sov_line.ccd_date <= self.period_end
            if directive:
                directives[sov_line] = (sov_line.ccd_amount, sov_line in changes)
            if sov_line not in changes:
                if directive and sov_line.active:
                    values[sov_line] = self.currency_id.round(sov_line.ccd_amount)
                    continue
                if sov_line.change_order_id:
                    continue  # added by a change order approved after the period end
            values[sov_line] = self.currency_id.round(
                sov_line.original_value + changes.get(sov_line, 0.0)
            )
        return values, entries, directives

    def _change_order_box(self, entries, directives=None):
        """Line 2 and the change-order summary box: each change order's net amount, an
        addition or a deduction; this month = approved after the previous certified
        application's period end (2.3). A directive's undisputed amount counts from its
        date (line 3 stays the total of column C); when its change order is approved, the
        change order adds the rest (approved less undisputed) in the month of its approval."""
        self.ensure_one()
        by_order = defaultdict(float)
        dates = {}
        for entry in entries:
            key = entry.change_order_id or entry
            by_order[key] += entry.amount
            dates[key] = entry.date
        for line, (amount, converted) in (directives or {}).items():
            if not line.active and not converted:
                continue
            by_order[line] += amount
            dates[line] = line.ccd_date
            if converted:
                by_order[line.change_order_id] -= amount
        box = dict.fromkeys(G702_FIELDS[2:], 0.0)
        previous_end = self.previous_id.period_end
        for key, amount in by_order.items():
            when = "previous" if previous_end and dates[key] <= previous_end else "month"
            side = "additions" if amount > 0 else "deductions"
            box[f"co_{when}_{side}"] += abs(amount)
        box = {k: self.currency_id.round(v) for k, v in box.items()}
        box["change_sum"] = self.currency_id.round(sum(by_order.values()))
        box["original_sum"] = self.contract_id.original_value
        return box

    def _previous_certified(self):
        self.ensure_one()
        return self.search(
            [
                ("contract_id", "=", self.contract_id.id),
                ("state", "in", CERTIFIED_STATES),
                ("id", "!=", self.id),
            ],
            order="period_end desc, number desc",
            limit=1,
        )

    def _sync_lines(self):
        """Rows from the schedule of values as of the period end (C, item, description, own
        rate) and from the previous certified application (D, previously stored, previous
        retainage); G702 lines 1 and 2 and the change-order box from the change ledger. A
        change order approved within the period adds or adjusts rows of this application
        (2.5). Only drafts change."""
        Line = self.env["q2c.pay.application.line"].with_context(
            **{RELEASE_KEY: _Release({"q2c.pay.application.line"})}
        )
        for app in self:
            if app.state != "draft":
                continue
            values, entries, directives = app._sov_as_of()
            previous_rows = {ln.sov_line_id: ln for ln in app.previous_id.line_ids}
            existing = {ln.sov_line_id: ln for ln in app.line_ids}
            for sov_line, value in values.items():
                prev = previous_rows.get(sov_line)
                vals = {
                    "sequence": sov_line.sequence,
                    "item_no": sov_line.item_no,
                    "name": sov_line.name,
                    "scheduled_value": value,
                    "previous_completed": (
                        app.currency_id.round(prev.previous_completed + prev.certified_work)
                        if prev
                        else 0.0
                    ),
                    "previous_stored": prev.certified_stored if prev else 0.0,
                    "previous_retainage": prev.certified_retainage if prev else 0.0,
                    "own_retainage": sov_line.retainage_override,
                    "own_retainage_percent": sov_line.retainage_percent,
                    "own_retainage_stored_percent": sov_line.retainage_stored_percent,
                    "is_directive": sov_line in directives and not directives[sov_line][1],
                }
                line = existing.pop(sov_line, None)
                if line:
                    changed = {k: v for k, v in vals.items() if line[k] != v}
                    if changed:
                        line._q2c_guarded_write(changed)
                else:
                    # Material stays stored until the project manager says it is installed.
                    stored = prev.certified_stored if prev else 0.0
                    Line.create(
                        {
                            "application_id": app.id,
                            "sov_line_id": sov_line.id,
                            "stored_now": stored,
                            **vals,
                        }
                    )
            for line in existing.values():
                line.with_context(**{RELEASE_KEY: _Release({line._name})}).unlink()
            app._q2c_guarded_write(app._change_order_box(entries, directives))
            app._sync_documents()

    def _sync_documents(self):
        """One row per document type the contract requires before submission (a draft's
        rows follow the contract; what was attached stays)."""
        self.ensure_one()
        Document = self.env["q2c.pay.application.document"].with_context(
            **{RELEASE_KEY: _Release({"q2c.pay.application.document"})}
        )
        required = self.contract_id.pay_required_document_type_ids
        existing = self.document_ids
        for doc_type in required - existing.type_id:
            Document.create({"application_id": self.id, "type_id": doc_type.id})
        existing.filtered(lambda d: d.type_id not in required and not d.attachment).with_context(
            **{RELEASE_KEY: _Release({"q2c.pay.application.document"})}
        ).unlink()

    @api.depends("document_ids.attachment", "document_ids.type_id")
    def _compute_documents_missing(self):
        for app in self:
            missing = app.document_ids.filtered(lambda d: not d.attachment)
            app.documents_missing = ", ".join(missing.type_id.mapped("name")) or False

    def _check_documents(self):
        """The contract's required documents are attached (issue 15: optional gate per
        contract, e.g. the conditional lien waivers for the period)."""
        for app in self:
            app._sync_documents()
            if app.documents_missing:
                raise UserError(
                    _(
                        "%(app)s cannot be submitted: contract %(contract)s requires %(missing)s "
                        "attached first (Required Documents tab).",
                        app=app.display_name,
                        contract=app.contract_id.display_name,
                        missing=app.documents_missing,
                    )
                )

    # ------------------------------------------------------------------ create, write

    @api.model_create_multi
    def create(self, vals_list):
        # The states of the contract's applications are read from the database below.
        self.flush_model(["state", "period_end", "number"])
        for vals in vals_list:
            if vals.get("contract_id") and not vals.get("revision_of_id"):
                self._check_new_period(vals["contract_id"], vals.get("period_end"))
        apps = super().create(vals_list)
        for app in apps:
            if not app.number:
                app._q2c_guarded_write(
                    {"number": app._next_number(), "previous_id": app._previous_certified().id}
                )
                # The unique index decides now between two applications made at once.
                app.flush_recordset(["number"])
        apps._sync_lines()
        return apps

    def _next_number(self):
        self.env.cr.execute(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM q2c_pay_application WHERE contract_id = %s",
            [self.contract_id.id],
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _check_new_period(self, contract_id, period_end):
        """No application while another is open; none for a period before the last
        certified one (issue 15, bad input)."""
        contract = self.env["q2c.contract"].browse(contract_id)
        if contract.billing_model != "progress":
            raise UserError(
                _(
                    "Contract %(contract)s is not billed by progress: it has no pay "
                    "applications.",
                    contract=contract.display_name,
                )
            )
        apps = self.search([("contract_id", "=", contract.id)])
        open_app = apps.filtered(lambda a: a.state in OPEN_STATES)
        if open_app:
            raise UserError(
                _(
                    "%(app)s of %(contract)s is still %(state)s: certify or void it before "
                    "preparing the next application.",
                    app=open_app[0].display_name,
                    contract=contract.display_name,
                    state=open_app[0]._state_label(),
                )
            )
        last = apps.filtered(lambda a: a.state in CERTIFIED_STATES).sorted("period_end")[-1:]
        if last and period_end and fields.Date.to_date(period_end) <= last.period_end:
            raise UserError(
                _(
                    "%(contract)s was last certified for the period to %(end)s (%(app)s): "
                    "a new application covers a later period.",
                    contract=contract.display_name,
                    end=fields.Date.to_string(last.period_end),
                    app=last.display_name,
                )
            )

    def write(self, vals):
        self._q2c_check_guarded_write(vals)
        frozen = self.filtered(lambda a: a.state != "draft")
        content = set(vals) - {"void_reason", "certification_note", "message_main_attachment_id"}
        # While submitted, Finance enters the certified amounts through the rows.
        certifying = content <= {"line_ids"} and all(a.state == "submitted" for a in self)
        released = self._q2c_released() or self.env.su
        if frozen and content and not certifying and not released:
            raise UserError(
                _(
                    "%(app)s is %(state)s: it can no longer be edited. %(what)s",
                    app=frozen[0].display_name,
                    state=frozen[0]._state_label(),
                    what=frozen[0]._what_to_do_instead(),
                )
            )
        if "certification_note" in vals and self.filtered(lambda a: a.state != "submitted"):
            raise UserError(_("The certification explanation is written while certifying."))
        result = super().write(vals)
        if {"period_end", "contract_id"} & set(vals):
            self._sync_lines()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        for app in self:
            if app.state != "draft":
                raise UserError(
                    _(
                        "%(app)s is %(state)s: it is kept; void it instead.",
                        app=app.display_name,
                        state=app._state_label(),
                    )
                )

    # ------------------------------------------------------------------ rights

    def _user_manages(self):
        user = self.env.user
        contract = self.contract_id
        return user == contract.user_id or user in contract.project_ids.user_id

    def _user_may(self, action):
        """Project managers prepare, submit and revise the applications of their projects;
        Finance certifies, invoices and voids (and may do what project managers do)."""
        finance = self.env.user.has_group(FINANCE)
        if action in ("submit", "revise", "refresh"):
            return finance or (self.env.user.has_group(PROJECT_MANAGER) and self._user_manages())
        return finance

    def _check_action(self, action, states):
        self.check_access("write")
        for app in self:
            if not (app._user_may(action) or self.env.su):
                raise AccessError(
                    _(
                        "You may not %(action)s %(app)s: project managers prepare and submit "
                        "the applications of their projects, Finance certifies and invoices.",
                        action=action,
                        app=app.display_name,
                    )
                )
            if app.state not in states:
                raise UserError(
                    _(
                        "%(app)s is %(state)s: it cannot be %(action)s.",
                        app=app.display_name,
                        state=app._state_label(),
                        action={
                            "submit": _("submitted"),
                            "certify": _("certified"),
                            "invoice": _("invoiced"),
                            "revise": _("revised"),
                            "void": _("voided"),
                            "refresh": _("updated"),
                        }[action],
                    )
                )

    # ------------------------------------------------------------------ identities

    def _check_identities(self):
        """The identities of billing-domain.md 2.3, refused loudly when they do not hold."""
        for app in self:
            currency = app.currency_id
            previous = app.previous_id
            checks = [
                (
                    _("line 3 equals the total of column C"),
                    app.contract_sum,
                    sum(app.line_ids.mapped("scheduled_value")),
                ),
                (_("line 2 equals the net changes by change order"), app.change_sum, app.co_net),
                (
                    _("line 5 equals lines 5a + 5b"),
                    app.retainage_total,
                    app.retainage_work + app.retainage_stored,
                ),
                (
                    _("line 6 equals line 4 less line 5"),
                    app.earned_less_retainage,
                    app.total_completed - app.retainage_total,
                ),
                (
                    _("line 8 equals line 6 less line 7"),
                    app.payment_due,
                    app.earned_less_retainage - app.previous_certificates,
                ),
                (
                    _("line 9 equals line 3 less line 6"),
                    app.balance_to_finish,
                    app.contract_sum - app.earned_less_retainage,
                ),
                (
                    _("line 8 equals the change of line 4 less the change of line 5"),
                    app.amount_certified,
                    (app.certified_completed - (previous.certified_completed if previous else 0))
                    - app.retainage_change,
                ),
            ]
            for label, left, right in checks:
                if currency.compare_amounts(left, right):
                    raise ValidationError(
                        _(
                            "%(app)s does not add up: %(rule)s (%(left)s against %(right)s). "
                            "Check the schedule of values and the change orders of the contract.",
                            app=app.display_name,
                            rule=label,
                            left=app.contract_id._fmt(left),
                            right=app.contract_id._fmt(right),
                        )
                    )

    # ------------------------------------------------------------------ actions

    def action_refresh_lines(self):
        """Take in the change orders approved since the rows were made."""
        self._check_action("refresh", ("draft",))
        self._sync_lines()
        return True

    def action_submit(self):
        self._check_action("submit", ("draft",))
        self._sync_lines()
        self._check_documents()
        for app in self:
            app.line_ids._check_amounts()
            for line in app.line_ids:
                line._q2c_guarded_write(
                    {"certified_work": line.work_this_period, "certified_stored": line.stored_now}
                )
            app._q2c_guarded_write(
                {
                    "state": "submitted",
                    "submitted_by_id": self.env.user.id,
                    "submitted_on": fields.Datetime.now(),
                }
            )
            # The certified figures exist from submission on: checked once submitted.
            app._check_identities()
        return True

    def action_certify(self):
        """Certify the amounts entered (by default those applied for): the next application
        takes its D and line 7 from them, the schedule of values its completed to date."""
        self._check_action("certify", ("submitted",))
        for app in self:
            app.line_ids._check_amounts(certified=True)
            app._check_identities()
            for line in app.line_ids:
                line.sov_line_id._q2c_guarded_write({"billed_amount": line.certified_total})
            app._q2c_guarded_write(
                {
                    "state": "certified",
                    "certified_by_id": self.env.user.id,
                    "certified_on": fields.Datetime.now(),
                }
            )
        return True

    def action_revise(self):
        """A new draft with the same number and the amounts applied for; this one is
        superseded and stays as it was, read-only."""
        self._check_action("revise", ("submitted",))
        revisions = self.browse()
        for app in self:
            app._q2c_guarded_write({"state": "superseded"})
            new = self.with_context(**{RELEASE_KEY: _Release({self._name})}).create(
                {
                    "contract_id": app.contract_id.id,
                    "period_end": app.period_end,
                    "kind": app.kind,
                    "release_stage": app.release_stage,
                    "punch_list_value": app.punch_list_value,
                    "number": app.number,
                    "revision": app.revision + 1,
                    "revision_of_id": app.id,
                    "previous_id": app.previous_id.id,
                }
            )
            attached = {d.type_id: d for d in app.document_ids if d.attachment}
            for document in new.document_ids:
                old_doc = attached.get(document.type_id)
                if old_doc:
                    document.write(
                        {
                            "attachment": old_doc.attachment,
                            "attachment_name": old_doc.attachment_name,
                        }
                    )
            amounts = {ln.sov_line_id: ln for ln in app.line_ids}
            for line in new.line_ids:
                old = amounts.get(line.sov_line_id)
                if old:
                    line.write(
                        {"work_this_period": old.work_this_period, "stored_now": old.stored_now}
                    )
            revisions |= new
        return revisions._open_action()

    def action_void(self, reason=None):
        """Void an application not invoiced, with its reason; a certified one gives the
        schedule of values back its previous completed to date."""
        self._check_action("void", ("draft", "submitted", "certified"))
        for app in self:
            reason = reason or app.void_reason
            if not (reason or "").strip():
                raise UserError(
                    _("Write why %(app)s is voided (Void Reason) first.", app=app.display_name)
                )
            if app.state == "certified":
                later = self.search(
                    [
                        ("contract_id", "=", app.contract_id.id),
                        ("previous_id", "=", app.id),
                        ("state", "not in", ("void", "superseded")),
                    ]
                )
                if later:
                    raise UserError(
                        _(
                            "%(app)s is the previous application of %(later)s: void that one "
                            "first.",
                            app=app.display_name,
                            later=later[0].display_name,
                        )
                    )
                for line in app.line_ids:
                    line.sov_line_id._q2c_guarded_write(
                        {
                            "billed_amount": line.currency_id.round(
                                line.previous_completed + line.previous_stored
                            )
                        }
                    )
            app.void_reason = reason
            app._q2c_guarded_write({"state": "void"})
        return True

    def action_create_invoice(self):
        """One customer invoice whose total is the amount certified (line 8): a line per
        schedule-of-values line with what it earned this period, and one retainage line on
        the retainage receivable account (2.4)."""
        self._check_action("invoice", ("certified",))
        for app in self:
            invoice = self.env["account.move"].create(app._invoice_values())
            if app.currency_id.compare_amounts(invoice.amount_total, app.amount_certified):
                raise ValidationError(
                    _(
                        "The invoice of %(app)s would total %(total)s, not the %(due)s "
                        "certified.",
                        app=app.display_name,
                        total=app.contract_id._fmt(invoice.amount_total),
                        due=app.contract_id._fmt(app.amount_certified),
                    )
                )
            app._q2c_guarded_write({"state": "invoiced", "invoice_id": invoice.id})
            if not self.env.context.get("q2c_pay_application_no_forms"):
                app._attach_forms(invoice)
            app.message_post(body=_("Invoice %s created.", invoice._get_html_link()))
        return self[:1].action_view_invoice() if len(self) == 1 else True

    def _attach_forms(self, invoice):
        """The G702 and G703 of the application, attached to its invoice. Printing is not
        a reason to hold an invoice back: without a PDF engine the application says why
        its forms are missing."""
        self.ensure_one()
        Report = self.env["ir.actions.report"]
        for report, form in (
            ("q2c_progress_billing.action_report_g702", "G702"),
            ("q2c_progress_billing.action_report_g703", "G703"),
        ):
            try:
                content, kind = Report._render_qweb_pdf(report, self.ids)
            except UserError as error:
                self.message_post(
                    body=_("%(form)s not attached to the invoice: %(why)s", form=form, why=error)
                )
                continue
            self.env["ir.attachment"].create(
                {
                    "name": f"{form} - {self.display_name}.{kind}",
                    "raw": content,
                    "res_model": "account.move",
                    "res_id": invoice.id,
                    "mimetype": "application/pdf" if kind == "pdf" else "text/html",
                }
            )

    def _invoice_values(self):
        self.ensure_one()
        contract, company = self.contract_id, self.company_id
        account = company.q2c_retainage_account_id
        if not account:
            raise UserError(
                _(
                    "Company %(company)s has no retainage receivable account: set it in "
                    "Contracts > Configuration > Settings.",
                    company=company.name,
                )
            )
        journal = contract._invoice_sales_journal(company)
        if not journal:
            raise UserError(
                _("Company %s has no sales journal: add one in Accounting.", company.name)
            )
        distribution = contract._invoice_analytic_distribution()
        currency = self.currency_id
        specs = []
        for line in self.line_ids:
            if not currency.is_zero(line.certified_earned):
                specs.append(
                    {
                        "name": f"{line.item_no} {line.name}",
                        "price_unit": line.certified_earned,
                        "tax_ids": False,
                    }
                )
        change = self.retainage_change
        if not currency.is_zero(change):
            code = contract.code or contract.name
            if self.kind == "release" or currency.compare_amounts(change, 0) < 0:
                label, kind = _("Retainage release - %s", code), "release"
            else:
                label, kind = _("Retainage withheld - %s", code), "withheld"
            specs.append(
                {"name": label, "price_unit": -change, "account": account, "retainage": kind}
            )
        lines = []
        for sequence, spec in enumerate(specs, start=1):
            vals = {
                "sequence": sequence * 10,
                "name": spec["name"],
                "quantity": 1.0,
                "price_unit": spec["price_unit"],
            }
            if spec.get("account"):
                vals["account_id"] = spec["account"].id
                vals["tax_ids"] = [Command.clear()]
                # The contract's Retainage Held (q2c_billing) sums these lines.
                vals["q2c_retainage_kind"] = spec["retainage"]
            if distribution:
                vals["analytic_distribution"] = distribution
            lines.append(Command.create(vals))
        previous_end = self.previous_id.period_end
        start = previous_end + relativedelta(days=1) if previous_end else contract.date_start
        return {
            **contract._invoice_header(company, journal),
            # Issued today (never the period end, which may be ahead): Odoo computes the due
            # date from it and the payment terms; the period is the service period.
            "invoice_date": fields.Date.context_today(self),
            "q2c_service_date_from": start if start and start <= self.period_end else False,
            "q2c_service_date_to": self.period_end,
            "invoice_origin": self.display_name,
            "ref": self.display_name,
            "invoice_line_ids": lines,
        }

    def action_view_invoice(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.invoice_id.id,
            "view_mode": "form",
            "name": self.invoice_id.display_name,
        }

    def _open_action(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self[:1].id,
            "view_mode": "form",
            "name": self[:1].display_name,
        }

    # ------------------------------------------------------------------ demo data

    @api.model
    def _q2c_demo_pay_applications(self):
        """Demo data only: on the demo construction contract, application No. 1 (to the end
        of last month, before the demo change orders) submitted by its project manager,
        certified by Finance and invoiced, its invoice posted; No. 2 (to the end of this
        month, with CO-001's new line and CO-002's deduction) a draft with the work entered,
        waiting for the conditional lien waiver the contract requires from then on. Does
        nothing when the contract is missing, not active or has applications."""
        contract = self.env.ref("q2c_contract.demo_contract_construction", False)
        if not contract or contract.state != "active" or contract.pay_application_ids:
            return
        today = fields.Date.context_today(self)
        first = self.create(
            {"contract_id": contract.id, "period_end": today + relativedelta(day=1, days=-1)}
        )
        rows = {line.item_no: line for line in first.line_ids}
        for item, work, stored in (
            ("1", 20000.00, 0.0),
            ("2", 120000.00, 0.0),
            ("3", 100000.00, 0.0),
            ("4", 0.0, 60000.00),
            ("5", 15000.00, 10000.00),
        ):
            rows[item].write({"work_this_period": work, "stored_now": stored})
        first.action_submit()
        rows["3"].certified_work = 95000.00
        first.certification_note = "Concrete: 95,000.00 in place at the architect's site visit."
        first.action_certify()
        pm = self.env.ref("q2c_contract.demo_user_pm", False)
        finance = self.env.ref("q2c_contract.demo_user_finance", False)
        first._q2c_guarded_write(
            {
                "submitted_by_id": pm.id if pm else False,
                "certified_by_id": finance.id if finance else False,
            }
        )
        if self.env.company.q2c_retainage_account_id and contract._invoice_sales_journal(
            contract.company_id
        ):
            # No PDF engine at demo loading (wkhtmltopdf needs the running server's styles):
            # the forms are printed from the application.
            first.with_context(q2c_pay_application_no_forms=True).action_create_invoice()
            first.invoice_id.action_post()
        waiver = self.env.ref("q2c_progress_billing.document_type_conditional_waiver")
        contract.pay_required_document_type_ids = [Command.link(waiver.id)]
        second = self.create(
            {"contract_id": contract.id, "period_end": today + relativedelta(day=31)}
        )
        rows = {line.item_no: line for line in second.line_ids}
        for item, work, stored in (
            ("1", 30000.00, 0.0),
            ("3", 125000.00, 0.0),
            ("4", 140000.00, 30000.00),
            ("5", 60000.00, 25000.00),
            ("7", 20000.00, 0.0),
        ):
            if item in rows:
                rows[item].write({"work_this_period": work, "stored_now": stored})
