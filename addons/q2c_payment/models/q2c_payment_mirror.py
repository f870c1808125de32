"""Set-up b, the billing platform invoices: a gateway's customers, subscriptions, invoices and
credit notes mirrored into Odoo once each (docs/payments.md, "When the gateway invoices").

Connectors map their vendor's objects to neutral dicts (see each method) and call these
methods from their event handlers, as the system's integration user; payments, refunds and
failures then go through `q2c.payment.settlement._apply` as in set-up a, finding the mirrored
invoice by its external reference.

Object types of the external references: `customer` (res.partner), `subscription`
(q2c.subscription), `invoice` (account.move, customer invoice), `credit_note` (account.move,
customer credit note), `invoice_void` and `credit_note_void` (account.move, the reversal of a
mirrored invoice or credit note voided at the gateway)."""

import logging

import psycopg2

from odoo import Command, _, api, fields, models
from odoo.addons.q2c_base.exceptions import MappingError, PermanentError, TransientError
from odoo.tools import format_amount, mute_logger

_logger = logging.getLogger(__name__)


class Q2cPaymentMirror(models.AbstractModel):
    _name = "q2c.payment.mirror"
    _description = "Gateway Billing Mirror"

    # --- customers -------------------------------------------------------------------------

    @api.model
    def _customer(self, system, customer):
        """The Odoo customer of a gateway customer, or raise for a person.

        `customer`: external_id, name (a company's, else the person's), email. Found by its
        external reference, else by e-mail when exactly one customer of the system's company
        (or of no company) has it; bound then. A customer a person told q2c to create (the
        possible-duplicate exception's *Create a new customer*) is created. Otherwise a
        PermanentError opens a possible-duplicate exception for a person with the customers
        it may be (same e-mail, or same name): q2c never creates a customer by itself, the
        CRM owns them, and a receivable on a wrong or duplicate customer is worse than one
        waiting (docs/payments.md)."""
        Ref = self.env["q2c.external.ref"]
        partner = Ref._find(system, "customer", customer["external_id"])
        if not partner:
            partner = self._customer_found(system, customer)
        if partner:
            self._release_held(system, "customer", customer["external_id"])
            return partner
        candidates = self._customers_by_email(system, customer.get("email"))
        candidates = candidates or self._customers_by_name(system, customer.get("name"))
        raise PermanentError(
            _(
                "%(system)s customer %(name)s (%(email)s, %(id)s) is not linked to an Odoo "
                "customer: link it to one, or have it created.",
                system=system.name,
                name=customer.get("name") or "?",
                email=customer.get("email") or _("no e-mail"),
                id=customer["external_id"],
            ),
            person_kind="duplicate",
            candidates=candidates,
            external=("customer", customer["external_id"]),
        )

    def _customer_found(self, system, customer):
        """Bind the customer found by e-mail or created by a person's decision, or None."""
        Ref = self.env["q2c.external.ref"]
        by_email = self._customers_by_email(system, customer.get("email"))
        if len(by_email) == 1:
            Ref._bind(system, "customer", customer["external_id"], by_email)
            return by_email
        decision = self.env["q2c.exception"]._decision_for(
            system, "customer", customer["external_id"]
        )
        if decision == "new":
            return Ref._ensure(
                system,
                "customer",
                customer["external_id"],
                lambda: self._create_customer(system, customer),
            )
        return None

    def _release_held(self, system, object_type, external_id):
        """Other events held for the same unknown customer (each opened its exception) go
        again once a person decided one of them: their exceptions are resolved, their
        events replayed (as the system's integration user)."""
        exceptions = (
            self.env["q2c.exception"]
            .sudo()
            .search(
                [
                    ("system_id", "=", system.id),
                    ("kind", "=", "duplicate"),
                    ("state", "=", "open"),
                    ("external_object_type", "=", object_type),
                    ("external_object_id", "=", str(external_id)),
                ]
            )
        )
        if not exceptions:
            return
        exceptions._resolve_by_system(
            _("Resolved by q2c: %s is now linked to an Odoo customer.", external_id)
        )
        events = exceptions.event_id.filtered(lambda event: event.state == "dead")
        if events:
            events.write({"state": "received", "error": False, "error_summary": False})
            events._enqueue()

    def _customer_domain(self, system):
        return [
            ("parent_id", "=", False),
            ("company_id", "in", (False, system.company_id.id)),
        ]

    def _customers_by_email(self, system, email):
        email = (email or "").strip()
        if not email:
            return self.env["res.partner"]
        found = self.env["res.partner"].search(
            [*self._customer_domain(system), ("email", "=ilike", email)], limit=5
        )
        return found

    def _customers_by_name(self, system, name):
        if not name:
            return self.env["res.partner"]
        return self.env["res.partner"].search(
            [*self._customer_domain(system), ("name", "=ilike", name.strip())], limit=5
        )

    def _create_customer(self, system, customer):
        return self.env["res.partner"].create(
            {
                "name": customer.get("name") or customer.get("email") or customer["external_id"],
                "email": customer.get("email") or False,
                "is_company": bool(customer.get("is_company")),
                "company_id": False,
            }
        )

    # --- subscriptions ---------------------------------------------------------------------

    @api.model
    def _mirror_subscription(self, system, sub, partner, on_cancel=None, loaded=False):
        """Create or update the subscription from the gateway's newest state.

        `sub`: external_id, plan, status (a q2c.subscription status), term_start, term_end
        (dates), currency (ISO code), mrr (major units), occurred_at (datetime of the change
        at the gateway: an older one than already mirrored changes nothing), cancelled_on.
        A subscription becoming cancelled closes nothing: its open invoices stay open and
        Finance gets an activity saying so; `on_cancel(subscription)`, when given, runs just
        before (a connector mirrors the open invoices it has not seen yet). `loaded`: read
        by the initial load (`q2c_subscription_load`): a subscription first seen already
        cancelled is recorded as it is, without reading its invoices or an activity (it
        ended before q2c knew it, nothing of it is in Odoo's books). Returns the
        subscription."""
        Subscription = self.env["q2c.subscription"]
        row = Subscription.search(
            [("system_id", "=", system.id), ("external_id", "=", sub["external_id"])]
        )
        occurred = sub.get("occurred_at")
        if row and occurred and row.last_event_at and occurred < row.last_event_at:
            return row
        currency = self._currency(sub.get("currency"))
        vals = {
            "partner_id": partner.id,
            "plan": sub.get("plan") or row.plan or False,
            "status": sub.get("status") or row.status or "active",
            "term_start": sub.get("term_start") or False,
            "term_end": sub.get("term_end") or False,
            "currency_id": currency.id,
            "mrr": sub.get("mrr") or 0.0,
            "mrr_company": currency._convert(
                sub.get("mrr") or 0.0,
                system.company_id.currency_id,
                system.company_id,
                fields.Date.context_today(self),
            ),
            "cancelled_on": sub.get("cancelled_on") or False,
            "last_event_at": occurred or fields.Datetime.now(),
        }
        if not row:
            row = self._create_subscription(system, sub["external_id"], vals)
            was = False
        else:
            was = row.status
            row._q2c_guarded_write(vals)
        if was != "cancelled" and row.status == "cancelled" and not (loaded and was is False):
            if on_cancel:
                on_cancel(row)
            row._q2c_note_cancelled(system)
        return row

    def _create_subscription(self, system, external_id, vals):
        """Create and bind the subscription; a concurrent worker creating the same one wins,
        the job retries and finds it."""
        Subscription = self.env["q2c.subscription"]
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                row = Subscription._q2c_guarded_env().create(
                    {"system_id": system.id, "external_id": external_id, **vals}
                )
        except psycopg2.IntegrityError as error:
            raise TransientError(
                f"subscription {external_id} mirrored by another worker"
            ) from error
        row = Subscription.browse(row.ids)
        self.env["q2c.external.ref"]._bind(system, "subscription", external_id, row)
        return row

    # --- invoices and credit notes ---------------------------------------------------------

    @api.model
    def _mirror_invoice(self, system, doc, partner, subscription=None):
        """The posted Odoo customer invoice of a gateway invoice, created once (external
        reference `invoice`, race safe).

        `doc`: external_id, number, currency, date, due_date, total and tax (major units,
        the gateway's), lines [{name, quantity, price_unit, taxed}] (prices before tax).
        The lines are booked on the system's *Invoice Journal* (its income account), taxed
        lines with its *Sales Tax*; the total Odoo computes must be the gateway's, else a
        MappingError says so (nothing is booked). Returns the invoice."""
        return self.env["q2c.external.ref"]._ensure(
            system,
            "invoice",
            doc["external_id"],
            lambda: self._create_move(system, doc, partner, subscription, "out_invoice"),
        )

    @api.model
    def _mirror_credit_note(self, system, doc, partner, subscription=None):
        """The posted Odoo credit note of a gateway credit note, created once (reference
        `credit_note`). `doc` as for `_mirror_invoice`, plus invoice_ref (the gateway
        invoice it credits), applies_to_invoice (default True; False for a credit note the
        gateway gave after the invoice was paid, which never reduces what it owes). When
        that invoice is mirrored and still open, the credit note is reconciled with it
        (what the gateway does with an adjustment); otherwise it stays open as the
        customer's credit until a refund pays it. Returns the credit note."""
        Ref = self.env["q2c.external.ref"]
        invoice = (
            doc.get("invoice_ref") and Ref._find(system, "invoice", doc["invoice_ref"])
        ) or (self.env["account.move"])

        def create():
            note = self._create_move(
                system, doc, partner, subscription or invoice.q2c_subscription_id, "out_refund"
            )
            if invoice:
                note.reversed_entry_id = invoice
                if doc.get("applies_to_invoice", True):
                    self._apply_credit_note(note, invoice)
            return note

        return Ref._ensure(system, "credit_note", doc["external_id"], create)

    @api.model
    def _void_credit_note(self, system, external_id, reason):
        """A mirrored credit note voided at the gateway, reversed once (reference
        `credit_note_void`): Odoo's reversal cancelling it, so an invoice it reduced owes
        that amount again. A credit note that money was paid out on (a refund) is held for
        a person (PermanentError); one never mirrored changes nothing. Returns the
        reversal, or an empty recordset."""
        Ref = self.env["q2c.external.ref"]
        note = Ref._find(system, "credit_note", external_id)
        if not note:
            return self.env["account.move"]
        return Ref._ensure(
            system,
            "credit_note_void",
            external_id,
            lambda: self._reverse(note, reason, undo=note.reversed_entry_id),
        )

    @api.model
    def _void_invoice(self, system, external_id, reason):
        """A mirrored invoice voided at the gateway, reversed once by a credit note
        (reference `invoice_void`) that closes it. An invoice with a payment or credit note
        booked on it is held for a person with `reason` (PermanentError): the gateway no
        longer asks for the money, what was received or credited must be decided by
        Finance. One never mirrored changes nothing. Returns the credit note, or an empty
        recordset."""
        Ref = self.env["q2c.external.ref"]
        invoice = Ref._find(system, "invoice", external_id)
        if not invoice:
            return self.env["account.move"]
        return Ref._ensure(
            system, "invoice_void", external_id, lambda: self._reverse(invoice, reason)
        )

    def _reverse(self, move, reason, undo=None):
        """Odoo's reversal cancelling `move` (its reconciliations undone, the reversal
        reconciled with it), posted, never published on a gateway (q2c_mirrored). Anything
        reconciled with `move` other than `undo` (a payment) holds it for a person."""
        paid = move._get_reconciled_amls().move_id - move - (undo or move.browse())
        if paid:
            raise PermanentError(
                _(
                    "%(reason)s, but %(docs)s is booked on %(move)s in Odoo: nothing was "
                    "reversed; decide what happens to it.",
                    reason=reason,
                    docs=", ".join(paid.mapped("display_name")),
                    move=move.display_name,
                ),
                person_kind="other",
                record=move,
            )
        today = fields.Date.context_today(self)
        values = {"ref": reason, "date": today}
        if move.is_invoice():
            values["invoice_date"] = today
        return move.with_context(q2c_mirrored=True)._reverse_moves([values], cancel=True)

    def _apply_credit_note(self, note, invoice):
        if invoice.state != "posted" or invoice.currency_id.is_zero(invoice.amount_residual):
            return
        receivable = note.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        )
        if receivable:
            invoice.js_assign_outstanding_line(receivable.ids[0])

    @api.model
    def _reverse_mirrored(self, system, object_type, external_id, why):
        """A gateway invoice or credit note deleted or voided at the gateway: its Odoo copy
        reversed once (Odoo's own reversal, posted and reconciled with the copy; `why`, e.g.
        "Chargebee invoice 1042 voided", is the reversal's reference), bound as
        `<object_type>_reversal` so a resent event reverses nothing twice.

        `object_type`: `invoice` or `credit_note`. A document never copied reverses nothing
        (empty recordset). A copy on which something is already booked (a payment, a refund,
        a credit note or an invoice reconciled with it) is not reversed: a PermanentError
        holds the event for a person (an exception naming the copy and what is booked on
        it); once they have settled it (e.g. removed the payment), the replayed event
        reverses the copy. Returns the reversal."""
        Ref = self.env["q2c.external.ref"]
        move = Ref._find(system, object_type, external_id)
        if not move:
            return self.env["account.move"]
        done = Ref._find(system, f"{object_type}_reversal", external_id)
        if done:
            return done
        if move.state != "posted":
            return self.env["account.move"]
        booked = self._booked_on(move)
        if booked:
            raise PermanentError(
                _(
                    "%(why)s, but %(move)s has %(booked)s booked on it in Odoo: it was not "
                    "reversed. Settle it (e.g. refund or remove the payment), then replay.",
                    why=why,
                    move=move.name,
                    booked=booked,
                ),
                person_kind="other",
                record=move,
            )
        return Ref._ensure(
            system,
            f"{object_type}_reversal",
            external_id,
            lambda: self._reverse_move(move, why),
        )

    def _booked_on(self, move):
        """What is reconciled with a copy, in words (payments and documents), or ""."""
        if move.currency_id.compare_amounts(move.amount_residual, move.amount_total) == 0:
            return ""
        partials = move.line_ids.matched_debit_ids | move.line_ids.matched_credit_ids
        lines = (partials.debit_move_id | partials.credit_move_id) - move.line_ids
        names = lines.move_id.mapped(lambda other: other.name or other.ref or "")
        return ", ".join(sorted(filter(None, names))) or _("an amount")

    def _reverse_move(self, move, why):
        """Odoo's reversal of the whole copy (a full refund: posted, reconciled with it)."""
        today = fields.Date.context_today(self)
        reversal = move.with_context(q2c_mirrored=True)._reverse_moves(
            [{"ref": why, "date": today, "invoice_date": today}], cancel=True
        )
        move.message_post(
            body=_("%(why)s: reversed by %(reversal)s.", why=why, reversal=reversal.name)
        )
        return reversal

    def _create_move(self, system, doc, partner, subscription, move_type):
        currency = self._currency(doc.get("currency"))
        journal = system.payment_invoice_journal_id or self.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", system.company_id.id)], limit=1
        )
        taxed = any(line.get("taxed") for line in doc.get("lines") or [])
        tax = system.payment_sales_tax_id
        if currency.compare_amounts(doc.get("tax") or 0.0, 0.0) and not tax:
            raise MappingError(
                _(
                    "%(system)s %(doc)s carries tax: set the Sales Tax of the gateway's system "
                    "before it mirrors taxed documents.",
                    system=system.name,
                    doc=doc.get("number") or doc["external_id"],
                )
            )
        move = self.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": partner.id,
                "currency_id": currency.id,
                "journal_id": journal.id,
                "invoice_date": doc.get("date") or fields.Date.context_today(self),
                "invoice_date_due": doc.get("due_date") or doc.get("date") or False,
                "invoice_payment_term_id": False,
                "ref": _("%(system)s %(number)s", system=system.name, number=doc.get("number")),
                "q2c_subscription_id": subscription.id if subscription else False,
                "invoice_line_ids": [
                    Command.create(self._line_vals(line, tax if taxed else None))
                    for line in doc.get("lines") or []
                ],
            }
        )
        self._check_total(system, doc, move)
        # A gateway's own invoice is never published on another gateway (q2c_mirrored).
        move.with_context(q2c_mirrored=True).action_post()
        return move

    def _line_vals(self, line, tax):
        return {
            "name": line.get("name") or "/",
            "quantity": line.get("quantity") or 1.0,
            "price_unit": line.get("price_unit") or 0.0,
            "tax_ids": [Command.set(tax.ids if tax and line.get("taxed") else [])],
        }

    def _check_total(self, system, doc, move):
        """The books must say what the gateway's document says."""
        total = doc.get("total") or 0.0
        if move.currency_id.compare_amounts(move.amount_total, total):
            raise MappingError(
                _(
                    "%(system)s %(doc)s totals %(theirs)s, its lines make %(ours)s in Odoo "
                    "(discounts or taxes q2c cannot place): nothing was booked.",
                    system=system.name,
                    doc=doc.get("number") or doc["external_id"],
                    theirs=format_amount(self.env, total, move.currency_id),
                    ours=format_amount(self.env, move.amount_total, move.currency_id),
                )
            )

    def _currency(self, code):
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", (code or "").upper())], limit=1)
        )
        if not currency:
            raise MappingError(_("Unknown currency %s.", code))
        return currency
