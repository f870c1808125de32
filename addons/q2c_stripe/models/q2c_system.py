import json
import logging
import time

from odoo import _, fields, models
from odoo.addons.q2c_base import outbound
from odoo.addons.q2c_base.exceptions import (
    PermanentError,
    RequestRejected,
    VerificationFailed,
)

from .. import mapping, signature

_logger = logging.getLogger(__name__)

DEFAULT_API = "https://api.stripe.com"
# The API version the parser is written for (docs/saas-specs.md 1.6); set the webhook
# endpoint to it in Stripe, and q2c sends it on every call.
API_VERSION = "2026-10-28.endive"


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    system_type = fields.Selection(
        selection_add=[("stripe", "Stripe")], ondelete={"stripe": "set generic"}
    )
    stripe_account_id = fields.Char(
        "Stripe Account",
        help="acct_... of the account (Connect): events of another account are refused. "
        "Empty: not checked.",
    )
    stripe_livemode = fields.Boolean(
        "Live Mode",
        help="Accept live events (off: test-mode events only). Events of the other mode are "
        "refused, so a test endpoint never books real money and the other way round.",
    )
    stripe_fail_on_last_attempt = fields.Boolean(
        "Failed After Last Retry Only",
        default=True,
        help="A failed invoice payment changes the customer's standing only once Stripe has "
        "no retry left (Smart Retries). Off: at the first failure.",
    )

    stripe_read_fees = fields.Boolean(
        "Read Fees from Stripe",
        default=True,
        help="Stripe's events do not carry the fee of a payment: read it from the API (one "
        "call per payment: the PaymentIntent with its charge's balance transaction) so it is "
        "booked to the Gateway Fee Account. Needs read access to PaymentIntents and Charges.",
    )

    stripe_reread = fields.Selection(
        [
            ("stale", "When Out of Order"),
            ("always", "Always"),
            ("never", "Never"),
        ],
        "Read the Newest State",
        default="stale",
        help="Stripe delivers events in any order. For invoice, refund and chargeback events, "
        "read the invoice, charge or dispute from Stripe's API and apply its newest state: "
        "only when a newer event of the same object was already applied (When Out of "
        "Order), for every such event (Always), or never (the event's own copy). Needs "
        "read access to Invoices, Charges and Disputes.",
    )

    def _compute_feature_support_fields(self):
        result = super()._compute_feature_support_fields()
        self.filtered(lambda s: s.system_type == "stripe").update(
            {
                "supports_webhook": True,
                "supports_test_connection": True,
                "supports_payments": True,
                "supports_invoice_publication": True,
                "supports_payouts": True,
            }
        )
        return result

    # --- inbound -------------------------------------------------------------------------

    def _verify_request(self, body, headers):
        """Stripe-Signature over the raw bytes, any of the valid secrets (rotation)."""
        if self.system_type != "stripe":
            return super()._verify_request(body, headers)
        try:
            signature.verify(
                headers.get("Stripe-Signature"), body, self._webhook_secrets(), int(time.time())
            )
        except signature.SignatureError as error:
            raise VerificationFailed(str(error)) from error

    def _parse_events(self, body, headers):
        """One Event object per request; a type q2c does not handle is acknowledged and not
        stored (Stripe sends every type the endpoint subscribes to)."""
        if self.system_type != "stripe":
            return super()._parse_events(body, headers)
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as error:
            raise RequestRejected(_("The body is not valid JSON: %s", error)) from error
        if (
            not isinstance(data, dict)
            or data.get("object") != "event"
            or not isinstance(data.get("id"), str)
            or not isinstance(data.get("type"), str)
        ):
            raise RequestRejected(_("Stripe sends one Event object with an id and a type."))
        if bool(data.get("livemode")) != self.stripe_livemode:
            raise RequestRejected(_("Event %s is of the other mode (live or test).", data["id"]))
        account = data.get("account")
        if self.stripe_account_id and account and account != self.stripe_account_id.strip():
            raise RequestRejected(_("Event %s comes from another account.", data["id"]))
        if data["type"] not in mapping.HANDLED:
            return []
        return [{"external_id": data["id"], "event_type": data["type"], "payload": body}]

    # --- outbound ------------------------------------------------------------------------

    def _auth_headers(self):
        headers = super()._auth_headers()
        if self.system_type == "stripe":
            headers["Stripe-Version"] = API_VERSION
        return headers

    def _classify_response(self, response):
        """Stripe's own rule (docs/saas-specs.md 1.8, the SDK's `_should_retry`): its
        `Stripe-Should-Retry: true|false` header decides when present; otherwise 409 (a
        concurrent request on the same object), 429 and 5xx are worth another try."""
        if self.system_type != "stripe":
            return super()._classify_response(response)
        transient, wait = super()._classify_response(response)
        if response.status_code < 400:
            return False, None
        should = (response.headers.get("Stripe-Should-Retry") or "").strip().lower()
        if should in ("true", "false"):
            return should == "true", wait
        return transient or response.status_code == 409, wait

    def _vendor_error_message(self, response):
        """Stripe's errors carry a sentence for people: `error.message`."""
        if self.system_type != "stripe":
            return super()._vendor_error_message(response)
        data = outbound.json_or_none(response)
        error = data.get("error") if isinstance(data, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        return message if isinstance(message, str) and message else None

    def _vendor_error_code(self, response):
        """Stripe's errors: {"error": {"type", "code", "message"}}; the code, else the type."""
        if self.system_type != "stripe":
            return super()._vendor_error_code(response)
        data = outbound.json_or_none(response)
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict):
            code = error.get("code") or error.get("type")
            if isinstance(code, str):
                return code
        return super()._vendor_error_code(response)

    def _stripe_url(self, path):
        return path if self.base_url else f"{DEFAULT_API}{path}"

    def _stripe_payment_fee(self, intent_id, currency, event=None):
        """The fee Stripe took on a PaymentIntent, from
        `GET /v1/payment_intents/{id}?expand[]=latest_charge.balance_transaction`, or None
        when it is not known yet (no charge or balance transaction)."""
        intent = self._call(
            "GET",
            self._stripe_url(f"/v1/payment_intents/{intent_id}"),
            event=event,
            params={"expand[]": "latest_charge.balance_transaction"},
        ).json()
        return mapping.charge_fee(intent.get("latest_charge"), currency)

    def _stripe_get(self, path, event=None, **params):
        return self._stripe_answer(
            self._call("GET", self._stripe_url(path), event=event, params=params), "GET", path
        )

    def _stripe_answer(self, response, method, path):
        """The decoded answer; a 5xx Stripe said not to retry (`Stripe-Should-Retry:
        false`, so `_call` returned it) is refused like a 4xx."""
        if response.status_code >= 400:
            what = _(
                "%(system)s refused %(method)s %(path)s",
                system=self.name,
                method=method,
                path=path,
            )
            raise self._refused(response, what)
        return response.json()

    def _stripe_post(self, path, data, key, event=None):
        """POST form-encoded with its deterministic Idempotency-Key (docs/saas-specs.md 1.8):
        a try repeated after a failure or a crash gets Stripe's first answer back, and
        creates nothing twice. Stripe-Should-Retry, 409 and 5xx are retried by `_call`."""
        response = self._call(
            "POST", self._stripe_url(path), event=event, data=data, idempotency_key=key
        )
        return self._stripe_answer(response, "POST", path)

    def _stripe_list(self, path, event=None, **params):
        """Every object of a Stripe list: pages of 100, `starting_after` the last id while
        `has_more`."""
        params = {"limit": 100, **params}
        while True:
            page = self._stripe_get(path, event=event, **params)
            data = page.get("data") if isinstance(page, dict) else None
            if not isinstance(data, list):
                raise PermanentError(_("Stripe answered %s without a list.", path))
            yield from data
            if not page.get("has_more") or not data:
                return
            params["starting_after"] = data[-1]["id"]

    def _stripe_read_object(self, path, event=None):
        """The newest state of an invoice (its payments included), charge or dispute."""
        params = {"expand[]": "payments"} if path.startswith("/v1/invoices/") else {}
        return self._stripe_get(path, event=event, **params)

    def _stripe_payout_transactions(self, payout_id, event=None):
        """The balance transactions of a payout, each with its source (the charge, refund
        or dispute) expanded, so each line names the payment it belongs to."""
        return list(
            self._stripe_list(
                "/v1/balance_transactions",
                event=event,
                payout=payout_id,
                **{"expand[]": "data.source"},
            )
        )

    # --- publication (set-up a) ----------------------------------------------------------

    def _q2c_publish_invoice(self, move):
        """A Stripe invoice for the Odoo invoice (docs/connectors/stripe.md, "Publishing"):
        the customer (found by its binding, else created with metadata `q2c_partner`), a
        draft invoice `collection_method=send_invoice` with metadata `q2c_invoice` = the
        Odoo number, one invoice item per line (tax included; a rounding item makes the
        total exactly the Odoo total), finalized; its `hosted_invoice_url` is the payment
        page. Each POST has its own deterministic Idempotency-Key."""
        if self.system_type != "stripe":
            return super()._q2c_publish_invoice(move)
        currency = move.currency_id.name.lower()
        customer = self._stripe_customer(move.commercial_partner_id)
        days = (move.invoice_date_due - fields.Date.context_today(self)).days
        invoice = self._stripe_post(
            "/v1/invoices",
            {
                "customer": customer,
                "currency": currency,
                "collection_method": "send_invoice",
                "days_until_due": max(days, 0),
                "auto_advance": "false",
                "pending_invoice_items_behavior": "exclude",
                "description": move.name,
                f"metadata[{mapping.REF_KEY}]": move.name,
            },
            self._q2c_idempotency_key(move, "invoice"),
        )
        for step, label, amount in self._stripe_items(move):
            self._stripe_post(
                "/v1/invoiceitems",
                {
                    "customer": customer,
                    "invoice": invoice["id"],
                    "currency": currency,
                    "amount": mapping.minor(amount, currency),
                    "description": label,
                },
                self._q2c_idempotency_key(move, step),
            )
        final = self._stripe_post(
            f"/v1/invoices/{invoice['id']}/finalize",
            {"auto_advance": "false"},
            self._q2c_idempotency_key(move, "finalize"),
        )
        return {"external_id": invoice["id"], "url": final.get("hosted_invoice_url")}

    def _stripe_items(self, move):
        """(idempotency step, description, amount) of each invoice item: every product
        line with its tax, and the cents Odoo's rounding of the total leaves, if any."""
        lines = move.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        items = [(f"item-{line.id}", line.name or move.name, line.price_total) for line in lines]
        left = move.currency_id.round(move.amount_total - sum(item[2] for item in items))
        if not move.currency_id.is_zero(left):
            items.append(("item-rounding", _("Rounding"), left))
        return items

    def _stripe_customer(self, partner):
        """The Stripe customer of a customer: its binding, else created (metadata
        `q2c_partner` = the partner's id) with a key of the partner, so two invoices of a
        new customer published at once make one Stripe customer, then bound."""
        Ref = self.env["q2c.external.ref"]
        found = Ref._find_external_id(self, "customer", partner)
        if found:
            return found
        customer = self._stripe_post(
            "/v1/customers",
            {
                "name": partner.name,
                **({"email": partner.email} if partner.email else {}),
                "metadata[q2c_partner]": partner.id,
            },
            self._q2c_idempotency_key(partner, "customer"),
        )
        Ref._bind(self, "customer", customer["id"], partner)
        return customer["id"]

    # --- test connection -----------------------------------------------------------------

    def _credentials_label(self):
        if self.system_type != "stripe":
            return super()._credentials_label()
        return _("the Secret Key (or restricted key with Balance read)")

    def _test_connection(self):
        """GET /v1/balance: checks the key (a restricted key needs Balance: read)."""
        if self.system_type != "stripe":
            return super()._test_connection()
        self._call("GET", self._stripe_url("/v1/balance"))
