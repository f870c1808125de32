from datetime import timedelta
from decimal import Decimal

from odoo import _, models
from odoo.addons.q2c_contract.money import round_half_up

from ..exceptions import BillingBlocked

MESSAGES = {
    "no_account": "Company %(company)s has no retainer advances account: set it in "
    "Invoicing > Settings (Retainers), then bill the contract in the next run.",
    "period": "Retainer %(first)s..%(last)s",
    "advance": ", in advance",
    "prorated": " (%(days)s of %(period_days)s days)",
    "top_up": "Retainer top-up %(name)s, valid %(first)s..%(last)s",
    "no_expiry": "no expiry",
    "applied": "Retainer applied: %(bucket)s",
    "given_back": "Retainer given back: %(bucket)s",
    "given_back_new": "Retainer given back as new funds (%(bucket)s expired)",
    "new_funds": "Given back from %(bucket)s",
    "deposit": "Security deposit, held until the final invoice",
    "deposit_applied": "Security deposit applied to the final invoice",
    "deposit_drawdown": "Applied to the final invoice of billing run %(run)s",
    "drawdown": "%(employee)s %(date)s %(hours)s h",
}


class Q2cBillingRunLine(models.Model):
    """Retainers, prepaid drawdown (billing-domain.md 1.4). The run of period M invoices:

    1. the retainer of each period not invoiced yet, from the period of the run's start (or
       the contract's, when later) to the one that starts the day after M, i.e. the next
       period in advance, each prorated by calendar days at the contract's start and end;
       every top-up bought by then and not invoiced yet. Each opens (or is) a fund bucket,
       invoiced once, to the company's advances account (a liability);
    2. the T&M lines of the usage of M (and of earlier months approved late), as for a
       time-and-materials contract (revenue);
    3. one negative "Retainer applied" line per bucket the usage drew from, on the advances
       account: each entry, in work-date order, draws from the bucket with the earliest
       expiry valid on its work date (ties: the older one), or in the contract's other
       consumption order. What the buckets do not cover stays billed: the overage at T&M
       rates.

    Under a not-to-exceed cap (1.2) the usage lines are fees under the cap, drawn or not
    (the funds pay for fees, they do not reduce them); what the cap withholds is not billed,
    so the funds pay only for the usage billed: the withheld amount comes off the latest
    usage first (in truncate mode, an entry billed in part draws the value of its hours
    billed); hours the cap held and releases later draw when they are billed. An evergreen
    (security) retainer is a deposit invoiced once and applied to the final invoice
    (`_retainer_security_specs`).
    """

    _inherit = "q2c.billing.run.line"

    def _locks_contract(self):
        # Two runs of different periods must not open the same funds or draw the same
        # balance: serialized on the contract's row like a cap's headroom.
        return super()._locks_contract() or self.contract_id.billing_model == "retainer"

    def _retainer_specs(self, specs):
        """`specs` with a retainer contract's funds first and the usage they cover after
        its time lines; other contracts' specs unchanged."""
        if self.contract_id.billing_model != "retainer":
            return specs
        account = self._retainer_account()
        if self.contract_id.retainer_type == "security":
            return self._retainer_security_specs(specs, account)
        funds = self._retainer_period_specs(account) + self._retainer_top_up_specs(account)
        time = [
            spec for spec in specs if self._retainer_usage(spec) or self._retainer_reversal(spec)
        ]
        others = [spec for spec in specs if not any(spec is kept for kept in time)]
        reversals = [spec for spec in time if self._retainer_reversal(spec)]
        given_back, balances = self._retainer_given_back_specs(reversals, account)
        usage = [spec for spec in time if self._retainer_usage(spec)]
        withheld = self._retainer_withheld(specs)
        applied = self._retainer_applied_specs(usage, account, balances, withheld)
        return funds + time + applied + given_back + others

    def _retainer_account(self):
        account = self.company_id.q2c_retainer_account_id
        if not account:
            raise BillingBlocked(_(MESSAGES["no_account"], company=self.company_id.name))
        return account

    # ------------------------------------------------------------------ funds

    def _retainer_periods(self):
        """(start, end) of each retainer period the run invoices: from the period of the
        run's start (or the contract's start, when later) up to the period that contains the
        day after the run's period, within the contract, unless its funds are invoiced
        already (funds opened but not invoiced, e.g. by hand, are invoiced now)."""
        contract, run = self.contract_id, self.run_id
        invoiced = set(
            self.env["q2c.retainer.bucket"]
            .search(
                [
                    ("contract_id", "=", contract.id),
                    ("kind", "=", "period"),
                    ("invoice_line_id", "!=", False),
                ]
            )
            .mapped("valid_from")
        )
        advance_day = run.date_to + timedelta(days=1)
        first_day = max(run.date_from, contract.date_start or run.date_from)
        start, end = contract._retainer_period_bounds(first_day)
        periods = []
        while start <= advance_day and (not contract.date_end or start <= contract.date_end):
            if max(start, contract.date_start or start) not in invoiced:
                periods.append((start, end))
            start, end = contract._retainer_period_bounds(end + timedelta(days=1))
        return periods

    def _retainer_period_specs(self, account):
        contract, run = self.contract_id, self.run_id
        specs = []
        for start, end in self._retainer_periods():
            # Opened once (found when opened already): the unique index on its start.
            bucket = contract._open_retainer_period(start)
            # Funds that expired before any invoice (opened by hand, never billed) released
            # nothing to revenue: they are not invoiced afterwards either.
            if bucket.state == "expired" or contract.currency_id.is_zero(bucket.amount):
                continue
            last = min(end, contract.date_end or end)
            name = _(MESSAGES["period"], first=bucket.valid_from, last=last)
            days, period_days = (last - bucket.valid_from).days + 1, (end - start).days + 1
            if days != period_days:
                name += _(MESSAGES["prorated"], days=days, period_days=period_days)
            if start > run.date_to:
                name += _(MESSAGES["advance"])
            specs.append(self._retainer_fund_spec(name, bucket, account))
        return specs

    def _retainer_top_up_specs(self, account):
        """Every top-up bought by the day after the run's period and not invoiced yet."""
        top_ups = self.env["q2c.retainer.bucket"].search(
            [
                ("contract_id", "=", self.contract_id.id),
                ("kind", "=", "top_up"),
                ("invoice_line_id", "=", False),
                ("state", "=", "open"),
                ("valid_from", "<=", self.run_id.date_to + timedelta(days=1)),
            ],
            order="valid_from, id",
        )
        return [
            self._retainer_fund_spec(
                _(
                    MESSAGES["top_up"],
                    name=bucket.name,
                    first=bucket.valid_from,
                    last=bucket.expiry or _(MESSAGES["no_expiry"]),
                ),
                bucket,
                account,
            )
            for bucket in top_ups
        ]

    def _retainer_fund_spec(self, name, bucket, account):
        spec = self._spec(name, 1.0, bucket.amount, bucket, bucket.amount)
        spec.update(
            account=account,
            retainer=True,
            link=lambda invoice_line, b=bucket: b.write({"invoice_line_id": invoice_line.id}),
        )
        return spec

    # ------------------------------------------------------------------ usage

    @staticmethod
    def _retainer_released_rows(spec):
        """The cap ledger rows of a line that releases hours a cap held on an earlier
        invoice (truncate mode): each names its time entry and the hours released."""
        return [
            row
            for row in spec.get("ledger", ())
            if row["kind"] == "release" and row.get("timesheet_id")
        ]

    @classmethod
    def _retainer_usage(cls, spec):
        """A line of time, regular or a correction's replacement (not a reversal, not a cap
        adjustment line): usage of the funds. Hours a cap held and releases now are usage
        of their own work dates (billing-domain.md 1.4: usage is allocated by work date),
        billed now: they draw now. An amount released in adjustment mode names no entry and
        no work date: it is billed at T&M and draws nothing."""
        entries = spec["entries"]
        if "link" in spec or entries._name != "account.analytic.line":
            return False
        if "ledger" in spec:
            return bool(cls._retainer_released_rows(spec))
        return bool(entries.filtered(lambda line: line.q2c_correction_kind != "reversal"))

    def _time_specs(self, time, hours=None):
        """Keep, on each time line, the hours billed of entries billed in part (a cap in
        truncate mode): their drawdown is the value of the hours billed, not recorded."""
        specs = super()._time_specs(time, hours=hours)
        if self.contract_id.billing_model != "retainer":
            return specs
        for spec in specs:
            spec["billed_hours"] = {
                entry.id: (hours or {}).get(entry.id, entry.unit_amount)
                for entry in spec["entries"]
            }
        return specs

    @staticmethod
    def _retainer_reversal(spec):
        """The reversal of a billed entry (billing-domain.md 1.9)."""
        entries = spec["entries"]
        return (
            "link" not in spec
            and "ledger" not in spec
            and entries._name == "account.analytic.line"
            and bool(entries)
            and all(line.q2c_correction_kind == "reversal" for line in entries)
        )

    @staticmethod
    def _retainer_withheld(specs):
        """What a not-to-exceed cap withholds from this invoice (billing-domain.md 1.2,
        mode `adjustment`): minus its "Not-to-exceed limit adjustment" line, 0 without one.
        (In mode `truncate` the held hours are not on the invoice at all.)"""
        return sum(
            -spec["amount"]
            for spec in specs
            if any(row["kind"] == "hold" for row in spec.get("ledger", ()))
        )

    def _retainer_given_back_specs(self, reversals, account):
        """A reversal puts back into the funds what its original entry drew from them
        (billing-domain.md 1.4 and 1.9), up to the reversal's value: into the funds it came
        from while they are open (negative drawdowns naming the reversal), or into new funds
        when they have expired (`_retainer_new_funds`). One "Retainer given back" line per
        fund, on the advances account. Returns (specs, {fund: balance with what is given
        back}) for the usage that follows to draw on."""
        currency = self.contract_id.currency_id
        Drawdown = self.env["q2c.retainer.drawdown"]
        balances, back, expired = {}, {}, {}
        for spec in reversals:
            reversal = spec["entries"]
            left = currency.round(-spec["amount"])
            drawn = {}
            for drawdown in Drawdown.search(
                [("timesheet_id", "=", reversal.q2c_origin_id.id)], order="id desc"
            ):
                drawn[drawdown.bucket_id] = drawn.get(drawdown.bucket_id, 0.0) + drawdown.amount
            for bucket, amount in drawn.items():
                take = min(currency.round(amount), left)
                if currency.compare_amounts(take, 0.0) <= 0:
                    continue
                left = currency.round(left - take)
                if bucket.state != "open":
                    expired[bucket] = currency.round(expired.get(bucket, 0.0) + take)
                    continue
                back.setdefault(bucket, []).append((reversal, -take))
                balances[bucket] = currency.round(balances.get(bucket, bucket.balance) + take)
        specs = []
        for bucket, draws in back.items():
            total = currency.round(-sum(take for _entry, take in draws))
            name = _(MESSAGES["given_back"], bucket=bucket.name)
            spec = self._spec(name, 1.0, total, bucket, total)
            spec.update(
                account=account,
                retainer=True,
                link=lambda invoice_line, b=bucket, d=draws: self._retainer_draw_on(
                    b, d, invoice_line
                ),
            )
            specs.append(spec)
        for source, amount in expired.items():
            bucket = self._retainer_new_funds(source, amount)
            if not bucket:
                continue
            balances[bucket] = bucket.balance
            name = _(MESSAGES["given_back_new"], bucket=source.name)
            specs.append(self._retainer_fund_spec(name, bucket, account))
        return specs, balances

    def _retainer_new_funds(self, source, amount):
        """New funds for what a correction gives back to `source`, expired (billing-domain.md
        1.4: "into a new bucket if that one has already expired"): valid from the day
        `source` was, so that a replacement of the same work date draws on them, until the
        expiry a period's funds of the period this run invoices in advance would have (the
        day after the run's period), within the contract. A contract ended before the run's
        period gets no new funds (nobody could use them): the reversal stays a credit at
        T&M. Invoiced by the "Retainer given back" line, like a top-up."""
        contract, run = self.contract_id, self.run_id
        if contract.date_end and contract.date_end < run.date_from:
            return self.env["q2c.retainer.bucket"]
        end = contract._retainer_period_bounds(run.date_to + timedelta(days=1))[1]
        expiry = contract._retainer_bucket_expiry(end)
        if contract.date_end and (not expiry or expiry > contract.date_end):
            expiry = contract.date_end
        return self.env["q2c.retainer.bucket"].create(
            {
                "contract_id": contract.id,
                "kind": "given_back",
                "name": _(MESSAGES["new_funds"], bucket=source.name),
                "amount": amount,
                "valid_from": source.valid_from,
                "expiry": expiry,
                "source_bucket_id": source.id,
            }
        )

    def _retainer_spec_hours(self, spec):
        """{entry: hours this line bills of it}: the hours released for a line releasing
        held hours, the hours billed for a time line, else each entry's own hours."""
        Time = self.env["account.analytic.line"].sudo()
        released = self._retainer_released_rows(spec)
        if released:
            hours = {}
            for row in released:
                entry = Time.browse(row["timesheet_id"])
                hours[entry] = hours.get(entry, 0.0) + row["hours"]
            return hours
        billed = spec.get("billed_hours", {})
        return {entry: billed.get(entry.id, entry.unit_amount) for entry in spec["entries"]}

    def _retainer_entry_values(self, spec):
        """[(entry, value)]: the line's rounded amount shared over its entries in work-date
        order by cumulative hours billed, round(amount x hours so far / hours) minus what
        the earlier entries took, so the values add up to the line to the cent.

        The line's amount is its billed value with its share of a pre-bill review's amount
        adjustments (`draw_amount`, billing-domain.md 1.6: a discount or premium is
        allocated back to the lines pro rata to billed value): the funds pay the usage at
        the value billed (1.4), so a discount draws less and a premium more. The share of
        an expense line is not usage: it is billed, not drawn."""
        currency = self.contract_id.currency_id
        spec_hours = self._retainer_spec_hours(spec)
        entries = sorted(spec_hours, key=lambda line: (line.date, line.id))
        hours = sum((Decimal(repr(spec_hours[line])) for line in entries), Decimal(0))
        if not hours:
            return []
        amount = Decimal(repr(spec.get("draw_amount", spec["amount"])))
        values, so_far, taken = [], Decimal(0), Decimal(0)
        for entry in entries:
            so_far += Decimal(repr(spec_hours[entry]))
            upto = Decimal(repr(round_half_up(currency, amount * so_far / hours)))
            values.append((entry, float(upto - taken)))
            taken = upto
        return values

    def _retainer_within_cap(self, values, withheld):
        """[(entry, value)] in work-date order less what the cap withholds, taken off the
        latest entries first (the cap is crossed by the last work billed); entries left
        at 0 draw nothing."""
        currency = self.contract_id.currency_id
        left = Decimal(repr(currency.round(withheld)))
        kept = []
        for entry, value in reversed(values):
            cut = min(Decimal(repr(value)), max(left, Decimal(0)))
            left -= cut
            kept.append((entry, float(Decimal(repr(value)) - cut)))
        return [(entry, value) for entry, value in reversed(kept) if value > 0]

    def _retainer_applied_specs(self, usage, account, balances, withheld=0.0):
        """Allocate the usage billed, entry by entry in work-date order, to the funds (the
        contract's `_retainer_allocate`), then one "Retainer applied" line per bucket in
        the contract's consumption order; its drawdowns are written when the invoice
        exists. `withheld`: what a not-to-exceed cap withholds, not paid by the funds."""
        contract = self.contract_id
        currency = contract.currency_id
        values = [pair for spec in usage for pair in self._retainer_entry_values(spec)]
        values.sort(key=lambda pair: (pair[0].date, pair[0].id))
        values = self._retainer_within_cap(values, withheld)
        balances, draws = dict(balances), {}
        for entry, value in values:
            plan, _overage = contract._retainer_allocate(entry.date, value, balances)
            for bucket, take in plan:
                draws.setdefault(bucket, []).append((entry, take))
        specs = []
        for bucket in sorted(draws, key=contract._retainer_draw_key):
            total = round_half_up(
                currency, sum((Decimal(repr(take)) for _entry, take in draws[bucket]), Decimal(0))
            )
            name = _(MESSAGES["applied"], bucket=bucket.name)
            spec = self._spec(name, 1.0, -total, bucket, -total)
            spec.update(
                account=account,
                retainer=True,
                link=lambda invoice_line, b=bucket, d=draws[bucket]: self._retainer_draw_on(
                    b, d, invoice_line
                ),
            )
            specs.append(spec)
        return specs

    def _retainer_draw_on(self, bucket, draws, invoice_line):
        """The drawdowns of one bucket, each naming its time entry and the invoice line."""
        return self.env["q2c.retainer.drawdown"].create(
            [
                {
                    "contract_id": self.contract_id.id,
                    "bucket_id": bucket.id,
                    "date": entry.date,
                    "amount": take,
                    "name": _(
                        MESSAGES["drawdown"],
                        employee=entry.employee_id.name,
                        date=entry.date,
                        hours=f"{entry.unit_amount:.2f}",
                    ),
                    "timesheet_id": entry.id,
                    "invoice_line_id": invoice_line.id,
                }
                for entry, take in draws
            ]
        )

    # ------------------------------------------------------------------ security deposit

    def _retainer_is_final(self):
        """Whether this run bills the contract's final invoice: its period reaches the
        contract's end. An evergreen retainer without an end date has no final invoice
        until Finance sets one."""
        end = self.contract_id.date_end
        return bool(end) and self.run_id.date_to >= end

    def _retainer_security_specs(self, specs, account):
        """Evergreen or security retainer (billing-domain.md 1.4): "held as a deposit ...
        and applied to the final invoice ... a customer deposit applied once at the end".
        The first run invoices the deposit once, to the advances account; usage is billed at
        T&M rates like a T&M contract's and draws nothing. The final invoice applies the
        deposit once: minus min(deposit, what the rest of that invoice bills); what is left
        of a deposit larger than the final invoice stays on the advances account, to return
        to the client. A deposit never invoiced before the final run is not invoiced at all
        (invoiced and applied on the same invoice, it would be nothing)."""
        contract = self.contract_id
        Bucket = self.env["q2c.retainer.bucket"]
        deposit = Bucket.search([("contract_id", "=", contract.id), ("kind", "=", "deposit")])
        final = self._retainer_is_final()
        if not deposit.invoice_line_id:
            if final:
                return specs
            deposit = deposit or contract._open_retainer_deposit()
            if contract.currency_id.is_zero(deposit.amount):
                return specs
            return [self._retainer_fund_spec(_(MESSAGES["deposit"]), deposit, account), *specs]
        if not final or deposit.drawdown_ids:
            return specs
        return specs + self._retainer_deposit_applied_specs(deposit, specs, account)

    def _retainer_deposit_applied_specs(self, deposit, specs, account):
        currency = self.contract_id.currency_id
        rest = round_half_up(
            currency, sum((Decimal(repr(spec["amount"])) for spec in specs), Decimal(0))
        )
        applied = min(deposit.balance, rest)
        if currency.compare_amounts(applied, 0.0) <= 0:
            return []
        spec = self._spec(_(MESSAGES["deposit_applied"]), 1.0, -applied, deposit, -applied)
        spec.update(
            account=account,
            retainer=True,
            link=lambda invoice_line: self.env["q2c.retainer.drawdown"].create(
                {
                    "contract_id": self.contract_id.id,
                    "bucket_id": deposit.id,
                    "date": self.run_id.invoice_date,
                    "amount": applied,
                    "name": _(MESSAGES["deposit_drawdown"], run=self.run_id.name),
                    "invoice_line_id": invoice_line.id,
                }
            ),
        )
        return [spec]
