from odoo import _, fields, models
from odoo.addons.q2c_contract.money import line_amount

from ..exceptions import BillingBlocked
from .q2c_prebill_line import ADJUSTABLE_KINDS, COMPUTED_KINDS, REFRESH_KEY

MESSAGES = {
    "waiting": "Waiting for its pre-bill review.",
    "nothing": "Nothing to bill in this period.",
    "changed": "%(line)s changed since the pre-bill was built (an entry was edited, rejected "
    "or deleted at its source): cancel the run and prepare it again to review the current "
    "entries.",
    "cap_truncated": "Not-to-exceed cap: held over the cap, and hours held earlier released",
}


class _DryRun(Exception):
    """Carries an invoice plan out of the savepoint that is rolled back behind it."""

    def __init__(self, lines):
        super().__init__()
        self.lines = lines


class Q2cBillingRunLine(models.Model):
    """Pre-bill review (billing-domain.md 1.6). For a contract that requires it, the job
    builds the proposal (q2c.prebill.review) instead of the invoice and the result waits in
    state `review`; approving the review builds the invoice through `_build_invoice`, with
    the reviewer's decisions applied by the hooks below: only the proposal's entries still
    to bill, billed hours and rates per line, the amount adjustments as invoice lines."""

    _inherit = "q2c.billing.run.line"

    state = fields.Selection(
        selection_add=[("to_do",), ("review", "In Review")],
        ondelete={"review": "set default"},
    )
    prebill_review_ids = fields.One2many(
        "q2c.prebill.review", "run_line_id", string="Pre-bill Review", readonly=True
    )

    def _prebill_review(self):
        """The review being approved for this result (set by its approval), else nothing."""
        review = self.env["q2c.prebill.review"].browse(
            self.env.context.get("q2c_prebill_review_id")
        )
        if review and review.run_line_id == self:
            return review.sudo()
        return review.browse()

    def _build_invoice(self):
        if self.contract_id.prebill_review_required and not self._prebill_review():
            return self._build_proposal()
        return super()._build_invoice()

    # ------------------------------------------------------------------ the proposal

    def _build_proposal(self):
        """The job's work for a contract with pre-bill review: the lines its invoice would
        have, at standard value, for a Finance reviewer; nothing is marked billed yet. The
        same checks block the contract as for an invoice."""
        self._check_billable()
        time, expenses = self._entries_to_bill()
        proposal = [("time", spec) for spec in self._time_specs(time)]
        proposal += [("correction", spec) for spec in self._correction_specs(time)]
        proposal += [
            ("correction" if spec["entries"].q2c_correction_kind else "expense", spec)
            for spec in self._expense_specs(expenses)
        ]
        proposal += [("milestone", spec) for spec in self._milestone_specs()]
        if not proposal and self.contract_id.billing_model != "retainer":
            self.write({"state": "done", "reason": _(MESSAGES["nothing"])})
            return
        review = self.env["q2c.prebill.review"].create({"run_line_id": self.id})
        self.env["q2c.prebill.line"].create(
            [
                self._proposal_line_values(review, sequence, kind, spec)
                for sequence, (kind, spec) in enumerate(proposal, start=1)
            ]
        )
        if self._has_computed_lines():
            # Blocked as the invoice would be (no advances account, ...).
            self._prebill_computed_lines(review, blocking=True)
        self.write(
            {
                "state": "review",
                "reason": _(MESSAGES["waiting"]),
                "time_count": len(time),
                "expense_count": len(expenses),
                "milestone_count": sum(kind == "milestone" for kind, _spec in proposal),
            }
        )

    def _proposal_line_values(self, review, sequence, kind, spec):
        entries = spec["entries"]
        return {
            "review_id": review.id,
            "sequence": sequence * 10,
            "kind": kind,
            "name": spec["name"],
            "employee_id": entries.employee_id[:1].id
            if entries._name == "account.analytic.line"
            else False,
            "timesheet_ids": [fields.Command.set(entries.ids)]
            if entries._name == "account.analytic.line"
            else [],
            "expense_ids": [fields.Command.set(entries.ids)]
            if entries._name == "hr.expense"
            else [],
            "milestone_ids": [fields.Command.set(entries.ids)]
            if entries._name == "q2c.contract.milestone"
            else [],
            "recorded_hours": spec["quantity"],
            "rate": spec["price_unit"],
            "standard_value": spec["amount"],
            "billed_hours": spec["quantity"],
            "billed_rate": spec["price_unit"],
        }

    # ------------------------------------------------------------------ computed lines

    def _has_computed_lines(self):
        """Whether the contract's invoice has lines the proposal cannot show as they are
        (a retainer's funds, a not-to-exceed cap's adjustments): then the proposal gets
        them computed, read only (`_prebill_computed_lines`)."""
        contract = self.contract_id
        return contract.billing_model == "retainer" or contract._nte_capped()

    def _prebill_computed_lines(self, review, blocking=False):
        """The lines of the proposal computed from the invoice's plan (billing-domain.md
        1.2, 1.4 and 1.6), so that the proposal totals what the invoice will: a retainer's
        funds the invoice bills (the period's retainer, the next one in advance, top-ups)
        and what they pay of the time billed ("Retainer applied", "given back"); a
        not-to-exceed cap's lines (`adjustment` mode: the release and excess lines as the
        invoice carries them; `truncate` mode: one line of what the cap takes from, or
        gives back to, the time billed). Read only, recomputed whenever the reviewer
        changes a line. They are the invoice's plan as approving `review` now would build
        it, computed in a savepoint rolled back (funds it opens, a lock on the contract:
        nothing stays). `blocking`: a reason that blocks the invoice blocks the proposal
        too; else the lines stay as they were and the approval reports it."""
        if not self._has_computed_lines():
            return
        try:
            lines = self._prebill_dry_run(review)
        except BillingBlocked:
            if blocking:
                raise
            return
        Line = self.env["q2c.prebill.line"].sudo().with_context(**{REFRESH_KEY: True})
        review = review.sudo()
        old = review.line_ids.filtered(lambda line: line.kind in COMPUTED_KINDS)
        currency = self.contract_id.currency_id
        if len(old) == len(lines) and all(
            line.kind == values["kind"]
            and line.name == values["name"]
            and not currency.compare_amounts(line.billed_value, values["billed_rate"])
            for line, values in zip(
                old.sorted(lambda line: (line.sequence, line.id)), lines, strict=True
            )
        ):
            return
        old.with_context(**{REFRESH_KEY: True}).unlink()
        Line.create([{"review_id": review.id, **values} for values in lines])

    def _prebill_dry_run(self, review):
        """[values of a proposal line] of the computed lines of the invoice approving
        `review` would build now, in invoice order: a retainer's funds before the time
        lines, what the funds pay and the cap's lines after them."""
        line = self.sudo().with_context(q2c_prebill_review_id=review.id)
        contract = self.contract_id
        currency = contract.currency_id
        truncate = contract._nte_capped() and contract.nte_mode == "truncate"
        try:
            with self.env.cr.savepoint():
                plan = line._invoice_plan()
                specs = plan["specs"] if plan else []
                lines, after_time, billed = [], False, 0.0
                for spec in specs:
                    kind = (
                        "retainer"
                        if spec.get("retainer")
                        else "cap"
                        if spec.get("ledger") and not truncate
                        else None
                    )
                    if not kind:
                        after_time = True
                        billed += spec["amount"]
                        continue
                    lines.append(self._prebill_computed_values(kind, spec, after_time))
                if truncate:
                    shown = review.line_ids.filtered(
                        lambda line: line.kind not in COMPUTED_KINDS
                        and (line.kind == "amount" or line.disposition == "bill")
                    )
                    cut = currency.round(
                        currency.round(billed) - sum(shown.mapped("billed_value"))
                    )
                    if not currency.is_zero(cut):
                        name = _(MESSAGES["cap_truncated"])
                        spec = {"name": name, "quantity": 1.0, "price_unit": cut}
                        lines.append(self._prebill_computed_values("cap", spec, True))
                raise _DryRun(lines)
        except _DryRun as dry:
            lines = dry.lines
        worked = review.line_ids.filtered(lambda line: line.kind in ("time", "correction"))
        last = max(worked.mapped("sequence"), default=0)
        for position, values in enumerate(lines, start=1):
            values["sequence"] = last + position if values.pop("after_time") else position
        return lines

    def _prebill_computed_values(self, kind, spec, after_time):
        return {
            "kind": kind,
            "name": spec["name"],
            "recorded_hours": spec["quantity"],
            "rate": spec["price_unit"],
            "standard_value": 0.0,
            "billed_hours": spec["quantity"],
            "billed_rate": spec["price_unit"],
            "after_time": after_time,
        }

    # ------------------------------------------------------------------ approval hooks

    def _entries_to_bill(self):
        """At approval: only the entries of the proposal's lines still to bill (an entry
        approved after the proposal was built waits for the next run)."""
        time, expenses = super()._entries_to_bill()
        review = self._prebill_review()
        if not review:
            return time, expenses
        billed = review.line_ids.filtered(lambda line: line.disposition == "bill")
        time_ids, expense_ids = set(billed.timesheet_ids.ids), set(billed.expense_ids.ids)
        return (
            time.filtered(lambda entry: entry.id in time_ids),
            expenses.filtered(lambda entry: entry.id in expense_ids),
        )

    def _time_specs(self, time, hours=None):
        # Hours billed in part (a cap in truncate mode) make lines of their own.
        return self._prebill_adjust(super()._time_specs(time, hours), check=not hours)

    def _cap_entry_terms(self, line):
        """Under a truncating cap, an entry of this review is billed at the hours and rate
        the reviewer decided (stored on it at approval, pro rata to its recorded hours):
        the cap applies to the billed value (billing-domain.md 1.2 and 1.6)."""
        review = self._prebill_review()
        decided = line.sudo().q2c_prebill_line_id
        if review and decided.review_id == review and decided._is_repriced():
            return line.q2c_billed_quantity, line.q2c_billed_rate
        return super()._cap_entry_terms(line)

    def _cap_fee_specs(self):
        return super()._cap_fee_specs() + self._prebill_amount_specs()

    def _expense_specs(self, expenses):
        return self._prebill_adjust(super()._expense_specs(expenses))

    def _prebill_adjust(self, specs, check=True):
        """The reviewer's billed quantity and rate on the lines of the same entries. A line
        whose entries or standard value are not the proposal's any more (an edit at the
        source since) blocks the approval: the reviewer decided on other numbers."""
        review = self._prebill_review()
        if not review:
            return specs
        proposed, of_entry = {}, {}
        for line in review.line_ids.filtered(lambda line: line.disposition == "bill"):
            entries = line.timesheet_ids or line.expense_ids
            if entries:
                proposed[(entries._name, frozenset(entries.ids))] = line
                of_entry.update({(entries._name, entry_id): line for entry_id in entries.ids})
        currency = self.contract_id.currency_id
        for spec in specs:
            entries = spec["entries"]
            line = whole = proposed.get((entries._name, frozenset(entries.ids)))
            if check and (
                not line or currency.compare_amounts(spec["amount"], line.standard_value)
            ):
                raise BillingBlocked(_(MESSAGES["changed"], line=spec["name"]))
            if not check and entries:
                # Billed in part under a truncating cap: the spec's hours are the billed
                # hours that fit (`_cap_entry_terms`), at the line's billed rate.
                line = of_entry.get((entries._name, entries[:1].id))
                if line and line.kind in ADJUSTABLE_KINDS and line._is_repriced():
                    spec.update(
                        price_unit=line.billed_rate,
                        amount=line_amount(currency, spec["quantity"], line.billed_rate),
                    )
            elif line and line.kind in ADJUSTABLE_KINDS and line._is_repriced():
                spec.update(
                    quantity=line.billed_hours,
                    price_unit=line.billed_rate,
                    amount=line.billed_value,
                )
            if (
                whole
                and not currency.is_zero(whole.allocated_amount)
                and not currency.compare_amounts(spec["amount"], whole.billed_value)
            ):
                # Its share of the amount adjustments (1.6): part of what the line bills,
                # so of what a retainer's funds pay for it (1.4, `_retainer_entry_values`).
                spec["draw_amount"] = currency.round(whole.billed_value + whole.allocated_amount)
        return specs

    def _full_specs(self, time, expenses):
        return super()._full_specs(time, expenses) + self._prebill_amount_specs()

    def _prebill_amount_specs(self):
        """Amount adjustments (1.6): invoice-level lines, a discount or a premium; under the
        contract's not-to-exceed cap when it has one (they change the fees billed)."""
        review = self._prebill_review()
        specs = []
        capped = self.contract_id._nte_capped()
        for line in review.line_ids.filtered(lambda line: line.kind == "amount"):
            spec = self._spec(
                line.name, 1.0, line.amount, self.env["account.analytic.line"], line.amount
            )
            if capped:
                spec["under_cap"] = True
            specs.append(spec)
        return specs
