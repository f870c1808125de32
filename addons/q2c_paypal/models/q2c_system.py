import datetime
import json
import logging
import threading
import time

import certifi

from odoo import _, fields, models
from odoo.addons.q2c_base import outbound
from odoo.addons.q2c_base.exceptions import (
    PermanentError,
    Q2cError,
    RequestRejected,
    VerificationFailed,
)
from odoo.exceptions import UserError
from odoo.tools import config

from .. import mapping, signature

_logger = logging.getLogger(__name__)

API = {"live": "https://api-m.paypal.com", "sandbox": "https://api-m.sandbox.paypal.com"}
# Server settings for the tests' stand-in PayPal only (see `_paypal_test_trust`): an origin
# whose certificates may be downloaded besides PayPal's hosts, and a CA certificate (PEM)
# trusted besides certifi's roots. Read only while Odoo runs its tests (--test-enable).
TEST_ORIGIN_OPTION = "q2c_paypal_test_cert_origin"
TEST_CA_OPTION = "q2c_paypal_test_ca_pem"
# In memory, per process: access tokens {(db, system id, api): (token, expires at)}, the
# verified signing certificates {url: leaf}, certifi's roots parsed once.
_TOKENS = {}
_CERTS = {}
_ROOTS = []
_LOCK = threading.Lock()
MAX_CACHED_CERTS = 32


def _trusted_roots():
    with _LOCK:
        if not _ROOTS:
            with open(certifi.where(), "rb") as bundle:
                _ROOTS.extend(signature.load_roots(bundle.read()))
        return list(_ROOTS)


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    system_type = fields.Selection(
        selection_add=[("paypal", "PayPal")], ondelete={"paypal": "set generic"}
    )
    paypal_environment = fields.Selection(
        [("sandbox", "Sandbox"), ("live", "Live")],
        "PayPal Environment",
        default="sandbox",
        help="Sandbox or live app: the API address (api-m.sandbox.paypal.com or "
        "api-m.paypal.com) unless an API Base URL is set.",
    )
    paypal_webhook_id = fields.Char(
        "Webhook ID",
        help="The ID PayPal shows for this webhook in the app (Webhooks): part of every "
        "signature, so a delivery for another webhook is refused. Without it nothing is "
        "accepted.",
    )
    paypal_verification = fields.Selection(
        [
            ("offline", "Certificate (checked in Odoo)"),
            ("online", "PayPal's verification API"),
        ],
        "Signature Check",
        default="offline",
        help="Certificate: Odoo checks each signature with PayPal's certificate (downloaded "
        "from a paypal.com address once, then cached). PayPal's verification API: one call "
        "to PayPal per delivery (needs the Client ID and Secret).",
    )
    paypal_replay_window = fields.Integer(
        "Replay Window (s)",
        default=signature.TOLERANCE,
        help="Deliveries whose PayPal transmission time is further than this from now are "
        "refused (PayPal sets no limit of its own).",
    )
    paypal_read_fees = fields.Boolean(
        "Read Fees from PayPal",
        default=True,
        help="A paid PayPal invoice does not carry the fee: read the capture once from "
        "PayPal so its fee is booked to the Gateway Fee Account.",
    )

    def _compute_feature_support_fields(self):
        result = super()._compute_feature_support_fields()
        self.filtered(lambda s: s.system_type == "paypal").update(
            {
                "supports_webhook": True,
                "supports_test_connection": True,
                "supports_payments": True,
                "supports_invoice_publication": True,
            }
        )
        return result

    # --- inbound -------------------------------------------------------------------------

    def _verify_request(self, body, headers):
        """PayPal's signature, offline or through PayPal's API (`paypal_verification`),
        within our replay window; the webhook id is the system's. Fails closed."""
        if self.system_type != "paypal":
            return super()._verify_request(body, headers)
        webhook_id = (self.paypal_webhook_id or "").strip()
        if not webhook_id:
            raise VerificationFailed("no Webhook ID set: nothing is accepted")
        origins, _roots = self._paypal_test_trust()
        try:
            values = signature.read_headers(headers)
            signature.check_fresh(
                values["PAYPAL-TRANSMISSION-TIME"],
                datetime.datetime.now(datetime.UTC),
                self.paypal_replay_window or signature.TOLERANCE,
            )
            signature.check_cert_url(values["PAYPAL-CERT-URL"], origins)
            if self.paypal_verification == "online":
                self._paypal_verify_online(values, body, webhook_id)
            else:
                self._paypal_verify_offline(values, body, webhook_id)
        except signature.SignatureError as error:
            raise VerificationFailed(str(error)) from error

    def _paypal_test_trust(self):
        """(extra certificate origins, extra trusted roots) for the tests' stand-in PayPal:
        read from the server options `q2c_paypal_test_cert_origin` and
        `q2c_paypal_test_ca_pem` only while Odoo runs its tests (--test-enable). A
        production server never runs with --test-enable, so only PayPal's own hosts and
        certifi's roots are trusted there, whatever its configuration says."""
        if not config.get("test_enable"):
            return (), []
        origin = config.get(TEST_ORIGIN_OPTION)
        pem = config.get(TEST_CA_OPTION)
        roots = signature.load_roots(pem.encode()) if pem else []
        return ((origin,) if origin else ()), roots

    def _paypal_verify_offline(self, values, body, webhook_id):
        leaf = self._paypal_certificate(values["PAYPAL-CERT-URL"])
        signed = signature.message(
            values["PAYPAL-TRANSMISSION-ID"], values["PAYPAL-TRANSMISSION-TIME"], webhook_id, body
        )
        signature.verify_signature(leaf, signed, values["PAYPAL-TRANSMISSION-SIG"])

    def _paypal_certificate(self, url):
        """The signing certificate at `url` (already checked to be PayPal's), downloaded
        once, its chain and name checked, then cached in memory while it is valid."""
        now = datetime.datetime.now(datetime.UTC)
        with _LOCK:
            leaf = _CERTS.get(url)
        if leaf is not None and signature.valid_now(leaf, now):
            return leaf
        try:
            response = self.with_context(q2c_paypal_no_auth=True)._call(
                "GET", url, allow_redirects=False
            )
        except Q2cError as error:
            raise signature.SignatureError(f"cannot download the certificate: {error}") from error
        if response.status_code != 200:
            raise signature.SignatureError(f"certificate download answered {response.status_code}")
        _origins, extra_roots = self._paypal_test_trust()
        certs = signature.load_pem_certificates(response.content)
        leaf = signature.verify_chain(certs, _trusted_roots() + extra_roots, now)
        with _LOCK:
            if len(_CERTS) >= MAX_CACHED_CERTS:
                _CERTS.clear()
            _CERTS[url] = leaf
        return leaf

    def _paypal_verify_online(self, values, body, webhook_id):
        """POST /v1/notifications/verify-webhook-signature with the raw body spliced in
        verbatim as `webhook_event` (re-serialising could change the signed bytes)."""
        try:
            json.loads(body)
            event_text = body.decode()
        except (ValueError, UnicodeDecodeError, RecursionError) as error:
            raise signature.SignatureError("the body is not JSON") from error
        head = json.dumps(
            {
                "auth_algo": values["PAYPAL-AUTH-ALGO"],
                "cert_url": values["PAYPAL-CERT-URL"],
                "transmission_id": values["PAYPAL-TRANSMISSION-ID"],
                "transmission_sig": values["PAYPAL-TRANSMISSION-SIG"],
                "transmission_time": values["PAYPAL-TRANSMISSION-TIME"],
                "webhook_id": webhook_id,
            }
        )
        payload = f'{head[:-1]}, "webhook_event": {event_text}}}'
        try:
            answer = self._paypal_api(
                "POST",
                "/v1/notifications/verify-webhook-signature",
                data=payload.encode(),
                headers={"Content-Type": "application/json"},
            ).json()
        except (Q2cError, UserError, ValueError) as error:
            raise signature.SignatureError(f"verification API: {error}") from error
        if not isinstance(answer, dict) or answer.get("verification_status") != "SUCCESS":
            raise signature.SignatureError("PayPal's verification API answered FAILURE")

    def _parse_events(self, body, headers):
        """One event per request, stored once by its id (WH-...); a type q2c does not
        handle is acknowledged and not stored (PayPal re-sends refusals for days)."""
        if self.system_type != "paypal":
            return super()._parse_events(body, headers)
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as error:
            raise RequestRejected(_("The body is not valid JSON: %s", error)) from error
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("id"), str)
            or not isinstance(data.get("event_type"), str)
            or not isinstance(data.get("resource"), dict)
        ):
            raise RequestRejected(_("PayPal sends one event with an id, a type and a resource."))
        if data["event_type"] not in mapping.HANDLED:
            return []
        return [{"external_id": data["id"], "event_type": data["event_type"], "payload": body}]

    # --- outbound ------------------------------------------------------------------------

    def _paypal_url(self, path):
        return path if self.base_url else f"{API[self.paypal_environment or 'sandbox']}{path}"

    def _paypal_token_key(self):
        return (self.env.cr.dbname, self.id, self._paypal_url(""))

    def _auth_headers(self):
        """The OAuth access token held in memory; none for the token call itself and for
        the certificate download."""
        if self.system_type != "paypal":
            return super()._auth_headers()
        if self.env.context.get("q2c_paypal_no_auth"):
            return {}
        with _LOCK:
            token = _TOKENS.get(self._paypal_token_key())
        return {"Authorization": f"Bearer {token[0]}"} if token else {}

    def _idempotency_header(self):
        if self.system_type != "paypal":
            return super()._idempotency_header()
        return "PayPal-Request-Id"

    def _paypal_token(self, event=None, refresh=False):
        """An access token of the app (OAuth 2.0 client credentials: Client ID and Secret),
        kept in memory until a minute before it expires."""
        key = self._paypal_token_key()
        with _LOCK:
            held = _TOKENS.get(key)
        if held and not refresh and held[1] > time.monotonic():
            return held[0]
        answer = (
            self.with_context(q2c_paypal_no_auth=True)
            ._call(
                "POST",
                self._paypal_url("/v1/oauth2/token"),
                event=event,
                auth=(self.api_username or "", self._get_secret("api_password")),
                data={"grant_type": "client_credentials"},
            )
            .json()
        )
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise PermanentError(_("PayPal gave no access token."))
        expires_in = answer.get("expires_in")
        lifetime = expires_in if isinstance(expires_in, int) and expires_in > 0 else 300
        with _LOCK:
            _TOKENS[key] = (token, time.monotonic() + max(lifetime - 60, 1))
        return token

    def _paypal_api(self, method, path, event=None, **kwargs):
        """Call PayPal's REST API with the app's token; a refused token is fetched again
        once. Returns the response; raises PermanentError on another 4xx."""
        for refresh in (False, True):
            self._paypal_token(event, refresh=refresh)
            response = self._call(
                method, self._paypal_url(path), event=event, raise_for_status=False, **kwargs
            )
            if response.status_code != 401:
                break
        if response.status_code >= 400:
            raise self._refused(
                response, _("PayPal refused %(method)s %(path)s", method=method, path=path)
            )
        return response

    def _vendor_error_message(self, response):
        """PayPal's errors: the `description` of each of `details[]`, else `message`."""
        if self.system_type != "paypal":
            return super()._vendor_error_message(response)
        data = outbound.json_or_none(response)
        if not isinstance(data, dict):
            return None
        details = data.get("details") if isinstance(data.get("details"), list) else []
        words = [
            d["description"]
            for d in details
            if isinstance(d, dict) and isinstance(d.get("description"), str)
        ]
        message = data.get("message")
        return " ".join(words) or (message if isinstance(message, str) and message else None)

    def _vendor_error_code(self, response):
        """PayPal's errors: {"name", "details": [{"issue"}]}: the first issue, else the
        name; the token endpoint answers RFC 6749 errors (invalid_client)."""
        if self.system_type != "paypal":
            return super()._vendor_error_code(response)
        data = outbound.json_or_none(response)
        if isinstance(data, dict):
            details = data.get("details")
            if isinstance(details, list) and details and isinstance(details[0], dict):
                issue = details[0].get("issue")
                if isinstance(issue, str):
                    return issue
            if isinstance(data.get("name"), str):
                return data["name"]
        return super()._vendor_error_code(response)

    def _paypal_capture_fee(self, capture_id, currency, event=None):
        """PayPal's fee on a capture (`GET /v2/payments/captures/{id}`), or None."""
        capture = self._paypal_api("GET", f"/v2/payments/captures/{capture_id}", event).json()
        return mapping.fee_of(capture, currency) if isinstance(capture, dict) else None

    # --- test connection -----------------------------------------------------------------

    def _credentials_label(self):
        if self.system_type != "paypal":
            return super()._credentials_label()
        return _("the Client ID and Secret of the PayPal app (and Sandbox or Live)")

    def _test_connection(self):
        """An access token from /v1/oauth2/token: checks the Client ID, the Secret and the
        environment."""
        if self.system_type != "paypal":
            return super()._test_connection()
        self._paypal_token(refresh=True)

    # --- publication (set-up a: Odoo invoices, PayPal collects) -------------------------

    def _q2c_publish_invoice(self, move):
        """Offer a posted Odoo invoice for payment on PayPal; returns
        `{"external_id": PayPal invoice id, "url": the payer's link}`.

        A PayPal invoice (Invoicing v2) numbered with the Odoo invoice number, so its
        capture's `invoice_id` and `INVOICING.INVOICE.PAID` name the Odoo invoice, for the
        amount due, then sent to the customer. Exactly once: `PayPal-Request-Id` is derived
        from the system and the invoice (a retry after a lost answer gets the same PayPal
        invoice), the PayPal invoice is bound to the Odoo invoice (a second call creates
        and sends nothing), and an invoice already sent is not sent again."""
        if self.system_type != "paypal":
            return super()._q2c_publish_invoice(move)
        move.ensure_one()
        if move.move_type != "out_invoice" or move.state != "posted":
            raise UserError(_("Only a posted customer invoice is published (%s).", move.name))
        refs = self.env["q2c.external.ref"]
        invoice_id = refs._find_external_id(self, "invoice", move)
        if not invoice_id:
            created = self._paypal_api(
                "POST",
                "/v2/invoicing/invoices",
                json=self._paypal_invoice_body(move),
                headers={"Prefer": "return=representation"},
                idempotency_key=self._q2c_idempotency_key(move, "invoice"),
            ).json()
            invoice_id = mapping.invoice_id_of(created)
            refs._bind(self, "invoice", invoice_id, move)
        invoice = self._paypal_api("GET", f"/v2/invoicing/invoices/{invoice_id}").json()
        url = None
        if isinstance(invoice, dict) and invoice.get("status") == "DRAFT":
            sent = self._paypal_api(
                "POST",
                f"/v2/invoicing/invoices/{invoice_id}/send",
                json={"send_to_recipient": True, "send_to_invoicer": False},
                idempotency_key=self._q2c_idempotency_key(move, "send"),
            )
            answer = outbound.json_or_none(sent)
            url = answer.get("href") if isinstance(answer, dict) else None
        return {"external_id": invoice_id, "url": url or mapping.payer_url(invoice)}

    def _paypal_invoice_body(self, move):
        """The PayPal invoice of an Odoo invoice: its number, dates and currency, the
        customer, and one item of the amount due (the Odoo invoice stays the tax document;
        its lines are not re-computed by PayPal, so the totals cannot differ by a cent)."""
        currency = move.currency_id
        partner = move.partner_id
        recipient = {"name": {"business_name": partner.commercial_partner_id.name}}
        if partner.email:
            recipient["email_address"] = partner.email
        detail = {
            "invoice_number": move.name,
            "reference": move.name,
            "currency_code": currency.name,
            "invoice_date": fields.Date.to_string(move.invoice_date),
        }
        if move.invoice_date_due:
            detail["payment_term"] = {"due_date": fields.Date.to_string(move.invoice_date_due)}
        value = f"{currency.round(move.amount_residual):.{currency.decimal_places}f}"
        return {
            "detail": detail,
            "primary_recipients": [{"billing_info": recipient}],
            "items": [
                {
                    "name": _("Invoice %s", move.name),
                    "quantity": "1",
                    "unit_amount": {"currency_code": currency.name, "value": value},
                    "unit_of_measure": "AMOUNT",
                }
            ],
        }
