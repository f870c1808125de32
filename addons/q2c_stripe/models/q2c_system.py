import json
import logging
import time

from odoo import _, fields, models
from odoo.addons.q2c_base import outbound
from odoo.addons.q2c_base.exceptions import RequestRejected, VerificationFailed

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

    def _compute_feature_support_fields(self):
        result = super()._compute_feature_support_fields()
        self.filtered(lambda s: s.system_type == "stripe").update(
            {"supports_webhook": True, "supports_test_connection": True, "supports_payments": True}
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

    def _acknowledges_unhandled(self):
        """Stripe retries a refused delivery for three days: a type q2c does not handle is
        answered 200 and not stored."""
        if self.system_type != "stripe":
            return super()._acknowledges_unhandled()
        return True

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
