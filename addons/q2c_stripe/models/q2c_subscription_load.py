"""Stripe Billing's part of the initial load of subscriptions (set-up b, q2c_payment's
`q2c_subscription_load`): `GET /v1/subscriptions?status=all` page by page (`limit` 100,
`starting_after` the last id while `has_more`), each subscription's customer expanded so an
unknown one is matched by its e-mail without another call."""

from odoo import _, models
from odoo.addons.q2c_base.exceptions import MappingError, PermanentError

from .. import billing, mapping

PAGE_LIMIT = 100


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    def _compute_feature_support_fields(self):
        result = super()._compute_feature_support_fields()
        self.filtered(lambda s: s.system_type == "stripe").update(
            {"supports_subscription_load": True}
        )
        return result

    def _q2c_subscription_page(self, page_cursor):
        """One page of Stripe's subscriptions, cancelled ones included (`status=all`); each
        payload is the subscription (its customer as an id) and the customer."""
        if self.system_type != "stripe":
            return super()._q2c_subscription_page(page_cursor)
        params = {"status": "all", "limit": PAGE_LIMIT, "expand[]": "data.customer"}
        if page_cursor:
            params["starting_after"] = page_cursor
        page = self._stripe_get("/v1/subscriptions", **params)
        data = page.get("data") if isinstance(page, dict) else None
        if not isinstance(data, list):
            raise PermanentError(_("Stripe answered /v1/subscriptions without a list."))
        payloads = []
        for obj in data:
            if not isinstance(obj, dict) or not mapping._id(obj):
                continue
            customer = obj.get("customer")
            payloads.append(
                {
                    "subscription": {**obj, "customer": mapping._id(customer)},
                    "customer": customer if isinstance(customer, dict) else None,
                }
            )
        more = page.get("has_more") and data and mapping._id(data[-1])
        return payloads, more or None

    def _q2c_loaded_subscription_id(self, payload):
        if self.system_type != "stripe":
            return super()._q2c_loaded_subscription_id(payload)
        return payload["subscription"]["id"]


class Q2cEvent(models.Model):
    _inherit = "q2c.event"

    def _q2c_apply_loaded_subscription(self, payload):
        """A subscription of the load, mirrored as a subscription event's (its state now:
        a webhook event older than the load changes nothing after it)."""
        if self.system_type != "stripe":
            return super()._q2c_apply_loaded_subscription(payload)
        try:
            sub = billing.subscription({"data": {"object": payload["subscription"]}})
            customer = payload.get("customer")
            named = billing.customer(customer) if isinstance(customer, dict) else None
        except mapping.StripeShapeError as error:
            raise MappingError(f"Stripe subscription: {error}") from error
        partner = self._stripe_partner(sub["customer_ref"], named)
        return self.env["q2c.payment.mirror"]._mirror_subscription(
            self.system_id, sub, partner, loaded=True
        )
