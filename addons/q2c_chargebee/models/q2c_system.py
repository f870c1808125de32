import base64
import json
import logging

from odoo import _, api, fields, models
from odoo.addons.q2c_base.exceptions import (
    PermanentError,
    Q2cError,
    RequestRejected,
    VerificationFailed,
)
from odoo.exceptions import ValidationError

from .. import auth, mapping

_logger = logging.getLogger(__name__)

API_PREFIX = "/api/v2"
# A list read stops here: Chargebee pages hold at most 100 records (docs/saas-specs.md 4.1).
PAGE_LIMIT = 100
MAX_PAGES = 50


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    system_type = fields.Selection(
        selection_add=[("chargebee", "Chargebee")], ondelete={"chargebee": "set generic"}
    )
    chargebee_site = fields.Char(
        "Site",
        help="Your Chargebee site name: acme for https://acme.chargebee.com (acme-test for the "
        "test site). The API is called at https://<site>.chargebee.com/api/v2.",
    )
    chargebee_webhook_username = fields.Char(
        "Webhook Username",
        help="The username of the webhook's basic authentication in Chargebee (Settings > "
        "Configure Chargebee > Webhooks). Change it together with the password.",
    )
    chargebee_webhook_password = fields.Char(
        "Webhook Password",
        compute="_compute_chargebee_webhook_password",
        inverse="_inverse_chargebee_webhook_password",
        help="Write-only. Setting a new password keeps the previous username and password "
        "accepted for the rotation grace period, so Chargebee can be changed meanwhile.",
    )
    chargebee_refetch_events = fields.Boolean(
        "Re-read Events from Chargebee",
        default=True,
        help="Before an event is applied, read it again from Chargebee (GET "
        "/api/v2/events/<id>) with the API key and apply that copy: a delivery whose "
        "credentials leaked cannot book anything Chargebee did not send.",
    )
    chargebee_fail_on_last_attempt = fields.Boolean(
        "Failed After Last Dunning Retry Only",
        default=True,
        help="A failed payment changes the customer's standing only once Chargebee's dunning "
        "has no retry left. Off: at the first failure.",
    )

    def _compute_feature_support_fields(self):
        result = super()._compute_feature_support_fields()
        self.filtered(lambda s: s.system_type == "chargebee").update(
            {
                "supports_webhook": True,
                "supports_test_connection": True,
                "supports_payments": True,
                "supports_subscription_load": True,
            }
        )
        return result

    def _compute_chargebee_webhook_password(self):
        self.chargebee_webhook_password = False

    def _inverse_chargebee_webhook_password(self):
        for system in self.filtered("chargebee_webhook_password"):
            if not system.chargebee_webhook_username:
                raise ValidationError(_("Set the Webhook Username before its password."))
            system._set_webhook_secret(
                f"{system.chargebee_webhook_username}:{system.chargebee_webhook_password}"
            )

    @api.constrains("chargebee_webhook_username")
    def _check_chargebee_webhook_username(self):
        for system in self.filtered("chargebee_webhook_username"):
            if ":" in system.chargebee_webhook_username:
                # Basic authentication ends the username at its first colon (RFC 7617).
                raise ValidationError(_("A webhook username cannot hold a colon."))

    # --- inbound -------------------------------------------------------------------------

    def _verify_request(self, body, headers):
        """HTTP Basic against the current credentials and, during the rotation's grace
        period, the previous ones (stored as `username:password`, encrypted)."""
        if self.system_type != "chargebee":
            return super()._verify_request(body, headers)
        try:
            auth.verify(headers.get("Authorization"), self._webhook_secrets())
        except auth.AuthError as error:
            raise VerificationFailed(str(error)) from error

    def _parse_events(self, body, headers):
        """One Event object per request (API version v2); a type q2c does not handle is
        acknowledged and not stored (Chargebee sends every type the webhook selects)."""
        if self.system_type != "chargebee":
            return super()._parse_events(body, headers)
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as error:
            raise RequestRejected(_("The body is not valid JSON: %s", error)) from error
        if (
            not isinstance(data, dict)
            or data.get("object") != "event"
            or not isinstance(data.get("id"), str)
            or not data["id"]
            or not isinstance(data.get("event_type"), str)
            or not isinstance(data.get("content"), dict)
        ):
            raise RequestRejected(
                _("Chargebee sends one event object with an id, an event_type and content.")
            )
        if data.get("api_version", "v2") != "v2":
            raise RequestRejected(_("Set the webhook's API version to v2 in Chargebee."))
        if data["event_type"] not in mapping.HANDLED:
            return []
        return [{"external_id": data["id"], "event_type": data["event_type"], "payload": body}]

    # --- outbound ------------------------------------------------------------------------

    def _auth_headers(self):
        """Chargebee's API: HTTP Basic with the API key as username and no password."""
        if self.system_type != "chargebee":
            return super()._auth_headers()
        key = self._get_secret("api_token") if self.sudo().api_token_enc else ""
        if not key:
            return {}
        token = base64.b64encode(f"{key}:".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def _idempotency_header(self):
        if self.system_type != "chargebee":
            return super()._idempotency_header()
        return "chargebee-idempotency-key"

    def _vendor_error_code(self, response):
        """Chargebee's errors: {"api_error_code", "error_code", "message", "type"}."""
        if self.system_type != "chargebee":
            return super()._vendor_error_code(response)
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict):
            code = data.get("api_error_code") or data.get("error_code")
            if isinstance(code, str):
                return code
        return super()._vendor_error_code(response)

    def _chargebee_url(self, path):
        """`path` under /api/v2, at the API Base URL when set, else at the site."""
        path = f"{API_PREFIX}{path}"
        if self.base_url:
            return path
        return f"https://{(self.chargebee_site or '').strip()}.chargebee.com{path}"

    def _chargebee_get(self, path, event=None, **params):
        return self._call("GET", self._chargebee_url(path), event=event, params=params).json()

    def _chargebee_list(self, path, key, event=None, **params):
        """Every record of a list, page by page: `limit` and `offset`, the next page's
        offset from the answer's `next_offset` until it has none. 429 waits for
        `Retry-After` (q2c_base's `_call`)."""
        offset = None
        for _page in range(MAX_PAGES):
            query = {**params, "limit": PAGE_LIMIT}
            if offset:
                query["offset"] = offset
            data = self._chargebee_get(path, event=event, **query)
            rows = data.get("list") if isinstance(data, dict) else None
            if not isinstance(rows, list):
                raise PermanentError(_("Chargebee answered %s without a list.", path))
            for row in rows:
                if isinstance(row, dict) and isinstance(row.get(key), dict):
                    yield row[key]
            offset = data.get("next_offset")
            if not offset:
                return
        _logger.warning("q2c: Chargebee list %s stopped after %s pages", path, MAX_PAGES)

    def _q2c_subscription_page(self, page_cursor):
        """One page of the initial load: GET /api/v2/subscriptions (`limit` 100, `offset`
        the previous page's `next_offset`); each row's subscription with its customer."""
        if self.system_type != "chargebee":
            return super()._q2c_subscription_page(page_cursor)
        query = {"limit": PAGE_LIMIT}
        if page_cursor:
            query["offset"] = page_cursor
        data = self._chargebee_get("/subscriptions", **query)
        rows = data.get("list") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise PermanentError(_("Chargebee answered /subscriptions without a list."))
        payloads = [
            {"subscription": row["subscription"], "customer": row.get("customer")}
            for row in rows
            if isinstance(row, dict) and isinstance(row.get("subscription"), dict)
        ]
        return payloads, data.get("next_offset") or None

    def _q2c_loaded_subscription_id(self, payload):
        if self.system_type != "chargebee":
            return super()._q2c_loaded_subscription_id(payload)
        return payload["subscription"].get("id")

    def _chargebee_event(self, event_id, event=None):
        """The event as Chargebee keeps it (GET /api/v2/events/{id})."""
        data = self._chargebee_get(f"/events/{event_id}", event=event)
        fetched = data.get("event") if isinstance(data, dict) else None
        if not isinstance(fetched, dict) or fetched.get("id") != event_id:
            raise PermanentError(_("Chargebee has no event %s.", event_id))
        return fetched

    # --- test connection -----------------------------------------------------------------

    def _credentials_label(self):
        if self.system_type != "chargebee":
            return super()._credentials_label()
        return _("the Site and the API Key (read-only key is enough)")

    def _check_setup(self):
        """Chargebee needs its site (or an API Base URL) to be called."""
        result = super()._check_setup()
        if self.system_type == "chargebee" and not (self.chargebee_site or self.base_url):
            raise Q2cError(_("Set the Chargebee Site (acme for acme.chargebee.com)."))
        return result

    def _test_connection(self):
        """GET /api/v2/events?limit=1: checks the site and the API key."""
        if self.system_type != "chargebee":
            return super()._test_connection()
        self._chargebee_get("/events", limit=1)
