"""What an approved change order does to its contract, once, and how a void undoes it.

A mixin of `q2c.change.order` rather than a helper model: the methods stay on the change order
(`order._apply_effects()`, `order._is_billed()`), so billing and the CRM extend them with a plain
`_inherit = "q2c.change.order"`, while the workflow (states, rights, buttons) and the effects
each read in one file. It relies on the change order's fields (`contract_id`, `project_id`,
`line_ids`, `ohp_percent`, `bond_percent`, `date_approved`, the `effects_*` flags and the
records it created) and on its `_workflow_write`.
"""

from odoo import _, fields, models
from odoo.addons.q2c_contract.models.q2c_contract_sov_line import CHANGE_ORDER_EFFECT
from odoo.addons.q2c_contract.money import markup_chain, round_half_up
from odoo.exceptions import UserError


class Q2cChangeOrderEffects(models.AbstractModel):
    _name = "q2c.change.order.effects"
    _description = "Change Order Effects"

    # ------------------------------------------------------------------ effects, computed

    def _effect_groups(self, approved):
        """The change's effects: one group per target (a new SOV line, an existing SOV line,
        the contract value, a new milestone, the cap).

        Markups (OH&P on the direct subtotal, then bond on the running subtotal, each rounded)
        are applied per group, so that every SOV change carries its own markup and the sum of
        the groups is the change order's amount exactly. The cap takes no markup. The bond
        premium is a cost; OH&P is margin. `approved`: only approved lines at their approved
        amounts (partial approval), else every line as requested.
        """
        self.ensure_one()
        currency = self.currency_id or self.env.company.currency_id
        groups = {}
        for line in self.line_ids.sorted(lambda ln: (ln.sequence, ln.id or 0)):
            if approved and line.decision == "rejected":
                continue
            key = f"{line.target}:{line.sov_line_id.id or 0}"
            group = groups.setdefault(
                key,
                {
                    "key": key,
                    "target": line.target,
                    "sov_line": line.sov_line_id,
                    "lines": line,
                    "direct": 0.0,
                    "line_cost": 0.0,
                },
            )
            group["lines"] |= line
            group["direct"] += line.approved_amount if approved else line.amount
            group["line_cost"] += line.cost_amount
        for group in groups.values():
            group["direct"] = round_half_up(currency, group["direct"])
            if group["target"] == "nte_cap":
                group.update(ohp=0.0, bond=0.0, total=group["direct"], cost=0.0)
                continue
            (ohp, bond), total = markup_chain(
                currency, group["direct"], [self.ohp_percent, self.bond_percent]
            )
            cost = round_half_up(currency, group["line_cost"] + bond)
            group.update(ohp=ohp, bond=bond, total=total, cost=cost)
        return list(groups.values())

    # ------------------------------------------------------------------ effects, applied

    def _lock(self):
        """Lock the change order's row: two approvals or voids of it cannot interleave."""
        self.flush_recordset()
        self.env.cr.execute(
            "SELECT effects_applied, effects_reversed FROM q2c_change_order "
            "WHERE id = %s FOR UPDATE",
            [self.id],
        )
        return self.env.cr.fetchone()

    def _apply_effects(self):
        """Apply the approved change once: contract value or cap, schedule of values, billing
        schedule (new milestone), project budget. Returns the changes, for the audit message.

        Exactly once: the row lock, the `effects_applied` flag, and the unique index on
        (change order, effect, reversal) of the change entries; a second call does nothing.
        """
        self.ensure_one()
        applied, _reversed = self._lock()
        if applied:
            return []
        contract = self.contract_id
        value_before = contract.current_value
        running = {"value": contract.current_value, "nte": contract.nte_amount}
        changes = []
        entries = []
        for group in self._effect_groups(approved=True):
            entries += self._effect_entries(group, changes, running)
        entries += self._budget_entries(changes)
        self.env["q2c.contract.change.entry"].create(entries)
        self._workflow_write({"effects_applied": True})
        changes.insert(
            0,
            _(
                "Contract value: %(before)s → %(after)s",
                before=contract._fmt(value_before),
                after=contract._fmt(contract.current_value),
            ),
        )
        return changes

    def _entry(self, group_key, kind, amount, before, **extra):
        return {
            "contract_id": self.contract_id.id,
            "currency_id": self.currency_id.id,
            "change_order_id": self.id,
            "effect_key": f"{group_key}/{kind}",
            "date": self.date_approved,
            "name": f"{self.display_name}",
            "kind": kind,
            "amount": amount,
            "amount_before": before,
            "amount_after": self.currency_id.round(before + amount),
            **extra,
        }

    def _effect_entries(self, group, changes, running):
        """Entries (and the new SOV line or milestone) of one effect group.

        `running` holds the contract value and cap as the entries of this change order move
        them, so that each entry records its own before and after.
        """
        fmt = self.contract_id._fmt
        total = group["total"]
        target = group["target"]
        key = group["key"]
        if target == "nte_cap":
            before = running["nte"]
            running["nte"] += total
            changes.append(
                _("Not-to-exceed cap: %(b)s → %(a)s", b=fmt(before), a=fmt(running["nte"]))
            )
            return [self._entry(key, "nte", total, before)]
        value_before = running["value"]
        running["value"] += total
        if target == "sov_new":
            sov_line = self._create_sov_line(group)
            changes.append(
                _(
                    "New schedule-of-values line %(line)s: %(amount)s",
                    line=sov_line.display_name,
                    amount=fmt(total),
                )
            )
            return [self._entry(key, "value", total, 0.0, sov_line_id=sov_line.id)]
        if target == "sov_adjust":
            sov_line = group["sov_line"]
            before = sov_line.scheduled_value
            changes.append(
                _(
                    "Schedule-of-values line %(line)s: %(b)s → %(a)s",
                    line=sov_line.display_name,
                    b=fmt(before),
                    a=fmt(before + total),
                )
            )
            return [self._entry(key, "value", total, before, sov_line_id=sov_line.id)]
        entry = self._entry(key, "value", total, value_before)
        if target == "milestone":
            # The value entry goes first: the new milestone must fit in the new contract value.
            self.env["q2c.contract.change.entry"].create(entry)
            milestone = self._create_milestone(total)
            changes.append(
                _("New milestone %(name)s: %(amount)s", name=milestone.name, amount=fmt(total))
            )
            return []
        return [entry]

    def _create_sov_line(self, group):
        contract = self.contract_id
        lines = contract.with_context(active_test=False).sov_line_ids
        numbers = [int(n) for n in lines.mapped("item_no") if n and n.isdigit()]
        cost_codes = group["lines"].filtered("cost_code").mapped("cost_code")
        return (
            self.env["q2c.contract.sov.line"]
            .with_context(q2c_change_order_effect=CHANGE_ORDER_EFFECT)
            .create(
                {
                    "contract_id": contract.id,
                    "sequence": max(lines.mapped("sequence") or [0]) + 1,
                    "item_no": str(max(numbers or [0]) + 1),
                    "name": f"{self.name} {self.title}",
                    "cost_code": cost_codes[0] if cost_codes else False,
                    "original_value": 0.0,
                    "change_order_id": self.id,
                }
            )
        )

    def _create_milestone(self, amount):
        contract = self.contract_id
        return self.env["q2c.contract.milestone"].create(
            {
                "contract_id": contract.id,
                "sequence": max(contract.milestone_ids.mapped("sequence") or [0]) + 1,
                "name": f"{self.name} {self.title}",
                "basis": "amount",
                "fixed_amount": amount,
                "change_order_id": self.id,
            }
        )

    def _budget_entries(self, changes):
        """Revenue budget + the approved price, cost budget + the approved estimated cost."""
        project = self.project_id
        priced = [g for g in self._effect_groups(approved=True) if g["target"] != "nte_cap"]
        if not project or not priced:
            return []
        revenue = self.currency_id.round(sum(g["total"] for g in priced))
        cost = self.currency_id.round(sum(g["cost"] for g in priced))
        to_project = project.currency_id or self.company_id.currency_id
        if to_project != self.currency_id:
            revenue, cost = (
                self.currency_id._convert(a, to_project, self.company_id, self.date_approved)
                for a in (revenue, cost)
            )
        entries = []
        fmt = self.contract_id._fmt
        for kind, amount, before in (
            ("budget_revenue", revenue, project.q2c_revenue_budget_revised),
            ("budget_cost", cost, project.q2c_cost_budget_revised),
        ):
            if to_project.is_zero(amount):
                continue
            entry = self._entry("budget", kind, amount, before, project_id=project.id)
            entry["currency_id"] = to_project.id
            entries.append(entry)
            label = _("Revenue budget") if kind == "budget_revenue" else _("Cost budget")
            changes.append(
                _(
                    "%(label)s of %(project)s: %(b)s → %(a)s",
                    label=label,
                    project=project.display_name,
                    b=fmt(before),
                    a=fmt(before + amount),
                )
            )
        return entries

    def _is_billed(self):
        """Whether billing used this change: then it is never voided, only reversed by a new
        change order. q2c_billing extends this with its invoice lines."""
        self.ensure_one()
        currency = self.currency_id
        return (
            not currency.is_zero(self.billed_amount)
            or any(not currency.is_zero(line.billed_amount) for line in self.sov_line_ids)
            or any(not currency.is_zero(m.billed_amount) for m in self.milestone_ids)
        )

    def _reverse_effects(self):
        """Undo an approved, unbilled change with reversing entries; refuse a billed one."""
        self.ensure_one()
        applied, reversed_already = self._lock()
        if not applied or reversed_already:
            return []
        if self._is_billed():
            raise UserError(
                _(
                    "%(order)s was billed: voiding it would rewrite invoiced amounts. Create a "
                    "change order that reverses it instead.",
                    order=self.display_name,
                )
            )
        contract = self.contract_id
        value_before = contract.current_value
        originals = self.change_entry_ids.filtered(lambda e: not e.is_reversal)
        reversals = originals._reverse_values(_("Void of %s", self.display_name))
        for values, original in zip(reversals, originals, strict=True):
            values.update(
                change_order_id=self.id,
                effect_key=original.effect_key,
                date=fields.Date.context_today(self),
                amount_before=original.amount_after,
                amount_after=original.amount_before,
            )
        self.env["q2c.contract.change.entry"].create(reversals)
        self.sov_line_ids.with_context(q2c_change_order_effect=CHANGE_ORDER_EFFECT).write(
            {"active": False}
        )
        self.milestone_ids.write({"active": False})
        self._workflow_write({"effects_reversed": True})
        return [
            _(
                "Contract value: %(before)s → %(after)s",
                before=contract._fmt(value_before),
                after=contract._fmt(contract.current_value),
            ),
            *(
                _(
                    "%(kind)s reversed: %(amount)s",
                    kind=dict(e._fields["kind"]._description_selection(self.env))[e.kind],
                    amount=contract._fmt(-e.amount),
                )
                for e in originals
                if e.kind != "value"
            ),
        ]
