import logging
from bisect import bisect_right
from collections import defaultdict
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.addons.q2c_sync.ingest import HeldEntry
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_compare
from odoo.tools.translate import LazyTranslate

from ..ingest import fingerprint, validate

_logger = logging.getLogger(__name__)
_lt = LazyTranslate(__name__)

# Fields that describe the work: frozen once the line is billed (billing-domain.md 1.9),
# beside the fields of q2c.ingested.mixin.
BILLED_FIELDS = {
    "employee_id",
    "project_id",
    "task_id",
    "date",
    "unit_amount",
    "name",
    "q2c_rate",
    "q2c_contract_id",
}
# What prices an entry for billing: set by ingestion (q2c.guarded.mixin), billed by a run.
PRICED_FIELDS = frozenset({"q2c_contract_id", "q2c_rate", "q2c_rate_source", "q2c_bill_amount"})
# The Odoo model each reference type must point to (a reference bound to anything else is
# not a mapping for time entries).
REF_MODELS = {
    "employee": "hr.employee",
    "project": "project.project",
    "issue": "project.project",
    "task": "project.task",
}
# Time entered in Odoo itself (Timesheets app, a task's timesheets) on a contract's project:
# the fields that decide its price (a change re-prices it before billing) ...
ENTERED_PRICE_FIELDS = frozenset({"employee_id", "project_id", "task_id", "date", "q2c_billable"})
# ... the work an approval covers (a change sends an approved line back for approval) ...
ENTERED_WORK_FIELDS = frozenset({"employee_id", "project_id", "task_id", "date", "unit_amount"})
# ... and what a replacement copies from a billed line corrected in Odoo (billing-domain.md 1.9).
ENTERED_COPIED_FIELDS = ENTERED_WORK_FIELDS | {"name", "q2c_billable"}
# Statuses that are billing's, not pricing's: such a line is never re-priced.
UNPRICED_STATUSES = ("billed", "nte_held", "deleted")
# In the context: this write is q2c's own pricing of lines entered in Odoo.
PRICING_KEY = "q2c_pricing_entered"
FINANCE = "q2c_contract.group_q2c_finance"
PROJECT_MANAGER = "q2c_contract.group_q2c_project_manager"
ENTERED_MESSAGES = {
    "pending": "Awaiting approval by the project manager.",
    "nothing_pending": "None of the selected time entries awaits approval: only time entered "
    "in Odoo on a contract's project, submitted and not approved yet, is approved here.",
    "not_approver": "Only the manager of contract %(contract)s, the manager of project "
    "%(project)s or Finance approve or re-price its time (%(entry)s).",
}
RESULT_MESSAGES = {
    "unmapped_employee": "held: employee %s of this system is not mapped to an Odoo employee",
    "unmapped_project": "held: project %s of this system is not mapped to an Odoo project",
    "unmapped_task": "held: task %s of this system is not mapped to an Odoo task",
}


def _plain(value):
    """A field's value as `write` takes it (a record as its id)."""
    return value.id if isinstance(value, models.BaseModel) else value


class AccountAnalyticLine(models.Model):
    """Time entries from other systems: a q2c.ingested.mixin priced at the contract rate of
    the work date. Only what differs from expenses is here: the hours, the references
    (employee, project or issue, task) and the rates. Time entered in Odoo itself on a
    contract's project is priced by the same rate lookup when created or edited, and
    approved per the company setting (section *time entered in Odoo*)."""

    _name = "account.analytic.line"
    # q2c.guarded.mixin: billing fields are written by q2c's own code (`_q2c_guarded_write`).
    _inherit = ["account.analytic.line", "q2c.ingested.mixin", "q2c.guarded.mixin"]
    _q2c_hold_kind = "time"
    _q2c_noun = _lt("Time entry")
    _q2c_billed_fields = BILLED_FIELDS
    _q2c_result_id_key = "line_id"

    q2c_approval_state = fields.Selection(default="approved")
    q2c_approved_at = fields.Datetime(
        help="When the entry was approved (the source's time, else when q2c first saw it "
        "approved). A billing run takes entries approved before its cut-off, so an approval "
        "after the cut-off lands in the next run, at the rate of the work date."
    )
    q2c_contract_id = fields.Many2one(
        "q2c.contract", string="Contract", copy=False, index=True, readonly=True
    )
    q2c_currency_id = fields.Many2one(
        related="q2c_contract_id.currency_id", string="Contract Currency"
    )
    # A unit price, stored like Odoo's own (account.move.line.price_unit): a Float with the
    # "Product Price" precision, shown in the contract currency. The rate card's rate is
    # already rounded to that currency; values are rounded where amounts are computed
    # (`_q2c_value`). A Monetary here would make every batch insert look up each line's
    # currency.
    # A rate is not summed when lines are grouped (a sum of rates means nothing): the
    # group's value is the sum of q2c_bill_amount.
    q2c_rate = fields.Float(
        "Bill Rate",
        digits="Product Price",
        copy=False,
        readonly=True,
        aggregator=None,
        help="Resolved from the contract's rate cards at the work date; frozen once billed.",
    )
    q2c_bill_amount = fields.Monetary(
        "Bill Amount",
        currency_field="q2c_currency_id",
        compute="_compute_q2c_bill_amount",
        store=True,
        help="Hours x bill rate, rounded in the contract currency: what the entry bills.",
    )
    q2c_rate_source = fields.Char("Rate Source", copy=False, readonly=True)
    q2c_billing_status = fields.Selection(
        selection_add=[("no_rate", "Held: no rate"), ("to_bill",)],
        ondelete={"no_rate": "set null"},
    )
    q2c_approved_by_id = fields.Many2one(
        "res.users",
        string="Approved By",
        copy=False,
        readonly=True,
        help="Who approved this time entered in Odoo (company setting: approved by the "
        "project manager). Empty when approved as entered or in the source system.",
    )
    q2c_origin_id = fields.Many2one(
        "account.analytic.line",
        string="Corrects",
        copy=False,
        readonly=True,
        index=True,
        help="The billed entry this reversal or replacement corrects.",
    )

    _sql_constraints = [
        (
            "q2c_external_uniq",
            "unique(q2c_system_id, q2c_external_id)",
            "A time entry of a system is imported once: its external id is already used.",
        ),
    ]

    # ------------------------------------------------------------------ computes

    @api.depends("unit_amount", "q2c_rate", "q2c_contract_id.currency_id")
    def _compute_q2c_bill_amount(self):
        for line in self:
            line.q2c_bill_amount = line._q2c_value()

    # ------------------------------------------------------------------ guards

    def _q2c_guarded_fields(self):
        """Beside the billing fields of the mixin, what prices the entry for billing: its
        contract, bill rate, where the rate comes from and the bill amount (ingestion
        resolves them; a billing run bills hours x this rate), and who approved time entered
        in Odoo (written by the approval only)."""
        return super()._q2c_guarded_fields() | PRICED_FIELDS | {"q2c_approved_by_id"}

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        # A reversal is priced by its creator, an ingested line by ingestion (`_q2c_entered`
        # leaves it out). Any other line (the Timesheets app, RPC, the replacement of an
        # entered line) is priced here, whatever values it was sent with: the create guard
        # refused a billing value other than the initial one.
        if self.env.context.get("q2c_correction"):
            return lines
        lines._q2c_entered()._q2c_price_entered()
        return lines

    def write(self, vals):
        deferred = self.env.context.get("q2c_deferred_amounts")
        if deferred is not None and set(vals) == {"amount"}:
            # hr_timesheet writes each new line's cost on its own after create; during a
            # batch create those writes are collected and applied per distinct amount.
            for line_id in self.ids:
                deferred[line_id] = vals["amount"]
            return True
        if self.env.context.get(PRICING_KEY) or self.env.context.get("q2c_correction"):
            return super().write(vals)
        billed = self.browse()
        if not ENTERED_COPIED_FIELDS.isdisjoint(vals):
            billed = self.filtered(
                lambda line: line.q2c_billing_status == "billed"
                and line.project_id
                and not line.q2c_system_id
            )
            for line in billed:
                line._q2c_correct_entered(vals)
        # Without a billed line, the lines written keep their prefetch set (a difference
        # would start a new one: a billing run writes its entries group by group).
        rest = self - billed if billed else self
        if billed and not rest:
            return True
        result = super(AccountAnalyticLine, rest).write(vals)
        if not (ENTERED_PRICE_FIELDS | ENTERED_WORK_FIELDS).isdisjoint(vals):
            resubmit = not ENTERED_WORK_FIELDS.isdisjoint(vals)
            rest._q2c_entered()._q2c_price_entered(resubmit=resubmit)
        return result

    def _check_can_write(self, values):
        """q2c's guards before hr_timesheet's: hr_timesheet's `write` checks that a user who
        is not a timesheet approver writes only their own lines ("not yours") before the
        mixins' `write` runs, so a Finance user editing a billing field, or a field of a
        billed entry, would read "not yours" instead of why the change is refused. The same
        checks the mixins make, made first; hr_timesheet's after them."""
        self._q2c_check_guarded_write(values)
        self._q2c_check_billed_write(values)
        return super()._check_can_write(values)

    # ------------------------------------------------------------------ ingestion hooks

    @api.model
    def _q2c_validate(self, raw):
        return validate(raw)

    @api.model
    def _q2c_read_batch(self, system, entries):
        """The chunk's references (one query), their records prefetched, and a rate lookup."""
        refs = self._q2c_map_refs(system, entries)
        self._q2c_prefetch(refs)
        return {"refs": refs, "price": self._q2c_pricer()}

    def _q2c_current_lines(self, system, external_ids):
        """`_q2c_current_records` under the name the pull connectors use."""
        return self._q2c_current_records(system, external_ids)

    def _q2c_map_refs(self, system, entries):
        """{(object type, external id): record id} for every reference of the chunk, read in
        one query."""
        wanted = defaultdict(set)
        for entry in entries:
            wanted["employee", REF_MODELS["employee"]].add(entry["employee"])
            project_type = entry["project_type"]
            wanted[project_type, REF_MODELS[project_type]].add(entry["project"])
            if entry["task"]:
                wanted["task", REF_MODELS["task"]].add(entry["task"])
        return self.env["q2c.external.ref"]._resolve_many(system, wanted)

    def _q2c_prefetch(self, refs):
        """Read the chunk's employees, projects and tasks in one query per model. Odoo's
        timesheet create reads them line by line; with a cold cache (every request, every
        job) that is one query per employee, and for users without HR rights each goes
        through the hr.employee.public view."""
        ids_by_model = defaultdict(set)
        for (object_type, _external_id), res_id in refs.items():
            ids_by_model[REF_MODELS[object_type]].add(res_id)
        for model, ids in ids_by_model.items():
            records = self.env[model].sudo().browse(sorted(ids))
            records.fetch(
                [
                    name
                    for name, field in records._fields.items()
                    if field.store and field.prefetch is True
                ]
            )

    @api.model
    def _q2c_map_entry(self, batch, entry):
        refs = batch["refs"]
        employee_id = refs.get(("employee", entry["employee"]))
        if not employee_id:
            raise HeldEntry(RESULT_MESSAGES["unmapped_employee"] % entry["employee"])
        project_id = refs.get((entry["project_type"], entry["project"]))
        if not project_id:
            raise HeldEntry(RESULT_MESSAGES["unmapped_project"] % entry["project"])
        task_id = refs.get(("task", entry["task"])) if entry["task"] else False
        if entry["task"] and not task_id:
            raise HeldEntry(RESULT_MESSAGES["unmapped_task"] % entry["task"])
        return {
            "employee_id": employee_id,
            "project_id": project_id,
            "task_id": task_id or False,
            "fingerprint": fingerprint(employee_id, project_id, task_id, entry),
        }

    # ------------------------------------------------------------------ values and rates

    def _q2c_pricer(self):
        """A rate lookup for one chunk: (contract, status, rate, source, reason).

        Rates come from the one resolver, `q2c.contract._resolve_rate`, called once per
        distinct answer (see `_q2c_rate_key`), not once per entry."""
        cache = {}
        contracts = {}
        shapes = {}

        def price(employee_id, project_id, work_date, billable, approval_state):
            if approval_state != "approved":
                return False, "pending_approval", 0.0, False, False
            if not billable:
                return False, "not_billable", 0.0, False, False
            if project_id not in contracts:
                project = self.env["project.project"].sudo().browse(project_id)
                contracts[project_id] = project.q2c_contract_ids.filtered(
                    lambda c: c.state in ("active", "on_hold")
                )[:1]
            contract = contracts[project_id]
            if not contract:
                return False, "no_contract", 0.0, False, _("The project has no active contract.")
            if contract.id not in shapes:
                shapes[contract.id] = self._q2c_rate_shape(contract)
            employee = self.env["hr.employee"].sudo().browse(employee_id)
            key = self._q2c_rate_key(
                shapes[contract.id], contract, employee, project_id, work_date
            )
            if key not in cache:
                project = self.env["project.project"].sudo().browse(project_id)
                try:
                    resolution = contract._resolve_rate(work_date, employee, project=project)
                    rate, source = resolution.rate, resolution.source
                    cache[key] = (contract.id, "to_bill", rate, source, False)
                except UserError as error:
                    cache[key] = (contract.id, "no_rate", 0.0, False, str(error))
            return cache[key]

        return price

    def _q2c_rate_shape(self, contract):
        """What a contract's rates depend on, read once: the employees with a rate of their
        own, whether overrides are project-specific, the dates where any candidate starts or
        ends, and whether a card needs a currency conversion (then the date itself counts)."""
        cards = (
            contract.rate_card_ids
            | contract._customer_rate_card()
            | contract._company_default_rate_card()
        )
        lines = self.env["q2c.rate.card.line"].sudo().search([("card_id", "in", cards.ids)])
        overrides = (
            self.env["q2c.rate.override"].sudo().search([("contract_id", "=", contract.id)])
        )
        bounds = set()
        for record in [*lines, *overrides]:
            bounds.add(record.date_from)
            if record.date_to:
                bounds.add(record.date_to + timedelta(days=1))
        return {
            "employees": set((lines.employee_id | overrides.employee_id).ids),
            "by_project": bool(overrides.project_id),
            "bounds": sorted(bounds),
            "per_date": any(card.currency_id != contract.currency_id for card in cards),
        }

    @api.model
    def _q2c_rate_key(self, shape, contract, employee, project_id, work_date):
        """Entries with the same key get the same rate: between two consecutive bounds no
        candidate starts or ends, an employee without a rate of their own is priced by role,
        and the project matters only for project-specific overrides."""
        day = fields.Date.to_date(work_date)
        window = day if shape["per_date"] else bisect_right(shape["bounds"], day)
        return (
            contract.id,
            employee.id if employee.id in shape["employees"] else None,
            employee.job_id.id,
            project_id if shape["by_project"] else None,
            window,
        )

    @api.model
    def _q2c_values(self, system, batch, entry, mapped):
        contract_id, status, rate, source, reason = batch["price"](
            mapped["employee_id"],
            mapped["project_id"],
            entry["date"],
            entry["billable"],
            entry["approval_state"],
        )
        approved_at = False
        if entry["approval_state"] == "approved":
            approved_at = entry["approved_at"] or fields.Datetime.now()
        return {
            "employee_id": mapped["employee_id"],
            "project_id": mapped["project_id"],
            "task_id": mapped["task_id"],
            "date": entry["date"],
            "unit_amount": entry["hours"],
            "name": entry["description"] or "/",
            "q2c_billable": entry["billable"],
            "q2c_approval_state": entry["approval_state"],
            "q2c_approved_at": approved_at,
            "q2c_contract_id": contract_id,
            "q2c_rate": rate,
            "q2c_rate_source": source,
            "q2c_billing_status": status,
            "q2c_hold_reason": reason,
            "q2c_fingerprint": mapped["fingerprint"],
            "q2c_source_updated_at": entry["updated_at"],
        }

    @api.model
    def _q2c_create_records(self, system, vals_list):
        """`create(vals_list)`, with the cost amounts hr_timesheet computes line by line
        (`_timesheet_postprocess`, one `write` per line) written once per distinct amount:
        the same values, without a per-record round trip."""
        deferred = {}
        lines = self.with_context(q2c_deferred_amounts=deferred).create(vals_list)
        by_amount = defaultdict(list)
        for line_id, amount in deferred.items():
            by_amount[amount].append(line_id)
        for amount, line_ids in by_amount.items():
            self.sudo().browse(line_ids).write({"amount": amount})
        return lines.with_env(self.env)

    def _q2c_create_reversal(self, vals):
        """A copy of the billed line with the hours negated, at the billed rate."""
        return self.copy(
            {
                **vals,
                "unit_amount": -self.unit_amount,
                "q2c_contract_id": self.q2c_contract_id.id,
                "q2c_rate": self.q2c_rate,
                "q2c_rate_source": self.q2c_rate_source,
                "q2c_billing_status": "to_bill" if self.q2c_contract_id else "not_billable",
            }
        )

    def _q2c_write_deleted(self, reason):
        """No hours any more, the former hours in the reason (one write per distinct hours)."""
        by_hours = defaultdict(list)
        for line in self:
            by_hours[line.unit_amount].append(line.id)
        for hours, ids in by_hours.items():
            self.browse(ids)._q2c_guarded_write(
                {
                    "unit_amount": 0.0,
                    "q2c_billing_status": "deleted",
                    "q2c_fingerprint": False,
                    "q2c_hold_reason": _(
                        "%(reason)s Was %(hours).2f h.", reason=reason, hours=hours
                    ),
                }
            )
        return True

    # ------------------------------------------------------------------ time entered in Odoo

    def _q2c_entered(self):
        """The lines entered in Odoo itself that q2c prices: timesheets (a project) from no
        source system, not a reversal, not frozen by billing."""
        return self.filtered(
            lambda line: line.project_id
            and not line.q2c_system_id
            and line.q2c_correction_kind != "reversal"
            and line.q2c_billing_status not in UNPRICED_STATUSES
        )

    def _q2c_price_entered(self, resubmit=False, approve=False):
        """Price time entered in Odoo like ingested time (billing-domain.md 1.1, GC-01): the
        contract of its project, the rate of its work date from the one resolver
        (`_q2c_pricer`: overrides, employee, role, rate changes; half-up to the cent), the
        billing status, and the approval the company's setting gives it (`_q2c_entered_approval`).
        A line without a rate is held (*no rate*) with the resolver's reason; a run then
        blocks its contract. Lines of a project without any contract are none of q2c's:
        what q2c wrote on them is cleared.

        Set-based: the employees, projects and contracts are read once for all the lines, a
        rate once per distinct answer, and the lines written once per distinct set of
        values (`_q2c_guarded_write`: billing fields change only through q2c's own code)."""
        if not self:
            return True
        self.employee_id.sudo().mapped("job_id")
        self.project_id.sudo().mapped("q2c_contract_ids.state")
        self.company_id.mapped("q2c_time_approval")
        price = self._q2c_pricer()
        now = fields.Datetime.now()
        groups = defaultdict(list)
        for line in self:
            vals = line._q2c_entered_values(price, now, resubmit, approve)
            changed = {name: value for name, value in vals.items() if _plain(line[name]) != value}
            if changed:
                groups[tuple(sorted(changed.items()))].append(line.id)
        for items, ids in groups.items():
            self.browse(ids).with_context(**{PRICING_KEY: True})._q2c_guarded_write(dict(items))
        return True

    def _q2c_entered_values(self, price, now, resubmit, approve):
        """The q2c values of this line entered in Odoo: contract, rate, billing status and
        hold reason from `price` (a `_q2c_pricer`), approval from the company setting."""
        self.ensure_one()
        if not self.project_id.sudo().q2c_contract_ids:
            return {
                "q2c_contract_id": False,
                "q2c_rate": 0.0,
                "q2c_rate_source": False,
                "q2c_billing_status": False,
                "q2c_hold_reason": False,
            }
        approval = self._q2c_entered_approval(now, resubmit, approve)
        contract_id, status, rate, source, reason = price(
            self.employee_id.id, self.project_id.id, self.date, self.q2c_billable, "approved"
        )
        if approval["q2c_approval_state"] != "approved" and status in ("to_bill", "no_rate"):
            # Priced already, so the approver sees the rate (or why there is none); billed
            # only once approved.
            status = "pending_approval"
            reason = reason or _(ENTERED_MESSAGES["pending"])
        return {
            **approval,
            "q2c_contract_id": contract_id,
            "q2c_rate": rate,
            "q2c_rate_source": source,
            "q2c_billing_status": status,
            "q2c_hold_reason": reason,
        }

    def _q2c_entered_approval(self, now, resubmit, approve):
        """The approval of this line entered in Odoo, per its company's setting
        (`res.company.q2c_time_approval`): approved when entered (at the time it is entered;
        an edit keeps that time, as an ingested entry keeps its approval), or submitted until
        its contract's or project's manager, or Finance, approves it (`approve`). An edit of
        the work (`resubmit`) sends an approved line back for approval. A line approved
        before the setting changed stays approved."""
        state, approved_at = self.q2c_approval_state, self.q2c_approved_at
        approved_by = self.q2c_approved_by_id.id
        if approve:
            state, approved_at, approved_by = "approved", now, self.env.uid
        elif self.company_id.q2c_time_approval == "on_entry":
            if state != "approved" or not approved_at:
                state, approved_at, approved_by = "approved", now, False
        elif resubmit or state != "approved" or not approved_at:
            # A new line carries the field's default (approved) without an approval time.
            state, approved_at, approved_by = "submitted", False, False
        return {
            "q2c_approval_state": state,
            "q2c_approved_at": approved_at,
            "q2c_approved_by_id": approved_by,
        }

    def _q2c_correct_entered(self, vals):
        """A billed line entered in Odoo is edited: billed history stays as it is; the edit
        is the existing correction (`_q2c_correct`, billing-domain.md 1.9): a reversal at the
        billed values and a replacement with the edited work, priced and approved like a new
        line (in *approved by the project manager*, it waits for approval)."""
        self.ensure_one()
        work = {name: _plain(self[name]) for name in ENTERED_COPIED_FIELDS}
        work.update({name: vals[name] for name in ENTERED_COPIED_FIELDS.intersection(vals)})
        return self._q2c_correct({**work, "q2c_approval_state": "submitted"})

    def _q2c_may_approve(self):
        """Whether the current user approves this line: Finance of its company, or the
        manager of its contract or of its project (q2c project managers)."""
        self.ensure_one()
        user = self.env.user
        if user.has_group(FINANCE) and self.company_id in user.company_ids:
            return True
        managers = self.sudo().q2c_contract_id.user_id | self.sudo().project_id.user_id
        return user.has_group(PROJECT_MANAGER) and user in managers

    def action_q2c_approve(self):
        """Approve time entered in Odoo that waits for its project manager (company setting
        *approved by the project manager*): the lines go to billing at the rate of their
        work date, re-read now. Only the contract's or project's manager, or Finance, may;
        the lines are then written as superuser, since a project manager is no timesheet
        approver of other people's time in Odoo's own rights."""
        pending = self._q2c_entered().filtered(
            lambda line: line.q2c_approval_state == "submitted" and line.q2c_contract_id
        )
        pending._q2c_check_may_approve()
        if not pending:
            raise UserError(_(ENTERED_MESSAGES["nothing_pending"]))
        pending.sudo()._q2c_price_entered(approve=True)
        return True

    def action_q2c_reprice(self):
        """Re-price time entered in Odoo, not billed yet, at the contract's rates as they are
        now: after a rate was added for lines held without one, or a rate card corrected.
        Same people as the approval; the work date's rate is read again, the approval kept."""
        lines = self._q2c_entered()
        lines._q2c_check_may_approve()
        lines.sudo()._q2c_price_entered()
        return True

    def _q2c_check_may_approve(self):
        refused = self.filtered(lambda line: not line._q2c_may_approve())
        if refused:
            line = refused[0].sudo()
            raise AccessError(
                _(
                    ENTERED_MESSAGES["not_approver"],
                    contract=line.q2c_contract_id.display_name or "-",
                    project=line.project_id.display_name,
                    entry=f"{line.employee_id.name} {line.date} {line.unit_amount:.2f} h",
                )
            )

    # ------------------------------------------------------------------ billing

    def _q2c_value(self):
        """round(hours x rate) in the contract currency (per entry; WIP views)."""
        self.ensure_one()
        currency = self.q2c_currency_id
        return currency.round(self.unit_amount * self.q2c_rate) if currency else 0.0

    def _q2c_pricing_entries(self):
        """The lines as entries for `q2c.contract._price_time_entries` (rates re-resolved
        at their work dates, which is what the stored rate is)."""
        return [
            {
                "date": line.date,
                "employee": line.employee_id,
                "hours": line.unit_amount,
                "project": line.project_id,
            }
            for line in self
            if float_compare(line.unit_amount, 0.0, precision_digits=6) != 0
        ]
