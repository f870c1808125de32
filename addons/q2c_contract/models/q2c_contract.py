from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare, format_amount

from ..money import line_amount, percent_of, prorate
from ..rates import RateResolution
from ..workflow import Transition, check_table
from .q2c_retainer_bucket import DRAWABLE_STATES

STATES = [
    ("draft", "Draft"),
    ("active", "Active"),
    ("on_hold", "On Hold"),
    ("closed", "Closed"),
]
BILLING_MODELS = [
    ("time_and_materials", "Time and materials"),
    ("fixed_fee", "Fixed fee (milestones)"),
    ("retainer", "Retainer"),
    ("progress", "Progress billing (schedule of values)"),
]
BILLING_CYCLES = [
    ("weekly", "Weekly"),
    ("monthly", "Monthly"),
    ("quarterly", "Quarterly"),
    ("milestone", "On milestone acceptance"),
]
RETAINAGE_BASES = [
    ("per_line_cumulative", "Per line, cumulative"),
    ("per_document", "Per document"),
]
RETAINAGE_REDUCTION_MODES = [
    ("recompute", "Recompute the whole base at the reduced rate"),
    ("freeze", "Freeze the retainage held at the threshold"),
]
RETAINAGE_RELEASES = [
    ("final_completion", "At final completion"),
    ("substantial_completion", "At substantial completion, holding back the punch list"),
    ("manual", "Manually"),
]
RATE_CURRENCY_POLICIES = [
    ("frozen", "Frozen at the signature date"),
    ("dynamic", "Converted at the invoice date"),
]
RETAINER_PERIODS = [("monthly", "Monthly"), ("quarterly", "Quarterly")]
ROLLOVER_POLICIES = [
    ("none", "No rollover"),
    ("next_period_only", "Into the next period only"),
    ("capped", "Up to a capped amount"),
    ("unlimited_until_contract_end", "Unlimited until the contract ends"),
]
# The two things called a retainer (billing-domain.md 1.4).
RETAINER_TYPES = [
    ("drawdown", "Prepaid drawdown"),
    ("security", "Evergreen (security deposit)"),
]
# The consumption order of a drawdown retainer's funds (billing-domain.md 1.4): the key each
# order sorts the funds valid on a work date by, first drawn first.
RETAINER_DRAW_ORDERS = [
    ("earliest_expiry", "Earliest expiry first"),
    ("oldest_first", "Oldest funds first"),
    ("top_ups_last", "Period funds before top-ups"),
]
FINANCE = "q2c_contract.group_q2c_finance"
PROJECT_MANAGER = "q2c_contract.group_q2c_project_manager"
# The contract's state machine: each button's transition and the group allowed to make it.
TRANSITIONS = check_table(
    STATES,
    {
        "activate": Transition(("draft",), "active", FINANCE),
        "hold": Transition(("active",), "on_hold", PROJECT_MANAGER),
        "resume": Transition(("on_hold",), "active", PROJECT_MANAGER),
        "close": Transition(("active", "on_hold"), "closed", FINANCE),
        "reset_to_draft": Transition(("active",), "draft", FINANCE),
    },
)
# The states in which the commercial terms are edited directly: the contract is not signed.
EDITABLE_STATES = ("draft",)
# Commercial terms frozen once the contract is signed: changes go through change orders.
SIGNED_FIELDS = {"original_value", "nte_original_amount", "currency_id", "partner_id"}


class Q2cContract(models.Model):
    _name = "q2c.contract"
    _description = "Contract"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "q2c.external.ref.mixin",
        "q2c.guarded.mixin",
    ]
    _order = "date_start desc, id desc"
    _check_company_auto = True
    _rec_names_search = ["name", "code", "partner_id.name"]

    code = fields.Char(
        string="Reference", required=True, copy=False, readonly=True, default="/", index=True
    )
    name = fields.Char(string="Title", required=True, tracking=True)
    state = fields.Selection(
        STATES, default="draft", required=True, readonly=True, copy=False, tracking=True
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, check_company=True, tracking=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, tracking=True
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
        tracking=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Contract Manager",
        default=lambda self: self.env.user,
        tracking=True,
        help="Sees and edits the contract like the managers of its projects.",
    )
    sale_order_id = fields.Many2one(
        "sale.order",
        string="Sale Order",
        check_company=True,
        domain="[('partner_id', 'child_of', partner_id)]",
        tracking=True,
    )
    project_ids = fields.Many2many(
        "project.project",
        "q2c_contract_project_rel",
        "contract_id",
        "project_id",
        string="Projects",
        check_company=True,
    )
    analytic_account_id = fields.Many2one(
        "account.analytic.account",
        string="Analytic Account",
        check_company=True,
        compute="_compute_analytic_account_id",
        store=True,
        readonly=False,
    )
    billing_model = fields.Selection(
        BILLING_MODELS, required=True, default="time_and_materials", tracking=True
    )
    billing_cycle = fields.Selection(BILLING_CYCLES, required=True, default="monthly")
    prebill_review_required = fields.Boolean(string="Pre-bill Review", default=True, tracking=True)
    date_signed = fields.Date(string="Signed On", tracking=True)
    date_start = fields.Date(string="Start", tracking=True)
    date_end = fields.Date(string="End", tracking=True)

    # Value: original at signature, changed only by change entries (approved change orders).
    original_value = fields.Monetary(tracking=True)
    approved_change_amount = fields.Monetary(
        string="Approved Changes", compute="_compute_values", store=True
    )
    current_value = fields.Monetary(compute="_compute_values", store=True, tracking=True)
    change_entry_ids = fields.One2many(
        "q2c.contract.change.entry", "contract_id", string="Change Entries", readonly=True
    )

    # Not-to-exceed cap (billing-domain.md 1.2); zero means no cap.
    nte_original_amount = fields.Monetary(string="Not-to-exceed (signed)", tracking=True)
    nte_amount = fields.Monetary(
        string="Not-to-exceed Cap", compute="_compute_values", store=True, tracking=True
    )
    nte_billed_amount = fields.Monetary(
        string="Billed under Cap",
        copy=False,
        readonly=True,
        tracking=True,
        help="Fees billed to date under the cap, net of credit notes; kept by billing.",
    )
    nte_headroom = fields.Monetary(string="Headroom", compute="_compute_over_cap", store=True)
    is_over_cap = fields.Boolean(
        string="Over Cap",
        compute="_compute_over_cap",
        store=True,
        help="The contract value exceeds the not-to-exceed cap, or billing reached it.",
    )
    rate_card_ids = fields.Many2many(
        "q2c.rate.card",
        "q2c_contract_rate_card_rel",
        "contract_id",
        "card_id",
        string="Rate Cards",
        domain="[('scope', '=', 'contract'), ('currency_id', '=', currency_id)]",
        check_company=True,
        help="Contract rate cards, in order: the first one with a valid line wins.",
    )
    rate_override_ids = fields.One2many(
        "q2c.rate.override", "contract_id", string="Rate Overrides", copy=True
    )
    rate_currency_policy = fields.Selection(
        RATE_CURRENCY_POLICIES,
        required=True,
        default="frozen",
        help="How a customer or company rate card in another currency is converted.",
    )

    # Retainage (billing-domain.md 2.4), in percent.
    retainage_percent = fields.Float(string="Retainage (%)", digits=(5, 4), tracking=True)
    retainage_reduced_percent = fields.Float(string="Reduced Retainage (%)", digits=(5, 4))
    retainage_threshold_percent = fields.Float(
        string="Reduction at Completion (%)",
        digits=(5, 4),
        help="The retainage drops to the reduced rate once work completed and stored reaches "
        "this share of the contract sum. Zero: no reduction.",
    )
    retainage_basis = fields.Selection(
        RETAINAGE_BASES, required=True, default="per_line_cumulative"
    )
    retainage_reduction_mode = fields.Selection(
        RETAINAGE_REDUCTION_MODES, required=True, default="recompute"
    )
    retainage_release_policy = fields.Selection(
        RETAINAGE_RELEASES, required=True, default="final_completion"
    )
    retainage_punch_list_percent = fields.Float(
        string="Punch-list Holdback (%)",
        default=150.0,
        help="At substantial completion, retainage kept back as a share of the punch-list value.",
    )

    # Fixed fee.
    deemed_acceptance_days = fields.Integer(
        string="Deemed Acceptance (days)",
        help="A submitted milestone not rejected within this many calendar days is accepted. "
        "Zero: acceptance is always explicit.",
    )
    milestone_ids = fields.One2many(
        "q2c.contract.milestone", "contract_id", string="Milestones", copy=True
    )
    milestone_total = fields.Monetary(
        string="Milestones Total", compute="_compute_milestone_total"
    )
    milestone_gap = fields.Monetary(
        string="Value Not on a Milestone",
        compute="_compute_milestone_total",
        help="Contract value minus the milestones' total: what no milestone bills (negative "
        "when the milestones promise more than the contract is worth).",
    )

    # Retainer (prepaid drawdown or security deposit, billing-domain.md 1.4).
    retainer_type = fields.Selection(
        RETAINER_TYPES,
        default="drawdown",
        required=True,
        help="Prepaid drawdown: a retainer invoiced each period in advance, usage at T&M rates "
        "draws it down. Evergreen (security deposit): a deposit invoiced once, held, and "
        "applied to the final invoice; usage is billed at T&M rates as it happens.",
    )
    retainer_deposit_amount = fields.Monetary(string="Security Deposit")
    retainer_draw_order = fields.Selection(
        RETAINER_DRAW_ORDERS,
        string="Funds Used First",
        default="earliest_expiry",
        required=True,
        help="Which of the funds valid on a work date its usage draws first. Earliest expiry "
        "first (ties: the older funds) is the rule of billing-domain.md 1.4.",
    )
    retainer_amount = fields.Monetary(string="Retainer per Period")
    retainer_period = fields.Selection(RETAINER_PERIODS, default="monthly")
    retainer_rollover_policy = fields.Selection(ROLLOVER_POLICIES, default="none")
    retainer_rollover_cap = fields.Monetary(string="Rollover Cap")
    retainer_bucket_ids = fields.One2many(
        "q2c.retainer.bucket", "contract_id", string="Retainer Funds"
    )
    retainer_drawdown_ids = fields.One2many(
        "q2c.retainer.drawdown", "contract_id", string="Drawdowns", readonly=True
    )
    retainer_balance = fields.Monetary(compute="_compute_retainer_balance")

    # Schedule of values (billing-domain.md 2.1).
    sov_line_ids = fields.One2many(
        "q2c.contract.sov.line", "contract_id", string="Schedule of Values", copy=True
    )
    sov_total = fields.Monetary(string="Scheduled Value", compute="_compute_sov_total")

    # Which buttons the current user sees, read from TRANSITIONS.
    can_activate = fields.Boolean(compute="_compute_allowed_actions")
    can_hold = fields.Boolean(compute="_compute_allowed_actions")
    can_resume = fields.Boolean(compute="_compute_allowed_actions")
    can_close = fields.Boolean(compute="_compute_allowed_actions")
    can_reset_to_draft = fields.Boolean(compute="_compute_allowed_actions")

    _sql_constraints = [
        ("code_company_uniq", "unique(code, company_id)", "A contract reference is unique."),
    ]

    # ------------------------------------------------------------------ computes

    @api.depends("project_ids.account_id")
    def _compute_analytic_account_id(self):
        for contract in self:
            if not contract.analytic_account_id:
                contract.analytic_account_id = contract.project_ids[:1].account_id

    @api.depends(
        "original_value",
        "nte_original_amount",
        "change_entry_ids.amount",
        "change_entry_ids.kind",
    )
    def _compute_values(self):
        for contract in self:
            value_changes = nte_changes = 0.0
            for entry in contract.change_entry_ids:
                if entry.kind == "value":
                    value_changes += entry.amount
                elif entry.kind == "nte":
                    nte_changes += entry.amount
            currency = contract.currency_id
            contract.approved_change_amount = currency.round(value_changes)
            contract.current_value = currency.round(contract.original_value + value_changes)
            contract.nte_amount = (
                currency.round(contract.nte_original_amount + nte_changes)
                if not currency.is_zero(contract.nte_original_amount)
                else 0.0
            )

    @api.depends("nte_amount", "nte_billed_amount", "current_value")
    def _compute_over_cap(self):
        for contract in self:
            currency = contract.currency_id
            if currency.is_zero(contract.nte_amount):
                contract.nte_headroom = 0.0
                contract.is_over_cap = False
                continue
            contract.nte_headroom = max(
                currency.round(contract.nte_amount - contract.nte_billed_amount), 0.0
            )
            contract.is_over_cap = (
                currency.compare_amounts(contract.nte_billed_amount, contract.nte_amount) >= 0
                or currency.compare_amounts(contract.current_value, contract.nte_amount) > 0
            )

    @api.depends("milestone_ids.amount", "current_value", "billing_model")
    def _compute_milestone_total(self):
        for contract in self:
            currency = contract.currency_id
            contract.milestone_total = currency.round(sum(contract.milestone_ids.mapped("amount")))
            contract.milestone_gap = (
                currency.round(contract.current_value - contract.milestone_total)
                if contract.billing_model == "fixed_fee"
                else 0.0
            )

    @api.depends("retainer_bucket_ids.balance")
    def _compute_retainer_balance(self):
        for contract in self:
            open_buckets = contract.retainer_bucket_ids.filtered(
                lambda b: b.state in DRAWABLE_STATES
            )
            contract.retainer_balance = sum(open_buckets.mapped("balance"))

    @api.depends("sov_line_ids.scheduled_value")
    def _compute_sov_total(self):
        for contract in self:
            contract.sov_total = contract.currency_id.round(
                sum(contract.sov_line_ids.mapped("scheduled_value"))
            )

    @api.depends_context("uid")
    @api.depends("state", "change_entry_ids")
    def _compute_allowed_actions(self):
        for contract in self:
            contract.can_activate = contract._transition_allowed("activate")
            contract.can_hold = contract._transition_allowed("hold")
            contract.can_resume = contract._transition_allowed("resume")
            contract.can_close = contract._transition_allowed("close")
            contract.can_reset_to_draft = (
                contract._transition_allowed("reset_to_draft") and not contract.change_entry_ids
            )

    # ------------------------------------------------------------------ constraints

    @api.constrains(
        "retainage_percent",
        "retainage_reduced_percent",
        "retainage_threshold_percent",
        "retainage_punch_list_percent",
    )
    def _check_retainage(self):
        labels = {
            "retainage_percent": _("retainage"),
            "retainage_reduced_percent": _("reduced retainage"),
            "retainage_threshold_percent": _("retainage reduction threshold"),
        }
        for contract in self:
            for fname, label in labels.items():
                if not 0.0 <= contract[fname] <= 100.0:
                    raise ValidationError(
                        _(
                            "The %(what)s of contract %(contract)s must be between 0%% and "
                            "100%% (got %(value)s%%).",
                            what=label,
                            contract=contract.display_name,
                            value=contract[fname],
                        )
                    )
            if contract.retainage_punch_list_percent < 0:
                raise ValidationError(_("The punch-list holdback cannot be negative."))
            if (
                contract.retainage_threshold_percent
                and contract.retainage_reduced_percent > contract.retainage_percent
            ):
                raise ValidationError(
                    _(
                        "Contract %(contract)s: the reduced retainage (%(reduced)s%%) is higher "
                        "than the retainage (%(rate)s%%).",
                        contract=contract.display_name,
                        reduced=contract.retainage_reduced_percent,
                        rate=contract.retainage_percent,
                    )
                )

    @api.constrains(
        "original_value", "nte_original_amount", "retainer_amount", "retainer_deposit_amount"
    )
    def _check_amounts(self):
        amounts = (
            "original_value",
            "nte_original_amount",
            "retainer_amount",
            "retainer_deposit_amount",
        )
        for contract in self:
            for fname in amounts:
                if contract.currency_id.compare_amounts(contract[fname], 0.0) < 0:
                    raise ValidationError(
                        _(
                            "Contract %(contract)s: %(field)s cannot be negative.",
                            contract=contract.display_name,
                            field=self._fields[fname].get_description(self.env)["string"],
                        )
                    )

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for contract in self:
            if (
                contract.date_start
                and contract.date_end
                and contract.date_end < contract.date_start
            ):
                raise ValidationError(
                    _(
                        "Contract %(contract)s ends before it starts.",
                        contract=contract.display_name,
                    )
                )

    @api.constrains("rate_card_ids", "currency_id")
    def _check_rate_card_currency(self):
        for contract in self:
            for card in contract.rate_card_ids:
                if card.scope != "contract":
                    raise ValidationError(
                        _(
                            "Rate card %(card)s is not a contract rate card; customer and "
                            "company default cards apply by themselves.",
                            card=card.name,
                        )
                    )
                if card.currency_id != contract.currency_id:
                    raise ValidationError(
                        _(
                            "Rate card %(card)s is in %(card_currency)s but contract %(contract)s "
                            "is in %(currency)s: a contract's rate cards use its currency.",
                            card=card.name,
                            card_currency=card.currency_id.name,
                            contract=contract.display_name,
                            currency=contract.currency_id.name,
                        )
                    )

    @api.constrains("project_ids")
    def _check_projects(self):
        """A project belongs to one contract: its time entries resolve to one set of rates."""
        for contract in self:
            for project in contract.project_ids:
                other = self.search(
                    [("id", "!=", contract.id), ("project_ids", "in", project.id)], limit=1
                )
                if other:
                    raise ValidationError(
                        _(
                            "Project %(project)s already belongs to contract %(other)s.",
                            project=project.display_name,
                            other=other.display_name,
                        )
                    )

    # ------------------------------------------------------------------ CRUD

    @api.depends("code", "name")
    def _compute_display_name(self):
        for contract in self:
            code = contract.code if contract.code and contract.code != "/" else False
            contract.display_name = " ".join(filter(None, [code, contract.name]))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("code", "/") == "/":
                company = self.env["res.company"].browse(vals.get("company_id"))
                vals["code"] = (
                    self.env["ir.sequence"]
                    .with_company(company or self.env.company)
                    .next_by_code("q2c.contract")
                    or "/"
                )
        return super().create(vals_list)

    def _q2c_guarded_fields(self):
        """The state moves only through the buttons (TRANSITIONS and their groups); the
        amount billed under the cap is kept by billing."""
        return super()._q2c_guarded_fields() | {"state", "nte_billed_amount"}

    def write(self, vals):
        if SIGNED_FIELDS.intersection(vals):
            signed = self.filtered(lambda c: c.state not in EDITABLE_STATES)
            if signed:
                raise UserError(
                    _(
                        "Contract %(contract)s is signed: its customer, currency, original value "
                        "and cap change only through an approved change order.",
                        contract=signed[0].display_name,
                    )
                )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_signed(self):
        for contract in self:
            if contract.state not in EDITABLE_STATES:
                raise UserError(
                    _(
                        "Contract %(contract)s is not a draft: close it instead of deleting it.",
                        contract=contract.display_name,
                    )
                )

    def _fmt(self, amount):
        """An amount as users read it in messages: in the contract currency. Odoo puts a
        zero-width no-break space (U+FEFF) after the minus sign for its web client; a
        message's text has none ("$ -5,000.00")."""
        currency = self.currency_id or self.env.company.currency_id
        return format_amount(self.env, amount, currency).replace(
            "\N{ZERO WIDTH NO-BREAK SPACE}", ""
        )

    # ------------------------------------------------------------------ state

    def _transition_allowed(self, action):
        """Whether the current user may take `action` on this contract now (TRANSITIONS)."""
        self.ensure_one()
        transition = TRANSITIONS[action]
        return self.state in transition.sources and self._may_transition(transition)

    def _may_transition(self, transition):
        return self.env.su or self.env.user.has_group(transition.group)

    def _check_transition(self, action):
        """Raise why `action` is refused: the user's rights and group first, then each
        contract's state."""
        transition = TRANSITIONS[action]
        self.check_access("write")
        if not self._may_transition(transition):
            raise AccessError(
                _(
                    "Only %(group)s users may do this on a contract.",
                    group=self.env.ref(transition.group).name,
                )
            )
        labels = dict(STATES)
        for contract in self:
            if contract.state not in transition.sources:
                raise UserError(
                    _(
                        "Contract %(contract)s is %(state)s; this action needs it to be "
                        "%(expected)s.",
                        contract=contract.display_name,
                        state=labels[contract.state],
                        expected=" / ".join(labels[s] for s in transition.sources),
                    )
                )

    def _transition(self, action):
        self._check_transition(action)
        self._q2c_guarded_write({"state": TRANSITIONS[action].target})
        return True

    def action_activate(self):
        self.check_access("write")
        for contract in self:
            contract._check_ready_to_activate()
        return self._transition("activate")

    def action_hold(self):
        return self._transition("hold")

    def action_resume(self):
        return self._transition("resume")

    def action_close(self):
        return self._transition("close")

    def action_reset_to_draft(self):
        self.check_access("write")
        for contract in self:
            if contract.change_entry_ids:
                raise UserError(
                    _(
                        "Contract %(contract)s has approved changes; it cannot go back to draft.",
                        contract=contract.display_name,
                    )
                )
        return self._transition("reset_to_draft")

    def _check_ready_to_activate(self):
        """What a contract needs before it is billed, by billing model; override to add checks."""
        self.ensure_one()
        currency = self.currency_id
        if self.billing_model == "fixed_fee":
            if not self.milestone_ids:
                raise UserError(_("A fixed-fee contract needs milestones before it starts."))
            if currency.compare_amounts(self.milestone_total, self.current_value):
                raise UserError(
                    _(
                        "The milestones of %(contract)s total %(total)s; they must add up to the "
                        "fixed fee %(fee)s.",
                        contract=self.display_name,
                        total=self._fmt(self.milestone_total),
                        fee=self._fmt(self.current_value),
                    )
                )
        if self.billing_model == "progress" and currency.compare_amounts(
            self.sov_total, self.current_value
        ):
            raise UserError(
                _(
                    "The schedule of values of %(contract)s totals %(total)s; it must equal the "
                    "contract sum %(value)s.",
                    contract=self.display_name,
                    total=self._fmt(self.sov_total),
                    value=self._fmt(self.current_value),
                )
            )
        if self.billing_model == "retainer":
            self._check_retainer_terms()

    # ------------------------------------------------------------------ rates

    def _resolve_rate(self, work_date, employee, role=None, project=None, conversion_date=None):
        """The rate of one time entry, first match wins (billing-domain.md 1.1):

        1. override for the employee (project-specific first, then contract-wide),
        2. override for the role (idem),
        3. the contract's rate cards, employee line; 4. idem, role line,
        5. the customer's rate card, employee line then role line,
        6. the company default rate card, employee line then role line.

        Every candidate must be valid on `work_date` (inclusive bounds). The role is the one
        the person worked in (the time entry's snapshot), by default their current job.
        Nothing found raises a UserError that says what was looked for: an entry is never
        priced at zero. Returns a `RateResolution`.
        """
        self.ensure_one()
        work_date = fields.Date.to_date(work_date)
        # The role snapshot defaults to the job on the employee record, which only HR users
        # may read; reading it is not a business write.
        role = role or employee.sudo().job_id
        for source, record in self._rate_candidates(work_date, employee, role, project):
            if record:
                return self._rate_resolution(source, record, conversion_date or work_date)
        raise UserError(self._no_rate_message(work_date, employee, role, project))

    def _rate_candidates(self, work_date, employee, role, project):
        """Yield (source, record or empty) in precedence order; see `_resolve_rate`."""
        Override = self.env["q2c.rate.override"]
        Line = self.env["q2c.rate.card.line"]
        valid = [
            ("date_from", "<=", work_date),
            "|",
            ("date_to", "=", False),
            ("date_to", ">=", work_date),
        ]
        override_domain = [
            ("contract_id", "=", self.id),
            ("project_id", "in", [False, project.id if project else False]),
        ]
        if employee:
            yield (
                "override_employee",
                Override.search(
                    [*override_domain, ("employee_id", "=", employee.id), *valid]
                ).sorted(lambda o: not o.project_id)[:1],
            )
        if role:
            yield (
                "override_role",
                Override.search([*override_domain, ("role_id", "=", role.id), *valid]).sorted(
                    lambda o: not o.project_id
                )[:1],
            )
        cards = [
            ("contract", self.rate_card_ids),
            ("customer", self._customer_rate_card()),
            ("company_default", self._company_default_rate_card()),
        ]
        for scope, scope_cards in cards:
            for key, value in (("employee_id", employee), ("role_id", role)):
                if not value:
                    continue
                lines = Line.search(
                    [("card_id", "in", scope_cards.ids), (key, "=", value.id), *valid]
                )
                # Several contract cards: their order on the contract decides.
                by_card = lines.sorted(
                    lambda line, ids=scope_cards.ids: ids.index(line.card_id.id)
                )
                yield f"{scope}_{key[:-3]}", by_card[:1]

    def _customer_rate_card(self):
        self.ensure_one()
        return self.env["q2c.rate.card"].search(
            [
                ("scope", "=", "customer"),
                ("partner_id", "=", self.partner_id.commercial_partner_id.id),
                ("company_id", "=", self.company_id.id),
            ],
            limit=1,
        )

    def _company_default_rate_card(self):
        self.ensure_one()
        return self.env["q2c.rate.card"].search(
            [("scope", "=", "company_default"), ("company_id", "=", self.company_id.id)], limit=1
        )

    def _rate_resolution(self, source, record, conversion_date):
        """Build the result; a card in another currency is converted per the contract policy."""
        rate = record.rate
        from_currency = record.currency_id
        if from_currency != self.currency_id:
            if self.rate_currency_policy == "frozen":
                conversion_date = self.date_signed or self.date_start or conversion_date
            rate = from_currency._convert(
                rate, self.currency_id, self.company_id, conversion_date, round=True
            )
        return RateResolution(
            rate=rate,
            unit=record.unit,
            hours_per_day=record.hours_per_day,
            source=source,
            record=record,
        )

    def _no_rate_message(self, work_date, employee, role, project):
        return _(
            "No rate for %(employee)s as %(role)s on %(date)s under contract %(contract)s. "
            "Looked for: an override on %(project)s or on the contract, a line on the contract "
            "rate cards (%(cards)s), on the customer's rate card (%(customer_card)s) and on the "
            "company default rate card (%(default_card)s). Add a rate valid on that date; the "
            "entry is not billed until then.",
            employee=employee.display_name or _("(no employee)"),
            role=role.display_name or _("(no role)"),
            date=work_date,
            contract=self.display_name,
            project=project.display_name if project else _("(no project)"),
            cards=", ".join(self.rate_card_ids.mapped("name")) or _("none"),
            customer_card=self._customer_rate_card().name or _("none"),
            default_card=self._company_default_rate_card().name or _("none"),
        )

    def _value_time(self, work_date, employee, hours, role=None, project=None):
        """Value of one time entry at its resolved rate: round(qty x rate) in contract currency.

        A day rate bills round(hours / hours per day, 2) days. Billing groups entries before
        rounding (billing-domain.md 1.1); this is the single-entry case (retainer usage,
        previews).
        """
        resolution = self._resolve_rate(work_date, employee, role=role, project=project)
        return line_amount(self.currency_id, resolution.quantity(hours), resolution.rate)

    def _price_time_entries(self, entries):
        """Invoice lines for approved time entries, per billing-domain.md 1.1.

        `entries`: dicts with `date`, `employee`, `hours` and optionally `role` and `project`.
        Entries are grouped by (employee, role, rate source, unit rate, calendar month of the
        work date); a group's quantity is the sum of its hours, rounded once: amount =
        round(quantity x rate). Returns one dict per line, in order of employee then date.
        Raises the resolver's UserError when an entry has no rate.
        """
        self.ensure_one()
        groups = {}
        ordered = sorted(entries, key=lambda e: (e["employee"].name or "", e["date"]))
        for entry in ordered:
            day = fields.Date.to_date(entry["date"])
            role = entry.get("role") or entry["employee"].sudo().job_id
            resolution = self._resolve_rate(
                day, entry["employee"], role=role, project=entry.get("project")
            )
            key = (
                entry["employee"].id,
                role.id,
                resolution.source,
                resolution.rate,
                resolution.record,
                (day.year, day.month),
            )
            group = groups.setdefault(
                key,
                {
                    "employee": entry["employee"],
                    "role": role,
                    "resolution": resolution,
                    "hours": Decimal(0),
                    "date_from": day,
                    "date_to": day,
                },
            )
            group["hours"] += Decimal(repr(float(entry["hours"])))
            group["date_from"] = min(group["date_from"], day)
            group["date_to"] = max(group["date_to"], day)
        lines = []
        for group in groups.values():
            resolution = group["resolution"]
            quantity = resolution.quantity(float(group["hours"]))
            lines.append(
                {
                    **group,
                    "hours": float(group["hours"]),
                    "quantity": quantity,
                    "rate": resolution.rate,
                    "source": resolution.source,
                    "amount": line_amount(self.currency_id, quantity, resolution.rate),
                }
            )
        return lines

    # ------------------------------------------------------------------ retainage

    def _retainage_percent_at(self, completion_ratio):
        """Retainage rate (%) for an application at `completion_ratio` (L4 / L3, 0..1)."""
        self.ensure_one()
        threshold = self.retainage_threshold_percent
        if (
            threshold
            and float_compare(completion_ratio * 100.0, threshold, precision_digits=6) >= 0
        ):
            return self.retainage_reduced_percent
        return self.retainage_percent

    def _compute_retainage(self, amount, completion_ratio=0.0, percent=None):
        """Retainage on `amount`, rounded half-up when computed (billing-domain.md 0 and 2.4)."""
        self.ensure_one()
        if percent is None:
            percent = self._retainage_percent_at(completion_ratio)
        return percent_of(self.currency_id, amount, percent)

    # ------------------------------------------------------------------ milestones

    def _milestone_amounts(self):
        """Amount of every milestone, the last percent-based one absorbing the rounding.

        Percent milestones share the original fee: round(fee x pct) each; when their percents
        reach 100%, the last one is fee - sum(the others) (billing-domain.md 1.3, GC-03). A fee
        raised by a change order goes to new amount-based milestones, never into these shares.
        """
        self.ensure_one()
        currency = self.currency_id
        amounts = {}
        percent_ones = self.milestone_ids.filtered(lambda m: m.basis == "percent").sorted(
            lambda m: (m.sequence, m.id or 0)
        )
        for milestone in self.milestone_ids - percent_ones:
            amounts[milestone] = currency.round(milestone.fixed_amount)
        total_percent = sum(percent_ones.mapped("percent"))
        complete = float_compare(total_percent, 100.0, precision_digits=6) == 0
        for index, milestone in enumerate(percent_ones):
            if complete and index == len(percent_ones) - 1:
                others = sum(amounts[m] for m in percent_ones[:-1])
                amounts[milestone] = currency.round(self.original_value - others)
            else:
                amounts[milestone] = percent_of(currency, self.original_value, milestone.percent)
        return amounts

    @api.constrains("original_value")
    def _check_original_value_covers_milestones(self):
        for contract in self:
            contract._check_milestone_totals()

    def _check_milestone_totals(self):
        """Milestones never promise more than the contract is worth (billing-domain.md 1.3)."""
        self.ensure_one()
        currency = self.currency_id
        milestones = self.milestone_ids
        for milestone in milestones:
            if milestone.basis == "percent" and not 0.0 < milestone.percent <= 100.0:
                raise ValidationError(
                    _(
                        "Milestone %(milestone)s: its share must be above 0%% and at most 100%%.",
                        milestone=milestone.name,
                    )
                )
            if (
                milestone.basis == "amount"
                and currency.compare_amounts(milestone.fixed_amount, 0.0) <= 0
            ):
                raise ValidationError(
                    _(
                        "Milestone %(milestone)s: its amount must be positive.",
                        milestone=milestone.name,
                    )
                )
        total_percent = sum(milestones.filtered(lambda m: m.basis == "percent").mapped("percent"))
        if float_compare(total_percent, 100.0, precision_digits=6) > 0:
            raise ValidationError(
                _(
                    "The milestone shares of %(contract)s add up to %(total)s%%, over 100%%.",
                    contract=self.display_name,
                    total=f"{total_percent:.4f}",
                )
            )
        total = currency.round(sum(milestones.mapped("amount")))
        if currency.compare_amounts(total, self.current_value) > 0:
            raise ValidationError(
                _(
                    "The milestones of %(contract)s total %(total)s, more than the contract "
                    "value %(value)s.",
                    contract=self.display_name,
                    total=self._fmt(total),
                    value=self._fmt(self.current_value),
                )
            )

    def _check_sov_editable(self):
        """After signature the schedule of values changes only through change orders."""
        signed = self.filtered(lambda c: c.state not in EDITABLE_STATES)
        if signed:
            raise UserError(
                _(
                    "Contract %(contract)s is signed: its schedule of values changes only "
                    "through an approved change order.",
                    contract=signed[0].display_name,
                )
            )

    # ------------------------------------------------------------------ retainer

    def _check_retainer_terms(self):
        """A drawdown retainer needs its amount per period, a security retainer its deposit."""
        currency = self.currency_id
        if self.retainer_type == "security":
            if currency.is_zero(self.retainer_deposit_amount):
                raise UserError(_("A security retainer needs the amount of its deposit."))
        elif currency.is_zero(self.retainer_amount):
            raise UserError(_("A retainer contract needs its amount per period."))

    def _retainer_period_bounds(self, day):
        """First and last day of the retainer period that contains `day`."""
        self.ensure_one()
        day = fields.Date.to_date(day)
        months = 3 if self.retainer_period == "quarterly" else 1
        first_month = day.month - (day.month - 1) % months
        start = day.replace(month=first_month, day=1)
        end = start + relativedelta(months=months) - timedelta(days=1)
        return start, end

    def _retainer_amount_for(self, start, end):
        """The retainer billed for [start, end], prorated by calendar days at contract edges."""
        self.ensure_one()
        active_start = max(start, self.date_start or start)
        active_end = min(end, self.date_end or end)
        if active_end < active_start:
            return 0.0
        period_days = (end - start).days + 1
        active_days = (active_end - active_start).days + 1
        if active_days == period_days:
            return self.currency_id.round(self.retainer_amount)
        return prorate(self.currency_id, self.retainer_amount, active_days, period_days)

    def _retainer_bucket_expiry(self, period_end):
        """Expiry of a period's funds under the rollover policy (False: never)."""
        self.ensure_one()
        if self.retainer_rollover_policy == "unlimited_until_contract_end":
            return self.date_end or False
        return period_end

    def _open_retainer_period(self, day):
        """Create (once) the fund bucket of the retainer period containing `day`.

        Billing calls this when it invoices the retainer in advance; the unique constraint on
        (contract, kind, valid_from) keeps a second call from creating a second bucket.
        """
        self.ensure_one()
        if self.billing_model != "retainer":
            raise UserError(_("Contract %s is not a retainer.", self.display_name))
        start, end = self._retainer_period_bounds(day)
        valid_from = max(start, self.date_start or start)
        Bucket = self.env["q2c.retainer.bucket"]
        existing = Bucket.search(
            [
                ("contract_id", "=", self.id),
                ("kind", "=", "period"),
                ("valid_from", "=", valid_from),
            ]
        )
        if existing:
            return existing
        return Bucket.create(
            {
                "contract_id": self.id,
                "kind": "period",
                "name": _("Retainer %(start)s to %(end)s", start=start, end=end),
                "amount": self._retainer_amount_for(start, end),
                "valid_from": valid_from,
                "expiry": self._retainer_bucket_expiry(end),
            }
        )

    def _open_retainer_deposit(self):
        """Create (once) the security deposit of an evergreen retainer (billing-domain.md
        1.4): held from the contract's start, no expiry, never drawn by usage; billing
        invoices it once and applies it to the final invoice. The unique index on a
        contract's deposit keeps a second call from creating a second one."""
        self.ensure_one()
        if self.billing_model != "retainer" or self.retainer_type != "security":
            raise UserError(_("Contract %s has no security deposit.", self.display_name))
        Bucket = self.env["q2c.retainer.bucket"]
        existing = Bucket.search([("contract_id", "=", self.id), ("kind", "=", "deposit")])
        if existing:
            return existing
        return Bucket.create(
            {
                "contract_id": self.id,
                "kind": "deposit",
                "name": _("Security deposit"),
                "amount": self.currency_id.round(self.retainer_deposit_amount),
                "valid_from": self.date_start or fields.Date.context_today(self),
                "expiry": False,
            }
        )

    def _retainer_drawable_buckets(self, day):
        """The funds usage dated `day` may draw from, in the order it draws them: valid that
        day, not expired, in the contract's consumption order (`_retainer_draw_key`). A
        security deposit is never drawn by usage (it is applied to the final invoice)."""
        self.ensure_one()
        day = fields.Date.to_date(day)
        buckets = self.env["q2c.retainer.bucket"].search(
            [
                ("contract_id", "=", self.id),
                ("state", "in", DRAWABLE_STATES),
                ("kind", "!=", "deposit"),
                ("valid_from", "<=", day),
                "|",
                ("expiry", "=", False),
                ("expiry", ">=", day),
            ]
        )
        return buckets.sorted(self._retainer_draw_key)

    def _retainer_draw_key(self, bucket):
        """Sort key of `bucket` in the contract's consumption order (billing-domain.md 1.4),
        first drawn first; every order ends on (valid from, id), so ties go to the older
        funds. Override to add an order to `retainer_draw_order`.

        - earliest expiry first (the default): funds without expiry last;
        - oldest funds first: by the day they are valid from;
        - period funds before top-ups: a period's funds and its rollover first, top-ups
          after them, each group earliest expiry first."""
        expiry = bucket.expiry or date.max
        order = self.retainer_draw_order
        if order == "oldest_first":
            return (bucket.valid_from, bucket.id)
        if order == "top_ups_last":
            return (bucket.kind == "top_up", expiry, bucket.valid_from, bucket.id)
        return (expiry, bucket.valid_from, bucket.id)

    def _retainer_allocate(self, day, amount, balances):
        """Plan the draw of `amount` of usage dated `day`, writing nothing.

        `balances`: {bucket: what is left of it}, read from the buckets when missing and
        updated by the plan, so that a caller can allocate several entries in chronological
        order before writing them. Returns ([(bucket, amount taken)], overage)."""
        self.ensure_one()
        currency = self.currency_id
        remaining = currency.round(amount)
        plan = []
        for bucket in self._retainer_drawable_buckets(day):
            if currency.compare_amounts(remaining, 0.0) <= 0:
                break
            left = balances.setdefault(bucket, bucket.balance)
            if currency.compare_amounts(left, 0.0) <= 0:
                continue
            take = min(left, remaining)
            plan.append((bucket, take))
            balances[bucket] = currency.round(left - take)
            remaining = currency.round(remaining - take)
        return plan, remaining

    def _retainer_draw(self, day, amount, description):
        """Draw `amount` of usage dated `day` from the funds valid that day.

        Funds with the earliest expiry go first, ties to the older bucket (billing-domain.md
        1.4). Returns (applied, overage): the overage is billed at T&M rates in arrears.
        """
        self.ensure_one()
        day = fields.Date.to_date(day)
        plan, overage = self._retainer_allocate(day, amount, {})
        self.env["q2c.retainer.drawdown"].create(
            [
                {
                    "contract_id": self.id,
                    "bucket_id": bucket.id,
                    "date": day,
                    "amount": take,
                    "name": description,
                }
                for bucket, take in plan
            ]
        )
        return self.currency_id.round(amount - overage), overage

    def _retainer_draw_time(
        self, work_date, employee, hours, description, role=None, project=None
    ):
        """Usage of one time entry valued at T&M rates, drawn from the retainer."""
        value = self._value_time(work_date, employee, hours, role=role, project=project)
        return self._retainer_draw(work_date, value, description)

    @api.model
    def _cron_expire_retainer_buckets(self):
        self.env["q2c.retainer.bucket"]._expire(fields.Date.context_today(self))
