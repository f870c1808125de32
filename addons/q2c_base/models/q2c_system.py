import json
import logging
import secrets
import time
from datetime import timedelta

import requests

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from .. import crypto, outbound, signatures
from ..exceptions import PermanentError, RequestRejected, TransientError, VerificationFailed

_logger = logging.getLogger(__name__)

SYSTEM_TYPES = [
    ("salesforce", "Salesforce"),
    ("hubspot", "HubSpot"),
    ("stripe", "Stripe"),
    ("chargebee", "Chargebee"),
    ("paypal", "PayPal"),
    ("zendesk", "Zendesk"),
    ("freshdesk", "Freshdesk"),
    ("procore", "Procore"),
    ("harvest", "Harvest"),
    ("toggl", "Toggl"),
    ("clockify", "Clockify"),
    ("tempo", "Tempo"),
    ("generic", "Generic (signed JSON)"),
]
# Write-only secret fields and the encrypted column behind each.
SECRET_FIELDS = {
    "webhook_secret": "webhook_secret_enc",
    "api_token": "api_token_enc",
    "api_password": "api_password_enc",
}
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


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
    # Monitoring (not stored: computed on read with one aggregate query).
    backlog_count = fields.Integer(compute="_compute_kpis")
    failed_24h_count = fields.Integer("Failed/Dead (24 h)", compute="_compute_kpis")
    events_24h_count = fields.Integer("Events (24 h)", compute="_compute_kpis")
    failure_rate = fields.Float("Failure Rate (24 h, %)", compute="_compute_kpis")
    oldest_pending_minutes = fields.Float("Oldest Pending (min)", compute="_compute_kpis")
    latency_p50 = fields.Float("Latency p50 (s)", compute="_compute_kpis")
    latency_p95 = fields.Float("Latency p95 (s)", compute="_compute_kpis")

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

    # --- inbound hooks: connectors override the `_<hook>_<system_type>` variants -------------

    def _dispatch(self, hook, *args):
        method = getattr(self, f"{hook}_{self.system_type}", None)
        if method is None:
            return None
        return method(*args)

    def _accepted_content_types(self):
        """Media types the webhook accepts from this system (others get 415)."""
        return self._dispatch("_accepted_content_types") or ("application/json",)

    def _verify_request(self, body, headers):
        """Verify an inbound request on its raw bytes; raise VerificationFailed.

        Runs before the body is parsed. A type without a verifier fails closed. Connectors
        add `_verify_request_<system_type>(body, headers)`.
        """
        self.ensure_one()
        if not hasattr(self, f"_verify_request_{self.system_type}"):
            raise VerificationFailed("no verifier for this system type")
        self._dispatch("_verify_request", body, headers)

    def _verify_request_generic(self, body, headers):
        if not signatures.verify(headers.get("X-Q2C-Signature"), body, self._webhook_secrets()):
            raise VerificationFailed("signature mismatch")

    def _parse_events(self, body, headers):
        """Split a verified body into events: a list of dicts with `external_id`,
        `event_type` and `payload` (the event's own text). Raise RequestRejected (400)
        with a reason when the body is malformed. Connectors add
        `_parse_events_<system_type>(body, headers)`."""
        self.ensure_one()
        events = self._dispatch("_parse_events", body, headers)
        if events is None:
            raise RequestRejected(_("This system type does not accept webhooks."))
        return events

    def _parse_events_generic(self, body, headers):
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
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
        """Answer an accepted request: (status, content type, body). `results` lists
        (external_id, event or None when it was a repeat). Connectors override
        `_webhook_response_<system_type>` when the sender expects a given answer."""
        answer = self._dispatch("_webhook_response", results)
        if answer is not None:
            return answer
        body = {
            "status": "accepted",
            "events": [
                {"id": external_id, "duplicate": not event} for external_id, event in results
            ],
        }
        return 200, "application/json", json.dumps(body)

    # --- outbound calls ----------------------------------------------------------------------

    def _auth_headers(self):
        """Credentials for this system's API. Default: a bearer token when one is set.
        Connectors override `_auth_headers_<system_type>` for their scheme."""
        headers = self._dispatch("_auth_headers")
        if headers is not None:
            return headers
        token = self._get_secret("api_token") if self.sudo().api_token_enc else ""
        return {"Authorization": f"Bearer {token}"} if token else {}

    def _idempotency_header(self):
        """Header carrying an idempotency key, for APIs that support one (else None)."""
        return self._dispatch("_idempotency_header") or "Idempotency-Key"

    def _call(self, method, path, *, event=None, idempotency_key=None, raise_for_status=True,
              **kwargs):  # fmt: skip
        """Call this system's API; return the `requests.Response`.

        Timeouts are always set; HTTP 429/5xx (see `_classify_response`) and connection
        errors are tried `outbound_max_tries` times honouring Retry-After, then raised as
        TransientError (the job retries later). Other 4xx raise PermanentError unless
        `raise_for_status` is False. Every try is written to the outbound log, with the event
        and correlation id.
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
        log = {"method": method.upper(), "url": outbound.redact_url(url),
               "correlation_id": correlation_id, "event_id": event.id if event else False,
               "idempotency_key": idempotency_key}  # fmt: skip
        for attempt in range(1, tries + 1):
            self._respect_rate_limit()
            started = time.monotonic()
            try:
                response = session.request(
                    method, url, headers=headers,
                    timeout=(self.timeout_connect or 5.0, self.timeout_read or 30.0), **kwargs,
                )  # fmt: skip
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
                )
            time.sleep(wait if wait is not None else outbound.backoff(attempt))
        if raise_for_status and 400 <= status < 500:
            raise PermanentError(
                _(
                    "%(system)s refused %(method)s %(url)s: HTTP %(status)s %(body)s",
                    system=self.name,
                    method=log["method"],
                    url=log["url"],
                    status=status,
                    body=response.text[:300],
                ),
                status=status,
            )
        return response

    def _classify_response(self, response):
        """(transient, seconds to wait or None) for an answer of this system's API.

        Transient: HTTP 429 and 5xx, waiting what `Retry-After` says (else the back-off).
        Connectors whose API signals its limits otherwise add
        `_classify_response_<system_type>(response)`, returning None for the default."""
        answer = self._dispatch("_classify_response", response)
        if answer is not None:
            return answer
        status = response.status_code
        wait = outbound.parse_retry_after(response.headers.get("Retry-After"))
        return status == 429 or status >= 500, wait

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
        vals = {**log, "system_id": self.id, "attempt": attempt, "status_code": status,
                "error": error or False,
                "duration_ms": int((time.monotonic() - started) * 1000)}  # fmt: skip
        with self.env.registry.cursor() as cr:
            self.env(cr=cr, su=True)["q2c.outbound.log"].create(vals)

    def write(self, vals):
        result = super().write(vals)
        if {"base_url", "api_token", "api_password", "api_username"} & set(vals):
            for system in self:
                outbound.drop_session(self.env.cr.dbname, system.id)
        return result

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
                   count(*) FILTER (WHERE state = 'dead')
              FROM q2c_event {where}
             GROUP BY system_id
            """,
            params,
        )
        keys = ("backlog", "events_24h", "failed_24h", "oldest_pending_seconds",
                "latency_p50", "latency_p95", "dead")  # fmt: skip
        return {row[0]: dict(zip(keys, row[1:], strict=True)) for row in self.env.cr.fetchall()}

    def _compute_kpis(self):
        rows = self._kpi_rows([sid for sid in self.ids if isinstance(sid, int)])
        for system in self:
            row = rows.get(system.id, {})
            events = row.get("events_24h") or 0
            system.backlog_count = row.get("backlog") or 0
            system.events_24h_count = events
            system.failed_24h_count = row.get("failed_24h") or 0
            system.failure_rate = 100.0 * system.failed_24h_count / events if events else 0.0
            system.oldest_pending_minutes = (row.get("oldest_pending_seconds") or 0.0) / 60
            system.latency_p50 = row.get("latency_p50") or 0.0
            system.latency_p95 = row.get("latency_p95") or 0.0

    def action_open_events(self):
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id("q2c_base.action_q2c_event")
        action["domain"] = [("system_id", "=", self.id)]
        action["context"] = {"search_default_group_state": 1}
        return action

    @api.depends("system_type")
    def _compute_feature_support_fields(self):
        """Compute the capability flags (`supports_*`) of each system from its type, the way
        Odoo's payment providers do: the addon defining a flag sets its default after
        super(), a connector sets its own after that."""
