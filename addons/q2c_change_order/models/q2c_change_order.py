from markupsafe import Markup, escape

from odoo import Command, _, api, fields, models
from odoo.addons.q2c_contract.workflow import Transition, check_table
from odoo.exceptions import AccessError, UserError, ValidationError

FINANCE = "q2c_contract.group_q2c_finance"
# In lifecycle order (the kanban columns and the status bar follow it).
STATES = [
    ("draft", "Draft"),
    ("submitted", "Submitted"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
    ("superseded", "Superseded"),
    ("void", "Void"),
]
# The change order's state machine (billing-domain.md 3.2); rights are `_user_may`'s.
TRANSITIONS = check_table(
    STATES,
    {
        "submit": Transition(("draft",), "submitted"),
        # Reached once every approval it needs is given: the project manager's, and Finance's
        # above the company threshold; until then it stays submitted.
        "approve": Transition(("submitted",), "approved"),
        "reject": Transition(("submitted",), "rejected"),
        # A new revision in draft; this one keeps its state until the new one is submitted.
        "revise": Transition(("submitted", "rejected"), None),
        "void": Transition(("draft", "submitted", "approved"), "void"),
        # A newer revision of it was submitted.
        "supersede": Transition(("submitted",), "superseded"),
    },
)
# Decisions and revisions are taken on the latest revision only.
LATEST_REVISION_ONLY = {"approve", "reject", "revise"}
# Submitted and waiting for a decision: exposure, not yet in the contract value.
PENDING_STATES = TRANSITIONS["approve"].sources
# The states in which a change order's content (lines, amounts, markups) is edited.
EDITABLE_STATES = ("draft",)
TARGETS = [
    ("sov_new", "New schedule-of-values line"),
    ("sov_adjust", "Adjust a schedule-of-values line"),
    ("contract_value", "Contract value"),
    ("milestone", "New milestone"),
    ("nte_cap", "Not-to-exceed cap"),
]
# Targets that each billing model accepts: a progress contract keeps sum(SOV) = contract sum.
TARGETS_BY_MODEL = {
    "progress": {"sov_new", "sov_adjust"},
    "fixed_fee": {"milestone", "contract_value"},
    "time_and_materials": {"contract_value", "nte_cap"},
    "retainer": {"contract_value", "nte_cap"},
}
# Context marker of the workflow methods; an object, so that no RPC payload can forge it.
WORKFLOW = object()
# Fields the workflow methods write on a submitted or decided change order.
WORKFLOW_FIELDS = {
    "state",
    "submitted_by_id",
    "submitted_on",
    "finance_approval_required",
    "pm_approved_by_id",
    "pm_approved_on",
    "finance_approved_by_id",
    "finance_approved_on",
    "date_approved",
    "decision_reason",
    "superseded_by_id",
    "has_newer_revision",
    "effects_applied",
    "effects_reversed",
}
# Line fields that record a decision (partial approval) rather than the priced content.
DECISION_FIELDS = {"decision", "revised_amount"}
# Fields that are not the change order's content: not frozen by its state. The billed
# amount is nonetheless billing's alone (`_q2c_guarded_fields`).
FREE_FIELDS = {"billed_amount", "approval_document", "approval_document_name"}


class Q2cChangeOrder(models.Model):
    _name = "q2c.change.order"
    _description = "Change Order"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "q2c.external.ref.mixin",
        "q2c.change.order.effects",
        "q2c.guarded.mixin",
    ]
    _order = "contract_id, number desc, revision desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True, index=True)
    number = fields.Integer(readonly=True, copy=False, index=True)
    revision = fields.Integer(readonly=True, copy=False, default=0)
    title = fields.Char(required=True, tracking=True)
    description = fields.Text()
    contract_id = fields.Many2one(
        "q2c.contract",
        required=True,
        index=True,
        check_company=True,
        tracking=True,
        domain="[('state', 'in', ('active', 'on_hold'))]",
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    currency_id = fields.Many2one(related="contract_id.currency_id", store=True)
    partner_id = fields.Many2one(related="contract_id.partner_id")
    billing_model = fields.Selection(related="contract_id.billing_model")
    contract_over_cap = fields.Boolean(related="contract_id.is_over_cap", string="Over Cap")
    project_id = fields.Many2one(
        "project.project",
        required=True,
        check_company=True,
        tracking=True,
        compute="_compute_project_id",
        store=True,
        readonly=False,
        precompute=True,
        domain="[('id', 'in', contract_project_ids)]",
        help="Its manager approves the change order; its budget takes the change.",
    )
    contract_project_ids = fields.Many2many(related="contract_id.project_ids")
    project_manager_id = fields.Many2one(related="project_id.user_id", string="Project Manager")
    user_id = fields.Many2one("res.users", string="Requested By", default=lambda s: s.env.user)
    date = fields.Date(string="Requested On", required=True, default=fields.Date.context_today)
    state = fields.Selection(
        STATES,
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
        group_expand="_expand_states",
    )
    line_ids = fields.One2many("q2c.change.order.line", "change_order_id", copy=True)
    ohp_percent = fields.Float(string="OH&P (%)", digits=(5, 4), tracking=True)
    bond_percent = fields.Float(string="Bond (%)", digits=(5, 4), tracking=True)
    amount_direct = fields.Monetary(
        string="Direct Subtotal", compute="_compute_amounts", store=True
    )
    amount_markup = fields.Monetary(string="Markups", compute="_compute_amounts", store=True)
    amount_total = fields.Monetary(
        string="Requested", compute="_compute_amounts", store=True, tracking=True
    )
    cost_total = fields.Monetary(string="Estimated Cost", compute="_compute_amounts", store=True)
    approved_amount = fields.Monetary(
        string="Approved",
        compute="_compute_amounts",
        store=True,
        help="What approving the change order as its lines are decided would add; it is the "
        "approved amount once the change order is approved.",
    )
    approved_cost = fields.Monetary(
        string="Approved Estimated Cost", compute="_compute_amounts", store=True
    )
    is_partially_approved = fields.Boolean(
        string="Partially Approved", compute="_compute_amounts", store=True
    )

    previous_revision_id = fields.Many2one(
        "q2c.change.order", string="Previous Revision", readonly=True, copy=False
    )
    superseded_by_id = fields.Many2one(
        "q2c.change.order", string="Superseded By", readonly=True, copy=False
    )
    has_newer_revision = fields.Boolean(string="Has a Newer Revision", readonly=True, copy=False)
    revision_ids = fields.One2many(
        "q2c.change.order", compute="_compute_revision_ids", string="Revisions"
    )
    submitted_by_id = fields.Many2one(
        "res.users", string="Submitted By", readonly=True, copy=False, tracking=True
    )
    submitted_on = fields.Datetime(string="Submitted On", readonly=True, copy=False)
    finance_approval_required = fields.Boolean(
        string="Finance Approval Required", readonly=True, copy=False
    )
    pm_approved_by_id = fields.Many2one(
        "res.users", string="Approved by PM", readonly=True, copy=False, tracking=True
    )
    pm_approved_on = fields.Datetime(string="Approved by PM On", readonly=True, copy=False)
    finance_approved_by_id = fields.Many2one(
        "res.users", string="Approved by Finance", readonly=True, copy=False, tracking=True
    )
    finance_approved_on = fields.Datetime(
        string="Approved by Finance On", readonly=True, copy=False
    )
    date_approved = fields.Date(string="Approved On", readonly=True, copy=False, tracking=True)
    decision_reason = fields.Text(string="Reason", readonly=True, copy=False, tracking=True)
    approval_document = fields.Binary(
        string="Signed Change Order", attachment=True, copy=False, help="e.g. the signed G701."
    )
    approval_document_name = fields.Char(string="Signed Change Order File Name", copy=False)

    effects_applied = fields.Boolean(string="Applied to the Contract", readonly=True, copy=False)
    effects_reversed = fields.Boolean(string="Reversed by a Void", readonly=True, copy=False)
    change_entry_ids = fields.One2many(
        "q2c.contract.change.entry", "change_order_id", string="Effects", readonly=True
    )
    sov_line_ids = fields.One2many(
        "q2c.contract.sov.line",
        "change_order_id",
        string="SOV Lines Added",
        readonly=True,
        context={"active_test": False},
    )
    milestone_ids = fields.One2many(
        "q2c.contract.milestone",
        "change_order_id",
        string="Milestones Added",
        readonly=True,
        context={"active_test": False},
    )
    billed_amount = fields.Monetary(
        string="Billed",
        readonly=True,
        copy=False,
        tracking=True,
        help="Billed under this change order; kept by billing. A billed change is not voided.",
    )

    can_submit = fields.Boolean(compute="_compute_permissions")
    can_approve = fields.Boolean(compute="_compute_permissions")
    approval_note = fields.Char(
        "Waiting For",
        compute="_compute_approval_note",
        help="On a submitted change order: whose approval it still needs, and why the current "
        "user may not give it (segregation of duties).",
    )
    can_reject = fields.Boolean(compute="_compute_permissions")
    can_revise = fields.Boolean(compute="_compute_permissions")
    can_void = fields.Boolean(compute="_compute_permissions")
    waiting_my_approval = fields.Boolean(
        string="Waiting for My Approval",
        compute="_compute_permissions",
        search="_search_waiting_my_approval",
    )

    _sql_constraints = [
        (
            "number_revision_uniq",
            "unique(contract_id, number, revision)",
            "A change order revision exists once per contract.",
        ),
    ]

    # ------------------------------------------------------------------ computes

    @api.depends("number", "revision")
    def _compute_name(self):
        for order in self:
            order.name = f"CO-{order.number:03d}" if order.number else _("New")

    @api.depends("name", "revision", "title")
    def _compute_display_name(self):
        for order in self:
            rev = _(" rev %s", order.revision) if order.revision else ""
            order.display_name = f"{order.name}{rev} {order.title or ''}".strip()

    @api.depends("contract_id")
    def _compute_project_id(self):
        for order in self:
            if order.project_id not in order.contract_id.project_ids:
                order.project_id = order.contract_id.project_ids[:1]

    @api.depends(
        "ohp_percent",
        "bond_percent",
        "line_ids.amount",
        "line_ids.cost_amount",
        "line_ids.target",
        "line_ids.sov_line_id",
        "line_ids.decision",
        "line_ids.approved_amount",
    )
    def _compute_amounts(self):
        for order in self:
            currency = order.currency_id or order.env.company.currency_id
            requested = order._effect_groups(approved=False)
            approved = order._effect_groups(approved=True)
            order.amount_direct = currency.round(sum(g["direct"] for g in requested))
            order.amount_total = currency.round(sum(g["total"] for g in requested))
            order.amount_markup = currency.round(order.amount_total - order.amount_direct)
            order.cost_total = currency.round(sum(g["cost"] for g in requested))
            order.approved_amount = currency.round(sum(g["total"] for g in approved))
            order.approved_cost = currency.round(sum(g["cost"] for g in approved))
            order.is_partially_approved = any(
                line.decision in ("rejected", "revised") for line in order.line_ids
            )

    @api.depends("contract_id", "number", "revision")
    def _compute_revision_ids(self):
        for order in self:
            order.revision_ids = order._revisions()

    def _revisions(self):
        """Every revision of this change order, this one included (read fresh, not cached)."""
        self.ensure_one()
        if not self.number:
            return self
        return self.search(
            [("contract_id", "=", self.contract_id.id), ("number", "=", self.number)],
            order="revision",
        )

    @api.depends_context("uid")
    @api.depends("state", "pm_approved_by_id", "finance_approved_by_id", "submitted_by_id")
    def _compute_approval_note(self):
        for order in self:
            note = False
            if order.state == "submitted" and isinstance(order.id, int):
                missing = order._missing_approvals_message()
                if missing:
                    note = _("It needs %(missing)s.", missing=missing)
                    if order._segregated_from(self.env.user):
                        note = _(
                            "You asked for it: with segregation of duties, another person "
                            "approves it. %(note)s",
                            note=note,
                        )
            order.approval_note = note

    @api.depends_context("uid")
    @api.depends(
        "state",
        "pm_approved_by_id",
        "finance_approved_by_id",
        "has_newer_revision",
        "user_id",
        "submitted_by_id",
    )
    def _compute_permissions(self):
        for order in self:
            order.can_submit = order._can("submit")
            order.can_approve = order._can("approve")
            order.can_reject = order._can("reject")
            order.can_revise = order._can("revise")
            order.can_void = order._can("void")
            order.waiting_my_approval = order.can_approve

    def _search_waiting_my_approval(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Unsupported search on 'waiting for my approval'."))
        # Who may approve depends on the project, the contract, the requester and the company
        # setting: `_approval_role` decides on the few pending orders rather than a domain
        # that would restate it.
        pending = self.search(
            [("state", "in", PENDING_STATES), ("has_newer_revision", "=", False)]
        )
        mine = pending.filtered(lambda o: o._can("approve"))
        operator = "in" if (operator == "=") == value else "not in"
        return [("id", operator, mine.ids)]

    def _expand_states(self, states, domain):
        """Grouped by state (the kanban), columns come in lifecycle order; the main path
        (draft, submitted, approved) shows even when empty, the side states when used."""
        main = ("draft", *PENDING_STATES, TRANSITIONS["approve"].target)
        return [state for state, _label in STATES if state in main or state in states]

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        contracts = self.env["q2c.contract"].browse([v.get("contract_id") for v in vals_list])
        contracts._check_takes_change_orders()
        next_numbers = {}
        for vals in vals_list:
            if vals.get("number"):
                continue
            contract_id = vals.get("contract_id")
            if contract_id not in next_numbers:
                next_numbers[contract_id] = self._next_number(contract_id)
            vals["number"] = next_numbers[contract_id]
            next_numbers[contract_id] += 1
        return super().create(vals_list)

    def _next_number(self, contract_id):
        """Change orders are numbered per contract; revisions share their number."""
        self.env.cr.execute(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM q2c_change_order WHERE contract_id = %s",
            [contract_id],
        )
        return self.env.cr.fetchone()[0]

    def _q2c_guarded_fields(self):
        """The workflow fields have their own guard (WORKFLOW_FIELDS, `_workflow_write`);
        the billed amount is billing's."""
        return super()._q2c_guarded_fields() | {"billed_amount"}

    def _free_fields(self):
        """Fields that are not the change order's content (FREE_FIELDS): not frozen by its
        state. Addons add theirs (q2c_progress_billing: the undisputed amount of a
        construction change directive, entered while the change order is pending)."""
        return set(FREE_FIELDS)

    def write(self, vals):
        protected = set(vals) - self._free_fields() - WORKFLOW_FIELDS
        protected = {f for f in protected if not f.startswith(("message_", "activity_"))}
        in_workflow = self.env.context.get("q2c_co_workflow") is WORKFLOW
        if not in_workflow and set(vals) & WORKFLOW_FIELDS:
            raise UserError(_("Change order states change only through their buttons."))
        if protected - {"line_ids"} or (
            "line_ids" in protected and not self._only_line_decisions(vals["line_ids"])
        ):
            self._check_editable()
        if "contract_id" in vals:
            self.env["q2c.contract"].browse(vals["contract_id"])._check_takes_change_orders()
        return super().write(vals)

    @staticmethod
    def _only_line_decisions(commands):
        """Whether one2many commands only record line decisions (partial approval)."""
        return all(
            command[0] == Command.UPDATE and set(command[2]) <= DECISION_FIELDS
            for command in commands
        )

    def _check_editable(self):
        for order in self:
            if order.state not in EDITABLE_STATES:
                raise UserError(
                    _(
                        "%(order)s is %(state)s: it can no longer be edited. Create a revision "
                        "(while it is submitted) or a new change order.",
                        order=order.display_name,
                        state=dict(STATES)[order.state].lower(),
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        for order in self:
            if order.state not in EDITABLE_STATES:
                raise UserError(
                    _(
                        "%(order)s was submitted: it is never deleted. Void it, or for an "
                        "approved change, create a reversing change order.",
                        order=order.display_name,
                    )
                )
        for previous in self.previous_revision_id:
            previous._workflow_write({"has_newer_revision": False})

    def _workflow_write(self, vals):
        return self.with_context(q2c_co_workflow=WORKFLOW).write(vals)

    # ------------------------------------------------------------------ rights

    def _is_project_manager(self, user=None):
        self.ensure_one()
        user = user or self.env.user
        return bool(self.project_id) and self.project_id.user_id == user

    def _user_manages(self):
        """The project manager, the contract manager or the requester: may prepare and submit."""
        self.ensure_one()
        user = self.env.user
        return self._is_project_manager() or user in (self.contract_id.user_id, self.user_id)

    def _user_may(self, action):
        """Whether the current user's role lets them take `action`, the state aside: the
        buttons check it with `_check_transition`, the `can_*` fields with
        `_transition_allowed`."""
        self.ensure_one()
        if action == "approve":
            return bool(self._approval_role(self.env.user))
        finance = self.env.user.has_group(FINANCE)
        if action in ("submit", "revise"):
            return self._user_manages() or finance
        return self._is_project_manager() or finance

    def _approval_role(self, user):
        """The approval `user` may give now: 'project_manager', 'finance' or False.

        The project's manager approves every change order; above the company's threshold a
        Finance user approves as well, and that must be another person (four eyes). With the
        company's segregation of duties, whoever requested or submitted the change order gives
        no approval; when that is the project manager, the contract manager or a Finance user
        gives the project manager's approval in their place.
        Superuser mode (data loading, scripts) is trusted as Odoo's own access checks are.
        """
        self.ensure_one()
        if self.env.su:
            if not self.pm_approved_by_id:
                return "project_manager"
            return "finance" if self._finance_approval_pending() else False
        if self._segregated_from(user):
            return False
        if not self.pm_approved_by_id and (
            self._is_project_manager(user) or self._stands_in_for_project_manager(user)
        ):
            return "project_manager"
        if (
            self._finance_approval_pending()
            and user.has_group(FINANCE)
            and user != self.pm_approved_by_id
        ):
            return "finance"
        return False

    def _segregation_of_duties(self):
        return self.company_id.q2c_co_segregation_of_duties

    def _requesters(self):
        """Who asked for this change: the requester and the person who submitted it."""
        return self.user_id | self.submitted_by_id

    def _segregated_from(self, user):
        """Whether segregation of duties keeps `user` from approving: they asked for it."""
        self.ensure_one()
        return self._segregation_of_duties() and user in self._requesters()

    def _stands_in_for_project_manager(self, user):
        """Under segregation of duties, a project manager who asked for the change does not
        approve it: the contract manager or Finance gives that approval instead."""
        self.ensure_one()
        manager = self.project_id.user_id
        if not (self._segregation_of_duties() and manager and manager in self._requesters()):
            return False
        return user == self.contract_id.user_id or user.has_group(FINANCE)

    def _finance_approval_pending(self):
        return self.finance_approval_required and not self.finance_approved_by_id

    def _needs_finance_approval(self):
        """Whether the amount is above the company threshold (both in company currency)."""
        self.ensure_one()
        company = self.company_id
        threshold = company.q2c_co_finance_threshold
        if company.currency_id.is_zero(threshold):
            return False
        amount = self.currency_id._convert(
            abs(self.amount_total), company.currency_id, company, self.date, round=True
        )
        return company.currency_id.compare_amounts(amount, threshold) > 0

    def _missing_approvals_message(self):
        self.ensure_one()
        parts = []
        manager = self.project_id.user_id
        if (
            not self.pm_approved_by_id
            and self._segregation_of_duties()
            and (manager in self._requesters())
        ):
            parts.append(
                _(
                    "the approval of %(contract_manager)s (contract manager) or of Finance, "
                    "as %(manager)s, manager of project %(project)s, asked for it "
                    "(segregation of duties)",
                    contract_manager=self.contract_id.user_id.name or _("(no contract manager)"),
                    manager=manager.name,
                    project=self.project_id.display_name,
                )
            )
        elif not self.pm_approved_by_id:
            parts.append(
                _(
                    "the approval of %(manager)s, manager of project %(project)s",
                    manager=manager.name or _("(no manager)"),
                    project=self.project_id.display_name,
                )
            )
        if self._finance_approval_pending():
            parts.append(
                _(
                    "a Finance approval by another person, its amount %(amount)s being above "
                    "%(threshold)s",
                    amount=self.contract_id._fmt(self.amount_total),
                    threshold=self.contract_id._fmt(self.company_id.q2c_co_finance_threshold),
                )
            )
        return _(" and ").join(parts)

    # ------------------------------------------------------------------ checks

    def _transition_allowed(self, action):
        """Whether this change order's state and revision allow `action` (TRANSITIONS); who
        may take it is `_user_may`'s."""
        self.ensure_one()
        if self.state not in TRANSITIONS[action].sources:
            return False
        return not (action in LATEST_REVISION_ONLY and self.has_newer_revision)

    def _can(self, action):
        """Whether the current user may take `action` now: what shows its button."""
        return self._transition_allowed(action) and self._user_may(action)

    def _check_transition(self, action):
        """Raise the UserError that says why the state or revision refuses `action`."""
        self.ensure_one()
        if not self._transition_allowed(action):
            raise UserError(self._transition_refused_message(action))

    def _transition_refused_message(self, action):
        state = dict(STATES)[self.state].lower()
        if action == "submit":
            return _("%s is not a draft: it was submitted already.", self.display_name)
        if action == "void":
            return _(
                "%(order)s is %(state)s: it cannot be voided.",
                order=self.display_name,
                state=state,
            )
        if action == "revise":
            return _(
                "%s cannot be revised: only the latest submitted or rejected revision can.",
                self.display_name,
            )
        verb = _("approved") if action == "approve" else _("rejected")
        if self.state not in TRANSITIONS[action].sources:
            return _(
                "%(order)s is %(state)s: only a submitted change order can be %(action)s.",
                order=self.display_name,
                state=state,
                action=verb,
            )
        newer = self._revisions().filtered(lambda o: o.revision > self.revision)
        return _(
            "%(order)s has a newer revision (%(newer)s): only the latest revision can be "
            "%(action)s.",
            order=self.display_name,
            newer=", ".join(newer.mapped("display_name")),
            action=verb,
        )

    def _check_submittable(self):
        self.ensure_one()
        self._check_transition("submit")
        self.contract_id._check_takes_change_orders(active_only=True)
        if not self.line_ids:
            raise UserError(_("%s has no lines: add what changes.", self.display_name))
        if not self.project_id:
            raise UserError(_("%s needs a project: its manager approves it.", self.display_name))
        allowed = TARGETS_BY_MODEL[self.contract_id.billing_model]
        for line in self.line_ids:
            if line.target not in allowed:
                raise ValidationError(
                    _(
                        "Line %(line)s of %(order)s changes the %(target)s, which a %(model)s "
                        "contract does not take (it takes: %(allowed)s).",
                        line=line.name,
                        order=self.display_name,
                        target=dict(TARGETS)[line.target].lower(),
                        model=dict(
                            self.contract_id._fields["billing_model"]._description_selection(
                                self.env
                            )
                        )[self.contract_id.billing_model].lower(),
                        allowed=", ".join(dict(TARGETS)[t].lower() for t in sorted(allowed)),
                    )
                )
            if line.target == "sov_adjust" and line.sov_line_id.contract_id != self.contract_id:
                raise ValidationError(
                    _("Line %s adjusts a schedule-of-values line: choose it.", line.name)
                )
            if line.target == "nte_cap" and self.currency_id.is_zero(
                self.contract_id.nte_original_amount
            ):
                raise ValidationError(
                    _(
                        "Contract %s has no not-to-exceed cap to change.",
                        self.contract_id.display_name,
                    )
                )
        if any(line.currency_id.is_zero(line.amount) for line in self.line_ids):
            raise ValidationError(_("A line of %s has no amount.", self.display_name))
        self._check_fee_changes_billable()

    def _check_fee_changes_billable(self):
        """On a fixed-fee contract only milestones are billed, so a fee increase becomes a new
        milestone (billing-domain.md 1.3 and 3.4: the fee delta goes to a new milestone):
        raising the contract value alone would add value that no milestone ever bills. A
        fee reduction stays a contract value change; the contract then warns that its
        milestones exceed its value until an unbilled milestone is lowered."""
        self.ensure_one()
        if self.billing_model != "fixed_fee":
            return
        currency = self.currency_id
        for group in self._effect_groups(approved=False):
            sign = currency.compare_amounts(group["total"], 0.0)
            if group["target"] == "contract_value" and sign > 0:
                raise ValidationError(
                    _(
                        "%(order)s raises the fee of fixed-fee contract %(contract)s by "
                        "%(amount)s: put it on a new milestone (change the lines to 'New "
                        "milestone'), so that the added fee is billed.",
                        order=self.display_name,
                        contract=self.contract_id.display_name,
                        amount=self.contract_id._fmt(group["total"]),
                    )
                )
            if group["target"] == "milestone" and sign <= 0:
                raise ValidationError(
                    _(
                        "%(order)s: a new milestone needs a positive amount; a fee reduction "
                        "changes the contract value (change the lines to 'Contract value').",
                        order=self.display_name,
                    )
                )

    def _check_decidable(self, action):
        """`action` ("approve" or "reject") may be taken now on this revision and contract."""
        self.ensure_one()
        self._check_transition(action)
        self.contract_id._check_takes_change_orders()

    # ------------------------------------------------------------------ transitions

    def action_submit(self):
        for order in self:
            order.check_access("write")
            if not (order._user_may("submit") or self.env.su):
                raise AccessError(
                    _(
                        "Only the project manager, the contract manager, the requester or "
                        "Finance may submit %s.",
                        order.display_name,
                    )
                )
            order._check_submittable()
            superseded = order._supersede_previous_revisions()
            order._workflow_write(
                {
                    "state": TRANSITIONS["submit"].target,
                    "submitted_by_id": self.env.user.id,
                    "submitted_on": fields.Datetime.now(),
                    "finance_approval_required": order._needs_finance_approval(),
                }
            )
            order._post_submitted(superseded)
            order._schedule_approval_activity()
        return True

    def _supersede_previous_revisions(self):
        self.ensure_one()
        previous = self._revisions().filtered(
            lambda o: o.revision < self.revision and o._transition_allowed("supersede")
        )
        for old in previous:
            old._workflow_write(
                {"state": TRANSITIONS["supersede"].target, "superseded_by_id": self.id}
            )
            old.activity_unlink(["mail.mail_activity_data_todo"])
            old._message_log(
                body=_(
                    "Superseded by revision %(revision)s (%(amount)s replaces %(old)s).",
                    revision=self.revision,
                    amount=self.contract_id._fmt(self.amount_total),
                    old=self.contract_id._fmt(old.amount_total),
                )
            )
        return previous

    def action_approve(self):
        for order in self:
            order.check_access("write")
            order._check_decidable("approve")
            role = order._approval_role(self.env.user)
            if not role and order._segregated_from(self.env.user):
                raise AccessError(
                    _(
                        "You asked for %(order)s: with segregation of duties, another person "
                        "approves it (it needs %(missing)s).",
                        order=order.display_name,
                        missing=order._missing_approvals_message(),
                    )
                )
            if not role:
                raise AccessError(
                    _(
                        "You cannot approve %(order)s: it needs %(missing)s.",
                        order=order.display_name,
                        missing=order._missing_approvals_message() or _("no further approval"),
                    )
                )
            now = fields.Datetime.now()
            if role == "project_manager":
                order._workflow_write(
                    {"pm_approved_by_id": self.env.user.id, "pm_approved_on": now}
                )
            else:
                order._workflow_write(
                    {"finance_approved_by_id": self.env.user.id, "finance_approved_on": now}
                )
            if order._finance_approval_pending() or not order.pm_approved_by_id:
                order._message_log(
                    body=_(
                        "Approved by %(user)s as %(role)s; still needs %(missing)s.",
                        user=self.env.user.name,
                        role=_("project manager") if role == "project_manager" else _("Finance"),
                        missing=order._missing_approvals_message(),
                    )
                )
                continue
            order._finalize_approval()
        return True

    def _finalize_approval(self):
        self.ensure_one()
        lines = self.line_ids
        if all(line.decision == "rejected" for line in lines):
            raise UserError(
                _(
                    "Every line of %s is rejected: reject the change order instead.",
                    self.display_name,
                )
            )
        lines.filtered(lambda ln: ln.decision == "pending").with_context(
            q2c_co_workflow=WORKFLOW
        ).write({"decision": "approved"})
        self._workflow_write(
            {
                "state": TRANSITIONS["approve"].target,
                "date_approved": fields.Date.context_today(self),
            }
        )
        changes = self._apply_effects()
        self.activity_feedback(["mail.mail_activity_data_todo"])
        self._post_approved(changes)

    def action_reject(self, reason=None):
        reason = self._check_reason(reason, _("reject"))
        for order in self:
            order.check_access("write")
            order._check_decidable("reject")
            if not order._user_may("reject"):
                raise AccessError(
                    _(
                        "Only the manager of project %(project)s or Finance may reject "
                        "%(order)s.",
                        project=order.project_id.display_name,
                        order=order.display_name,
                    )
                )
            order._workflow_write(
                {"state": TRANSITIONS["reject"].target, "decision_reason": reason}
            )
            order.activity_unlink(["mail.mail_activity_data_todo"])
            order._message_log(
                body=_(
                    "Rejected by %(user)s: %(reason)s. Requested %(amount)s; no effect on the "
                    "contract.",
                    user=self.env.user.name,
                    reason=reason,
                    amount=order.contract_id._fmt(order.amount_total),
                )
            )
        return True

    def action_void(self, reason=None):
        reason = self._check_reason(reason, _("void"))
        for order in self:
            order.check_access("write")
            order._check_transition("void")
            if not order._user_may("void"):
                raise AccessError(
                    _(
                        "Only the manager of project %(project)s or Finance may void %(order)s.",
                        project=order.project_id.display_name,
                        order=order.display_name,
                    )
                )
            reversed_changes = order._reverse_effects() if order.state == "approved" else []
            order._workflow_write({"state": TRANSITIONS["void"].target, "decision_reason": reason})
            order.activity_unlink(["mail.mail_activity_data_todo"])
            if order.previous_revision_id:
                order.previous_revision_id._workflow_write({"has_newer_revision": False})
            order._post_voided(reason, reversed_changes)
        return True

    def action_revise(self, note=None):
        """A new revision (n + 1) in draft, copying the lines; it supersedes this one when it is
        submitted (billing-domain.md 3.2)."""
        self.ensure_one()
        self.check_access("write")
        self._check_transition("revise")
        if not self._user_may("revise"):
            raise AccessError(_("You may not revise %s.", self.display_name))
        self.contract_id._check_takes_change_orders(active_only=True)
        new = self.copy(
            {
                "number": self.number,
                "revision": self.revision + 1,
                "previous_revision_id": self.id,
                "date": fields.Date.context_today(self),
            }
        )
        self._workflow_write({"has_newer_revision": True})
        body = _(
            "Revision %(revision)s created by %(user)s.",
            revision=new.revision,
            user=self.env.user.name,
        )
        if note:
            body = _("%(body)s Reason: %(note)s", body=body, note=note)
        self._message_log(body=body)
        new._message_log(
            body=_("Revision of %(order)s. %(note)s", order=self.display_name, note=note or "")
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": new.id,
            "view_mode": "form",
            "target": "current",
        }

    def _check_reason(self, reason, action_label):
        reason = (reason or "").strip()
        if not reason:
            raise UserError(_("Give the reason to %s this change order.", action_label))
        return reason

    def action_open_reason_wizard(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "q2c_change_order.q2c_change_order_reason_action"
        )
        reason_action = self.env.context.get("q2c_reason_action", "reject")
        titles = {
            "reject": _("Reject %s", self.display_name),
            "void": _("Void %s", self.display_name),
            "revise": _("New Revision of %s", self.display_name),
        }
        action["name"] = titles.get(reason_action, action["name"])
        action["context"] = {
            "default_change_order_id": self.id,
            "default_action": reason_action,
        }
        return action

    # ------------------------------------------------------------------ audit

    def _format_changes(self, title, changes):
        items = Markup("").join(Markup("<li>%s</li>") % escape(c) for c in changes)
        return Markup("<p>%s</p><ul>%s</ul>") % (title, items) if changes else title

    def _post_submitted(self, superseded):
        fmt = self.contract_id._fmt
        body = _(
            "Submitted revision %(revision)s by %(user)s: %(total)s (direct %(direct)s, "
            "markups %(markup)s, estimated cost %(cost)s).",
            revision=self.revision,
            user=self.env.user.name,
            total=fmt(self.amount_total),
            direct=fmt(self.amount_direct),
            markup=fmt(self.amount_markup),
            cost=fmt(self.cost_total),
        )
        if superseded:
            body = _(
                "%(body)s It supersedes %(old)s.",
                body=body,
                old=", ".join(f"{o.display_name} ({fmt(o.amount_total)})" for o in superseded),
            )
        if self.finance_approval_required:
            body = _("%(body)s Above the Finance threshold: Finance approves too.", body=body)
        self._message_log(body=body)

    def _post_approved(self, changes):
        approvers = ", ".join(
            filter(None, [self.pm_approved_by_id.name, self.finance_approved_by_id.name])
        )
        if self.is_partially_approved:
            title = _(
                "Partially approved on %(date)s by %(approvers)s: %(approved)s of %(requested)s "
                "requested.",
                date=self.date_approved,
                approvers=approvers or self.env.user.name,
                approved=self.contract_id._fmt(self.approved_amount),
                requested=self.contract_id._fmt(self.amount_total),
            )
        else:
            title = _(
                "Approved on %(date)s by %(approvers)s: %(approved)s.",
                date=self.date_approved,
                approvers=approvers or self.env.user.name,
                approved=self.contract_id._fmt(self.approved_amount),
            )
        body = self._format_changes(title, changes)
        self._message_log(body=body)
        self.contract_id._message_log(body=body)

    def _post_voided(self, reason, reversed_changes):
        title = _("Voided by %(user)s: %(reason)s.", user=self.env.user.name, reason=reason)
        body = self._format_changes(title, reversed_changes)
        self._message_log(body=body)
        if reversed_changes:
            self.contract_id._message_log(body=body)

    def _schedule_approval_activity(self):
        manager = self.project_id.user_id
        if manager and manager.active:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=manager.id,
                summary=_("Approve %s", self.display_name),
            )
