import logging
from datetime import timedelta

import psycopg2.errors
from dateutil.relativedelta import relativedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

_logger = logging.getLogger(__name__)

STATES = [
    ("draft", "Draft"),
    ("preparing", "Preparing"),
    ("review", "Review"),
    ("invoiced", "Invoiced"),
    ("posted", "Posted"),
    ("cancelled", "Cancelled"),
]
SELECTIONS = [("due", "Contracts due by their billing cycle"), ("manual", "Contracts picked")]
# Cycles a run covers. A contract billed "on milestone acceptance" is covered by the monthly
# runs: each month's run bills what was accepted by its end.
RUN_CYCLES = [("weekly", "Weekly"), ("monthly", "Monthly"), ("quarterly", "Quarterly")]
CYCLES_COVERED = {"monthly": ("monthly", "milestone")}
# Billing models the runs invoice today; the other (progress) is blocked with a reason when
# picked by hand.
BILLED_MODELS = ("time_and_materials", "fixed_fee", "retainer")
FINANCE = "q2c_contract.group_q2c_finance"
# Each transition: from-states and to-state. Buttons and the jobs' completion use it alike;
# every transition is Finance's (the jobs run as the Finance user who prepared the run).
TRANSITIONS = {
    "action_prepare": (("draft",), "preparing"),
    "to_review": (("preparing",), "review"),
    "to_invoiced": (("preparing",), "invoiced"),
    "action_approve": (("review",), "invoiced"),
    "action_post": (("review", "invoiced"), "posted"),
    "action_cancel": (("draft", "preparing", "review", "invoiced"), "cancelled"),
}
MESSAGES = {
    "no_contract": "No contract to bill: none is due for this period and cycle, or none was "
    "picked.",
    "not_deletable": "Billing run %(run)s is %(state)s: only draft and cancelled runs can be "
    "deleted.",
    "dates": "The billing period ends before it starts.",
    "group": "Only Finance users may prepare, post or cancel billing runs.",
    "state": "Billing run %(run)s is %(state)s; this action needs it to be %(expected)s.",
    "auto_post": "Automatic posting was refused; post the invoices after fixing this: "
    "%(error)s",
}


class Q2cBillingRun(models.Model):
    _name = "q2c.billing.run"
    _description = "Billing Run"
    _inherit = ["mail.thread", "mail.activity.mixin", "q2c.guarded.mixin"]
    _order = "date_from desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, copy=False, readonly=True, default="/", index=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, readonly=True
    )
    state = fields.Selection(
        STATES,
        string="Status",
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    date_from = fields.Date(string="Period Start", required=True, tracking=True)
    date_to = fields.Date(string="Period End", required=True, tracking=True)
    invoice_date = fields.Date(
        required=True,
        default=fields.Date.context_today,
        tracking=True,
        help="The date of the invoices the run creates.",
    )
    cutoff = fields.Datetime(
        string="Approval Cut-off",
        copy=False,
        tracking=True,
        help="Entries approved after this moment wait for the next run, at the rate of their "
        "work date. Empty: set to the moment the run is prepared.",
    )
    selection = fields.Selection(
        SELECTIONS, string="Contracts", required=True, default="due", tracking=True
    )
    billing_cycle = fields.Selection(RUN_CYCLES, default="monthly", tracking=True)
    contract_ids = fields.Many2many(
        "q2c.contract",
        "q2c_billing_run_contract_rel",
        "run_id",
        "contract_id",
        string="Contracts Covered",
        check_company=True,
        copy=False,
    )
    line_ids = fields.One2many("q2c.billing.run.line", "run_id", string="Results", copy=False)
    # compute_sudo: the totals show on the run to whoever reads it (the Auditor too).
    invoice_ids = fields.Many2many(
        "account.move", string="Invoices", compute="_compute_invoices", compute_sudo=True
    )
    invoice_count = fields.Integer(
        "Number of Invoices", compute="_compute_invoices", compute_sudo=True
    )
    amount_total = fields.Monetary(
        compute="_compute_invoices", string="Net Invoiced", compute_sudo=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    line_todo_count = fields.Integer(compute="_compute_line_counts", string="To Do")
    line_blocked_count = fields.Integer(compute="_compute_line_counts", string="Blocked")
    last_job_at = fields.Datetime(readonly=True, copy=False)

    # ------------------------------------------------------------------ computes

    @api.depends("line_ids.invoice_id", "line_ids.credit_note_id")
    def _compute_invoices(self):
        """The run's invoices and credit notes; the total is their net (a credit note
        counts negative)."""
        for run in self:
            invoices = run.line_ids.invoice_id | run.line_ids.credit_note_id
            run.invoice_ids = invoices
            run.invoice_count = len(invoices)
            currency = run.currency_id
            run.amount_total = sum(
                move.amount_total * (-1 if move.move_type == "out_refund" else 1)
                for move in invoices
                if move.currency_id == currency
            )

    @api.depends("line_ids.state")
    def _compute_line_counts(self):
        for run in self:
            run.line_todo_count = len(run.line_ids.filtered(lambda line: line.state == "to_do"))
            run.line_blocked_count = len(
                run.line_ids.filtered(lambda line: line.state in ("blocked", "error"))
            )

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for run in self:
            if run.date_to < run.date_from:
                raise ValidationError(_(MESSAGES["dates"]))

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                company = self.env["res.company"].browse(vals.get("company_id"))
                vals["name"] = (
                    self.env["ir.sequence"]
                    .with_company(company or self.env.company)
                    .next_by_code("q2c.billing.run")
                    or "/"
                )
        return super().create(vals_list)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_started(self):
        for run in self:
            if run.state not in ("draft", "cancelled"):
                raise UserError(
                    _(MESSAGES["not_deletable"], run=run.name, state=dict(STATES)[run.state])
                )

    # ------------------------------------------------------------------ state

    def _check_transition(self, transition):
        """Raise unless the user is Finance and every run is in a from-state of `transition`."""
        from_states, _to_state = TRANSITIONS[transition]
        if not self.env.su and not self.env.user.has_group(FINANCE):
            raise AccessError(_(MESSAGES["group"]))
        self.check_access("write")
        for run in self:
            if run.state not in from_states:
                raise UserError(
                    _(
                        MESSAGES["state"],
                        run=run.name,
                        state=dict(STATES)[run.state],
                        expected=" / ".join(dict(STATES)[s] for s in from_states),
                    )
                )

    def _q2c_guarded_fields(self):
        """The state moves through prepare, approve, post and cancel only."""
        return super()._q2c_guarded_fields() | {"state"}

    def _transition(self, transition):
        self._check_transition(transition)
        self._q2c_guarded_write({"state": TRANSITIONS[transition][1]})
        return True

    def _allowed(self, transition):
        """Whether `transition` is open to the current user on this run (views, later UI)."""
        self.ensure_one()
        try:
            self._check_transition(transition)
        except (AccessError, UserError):
            return False
        return True

    # ------------------------------------------------------------------ prepare

    def action_prepare(self):
        """Fix the cut-off and the contracts, create one result per contract (the database
        decides which contracts this run may bill for its period) and enqueue one job per
        contract to build its draft invoice."""
        self._check_transition("action_prepare")
        for run in self:
            contracts = run._contracts_to_bill()
            if not contracts:
                raise UserError(_(MESSAGES["no_contract"]))
            run.write(
                {
                    "cutoff": run.cutoff or fields.Datetime.now(),
                    "contract_ids": [Command.set(contracts.ids)],
                }
            )
            run._transition("action_prepare")
            lines = self.env["q2c.billing.run.line"]._claim(run, contracts)
            lines.filtered(lambda line: line.state == "to_do")._enqueue()
            run._finish_if_complete()
        return True

    def _contracts_to_bill(self):
        """The contracts picked by hand, or those due by their billing cycle."""
        self.ensure_one()
        if self.selection == "manual":
            return self.contract_ids
        return self._due_contracts(
            self.company_id, self.billing_cycle, self.date_from, self.date_to
        )

    @api.model
    def _billed_models(self):
        """Billing models the runs invoice; a later billing model adds itself here."""
        return BILLED_MODELS

    @api.model
    def _due_contracts(self, company, cycle, date_from, date_to):
        """Active contracts of `company` billed every `cycle` that run during the period."""
        return self.env["q2c.contract"].search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "active"),
                ("billing_cycle", "in", CYCLES_COVERED.get(cycle, (cycle,))),
                ("billing_model", "in", self._billed_models()),
                "|",
                ("date_start", "=", False),
                ("date_start", "<=", date_to),
                "|",
                ("date_end", "=", False),
                ("date_end", ">=", date_from),
            ],
            order="code, id",
        )

    def _finish_if_complete(self, from_job=False):
        """When no contract is left to do, the run moves on: to review when a contract waits
        for its pre-bill review (q2c.prebill.review), else to invoiced (and posted, when the
        company posts automatically).

        Jobs of one run may run at the same time (queue_job's workers, `root.billing`), each
        in its own REPEATABLE READ transaction, which sees neither the others' uncommitted
        results nor those committed after it began. So only a transaction that sees no
        contract left to do changes the run's row, to move it on; a job (`from_job`) that
        still sees some leaves the row alone and enqueues `_job_finish_if_complete`, which
        asks again in a transaction of its own, begun after this job committed. The last
        job to commit either sees every result or leaves that question behind, and then it
        sees them all. (Every job used to write the run's row: two jobs of one run ending
        at the same time made the second fail to serialize, and queue_job retried it after
        undoing its whole batch.)"""
        self.ensure_one()
        if self.state != "preparing":
            return
        self.invalidate_recordset(["line_ids"])
        self.line_ids.invalidate_recordset(["state"])
        if self.line_ids.filtered(lambda line: line.state == "to_do"):
            if from_job:
                self.with_delay(
                    description=_("Billing run %s: move on once every contract is done", self.name)
                )._job_finish_if_complete()
            return
        if not self._lock_to_move_on():
            return
        self.write({"last_job_at": fields.Datetime.now()})
        review = self.line_ids.filtered(lambda line: line.state == "review")
        self._transition("to_review" if review else "to_invoiced")
        if self.state == "invoiced" and self.company_id.q2c_billing_auto_post:
            self._auto_post()

    def _lock_to_move_on(self):
        """Lock the run's row to move it on, without waiting: False when another transaction
        holds it (it is moving the run on) or changed it since this one began (it moved the
        run on); several jobs may find every contract done at the same time."""
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "SELECT id FROM q2c_billing_run WHERE id = %s FOR NO KEY UPDATE NOWAIT",
                    [self.id],
                    log_exceptions=False,
                )
        except (psycopg2.errors.LockNotAvailable, psycopg2.errors.SerializationFailure):
            return False
        return True

    def _job_finish_if_complete(self):
        """Job: `_finish_if_complete` after the job that enqueued it committed (see there).
        Of several finding every contract done at the same time, one moves the run on; the
        others leave it to that one (`_lock_to_move_on`)."""
        self.ensure_one()
        self._finish_if_complete()
        states = dict(self._fields["state"]._description_selection(self.env))
        return _("Run %(run)s: %(state)s.", run=self.name, state=states[self.state])

    def _auto_post(self):
        """Post per the company setting. A refusal leaves the run invoiced, with Odoo's
        message in its chatter for Finance: the invoices themselves are built and kept."""
        try:
            with self.env.cr.savepoint():
                self.action_post()
        except UserError as error:
            self._message_log(body=_(MESSAGES["auto_post"], error=str(error)))

    # ------------------------------------------------------------------ review, post, cancel

    def action_approve(self):
        return self._transition("action_approve")

    def action_post(self):
        """Post the run's draft invoices (Finance's action, or automatic per company)."""
        self._check_transition("action_post")
        for run in self:
            drafts = run.invoice_ids.filtered(lambda move: move.state == "draft")
            drafts.action_post()
        return self._transition("action_post")

    def action_cancel(self):
        """Delete the run's own draft invoices, free the entries they billed and release the
        contracts' periods; posted invoices stay (a credit note corrects them)."""
        self._check_transition("action_cancel")
        for run in self:
            drafts = run.invoice_ids.filtered(lambda move: move.state == "draft")
            released = run.line_ids.filtered(
                lambda line, d=drafts: not (line.invoice_id | line.credit_note_id) - d
            )
            released.write({"state": "cancelled", "period_key": False})
            drafts.unlink()
        return self._transition("action_cancel")

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", self.invoice_ids.ids)]
        action["context"] = {"default_move_type": "out_invoice", "create": False}
        return action

    # ------------------------------------------------------------------ cron

    @api.model
    def _period_before(self, cycle, day):
        """(first, last) day of the last complete `cycle` period before `day`."""
        if cycle == "weekly":
            start_of_week = day - timedelta(days=day.weekday())
            return start_of_week - timedelta(days=7), start_of_week - timedelta(days=1)
        months = 3 if cycle == "quarterly" else 1
        first_month = day.month - (day.month - 1) % months
        current = day.replace(month=first_month, day=1)
        return current - relativedelta(months=months), current - timedelta(days=1)

    @api.model
    def _cron_create_due_runs(self, today=None):
        """Create, once per company, cycle and period, the draft run of the contracts due.

        Only drafts: preparing and posting stay Finance's actions. A period with a run (not
        cancelled) gets no second one."""
        today = fields.Date.to_date(today) if today else fields.Date.context_today(self)
        created = self.browse()
        for company in self.env["res.company"].search([]):
            for cycle, _label in RUN_CYCLES:
                date_from, date_to = self._period_before(cycle, today)
                if not self._due_contracts(company, cycle, date_from, date_to):
                    continue
                if self.search_count(
                    [
                        ("company_id", "=", company.id),
                        ("billing_cycle", "=", cycle),
                        ("date_from", "=", date_from),
                        ("state", "!=", "cancelled"),
                    ]
                ):
                    continue
                created |= self.create(
                    {
                        "company_id": company.id,
                        "billing_cycle": cycle,
                        "selection": "due",
                        "date_from": date_from,
                        "date_to": date_to,
                        "invoice_date": today,
                    }
                )
        _logger.info("q2c billing: %s due run(s) created", len(created))
        return created
