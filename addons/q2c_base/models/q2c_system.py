import json
import logging
import secrets
import time
from datetime import timedelta

import requests

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .. import crypto, outbound, signatures
from ..exceptions import (
    PermanentError,
    Q2cError,
    RequestRejected,
    TransientError,
    VerificationFailed,
)

_logger = logging.getLogger(__name__)

# Only the generic type lives here: each connector addon adds its own with `selection_add`
# (and `ondelete={"<type>": "set generic"}`), see docs/connectors.md.
SYSTEM_TYPES = [("generic", "Generic (signed JSON)")]
# Write-only secret fields and the encrypted column behind each.
SECRET_FIELDS = {
    "webhook_secret": "webhook_secret_enc",
    "api_token": "api_token_enc",
    "api_password": "api_password_enc",
}
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
# The dashboard calls a system troubled when an event waits longer than this.
PENDING_ALERT_SECONDS = 15 * 60
PENDING_STATES = ("received", "queued", "failed")
# OAuth 2.0 token endpoint errors (RFC 6749 5.2) that mean the credentials were refused.
OAUTH_CREDENTIAL_ERRORS = ("invalid_client", "invalid_grant", "unauthorized_client")


def _trouble_rank(dead, failed, oldest_pending_seconds):
    """3 dead events, 2 failed events, 1 an event pending too long, 0 nothing to do (the
    same rule as the SQL in `Q2cSystem._field_to_sql`)."""
    if dead:
        return 3
    if failed:
        return 2
    return 1 if oldest_pending_seconds > PENDING_ALERT_SECONDS else 0


def _age(seconds):
    """A duration as a person reads it: `45 s`, `12 min`, `3 h 05 min`, `2 days`."""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"{seconds // 86400} days"


class Q2cSystem(models.Model):
    _name = "q2c.system"
    _description = "Connected System"
    _inherit = ["mail.thread"]
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    system_type = fields.Selection(SYSTEM_TYPES, required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, tracking=True
    )
    user_id = fields.Many2one(
        "res.users",
        string="Integration User",
        required=True,
        tracking=True,
        check_company=True,
        domain=lambda self: [
            ("groups_id", "in", self.env.ref("q2c_base.group_integration_user").ids)
        ],
        help="The technical user this system acts as: inbound events are processed with its "
        "rights, never as superuser.",
    )
    inbound_key = fields.Char(
        copy=False,
        readonly=True,
        default=lambda self: self._generate_inbound_key(),
        groups="q2c_base.group_integration_manager,q2c_base.group_auditor",
        help="Random, URL-safe part of the webhook URL. Regenerate it if the URL leaked.",
    )
    webhook_url = fields.Char(
        "Webhook URL",
        compute="_compute_webhook_url",
        groups="q2c_base.group_integration_manager,q2c_base.group_auditor",
    )
    max_body_bytes = fields.Integer(
        "Max. Request Size (bytes)",
        default=DEFAULT_MAX_BODY_BYTES,
        help="Inbound requests with a larger body are refused with HTTP 413.",
    )
    # Secrets: write-only fields; the database holds only their encrypted form.
    webhook_secret = fields.Char(
        "Signing Secret",
        compute="_compute_secret_inputs",
        inverse="_inverse_webhook_secret",
        help="Write-only. Setting a new secret keeps the previous one valid for the grace period.",
    )
    webhook_secret_enc = fields.Char(copy=False, groups="base.group_system")
    webhook_secret_previous_enc = fields.Char(copy=False, groups="base.group_system")
    webhook_secret_previous_until = fields.Datetime(
        "Previous Secret Valid Until", copy=False, readonly=True
    )
    webhook_secret_set = fields.Boolean(compute="_compute_secret_set")
    secret_grace_hours = fields.Integer(
        "Rotation Grace (hours)",
        default=24,
        help="How long the previous signing secret stays valid after a new one is set.",
    )
    # Outbound: the system's API.
    base_url = fields.Char("API Base URL", tracking=True)
    api_username = fields.Char("API Username", tracking=True)
    api_token = fields.Char(
        "API Token", compute="_compute_secret_inputs", inverse="_inverse_api_token"
    )
    api_token_enc = fields.Char(copy=False, groups="base.group_system")
    api_token_set = fields.Boolean(compute="_compute_secret_set")
    api_password = fields.Char(
        "API Password", compute="_compute_secret_inputs", inverse="_inverse_api_password"
    )
    api_password_enc = fields.Char(copy=False, groups="base.group_system")
    api_password_set = fields.Boolean(compute="_compute_secret_set")
    timeout_connect = fields.Float("Connect Timeout (s)", default=5.0)
    timeout_read = fields.Float("Read Timeout (s)", default=30.0)
    outbound_max_tries = fields.Integer(
        "Tries per Call",
        default=3,
        help="Tries of one outbound call on HTTP 429/5xx or a connection error before the job "
        "is retried later.",
    )
    rate_limit_per_minute = fields.Integer(
        "Rate Limit (calls/minute)", default=0, help="0 means no limit on q2c's side."
    )
    # Processing.
    job_channel = fields.Char(
        compute="_compute_job_channel",
        help="queue_job channel of this system's jobs; give it a capacity in the server's "
        "[queue_job] channels setting, otherwise it shares the capacity of root.q2c.",
    )
    event_max_retries = fields.Integer(
        "Max. Tries per Event",
        default=5,
        help="Tries of one event on transient errors before it is marked dead.",
    )
    event_ids = fields.One2many("q2c.event", "system_id", string="Events")
    # Capabilities: computed from the type (see `_compute_feature_support_fields`).
    supports_webhook = fields.Boolean(
        compute="_compute_feature_support_fields",
        help="The system sends events to the webhook URL (the Inbound settings apply).",
    )
    supports_test_connection = fields.Boolean(
        compute="_compute_feature_support_fields",
        help="The connector can check its credentials with a cheap call (Test Connection).",
    )
    # Monitoring (not stored: computed on read with one aggregate query).
    backlog_count = fields.Integer(compute="_compute_kpis")
    failed_24h_count = fields.Integer("Failed/Dead (24 h)", compute="_compute_kpis")
    events_24h_count = fields.Integer("Events (24 h)", compute="_compute_kpis")
    failure_rate = fields.Float("Failure Rate (24 h, %)", compute="_compute_kpis")
    oldest_pending_minutes = fields.Float("Oldest Pending (min)", compute="_compute_kpis")
    latency_p50 = fields.Float("Latency p50 (s)", compute="_compute_kpis")
    latency_p95 = fields.Float("Latency p95 (s)", compute="_compute_kpis")
    # The dashboard: what needs attention, per system.
    dead_count = fields.Integer("Dead", compute="_compute_kpis")
    failed_count = fields.Integer("Failed", compute="_compute_kpis")
    oldest_pending_age = fields.Char("Oldest Pending", compute="_compute_kpis")
    last_error_summary = fields.Char("Last Error", compute="_compute_kpis")
    last_received_at = fields.Datetime("Last Received", compute="_compute_kpis")
    trouble_rank = fields.Integer(
        compute="_compute_kpis",
        help="How much this system needs attention: 3 dead events, 2 failed events, 1 an "
        "event pending longer than the alert threshold, 0 nothing. The dashboard is ordered "
        "by it (computed in SQL when ordering, see `_field_to_sql`).",
    )

    _sql_constraints = [
        ("inbound_key_uniq", "unique(inbound_key)", "The inbound key must be unique."),
        (
            "max_body_positive",
            "CHECK(max_body_bytes > 0)",
            "The maximum request size must be positive.",
        ),
    ]

    @api.model
    def _generate_inbound_key(self):
        return secrets.token_urlsafe(24)

    @api.depends("inbound_key", "system_type")
    def _compute_webhook_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for system in self:
            system.webhook_url = (
                f"{base}/q2c/webhook/{system.system_type}/{system.inbound_key}"
                if system.inbound_key and system.system_type
                else False
            )

    def _compute_secret_inputs(self):
        # Write-only: a stored secret is never read back into the form.
        for system in self:
            system.webhook_secret = system.api_token = system.api_password = False

    def _compute_secret_set(self):
        for system, stored in zip(self, self.sudo(), strict=True):
            system.webhook_secret_set = bool(stored.webhook_secret_enc)
            system.api_token_set = bool(stored.api_token_enc)
            system.api_password_set = bool(stored.api_password_enc)

    def _inverse_webhook_secret(self):
        for system in self.filtered("webhook_secret"):
            system._set_webhook_secret(system.webhook_secret)

    def _inverse_api_token(self):
        for system in self.filtered("api_token"):
            system._set_secret("api_token", system.api_token)

    def _inverse_api_password(self):
        for system in self.filtered("api_password"):
            system._set_secret("api_password", system.api_password)

    @api.depends("system_type")
    def _compute_job_channel(self):
        for system in self:
            system.job_channel = f"root.q2c.{system.system_type}_{system.id or 'new'}"

    @api.constrains("user_id", "company_id")
    def _check_user_company(self):
        for system in self:
            if system.company_id not in system.user_id.company_ids:
                raise ValidationError(
                    _(
                        "The integration user %(user)s has no access to company %(company)s.",
                        user=system.user_id.name,
                        company=system.company_id.name,
                    )
                )

    # --- secrets -----------------------------------------------------------------------------

    def _encrypt_or_raise(self, plaintext):
        try:
            return crypto.encrypt(plaintext)
        except crypto.SecretKeyMissing as error:
            raise UserError(str(error)) from error

    def _set_secret(self, field_name, plaintext):
        self.ensure_one()
        self.sudo().write({SECRET_FIELDS[field_name]: self._encrypt_or_raise(plaintext)})
        label = self._fields[field_name].string
        self.message_post(body=_("%(secret)s changed.", secret=label))

    def _set_webhook_secret(self, plaintext):
        """Store a new signing secret, keeping the current one valid for the grace period."""
        self.ensure_one()
        stored = self.sudo()
        vals = {"webhook_secret_enc": self._encrypt_or_raise(plaintext)}
        body = _("Signing secret set.")
        if stored.webhook_secret_enc:
            until = fields.Datetime.now() + timedelta(hours=max(self.secret_grace_hours, 0))
            vals.update(
                webhook_secret_previous_enc=stored.webhook_secret_enc,
                webhook_secret_previous_until=until,
            )
            body = _(
                "Signing secret rotated; the previous one stays valid until %(until)s (UTC).",
                until=fields.Datetime.to_string(until),
            )
        stored.write(vals)
        self.message_post(body=body)

    def _get_secret(self, field_name):
        """Return the plaintext of a secret for use in a call; raise UserError if unusable."""
        self.ensure_one()
        try:
            return crypto.decrypt(self.sudo()[SECRET_FIELDS[field_name]])
        except (crypto.SecretKeyMissing, crypto.SecretUndecryptable) as error:
            raise UserError(str(error)) from error

    def _webhook_secrets(self):
        """Plaintext signing secrets valid now: the current one and, during the grace
        period, the previous one. Raises crypto errors (the controller fails closed)."""
        self.ensure_one()
        stored = self.sudo()
        valid = [crypto.decrypt(stored.webhook_secret_enc)]
        until = stored.webhook_secret_previous_until
        if stored.webhook_secret_previous_enc and until and until > fields.Datetime.now():
            valid.append(crypto.decrypt(stored.webhook_secret_previous_enc))
        return [secret for secret in valid if secret]

    def action_regenerate_inbound_key(self):
        for system in self:
            system.sudo().inbound_key = self._generate_inbound_key()
            system.message_post(
                body=_("Inbound key regenerated: the previous webhook URL no longer works.")
            )
        # A value for RPC callers: XML-RPC cannot marshal None (issue 12).
        return True

    # --- capabilities ------------------------------------------------------------------------

    @api.depends("system_type")
    def _compute_feature_support_fields(self):
        """Set the capability flags of each system from its type.

        Every `supports_*` field shares this compute (as payment.provider does): the addon
        that defines a flag sets its default after super(), a connector sets the flags of
        its own type after super(). The views show sections by these flags, never by type.
        """
        self.update({"supports_webhook": False, "supports_test_connection": False})
        self.filtered(lambda s: s.system_type == "generic").supports_webhook = True

    # --- inbound hooks: a connector overrides them for its own system_type -------------------
    # Pattern (as Odoo's payment providers do):
    #     def _verify_request(self, body, headers):
    #         if self.system_type != "x":
    #             return super()._verify_request(body, headers)
    #         ...

    def _accepted_content_types(self):
        """Media types the webhook accepts from this system; a request of any other type is
        answered 415 before its body is read.

        Called by the webhook controller once the URL's key found the system.
        Returns a tuple of media types without parameters. Default: JSON only.
        """
        return ("application/json",)

    def _verify_request(self, body, headers):
        """Verify an inbound request on its raw bytes, before anything is parsed or stored.

        Called by the webhook controller with the body (bytes, already bounded by
        `max_body_bytes`) and the request headers. Returns nothing when the request is
        authentic. Raises VerificationFailed (answered 401, no detail) otherwise; the crypto
        errors of an unusable secret are answered 401 too. The generic type checks the
        `X-Q2C-Signature` HMAC; a type whose addon does not override this fails closed.
        """
        self.ensure_one()
        if self.system_type != "generic":
            raise VerificationFailed("no verifier for this system type")
        if not signatures.verify(headers.get("X-Q2C-Signature"), body, self._webhook_secrets()):
            raise VerificationFailed("signature mismatch")

    def _parse_events(self, body, headers):
        """Split a verified body into the events to store.

        Called by the webhook controller after `_verify_request`, with the same body and
        headers. Returns a list of dicts with `external_id` (a string, unique per system: a
        repeat is acknowledged and stored once; a number is stored as its text),
        `event_type` (a string, what `q2c.event._get_handler` reads) and `payload` (the
        event's own text or bytes, kept for processing and replay; a dict is stored as its
        JSON). Raises RequestRejected (400 with its reason) when the body is malformed;
        nothing is stored then. A type that does not override this refuses every body.
        """
        self.ensure_one()
        if self.system_type != "generic":
            raise RequestRejected(
                _(
                    "The %(type)s connector has no event parser (q2c.system._parse_events).",
                    type=self.system_type,
                )
            )
        try:
            data = json.loads(body)
        # RecursionError: nesting deeper than Python's parser goes.
        except (ValueError, UnicodeDecodeError, RecursionError) as error:
            raise RequestRejected(_("The body is not valid JSON: %s", error)) from error
        if not isinstance(data, dict):
            raise RequestRejected(_("The body must be a JSON object."))
        event_id = data.get("id")
        if not isinstance(event_id, str | int) or isinstance(event_id, bool) or event_id == "":
            raise RequestRejected(_("The event has no 'id' (a non-empty string or number)."))
        event_type = data.get("type") or "generic"
        if not isinstance(event_type, str):
            raise RequestRejected(_("The event 'type' must be a string."))
        return [{"external_id": str(event_id), "event_type": event_type, "payload": body}]

    def _webhook_response(self, results):
        """The answer to an accepted request, once its events are stored and queued.

        Called by the webhook controller with `results`: [(external_id, event)] in the
        order parsed, the event None when it was a repeat. Returns (HTTP status, content
        type, body text). Default: 200 with a JSON list of the ids and whether each was a
        repeat. Override it when the sender expects a given answer (a SOAP ack).
        """
        body = {
            "status": "accepted",
            "events": [
                {"id": external_id, "duplicate": not event} for external_id, event in results
            ],
        }
        return 200, "application/json", json.dumps(body)

    # --- outbound hooks ----------------------------------------------------------------------

    def _auth_headers(self):
        """Credentials for one call of this system's API.

        Called by `_call` before every try (a refreshed token is picked up). Returns a
        dict of headers, merged over the caller's. Default: `Authorization: Bearer <API
        Token>` when a token is set, else nothing. Raises UserError when a stored secret
        cannot be decrypted.
        """
        token = self._get_secret("api_token") if self.sudo().api_token_enc else ""
        return {"Authorization": f"Bearer {token}"} if token else {}

    def _idempotency_header(self):
        """Name of the header carrying `_call`'s `idempotency_key`.

        Called by `_call` when the caller passes an idempotency key. Returns a header
        name. Default: `Idempotency-Key`.
        """
        return "Idempotency-Key"

    def _classify_response(self, response):
        """Whether an answer of this system's API is worth trying again.

        Called by `_call` after every answer, with the `requests.Response`. Returns
        (transient, seconds to wait or None for the back-off). Default: HTTP 429 and 5xx
        are transient, waiting what `Retry-After` says. Override it when the API signals
        its limits otherwise (Salesforce: 403 REQUEST_LIMIT_EXCEEDED).
        """
        status = response.status_code
        wait = outbound.parse_retry_after(response.headers.get("Retry-After"))
        return status == 429 or status >= 500, wait

    def _vendor_error_code(self, response):
        """The vendor's own error code in an error answer, or None.

        Called by `_call` for every answer it raises on (HTTP 4xx, or transient), and by
        connectors raising on answers they read themselves; the code becomes the
        `vendor_code` of the TransientError / PermanentError, which callers read instead of
        the message. Default: the `error` string of an OAuth 2.0 error answer (RFC 6749
        5.2: `invalid_client`, `invalid_grant`, ...). Never raises on a body it cannot read.
        """
        data = outbound.json_or_none(response)
        code = data.get("error") if isinstance(data, dict) else None
        return code if isinstance(code, str) else None

    def _call(
        self, method, path, *, event=None, idempotency_key=None, raise_for_status=True, **kwargs
    ):
        """Call this system's API; return the `requests.Response`.

        Timeouts are always set; HTTP 429/5xx (see `_classify_response`) and connection
        errors are tried `outbound_max_tries` times honouring Retry-After, then raised as
        TransientError (the job retries later; `status` None and the connection error as
        `__cause__` when there was no answer). Other 4xx raise PermanentError with `status`
        and `vendor_code` unless `raise_for_status` is False. Every try is written to the
        outbound log, with the event and correlation id.
        """
        self.ensure_one()
        url = path if "://" in path else f"{(self.base_url or '').rstrip('/')}/{path.lstrip('/')}"
        correlation_id = (event and event.correlation_id) or self.env.context.get(
            "q2c_correlation_id"
        )
        headers = {**kwargs.pop("headers", {}), **self._auth_headers()}
        if correlation_id:
            headers.setdefault("X-Correlation-Id", correlation_id)
        if idempotency_key:
            headers[self._idempotency_header()] = idempotency_key
        session = outbound.session_for(self.env.cr.dbname, self.id)
        tries = max(self.outbound_max_tries, 1)
        timeout = (self.timeout_connect or 5.0, self.timeout_read or 30.0)
        log = {
            "method": method.upper(),
            "url": outbound.redact_url(url),
            "correlation_id": correlation_id,
            "event_id": event.id if event else False,
            "idempotency_key": idempotency_key,
        }
        for attempt in range(1, tries + 1):
            self._respect_rate_limit()
            started = time.monotonic()
            try:
                response = session.request(method, url, headers=headers, timeout=timeout, **kwargs)
            except (requests.Timeout, requests.ConnectionError) as error:
                self._log_call(log, attempt, started, 0, type(error).__name__)
                if attempt == tries:
                    raise TransientError(
                        _("%(system)s unreachable: %(error)s", system=self.name, error=error)
                    ) from error
                time.sleep(outbound.backoff(attempt))
                continue
            status = response.status_code
            transient, wait = self._classify_response(response)
            self._log_call(
                log, attempt, started, status, f"HTTP {status}" if status >= 400 else ""
            )
            if not transient:
                break
            if attempt == tries or (wait or 0) > outbound.INLINE_WAIT_MAX:
                raise TransientError(
                    _("%(system)s answered HTTP %(status)s", system=self.name, status=status),
                    retry_after=wait,
                    status=status,
                    vendor_code=self._vendor_error_code(response),
                )
            time.sleep(wait if wait is not None else outbound.backoff(attempt))
        if raise_for_status and 400 <= status < 500:
            what = _(
                "%(system)s refused %(method)s %(url)s",
                system=self.name,
                method=log["method"],
                url=log["url"],
            )
            raise self._refused(response, what)
        return response

    def _refused(self, response, what):
        """The PermanentError for an answer that refuses a call: `what` (a translated
        phrase), the HTTP status and the start of the body, with `status` and the vendor's
        error code (`_vendor_error_code`). Returned for the caller to raise."""
        return PermanentError(
            _(
                "%(what)s: HTTP %(status)s %(body)s",
                what=what,
                status=response.status_code,
                body=response.text[:300],
            ),
            status=response.status_code,
            vendor_code=self._vendor_error_code(response),
        )

    def _respect_rate_limit(self):
        wait = outbound.rate_limit_wait(self.env.cr.dbname, self.id, self.rate_limit_per_minute)
        if wait > outbound.INLINE_WAIT_MAX:
            raise TransientError(_("Rate limit of %s reached", self.name), retry_after=wait)
        if wait:
            time.sleep(wait)
            self._respect_rate_limit()

    def _log_call(self, log, attempt, started, status, error):
        """Write one outbound log line in its own transaction: a call that failed is kept
        even when the job's transaction is rolled back for a retry."""
        vals = {
            **log,
            "system_id": self.id,
            "attempt": attempt,
            "status_code": status,
            "error": error or False,
            "duration_ms": int((time.monotonic() - started) * 1000),
        }
        with self.env.registry.cursor() as cr:
            self.env(cr=cr, su=True)["q2c.outbound.log"].create(vals)

    def write(self, vals):
        result = super().write(vals)
        if {"base_url", "api_token", "api_password", "api_username"} & set(vals):
            for system in self:
                outbound.drop_session(self.env.cr.dbname, system.id)
        return result

    # --- test connection ---------------------------------------------------------------------

    def _check_setup(self):
        """Check what must be set in Odoo before the system can work.

        Called by `action_test_connection` before `_test_connection`. Returns nothing.
        Raises a Q2cError whose reason tells a person what to fix (shown as is). Default:
        nothing to check; addons extend it with super().
        """

    def _test_connection(self):
        """Make one cheap, read-only call of the system's API with the stored credentials.

        Called by `action_test_connection` (Test Connection button, shown when
        `supports_test_connection`). Returns nothing on success. Raises what `_call`
        raises (TransientError, PermanentError with `status` and `vendor_code`); the
        button turns it into a sentence (`_test_connection_failure`). A type that does not
        override this has no test.
        """
        raise UserError(_("%s has no connection test.", self.name))

    def _credentials_label(self):
        """How the connector's form names its credentials, for the hint shown when the
        test's call is refused (`_test_connection_failure`). Returns a translated phrase."""
        return _("the API credentials")

    def _credentials_refused(self, error):
        """Whether `error` (a Q2cError raised by `_test_connection`) means the system
        refused the credentials. Returns a bool, read from `status` and `vendor_code`:
        HTTP 401 and 403, and an OAuth 2.0 token endpoint's 400 answers naming the client
        or grant (RFC 6749 5.2)."""
        status = getattr(error, "status", None)
        vendor_code = getattr(error, "vendor_code", None)
        return status in (401, 403) or (status == 400 and vendor_code in OAUTH_CREDENTIAL_ERRORS)

    def action_test_connection(self):
        """Check the set-up, then call a cheap read of the system's API with the stored
        credentials; a failure is raised as a UserError saying what to check."""
        self.ensure_one()
        try:
            self._check_setup()
            self._test_connection()
        except Q2cError as error:
            raise UserError(self._test_connection_failure(error)) from error
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.name,
                "message": _("Connection works."),
                "type": "success",
                "sticky": False,
            },
        }

    def _test_connection_failure(self, error):
        """What a person reads when the test fails: what happened, and what to check.

        Read from the error's type and attributes (`status`, `vendor_code`, `__cause__`),
        never from its message."""
        if isinstance(error, TransientError) and error.status is None and error.__cause__:
            return _(
                "%(system)s: cannot reach %(url)s (%(cause)s). Check the API Base URL and that "
                "this server may open connections to it.",
                system=self.name,
                url=self.base_url or _("the default API address"),
                cause=outbound.connection_failure_cause(error.__cause__),
            )
        reason = getattr(error, "reason", None) or str(error)
        status = getattr(error, "status", None)
        if status is None:
            return reason  # a set-up problem, written for a person
        if self._credentials_refused(error):
            hint = _("The credentials were refused: check %s.", self._credentials_label())
        elif status == 404:
            hint = _("Nothing at that address: check the API Base URL.")
        else:
            hint = ""
        return f"{reason}\n{hint}" if hint else reason

    # --- monitoring --------------------------------------------------------------------------

    @api.model
    def _kpi_rows(self, system_ids=None):
        """Per-system inbox figures in one aggregate query: {system_id: {...}}."""
        where, params = "", []
        if system_ids is not None:
            if not system_ids:
                return {}
            where, params = "WHERE system_id IN %s", [tuple(system_ids)]
        self.env.flush_all()
        self.env.cr.execute(
            f"""
            SELECT system_id,
                   count(*) FILTER (WHERE state IN ('received', 'queued', 'failed')),
                   count(*) FILTER (WHERE received_at
                                    > now() at time zone 'utc' - interval '1 day'),
                   count(*) FILTER (WHERE state IN ('failed', 'dead')
                                    AND received_at > now() at time zone 'utc' - interval '1 day'),
                   extract(epoch FROM now() at time zone 'utc' - min(received_at)
                           FILTER (WHERE state IN ('received', 'queued', 'failed'))),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_seconds)
                       FILTER (WHERE state = 'done' AND processed_at
                               > now() at time zone 'utc' - interval '1 day'),
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_seconds)
                       FILTER (WHERE state = 'done' AND processed_at
                               > now() at time zone 'utc' - interval '1 day'),
                   count(*) FILTER (WHERE state = 'dead'),
                   count(*) FILTER (WHERE state = 'failed'),
                   max(received_at)
              FROM q2c_event {where}
             GROUP BY system_id
            """,
            params,
        )
        keys = (
            "backlog",
            "events_24h",
            "failed_24h",
            "oldest_pending_seconds",
            "latency_p50",
            "latency_p95",
            "dead",
            "failed",
            "last_received_at",
        )
        return {row[0]: dict(zip(keys, row[1:], strict=True)) for row in self.env.cr.fetchall()}

    @api.model
    def _last_error_summaries(self, system_ids):
        """{system_id: the sentence of its latest failed or dead event} (the technical text
        when an event has no sentence, e.g. one that failed before sentences existed)."""
        if not system_ids:
            return {}
        self.env.cr.execute(
            """
            SELECT DISTINCT ON (system_id) system_id, coalesce(error_summary, error)
              FROM q2c_event
             WHERE system_id IN %s AND state IN ('failed', 'dead')
             ORDER BY system_id, write_date DESC, id DESC
            """,
            [tuple(system_ids)],
        )
        return dict(self.env.cr.fetchall())

    def _compute_kpis(self):
        ids = [sid for sid in self.ids if isinstance(sid, int)]
        rows = self._kpi_rows(ids)
        last_errors = self._last_error_summaries(ids)
        for system in self:
            row = rows.get(system.id, {})
            pending_seconds = row.get("oldest_pending_seconds") or 0.0
            system.dead_count = row.get("dead") or 0
            system.failed_count = row.get("failed") or 0
            system.oldest_pending_age = _age(pending_seconds) if row.get("backlog") else False
            system.last_error_summary = last_errors.get(system.id) or False
            system.last_received_at = row.get("last_received_at") or False
            system.trouble_rank = _trouble_rank(
                system.dead_count, system.failed_count, pending_seconds
            )
            events = row.get("events_24h") or 0
            system.backlog_count = row.get("backlog") or 0
            system.events_24h_count = events
            system.failed_24h_count = row.get("failed_24h") or 0
            system.failure_rate = 100.0 * system.failed_24h_count / events if events else 0.0
            system.oldest_pending_minutes = (row.get("oldest_pending_seconds") or 0.0) / 60
            system.latency_p50 = row.get("latency_p50") or 0.0
            system.latency_p95 = row.get("latency_p95") or 0.0

    def _field_to_sql(self, alias, fname, query=None, flush=True):
        """`trouble_rank` is computed on read; ordering by it (the dashboard) uses the same
        rule in SQL, so the systems that need attention come first."""
        if fname != "trouble_rank":
            return super()._field_to_sql(alias, fname, query, flush)
        return SQL(
            """(SELECT CASE WHEN count(*) FILTER (WHERE e.state = 'dead') > 0 THEN 3
                          WHEN count(*) FILTER (WHERE e.state = 'failed') > 0 THEN 2
                          WHEN min(e.received_at) FILTER (WHERE e.state IN %s)
                               < now() at time zone 'utc' - make_interval(secs => %s) THEN 1
                          ELSE 0 END
                  FROM q2c_event e WHERE e.system_id = %s)""",
            PENDING_STATES,
            PENDING_ALERT_SECONDS,
            SQL.identifier(alias, "id"),
        )

    def action_open_events(self):
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id("q2c_base.action_q2c_event")
        action["domain"] = [("system_id", "=", self.id)]
        action["context"] = {"search_default_group_state": 1}
        return action
