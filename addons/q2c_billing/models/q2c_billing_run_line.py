import logging
from collections import defaultdict
from contextlib import contextmanager
from decimal import ROUND_FLOOR, Decimal

import psycopg2
import psycopg2.errors

from odoo import Command, _, api, fields, models
from odoo.addons.q2c_contract.money import line_amount, nte_adjustment, round_half_up
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, float_compare, mute_logger

from ..exceptions import BillingBlocked

_logger = logging.getLogger(__name__)

# Seconds a job whose result another job holds waits in the queue (`_lock_result`).
LOCKED_RESULT_RETRY = 5
# Key of the batch reads in the cursor's transaction cache (`_batch_reads`).
BATCH_READS = "q2c_billing_batch_reads"

STATES = [
    ("to_do", "To Do"),
    ("done", "Done"),
    ("blocked", "Blocked"),
    ("error", "Error"),
    ("cancelled", "Cancelled"),
]
MESSAGES = {
    "already_billed": "Already billed for an overlapping period by billing run %(run)s: a "
    "contract is billed once per period.",
    "claimed": "Another billing run claimed this contract for the same period at the same "
    "time: a contract is billed once per period.",
    "not_active": "Contract %(contract)s is %(state)s: only active contracts are billed.",
    "model": "Contract %(contract)s is billed as %(model)s, which billing runs do not "
    "invoice yet.",
    "no_customer": "Contract %(contract)s has no customer to invoice.",
    "customer_company": "The customer %(customer)s of contract %(contract)s belongs to "
    "company %(other)s: %(company)s cannot invoice it. Share the customer with %(company)s "
    "or change the contract's customer.",
    "no_journal": "Company %(company)s has no sales journal: add one in Accounting.",
    "locked": "The invoice date %(date)s is in a closed accounting period (%(locks)s): "
    "give the run an invoice date after it, or ask your accountant to reopen the period.",
    "no_fx": "No exchange rate for %(currency)s on or before the invoice date %(date)s: add "
    "one, then bill the contract in the next run.",
    "no_rate": "%(count)s approved time entr%(plural)s without a rate (never billed at zero): "
    "%(entries)s. Add the rate to the contract's rate cards, then bill the contract in the "
    "next run.",
    "expense_no_fx": "%(count)s approved expense(s) without an exchange rate at their date: "
    "%(entries)s.",
    "nothing": "Nothing to bill in this period.",
    "cap_reached": "Nothing billed: the not-to-exceed cap is reached; the entries wait for "
    "the cap to be raised.",
    "cap_excess": "Not-to-exceed limit adjustment (cap %(cap)s)",
    "cap_release": "Not-to-exceed adjustment: release of the amount held on %(invoice)s",
    "cap_released_time": " (held over the cap on %(invoice)s, released)",
    "cap_held_time": "%(hours)s h held over the cap",
    "late": " (approved after the prior cut-off)",
    "correction": "Correction of %(invoice)s, %(kind)s: ",
}


class Q2cBillingRunLine(models.Model):
    """What a billing run did for one contract: to do, done (with its invoice), blocked
    (with the reason a person fixes), error, or cancelled with its run.

    A line that holds its contract's period carries `period_key`; the unique constraint on
    (contract, period_key) is what makes a contract billed at most once per period, whatever
    runs or jobs race. Cancelled lines and duplicates carry none (NULLs never conflict)."""

    _name = "q2c.billing.run.line"
    _description = "Billing Run Result per Contract"
    _order = "run_id desc, id"
    _check_company_auto = True
    _rec_name = "contract_id"

    run_id = fields.Many2one("q2c.billing.run", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="run_id.company_id", store=True, index=True)
    contract_id = fields.Many2one(
        "q2c.contract", required=True, ondelete="restrict", index=True, check_company=True
    )
    partner_id = fields.Many2one(related="contract_id.partner_id", string="Customer")
    date_from = fields.Date(related="run_id.date_from", store=True)
    date_to = fields.Date(related="run_id.date_to", store=True)
    period_key = fields.Char(
        "Period Held",
        copy=False,
        readonly=True,
        help="The period this result holds for its contract (its first day); empty once "
        "cancelled, or when another run holds the period.",
    )
    state = fields.Selection(
        STATES, string="Status", default="to_do", required=True, readonly=True, index=True
    )
    reason = fields.Text(readonly=True)
    invoice_id = fields.Many2one("account.move", readonly=True, ondelete="set null")
    credit_note_id = fields.Many2one(
        "account.move",
        readonly=True,
        ondelete="set null",
        help="The credit note of corrections to invoices already sent (billing-domain.md "
        "1.9): by the contract's policy, or because the period's net is a credit.",
    )
    credit_note_amount = fields.Monetary(related="credit_note_id.amount_total", string="Credited")
    invoice_state = fields.Selection(related="invoice_id.state", string="Invoice Status")
    currency_id = fields.Many2one(related="contract_id.currency_id")
    amount_untaxed = fields.Monetary(related="invoice_id.amount_untaxed")
    amount_total = fields.Monetary(related="invoice_id.amount_total")
    time_count = fields.Integer("Time Entries", readonly=True)
    expense_count = fields.Integer("Expenses", readonly=True)
    milestone_count = fields.Integer("Milestone Shares", readonly=True)
    job_uuid = fields.Char("Job", readonly=True, copy=False)

    _sql_constraints = [
        (
            "contract_period_uniq",
            "unique(contract_id, period_key)",
            "A contract is billed at most once per period.",
        ),
        ("run_contract_uniq", "unique(run_id, contract_id)", "A run bills a contract once."),
    ]

    @api.depends("run_id.name", "contract_id.display_name")
    def _compute_display_name(self):
        for line in self:
            line.display_name = _(
                "%(run)s: %(contract)s",
                run=line.run_id.name,
                contract=line.contract_id.display_name,
            )

    # ------------------------------------------------------------------ claiming

    @api.model
    def _claim(self, run, contracts):
        """One result per contract of `run`. A contract whose period overlaps one held by
        another run is blocked at once with that run's name; two runs claiming the same
        period at the same time are decided by the unique constraint (the loser's result is
        blocked, nothing else of its run is undone).

        Set-based: one search finds the holders of every contract, one create records the
        blocked results and one the claims; only when that create loses a race does each
        claim retry alone, to learn which contracts the other run took."""
        holders = self.search(
            [
                ("contract_id", "in", contracts.ids),
                ("period_key", "!=", False),
                ("date_from", "<=", run.date_to),
                ("date_to", ">=", run.date_from),
            ]
        )
        holder_of = {line.contract_id: line for line in holders}
        blocked_vals = [
            {
                "run_id": run.id,
                "contract_id": contract.id,
                "state": "blocked",
                "reason": self.env._(
                    MESSAGES["already_billed"], run=holder_of[contract].run_id.name
                ),
            }
            for contract in contracts
            if contract in holder_of
        ]
        claim_vals = [
            {
                "run_id": run.id,
                "contract_id": contract.id,
                "period_key": fields.Date.to_string(run.date_from),
            }
            for contract in contracts
            if contract not in holder_of
        ]
        lines = self.create(blocked_vals)
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                return lines | self.create(claim_vals)
        except psycopg2.IntegrityError:
            _logger.info(
                "q2c billing: run %s met another run's claim on a period; claiming one by one",
                run.name,
            )
        for vals in claim_vals:
            try:
                with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                    line = self.create(vals)
            except psycopg2.IntegrityError:
                line = self.create(
                    {
                        "run_id": vals["run_id"],
                        "contract_id": vals["contract_id"],
                        "state": "blocked",
                        "reason": _(MESSAGES["claimed"]),
                    }
                )
            lines |= line
        return lines

    def _enqueue(self):
        """One job per contract, as the Finance user who prepared the run (never sudo: the
        job creates the invoice with that user's rights)."""
        for line in self:
            job = line.with_delay(
                description=_(
                    "Billing run %(run)s: invoice %(contract)s",
                    run=line.run_id.name,
                    contract=line.contract_id.display_name,
                )
            )._bill_contract()
            line.job_uuid = job.uuid

    # ------------------------------------------------------------------ the job

    def _bill_contract(self):
        """Job: build this contract's draft invoice and mark what it billed, in one
        transaction. Guard: only a result still to do, of a run still preparing (a re-run
        job, one of a cancelled run, or one whose contract another job already billed does
        nothing). A blocked contract, or an error Odoo raises (a configuration it refuses),
        is recorded on the result, its writes undone; anything else fails the job for
        queue_job to retry.

        Volume (docs/billing.md): with its own contract, the job bills a batch of its run's
        other contracts still to do that no other job holds (`_bill_siblings`), their
        invoices and its own in one `account.move` create."""
        self.ensure_one()
        if not self._lock_result():
            return _("Nothing to do: the contract's result is %s.", self.state)
        if self._sibling_batch_size() and self._batchable():
            siblings = self._bill_siblings(own_plan=self._plan_own())
        else:
            try:
                with self.env.cr.savepoint():
                    self._build_invoice()
            except BillingBlocked as error:
                self.write({"state": "blocked", "reason": str(error)})
            except (UserError, ValidationError) as error:
                self.write({"state": "error", "reason": str(error)})
            siblings = self._bill_siblings()
        self.run_id._finish_if_complete(from_job=True)
        result = self.reason or ", ".join(
            (self.invoice_id | self.credit_note_id).mapped("display_name")
        )
        if siblings:
            result += " " + _(
                "(also billed by this job: %s)",
                ", ".join(siblings.mapped("contract_id.display_name")),
            )
        return result

    def _lock_result(self):
        """Lock this result's row and tell whether it is still to do in a run preparing.
        A result another job holds (it took this contract as a sibling) is not waited for:
        the job is put back in the queue for a few seconds (RetryableJobError, not counted
        as a retry), so the worker takes other work meanwhile; asked again, the result is
        done, or to do again if that job failed. A result changed by a job that committed
        after this one began is refused by PostgreSQL (a serialization failure), which
        queue_job retries the same way."""
        # Not logged when refused: queue_job retries the job (an expected outcome).
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "SELECT id FROM q2c_billing_run_line WHERE id = %s FOR UPDATE NOWAIT",
                    [self.id],
                    log_exceptions=False,
                )
        except psycopg2.errors.LockNotAvailable as error:
            raise RetryableJobError(
                _("Another job is billing this contract with its own: asked again shortly."),
                seconds=LOCKED_RESULT_RETRY,
                ignore_retry=True,
            ) from error
        self.invalidate_recordset(["state"])
        return self.state == "to_do" and self.run_id.state == "preparing"

    def _build_invoice(self):
        plan = self._invoice_plan()
        if plan:
            invoice = self.env["account.move"]
            if plan["invoice_values"]:
                invoice = self._create_moves([plan["invoice_values"]])
            self._finish_invoice(plan, invoice)

    def _invoice_plan(self):
        """What this contract's invoice will be, checked, before any invoice exists: a dict
        of the entries, the specs and the invoice's values (None when nothing is to bill:
        the result is then done with its reason). Raises BillingBlocked."""
        contract = self.contract_id
        journal = self._check_billable()
        if self._locks_contract():
            self._lock_cap(contract)
        time, expenses = self._entries_to_bill()
        if contract._nte_capped() and contract.nte_mode == "truncate":
            specs, holds = self._truncated_specs(time, expenses)
        else:
            specs, holds = self._full_specs(time, expenses), []
            specs += self._cap_adjustment_specs(specs)
        # Milestone shares (fixed fee, 1.3) are outside a not-to-exceed cap's fees.
        specs += self._milestone_specs()
        # Retainer (1.4): the funds invoiced in advance, and the usage they cover.
        specs = self._retainer_specs(specs)
        if not specs:
            reason = MESSAGES["cap_reached"] if time else MESSAGES["nothing"]
            self.write({"state": "done", "reason": _(reason)})
            return None
        # Corrections (1.9): on this invoice, or by a credit note for their net.
        invoice_specs, credit_specs = self._settlement_specs(specs)
        return {
            "journal": journal,
            "time": time,
            "expenses": expenses,
            "specs": specs,
            "holds": holds,
            "invoice_specs": invoice_specs,
            "credit_specs": credit_specs,
            "invoice_values": self._invoice_values(journal, invoice_specs)
            if invoice_specs
            else None,
        }

    def _create_moves(self, vals_list):
        """Odoo's own create of the draft invoices. No creation message or tracking on
        them: a generated draft's history is its billing run's result (run, contract,
        entries linked to its lines); Odoo tracks every change made to it afterwards."""
        Move = self.env["account.move"].with_company(self.company_id)
        moves = Move.with_context(tracking_disable=True).create(vals_list)
        # What `tracking_disable` leaves out of a draft's creation besides the message and
        # the tracking: its creator follows it, as Odoo's create would make them (one
        # insert for every draft of the create).
        if self.env.user.active:
            self.env["mail.followers"]._insert_followers(
                "account.move",
                moves.ids,
                self.env.user.partner_id.ids,
                subtypes=None,
                customer_ids=[],
                check_existing=False,
            )
        return Move.browse(moves.ids)

    def _finish_invoice(self, plan, invoice):
        """Link the entries to the invoice's lines, the credit note if any, the cap ledger,
        and the result done."""
        contract = self.contract_id
        if invoice:
            self._link_entries(invoice, plan["invoice_specs"])
        credit_note = self.env["account.move"]
        if plan["credit_specs"]:
            credit_note = self._create_moves(
                [self._credit_note_values(plan["journal"], plan["credit_specs"])]
            )
            self._link_entries(credit_note, plan["credit_specs"])
        self._write_cap_ledger(invoice or credit_note, plan["holds"])
        contract._nte_alert(self)
        self.write(
            {
                "state": "done",
                "reason": False,
                "invoice_id": invoice.id,
                "credit_note_id": credit_note.id,
                "time_count": len(plan["time"]),
                "expense_count": len(plan["expenses"]),
                "milestone_count": sum(
                    spec["entries"]._name == "q2c.contract.milestone" for spec in plan["specs"]
                ),
            }
        )

    # ------------------------------------------------------------------ siblings (volume)

    def _sibling_batch_size(self):
        """How many of its run's other contracts a job may bill after its own
        (`q2c_billing.job_batch`, default 20; 0 = one contract per job)."""
        value = self.env["ir.config_parameter"].sudo().get_param("q2c_billing.job_batch", "20")
        try:
            return max(int(value), 0)
        except ValueError:
            return 20

    def _batchable(self):
        """A contract whose invoice a job may build beside others': time and materials
        without a cap (no contract row to lock) and without a pre-bill review. Others are
        billed by their own job only."""
        contract = self.contract_id
        return (
            contract.billing_model == "time_and_materials"
            and not self._locks_contract()
            and not contract.prebill_review_required
        )

    def _take_siblings(self):
        """Lock up to a batch of this run's other results still to do, skipping those
        another job holds (FOR UPDATE SKIP LOCKED): each is billed by one job only. Taken
        from the run's last results: the job runner hands out jobs from the first, so a
        worker that starts the next job finds its contract free rather than in this batch."""
        size = self._sibling_batch_size()
        if not size:
            return self.browse()
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT id FROM q2c_billing_run_line
                WHERE run_id = %s AND state = 'to_do' AND id != %s ORDER BY id DESC""",
            [self.run_id.id, self.id],
        )
        candidates = [row[0] for row in self.env.cr.fetchall()]
        siblings = self.browse(self._lock_skipping("q2c_billing_run_line", candidates, size))
        siblings.invalidate_recordset(["state"])
        return siblings.filtered(lambda line: line.state == "to_do" and line._batchable())

    def _plan_own(self):
        """This job's own contract, planned to be created with its siblings' invoices: as
        `_bill_contract` bills it alone, a blocked contract or one Odoo refuses is recorded
        on the result (its writes undone) and an unexpected error fails the job. Returns
        its plan, or None when it is settled already (nothing to bill, blocked, refused, or
        billed alone here because it needs a credit note)."""
        try:
            with self.env.cr.savepoint():
                plan = self._invoice_plan()
                if plan and (plan["credit_specs"] or not plan["invoice_values"]):
                    self._finish_invoice(plan, self._create_single(plan))
                    plan = None
                return plan
        except BillingBlocked as error:
            self.write({"state": "blocked", "reason": str(error)})
        except (UserError, ValidationError) as error:
            self.write({"state": "error", "reason": str(error)})
        return None

    def _bill_siblings(self, own_plan=None):
        """Volume (docs/billing.md): bill a batch of this run's other contracts in this
        transaction, their invoices (and this job's own, `own_plan`) in one `account.move`
        create. Each contract's invoice is planned in its own savepoint: a blocked
        contract, or one Odoo refuses, is recorded on its result and the others go on; an
        unexpected failure leaves a sibling to its own job. Should the one create fail,
        each invoice is created alone, in its own savepoint (an unexpected failure of the
        job's own contract then fails the job, as when it is billed alone). The
        contracts' own jobs, still queued, are marked done (`_settle_jobs`); one a worker
        has already taken finds its result done and does nothing. Returns the siblings this
        job settled (done, blocked or error)."""
        own = [(self, own_plan)] if own_plan else []
        preparing = self.run_id.state == "preparing"
        siblings = self._take_siblings() if preparing else self.browse()
        plans = own + self._plan_siblings(siblings)
        if not plans:
            settled = siblings.filtered(lambda line: line.state != "to_do")
            settled._settle_jobs(self)
            return settled
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                invoices = self._create_moves([plan["invoice_values"] for _s, plan in plans])
        except Exception:  # pylint: disable=broad-except
            _logger.info("q2c billing: one create of %s invoices failed; one by one", len(plans))
            invoices = None
        for index, (line, plan) in enumerate(plans):
            if invoices is not None:
                line._finish_invoice(plan, invoices[index])
                continue
            try:
                with self.env.cr.savepoint():
                    line._finish_invoice(plan, line._create_single(plan))
            except BillingBlocked as error:
                line.write({"state": "blocked", "reason": str(error)})
            except (UserError, ValidationError) as error:
                line.write({"state": "error", "reason": str(error)})
            except Exception:
                if line == self:
                    raise
                _logger.exception(
                    "q2c billing: contract %s left to its own job", line.contract_id.id
                )
        settled = siblings.filtered(lambda line: line.state != "to_do")
        settled._settle_jobs(self)
        return settled

    @api.model
    def _lock_skipping(self, table, ids, limit=None, lock="FOR UPDATE"):
        """Lock up to `limit` rows of `table` among `ids` (in that order), skipping the rows
        another transaction holds (SKIP LOCKED) and those another one changed since this
        transaction began: under REPEATABLE READ PostgreSQL refuses to lock those (a
        serialization failure), so when the one statement for all of them fails, each row
        is tried in its own savepoint. Returns the ids locked. (Jobs of one run run at the
        same time: another worker may have billed a sibling, or the job runner handed its
        job out, since this job began.)"""
        if not ids:
            return []
        query = SQL(
            "SELECT id FROM %s WHERE id = ANY(%s) ORDER BY array_position(%s, id) %s %s"
            " SKIP LOCKED",
            SQL.identifier(table),
            ids,
            ids,
            SQL("LIMIT %s", limit) if limit is not None else SQL(),
            SQL(lock),
        )
        cr = self.env.cr
        try:
            with cr.savepoint(flush=False):
                cr.execute(query, log_exceptions=False)
                return [row[0] for row in cr.fetchall()]
        except psycopg2.errors.SerializationFailure:
            return self._lock_one_by_one(table, ids, limit, lock)

    @api.model
    def _lock_one_by_one(self, table, ids, limit, lock):
        """`_lock_skipping` row by row, each in its own savepoint: a row PostgreSQL
        refuses to lock (changed since this transaction began) is passed over."""
        cr = self.env.cr
        locked = []
        for row_id in ids:
            if limit is not None and len(locked) >= limit:
                break
            row_query = SQL(
                "SELECT id FROM %s WHERE id = %s %s SKIP LOCKED",
                SQL.identifier(table),
                row_id,
                SQL(lock),
            )
            try:
                with cr.savepoint(flush=False):
                    cr.execute(row_query, log_exceptions=False)
                    locked += [row[0] for row in cr.fetchall()]
            except psycopg2.errors.SerializationFailure:
                continue
        return locked

    def _settle_jobs(self, billed_by):
        """The queued jobs of these results, which `billed_by`'s job settled with its own,
        are marked done with what happened, in the same transaction (undone with it): the
        runner never starts them. A job already handed to a worker (enqueued, started) or
        locked by one is left alone: it runs, finds its result settled and does nothing."""
        uuids = [line.job_uuid for line in self if line.job_uuid]
        if not uuids:
            return
        self.env.cr.execute(
            "SELECT id FROM queue_job WHERE uuid = ANY(%s) AND state = 'pending' ORDER BY id",
            [uuids],
        )
        pending = [row[0] for row in self.env.cr.fetchall()]
        locked = self._lock_skipping("queue_job", pending, lock="FOR NO KEY UPDATE")
        jobs = self.env["queue.job"].sudo().browse(locked)
        if not jobs:
            return
        result = _(
            "Nothing to do: the contract was billed by the job of %s.",
            billed_by.contract_id.display_name,
        )
        # What queue_job's `_change_job_state("done")` writes on each job (Job.set_done),
        # in one write; a job that others wait for goes through it, which also enqueues
        # them (billing runs enqueue none).
        waited_for = jobs.filtered(lambda job: (job.dependencies or {}).get("reverse_depends_on"))
        (jobs - waited_for).write(
            {
                "state": "done",
                "date_done": fields.Datetime.now(),
                "result": result,
                "exc_name": False,
                "exc_info": False,
            }
        )
        waited_for._change_job_state("done", result=result)

    def _plan_siblings(self, siblings):
        """Each sibling's invoice plan, in its own savepoint: [(sibling, plan)] of the
        invoices to create together. A blocked sibling, or one Odoo refuses, is recorded;
        one that needs a credit note is billed alone here; an unexpected failure leaves the
        sibling to its own job."""
        plans = []
        with siblings._batch_reads():
            for sibling in siblings:
                plan = self._plan_sibling(sibling)
                if plan:
                    plans.append((sibling, plan))
        return plans

    def _plan_sibling(self, sibling):
        """One sibling's plan, as `_plan_own` makes it; an unexpected failure (its writes
        undone) leaves the sibling to its own job."""
        try:
            return sibling._plan_own()
        except Exception:  # pylint: disable=broad-except
            _logger.exception(
                "q2c billing: contract %s left to its own job", sibling.contract_id.id
            )
        return None

    @contextmanager
    def _batch_reads(self):
        """Volume (docs/billing.md): while these results of one run are planned together,
        what planning reads per contract the same way for each (the entries to bill, the
        rate checks, whether a day rate is possible) is read once for all of them
        (`_read_batch`) and kept in the transaction's cache (`cr.cache`) until the block
        ends. The answers are those of the per-contract reads in the same transaction
        snapshot; a contract with an entry the checks stop is left to its own reads, which
        raise with the details."""
        memo = self.env.cr.cache.setdefault(BATCH_READS, {})
        memo.update(self._read_batch() if self else {})
        try:
            yield
        finally:
            for line_id in self.ids:
                memo.pop(line_id, None)

    def _batch_read(self):
        """This result's batch reads ({"time", "expenses", "day_rates"}) while its batch is
        planned, else None."""
        return self.env.cr.cache.get(BATCH_READS, {}).get(self.id)

    def _read_batch(self):
        """{result id: {"time": entries, "expenses": expenses, "day_rates": bool}} for
        results of one run, from set-based reads: the `_entries_to_bill` and
        `_day_rates_possible` of each, as superuser for the entries (see
        `_entries_to_bill`). The time entries of the batch share one prefetch set: the
        ORM reads their other fields a thousand at a time, not per contract."""
        run = self.run_id
        run.ensure_one()
        contracts = self.contract_id
        reach = [("date", "<=", run.date_to)]
        Time = self.env["account.analytic.line"].sudo()
        Expense = self.env["hr.expense"].sudo()
        timed = self.filtered(lambda line: line._bills_time()).contract_id
        held = [("q2c_approved_at", "<=", run.cutoff), *reach]
        stopped = {
            contract.id
            for [contract] in Time._read_group(
                [("q2c_contract_id", "in", timed.ids), *held, *self._no_rate_domain()],
                ["q2c_contract_id"],
            )
        } | {
            contract.id
            for [contract] in Expense._read_group(
                [
                    ("q2c_contract_id", "in", contracts.ids),
                    *held,
                    ("q2c_billing_status", "=", "no_rate"),
                ],
                ["q2c_contract_id"],
            )
        }
        time = Time.search_fetch(
            [*Time._q2c_billable_domain(timed, run.cutoff), *reach],
            ["q2c_contract_id", "q2c_correction_kind"],
            order="date, id",
        )
        expenses = Expense.search(
            [*Expense._q2c_billable_domain(contracts, run.cutoff), *reach], order="date, id"
        )
        time_of, expenses_of = defaultdict(list), defaultdict(list)
        for entry in time:
            time_of[entry.q2c_contract_id.id].append(entry.id)
        for expense in expenses:
            expenses_of[expense.q2c_contract_id.id].append(expense.id)
        day_rates = self._read_day_rates()
        prefetch = time._prefetch_ids
        return {
            line.id: {
                "time": time.browse(time_of[line.contract_id.id]).with_prefetch(prefetch),
                "expenses": expenses.browse(expenses_of[line.contract_id.id]),
                "day_rates": day_rates[line.id],
            }
            for line in self
            if line.contract_id.id not in stopped
        }

    def _read_day_rates(self):
        """{result id: `_day_rates_possible`} from one read of the rate cards with a day
        line and one of the contracts' day overrides; each contract's cards are looked at
        only when some card has a day line."""
        day = [("unit", "=", "day")]
        day_cards = {
            card.id for [card] in self.env["q2c.rate.card.line"]._read_group(day, ["card_id"])
        }
        overridden = {
            contract.id
            for [contract] in self.env["q2c.rate.override"]._read_group(
                [("contract_id", "in", self.contract_id.ids), *day], ["contract_id"]
            )
        }
        return {
            line.id: line.contract_id.id in overridden
            or bool(day_cards and day_cards.intersection(line._rate_cards().ids))
            for line in self
        }

    def _create_single(self, plan):
        if not plan["invoice_values"]:
            return self.env["account.move"]
        return self._create_moves([plan["invoice_values"]])

    # ------------------------------------------------------------------ checks

    def _full_specs(self, time, expenses):
        """Every line of the invoice: time at full value, corrections, expenses; the ones
        under the contract's cap are marked `under_cap` (fees; expenses when the cap's scope
        includes them)."""
        fees = [*self._time_specs(time), *self._correction_specs(time)]
        expense_specs = self._expense_specs(expenses)
        if self.contract_id._nte_capped():
            for spec in fees:
                spec["under_cap"] = True
            if self.contract_id.nte_scope == "fees_and_expenses":
                for spec in expense_specs:
                    spec["under_cap"] = True
        return fees + expense_specs

    def _check_billable(self):
        """Raise BillingBlocked with the reason, else return the sales journal."""
        contract, company = self.contract_id, self.company_id
        if contract.state != "active":
            raise BillingBlocked(
                _(
                    MESSAGES["not_active"],
                    contract=contract.display_name,
                    state=dict(contract._fields["state"]._description_selection(self.env))[
                        contract.state
                    ],
                )
            )
        if contract.billing_model not in self.env["q2c.billing.run"]._billed_models():
            model = dict(contract._fields["billing_model"]._description_selection(self.env))
            raise BillingBlocked(
                _(
                    MESSAGES["model"],
                    contract=contract.display_name,
                    model=model[contract.billing_model],
                )
            )
        if not contract.partner_id:
            raise BillingBlocked(_(MESSAGES["no_customer"], contract=contract.display_name))
        customer_company = contract.partner_id.company_id
        if customer_company and customer_company not in company.parent_ids:
            raise BillingBlocked(
                _(
                    MESSAGES["customer_company"],
                    customer=contract.partner_id.display_name,
                    contract=contract.display_name,
                    other=customer_company.name,
                    company=company.name,
                )
            )
        journal = self._sales_journal()
        if not journal:
            raise BillingBlocked(_(MESSAGES["no_journal"], company=company.name))
        self._check_lock_dates(journal)
        self._check_exchange_rate()
        return journal

    def _check_lock_dates(self, journal):
        """The run's invoice date must be open in the company's accounting (fiscal year,
        sales and hard lock dates, as this user's exceptions leave them): Odoo would
        otherwise date the invoice's entries after the lock without a word."""
        company = self.company_id
        date = self.run_id.invoice_date
        locks = company._get_violated_lock_dates(date, False, journal)
        if locks:
            raise BillingBlocked(
                _(
                    MESSAGES["locked"],
                    date=date,
                    locks=company._format_lock_dates(locks),
                )
            )

    def _sales_journal(self):
        """The company's first sales journal; override to choose another per contract."""
        return self.contract_id._invoice_sales_journal(self.company_id)

    def _check_exchange_rate(self):
        """An invoice in another currency than the company's needs a rate on or before its
        date; Odoo would otherwise convert at 1.0 or at a later rate."""
        currency, company = self.contract_id.currency_id, self.company_id
        if currency == company.currency_id:
            return
        rate = (
            self.env["res.currency.rate"]
            .sudo()
            .search(
                [
                    ("currency_id", "=", currency.id),
                    ("company_id", "in", (False, company.root_id.id)),
                    ("name", "<=", self.run_id.invoice_date),
                ],
                limit=1,
            )
        )
        if not rate:
            raise BillingBlocked(
                _(MESSAGES["no_fx"], currency=currency.name, date=self.run_id.invoice_date)
            )

    # ------------------------------------------------------------------ entries

    def _entries_to_bill(self):
        """(time entries, expenses) the run takes for this contract: approved before the
        cut-off, billable, not billed, work date in the period or earlier. Raises
        BillingBlocked when an approved entry of the same reach has no rate.

        Read as superuser: Finance bills the time and expenses of every employee, which
        timesheet and expense record rules do not show it; the run's transition checks made
        sure the user is Finance."""
        read = self._batch_read()
        if read:
            return read["time"], read["expenses"]
        contract, run = self.contract_id, self.run_id
        reach = [("date", "<=", run.date_to)]
        Time = self.env["account.analytic.line"].sudo()
        Expense = self.env["hr.expense"].sudo()
        self._check_rates(Time, Expense, reach)
        time = Time.browse()
        if self._bills_time():
            time = Time.search(
                [*Time._q2c_billable_domain(contract, run.cutoff), *reach], order="date, id"
            )
        expenses = Expense.search(
            [*Expense._q2c_billable_domain(contract, run.cutoff), *reach], order="date, id"
        )
        return time, expenses

    def _check_rates(self, Time, Expense, reach):
        contract, cutoff = self.contract_id, self.run_id.cutoff
        held = [("q2c_contract_id", "=", contract.id), ("q2c_approved_at", "<=", cutoff), *reach]
        no_rate = Time.browse()
        if self._bills_time():
            no_rate = Time.search([*held, *self._no_rate_domain()], order="date, id")
        if no_rate:
            raise BillingBlocked(
                _(
                    MESSAGES["no_rate"],
                    count=len(no_rate),
                    plural="y" if len(no_rate) == 1 else "ies",
                    entries="; ".join(
                        f"{line.employee_id.name} {line.date} {line.unit_amount:.2f} h"
                        for line in no_rate[:10]
                    ),
                )
            )
        no_fx = Expense.search([*held, ("q2c_billing_status", "=", "no_rate")])
        if no_fx:
            raise BillingBlocked(
                _(
                    MESSAGES["expense_no_fx"],
                    count=len(no_fx),
                    entries="; ".join(no_fx[:10].mapped("q2c_hold_reason")),
                )
            )

    @api.model
    def _no_rate_domain(self):
        """Time entries that stop their contract's invoice: no rate, or a zero rate."""
        return [
            "|",
            ("q2c_billing_status", "=", "no_rate"),
            "&",
            ("q2c_billing_status", "=", "to_bill"),
            ("q2c_rate", "=", 0.0),
        ]

    def _bills_time(self):
        """Whether this contract bills its time: time logged on a fixed-fee contract is
        cost only (billing-domain.md 1.3), its milestones are what it bills."""
        return self.contract_id.billing_model != "fixed_fee"

    # ------------------------------------------------------------------ invoice lines

    def _time_specs(self, time, hours=None):
        """T&M lines (billing-domain.md 1.1): entries grouped by employee, role, rate source,
        stored rate and calendar month of the work date; quantity = the sum of the hours,
        amount = round(quantity x rate) half-up, once per line. The name carries the
        service dates. `hours`: {entry id: hours billed} for entries billed in part (a cap
        in truncate mode), else their own hours."""
        hours = hours or {}
        currency = self.contract_id.currency_id
        groups = {}
        rows, people = self._time_rows(time)
        for entry_id, employee_id, day, unit_amount, rate_source, rate in sorted(
            rows, key=lambda row: (people[row[1]][2], row[2], row[0])
        ):
            employee, role, _name = people[employee_id]
            key = (employee.id, role.id, rate_source or False, rate, day.year, day.month)
            group = groups.setdefault(
                key,
                {
                    "ids": [],
                    "hours": Decimal(0),
                    "first": day,
                    "last": day,
                    "employee": employee,
                    "role": role,
                    "rate": rate,
                },
            )
            # Ids collected, one recordset per group at the end: a union per entry copies
            # the group's recordset each time (quadratic in the entries of a group).
            group["ids"].append(entry_id)
            group["hours"] += Decimal(repr(hours.get(entry_id, unit_amount)))
            group["last"] = max(group["last"], day)
        day_rates = bool(groups) and self._day_rates_possible()
        specs = []
        for group in groups.values():
            # The group shares the entries' prefetch set (the batch's, `_read_batch`).
            group["entries"] = time.browse(group.pop("ids")).with_prefetch(time._prefetch_ids)
            quantity = self._billed_quantity(group) if day_rates else float(group["hours"])
            name = self._time_name(group["employee"], group["role"], group["first"], group["last"])
            if group["last"] < self.run_id.date_from:
                name += _(MESSAGES["late"])
            specs.append(
                self._spec(
                    name,
                    quantity,
                    group["rate"],
                    group["entries"],
                    line_amount(currency, quantity, group["rate"]),
                )
            )
        return specs

    def _time_rows(self, time):
        """The regular entries of `time` (not corrections), as rows (id, employee id, work
        date, hours, rate source, rate) read in one query, and {employee id: (employee,
        role, name)}: a contract's month is hundreds of entries, grouped without reading
        each one's fields through the ORM (the grouping is billing-domain.md 1.1's)."""
        fnames = ["employee_id", "date", "unit_amount", "q2c_rate_source", "q2c_rate"]
        time.flush_recordset([*fnames, "q2c_correction_kind"])
        rows = self.env.execute_query(
            SQL(
                """SELECT id, employee_id, date, unit_amount, q2c_rate_source, q2c_rate
                     FROM account_analytic_line
                    WHERE id = ANY(%s) AND q2c_correction_kind IS NULL""",
                time.ids,
            )
        )
        rows = [(*row[:3], row[3] or 0.0, row[4], row[5] or 0.0) for row in rows]
        Employee = self.env["hr.employee"].with_env(time.env)
        people = {None: (Employee, Employee.job_id, "")}
        employees = Employee.browse({row[1] for row in rows if row[1]})
        employees.fetch(["name", "job_id"])
        for employee in employees:
            people[employee.id] = (employee, employee.job_id, employee.name or "")
        return rows, people

    def _day_rates_possible(self):
        """Whether any rate the contract can resolve is a day rate (an override of the
        contract, a line of its cards, of the customer's or the company default card). When
        none is, every group is billed in hours and no group needs its rate resolved again
        (`_billed_quantity`): two counts per contract instead of a resolution per group."""
        read = self._batch_read()
        if read:
            return read["day_rates"]
        contract = self.contract_id
        day = [("unit", "=", "day")]
        return bool(
            self.env["q2c.rate.card.line"].search_count(
                [("card_id", "in", self._rate_cards().ids), *day], limit=1
            )
            or self.env["q2c.rate.override"].search_count(
                [("contract_id", "=", contract.id), *day], limit=1
            )
        )

    def _rate_cards(self):
        """The cards the contract's rates can come from: its own, the customer's, the
        company default."""
        contract = self.contract_id
        return (
            contract.rate_card_ids
            | contract._customer_rate_card()
            | contract._company_default_rate_card()
        )

    def _billed_quantity(self, group):
        """Hours, or for a day rate round(hours / hours per day, 2) days (billing-domain.md
        1.1). Entries store their rate, not its unit: the unit is read from the rate the
        contract resolves for the group, when that is still the stored rate."""
        hours = float(group["hours"])
        try:
            resolution = self.contract_id._resolve_rate(
                group["first"],
                group["employee"],
                role=group["role"],
                project=group["entries"][:1].project_id,
            )
        except UserError:
            return hours
        if self.contract_id.currency_id.compare_amounts(resolution.rate, group["rate"]):
            return hours
        return resolution.quantity(hours)

    def _correction_specs(self, time):
        """Reversal and replacement entries (billing-domain.md 1.9) settle on this invoice as
        lines of their own, negative or positive, naming the invoice that billed the
        original entry."""
        currency = self.contract_id.currency_id
        specs = []
        corrections = time.filtered("q2c_correction_kind")
        for line in corrections.sorted(lambda line: (line.date, line.id)):
            kind = dict(line._fields["q2c_correction_kind"]._description_selection(self.env))
            name = _(
                MESSAGES["correction"],
                invoice=self._origin_invoice_name(line),
                kind=kind[line.q2c_correction_kind].lower(),
            )
            name += self._time_name(
                line.employee_id, line.employee_id.job_id, line.date, line.date
            )
            amount = line_amount(currency, line.unit_amount, line.q2c_rate)
            specs.append(self._spec(name, line.unit_amount, line.q2c_rate, line, amount))
        return specs

    def _expense_specs(self, expenses):
        """Re-billed expenses at their billed value, one line each (billing-domain.md 1.5),
        as q2c_expense prices them; corrections name the original invoice."""
        specs = []
        for priced in self.contract_id._price_expenses(expenses):
            expense = priced["expense"]
            name = priced["description"]
            if expense.q2c_correction_kind:
                kind = dict(
                    expense._fields["q2c_correction_kind"]._description_selection(self.env)
                )
                name = (
                    _(
                        MESSAGES["correction"],
                        invoice=self._origin_invoice_name(expense),
                        kind=kind[expense.q2c_correction_kind].lower(),
                    )
                    + name
                )
            specs.append(
                self._spec(
                    name, priced["quantity"], priced["price_unit"], expense, priced["amount"]
                )
            )
        return specs

    @api.model
    def _time_name(self, employee, role, first, last):
        """ "Employee - Role, first..last": who, in which role, and the service dates."""
        label = f"{employee.name} - {role.name}" if role else employee.name
        dates = str(first) if first == last else f"{first}..{last}"
        return f"{label}, {dates}"

    @api.model
    def _origin_invoice_name(self, entry):
        origin = entry.q2c_origin_id
        return origin.q2c_invoice_id.name or origin.q2c_billing_ref or origin.display_name

    @api.model
    def _spec(self, name, quantity, price_unit, entries, amount):
        return {
            "name": name,
            "quantity": quantity,
            "price_unit": price_unit,
            "entries": entries,
            "amount": amount,
        }

    # ------------------------------------------------------------------ the invoice

    def _invoice_values(self, journal, specs, move_type="out_invoice"):
        """The draft invoice: the contract's customer, currency and analytic account, the
        customer's payment terms and fiscal position, the run's period as service period
        (each line's name carries its own dates), lines through `invoice_line_ids` only
        (Odoo writes the journal items)."""
        contract = self.contract_id
        distribution = contract._invoice_analytic_distribution()
        header = contract._invoice_header(self.company_id, journal)
        account = self._income_account(journal, header["partner_id"], move_type)
        lines = []
        for sequence, spec in enumerate(specs, start=1):
            vals = {
                "sequence": sequence * 10,
                "name": spec["name"],
                "quantity": spec["quantity"],
                "price_unit": spec["price_unit"],
            }
            if spec.get("under_cap"):
                vals["q2c_cap_contract_id"] = contract.id
            vals["account_id"] = spec["account"].id if spec.get("account") else account.id
            if distribution:
                vals["analytic_distribution"] = distribution
            lines.append(Command.create(vals))
        return {
            **header,
            "move_type": move_type,
            "invoice_date": self.run_id.invoice_date,
            "q2c_service_date_from": self.run_id.date_from,
            "q2c_service_date_to": self.run_id.date_to,
            "invoice_origin": f"{contract.display_name} ({self.run_id.name})",
            "q2c_billing_line_id": self.id,
            "invoice_line_ids": lines,
        }

    def _income_account(self, journal, partner_id, move_type):
        """The account of the lines without one of their own: the one Odoo gives a line
        without a product (account.move.line `_compute_account_id`): the customer's most
        frequent account of the kind in the company (over Odoo's own look-back), else the
        sales journal's. Asked once per invoice: Odoo would ask it once per line, the
        same question for each."""
        partner = self.env["res.partner"].browse(partner_id).commercial_partner_id
        account_id = self.env["account.account"]._get_most_frequent_account_for_partner(
            company_id=self.company_id.id, partner_id=partner.id, move_type=move_type
        )
        return self.env["account.account"].browse(account_id) or journal.default_account_id

    # ------------------------------------------------------------------ corrections (1.9)

    @api.model
    def _is_correction(self, spec):
        """A line of a reversal or a replacement of billed time or an expense."""
        entries = spec["entries"]
        return (
            "link" not in spec
            and entries._name in ("account.analytic.line", "hr.expense")
            and bool(entries)
            and all(entries.mapped("q2c_correction_kind"))
        )

    def _settlement_specs(self, specs):
        """(invoice specs, credit note specs): where this period's lines settle
        (billing-domain.md 1.9).

        * The policy is "by a credit note" (the contract's, else the company's) and the
          corrections' net is a credit: the corrections go to a credit note for their net,
          everything else stays on the invoice. A retainer's corrections stay with its funds
          on the invoice (what a reversal gives back to the funds costs the client nothing,
          1.4); the rule below still applies to it.
        * Otherwise, when the net of every line is a credit, the whole period is one credit
          note for that net (its lines those of the invoice, signs turned); else one invoice.

        Worked example (the tests'): the March invoice billed 6.00 h x 160.00 = 960.00; the
        entry is edited to 4.00 h. April's lines: reversal -6.00 h x 160.00 = -960.00,
        replacement 4.00 h x 160.00 = 640.00 (corrections' net -320.00), April's own work
        2.00 h x 170.00 = 340.00. Next invoice: one invoice of 340.00 - 320.00 = 20.00.
        Credit note policy: an invoice of 340.00 and a credit note of 320.00 on the March
        invoice. Without April's work, under either policy: a credit note of 320.00.

        The not-to-exceed adjustment was computed on every line, corrections included, and
        stays on the invoice: posted, the invoice less the credit note moves the billed to
        date by the same amount as the one invoice would (1.2: credit notes count
        negative). With a credit, no excess is withheld (V < 0), so the invoice part,
        time plus a release, is never negative."""
        currency = self.contract_id.currency_id
        corrections = [spec for spec in specs if self._is_correction(spec)]

        def net(part):
            return round_half_up(
                currency, sum((Decimal(repr(spec["amount"])) for spec in part), Decimal(0))
            )

        if (
            corrections
            and self.contract_id._correction_policy() == "credit_note"
            and self.contract_id.billing_model != "retainer"
            and currency.compare_amounts(net(corrections), 0.0) < 0
        ):
            rest = [spec for spec in specs if not any(spec is kept for kept in corrections)]
            return rest, corrections
        if currency.compare_amounts(net(specs), 0.0) < 0:
            return [], specs
        return specs, []

    def _credit_note_values(self, journal, specs):
        """A credit note (`out_refund`) of `specs` for their net: each line's quantity
        turned (a reversal's -6.00 h becomes 6.00 h credited), the price kept; it names
        the invoice it corrects (`reversed_entry_id`) when every correction refers to the
        same posted invoice, which Odoo then reconciles with it when it is posted."""
        turned = [{**spec, "quantity": -spec["quantity"]} for spec in specs]
        values = self._invoice_values(journal, turned, move_type="out_refund")
        origins = self.env["account.move"]
        for spec in specs:
            if self._is_correction(spec):
                origins |= spec["entries"].q2c_origin_id.q2c_invoice_id
        if len(origins) == 1 and origins.state == "posted":
            values["reversed_entry_id"] = origins.id
        return values

    def _link_entries(self, invoice, specs):
        """Each entry points to the invoice line that billed it, and is marked billed: one
        write per invoice line of its entries (the link and the billed status together)."""
        invoice_lines = invoice.invoice_line_ids.sorted("sequence")
        reference = f"{self.run_id.name} {self.contract_id.code}"
        ledger = []
        for spec, invoice_line in zip(specs, invoice_lines, strict=True):
            if "link" in spec:
                spec["link"](invoice_line)
                continue
            entries = spec["entries"]
            if entries._name == "q2c.contract.milestone":
                entries._q2c_bill_share(invoice_line, spec)
                continue
            entries.sudo()._q2c_guarded_write(
                {"q2c_invoice_line_id": invoice_line.id, **entries._q2c_billed_values(reference)}
            )
            ledger += [
                {**row, "invoice_line_id": invoice_line.id} for row in spec.get("ledger", ())
            ]
        self._write_cap_ledger(invoice, ledger)

    # ------------------------------------------------------------------ not-to-exceed caps

    def _locks_contract(self):
        """Whether the job writes its contract's row first (see `_lock_cap`): a capped
        contract's headroom, a retainer's funds."""
        return self.contract_id._nte_capped()

    @api.model
    def _lock_cap(self, contract):
        """Two jobs billing the same capped contract (runs of different periods) must not
        both spend the same headroom: each writes the contract's row before reading what is
        billed, so the second one waits for the first and then fails to serialize; queue_job
        retries it, and it then sees the first one's invoice."""
        self.env.cr.execute(
            "UPDATE q2c_contract SET write_date = write_date WHERE id = %s", [contract.id]
        )

    def _cap_adjustment_specs(self, specs):
        """Mode `adjustment` (billing-domain.md 1.2, GC-02): the lines are billed in full;
        with V the value under the cap, H the headroom and `held` the ledger balance,
        release = min(held, H) comes back as release lines (oldest hold first) and
        excess = max(0, V - (H - release)) goes out as one negative line and into the
        ledger. The arithmetic is q2c_contract's `nte_adjustment`."""
        contract = self.contract_id
        if not contract._nte_capped():
            return []
        currency = contract.currency_id
        value = round_half_up(
            currency,
            sum(Decimal(repr(spec["amount"])) for spec in specs if spec.get("under_cap")),
        )
        # Amounts only: hours held in truncate mode are released as time.
        holds = (
            self.env["q2c.cap.hold"]
            ._open_holds(contract)
            .filtered(lambda hold: not hold.timesheet_id)
        )
        held = currency.round(sum(hold._live_remaining() for hold in holds))
        result = nte_adjustment(currency, value, contract.nte_amount, contract._nte_billed(), held)
        cap_specs = []
        left = result["release"]
        for hold in holds:
            if currency.compare_amounts(left, 0.0) <= 0:
                break
            part = min(hold._live_remaining(), left)
            name = _(MESSAGES["cap_release"], invoice=hold._invoice_label())
            ledger = {"kind": "release", "amount": part, "hold_id": hold.id, "name": name}
            cap_specs.append(self._cap_spec(name, part, ledger))
            left = currency.round(left - part)
        excess = result["excess"]
        if currency.compare_amounts(excess, 0.0) > 0:
            name = _(MESSAGES["cap_excess"], cap=contract._fmt(contract.nte_amount))
            ledger = {"kind": "hold", "amount": excess, "name": name}
            cap_specs.append(self._cap_spec(name, -excess, ledger))
        return cap_specs

    def _cap_spec(self, name, amount, ledger):
        spec = self._spec(name, 1.0, amount, self.env["account.analytic.line"], amount)
        spec.update(under_cap=True, ledger=[ledger])
        return spec

    def _truncated_specs(self, time, expenses):
        """Mode `truncate` (billing-domain.md 1.2, GC-02 variant): within the headroom,
        first the hours held on earlier invoices (oldest first), then this period's entries
        by work date and id; the entry that crosses the cap is billed in part (whole
        hundredths of an hour) and the rest of it, and every later entry, is held in the
        ledger. Corrections are billed in full and move the headroom. Returns (specs, the
        ledger rows of what is held)."""
        contract = self.contract_id
        currency = contract.currency_id
        regular = time.filtered(lambda line: not line.q2c_correction_kind)
        headroom = max(
            round_half_up(
                currency,
                Decimal(repr(contract.nte_amount)) - Decimal(repr(contract._nte_billed())),
            ),
            0.0,
        )
        corrections = self._correction_specs(time)
        # Fees billed outright (a pre-bill review's amount adjustments): within the cap too.
        extra = self._cap_fee_specs()
        budget = Decimal(repr(headroom)) - sum(
            (Decimal(repr(spec["amount"])) for spec in corrections + extra), Decimal(0)
        )
        released, budget = self._release_held_hours(budget)
        billed_hours, holds = {}, []
        for line in regular.sorted(lambda line: (line.date, line.id)):
            entry_hours, rate = self._cap_entry_terms(line)
            hours = self._hours_within(budget, entry_hours, rate)
            budget -= Decimal(repr(hours)) * Decimal(repr(rate))
            if hours > 0:
                billed_hours[line.id] = hours
            rest = float(Decimal(repr(entry_hours)) - Decimal(repr(hours)))
            if rest > 0:
                holds.append(self._held_hours_row(line, rest, rate))
        billed = regular.filtered(lambda line: line.id in billed_hours)
        fees = [*released, *self._time_specs(billed, billed_hours), *corrections]
        expense_specs = self._expense_specs(expenses)
        under_cap = fees + (expense_specs if contract.nte_scope == "fees_and_expenses" else [])
        for spec in under_cap + extra:
            spec["under_cap"] = True
        return fees + expense_specs + extra, holds

    def _cap_entry_terms(self, line):
        """(hours, unit rate) at which a time entry is billed under a truncating cap: its
        recorded hours at its stored rate; a pre-bill review's billed hours and rate when
        it adjusted them (billing-domain.md 1.6: the cap applies to the billed value)."""
        return line.unit_amount, line.q2c_rate

    def _cap_fee_specs(self):
        """Fee lines billed outright beside the time under a truncating cap (none here; a
        pre-bill review's amount adjustments): they take their part of the headroom first."""
        return []

    @api.model
    def _hours_within(self, budget, hours, rate):
        """The hours of an entry at `rate` that fit in `budget`: all of them, or the whole
        hundredths of an hour the budget pays for."""
        rate = Decimal(repr(rate))
        hours = Decimal(repr(hours))
        if rate <= 0 or hours * rate <= budget:
            return float(hours)
        if budget <= 0:
            return 0.0
        return float(min(hours, (budget / rate).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)))

    def _held_hours_row(self, line, hours, rate=None):
        currency = self.contract_id.currency_id
        rate = line.q2c_rate if rate is None else rate
        name = self._time_name(line.employee_id, line.employee_id.job_id, line.date, line.date)
        return {
            "kind": "hold",
            "timesheet_id": line.id,
            "hours": hours,
            "rate": rate,
            "amount": line_amount(currency, hours, rate),
            "name": f"{name}: " + _(MESSAGES["cap_held_time"], hours=f"{hours:.2f}"),
        }

    def _release_held_hours(self, budget):
        """Release lines for the hours held on earlier invoices that fit in `budget`, oldest
        first, grouped per employee, role, rate and month like time (one line each, naming
        the invoice that held them). Returns (specs, the budget left)."""
        currency = self.contract_id.currency_id
        holds = self.env["q2c.cap.hold"]._open_holds(self.contract_id).filtered("timesheet_id")
        groups = {}
        for hold in holds:
            left = hold._live_remaining_hours()
            hours = self._hours_within(budget, left, hold.rate)
            if hours <= 0:
                break
            budget -= Decimal(repr(hours)) * Decimal(repr(hold.rate))
            entry = hold.timesheet_id
            key = (entry.employee_id.id, hold.rate, entry.date.year, entry.date.month)
            group = groups.setdefault(
                key, {"holds": [], "hours": Decimal(0), "entry": entry, "rate": hold.rate}
            )
            group["hours"] += Decimal(repr(hours))
            group["holds"].append((hold, hours))
            group["first"] = min(group.get("first", entry.date), entry.date)
            group["last"] = max(group.get("last", entry.date), entry.date)
        specs = []
        for group in groups.values():
            entry = group["entry"]
            quantity = float(group["hours"])
            name = self._time_name(
                entry.employee_id, entry.employee_id.job_id, group["first"], group["last"]
            ) + _(MESSAGES["cap_released_time"], invoice=group["holds"][0][0]._invoice_label())
            ledger, entries = [], self.env["account.analytic.line"].sudo()
            for hold, hours in group["holds"]:
                ledger.append(
                    {
                        "kind": "release",
                        "hold_id": hold.id,
                        "timesheet_id": hold.timesheet_id.id,
                        "hours": hours,
                        "rate": hold.rate,
                        "amount": line_amount(currency, hours, hold.rate),
                        "name": name,
                    }
                )
                fully = float_compare(hours, hold._live_remaining_hours(), precision_digits=2) == 0
                if fully and hold.timesheet_id.q2c_billing_status == "nte_held":
                    entries |= hold.timesheet_id
            spec = self._spec(
                name,
                quantity,
                group["rate"],
                entries,
                line_amount(currency, quantity, group["rate"]),
            )
            spec["ledger"] = ledger
            specs.append(spec)
        return specs, budget

    def _write_cap_ledger(self, invoice, rows):
        """The ledger rows of `invoice`; an entry wholly held is marked `nte_held`."""
        if not rows:
            return
        contract = self.contract_id
        self.env["q2c.cap.hold"].sudo().create(
            [
                {
                    "contract_id": contract.id,
                    "date": invoice.invoice_date,
                    "run_line_id": self.id,
                    "invoice_id": invoice.id,
                    **row,
                }
                for row in rows
            ]
        )
        wholly = [
            row["timesheet_id"]
            for row in rows
            if row["kind"] == "hold" and row.get("timesheet_id")
        ]
        held = self.env["account.analytic.line"].sudo().browse(wholly)
        held.filtered(lambda line: line.q2c_billing_status == "to_bill")._q2c_guarded_write(
            {"q2c_billing_status": "nte_held"}
        )
