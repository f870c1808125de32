import json
import logging
import threading

from odoo import _, fields, models
from odoo.addons.q2c_base import outbound
from odoo.addons.q2c_base.exceptions import (
    PermanentError,
    RequestRejected,
    TransientError,
    VerificationFailed,
)

from .. import mapping, soap

_logger = logging.getLogger(__name__)

# Access tokens live in memory only: {(dbname, system id, base url): (token, instance url)}.
_TOKENS = {}
# Last `Sforce-Limit-Info` seen: {(dbname, system id): (used, limit)}.
_USAGE = {}
_LOCK = threading.Lock()
# Seconds before a job retries once the org's daily API allowance is exhausted.
DAILY_LIMIT_WAIT = 3600.0
REQUEST_LIMIT_EXCEEDED = "REQUEST_LIMIT_EXCEEDED"
# OAuth errors of the token endpoint that mean the connected app or its user was refused
# (Salesforce help: "OAuth 2.0 Client Credentials Flow", error codes).
OAUTH_CREDENTIAL_ERRORS = (
    "invalid_client_id",
    "invalid_client",
    "invalid_client_credentials",
    "invalid_grant",
    "inactive_user",
    "inactive_org",
    "unauthorized_client",
)


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    system_type = fields.Selection(
        selection_add=[("salesforce", "Salesforce")], ondelete={"salesforce": "set generic"}
    )
    salesforce_org_id = fields.Char(
        "Salesforce Organization ID",
        help="18-character id (15 accepted). Outbound messages of any other org are refused; "
        "none are accepted while it is empty.",
    )
    salesforce_api_version = fields.Char("REST API Version", default="v62.0")
    salesforce_billing_model_field = fields.Char(
        "Billing Model Field",
        default="Q2C_Billing_Model__c",
        help="Opportunity field holding the billing model (API name).",
    )
    salesforce_start_date_field = fields.Char(
        "Start Date Field",
        default="Q2C_Start_Date__c",
        help="Opportunity field holding the contract start; CloseDate when empty.",
    )
    salesforce_write_back_field = fields.Char(
        "Contract Reference Field",
        default="Q2C_Contract_Ref__c",
        help="Opportunity field (API name) receiving the Odoo contract reference.",
    )
    salesforce_multi_currency = fields.Boolean(
        "Multi-Currency Org",
        default=True,
        help="Read CurrencyIsoCode (only multi-currency orgs have it).",
    )
    salesforce_usage_ceiling = fields.Integer(
        "API Usage Ceiling (%)",
        default=90,
        help="Above this share of the org's daily API calls (Sforce-Limit-Info), calls wait "
        "and the events retry later, leaving room for other integrations.",
    )

    def _compute_feature_support_fields(self):
        result = super()._compute_feature_support_fields()
        self.filtered(lambda s: s.system_type == "salesforce").update(
            {
                "supports_webhook": True,
                "supports_test_connection": True,
                "supports_provisioning": True,
            }
        )
        return result

    # --- inbound (Outbound Messaging) ----------------------------------------------------

    def _accepted_content_types(self):
        if self.system_type != "salesforce":
            return super()._accepted_content_types()
        return ("text/xml", "application/soap+xml")

    def _verify_request(self, body, headers):
        """Salesforce does not sign: the URL key found this system, the organization id
        must be ours. A body that is not a well-formed message is left to the parser,
        which refuses it with 400 before anything is stored."""
        if self.system_type != "salesforce":
            return super()._verify_request(body, headers)
        if not self.salesforce_org_id:
            raise VerificationFailed("no organization id configured")
        try:
            message = soap.parse(body, self.max_body_bytes)
        except soap.MessageError:
            return
        if not soap.same_org(message["organization_id"], self.salesforce_org_id):
            raise VerificationFailed("organization id mismatch")

    def _parse_events(self, body, headers):
        """One event per notification; the payload keeps the message's org and action ids."""
        if self.system_type != "salesforce":
            return super()._parse_events(body, headers)
        try:
            message = soap.parse(body, self.max_body_bytes)
        except soap.MessageError as error:
            raise RequestRejected(str(error)) from error
        envelope = {
            "organization_id": message["organization_id"],
            "action_id": message["action_id"],
        }
        return [
            {
                "external_id": notification["id"],
                "event_type": notification["object"] or "unknown",
                "payload": json.dumps({**envelope, **notification}),
            }
            for notification in message["notifications"]
        ]

    def _webhook_response(self, results):
        """Salesforce resends a message until it reads a SOAP ack."""
        if self.system_type != "salesforce":
            return super()._webhook_response(results)
        # Reached only once every notification is stored (new or a repeat).
        return 200, "text/xml; charset=utf-8", soap.ack(True)

    # --- REST client ---------------------------------------------------------------------

    def _salesforce_token_key(self):
        """The key of the system's token in `_TOKENS`: a new API Base URL gets a new token.
        Named after the connector: a generic name on the shared q2c.system (PayPal's was
        `_token_key`) is replaced by whichever connector's addon loads last."""
        return (self.env.cr.dbname, self.id, self.base_url)

    def _auth_headers(self):
        """The OAuth access token held in memory (none for the token call itself)."""
        if self.system_type != "salesforce":
            return super()._auth_headers()
        if self.env.context.get("q2c_salesforce_token_call"):
            return {}
        token = _TOKENS.get(self._salesforce_token_key())
        return {"Authorization": f"Bearer {token[0]}"} if token else {}

    def _salesforce_token(self, event=None, refresh=False):
        """(access token, instance url), from the OAuth client-credentials flow of the
        connected app (API Username = consumer key, API Password = consumer secret)."""
        key = self._salesforce_token_key()
        if not refresh and key in _TOKENS:
            return _TOKENS[key]
        answer = (
            self.with_context(q2c_salesforce_token_call=True)
            ._call(
                "POST",
                "/services/oauth2/token",
                event=event,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.api_username or "",
                    "client_secret": self._get_secret("api_password"),
                },
            )
            .json()
        )
        if not answer.get("access_token"):
            raise PermanentError(_("Salesforce gave no access token."))
        token = (answer["access_token"], answer.get("instance_url") or self.base_url)
        with _LOCK:
            _TOKENS[key] = token
        return token

    def _salesforce_rest(self, path, event=None, params=None, method="GET", **kwargs):
        """Call a REST resource; refresh the token once on 401; honour Sforce-Limit-Info."""
        self._salesforce_check_usage()
        for refresh in (False, True):
            instance = self._salesforce_token(event, refresh=refresh)[1]
            response = self._call(
                method,
                f"{instance.rstrip('/')}{path}",
                event=event,
                params=params,
                raise_for_status=False,
                **kwargs,
            )
            self._salesforce_record_usage(response.headers.get("Sforce-Limit-Info"))
            if response.status_code != 401:
                break
        if response.status_code >= 400:
            raise self._refused(response, _("Salesforce refused %s", path))
        return response.json() if response.content else {}

    def _salesforce_errors(self, response):
        """The error list of a REST answer: [{"errorCode", "message"}, ...] (else [])."""
        errors = outbound.json_or_none(response)
        if not isinstance(errors, list):
            return []
        return [e for e in errors if isinstance(e, dict)]

    def _vendor_error_code(self, response):
        """The `errorCode` of a REST error answer (REQUEST_LIMIT_EXCEEDED,
        INVALID_SESSION_ID, ...); the OAuth token endpoint answers RFC 6749 errors."""
        if self.system_type != "salesforce":
            return super()._vendor_error_code(response)
        codes = [e["errorCode"] for e in self._salesforce_errors(response) if e.get("errorCode")]
        return codes[0] if codes else super()._vendor_error_code(response)

    def _classify_response(self, response):
        """Salesforce signals its limits with HTTP 403 and the error code
        REQUEST_LIMIT_EXCEEDED, never 429: transient, not a refusal (`_call` raises it with
        that `vendor_code`). The concurrent long-running request limit clears within
        seconds: tried again here with back-off. The org's daily total (`TotalRequests
        Limit exceeded.`) clears over hours: the job comes back in an hour."""
        if self.system_type != "salesforce" or response.status_code != 403:
            return super()._classify_response(response)
        limits = [
            e
            for e in self._salesforce_errors(response)
            if e.get("errorCode") == REQUEST_LIMIT_EXCEEDED
        ]
        if not limits:
            return super()._classify_response(response)
        # The answer is raised as a TransientError inside `_call`: read its usage here.
        self._salesforce_record_usage(response.headers.get("Sforce-Limit-Info"))
        # Which limit is named only in the vendor's (English, untranslated) message.
        daily = any("TotalRequests" in str(e.get("message") or "") for e in limits)
        if daily:
            # Spent for today, whatever the last header said: the next events wait without
            # calling (see `_salesforce_check_usage`).
            key = (self.env.cr.dbname, self.id)
            with _LOCK:
                used, limit = _USAGE.get(key, (0, 0))
                if limit:
                    _USAGE[key] = (max(used, limit), limit)
        return True, (DAILY_LIMIT_WAIT if daily else None)

    def _salesforce_record_usage(self, header):
        """`api-usage=10018/100000`: remember how much of the daily allowance is used."""
        for part in (header or "").split(","):
            name, _sep, value = part.strip().partition("=")
            if name == "api-usage" and "/" in value:
                used, _sep, limit = value.partition("/")
                if used.isdigit() and limit.isdigit():
                    with _LOCK:
                        _USAGE[(self.env.cr.dbname, self.id)] = (int(used), int(limit))

    def _salesforce_check_usage(self):
        used, limit = _USAGE.get((self.env.cr.dbname, self.id), (0, 0))
        ceiling = self.salesforce_usage_ceiling or 100
        if limit and used * 100 >= limit * ceiling:
            raise TransientError(
                _(
                    "Salesforce API usage at %(used)s of %(limit)s calls today; waiting.",
                    used=used,
                    limit=limit,
                ),
                retry_after=900,
            )

    def _salesforce_query(self, soql, event=None):
        """All records of a SOQL query, following nextRecordsUrl."""
        version = self.salesforce_api_version or "v62.0"
        answer = self._salesforce_rest(f"/services/data/{version}/query", event, {"q": soql})
        records = list(answer.get("records", []))
        while not answer.get("done", True) and answer.get("nextRecordsUrl"):
            answer = self._salesforce_rest(answer["nextRecordsUrl"], event)
            records += answer.get("records", [])
        return records

    def _salesforce_fetch_opportunity(self, opportunity_id, event=None):
        """The opportunity with its account, owner, lines and contact roles, as the query
        resource returns it, for `mapping.map_opportunity`."""
        if not mapping.is_salesforce_id(opportunity_id):
            raise PermanentError(_("Not a Salesforce id: %s", opportunity_id))
        extra = mapping.opportunity_fields(
            self.salesforce_billing_model_field,
            self.salesforce_start_date_field,
            self.salesforce_multi_currency,
        )
        soql = mapping.opportunity_soql(opportunity_id, extra)
        records = self._salesforce_query(soql, event)
        if not records:
            raise PermanentError(_("Opportunity %s not found in Salesforce.", opportunity_id))
        return records[0]

    def _crm_write_back(self, deal, contract, event):
        """PATCH of one field: writing the same reference twice changes nothing."""
        if self.system_type != "salesforce":
            return super()._crm_write_back(deal, contract, event)
        if not (self.crm_write_back and self.salesforce_write_back_field):
            return
        version = self.salesforce_api_version or "v62.0"
        self._salesforce_rest(
            f"/services/data/{version}/sobjects/Opportunity/{deal['id']}",
            event,
            method="PATCH",
            json={self.salesforce_write_back_field: contract.code},
        )

    # --- test connection -----------------------------------------------------------------

    def _credentials_label(self):
        if self.system_type != "salesforce":
            return super()._credentials_label()
        return _("the Consumer Key and Consumer Secret of the connected app")

    def _credentials_refused(self, error):
        """The token endpoint refuses the connected app with HTTP 400 and its own OAuth
        codes; a 403 REQUEST_LIMIT_EXCEEDED is a limit, not a refusal."""
        if self.system_type != "salesforce":
            return super()._credentials_refused(error)
        vendor_code = getattr(error, "vendor_code", None)
        if vendor_code == REQUEST_LIMIT_EXCEEDED:
            return False
        status = getattr(error, "status", None)
        return super()._credentials_refused(error) or (
            status == 400 and vendor_code in OAUTH_CREDENTIAL_ERRORS
        )

    def _test_connection(self):
        """A token, then the org's limits: checks the connected app and the REST API."""
        if self.system_type != "salesforce":
            return super()._test_connection()
        version = self.salesforce_api_version or "v62.0"
        self._salesforce_rest(f"/services/data/{version}/limits")
