"""One external money movement (payment, refund, chargeback, failed payment) and what it
became in Odoo's books, exactly once per (system, kind, external id).

Connectors hand `_apply(system, tx, event)` a neutral dict (see `_apply`); everything after
that is the same for every gateway."""

import logging

import psycopg2

from odoo import Command, _, api, fields, models
from odoo.addons.q2c_base.exceptions import TransientError
from odoo.addons.q2c_base.models.q2c_guarded_mixin import RELEASE_KEY, _Release
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_amount, mute_logger

from .mail_activity import close_q2c_activities

_logger = logging.getLogger(__name__)

KINDS = [
    ("payment", "Payment"),
    ("refund", "Refund"),
    ("dispute", "Chargeback"),
    ("failure", "Failed Payment"),
]
STATES = [
    ("to_match", "To Match"),
    ("waiting", "Waiting for Payment"),
    ("settled", "Settled"),
    ("superseded", "Already Booked"),
]
REASONS = [
    ("unmatched", "No invoice found"),
    ("ambiguous", "Several invoices match"),
    ("currency", "Currency differs from the invoice"),
    ("overpayment", "More than the amount due"),
    ("paid", "Invoice already paid"),
    ("no_customer", "Unknown customer"),
    ("applied", "Amounts applied do not add up"),
]
MATCH_GROUP = "q2c_contract.group_q2c_finance"
# A dispute only moves forward: a late "open" never reopens a closed one.
DISPUTE_RANK = {"open": 0, "won": 1, "lost": 1}


class Q2cPaymentSettlement(models.Model):
    _name = "q2c.payment.settlement"
    _description = "Gateway Transaction"
    _inherit = ["mail.thread", "mail.activity.mixin", "q2c.guarded.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name")
    system_id = fields.Many2one("q2c.system", "Gateway", required=True, ondelete="restrict")
    company_id = fields.Many2one(related="system_id.company_id", store=True)
    event_id = fields.Many2one("q2c.event", "Last Event", ondelete="set null")
    kind = fields.Selection(KINDS, "Type", required=True)
    external_id = fields.Char("Gateway Reference", required=True, index=True)
    payment_external_id = fields.Char(
        "Gateway Payment", index=True, help="The payment a refund or chargeback belongs to."
    )
    gateway_invoice_id = fields.Char("Gateway Invoice")
    applied = fields.Json(
        "Applied to Invoices",
        help="A payment the gateway applied to several of its invoices: [{gateway_invoice_id, "
        "amount}], each share settling the copy of that invoice.",
    )
    applied_text = fields.Char("Applied by the Gateway", compute="_compute_applied_text")
    gateway_credit_note_id = fields.Char(
        "Gateway Credit Note",
        help="A refund of a gateway that invoices (set-up b): the gateway's credit note, "
        "copied into Odoo, that the refund pays.",
    )
    invoice_ref = fields.Char(
        "Reference Sent", help="The reference q2c put on the gateway object."
    )
    invoice_number = fields.Char("Invoice Number Sent")
    customer_ref = fields.Char("Gateway Customer")
    date = fields.Date(required=True, default=fields.Date.context_today)
    currency_id = fields.Many2one("res.currency", required=True)
    amount = fields.Monetary(
        help="Payment: the gross amount received. Refund: the payment's total refunded so "
        "far. Chargeback: the amount disputed."
    )
    fee = fields.Monetary("Gateway Fee")
    booked_amount = fields.Monetary(
        "Booked", help="What this line added to the books.", tracking=True
    )
    dispute_status = fields.Selection(
        [("open", "Open"), ("won", "Won"), ("lost", "Lost")], "Chargeback Status", tracking=True
    )
    move_id = fields.Many2one(
        "account.move",
        "Invoice",
        check_company=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('company_id', '=', company_id)]",
        tracking=True,
    )
    partner_id = fields.Many2one("res.partner", "Customer", tracking=True)
    payment_id = fields.Many2one("account.payment", "Payment", readonly=True, tracking=True)
    payment_ids = fields.Many2many(
        "account.payment",
        "q2c_payment_settlement_payment_rel",
        "settlement_id",
        "payment_id",
        "Payments",
        readonly=True,
        tracking=True,
        help="A payment applied to several invoices: one Odoo payment per invoice, of its share.",
    )
    credit_note_id = fields.Many2one("account.move", "Credit Note", readonly=True, tracking=True)
    refund_payment_id = fields.Many2one(
        "account.payment", "Refund Payment", readonly=True, tracking=True
    )
    dispute_payment_id = fields.Many2one(
        "account.payment",
        "Chargeback Booking",
        readonly=True,
        tracking=True,
        help="A lost chargeback: the money the gateway took back (the amount disputed, and "
        "its dispute fee on the Gateway Fee Account), paid out of the gateway's journal; "
        "the customer owes the amount disputed again.",
    )
    state = fields.Selection(STATES, required=True, default="to_match", tracking=True)
    reason = fields.Selection(REASONS, tracking=True)
    matched_by_hand = fields.Boolean(
        readonly=True,
        copy=False,
        tracking=True,
        help="Booked by a person's Match, not by the gateway's reference: for an invoice "
        "the gateway published, such a payment did not pay the gateway's own copy (its page "
        "still asks for it), so it is told the invoice was paid another way.",
    )
    note = fields.Char()

    _sql_constraints = [
        (
            "external_unique",
            "unique(system_id, kind, external_id)",
            "A gateway transaction is recorded once.",
        )
    ]

    def _q2c_guarded_fields(self):
        return super()._q2c_guarded_fields() | {
            "state",
            "reason",
            "matched_by_hand",
            "payment_id",
            "payment_ids",
            "credit_note_id",
            "refund_payment_id",
            "dispute_payment_id",
            "booked_amount",
            "dispute_status",
        }

    @api.depends("applied", "currency_id")
    def _compute_applied_text(self):
        for row in self:
            row.applied_text = ", ".join(
                f"{share['gateway_invoice_id']}: "
                f"{format_amount(self.env, share['amount'], row.currency_id)}"
                for share in row.applied or []
            )

    @api.depends("kind", "external_id")
    def _compute_name(self):
        labels = dict(KINDS)
        for row in self:
            row.name = f"{labels.get(row.kind, '')} {row.external_id or ''}".strip()

    # --- the entry point ---------------------------------------------------------------------

    @api.model
    def _apply(self, system, tx, event=None):
        """Record one gateway transaction and book it, once per (system, kind, external id).

        Called by a connector's event handler, as the system's integration user. `tx`:
        kind (payment, refund, dispute, failure), external_id, payment_external_id (the
        payment a refund or dispute belongs to; a payment's own id), amount (major units;
        for a refund the payment's cumulative refunded total, so late and repeated events
        book only what is not booked yet), currency (ISO code), fee, date, invoice_ref (the
        reference q2c put in the gateway's metadata), invoice_number, gateway_invoice_id,
        customer_ref, dispute_status (open, won, lost), summary (a failure's words),
        gateway_credit_note_id (a refund of a gateway that invoices: its credit note, already
        copied by `q2c.payment.mirror`; the amount is then this refund's own, booked once);
        for a chargeback, fee is the gateway's dispute fee.
        Returns the row. Raises TransientError when a concurrent worker records the same
        transaction (the job retries and finds it)."""
        row = self.search(
            [
                ("system_id", "=", system.id),
                ("kind", "=", tx["kind"]),
                ("external_id", "=", tx["external_id"]),
            ]
        )
        if row and row.state in ("settled", "superseded"):
            if row.kind == "dispute":
                row._update_dispute(tx.get("dispute_status"), event, tx.get("fee"))
            return row
        vals = self._vals_from_tx(system, tx, event)
        if row:
            row._learn(vals)
        else:
            row = self._create_once(vals)
        row._book()
        return row

    def _learn(self, vals):
        """A held or waiting row learns what a later event knows (a payment_intent event
        held, then the invoice event of the same payment with q2c's reference); a
        chargeback's status only moves forward (a late `created` after `closed`)."""
        status = vals.pop("dispute_status", None)
        self.write({k: v for k, v in vals.items() if v and k not in ("system_id", "kind")})
        if status and DISPUTE_RANK[status] > DISPUTE_RANK.get(self.dispute_status, -1):
            self._q2c_guarded_write({"dispute_status": status})

    def _vals_from_tx(self, system, tx, event):
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", (tx.get("currency") or "").upper())], limit=1)
        )
        if not currency:
            raise UserError(_("Unknown currency %s.", tx.get("currency")))
        return {
            "system_id": system.id,
            "event_id": event.id if event else False,
            "kind": tx["kind"],
            "external_id": tx["external_id"],
            "payment_external_id": tx.get("payment_external_id") or tx["external_id"],
            "gateway_invoice_id": tx.get("gateway_invoice_id"),
            "applied": tx.get("applied") or False,
            "gateway_credit_note_id": tx.get("gateway_credit_note_id"),
            "invoice_ref": tx.get("invoice_ref"),
            "invoice_number": tx.get("invoice_number"),
            "customer_ref": tx.get("customer_ref"),
            "date": tx.get("date") or fields.Date.context_today(self),
            "currency_id": currency.id,
            "amount": tx.get("amount") or 0.0,
            "fee": tx.get("fee") or 0.0,
            "note": tx.get("summary"),
            "dispute_status": tx.get("dispute_status"),
        }

    def _create_once(self, vals):
        """Create the row; a concurrent worker inserting the same one wins, we retry."""
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                return self._q2c_released_create(vals)
        except psycopg2.IntegrityError as error:
            raise TransientError(
                f"{vals['kind']} {vals['external_id']} recorded by another worker"
            ) from error

    def _q2c_released_create(self, vals):
        """Create from the handler's own code: the chargeback status comes with the row.
        The row is returned in the caller's environment: the release stays in this call."""
        created = self.with_context(**{RELEASE_KEY: _Release({self._name})}).create(vals)
        return self.browse(created.ids)

    # --- booking -----------------------------------------------------------------------------

    def _book(self):
        """Book one row by its kind; a row that cannot be booked yet is held with a reason."""
        self.ensure_one()
        if self.kind == "payment":
            self._book_payment()
        elif self.kind == "refund":
            self._book_refund()
        elif self.kind == "dispute":
            self._book_dispute()
        else:
            self._book_failure()

    def _set_state(self, state, reason=False, **vals):
        self._q2c_guarded_write({"state": state, "reason": reason, **vals})

    def _hold(self, reason, move=None):
        self._set_state("to_match", reason)
        if move:
            self.write({"move_id": move.id, "partner_id": move.partner_id.id})
        elif not self.partner_id and self.customer_ref:
            # The gateway's customer is bound to a partner: Finance sees who paid.
            customer = self.env["q2c.external.ref"]._find(
                self.system_id, "customer", self.customer_ref
            )
            if customer and customer._name == "res.partner":
                self.partner_id = customer

    def _candidate_invoices(self):
        """Posted customer invoices of the system's company that the gateway's references
        name: the gateway invoice bound to an Odoo invoice, else q2c's reference in the
        metadata, else the gateway's invoice number. The first that names any wins."""
        Move = self.env["account.move"]
        if self.gateway_invoice_id:
            bound = self.env["q2c.external.ref"]._find(
                self.system_id, "invoice", self.gateway_invoice_id
            )
            if bound:
                return bound
        for ref in (self.invoice_ref, self.invoice_number):
            if not ref:
                continue
            found = Move.search(
                [
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("company_id", "=", self.company_id.id),
                    ("name", "=", ref),
                ]
            )
            if found:
                return found
        return Move

    def _payment_hold_reason(self, move, amount=None):
        """Why a payment (or its share `amount`) cannot settle `move` by itself, or None."""
        amount = self.amount if amount is None else amount
        if move.currency_id != self.currency_id:
            return "currency"
        if move.payment_state in ("paid", "in_payment", "reversed") or move.currency_id.is_zero(
            move.amount_residual
        ):
            return "paid"
        if move.currency_id.compare_amounts(amount, move.amount_residual) > 0:
            return "overpayment"
        return None

    def _book_payment(self):
        if self.applied:
            self._book_split_payment()
            return
        moves = self._candidate_invoices()
        if len(moves) != 1:
            self._hold("ambiguous" if moves else "unmatched")
            return
        reason = self._payment_hold_reason(moves)
        if reason:
            self._hold(reason, moves)
            return
        self._register_payment(moves)

    def _split_shares(self):
        """(shares, reason, words) of a payment the gateway applied to several invoices:
        shares [(invoice, amount)] when it can be booked, else no shares and why (a
        REASONS key and a sentence naming the invoice or the sums): a linked invoice not in
        Odoo (`unmatched`), shares that do not add up to the amount paid (`applied`), or a
        share one invoice cannot take (currency, already paid, more than due)."""
        Ref = self.env["q2c.external.ref"]
        currency = self.currency_id
        shares = []
        for share in self.applied:
            move = Ref._find(self.system_id, "invoice", share["gateway_invoice_id"])
            if not move:
                return (
                    [],
                    "unmatched",
                    _("Invoice %s of the gateway is not in Odoo.", share["gateway_invoice_id"]),
                )
            shares.append((move, share["amount"]))
        total = sum(amount for _move, amount in shares)
        if currency.compare_amounts(total, self.amount):
            return (
                [],
                "applied",
                _(
                    "The gateway applied %(applied)s of the %(paid)s paid (%(shares)s).",
                    applied=format_amount(self.env, total, currency),
                    paid=format_amount(self.env, self.amount, currency),
                    shares=self.applied_text,
                ),
            )
        for move, amount in shares:
            reason = self._payment_hold_reason(move, amount)
            if reason:
                return (
                    [],
                    reason,
                    _(
                        "%(invoice)s cannot take its share of %(amount)s (%(reason)s).",
                        invoice=move.name,
                        amount=format_amount(self.env, amount, currency),
                        reason=dict(REASONS)[reason],
                    ),
                )
        return shares, None, None

    def _split_ready(self):
        return bool(self._split_shares()[0])

    def _book_split_payment(self):
        """A payment the gateway applied to several of its invoices (Chargebee's
        `linked_invoices`): one Odoo payment per invoice, of the share the gateway applied
        to it (Odoo's Register Payment directs an amount to one invoice exactly; one payment
        reconciled for shares would need reconciliations made by hand). Booked once, all
        shares or none: held with the reason and the invoice it names otherwise. The fee,
        when reported, goes with the first share."""
        shares, reason, words = self._split_shares()
        if not shares:
            moves = self.env["q2c.external.ref"]._find(
                self.system_id, "invoice", self.applied[0]["gateway_invoice_id"]
            )
            self._hold(reason, moves)
            self.note = words
            return
        payments = self.env["account.payment"]
        for index, (move, amount) in enumerate(shares):
            payments |= self._create_payment(move, amount, self.fee if index == 0 else 0.0)
        first = shares[0][0]
        self.write({"move_id": first.id, "partner_id": first.partner_id.id, "note": False})
        self._set_state(
            "settled",
            payment_id=payments[:1].id,
            payment_ids=[Command.set(payments.ids)],
            booked_amount=self.amount,
        )
        first.partner_id._q2c_payment_recovered()
        self._book_waiting()
        self._reconcile_waiting_payout_lines()

    def _register_payment(self, move):
        """Odoo's Register Payment on the invoice: gross amount against the receivable, the
        fee (when reported and a fee account is set) as a write-off line."""
        payment = self._create_payment(move, self.amount, self.fee)
        self.write({"move_id": move.id, "partner_id": move.partner_id.id})
        self._set_state("settled", payment_id=payment.id, booked_amount=self.amount)
        move.partner_id._q2c_payment_recovered()
        self._book_waiting()
        self._reconcile_waiting_payout_lines()

    def _reconcile_waiting_payout_lines(self):
        """A payout imported before this payment was booked (held in Payments to Match,
        then matched by Finance) left its lines for it unreconciled: reconcile them now,
        as the payout import does, as the system's integration user (who writes the
        clearing journal's lines)."""
        system = self.system_id
        if not (system.payment_payout_journal_id and system.user_id):
            return
        Line = self.env["account.bank.statement.line"].with_user(system.user_id)
        waiting = Line.search(
            [
                ("q2c_system_id", "=", system.id),
                ("q2c_payment_external_id", "=", self.payment_external_id),
                ("is_reconciled", "=", False),
            ]
        )
        waiting._q2c_reconcile_payout(system)

    def _create_payment(self, move, amount, fee):
        """One payment of `amount` (gross) registered on `move`, the fee on its own line."""
        journal = self.system_id.payment_journal_id
        if not journal:
            raise UserError(
                _("Set the Payment Journal of %s before it settles payments.", self.system_id.name)
            )
        fee_account = self.system_id.payment_fee_account_id
        fee = fee if fee_account and self.currency_id.compare_amounts(fee, 0) > 0 else 0
        wizard = (
            self.env["account.payment.register"]
            .with_context(
                active_model="account.move",
                active_ids=move.ids,
                q2c_gateway_fee=fee,
                # The gateway knows what it paid through its own copy of an invoice it
                # published; a payment a person matched to it did not pay that copy.
                q2c_gateway_system_id=not self.matched_by_hand and self.system_id.id,
                q2c_fee_account_id=fee_account.id,
                q2c_fee_label=_(
                    "%(gateway)s fee %(ref)s", gateway=self.system_id.name, ref=self.external_id
                ),
            )
            .create(
                {
                    "amount": self.currency_id.round(amount - fee),
                    "currency_id": self.currency_id.id,
                    "journal_id": journal.id,
                    "payment_date": self.date,
                    "communication": f"{move.name} {self.external_id}",
                    "payment_difference_handling": "open",
                }
            )
        )
        return wizard._create_payments()

    def _book_waiting(self):
        """Refunds and chargebacks that arrived before this payment: book them now."""
        waiting = self.search(
            [
                ("system_id", "=", self.system_id.id),
                ("payment_external_id", "=", self.external_id),
                ("kind", "in", ("refund", "dispute")),
                ("state", "=", "waiting"),
            ],
            # Refunds paying a gateway's credit note first (set-up b: their own amounts),
            # then the largest refunded total: it is the newest state, and the totals
            # before it, and the credit notes' refunds, are then already booked.
            order="gateway_credit_note_id, amount desc, id",
        )
        for row in waiting:
            row._book()

    def _settled_payment(self):
        """The settled payment row this refund or chargeback belongs to, locked (refunds of
        one payment are booked one at a time), or an empty recordset."""
        payment = self.search(
            [
                ("system_id", "=", self.system_id.id),
                ("kind", "=", "payment"),
                ("external_id", "=", self.payment_external_id),
                ("state", "=", "settled"),
            ]
        )
        if payment:
            self.env.cr.execute(
                "SELECT id FROM q2c_payment_settlement WHERE id = %s FOR UPDATE", [payment.id]
            )
        return payment

    def _book_refund(self):
        """Book what the payment's cumulative refunded total adds to what is booked: a credit
        note of that amount and an outbound payment paying it. A total already booked (a
        repeat, or an older event arriving late) books nothing."""
        payment = self._settled_payment()
        if not payment:
            self._set_state("waiting")
            return
        if self.gateway_credit_note_id:
            self._book_mirrored_refund(payment)
            return
        booked = sum(
            self.search(
                [
                    ("system_id", "=", self.system_id.id),
                    ("kind", "=", "refund"),
                    ("payment_external_id", "=", self.payment_external_id),
                    ("state", "=", "settled"),
                ]
            ).mapped("booked_amount")
        )
        delta = self.currency_id.round(self.amount - booked)
        vals = {"move_id": payment.move_id.id, "partner_id": payment.partner_id.id}
        self.write(vals)
        if self.currency_id.compare_amounts(delta, 0) <= 0:
            self._set_state("superseded")
            return
        credit_note = self._credit_note(payment.move_id, delta)
        refund_payment = self._pay_credit_note(credit_note, delta)
        self._set_state(
            "settled",
            credit_note_id=credit_note.id,
            refund_payment_id=refund_payment.id,
            booked_amount=delta,
        )

    def _book_mirrored_refund(self, payment):
        """Set-up b: the gateway made the credit note (copied into Odoo once); this refund
        pays it with an outbound payment of the refund's own amount."""
        self.write({"move_id": payment.move_id.id, "partner_id": payment.partner_id.id})
        credit_note = self.env["q2c.external.ref"]._find(
            self.system_id, "credit_note", self.gateway_credit_note_id
        )
        if not credit_note or credit_note.currency_id.is_zero(credit_note.amount_residual):
            self._hold("unmatched")
            return
        amount = min(self.amount, credit_note.amount_residual)
        refund_payment = self._pay_credit_note(credit_note, amount)
        self._set_state(
            "settled",
            credit_note_id=credit_note.id,
            refund_payment_id=refund_payment.id,
            booked_amount=amount,
        )

    def _credit_note(self, invoice, amount):
        """A credit note reversing `invoice` (Odoo's Credit Note wizard), posted. A refund of
        the whole invoice keeps its lines; a partial one keeps them too, each price scaled by
        the refunded share of the invoice total, so taxes are refunded in proportion, and a
        rounding line without tax carries the cents that scaling leaves over."""
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "reason": _("Refund %s", self.external_id),
                    "journal_id": invoice.journal_id.id,
                    "date": self.date,
                }
            )
        )
        action = reversal.reverse_moves()
        credit_note = self.env["account.move"].browse(action["res_id"])
        currency = invoice.currency_id
        if currency.compare_amounts(amount, invoice.amount_total) != 0:
            self._scale_credit_note(credit_note, amount / invoice.amount_total, amount)
        credit_note.action_post()
        return credit_note

    def _scale_credit_note(self, credit_note, ratio, amount):
        lines = credit_note.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        for line in lines:
            line.price_unit = line.price_unit * ratio
        left = credit_note.currency_id.round(amount - credit_note.amount_total)
        if not credit_note.currency_id.is_zero(left):
            credit_note.write(
                {
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": _("Rounding of partial refund %s", self.external_id),
                                "quantity": 1,
                                "price_unit": left,
                                "account_id": lines[:1].account_id.id,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ]
                }
            )

    def _pay_credit_note(self, credit_note, amount):
        """The money sent back through the gateway: an outbound payment of the credit note."""
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=credit_note.ids)
            .create(
                {
                    "amount": amount,
                    "journal_id": self.system_id.payment_journal_id.id,
                    "payment_date": self.date,
                    "communication": f"{credit_note.name} {self.external_id}",
                }
            )
        )
        return wizard._create_payments()

    def _book_dispute(self):
        payment = self._settled_payment()
        if not payment:
            self._set_state("waiting")
            return
        self.write({"move_id": payment.move_id.id, "partner_id": payment.partner_id.id})
        self._set_state("settled")
        self._flag_dispute(self.dispute_status or "open")
        if self.dispute_status == "lost":
            self._book_lost_dispute()

    def _update_dispute(self, status, event, fee=None):
        """A later event of a settled chargeback: move its status forward only (a lost one
        is booked then), and learn the dispute fee if the first event did not carry it."""
        if not status or DISPUTE_RANK[status] <= DISPUTE_RANK.get(self.dispute_status, -1):
            return
        if event:
            self.event_id = event
        if fee and self.currency_id.is_zero(self.fee):
            self.fee = fee
        self._q2c_guarded_write({"dispute_status": status})
        self._flag_dispute(status)
        if status == "lost":
            self._book_lost_dispute()

    def _book_lost_dispute(self):
        """A lost chargeback (docs/payments.md, Chargebacks): the gateway kept the amount
        disputed and its dispute fee. Booked as one outbound customer payment from the
        gateway's journal (Odoo's own payment, no journal item written by hand): the
        gateway clearing account is credited amount + fee, the customer's receivable is
        debited the amount (open again: the customer owes it) and the fee goes to the
        Gateway Fee Account as the payment's write-off line (no fee account: the fee is not
        booked, as for payments). Once per chargeback: a row already booked books nothing.

        Chosen over un-reconciling the invoice: the original payment and invoice stay as
        they were (a period already closed is not touched, no exchange difference is
        redone), and the loss is dated the day q2c learns that the dispute is lost."""
        if self.dispute_payment_id or not self.move_id:
            return
        journal = self.system_id.payment_journal_id
        if not journal:
            raise UserError(
                _(
                    "Set the Payment Journal of %s before it books chargebacks.",
                    self.system_id.name,
                )
            )
        fee_account = self.system_id.payment_fee_account_id
        currency = self.currency_id
        # The day q2c learns the loss (the dispute's own date is when it was opened).
        date = fields.Date.context_today(self)
        fee = self.fee if fee_account and currency.compare_amounts(self.fee, 0) > 0 else 0.0
        label = _(
            "Chargeback lost %(ref)s (%(invoice)s)",
            ref=self.external_id,
            invoice=self.move_id.name,
        )
        write_off = []
        if fee:
            write_off.append(
                {
                    "name": _(
                        "%(gateway)s dispute fee %(ref)s",
                        gateway=self.system_id.name,
                        ref=self.external_id,
                    ),
                    "account_id": fee_account.id,
                    "partner_id": self.move_id.commercial_partner_id.id,
                    "currency_id": currency.id,
                    "amount_currency": fee,
                    "balance": currency._convert(
                        fee, self.company_id.currency_id, self.company_id, date
                    ),
                }
            )
        payment = self.env["account.payment"].create(
            {
                "payment_type": "outbound",
                "partner_type": "customer",
                "partner_id": self.move_id.commercial_partner_id.id,
                "amount": currency.round(self.amount + fee),
                "currency_id": currency.id,
                "journal_id": journal.id,
                "date": date,
                "memo": label,
                "write_off_line_vals": write_off,
            }
        )
        payment.action_post()
        # What moved: the amount disputed and the fee booked with it (Booked on the row).
        self._q2c_guarded_write(
            {"dispute_payment_id": payment.id, "booked_amount": payment.amount}
        )
        self.move_id.message_post(
            body=_(
                "%(label)s: %(amount)s is due again from the customer.",
                label=label,
                amount=format_amount(self.env, self.amount, self.currency_id),
            )
        )

    def _flag_dispute(self, status):
        """The chargeback flag on the invoice, and an activity for Finance."""
        move = self.move_id
        move.q2c_dispute_state = status
        summaries = {
            "open": _("Chargeback opened: send evidence to the gateway"),
            "won": _("Chargeback won: nothing to book"),
            "lost": _("Chargeback lost: the amount is due again, collect it from the customer"),
        }
        topic = f"dispute:{self.external_id}:"
        if status in ("won", "lost"):
            # Closed at the gateway: no evidence to send any more.
            closed = {
                "won": _("Closed by q2c: the chargeback was won, no evidence to send."),
                "lost": _("Closed by q2c: the chargeback was lost, no evidence to send."),
            }
            close_q2c_activities(move, [f"{topic}open"], closed[status])
        move.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=f"{summaries[status]} ({self.external_id})",
            user_id=self._finance_user(move).id,
            q2c_topic=f"{topic}{status}",
        )

    def _book_failure(self):
        """A failed payment sets the customer's standing and gives Finance a to-do, unless
        the same gateway invoice is already paid by a payment q2c booked (the failure was
        an earlier attempt, arriving late): then it is Already Booked and changes nothing."""
        if self._failure_superseded():
            self._set_state("superseded")
            return
        moves = self._candidate_invoices()
        partner = moves.partner_id if len(moves) == 1 else self.env["res.partner"]
        if not partner and self.customer_ref:
            partner = (
                self.env["q2c.external.ref"]._find(self.system_id, "customer", self.customer_ref)
                or self.env["res.partner"]
            )
        if not partner:
            self._hold("no_customer")
            return
        self._fail_partner(partner, moves if len(moves) == 1 else None)

    def _failure_superseded(self):
        if not self.gateway_invoice_id:
            return False
        return bool(
            self.search_count(
                [
                    ("system_id", "=", self.system_id.id),
                    ("kind", "=", "payment"),
                    ("gateway_invoice_id", "=", self.gateway_invoice_id),
                    ("state", "=", "settled"),
                    ("payment_id", "!=", False),
                ],
                limit=1,
            )
        )

    def _fail_partner(self, partner, move=None):
        self.write({"partner_id": partner.id, "move_id": move.id if move else False})
        partner._q2c_payment_failed(
            self._failure_words(move), self._finance_user(move or self.env["account.move"])
        )
        self._set_state("settled")

    def _failure_words(self, move=None):
        """A failure as Finance reads it: the Odoo invoice and its amount when known, the
        gateway's own words (its invoice or capture id) in parentheses."""
        gateway = self.note or self.external_id
        if not move:
            return gateway
        amount = self.amount if not self.currency_id.is_zero(self.amount) else move.amount_total
        return _(
            "%(invoice)s, %(amount)s (%(gateway)s)",
            invoice=move.name,
            amount=format_amount(self.env, amount, move.currency_id),
            gateway=gateway,
        )

    def _finance_user(self, move):
        return self.system_id.payment_activity_user_id or move.invoice_user_id or self.env.user

    # --- the person's action -----------------------------------------------------------------

    def action_match(self):
        """Match held rows to the invoice a person chose (the Invoice column), and book them:
        the person's choice settles what q2c would not guess (an overpayment leaves a
        customer credit, a payment in another currency is converted by Odoo)."""
        if not self.env.user.has_group(MATCH_GROUP):
            # The gateway's integration user writes these rows too; matching is a person's.
            raise AccessError(_("Only Finance matches payments to invoices."))
        self.check_access("write")
        for row in self:
            if row.state != "to_match":
                raise UserError(_("%s is not waiting to be matched.", row.name))
            move = row.move_id
            if not move or move.move_type != "out_invoice" or move.state != "posted":
                raise UserError(_("Choose the posted customer invoice %s pays.", row.name))
            if row.kind == "payment" and row.applied and row._split_ready():
                # Every invoice the gateway applied it to is in Odoo now: its shares.
                row._book_split_payment()
            elif row.kind == "payment":
                row._q2c_guarded_write({"matched_by_hand": True})
                row._register_payment(move)
            elif row.kind == "failure":
                row._fail_partner(move.partner_id, move)
        return True
