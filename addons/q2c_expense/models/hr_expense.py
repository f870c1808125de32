import logging
from collections import defaultdict
from decimal import Decimal

from odoo import Command, _, api, fields, models
from odoo.addons.q2c_contract.money import line_amount
from odoo.addons.q2c_sync.ingest import HeldEntry, InvalidEntry
from odoo.exceptions import ValidationError
from odoo.tools import float_compare
from odoo.tools.translate import LazyTranslate

from ..ingest import fingerprint, validate
from ..pricing import Billing, allocate_day, bill

_logger = logging.getLogger(__name__)
_lt = LazyTranslate(__name__)

# What the source system owns: a change re-prices the expense (when it is not billed).
SOURCE_FIELDS = {
    "employee_id",
    "product_id",
    "q2c_project_id",
    "date",
    "quantity",
    "total_amount_currency",
    "currency_id",
    "q2c_recoverable_tax",
    "q2c_billable",
    "q2c_approval_state",
}
# What pricing sets and billing bills, beside the billing fields of q2c.ingested.mixin:
# written by ingestion, re-pricing and corrections only (q2c.guarded.mixin).
PRICED_FIELDS = frozenset(
    {
        "q2c_contract_id",
        "q2c_policy_id",
        "q2c_fx_rate",
        "q2c_cost",
        "q2c_contract_cost",
        "q2c_markup_percent",
        "q2c_unit_rate",
        "q2c_billable_cost",
        "q2c_markup_amount",
        "q2c_billed_value",
        "q2c_non_billable_cost",
    }
)
# Frozen once the expense is billed (billing-domain.md 0, immutability, and 1.9), beside
# the fields of q2c.ingested.mixin: what the source delivered and what pricing set.
BILLED_FIELDS = SOURCE_FIELDS | PRICED_FIELDS | {"name", "total_amount", "q2c_receipt_ref"}
# The amounts a reversal negates.
REVERSED_AMOUNTS = (
    "quantity",
    "total_amount_currency",
    "q2c_recoverable_tax",
    "q2c_cost",
    "q2c_contract_cost",
    "q2c_billable_cost",
    "q2c_markup_amount",
    "q2c_billed_value",
    "q2c_non_billable_cost",
)
# Reference object types of an expense and the Odoo model each must point to.
REF_MODELS = {
    "employee": "hr.employee",
    "project": "project.project",
    "expense_category": "product.product",
}
RESULT_MESSAGES = {
    # The same words as for time entries: one exception per missing person or project.
    "unmapped_employee": "held: employee %s of this system is not mapped to an Odoo employee",
    "unmapped_project": "held: project %s of this system is not mapped to an Odoo project",
    "unmapped_category": "held: expense category %s of this system is not mapped to an Odoo "
    "expense product",
    "unknown_currency": "currency %s is unknown or not active in Odoo",
}
NO_BILLING = Billing(0.0, 0.0, 0.0, 0.0)


class HrExpense(models.Model):
    """Expenses from other systems: a q2c.ingested.mixin re-billed at cost plus the
    contract's expense policy. Only what differs from time entries is here: the receipt's
    amounts and currency, the references (employee, project, expense category) and the
    pricing (caps shared per day, mileage rates)."""

    _name = "hr.expense"
    _inherit = ["hr.expense", "q2c.ingested.mixin"]
    _q2c_hold_kind = "expense"
    _q2c_noun = _lt("Expense")
    _q2c_billed_fields = BILLED_FIELDS
    _q2c_result_id_key = "expense_id"

    q2c_approval_state = fields.Selection(
        string="Approval at Source",
        tracking=True,
        help="The approval at the source system. Imported expenses stay outside Odoo's expense "
        "reports: they are reimbursed where they were entered.",
    )
    q2c_approved_at = fields.Datetime(
        tracking=True,
        help="When the expense was approved (the source's time, else when q2c first saw it "
        "approved). A billing run takes expenses approved before its cut-off.",
    )
    q2c_project_id = fields.Many2one(
        "project.project",
        string="Project",
        index="btree_not_null",
        check_company=True,
        copy=False,
    )
    q2c_contract_id = fields.Many2one(
        "q2c.contract", string="Contract", copy=False, index=True, readonly=True, tracking=True
    )
    q2c_currency_id = fields.Many2one(
        related="q2c_contract_id.currency_id", string="Contract Currency"
    )
    q2c_receipt_ref = fields.Char("Receipt Reference", copy=False)
    q2c_recoverable_tax = fields.Monetary(
        "Recoverable Tax",
        currency_field="currency_id",
        copy=False,
        help="The tax in the receipt amount that the firm reclaims: the cost and the markup "
        "are net of it (billing-domain.md 1.5).",
    )
    q2c_policy_id = fields.Many2one(
        "q2c.expense.policy",
        string="Expense Policy",
        copy=False,
        readonly=True,
        tracking=True,
        ondelete="restrict",
    )
    q2c_fx_rate = fields.Float(
        "Rate at Expense Date",
        digits=(16, 9),
        copy=False,
        readonly=True,
        tracking=True,
        help="Units of company currency per unit of the expense currency on the expense date.",
    )
    q2c_cost = fields.Monetary(
        "Cost",
        currency_field="company_currency_id",
        copy=False,
        readonly=True,
        tracking=True,
        help="round((amount - recoverable tax) x rate at the expense date), company currency.",
    )
    q2c_contract_cost = fields.Monetary(
        "Cost (contract currency)",
        currency_field="q2c_currency_id",
        copy=False,
        readonly=True,
        tracking=True,
    )
    q2c_markup_percent = fields.Float(
        "Markup (%)", digits=(6, 4), copy=False, readonly=True, tracking=True
    )
    q2c_unit_rate = fields.Monetary(
        "Unit Rate",
        currency_field="q2c_currency_id",
        copy=False,
        readonly=True,
        tracking=True,
        help="Mileage: the contract's rate per unit, billed instead of the receipt amount.",
    )
    q2c_billable_cost = fields.Monetary(
        "Billable Cost",
        currency_field="q2c_currency_id",
        copy=False,
        readonly=True,
        tracking=True,
        help="The cost after the contract's cap (or quantity x unit rate for mileage).",
    )
    q2c_markup_amount = fields.Monetary(
        "Markup", currency_field="q2c_currency_id", copy=False, readonly=True, tracking=True
    )
    q2c_billed_value = fields.Monetary(
        "Billed Value",
        currency_field="q2c_currency_id",
        copy=False,
        readonly=True,
        tracking=True,
        help="Billable cost + markup: what the invoice line bills.",
    )
    q2c_non_billable_cost = fields.Monetary(
        "Non-billable Cost",
        currency_field="q2c_currency_id",
        copy=False,
        readonly=True,
        tracking=True,
        help="The part of the cost that is not re-billed: over a cap, or the whole cost of a "
        "non-billable expense.",
    )
    q2c_billing_status = fields.Selection(
        selection_add=[
            ("no_policy", "Held: no expense policy"),
            ("no_rate", "Held: no exchange rate"),
            ("to_bill",),
        ],
        ondelete={"no_policy": "set null", "no_rate": "set null"},
        tracking=True,
    )
    # The billing fields are tracked: the chatter shows who billed, freed or held an
    # expense, and when (docs/security.md, 8).
    q2c_hold_reason = fields.Char(tracking=True)
    q2c_billed_at = fields.Datetime(tracking=True)
    q2c_billing_ref = fields.Char(tracking=True)
    q2c_correction_kind = fields.Selection(tracking=True)
    q2c_origin_id = fields.Many2one(
        "hr.expense",
        string="Corrects",
        copy=False,
        readonly=True,
        tracking=True,
        index="btree_not_null",
        help="The billed expense this reversal or replacement corrects.",
    )

    _sql_constraints = [
        (
            "q2c_external_uniq",
            "unique(q2c_system_id, q2c_external_id)",
            "An expense of a system is imported once: its external id is already used.",
        ),
    ]

    # ------------------------------------------------------------------ guards

    def _q2c_guarded_fields(self):
        """Beside the billing fields of the mixin, the priced values: the contract and
        policy, the cost and what the invoice line bills (pricing writes them; a billing run
        bills `q2c_billed_value`)."""
        return super()._q2c_guarded_fields() | PRICED_FIELDS

    @api.constrains("sheet_id", "q2c_system_id")
    def _check_q2c_not_reported(self):
        """An imported expense is reimbursed in its source system: putting it on an Odoo
        expense report would reimburse it twice."""
        for expense in self:
            if expense.sheet_id and expense.q2c_system_id:
                raise ValidationError(
                    _(
                        "Expense %s comes from another system, which reimburses it: it cannot "
                        "be put on an expense report.",
                        expense.display_name,
                    )
                )

    def write(self, vals):
        reprice = not self.env.context.get("q2c_pricing") and SOURCE_FIELDS & set(vals)
        days_before = self._q2c_day_keys() if reprice else set()
        result = super().write(vals)
        if reprice:
            self.filtered("q2c_system_id")._q2c_reprice(days_before)
        return result

    # ------------------------------------------------------------------ ingestion hooks

    @api.model
    def _q2c_validate(self, raw):
        return validate(raw)

    @api.model
    def _q2c_read_batch(self, system, entries):
        """The chunk's references and currencies, one query each."""
        return {
            "company_currency_id": system.company_id.currency_id.id,
            "refs": self._q2c_map_refs(system, entries),
            "currencies": self._q2c_currencies(entries),
        }

    def _q2c_map_refs(self, system, entries):
        """{(object type, external id): record id} of the chunk's references, one query."""
        wanted = defaultdict(set)
        for entry in entries:
            wanted["employee", REF_MODELS["employee"]].add(entry["employee"])
            wanted["project", REF_MODELS["project"]].add(entry["project"])
            wanted["expense_category", REF_MODELS["expense_category"]].add(entry["category"])
        return self.env["q2c.external.ref"]._resolve_many(system, wanted)

    def _q2c_currencies(self, entries):
        """{ISO code: active currency} of the chunk, one query (currencies are configuration)."""
        codes = {entry["currency"] for entry in entries if entry["currency"]}
        if not codes:
            return {}
        found = self.env["res.currency"].sudo().search([("name", "in", list(codes))])
        return {currency.name: currency.id for currency in found}

    @api.model
    def _q2c_map_entry(self, batch, entry):
        """An unknown currency is the sender's to fix (rejected); an unmapped reference a
        mapping to add (held)."""
        currency_id = batch["company_currency_id"]
        if entry["currency"]:
            currency_id = batch["currencies"].get(entry["currency"])
            if not currency_id:
                raise InvalidEntry(RESULT_MESSAGES["unknown_currency"] % entry["currency"])
        refs = batch["refs"]
        employee_id = refs.get(("employee", entry["employee"]))
        if not employee_id:
            raise HeldEntry(RESULT_MESSAGES["unmapped_employee"] % entry["employee"])
        project_id = refs.get(("project", entry["project"]))
        if not project_id:
            raise HeldEntry(RESULT_MESSAGES["unmapped_project"] % entry["project"])
        product_id = refs.get(("expense_category", entry["category"]))
        if not product_id:
            raise HeldEntry(RESULT_MESSAGES["unmapped_category"] % entry["category"])
        return {
            "employee_id": employee_id,
            "project_id": project_id,
            "product_id": product_id,
            "currency_id": currency_id,
            "fingerprint": fingerprint(employee_id, project_id, product_id, currency_id, entry),
        }

    @api.model
    def _q2c_values(self, system, batch, entry, mapped):
        """The expense's source values (pricing is added by `_q2c_create_records` or by the
        re-pricing that follows a write)."""
        approved_at = False
        if entry["approval_state"] == "approved":
            approved_at = entry["approved_at"] or fields.Datetime.now()
        product = self.env["product.product"].sudo().browse(mapped["product_id"])
        project = self.env["project.project"].sudo().browse(mapped["project_id"])
        return {
            "name": entry["description"] or product.display_name,
            "employee_id": mapped["employee_id"],
            "product_id": mapped["product_id"],
            "q2c_project_id": mapped["project_id"],
            "date": entry["date"],
            "quantity": entry["quantity"],
            "total_amount_currency": entry["amount"],
            "currency_id": mapped["currency_id"],
            # The receipt's tax is what the sender says (`recoverable_tax`), not the product's
            # purchase taxes: the total stays the receipt amount.
            "tax_ids": [Command.clear()],
            # The project's analytic account, as the project's own expenses get it; given here
            # so that Odoo does not look up a distribution model expense by expense.
            "analytic_distribution": (
                {str(project.account_id.id): 100.0} if project.account_id else False
            ),
            "q2c_recoverable_tax": entry["recoverable_tax"],
            "q2c_receipt_ref": entry["receipt"] or False,
            "q2c_billable": entry["billable"],
            "q2c_approval_state": entry["approval_state"],
            "q2c_approved_at": approved_at,
            "q2c_fingerprint": mapped["fingerprint"],
            "q2c_source_updated_at": entry["updated_at"],
        }

    @api.model
    def _q2c_create_records(self, system, vals_list):
        """Priced (a per-day cap shared with the day's existing receipts) and created in the
        system's company, without mail tracking."""
        for vals in vals_list:
            vals.setdefault("company_id", system.company_id.id)
        vals_list = self._q2c_price_new(vals_list)
        Expense = self.with_context(tracking_disable=True, mail_create_nosubscribe=True)
        return Expense.create(vals_list)

    @api.model
    def _q2c_correction_common(self, origin):
        return {**super()._q2c_correction_common(origin), "company_id": origin.company_id.id}

    def _q2c_create_reversal(self, vals):
        """The billed expense with every amount negated, at its billed values."""
        self.ensure_one()
        reversal = {
            **{name: -self[name] for name in REVERSED_AMOUNTS},
            "name": _("Reversal: %s", self.name),
            "employee_id": self.employee_id.id,
            "product_id": self.product_id.id,
            "q2c_project_id": self.q2c_project_id.id,
            "company_id": self.company_id.id,
            "date": self.date,
            "currency_id": self.currency_id.id,
            "tax_ids": [Command.clear()],
            "analytic_distribution": self.analytic_distribution,
            "q2c_receipt_ref": self.q2c_receipt_ref,
            "q2c_billable": self.q2c_billable,
            "q2c_contract_id": self.q2c_contract_id.id,
            "q2c_policy_id": self.q2c_policy_id.id,
            "q2c_fx_rate": self.q2c_fx_rate,
            "q2c_markup_percent": self.q2c_markup_percent,
            "q2c_unit_rate": self.q2c_unit_rate,
            "q2c_billing_status": "to_bill",
            **vals,
        }
        return self.with_context(tracking_disable=True).create([reversal])

    # ------------------------------------------------------------------ pricing

    def _q2c_pricer(self):
        """A pricing function for one batch: data -> (values, day key or None); see
        `BatchPricer`."""
        return BatchPricer(self).price

    @api.model
    def _q2c_no_rate_values(self, currency_names, day):
        """An expense that cannot be converted yet: held with nothing priced."""
        return {
            "q2c_policy_id": False,
            "q2c_fx_rate": 0.0,
            "q2c_cost": 0.0,
            "q2c_contract_cost": 0.0,
            "q2c_markup_percent": 0.0,
            "q2c_unit_rate": 0.0,
            "q2c_billing_status": "no_rate",
            "q2c_hold_reason": _(
                "No exchange rate of %(currencies)s on or before %(date)s: add it "
                "(Accounting > Currencies), then re-price.",
                currencies=", ".join(sorted(currency_names)),
                date=day,
            ),
        }

    @api.model
    def _q2c_status(self, data, contract, line, product):
        """(billing status, hold reason) of an expense; see BILLING_STATUSES."""
        if data["approval_state"] != "approved":
            return "pending_approval", False
        if not data["billable"]:
            return "not_billable", False
        if not contract:
            return "no_contract", _("The project has no active contract.")
        if not line:
            return "no_policy", _(
                "Contract %(contract)s has no expense policy for %(category)s: add a line "
                "for the product or its category, then re-price.",
                contract=contract.display_name,
                category=product.display_name,
            )
        if not line.billable:
            return "not_billable", False
        return "to_bill", False

    @api.model
    def _q2c_billing_values(self, billing):
        return {
            "q2c_billable_cost": billing.billable_cost,
            "q2c_markup_amount": billing.markup_amount,
            "q2c_billed_value": billing.billed_value,
            "q2c_non_billable_cost": billing.non_billable_cost,
        }

    @api.model
    def _q2c_pricing_data(self, vals):
        """What pricing reads, from creation values."""
        return {
            "project_id": vals["q2c_project_id"],
            "product_id": vals["product_id"],
            "employee_id": vals["employee_id"],
            "company_id": vals["company_id"],
            "currency_id": vals["currency_id"],
            "date": fields.Date.to_date(vals["date"]),
            "amount": vals["total_amount_currency"],
            "recoverable_tax": vals.get("q2c_recoverable_tax") or 0.0,
            "quantity": vals["quantity"],
            "billable": vals["q2c_billable"],
            "approval_state": vals["q2c_approval_state"],
        }

    def _q2c_record_pricing_data(self):
        self.ensure_one()
        return {
            "project_id": self.q2c_project_id.id,
            "product_id": self.product_id.id,
            "employee_id": self.employee_id.id,
            "company_id": self.company_id.id,
            "currency_id": self.currency_id.id,
            "date": self.date,
            "amount": self.total_amount_currency,
            "recoverable_tax": self.q2c_recoverable_tax,
            "quantity": self.quantity,
            "billable": self.q2c_billable,
            "approval_state": self.q2c_approval_state or "draft",
        }

    def _q2c_price_new(self, vals_list):
        """Add the pricing to the creation values of new expenses (in creation order). A
        per-day cap is shared after what the day's existing receipts already take."""
        price = self._q2c_pricer()
        days = defaultdict(list)
        for vals in vals_list:
            priced, day = price(self._q2c_pricing_data(vals))
            vals.update(priced)
            if day:
                days[day].append(vals)
        members = self._q2c_day_members(days)
        for day, new in days.items():
            billings = self._q2c_allocate_day(
                day,
                members.get(day, ()),
                [(vals["q2c_contract_cost"], vals["quantity"]) for vals in new],
            )
            for vals, billing in zip(new, billings, strict=True):
                vals.update(self._q2c_billing_values(billing))
        return vals_list

    def _q2c_frozen(self):
        """Billed expenses and reversals keep the values they were billed or reversed at."""
        self.ensure_one()
        return self.q2c_billing_status == "billed" or self.q2c_correction_kind == "reversal"

    def _q2c_day_key(self):
        self.ensure_one()
        return (self.q2c_contract_id.id, self.q2c_policy_id.id, self.employee_id.id, self.date)

    def _q2c_day_keys(self):
        """The per-day cap groups these expenses take part in."""
        return {
            expense._q2c_day_key()
            for expense in self
            if expense.q2c_billing_status in ("to_bill", "billed")
            # The policy is contract configuration, read whoever edits the expense.
            and expense.q2c_policy_id.sudo().cap_basis == "per_day"
        }

    def _q2c_day_members(self, days):
        """{day key: expenses of that day under that policy, by id}, in one search."""
        if not days:
            return {}
        found = self.sudo().search(
            [
                ("q2c_policy_id", "in", list({day[1] for day in days})),
                ("employee_id", "in", list({day[2] for day in days})),
                ("date", "in", list({day[3] for day in days})),
                ("q2c_billing_status", "in", ("to_bill", "billed")),
            ],
            order="id",
        )
        members = defaultdict(list)
        for expense in found.with_env(self.env):
            key = expense._q2c_day_key()
            if key in days:
                members[key].append(expense)
        return members

    def _q2c_reprice(self, extra_days=()):
        """Price these expenses again from their current values and contract policy (a
        source edit, a policy change). Only imported expenses and their corrections are
        priced; billed ones and reversals keep their values. The per-day caps of the days
        touched are shared again."""
        price = self._q2c_pricer()
        days = set(extra_days)
        for expense in self:
            if expense._q2c_frozen() or not expense.q2c_system_id:
                continue
            vals, day = price(expense._q2c_record_pricing_data())
            expense._q2c_write_changed(vals)
            if day:
                days.add(day)
        self._q2c_share_days(days)

    def _q2c_share_days(self, days):
        """Share each day's cap again: frozen receipts take theirs first, then the others by
        id (the order they arrived in)."""
        for day, members in self._q2c_day_members(days).items():
            frozen = [m for m in members if m._q2c_frozen()]
            open_ = [m for m in members if not m._q2c_frozen()]
            billings = self._q2c_allocate_day(
                day, frozen, [(m.q2c_contract_cost, m.quantity) for m in open_]
            )
            for expense, billing in zip(open_, billings, strict=True):
                expense._q2c_write_changed(self._q2c_billing_values(billing))

    @api.model
    def _q2c_allocate_day(self, day, taken_by, items):
        """The billings of `items` ((contract cost, quantity) pairs, in order) sharing the
        per-day cap of `day` (a day key) after what the expenses `taken_by` already take."""
        line = self.env["q2c.expense.policy"].sudo().browse(day[1])
        taken = sum((Decimal(repr(m.q2c_billable_cost)) for m in taken_by), Decimal(0))
        policy = line._policy()
        return allocate_day(
            line.currency_id,
            line.cap_amount,
            taken,
            [(cost, quantity, policy) for cost, quantity in items],
        )

    def _q2c_write_changed(self, vals):
        """Write only the values that differ (no write, no tracking, when nothing changed)."""
        self.ensure_one()
        changed = {}
        for name, value in vals.items():
            field = self._fields[name]
            current = self[name]
            if field.type == "many2one":
                current = current.id
            if field.type in ("float", "monetary"):
                if float_compare(current or 0.0, value or 0.0, precision_digits=9):
                    changed[name] = value
            elif (current or False) != (value or False):
                changed[name] = value
        if changed:
            self.with_context(q2c_pricing=True)._q2c_guarded_write(changed)

    # ------------------------------------------------------------------ actions

    def action_q2c_reprice(self):
        """Button: after a change of the contract's expense policy."""
        self.check_access("write")
        self._q2c_reprice(self._q2c_day_keys())
        return True

    # ------------------------------------------------------------------ billing

    def _q2c_value(self):
        """The billed value (billable cost + markup) in the contract currency."""
        self.ensure_one()
        return self.q2c_billed_value


class BatchPricer:
    """Prices the expenses of one batch (billing-domain.md 1.5): the cost at the expense date
    (step 1), the contract of the project, its policy line for the product, the billing
    status, and the billing values (steps 2 to 4). For a per-day cap the values assume the
    whole cap; the model then shares it among the day's receipts. Contracts, policies and
    rates are read once per distinct key."""

    def __init__(self, expenses):
        self.model = expenses
        self.env = expenses.env
        self.contracts, self.policies, self.rates, self.first_rates = {}, {}, {}, {}

    def rate(self, from_currency, to_currency, company, day):
        key = (from_currency.id, to_currency.id, company.id, day)
        if key not in self.rates:
            self.rates[key] = self.env["res.currency"]._get_conversion_rate(
                from_currency, to_currency, company, day
            )
        return self.rates[key]

    def unrated(self, currencies, company, day):
        """The currencies with no rate on or before `day`: Odoo would fall back to a later
        rate or to 1.0, which must not price a receipt."""
        missing = []
        for currency in currencies - company.currency_id:
            key = (currency.id, company.root_id.id)
            if key not in self.first_rates:
                self.first_rates[key] = (
                    self.env["res.currency.rate"]
                    .sudo()
                    .search(
                        [
                            ("currency_id", "=", currency.id),
                            ("company_id", "in", (False, company.root_id.id)),
                        ],
                        order="name",
                        limit=1,
                    )
                    .name
                )
            if not self.first_rates[key] or self.first_rates[key] > day:
                missing.append(currency.name)
        return missing

    def contract_of(self, project_id):
        if project_id not in self.contracts:
            project = self.env["project.project"].sudo().browse(project_id)
            self.contracts[project_id] = project.q2c_contract_ids.filtered(
                lambda c: c.state in ("active", "on_hold")
            )[:1]
        return self.contracts[project_id]

    def policy_of(self, contract, product):
        if not contract:
            return self.env["q2c.expense.policy"]
        key = (contract.id, product.id)
        if key not in self.policies:
            self.policies[key] = contract._expense_policy_for(product)
        return self.policies[key]

    def price(self, data):
        model = self.model
        company = self.env["res.company"].sudo().browse(data["company_id"])
        currency = self.env["res.currency"].sudo().browse(data["currency_id"])
        contract = self.contract_of(data["project_id"])
        vals = {"q2c_contract_id": contract.id, **model._q2c_billing_values(NO_BILLING)}
        missing = self.unrated(currency | contract.currency_id, company, data["date"])
        if missing:
            vals.update(model._q2c_no_rate_values(missing, data["date"]))
            return vals, None
        net = currency.round(data["amount"] - data["recoverable_tax"])
        fx = self.rate(currency, company.currency_id, company, data["date"])
        vals.update(q2c_fx_rate=fx, q2c_cost=line_amount(company.currency_id, net, fx))
        contract_cost = 0.0
        if contract:
            to_rate = self.rate(currency, contract.currency_id, company, data["date"])
            contract_cost = line_amount(contract.currency_id, net, to_rate)
        vals["q2c_contract_cost"] = contract_cost
        product = self.env["product.product"].sudo().browse(data["product_id"])
        line = self.policy_of(contract, product)
        status, reason = model._q2c_status(data, contract, line, product)
        priced = status == "to_bill"
        vals.update(
            q2c_policy_id=line.id,
            q2c_markup_percent=line.markup_percent if priced else 0.0,
            q2c_unit_rate=line.unit_rate if priced else 0.0,
            q2c_billing_status=status,
            q2c_hold_reason=reason,
        )
        billing = NO_BILLING
        if priced:
            billing = bill(contract.currency_id, contract_cost, data["quantity"], line._policy())
        elif status == "not_billable" and contract:
            billing = Billing(0.0, 0.0, 0.0, contract_cost)
        vals.update(model._q2c_billing_values(billing))
        if priced and line._policy().per_day:
            return vals, (contract.id, line.id, data["employee_id"], data["date"])
        return vals, None
