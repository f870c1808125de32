import json

from odoo import _, models
from odoo.addons.q2c_base.exceptions import MappingError

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
        if not self.system_id._payment_mirrors_invoices():
            return self._handle_stripe_money() if state_event else self.env["q2c.event"]
        event = json.loads(self.sudo().payload)
        try:
            if self.event_type in billing.SUBSCRIPTION_EVENTS:
                return self._stripe_mirror_subscription(event)
            copied = self._stripe_mirror_invoice(billing._object(event))
        except mapping.StripeShapeError as error:
            raise MappingError(f"Stripe {self.event_type}: {error}") from error
        settled = self._handle_stripe_money() if state_event else None
        return [record for record in (copied, settled) if record]

    def _handle_stripe_money(self):
        """An invoice's payment or failure when Stripe invoices: the invoice is copied
        first (it may come before `invoice.finalized`), then settled as in set-up a, which
        finds the copy by the Stripe invoice id."""
        if (
            self.system_type == "stripe"
            and self.event_type in billing.INVOICE_MONEY_EVENTS
            and self.system_id._payment_mirrors_invoices()
        ):
            event = json.loads(self.sudo().payload)
            try:
                copied = self._stripe_mirror_invoice(billing._object(event))
            except mapping.StripeShapeError as error:
                raise MappingError(f"Stripe {self.event_type}: {error}") from error
            settled = super()._handle_stripe_money()
            return [record for record in (copied, settled) if record]
        return super()._handle_stripe_money()

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
