"""A gateway's payout as bank statement lines of its clearing journal (docs/payments.md,
"Payouts"): one line per balance transaction and per fee, once each (a unique index on
(system, transaction id)), reconciled with the payments q2c booked for the same gateway
payment with Odoo's own reconciliation (the statement line's open line takes the payment's
outstanding account, then `account.move.line.reconcile`, as Odoo's own tests do)."""

import psycopg2

from odoo import Command, api, fields, models
from odoo.addons.q2c_base.exceptions import TransientError
from odoo.tools import mute_logger

# What a payout row is: q2c's words for a gateway's balance transaction types.
PAYOUT_KINDS = [
    ("charge", "Payment Received"),
    ("fee", "Gateway Fee"),
    ("refund", "Refund Sent"),
    ("dispute", "Chargeback"),
    ("payout", "Transfer to Bank"),
    ("other", "Other"),
]


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    q2c_system_id = fields.Many2one(
        "q2c.system", "Payout Gateway", readonly=True, index="btree_not_null"
    )
    q2c_external_id = fields.Char(
        "Gateway Transaction",
        readonly=True,
        help="The gateway's balance transaction this line comes from (with ':fee' for its "
        "fee).",
    )
    q2c_payout_id = fields.Char("Gateway Payout", readonly=True, index="btree_not_null")
    q2c_payment_external_id = fields.Char(
        "Gateway Payment", readonly=True, help="The gateway payment the line belongs to."
    )
    q2c_payout_kind = fields.Selection(PAYOUT_KINDS, "Gateway Line Type", readonly=True)
    q2c_matched_with = fields.Char(
        "Matched With",
        compute="_compute_q2c_matched_with",
        help="The payments (or other entries) this payout line is reconciled with.",
    )

    _sql_constraints = [
        (
            "q2c_external_unique",
            "unique(q2c_system_id, q2c_external_id)",
            "A gateway's balance transaction is imported once.",
        )
    ]

    @api.model
    def _q2c_import_payout(self, system, rows):
        """Create the statement lines of one payout in the system's clearing journal, those
        not imported yet, then reconcile what can be. `rows`: dicts of external_id,
        payout_id, kind (PAYOUT_KINDS), amount (signed, the journal's currency), date,
        label, payment_external_id (the gateway payment a charge, fee or refund belongs
        to). Returns the lines created."""
        journal = system.payment_payout_journal_id
        existing = set(
            self.search(
                [
                    ("q2c_system_id", "=", system.id),
                    ("q2c_external_id", "in", [row["external_id"] for row in rows]),
                ]
            ).mapped("q2c_external_id")
        )
        todo = [r for r in rows if r["external_id"] not in existing and r["amount"]]
        if not todo:
            return self.browse()
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                lines = self.create([self._q2c_payout_vals(system, journal, r) for r in todo])
        except psycopg2.IntegrityError as error:
            raise TransientError("payout lines imported by another worker") from error
        lines._q2c_file_in_statements(journal)
        lines._q2c_reconcile_payout(system)
        return lines

    def _q2c_file_in_statements(self, journal):
        """One bank statement per payout (named by the payout's id) holds its lines, so
        Finance finds them in the clearing journal's Bank Statements; its ending balance
        is what its lines bring the journal to (balance start + lines), a line imported
        later (a failed payout's return) joins it and moves the ending balance."""
        Statement = self.env["account.bank.statement"]
        for payout_id in dict.fromkeys(self.mapped("q2c_payout_id")):
            lines = self.filtered(lambda line, p=payout_id: line.q2c_payout_id == p)
            statement = Statement.search(
                [("journal_id", "=", journal.id), ("name", "=", payout_id)], limit=1
            )
            if statement:
                lines.statement_id = statement
            else:
                statement = Statement.create(
                    {
                        "name": payout_id,
                        "journal_id": journal.id,
                        "line_ids": [Command.set(lines.ids)],
                    }
                )
            statement.flush_recordset()
            statement.balance_end_real = statement.balance_end

    @api.depends("is_reconciled")
    def _compute_q2c_matched_with(self):
        """The entries (payments, journal entries) a line was reconciled with, not its
        sibling statement lines: a fee and its payment line are reconciled together with
        the payment, and Odoo may pair the fee with the payment line. A line reconciled
        on an account without open items (a transfer written to the liquidity transfer
        account) has no reconciled counterpart: the account it went to is named."""
        for line in self:
            own = line.move_id.line_ids
            entries = line._q2c_reconciled_lines().move_id.filtered(
                lambda m: not m.statement_line_id
            )
            names = entries.mapped("display_name")
            if not names and line.is_reconciled:
                liquidity, _suspense, other = line._seek_for_lines()
                names = (own - liquidity).account_id.mapped("display_name") if other else []
            line.q2c_matched_with = ", ".join(names) or False

    def _q2c_reconciled_lines(self, depth=3):
        """The journal items reconciled with this line's items, directly or through the
        other statement lines reconciled in the same reconciliation (a few steps)."""
        own = self.move_id.line_ids
        seen, frontier = own, own
        for _step in range(depth):
            partials = frontier.matched_debit_ids | frontier.matched_credit_ids
            found = (partials.debit_move_id | partials.credit_move_id) - seen
            # Walk on only through statement lines (siblings), not through the payments.
            seen |= found
            frontier = found.filtered(lambda aml: aml.move_id.statement_line_id)
            if not frontier:
                break
        return seen - own

    @api.model
    def _q2c_payout_vals(self, system, journal, row):
        return {
            "journal_id": journal.id,
            "date": row["date"],
            "amount": row["amount"],
            "payment_ref": row["label"],
            "q2c_system_id": system.id,
            "q2c_external_id": row["external_id"],
            "q2c_payout_id": row["payout_id"],
            "q2c_payout_kind": row["kind"],
            "q2c_payment_external_id": row.get("payment_external_id"),
        }

    def _q2c_reconcile_payout(self, system):
        """Per gateway payment, by balance transaction type: its payment lines and their
        fees with the liquidity line of the payment q2c registered, its refund lines (and
        fees) with those of the refund payments, its chargeback lines (a lost dispute's
        amount and its dispute fee) with the chargeback booking's payment. A fee goes with
        the transaction it is the fee of (its id without ':fee'). A payment not booked yet
        (held in Payments to Match) leaves its lines to reconcile."""
        Settlement = self.env["q2c.payment.settlement"]
        groups = {"charge": "payment_id", "refund": "refund_payment_id"}
        groups["dispute"] = "dispute_payment_id"
        kinds = self._q2c_payout_group_kinds(system)
        for key in set(self.filtered("q2c_payment_external_id").mapped("q2c_payment_external_id")):
            rows = Settlement.search(
                [("system_id", "=", system.id), ("payment_external_id", "=", key)]
            )
            mine = self.filtered(lambda line, k=key: line.q2c_payment_external_id == k)
            for kind, field in groups.items():
                lines = mine.filtered(lambda line, k=kind: kinds.get(line.id) == k)
                lines._q2c_reconcile_with(rows[field])

    def _q2c_payout_group_kinds(self, system):
        """{line id: the kind of transaction it settles}: a line's own kind, a fee's the
        kind of the transaction it is the fee of (found among these lines or imported
        before)."""
        kinds = {line.id: line.q2c_payout_kind for line in self}
        fees = self.filtered(
            lambda line: line.q2c_payout_kind == "fee"
            and (line.q2c_external_id or "").endswith(":fee")
        )
        parent_ids = {line.q2c_external_id[: -len(":fee")] for line in fees}
        parents = {
            line.q2c_external_id: line.q2c_payout_kind
            for line in self.search(
                [("q2c_system_id", "=", system.id), ("q2c_external_id", "in", list(parent_ids))]
            )
        }
        for line in fees:
            # A fee whose transaction is unknown is taken as a payment's (the usual case).
            kinds[line.id] = parents.get(line.q2c_external_id[: -len(":fee")], "charge")
        return kinds

    def _q2c_reconcile_with(self, payments):
        """Reconcile these statement lines with the liquidity lines of `payments`, when
        both are complete: the lines' sum equals the payments' open liquidity."""
        if not self or not payments:
            return
        liquidity = payments.move_id.line_ids.filtered(
            lambda line: line.account_id in payments.outstanding_account_id and not line.reconciled
        )
        if len(liquidity.account_id) != 1:
            return
        currency = self.journal_id.currency_id or self.company_id.currency_id
        if currency.compare_amounts(sum(self.mapped("amount")), sum(liquidity.mapped("balance"))):
            return
        suspense = self.env["account.move.line"]
        for line in self:
            _liquidity, open_lines, _other = line._seek_for_lines()
            suspense |= open_lines
        suspense.account_id = liquidity.account_id
        (suspense + liquidity).reconcile()
