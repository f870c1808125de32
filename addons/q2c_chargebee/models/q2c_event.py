import json

from odoo import _, models
from odoo.addons.q2c_base.exceptions import MappingError, PermanentError

from .. import mapping


class Q2cEvent(models.Model):
    _inherit = "q2c.event"

    def _get_handler(self):
        if self.system_type == "chargebee" and self.event_type in mapping.HANDLED:
            return self._handle_chargebee
        return super()._get_handler()

    def _handle_chargebee(self):
        """Apply a Chargebee event: its copy re-read from Chargebee (or as delivered), its
        objects mirrored once each through q2c_payment when Chargebee invoices, its money
        settled through `q2c.payment.settlement`."""
        try:
            data = self._chargebee_copy()
            return self._chargebee_apply(data)
        except mapping.ChargebeeShapeError as error:
            raise MappingError(f"Chargebee {self.event_type}: {error}") from error

    def _chargebee_copy(self):
        """The event to apply: as Chargebee keeps it (GET /api/v2/events/{id}) when the
        system re-reads events, else as delivered."""
        system = self.system_id
        if not system.chargebee_refetch_events:
            return json.loads(self.sudo().payload)
        fetched = system._chargebee_event(self.external_id, event=self)
        if fetched.get("event_type") != self.event_type:
            raise PermanentError(
                _(
                    "Chargebee's copy of event %(id)s is a %(theirs)s, the delivery said "
                    "%(ours)s.",
                    id=self.external_id,
                    theirs=fetched.get("event_type"),
                    ours=self.event_type,
                )
            )
        return fetched

    def _chargebee_apply(self, data):
        kind = self.event_type
        content = mapping.content(data)
        mirrors = self.system_id._payment_mirrors_invoices()
        touched = self.env["q2c.event"]
        if kind in mapping.SUBSCRIPTION_EVENTS:
            if not mirrors:
                return touched
            return self._chargebee_subscription(
                content.get("subscription"), data.get("occurred_at"), content.get("customer")
            )
        if kind in mapping.DOCUMENT_EVENTS:
            return self._chargebee_document(kind, content) if mirrors else touched
        return self._chargebee_money(data, content, mirrors)

    def _chargebee_document(self, kind, content):
        """An invoice or credit note copied; deleted or voided: its copy reversed."""
        is_invoice = kind in mapping.INVOICE_EVENTS or kind == "invoice_deleted"
        object_type = "invoice" if is_invoice else "credit_note"
        obj = content.get(object_type)
        if kind in mapping.DELETION_EVENTS:
            return self._chargebee_reverse(object_type, obj)
        if mapping.voided(obj):
            return self._chargebee_reverse(object_type, obj, "voided")
        if is_invoice:
            return self._chargebee_invoice(obj)
        return self._chargebee_credit_note(obj)

    def _chargebee_money(self, data, content, mirrors):
        """A payment, failure or refund: the invoice (and the refund's credit note) it
        names mirrored first, so it settles the copy whichever event came first."""
        kind = self.event_type
        touched = []
        if mirrors:
            customer = content.get("customer")
            if isinstance(content.get("invoice"), dict):
                touched.append(self._chargebee_invoice(content["invoice"], customer))
            if kind in mapping.REFUND_EVENTS and isinstance(content.get("credit_note"), dict):
                touched.append(self._chargebee_credit_note(content["credit_note"], customer))
            if kind in mapping.PAYMENT_EVENTS:
                touched.extend(self._chargebee_linked_invoices(content, customer))
        if kind in mapping.PAYMENT_EVENTS:
            tx = mapping.payment(data)
        elif kind in mapping.FAILURE_EVENTS:
            tx = mapping.failure(data, final_only=self.system_id.chargebee_fail_on_last_attempt)
        else:
            tx = mapping.refund(data)
        if tx is not None:
            touched.append(self.env["q2c.payment.settlement"]._apply(self.system_id, tx, self))
        return [record for record in touched if record]

    def _chargebee_linked_invoices(self, content, customer):
        """A payment applied to several invoices: each linked invoice not copied yet read
        from Chargebee (GET /api/v2/invoices/{id}) and copied, so its share settles it. One
        Chargebee does not have (404) stays unknown: the payment is then held."""
        txn = content.get("transaction") if isinstance(content.get("transaction"), dict) else {}
        if not mapping.applied(txn):
            return []
        system = self.system_id
        carried = (content.get("invoice") or {}).get("id")
        touched = []
        for share in mapping.applied(txn):
            invoice_id = share["gateway_invoice_id"]
            if invoice_id == carried or self.env["q2c.external.ref"]._find(
                system, "invoice", invoice_id
            ):
                continue
            try:
                obj = system._chargebee_get(f"/invoices/{invoice_id}", event=self).get("invoice")
            except PermanentError as error:
                if error.status != 404:
                    raise
                continue
            touched.append(self._chargebee_invoice(obj, customer))
        return [record for record in touched if record]

    def _chargebee_reverse(self, object_type, obj, what="deleted"):
        """An invoice or credit note deleted or voided at Chargebee: its Odoo copy reversed
        once by q2c_payment's mirror (held for a person when something is booked on it);
        one never copied changes nothing."""
        label = _("invoice") if object_type == "invoice" else _("credit note")
        obj = mapping._obj(obj, label)
        why = {
            "deleted": _("Chargebee %(doc)s %(id)s deleted", doc=label, id=obj["id"]),
            "voided": _("Chargebee %(doc)s %(id)s voided", doc=label, id=obj["id"]),
        }[what]
        return self.env["q2c.payment.mirror"]._reverse_mirrored(
            self.system_id, object_type, obj["id"], why
        )

    # --- the objects -------------------------------------------------------------------------

    def _chargebee_partner(self, customer_id, customer=None):
        """The Odoo customer of a Chargebee customer: by reference, else from the customer
        object (the event's, or read from Chargebee) matched by q2c_payment's mirror, which
        holds an unknown one for a person."""
        system = self.system_id
        if not customer_id:
            raise MappingError(_("The Chargebee object names no customer."))
        found = self.env["q2c.external.ref"]._find(system, "customer", customer_id)
        if found:
            return found
        if not (isinstance(customer, dict) and customer.get("id") == customer_id):
            customer = system._chargebee_get(f"/customers/{customer_id}", event=self).get(
                "customer"
            )
        return self.env["q2c.payment.mirror"]._customer(system, mapping.customer(customer))

    def _chargebee_subscription_for(self, subscription_id):
        """The mirrored subscription, mirrored now from Chargebee when it is not yet (an
        invoice arriving before its subscription's event)."""
        if not subscription_id:
            return self.env["q2c.subscription"]
        system = self.system_id
        found = self.env["q2c.external.ref"]._find(system, "subscription", subscription_id)
        if found:
            return found
        data = system._chargebee_get(f"/subscriptions/{subscription_id}", event=self)
        return self._chargebee_subscription(data.get("subscription"), None, data.get("customer"))

    def _chargebee_subscription(self, obj, occurred_at, customer=None, loaded=False):
        sub = mapping.subscription(obj, occurred_at)
        partner = self._chargebee_partner(sub["customer_ref"], customer)
        return self.env["q2c.payment.mirror"]._mirror_subscription(
            self.system_id, sub, partner, on_cancel=self._chargebee_open_invoices, loaded=loaded
        )

    def _q2c_apply_loaded_subscription(self, payload):
        """A subscription of the initial load (GET /api/v2/subscriptions): the list's
        subscription with its customer, mirrored as a subscription event's."""
        if self.system_type != "chargebee":
            return super()._q2c_apply_loaded_subscription(payload)
        try:
            return self._chargebee_subscription(
                payload.get("subscription"), None, payload.get("customer"), loaded=True
            )
        except mapping.ChargebeeShapeError as error:
            raise MappingError(f"Chargebee subscription: {error}") from error

    def _chargebee_open_invoices(self, subscription):
        """Before a cancellation is noted: the subscription's invoices still owed at
        Chargebee, read page by page, mirrored when they are not yet, so Finance's activity
        names every open invoice."""
        rows = self.system_id._chargebee_list(
            "/invoices",
            "invoice",
            event=self,
            **{
                "subscription_id[is]": subscription.external_id,
                "status[in]": '["payment_due","not_paid"]',
            },
        )
        for obj in rows:
            self._chargebee_invoice(obj, subscription=subscription)

    def _chargebee_invoice(self, obj, customer=None, subscription=None):
        doc = mapping.invoice(obj)
        if doc is None:
            return self.env["account.move"]
        system = self.system_id
        found = self.env["q2c.external.ref"]._find(system, "invoice", doc["external_id"])
        if found:
            return found
        partner = self._chargebee_partner(doc["customer_ref"], customer)
        if subscription is None:
            subscription = self._chargebee_subscription_for(doc["subscription_ref"])
        return self.env["q2c.payment.mirror"]._mirror_invoice(system, doc, partner, subscription)

    def _chargebee_credit_note(self, obj, customer=None):
        doc = mapping.credit_note(obj)
        if doc is None:
            return self.env["account.move"]
        system = self.system_id
        found = self.env["q2c.external.ref"]._find(system, "credit_note", doc["external_id"])
        if found:
            return found
        partner = self._chargebee_partner(doc["customer_ref"], customer)
        subscription = self._chargebee_subscription_for(doc["subscription_ref"])
        return self.env["q2c.payment.mirror"]._mirror_credit_note(
            system, doc, partner, subscription
        )
