from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare

from ..money import percent_of
from ..workflow import Transition, check_table

# In lifecycle order (a rejected milestone is submitted again).
ACCEPTANCE_STATES = [
    ("pending", "Pending"),
    ("submitted", "Submitted"),
    ("rejected", "Rejected"),
    ("partially_accepted", "Partially Accepted"),
    ("accepted", "Accepted"),
    ("billed", "Billed"),
]
# The acceptance state machine. An acceptance at 100% leads to "accepted", below it to
# "partially_accepted" (billing-domain.md 1.3). Billing records what it invoiced through
# "bill": a milestone fully accepted and fully billed is "billed", a share billed on a
# partial acceptance keeps it "partially_accepted" (its billed amount says how much);
# "unbill" undoes it when the invoice that billed it is deleted (its run cancelled).
TRANSITIONS = check_table(
    ACCEPTANCE_STATES,
    {
        "submit": Transition(("pending", "rejected"), "submitted"),
        "accept": Transition(("submitted", "partially_accepted"), "accepted"),
        "reject": Transition(("submitted",), "rejected"),
        # The contract's window passed with no answer (the daily cron, or billing's cut-off).
        "deem_accepted": Transition(("submitted",), "accepted"),
        "bill": Transition(("partially_accepted", "accepted"), "billed"),
        "unbill": Transition(("partially_accepted", "accepted", "billed"), "accepted"),
    },
)
# Accepted, fully or in part (and billed, which is accepted in full): the amount is frozen.
ACCEPTED_STATES = ("partially_accepted", "accepted", "billed")
# Fields that price a milestone: frozen once it is accepted or billed.
PRICING_FIELDS = {"basis", "percent", "fixed_amount", "contract_id"}
# Written by the acceptance buttons and wizard and by billing only (q2c.guarded.mixin).
ACCEPTANCE_FIELDS = {
    "state",
    "submitted_date",
    "accepted_date",
    "accepted_share",
    "client_approver",
    "acceptance_recorded_by_id",
    "acceptance_evidence",
    "acceptance_evidence_name",
    "deemed",
    "billed_amount",
}


class Q2cContractMilestone(models.Model):
    _name = "q2c.contract.milestone"
    _description = "Contract Milestone"
    _inherit = ["mail.thread", "q2c.guarded.mixin"]
    _order = "contract_id, sequence, id"
    _check_company_auto = True

    contract_id = fields.Many2one(
        "q2c.contract", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    currency_id = fields.Many2one(related="contract_id.currency_id", store=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, tracking=True)
    description = fields.Text(string="Deliverable")
    basis = fields.Selection(
        [("percent", "Percent of fee"), ("amount", "Amount")],
        required=True,
        default="percent",
        tracking=True,
    )
    percent = fields.Float(string="Share (%)", digits=(7, 4), tracking=True)
    fixed_amount = fields.Monetary(string="Fixed Amount", tracking=True)
    amount = fields.Monetary(compute="_compute_amount", store=True)
    due_date = fields.Date()
    project_milestone_id = fields.Many2one(
        "project.milestone",
        string="Project Milestone",
        domain="[('project_id', 'in', project_ids)]",
        help="The Odoo project milestone this deliverable corresponds to; it is marked reached "
        "when the milestone is fully accepted.",
    )
    project_ids = fields.Many2many(related="contract_id.project_ids")
    # Acceptance and billing fields: written by the buttons, the acceptance wizard and
    # billing only (`_q2c_guarded_fields`), each change tracked.
    state = fields.Selection(
        ACCEPTANCE_STATES,
        default="pending",
        required=True,
        readonly=True,
        tracking=True,
        copy=False,
    )
    submitted_date = fields.Date(string="Submitted On", readonly=True, tracking=True, copy=False)
    accepted_date = fields.Date(string="Accepted On", readonly=True, tracking=True, copy=False)
    accepted_share = fields.Float(
        string="Accepted (%)",
        digits=(7, 4),
        readonly=True,
        tracking=True,
        copy=False,
        default=100.0,
    )
    client_approver = fields.Char(
        string="Accepted By",
        readonly=True,
        tracking=True,
        copy=False,
        help="The client's approver.",
    )
    acceptance_recorded_by_id = fields.Many2one(
        "res.users", string="Recorded By", readonly=True, tracking=True, copy=False
    )
    acceptance_evidence = fields.Binary(
        string="Evidence", attachment=True, readonly=True, copy=False
    )
    acceptance_evidence_name = fields.Char(
        string="Evidence File Name", readonly=True, tracking=True, copy=False
    )
    deemed = fields.Boolean(
        string="Deemed Accepted",
        readonly=True,
        tracking=True,
        copy=False,
        help="Accepted by the time window.",
    )
    billed_amount = fields.Monetary(
        readonly=True,
        tracking=True,
        copy=False,
        help="Billed to date on this milestone; kept by billing.",
    )
    pricing_locked = fields.Boolean(
        compute="_compute_pricing_locked",
        help="Accepted or billed: the amount is never recomputed.",
    )
    # Which buttons show, read from TRANSITIONS.
    can_submit = fields.Boolean(compute="_compute_allowed_actions")
    can_accept = fields.Boolean(compute="_compute_allowed_actions")
    can_reject = fields.Boolean(compute="_compute_allowed_actions")

    @api.depends(
        "basis",
        "percent",
        "fixed_amount",
        "sequence",
        "active",
        "contract_id.original_value",
        "contract_id.milestone_ids.basis",
        "contract_id.milestone_ids.percent",
        "contract_id.milestone_ids.sequence",
    )
    def _compute_amount(self):
        for contract in self.contract_id:
            amounts = contract._milestone_amounts()
            for milestone in self.filtered(lambda m, c=contract: m.contract_id == c):
                milestone.amount = amounts.get(milestone, 0.0)
        (self - self.filtered("contract_id")).amount = 0.0

    @api.depends("state", "billed_amount")
    def _compute_pricing_locked(self):
        for milestone in self:
            locked = bool(milestone.currency_id) and milestone._is_pricing_locked()
            milestone.pricing_locked = locked

    def _is_pricing_locked(self):
        self.ensure_one()
        return self.state in ACCEPTED_STATES or not self.currency_id.is_zero(self.billed_amount)

    @api.depends("state")
    def _compute_allowed_actions(self):
        for milestone in self:
            milestone.can_submit = milestone._transition_allowed("submit")
            milestone.can_accept = milestone._transition_allowed("accept")
            milestone.can_reject = milestone._transition_allowed("reject")

    # ------------------------------------------------------------------ constraints

    @api.constrains("basis", "percent", "fixed_amount", "contract_id", "active")
    def _check_amounts(self):
        for contract in self.contract_id:
            contract._check_milestone_totals()

    @api.constrains("accepted_share")
    def _check_accepted_share(self):
        for milestone in self:
            if not 0.0 < milestone.accepted_share <= 100.0:
                raise ValidationError(
                    _(
                        "The accepted share of milestone %(milestone)s must be above 0%% and at "
                        "most 100%%.",
                        milestone=milestone.name,
                    )
                )

    def _q2c_guarded_fields(self):
        return super()._q2c_guarded_fields() | ACCEPTANCE_FIELDS

    def write(self, vals):
        if PRICING_FIELDS.intersection(vals):
            frozen = self.filtered(lambda m: m._is_pricing_locked())
            if frozen:
                raise UserError(
                    _(
                        "Milestone %(milestone)s is accepted or billed: its amount is never "
                        "recomputed. Put a change of fee on a new milestone.",
                        milestone=frozen[0].name,
                    )
                )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_billed(self):
        for milestone in self:
            if not milestone.currency_id.is_zero(milestone.billed_amount):
                raise UserError(
                    _(
                        "Milestone %(milestone)s is billed; it cannot be deleted.",
                        milestone=milestone.name,
                    )
                )

    # ------------------------------------------------------------------ acceptance

    def _transition_allowed(self, action):
        """Whether this milestone's state allows `action` (see TRANSITIONS)."""
        self.ensure_one()
        return self.state in TRANSITIONS[action].sources

    def _check_transition(self, action):
        """Raise, for the first milestone whose state refuses `action`, why."""
        messages = {
            "submit": _("Milestone %(milestone)s is already submitted or accepted."),
            "accept": _("Milestone %(milestone)s must be submitted before it is accepted."),
            "reject": _("Only a submitted milestone can be rejected (%(milestone)s)."),
            "bill": _("Milestone %(milestone)s is not accepted, or already billed in full."),
            "unbill": _("Milestone %(milestone)s is not billed."),
        }
        self.check_access("write")
        for milestone in self:
            if not milestone._transition_allowed(action):
                raise UserError(messages[action] % {"milestone": milestone.name})

    def action_submit(self):
        today = fields.Date.context_today(self)
        for milestone in self:
            milestone._check_transition("submit")
            # A resubmission restarts the deemed-acceptance clock.
            milestone._q2c_guarded_write(
                {
                    "state": TRANSITIONS["submit"].target,
                    "submitted_date": today,
                }
            )
        return True

    def action_accept(self):
        """Accept at the share and date entered (defaults: 100%, today)."""
        for milestone in self:
            milestone._accept(
                milestone.accepted_share or 100.0,
                milestone.accepted_date or fields.Date.context_today(self),
            )
        return True

    def _accept(self, share, day, deemed=False):
        self.ensure_one()
        self._check_transition("accept")
        if (
            self.state == "partially_accepted"
            and share < self.accepted_share
            and not (self.env.context.get("q2c_share_reset"))
        ):
            raise UserError(
                _(
                    "Milestone %(milestone)s is already accepted at %(share)s%%; an acceptance "
                    "only adds to it.",
                    milestone=self.name,
                    share=self.accepted_share,
                )
            )
        full = float_compare(share, 100.0, precision_digits=6) >= 0
        self._q2c_guarded_write(
            {
                "state": "accepted" if full else "partially_accepted",
                "accepted_share": 100.0 if full else share,
                "accepted_date": day,
                "deemed": deemed,
                "acceptance_recorded_by_id": self.env.user.id,
            }
        )
        if full and self.project_milestone_id and not self.project_milestone_id.is_reached:
            self.project_milestone_id.is_reached = True

    def action_open_acceptance_wizard(self):
        """Ask who accepted, when, what share and on what evidence; the wizard then calls
        `_accept`."""
        self.ensure_one()
        self._check_transition("accept")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "q2c_contract.q2c_milestone_acceptance_action"
        )
        share = self.accepted_share if self.state == "partially_accepted" else 100.0
        action["context"] = {
            "default_milestone_id": self.id,
            "default_accepted_share": share,
            "default_client_approver": self.client_approver or False,
        }
        return action

    def action_reject(self):
        self._check_transition("reject")
        self._q2c_guarded_write({"state": TRANSITIONS["reject"].target, "deemed": False})
        return True

    def _deemed_acceptance_date(self):
        self.ensure_one()
        days = self.contract_id.deemed_acceptance_days
        if not self._transition_allowed("deem_accepted") or not days or not self.submitted_date:
            return False
        return self.submitted_date + timedelta(days=days)

    @api.model
    def _cron_deemed_acceptance(self, today=None):
        """Accept the submitted milestones whose window passed with no rejection."""
        today = fields.Date.to_date(today) if today else fields.Date.context_today(self)
        waiting = TRANSITIONS["deem_accepted"].sources
        self.search([("state", "in", waiting)])._deem_accepted_by(today)

    def _deem_accepted_by(self, day):
        """Accept, as deemed, those of these milestones whose window passed on or before
        `day` with no rejection (the daily cron, or a billing run at its cut-off)."""
        for milestone in self:
            deemed_date = milestone._deemed_acceptance_date()
            if deemed_date and deemed_date <= day:
                milestone._accept(100.0, deemed_date, deemed=True)
                milestone._message_log(
                    body=_(
                        "Deemed accepted on %(date)s: no rejection within %(days)s days of the "
                        "submission on %(submitted)s.",
                        date=deemed_date,
                        days=milestone.contract_id.deemed_acceptance_days,
                        submitted=milestone.submitted_date,
                    )
                )

    def _acceptance_at(self, cutoff):
        """(share %, acceptance date) as seen at `cutoff`, deemed acceptance included."""
        self.ensure_one()
        if self.state in ACCEPTED_STATES and self.accepted_date <= cutoff:
            return self.accepted_share, self.accepted_date
        deemed_date = self._deemed_acceptance_date()
        if deemed_date and deemed_date <= cutoff:
            return 100.0, deemed_date
        return 0.0, False

    def _get_billable_amount(self, cutoff):
        """What billing may invoice on this milestone for a run with this cut-off date.

        Partial acceptance bills round(amount x cumulative share) - billed; at 100% the
        remainder, amount - billed, with no recomputation (billing-domain.md 1.3, GC-03).
        """
        self.ensure_one()
        cutoff = fields.Date.to_date(cutoff)
        share, day = self._acceptance_at(cutoff)
        if not day:
            return 0.0
        currency = self.currency_id
        if float_compare(share, 100.0, precision_digits=6) >= 0:
            due = currency.round(self.amount - self.billed_amount)
        else:
            due = currency.round(percent_of(currency, self.amount, share) - self.billed_amount)
        return max(due, 0.0)

    # ------------------------------------------------------------------ billing

    def _bill(self, amount):
        """Billing invoiced `amount` on this milestone (the "bill" transition): its billed
        amount grows, never past the milestone's amount; billed in full after a full
        acceptance, the milestone is "billed". The caller (q2c_billing) keeps which invoice
        line billed it."""
        self.ensure_one()
        self._check_transition("bill")
        currency = self.currency_id
        billed = currency.round(self.billed_amount + amount)
        if currency.compare_amounts(amount, 0.0) <= 0 or (
            currency.compare_amounts(billed, self.amount) > 0
        ):
            raise UserError(
                _(
                    "Milestone %(milestone)s: billing %(amount)s would bill %(billed)s of its "
                    "%(total)s.",
                    milestone=self.name,
                    amount=self.contract_id._fmt(amount),
                    billed=self.contract_id._fmt(billed),
                    total=self.contract_id._fmt(self.amount),
                )
            )
        values = {"billed_amount": billed}
        if self.state == "accepted" and not currency.compare_amounts(billed, self.amount):
            values["state"] = TRANSITIONS["bill"].target
        self._q2c_guarded_write(values)

    def _unbill(self, amount):
        """The invoice that billed `amount` on this milestone is gone (the "unbill"
        transition): the amount is to bill again, a milestone billed in full is accepted
        again (a partial acceptance stays one)."""
        self.ensure_one()
        self._check_transition("unbill")
        currency = self.currency_id
        billed = currency.round(self.billed_amount - amount)
        values = {"billed_amount": max(billed, 0.0)}
        if self.state == "billed":
            values["state"] = TRANSITIONS["unbill"].target
        self._q2c_guarded_write(values)
