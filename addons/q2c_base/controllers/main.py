"""HTTP concerns only: find the system, verify, parse, store, answer. No business logic."""

import json
import logging

from odoo import fields, http
from odoo.addons.queue_job.jobrunner.runner import PG_ADVISORY_LOCK_ID
from odoo.http import request

from .. import crypto, http_contract, inputs, public_url
from ..exceptions import RequestRejected, VerificationFailed

_logger = logging.getLogger(__name__)

# The detail of each refusal; a 401 says nothing more (which check failed helps an attacker).
MESSAGES = {
    404: "unknown webhook",
    401: None,
    413: "request body too large",
    415: "unsupported content type",
}


# Seconds a sender is asked to wait while the database is unreachable: a PostgreSQL restart
# takes about a second, a fail-over some more; senders back off further on their own.
RETRY_AFTER_SECONDS = 10


def json_response(status, body):
    return request.make_json_response(body, status=status)


def reject(status, reason=None):
    """An error answer of the q2c HTTP contract (q2c_base/http_contract.py)."""
    return http_contract.error_response(status, reason or MESSAGES.get(status))


def read_body(limit):
    """The raw body, or None when it is larger than `limit` bytes.

    The declared length is checked before anything is read; a body without one (chunked)
    is checked once read, werkzeug having bounded it to what the server accepted.
    """
    length = request.httprequest.content_length
    if length is not None and length > limit:
        return None
    # Cached: when Odoo retries the request after a serialization failure (a concurrent copy
    # of the same event), the retry must verify the same bytes.
    body = request.httprequest.get_data(cache=True)
    return None if len(body) > limit else body


def received_base_url():
    """The scheme and host this request arrived at, normalized (`public_url.normalize`), or
    None for a Host header that is no host.

    Behind a proxy, Odoo itself rewrites the request from X-Forwarded-Host and
    X-Forwarded-Proto (werkzeug's ProxyFix, in odoo/http.py) when it runs with `proxy_mode`
    and X-Forwarded-Host is present; otherwise those headers are ignored here as they are
    by Odoo, and the address is the one the proxy called.
    """
    httprequest = request.httprequest
    return public_url.normalize(f"{httprequest.scheme}://{httprequest.host}")


def job_runner_alive(cr):
    """queue_job's runner holds a PostgreSQL advisory lock on each database it serves."""
    cr.execute(
        """
        SELECT EXISTS (
            SELECT 1 FROM pg_locks
             WHERE locktype = 'advisory' AND granted
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND ((classid::bigint << 32) | objid::bigint) = %s)
        """,
        (PG_ADVISORY_LOCK_ID,),
    )
    return cr.fetchone()[0]


class Q2cWebhookController(http.Controller):
    @http.route(
        "/q2c/webhook/<string:system_type>/<string:key>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def webhook(self, system_type, key, **_params):
        """Receive one delivery. The key in the URL finds the system; everything after
        that is decided by the system's hooks (see q2c.system)."""
        system = self._find_system(system_type, key)
        if not system:
            return reject(404)
        system._note_delivery_base_url(received_base_url())
        accepted = system._accepted_content_types()
        if not http_contract.accepts_media_type(accepted):
            return reject(415, f"send {' or '.join(accepted)}")
        body = read_body(system.max_body_bytes)
        if body is None:
            return reject(413)
        headers = request.httprequest.headers
        try:
            system._verify_request(body, headers)
        except VerificationFailed as error:
            _logger.warning(
                "q2c: refused a delivery for system %s from %s: %s",
                system.id,
                request.httprequest.remote_addr,
                error,
            )
            return reject(401)
        except (crypto.SecretKeyMissing, crypto.SecretUndecryptable) as error:
            _logger.warning("q2c: cannot verify deliveries for system %s: %s", system.id, error)
            return reject(401)
        return self._accept(system, body, headers)

    @staticmethod
    def _find_system(system_type, key):
        """The active system of this type and key that receives webhooks, or an empty
        recordset. A type or key that cannot be one (too long, not a URL-safe token, a NUL
        byte) is not looked up."""
        systems = request.env["q2c.system"].sudo()
        if not (inputs.token(system_type, 64) and inputs.token(key)):
            return systems
        domain = [
            ("system_type", "=", system_type),
            ("inbound_key", "=", key),
            ("active", "=", True),
            # Without an integration user nothing could process the events: not set up yet.
            ("user_id", "!=", False),
        ]
        system = systems.search(domain, limit=1)
        # A system whose connector receives no webhooks has no webhook URL either.
        return system if system.supports_webhook else systems

    def _accept(self, system, body, headers):
        correlation_id = headers.get("X-Correlation-Id")
        if correlation_id is not None and inputs.printable_ascii(correlation_id, 128) is None:
            return reject(400, "X-Correlation-Id is printable ASCII, at most 128 characters")
        try:
            parsed = system._parse_events(body, headers)
            self._check_parsed(parsed)
        except RequestRejected as error:
            return reject(error.status, error.reason)
        if not parsed and not system._acknowledges_unhandled():
            return reject(400, "the request carries no event")
        # Storing the raw event is technical intake, not a business write; processing runs
        # later as the system's integration user.
        events = request.env["q2c.event"].sudo()
        results = events._store_inbound(system, parsed, headers, correlation_id=correlation_id)
        events.browse([event.id for _id, event in results if event])._enqueue()
        status, content_type, answer = system._webhook_response(results)
        return request.make_response(
            answer, headers=[("Content-Type", content_type)], status=status
        )

    @staticmethod
    def _check_parsed(parsed):
        """Refuse (400) what a connector's parser let through but the database cannot keep:
        ids and types too long for the unique index or holding control characters, payloads
        holding NUL. Whatever the connector, the sender gets a 400, never a 500."""
        for item in parsed or ():
            external_id = str(item.get("external_id"))
            if not inputs.safe_text(external_id, inputs.MAX_ID_CHARS):
                raise RequestRejected(
                    f"event ids are 1 to {inputs.MAX_ID_CHARS} characters, no control character"
                )
            if not inputs.safe_text(item.get("event_type"), inputs.MAX_ID_CHARS):
                raise RequestRejected(
                    f"event types are 1 to {inputs.MAX_ID_CHARS} characters, no control character"
                )
            payload = item.get("payload")
            if inputs.has_nul(payload) or (isinstance(payload, bytes) and b"\x00" in payload):
                raise RequestRejected("the event holds a NUL character")

    @http.route("/q2c/health", type="http", auth="none", methods=["GET"], save_session=False)
    def health(self):
        """Liveness for load balancers and monitors: nothing secret, no login. Degraded (503)
        when no queue_job runner serves the database or a q2c schedule is overdue (no cron
        worker runs it, issue 11.11)."""
        if not request.db:
            return json_response(503, {"status": "down", "database": False})
        env = request.env
        runner = job_runner_alive(env.cr)
        rows = env["q2c.system"].sudo()._kpi_rows()
        backlog = sum(row["backlog"] or 0 for row in rows.values())
        oldest = max((row["oldest_pending_seconds"] or 0 for row in rows.values()), default=0)
        overdue = env["ir.cron"].sudo()._q2c_overdue_schedules()
        healthy = runner and not overdue
        return json_response(
            200 if healthy else 503,
            {
                "status": "ok" if healthy else "degraded",
                "database": True,
                "job_runner": runner,
                "overdue_schedules": sorted(overdue.mapped("cron_name")),
                "backlog": backlog,
                "oldest_pending_seconds": round(float(oldest), 1),
                "time": fields.Datetime.to_string(fields.Datetime.now()),
            },
        )

    @http.route("/q2c/metrics", type="http", auth="bearer", methods=["GET"], save_session=False)
    def metrics(self):
        """Prometheus text format, for an API key of an Integration Manager or Auditor."""
        user = request.env.user
        if not (
            user.has_group("q2c_base.group_integration_manager")
            or user.has_group("q2c_base.group_auditor")
        ):
            return reject(403, "an Integration Manager's or Auditor's API key is required")
        systems = request.env["q2c.system"].search([])
        rows = systems._kpi_rows(systems.ids)
        text = render_metrics(systems, rows, job_runner_alive(request.env.cr))
        return request.make_response(
            text, headers=[("Content-Type", "text/plain; version=0.0.4; charset=utf-8")]
        )


METRICS = [
    ("q2c_events_backlog", "gauge", "Events received and not yet processed.", "backlog"),
    ("q2c_events_received_24h", "gauge", "Events received in the last 24 hours.", "events_24h"),
    (
        "q2c_events_failed_24h",
        "gauge",
        "Events of the last 24 h now failed or dead.",
        "failed_24h",
    ),
    ("q2c_events_dead", "gauge", "Events whose retries are exhausted.", "dead"),
    (
        "q2c_oldest_pending_seconds",
        "gauge",
        "Age of the oldest unprocessed event.",
        "oldest_pending_seconds",
    ),
    (
        "q2c_latency_p50_seconds",
        "gauge",
        "Median receipt-to-done latency, last 24 h.",
        "latency_p50",
    ),
    (
        "q2c_latency_p95_seconds",
        "gauge",
        "95th percentile receipt-to-done latency, last 24 h.",
        "latency_p95",
    ),
]


def label(value):
    return json.dumps(str(value))[1:-1]  # escapes backslash, quote and newline as required


def render_metrics(systems, rows, runner_alive):
    lines = [
        "# HELP q2c_job_runner_up Whether queue_job's runner serves this database.",
        "# TYPE q2c_job_runner_up gauge",
        f"q2c_job_runner_up {int(bool(runner_alive))}",
    ]
    for name, kind, help_text, key in METRICS:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        for system in systems:
            value = float(rows.get(system.id, {}).get(key) or 0)
            lines.append(
                f'{name}{{system="{label(system.name)}",type="{system.system_type}",'
                f'id="{system.id}"}} {value:g}'
            )
    return "\n".join(lines) + "\n"


class Q2cUnavailableController(http.Controller):
    """Every q2c path while Odoo serves a request without its database (issue 11.10).

    When PostgreSQL is briefly unreachable (a restart, a fail-over), Odoo serves a request as if
    there were no database: only the routes of its server-wide modules exist, so a webhook or a
    push request would be answered an HTML 404 or 403, which many senders never retry. With
    q2c_base among the server-wide modules (docs/install.md), this route answers instead, for
    every path under /q2c/: 503 with `Retry-After` and the contract's JSON error body.

    It exists only without a database: `ir.http._generate_routing_rules` (models/ir_http.py)
    leaves it out of the routing map of a database, where the real routes answer."""

    @http.route(
        "/q2c/<path:subpath>",
        type="http",
        auth="none",
        csrf=False,
        save_session=False,
        q2c_without_database_only=True,
    )
    def database_unavailable(self, subpath=None, **_params):
        return http_contract.error_response(
            503,
            "The database is unreachable for a moment; nothing was received. Retry later.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
