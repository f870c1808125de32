import logging
from bisect import bisect_right
from collections import defaultdict
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from ..ingest import APPROVAL_STATES, fingerprint, split_valid, validate

_logger = logging.getLogger(__name__)

BILLING_STATUSES = [
    ("pending_approval", "Held: awaiting approval"),
    ("not_billable", "Not billable"),
    ("no_contract", "Held: no contract"),
    ("no_rate", "Held: no rate"),
    ("to_bill", "To bill"),
    ("billed", "Billed"),
    ("deleted", "Deleted at source"),
]
CORRECTION_KINDS = [("reversal", "Reversal"), ("replacement", "Replacement")]
# Fields that describe the work: frozen once the line is billed (billing-domain.md 1.9).
BILLED_FIELDS = {
    "employee_id", "project_id", "task_id", "date", "unit_amount", "name", "q2c_billable",
    "q2c_approval_state", "q2c_rate", "q2c_contract_id", "q2c_system_id", "q2c_external_id",
}  # fmt: skip
CHUNK = 1000
# The Odoo model each reference type must point to (a reference bound to anything else is
# not a mapping for time entries).
REF_MODELS = {
    "employee": "hr.employee",
    "project": "project.project",
    "issue": "project.project",
    "task": "project.task",
}
RESULT_MESSAGES = {
    "unmapped_employee": "held: employee %s of this system is not mapped to an Odoo employee",
    "unmapped_project": "held: project %s of this system is not mapped to an Odoo project",
    "unmapped_task": "held: task %s of this system is not mapped to an Odoo task",
}


class AccountAnalyticLine(models.Model):
    _inherit = "account.analytic.line"

    q2c_system_id = fields.Many2one(
        "q2c.system", string="Source System", index="btree_not_null", readonly=True, copy=False
    )
    q2c_external_id = fields.Char(string="External ID", readonly=True, copy=False)
    q2c_approval_state = fields.Selection(
        APPROVAL_STATES, string="Approval", default="approved", copy=False, index=True
    )
    q2c_approved_at = fields.Datetime(
        "Approved At",
        copy=False,
        help="When the entry was approved (the source's time, else when q2c first saw it "
        "approved). A billing run takes entries approved before its cut-off, so an approval "
        "after the cut-off lands in the next run, at the rate of the work date.",
    )
    q2c_billable = fields.Boolean("Billable (q2c)", default=True)
    q2c_contract_id = fields.Many2one("q2c.contract", string="Contract", copy=False, index=True)
    q2c_currency_id = fields.Many2one(
        related="q2c_contract_id.currency_id", string="Contract Currency"
    )
    # A unit price, stored like Odoo's own (account.move.line.price_unit): a Float with the
    # "Product Price" precision, shown in the contract currency. The rate card's rate is
    # already rounded to that currency; values are rounded where amounts are computed
    # (`_q2c_value`). A Monetary here would make every batch insert look up each line's
    # currency.
    q2c_rate = fields.Float(
        "Bill Rate", digits="Product Price", copy=False,
        help="Resolved from the contract's rate cards at the work date; frozen once billed.",
    )  # fmt: skip
    q2c_rate_source = fields.Char("Rate Source", copy=False)
    q2c_billing_status = fields.Selection(
        BILLING_STATUSES, string="Billing Status", copy=False, index=True
    )
    q2c_hold_reason = fields.Char("Hold Reason", copy=False)
    q2c_billed_at = fields.Datetime("Billed At", copy=False, readonly=True)
    q2c_billing_ref = fields.Char("Billing Reference", copy=False, readonly=True)
    q2c_origin_id = fields.Many2one(
        "account.analytic.line", string="Corrects", copy=False, readonly=True, index=True,
        help="The billed entry this reversal or replacement corrects.",
    )  # fmt: skip
    q2c_correction_kind = fields.Selection(CORRECTION_KINDS, copy=False, readonly=True)
    q2c_fingerprint = fields.Char(copy=False, readonly=True)
    q2c_source_updated_at = fields.Datetime("Updated at Source", copy=False, readonly=True)

    _sql_constraints = [
        (
            "q2c_external_uniq",
            "unique(q2c_system_id, q2c_external_id)",
            "A time entry of a system is imported once: its external id is already used.",
        ),
    ]

    # ------------------------------------------------------------------ guards

    def write(self, vals):
        deferred = self.env.context.get("q2c_deferred_amounts")
        if deferred is not None and set(vals) == {"amount"}:
            # hr_timesheet writes each new line's cost on its own after create; during a
            # batch create those writes are collected and applied per distinct amount.
            for line_id in self.ids:
                deferred[line_id] = vals["amount"]
            return True
        if not self.env.context.get("q2c_correction") and BILLED_FIELDS & set(vals):
            billed = self.filtered(lambda line: line.q2c_billing_status == "billed")
            if billed:
                raise UserError(
                    _(
                        "Time entry %s is billed: it cannot be changed. An edit at the source "
                        "creates a correction (a reversal and a replacement).",
                        billed[0].display_name,
                    )
                )
        return super().write(vals)

    # ------------------------------------------------------------------ ingestion

    @api.model
    def _q2c_ingest(self, system, raw_entries):
        """Write a batch of normalised entries of `system`; one result dict per entry, in order.

        Set-based: per chunk one search of the external references, one of the existing
        lines and one `create(vals_list)`. Idempotent by (system, external id): the same
        entry again is `unchanged`. Invalid entries are `rejected` with the reason and never
        stop the others; unmapped ones are held (q2c.time.hold) and raise an exception for a
        person.
        """
        results = []
        for start in range(0, len(raw_entries), CHUNK):
            results.extend(self._q2c_ingest_chunk(system, raw_entries[start : start + CHUNK]))
        return results

    def _q2c_ingest_chunk(self, system, raw_entries):
        entries, results = split_valid(
            raw_entries, validate, lambda ext, reason: self._q2c_result(ext, "rejected", reason)
        )
        refs = self._q2c_map_refs(system, [entry for _i, entry in entries.values()])
        self._q2c_prefetch(refs)
        current = self._q2c_current_lines(system, list(entries))
        to_create, holds = [], []
        for ext, (index, entry) in entries.items():
            reason, mapped = self._q2c_mapped(refs, entry)
            if reason:
                holds.append((entry, reason))
                results[index] = self._q2c_result(ext, "rejected", reason, held=True)
                continue
            line = current.get(ext)
            if not line:
                to_create.append((index, entry, mapped))
            elif line.q2c_fingerprint == mapped["fingerprint"]:
                results[index] = self._q2c_result(ext, "unchanged", line=line)
            else:
                results[index] = self._q2c_update(system, line, entry, mapped)
        pricing = self._q2c_pricer()
        for index, result in self._q2c_create(system, to_create, pricing):
            results[index] = result
        self.env["q2c.time.hold"]._hold(system, holds)
        held = {entry["external_id"] for entry, _reason in holds}
        self.env["q2c.time.hold"]._release(system, [ext for ext in entries if ext not in held])
        return results

    @api.model
    def _q2c_result(self, external_id, status, reason=None, line=None, held=False):
        result = {"id": external_id, "status": status}
        if reason:
            result["reason"] = reason
        if held:
            result["held"] = True
        if line:
            result["line_id"] = line.id
        return result

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
            records.fetch([name for name, field in records._fields.items()
                           if field.store and field.prefetch is True])  # fmt: skip

    def _q2c_mapped(self, refs, entry):
        """(hold reason or None, mapped ids with the fingerprint)."""
        employee_id = refs.get(("employee", entry["employee"]))
        if not employee_id:
            return RESULT_MESSAGES["unmapped_employee"] % entry["employee"], None
        project_id = refs.get((entry["project_type"], entry["project"]))
        if not project_id:
            return RESULT_MESSAGES["unmapped_project"] % entry["project"], None
        task_id = refs.get(("task", entry["task"])) if entry["task"] else False
        if entry["task"] and not task_id:
            return RESULT_MESSAGES["unmapped_task"] % entry["task"], None
        return None, {
            "employee_id": employee_id,
            "project_id": project_id,
            "task_id": task_id or False,
            "fingerprint": fingerprint(employee_id, project_id, task_id, entry),
        }

    def _q2c_current_lines(self, system, external_ids):
        """{external id: the line that now stands for it}: the imported line, or its latest
        correction when it was corrected after billing (a replacement, or the reversal
        alone when the entry was rejected or deleted after billing)."""
        if not external_ids:
            return {}
        lines = self.sudo().search(
            [("q2c_system_id", "=", system.id), ("q2c_external_id", "in", external_ids)]
        )
        current = {line.q2c_external_id: line for line in lines}
        billed = lines.filtered(lambda line: line.q2c_billing_status == "billed")
        if billed:
            corrections = self.sudo().search(
                [("q2c_origin_id", "in", billed.ids), ("q2c_correction_kind", "!=", False)],
                order="id",
            )
            for correction in corrections:
                current[correction.q2c_origin_id.q2c_external_id] = correction
        return {ext: line.with_env(self.env) for ext, line in current.items()}

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
            key = self._q2c_rate_key(shapes[contract.id], contract, employee, project_id,
                                     work_date)  # fmt: skip
            if key not in cache:
                project = self.env["project.project"].sudo().browse(project_id)
                try:
                    resolution = contract._resolve_rate(work_date, employee, project=project)
                    cache[key] = (contract.id, "to_bill", resolution.rate, resolution.source,
                                  False)  # fmt: skip
                except UserError as error:
                    cache[key] = (contract.id, "no_rate", 0.0, False, str(error)[:250])
            return cache[key]

        return price

    def _q2c_rate_shape(self, contract):
        """What a contract's rates depend on, read once: the employees with a rate of their
        own, whether overrides are project-specific, the dates where any candidate starts or
        ends, and whether a card needs a currency conversion (then the date itself counts)."""
        cards = (contract.rate_card_ids | contract._customer_rate_card()
                 | contract._company_default_rate_card())  # fmt: skip
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

    def _q2c_values(self, system, entry, mapped, pricing):
        contract_id, status, rate, source, reason = pricing(
            mapped["employee_id"], mapped["project_id"], entry["date"], entry["billable"],
            entry["approval_state"],
        )  # fmt: skip
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

    def _q2c_create(self, system, to_create, pricing):
        """Create the new lines in one `create(vals_list)`; if the batch is refused (an
        archived employee, say), fall back to one savepoint per entry so the valid ones land."""
        if not to_create:
            return []
        vals_list = []
        for _index, entry, mapped in to_create:
            vals = self._q2c_values(system, entry, mapped, pricing)
            vals.update(q2c_system_id=system.id, q2c_external_id=entry["external_id"])
            vals_list.append(vals)
        try:
            with self.env.cr.savepoint():
                lines = self._q2c_create_batch(vals_list)
        except (UserError, ValueError) as error:
            _logger.info("q2c: batch create refused (%s); creating entry by entry", error)
            pairs = zip(to_create, vals_list, strict=True)
            return [self._q2c_create_one(item, vals) for item, vals in pairs]
        return [
            (index, self._q2c_result(entry["external_id"], "created", line=line))
            for (index, entry, _m), line in zip(to_create, lines, strict=True)
        ]

    def _q2c_create_batch(self, vals_list):
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

    def _q2c_create_one(self, item, vals):
        index, entry, _mapped = item
        try:
            with self.env.cr.savepoint():
                line = self.create([vals])
        except (UserError, ValueError) as error:
            return index, self._q2c_result(entry["external_id"], "rejected", str(error)[:300])
        return index, self._q2c_result(entry["external_id"], "created", line=line)

    def _q2c_update(self, system, line, entry, mapped):
        """An entry changed at the source. Unbilled: update in place. Billed: a correction."""
        ext = entry["external_id"]
        pricing = self._q2c_pricer()
        vals = self._q2c_values(system, entry, mapped, pricing)
        if line.q2c_correction_kind == "reversal":
            return self._q2c_after_reversal(line, vals, ext)
        if (
            line.q2c_approval_state == "approved"
            and line.q2c_approved_at
            and (entry["approval_state"] == "approved")
        ):
            vals["q2c_approved_at"] = line.q2c_approved_at
        try:
            with self.env.cr.savepoint():
                if line.q2c_billing_status == "billed":
                    line = line._q2c_correct(vals)
                else:
                    line.write(vals)
        except (UserError, ValueError) as error:
            return self._q2c_result(ext, "rejected", str(error)[:300])
        return self._q2c_result(ext, "updated", line=line)

    def _q2c_correct(self, vals):
        """Billed history is immutable (billing-domain.md 1.9): add a reversal at the billed
        rate and, unless the entry was rejected, a replacement at its work-date rate.
        Returns the replacement (or the reversal)."""
        self.ensure_one()
        origin = self.q2c_origin_id or self
        common = {
            "q2c_system_id": origin.q2c_system_id.id,
            "q2c_external_id": False,
            "q2c_origin_id": origin.id,
        }
        rejected = vals["q2c_approval_state"] == "rejected"
        reversal = self.with_context(q2c_correction=True).copy(
            {
                **common,
                "unit_amount": -self.unit_amount,
                "q2c_correction_kind": "reversal",
                "q2c_approval_state": "approved",
                "q2c_approved_at": fields.Datetime.now(),
                "q2c_contract_id": self.q2c_contract_id.id,
                "q2c_rate": self.q2c_rate,
                "q2c_rate_source": self.q2c_rate_source,
                "q2c_billing_status": "to_bill" if self.q2c_contract_id else "not_billable",
                # A reversal alone stands for the entry (see _q2c_current_lines): it keeps
                # what was delivered, so the same rejection again is `unchanged`.
                "q2c_fingerprint": vals.get("q2c_fingerprint") if rejected else False,
            }
        )
        if rejected:
            return reversal
        return self.create([{**vals, **common, "q2c_correction_kind": "replacement"}])

    def _q2c_after_reversal(self, reversal, vals, external_id):
        """The entry's standing line is a reversal (it was rejected or deleted after
        billing) and the source sends it again changed: a replacement at its work-date rate
        is added; the reversal, like all billed history, stays as it is."""
        origin = reversal.q2c_origin_id
        try:
            with self.env.cr.savepoint():
                line = self.create(
                    [{**vals, "q2c_system_id": origin.q2c_system_id.id, "q2c_external_id": False,
                      "q2c_origin_id": origin.id, "q2c_correction_kind": "replacement"}]
                )  # fmt: skip
        except (UserError, ValueError) as error:
            return self._q2c_result(external_id, "rejected", str(error)[:300])
        return self._q2c_result(external_id, "updated", line=line)

    # ------------------------------------------------------------------ deletions at the source

    @api.model
    def _q2c_missing_at_source(self, system, date_from, date_to, listed_ids):
        """(how many entries of `system` Odoo holds for work dates `date_from`..`date_to`,
        the current lines of those not in `listed_ids`): what a complete re-read of the
        window no longer lists. Lines already marked deleted or reversed are left out."""
        lines = self.sudo().search(
            [("q2c_system_id", "=", system.id), ("date", ">=", date_from),
             ("date", "<=", date_to), "|", ("q2c_external_id", "!=", False),
             ("q2c_correction_kind", "=", "replacement")]
        )  # fmt: skip
        external_ids = {line.q2c_external_id or line.q2c_origin_id.q2c_external_id
                        for line in lines}  # fmt: skip
        current = self._q2c_current_lines(system, list(external_ids))
        present = {
            ext: line
            for ext, line in current.items()
            if date_from <= line.date <= date_to
            and line.q2c_billing_status != "deleted"
            and line.q2c_correction_kind != "reversal"
        }
        listed = {str(ext) for ext in listed_ids}
        missing = self.browse([line.id for ext, line in present.items() if ext not in listed])
        return len(present), missing

    def _q2c_mark_deleted_at_source(self, reason):
        """The entries were deleted at the source. Not billed: the line stays, visible, with
        no hours and the billing status *Deleted at source* (its former hours in the
        reason). Billed: history is not changed; a reversal at the billed rate is added
        (billing-domain.md 1.9, like a rejection after billing). Either way a later delivery
        of the entry restores it (the fingerprint no longer matches)."""
        billed = self.filtered(lambda line: line.q2c_billing_status == "billed")
        by_hours = defaultdict(list)
        for line in self - billed:
            by_hours[line.unit_amount].append(line.id)
        for hours, ids in by_hours.items():
            self.browse(ids).write(
                {"unit_amount": 0.0, "q2c_billing_status": "deleted", "q2c_fingerprint": False,
                 "q2c_hold_reason": _("%(reason)s Was %(hours).2f h.", reason=reason,
                                      hours=hours)}
            )  # fmt: skip
        for line in billed:
            reversal = line._q2c_correct({"q2c_approval_state": "rejected"})
            reversal.q2c_hold_reason = reason
        return self

    # ------------------------------------------------------------------ billing hooks

    @api.model
    def _q2c_billable_domain(self, contract, cutoff):
        """Entries a billing run with cut-off `cutoff` takes: approved before the cut-off,
        billable, not billed. An approval after the cut-off waits for the next run and keeps
        the rate of its work date (GC-12)."""
        return [
            ("q2c_contract_id", "=", contract.id),
            ("q2c_billing_status", "=", "to_bill"),
            ("q2c_approved_at", "<=", cutoff),
        ]

    def _q2c_mark_billed(self, reference):
        """Freeze the lines as billed by `reference` (the billing run's invoice)."""
        return self.write(
            {
                "q2c_billing_status": "billed",
                "q2c_billed_at": fields.Datetime.now(),
                "q2c_billing_ref": reference,
            }
        )

    def _q2c_value(self):
        """round(hours x rate) in the contract currency (per entry; WIP views)."""
        self.ensure_one()
        currency = self.q2c_currency_id
        return currency.round(self.unit_amount * self.q2c_rate) if currency else 0.0

    def _q2c_pricing_entries(self):
        """The lines as entries for `q2c.contract._price_time_entries` (rates re-resolved
        at their work dates, which is what the stored rate is)."""
        return [
            {"date": line.date, "employee": line.employee_id, "hours": line.unit_amount,
             "project": line.project_id}
            for line in self
            if float_compare(line.unit_amount, 0.0, precision_digits=6) != 0
        ]  # fmt: skip
