import json

from odoo import _, models
from odoo.addons.q2c_base.exceptions import MappingError, PermanentError
from odoo.tools import format_amount

from .. import billing, mapping


class Q2cEvent(models.Model):
    """Stripe Billing (set-up b): Stripe's subscriptions and their invoices copied into Odoo
    once each through q2c_payment's mirror, when the system's Who Invoices is the gateway."""

    _inherit = "q2c.event"

    def _get_handler(self):
        if self.system_type == "stripe" and self.event_type in billing.BILLING_EVENTS:
            return self._handle_stripe_billing
        return super()._get_handler()

    def _handle_stripe_billing(self):
        """A subscription or a finalized invoice, copied when Stripe invoices. When Odoo
        invoices, Stripe's own invoices are not Odoo's books: a subscription event changes
        nothing, and `invoice.finalized` is only the state event of set-up a (a Stripe
        invoice paid meanwhile is booked as paid, `_handle_stripe_money`). When Stripe
        invoices, a finalized invoice is copied, then settled the same way."""
        state_event = self.event_type in mapping.HANDLED
        try:
            if self.event_type in billing.INVOICE_END_EVENTS:
                return self._stripe_invoice_ended()
            if self.event_type in billing.CREDIT_NOTE_EVENTS:
                return self._stripe_credit_note_event()
        except mapping.StripeShapeError as error:
            raise MappingError(f"Stripe {self.event_type}: {error}") from error
        if not self.system_id._payment_mirrors_invoices():
            return self._handle_stripe_money() if state_event else self.env["q2c.event"]
        event = json.loads(self.sudo().payload)
        try:
            if self.event_type in billing.SUBSCRIPTION_EVENTS:
                return self._stripe_mirror_subscription(event)
            # The invoice's newest state: one voided since is not copied.
            event = self._stripe_newest(event)
            copied = self._stripe_mirror_invoice(billing._object(event))
        except mapping.StripeShapeError as error:
            raise MappingError(f"Stripe {self.event_type}: {error}") from error
        settled = self._handle_stripe_money(event) if state_event else None
        return [record for record in (copied, settled) if record]

    def _handle_stripe_money(self, event=None):
        """An invoice's payment or failure when Stripe invoices: the invoice is copied
        first (it may come before `invoice.finalized`), then settled as in set-up a, which
        finds the copy by the Stripe invoice id. A refund: the credit notes of the refunded
        invoice are copied first (read from Stripe), each paying back its own refunds, so
        the refund books only what no credit note carries (`_stripe_credit_notes_of`)."""
        if (
            self.system_type == "stripe"
            and self.event_type in mapping.REFUND_EVENTS
            and self.system_id._payment_mirrors_invoices()
        ):
            try:
                self._stripe_credit_notes_of(billing._object(json.loads(self.sudo().payload)))
            except mapping.StripeShapeError as error:
                raise MappingError(f"Stripe {self.event_type}: {error}") from error
        if (
            self.system_type == "stripe"
            and self.event_type in billing.INVOICE_MONEY_EVENTS
            and self.system_id._payment_mirrors_invoices()
        ):
            try:
                if event is None:
                    event = self._stripe_newest(json.loads(self.sudo().payload))
                copied = self._stripe_mirror_invoice(billing._object(event))
            except mapping.StripeShapeError as error:
                raise MappingError(f"Stripe {self.event_type}: {error}") from error
            settled = super()._handle_stripe_money(event)
            return [record for record in (copied, settled) if record]
        return super()._handle_stripe_money(event)

    def _stripe_partner(self, customer_id, named=None):
        """The Odoo customer of a Stripe customer: by reference, else as the invoice names
        it, else read from Stripe (GET /v1/customers/{id})."""
        system = self.system_id
        if not customer_id:
            raise MappingError(_("The Stripe object names no customer."))
        found = self.env["q2c.external.ref"]._find(system, "customer", customer_id)
        if found:
            return found
        if not (named and named.get("email")):
            data = system._call(
                "GET", system._stripe_url(f"/v1/customers/{customer_id}"), event=self
            ).json()
            named = billing.customer(data)
        return self.env["q2c.payment.mirror"]._customer(system, named)

    def _stripe_mirror_subscription(self, event, obj=None):
        sub = billing.subscription(event if obj is None else {"data": {"object": obj}})
        partner = self._stripe_partner(sub["customer_ref"])
        return self.env["q2c.payment.mirror"]._mirror_subscription(self.system_id, sub, partner)

    def _stripe_subscription_for(self, subscription_id):
        """The copied subscription, read from Stripe and copied when it is not yet."""
        if not subscription_id:
            return self.env["q2c.subscription"]
        system = self.system_id
        found = self.env["q2c.external.ref"]._find(system, "subscription", subscription_id)
        if found:
            return found
        obj = system._call(
            "GET", system._stripe_url(f"/v1/subscriptions/{subscription_id}"), event=self
        ).json()
        return self._stripe_mirror_subscription(None, obj)

    def _stripe_mirror_invoice(self, obj):
        doc = billing.invoice(obj)
        if doc is None:
            return self.env["account.move"]
        system = self.system_id
        found = self.env["q2c.external.ref"]._find(system, "invoice", doc["external_id"])
        if found:
            return found
        partner = self._stripe_partner(doc["customer_ref"], billing.invoice_customer(obj))
        subscription = self._stripe_subscription_for(doc["subscription_ref"])
        return self.env["q2c.payment.mirror"]._mirror_invoice(system, doc, partner, subscription)

    # --- invoices voided, uncollectible, deleted ------------------------------------------

    def _stripe_invoice_ended(self):
        """`invoice.voided`, `invoice.marked_uncollectible`, `invoice.deleted`.

        When Stripe invoices (set-up b): a voided invoice's copy is reversed once by a
        credit note ("voided in Stripe"), or held for a person when a payment or credit
        note is booked on it; an uncollectible one stays open (the customer still owes it)
        with the Uncollectible in Stripe flag and a to-do for Finance; a deleted one was a
        draft, never copied: nothing. The invoice's newest state is what is applied (read
        again when an event of it made later was applied first).
        When Odoo invoices (set-up a): a voided Stripe invoice that published an Odoo
        invoice ends its online payment (`_stripe_published_voided`); Odoo's invoice stays
        as it is."""
        system = self.system_id
        empty = self.env["account.move"]
        if self.event_type == "invoice.deleted":
            return empty
        event = json.loads(self.sudo().payload)
        if not system._payment_mirrors_invoices():
            if self.event_type == "invoice.voided":
                return self._stripe_published_voided(billing._object(event))
            return empty
        obj = billing._object(self._stripe_newest(event))
        number = obj.get("number") or obj["id"]
        if obj.get("status") == "void":
            return self.env["q2c.payment.mirror"]._void_invoice(
                system,
                obj["id"],
                _(
                    "%(system)s invoice %(number)s voided in Stripe",
                    system=system.name,
                    number=number,
                ),
            )
        if obj.get("status") == "uncollectible":
            return self._stripe_uncollectible(self._stripe_mirror_invoice(obj), number)
        return empty

    def _stripe_uncollectible(self, move, number):
        """Flag the copy once and give Finance a to-do; the copy stays open."""
        if not move or move.stripe_uncollectible:
            return move
        move._q2c_guarded_write({"stripe_uncollectible": True})
        due = format_amount(self.env, move.amount_residual, move.currency_id)
        summary = _("Uncollectible in Stripe: %(due)s still due", due=due)
        note = _(
            "Stripe marked invoice %(number)s uncollectible and stopped collecting it. The "
            "customer still owes %(due)s: collect it another way, or write it off (a credit "
            "note issued in Stripe is mirrored here).",
            number=number,
            due=due,
        )
        move.message_post(body=note)
        move.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=summary,
            note=note,
            user_id=(self.system_id.payment_activity_user_id or self.env.user).id,
        )
        return move

    def _stripe_published_voided(self, obj):
        """Set-up a: the Stripe invoice publishing an Odoo invoice was voided (in Stripe's
        Dashboard): its online payment ends (Online Payment: Voided at Gateway, the link is
        no longer offered in the portal) and Finance gets a to-do. The Odoo invoice is not
        cancelled: it is Odoo's books, a person decides. Once: an invoice already marked,
        or no longer posted (cancelled in Odoo, which voided it), changes nothing."""
        move = self.env["account.move"].search(
            [
                ("q2c_publication_system_id", "=", self.system_id.id),
                ("q2c_publication_external_id", "=", obj["id"]),
            ]
        )
        if len(move) != 1 or move.state != "posted" or move.q2c_publication_state == "voided":
            return self.env["account.move"]
        move._q2c_guarded_write({"q2c_publication_state": "voided"})
        note = _(
            "Stripe invoice %(number)s was voided in Stripe: the customer can no longer pay "
            "%(invoice)s online. It stays posted in Odoo with %(due)s due: cancel it, credit "
            "it, or collect it another way.",
            number=obj.get("number") or obj["id"],
            invoice=move.name,
            due=format_amount(self.env, move.amount_residual, move.currency_id),
        )
        move.message_post(body=note)
        move.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=_("Voided in Stripe: online payment ended"),
            note=note,
            user_id=(self.system_id.payment_activity_user_id or self.env.user).id,
        )
        return move

    # --- credit notes ---------------------------------------------------------------------

    def _stripe_credit_note_event(self):
        """`credit_note.created`, `.updated`, `.voided`, applied as the credit note's newest
        state; when Odoo invoices, Stripe's credit notes are not Odoo's books: nothing."""
        if not self.system_id._payment_mirrors_invoices():
            return self.env["account.move"]
        event = self._stripe_newest(json.loads(self.sudo().payload))
        return self._stripe_credit_note(billing._object(event))

    def _stripe_credit_note(self, obj):
        """Copy an issued credit note once, or reverse a voided one once.

        Issued: a posted Odoo credit note of its lines and total (its total must be
        Stripe's, else nothing is booked and the event says both) for the customer of the
        invoice it credits, reconciled with that invoice while it is open (a pre-payment
        credit note reduces what is due). The invoice is copied first when it is not yet
        (read from Stripe). The refunds the credit note gave back are booked as refunds
        paying it (`_stripe_credit_note_refunds`). Void: the copy, if any, is reversed; a
        voided credit note never copied is not copied."""
        doc = billing.credit_note(obj)
        system = self.system_id
        Mirror = self.env["q2c.payment.mirror"]
        if doc["status"] == "void":
            return Mirror._void_credit_note(
                system,
                doc["external_id"],
                _(
                    "%(system)s credit note %(number)s voided in Stripe",
                    system=system.name,
                    number=doc["number"],
                ),
            )
        note = self.env["q2c.external.ref"]._find(system, "credit_note", doc["external_id"])
        invoice_obj = None
        if not note:
            invoice = self.env["q2c.external.ref"]._find(system, "invoice", doc["invoice_ref"])
            if not invoice:
                invoice_obj = system._stripe_read_object(
                    mapping.REREAD_PATHS["invoice"].format(id=doc["invoice_ref"]), event=self
                )
                invoice = self._stripe_mirror_invoice(invoice_obj)
            if not invoice:
                raise MappingError(
                    _(
                        "Stripe credit note %(note)s credits invoice %(invoice)s, which is not "
                        "final in Stripe (draft or void): nothing was booked.",
                        note=doc["number"],
                        invoice=doc["invoice_ref"],
                    )
                )
            if doc["refunds"]:
                self._stripe_check_refund_not_booked(doc, invoice_obj)
            note = Mirror._mirror_credit_note(
                system, doc, invoice.partner_id, invoice.q2c_subscription_id
            )
        refunds = self._stripe_credit_note_refunds(doc, invoice_obj)
        return [note, *refunds]

    def _stripe_credit_note_refunds(self, doc, invoice_obj=None):
        """Each refund the credit note gave back (`refunds[]`, or `refund` before
        2025-03-31, its amount read from Stripe), booked once (by the refund id) as an
        outbound payment of its amount paying the copied credit note; it belongs to the
        payment of the credited invoice, and waits for it when that is not booked yet.
        A later `charge.refunded` of the same payment counts it as booked."""
        system = self.system_id
        Settlement = self.env["q2c.payment.settlement"]
        rows = []
        for refund_id, known in doc["refunds"]:
            amount = known
            if amount is None:
                refund = system._stripe_get(f"/v1/refunds/{refund_id}", event=self)
                amount = mapping.major(refund.get("amount"), doc["currency"])
            tx = {
                "kind": "refund",
                "external_id": refund_id,
                "payment_external_id": self._stripe_invoice_payment(
                    doc["invoice_ref"], invoice_obj
                ),
                "amount": amount,
                "currency": doc["currency"],
                "date": doc["date"],
                "gateway_invoice_id": doc["invoice_ref"],
                "gateway_credit_note_id": doc["external_id"],
                "customer_ref": doc["customer_ref"],
            }
            rows.append(Settlement._apply(system, tx, self))
        return rows

    def _stripe_check_refund_not_booked(self, doc, invoice_obj=None):
        """A credit note carrying refunds, for a payment whose refunds q2c already booked
        as credit notes of the copy (the refund was booked before Stripe's credit note was
        known: `charge.refunded` waiting for its payment, which no credit note listed
        then): copying it would refund twice. Held for a person, never guessed."""
        booked = self.env["q2c.payment.settlement"].search(
            [
                ("system_id", "=", self.system_id.id),
                ("kind", "=", "refund"),
                (
                    "payment_external_id",
                    "=",
                    self._stripe_invoice_payment(doc["invoice_ref"], invoice_obj),
                ),
                ("state", "=", "settled"),
                ("gateway_credit_note_id", "=", False),
                ("credit_note_id", "!=", False),
            ]
        )
        if booked:
            raise PermanentError(
                _(
                    "Stripe credit note %(note)s refunds %(amount)s of invoice %(invoice)s, "
                    "whose refund is already booked as %(booked)s (the refund came first): "
                    "nothing was booked, so nothing is refunded twice. Check the refunds in "
                    "Stripe and close this event, or reverse %(booked)s and replay it.",
                    note=doc["number"],
                    amount=format_amount(
                        self.env,
                        sum(amount or 0.0 for _ref, amount in doc["refunds"]),
                        booked.currency_id[:1],
                    ),
                    invoice=doc["invoice_ref"],
                    booked=", ".join(booked.credit_note_id.mapped("name")),
                ),
                person_kind="other",
                record=booked.credit_note_id[:1],
            )

    def _stripe_invoice_payment(self, invoice_id, invoice_obj=None):
        """The payment key (`mapping.invoice_payment_key`) of a Stripe invoice: its
        payment as booked, else as the invoice (read from Stripe if need be) names it."""
        booked = self.env["q2c.payment.settlement"].search(
            [
                ("system_id", "=", self.system_id.id),
                ("kind", "=", "payment"),
                ("gateway_invoice_id", "=", invoice_id),
            ],
            limit=1,
        )
        if booked:
            return booked.external_id
        if invoice_obj is None:
            invoice_obj = self.system_id._stripe_read_object(
                mapping.REREAD_PATHS["invoice"].format(id=invoice_id), event=self
            )
        return mapping.invoice_payment_key(invoice_obj)

    def _stripe_credit_notes_of(self, charge):
        """Before a refund of a copied invoice's payment is booked: the invoice's credit
        notes, read from Stripe (`GET /v1/credit_notes?invoice=`), copied with the refunds
        they carry, so the refund's cumulative total finds them booked and adds nothing
        twice, whichever of `charge.refunded` and `credit_note.created` comes first. The
        invoice: the one the refunded payment paid (as booked), else the charge's
        `invoice` (older versions); unknown, nothing is read."""
        payment_key = mapping._id(charge.get("payment_intent")) or charge["id"]
        payment = self.env["q2c.payment.settlement"].search(
            [
                ("system_id", "=", self.system_id.id),
                ("kind", "=", "payment"),
                ("external_id", "=", payment_key),
            ],
            limit=1,
        )
        invoice_id = payment.gateway_invoice_id or mapping._id(charge.get("invoice"))
        if not invoice_id:
            return
        for obj in self.system_id._stripe_list("/v1/credit_notes", event=self, invoice=invoice_id):
            if isinstance(obj, dict) and obj.get("status") == "issued":
                self._stripe_credit_note(obj)
