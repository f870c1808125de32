from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.tools import format_date

from .q2c_billing_run import CYCLES_COVERED

MESSAGES = {
    "draft_run": "Next billing run: %(run)s, for the period %(first)s to %(last)s (a draft "
    "that Finance prepares).",
    "next_run": "Next billing run: %(day)s (%(cycle)s), for the period %(first)s to %(last)s.",
}
# The cycle of the runs that bill a contract of each billing cycle (CYCLES_COVERED reversed).
RUN_CYCLE_OF = {
    cycle: run_cycle for run_cycle, cycles in CYCLES_COVERED.items() for cycle in cycles
}


class Q2cContract(models.Model):
    """The contract's billing figures, each a smart button of its form opening the records
    behind it: unbilled work (WIP, billing-domain.md 1.7), what its posted invoices invoiced,
    what was paid, what is overdue and, on a construction contract, the retainage held
    (billing-domain.md 2.4); and where the work waiting to be billed goes next.

    Amounts are in the contract currency and computed as superuser: the buttons are shown to
    the roles that may read them (the view's groups), on the contracts they may read."""

    _inherit = "q2c.contract"

    q2c_unbilled_amount = fields.Monetary(
        "Unbilled (WIP)",
        compute="_compute_q2c_unbilled",
        compute_sudo=True,
        help="Approved, billable time and expenses not billed yet, at billing value (hours x "
        "the stored rate, rounded per entry; expenses at billed value).",
    )
    q2c_unbilled_time_count = fields.Integer(
        "Time Entries to Bill", compute="_compute_q2c_unbilled", compute_sudo=True
    )
    q2c_unbilled_expense_count = fields.Integer(
        "Expenses to Bill", compute="_compute_q2c_unbilled", compute_sudo=True
    )
    q2c_unbilled_expense_amount = fields.Monetary(
        "Unbilled Expenses", compute="_compute_q2c_unbilled", compute_sudo=True
    )
    q2c_invoiced_amount = fields.Monetary(
        "Invoiced",
        compute="_compute_q2c_invoice_figures",
        compute_sudo=True,
        help="Posted invoices of the contract, taxes included, less its posted credit notes.",
    )
    q2c_paid_amount = fields.Monetary(
        "Paid",
        compute="_compute_q2c_invoice_figures",
        compute_sudo=True,
        help="What the customer paid on the contract's posted invoices (less what was paid "
        "back on its credit notes).",
    )
    q2c_overdue_amount = fields.Monetary(
        "Overdue",
        compute="_compute_q2c_invoice_figures",
        compute_sudo=True,
        help="What is still due on posted invoices whose due date has passed.",
    )
    q2c_retainage_held_amount = fields.Monetary(
        "Retainage Held",
        compute="_compute_q2c_invoice_figures",
        compute_sudo=True,
        help="Retainage withheld on the posted invoices, less retainage released.",
    )
    q2c_is_construction = fields.Boolean(
        "Construction Contract",
        compute="_compute_q2c_is_construction",
        help="Progress billing, a retainage rate or a schedule of values.",
    )
    q2c_waiting_to_bill = fields.Boolean(
        "Work Waiting to Be Billed", compute="_compute_q2c_next_run", compute_sudo=True
    )
    q2c_next_run_note = fields.Char(
        "Next Billing Run", compute="_compute_q2c_next_run", compute_sudo=True
    )

    # ------------------------------------------------------------------ unbilled (WIP)

    def _q2c_unbilled_time_domain(self):
        """Time the next run bills (billing-domain.md 1.7): approved, billable, not billed.
        Time logged on a fixed-fee contract is cost only (1.3): never billed, not WIP."""
        self.ensure_one()
        if self.billing_model == "fixed_fee":
            return [("id", "=", False)]
        return [("q2c_contract_id", "=", self.id), ("q2c_billing_status", "=", "to_bill")]

    def _q2c_unbilled_expense_domain(self):
        self.ensure_one()
        return [("q2c_contract_id", "=", self.id), ("q2c_billing_status", "=", "to_bill")]

    @api.depends("billing_model")
    def _compute_q2c_unbilled(self):
        Time = self.env["account.analytic.line"]
        Expense = self.env["hr.expense"]
        for contract in self:
            if not contract.id:
                contract.update(
                    q2c_unbilled_amount=0.0,
                    q2c_unbilled_time_count=0,
                    q2c_unbilled_expense_count=0,
                    q2c_unbilled_expense_amount=0.0,
                )
                continue
            [(time_count, time_amount)] = Time._read_group(
                contract._q2c_unbilled_time_domain(), [], ["__count", "q2c_bill_amount:sum"]
            )
            [(expense_count, expense_amount)] = Expense._read_group(
                contract._q2c_unbilled_expense_domain(),
                [],
                ["__count", "q2c_billed_value:sum"],
            )
            currency = contract.currency_id
            contract.q2c_unbilled_time_count = time_count
            contract.q2c_unbilled_expense_count = expense_count
            contract.q2c_unbilled_expense_amount = currency.round(expense_amount or 0.0)
            contract.q2c_unbilled_amount = currency.round(
                (time_amount or 0.0) + (expense_amount or 0.0)
            )

    # ------------------------------------------------------------------ invoices

    def _q2c_invoice_domain(self):
        """The contract's posted invoices and credit notes (a credit note made from one of
        its invoices names the invoice it reverses, not the contract)."""
        self.ensure_one()
        return [
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("state", "=", "posted"),
            "|",
            ("q2c_contract_id", "=", self.id),
            ("reversed_entry_id.q2c_contract_id", "=", self.id),
        ]

    def _q2c_to_contract_currency(self, move, amount):
        if move.currency_id == self.currency_id:
            return amount
        return move.currency_id._convert(
            amount, self.currency_id, move.company_id, move.invoice_date or move.date
        )

    def _q2c_overdue_invoices(self, moves):
        today = fields.Date.context_today(self)
        return moves.filtered(
            lambda move: move.move_type == "out_invoice"
            and move.invoice_date_due
            and move.invoice_date_due < today
            and not move.currency_id.is_zero(move.amount_residual)
        )

    def _q2c_paid_invoices(self, moves):
        """The invoices paid in full or in part (a reversed one is credited, not paid)."""
        return moves.filtered(
            lambda move: move.move_type == "out_invoice"
            and move.payment_state in ("paid", "in_payment", "partial")
        )

    def _q2c_retainage_lines(self, moves):
        return moves.invoice_line_ids.filtered("q2c_retainage_kind")

    @api.depends("currency_id")
    def _compute_q2c_invoice_figures(self):
        Move = self.env["account.move"]
        for contract in self:
            moves = Move.search(contract._q2c_invoice_domain()) if contract.id else Move
            invoiced = paid = overdue = retainage = 0.0
            for move in moves:
                sign = -1 if move.move_type == "out_refund" else 1
                invoiced += sign * contract._q2c_to_contract_currency(move, move.amount_total)
                paid += sign * contract._q2c_to_contract_currency(
                    move, move.amount_total - move.amount_residual
                )
            for move in contract._q2c_overdue_invoices(moves):
                overdue += contract._q2c_to_contract_currency(move, move.amount_residual)
            for line in contract._q2c_retainage_lines(moves):
                sign = -1 if line.move_id.move_type == "out_refund" else 1
                # A withheld line is negative on its invoice: what it withholds is held.
                retainage -= sign * contract._q2c_to_contract_currency(
                    line.move_id, line.price_subtotal
                )
            currency = contract.currency_id
            contract.q2c_invoiced_amount = currency.round(invoiced)
            contract.q2c_paid_amount = currency.round(paid)
            contract.q2c_overdue_amount = currency.round(overdue)
            contract.q2c_retainage_held_amount = currency.round(retainage)

    @api.depends("billing_model", "retainage_percent", "sov_line_ids")
    def _compute_q2c_is_construction(self):
        for contract in self:
            contract.q2c_is_construction = bool(
                contract.billing_model == "progress"
                or contract.retainage_percent
                or contract.sov_line_ids
            )

    # ------------------------------------------------------------------ the next run

    @api.depends("state", "billing_cycle", "date_end")
    def _compute_q2c_next_run(self):
        """The hint naming the next billing run, on a contract that is running: active and
        not ended (no end date, or one today or later). A closed, on-hold or draft contract,
        or one whose end date has passed, shows none: it is not running any more."""
        today = fields.Date.context_today(self)
        for contract in self:
            waiting = bool(
                contract.id
                and contract.state == "active"
                and not (contract.date_end and contract.date_end < today)
                and (
                    contract.q2c_unbilled_time_count
                    or contract.q2c_unbilled_expense_count
                    or any(
                        not contract.currency_id.is_zero(milestone._get_billable_amount(today))
                        for milestone in contract.milestone_ids
                    )
                )
            )
            contract.q2c_waiting_to_bill = waiting
            contract.q2c_next_run_note = contract._q2c_next_run_note(today) if waiting else False

    def _q2c_next_run_note(self, today):
        """Where the work waiting to be billed goes: the first draft run that covers the
        contract, else the run the nightly cron creates once the current period ends."""
        self.ensure_one()
        runs = self.env["q2c.billing.run"].search(
            [("company_id", "=", self.company_id.id), ("state", "=", "draft")],
            order="date_from, id",
        )
        for run in runs:
            if self in run._contracts_to_bill():
                return _(
                    MESSAGES["draft_run"],
                    run=run.name,
                    first=format_date(self.env, run.date_from),
                    last=format_date(self.env, run.date_to),
                )
        cycle = RUN_CYCLE_OF.get(self.billing_cycle, "monthly")
        day = self._q2c_next_run_day(cycle, today)
        first, last = self.env["q2c.billing.run"]._period_before(cycle, day)
        labels = dict(self._fields["billing_cycle"]._description_selection(self.env))
        return _(
            MESSAGES["next_run"],
            day=format_date(self.env, day),
            cycle=labels[cycle].lower(),
            first=format_date(self.env, first),
            last=format_date(self.env, last),
        )

    @api.model
    def _q2c_next_run_day(self, cycle, today):
        """The day the cron creates the run of the period holding `today`: the first day
        after that period."""
        if cycle == "weekly":
            return today - timedelta(days=today.weekday()) + timedelta(days=7)
        months = 3 if cycle == "quarterly" else 1
        first_month = today.month - (today.month - 1) % months
        return today.replace(month=first_month, day=1) + relativedelta(months=months)

    # ------------------------------------------------------------------ smart buttons

    def action_view_q2c_unbilled_time(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "q2c_billing.q2c_time_to_bill_action"
        )
        name = _("Time to Bill: %s", self.display_name)
        action.update(
            name=name,
            display_name=name,
            domain=self._q2c_unbilled_time_domain(),
            context={"create": False},
        )
        return action

    def action_view_q2c_unbilled_expenses(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Expenses to Bill: %s", self.display_name),
            "res_model": "hr.expense",
            "view_mode": "list,form",
            "domain": self._q2c_unbilled_expense_domain(),
            "context": {"create": False},
        }

    def _q2c_invoices_action(self, moves, name):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action.update(
            name=name,
            display_name=name,
            domain=[("id", "in", moves.ids)],
            context={"default_move_type": "out_invoice", "create": False},
        )
        return action

    def _q2c_posted_invoices(self):
        return self.env["account.move"].search(self._q2c_invoice_domain())

    def action_view_q2c_invoiced(self):
        self.ensure_one()
        moves = self._q2c_posted_invoices()
        return self._q2c_invoices_action(moves, _("Invoiced: %s", self.display_name))

    def action_view_q2c_paid(self):
        self.ensure_one()
        moves = self._q2c_paid_invoices(self._q2c_posted_invoices())
        return self._q2c_invoices_action(moves, _("Paid: %s", self.display_name))

    def action_view_q2c_overdue(self):
        self.ensure_one()
        moves = self._q2c_overdue_invoices(self._q2c_posted_invoices())
        return self._q2c_invoices_action(moves, _("Overdue: %s", self.display_name))

    def action_view_q2c_retainage(self):
        self.ensure_one()
        moves = self._q2c_retainage_lines(self._q2c_posted_invoices()).move_id
        return self._q2c_invoices_action(moves, _("Retainage Held: %s", self.display_name))
