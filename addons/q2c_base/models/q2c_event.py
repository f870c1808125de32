import json
import logging
import uuid
from datetime import UTC, datetime, timedelta

import requests

from odoo import _, api, fields, models
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.exceptions import AccessError, UserError, ValidationError

from ..exceptions import MappingError, PermanentError, TransientError

# Imported first: the abstract models are defined before the models inheriting them.
from .q2c_guarded_mixin import Q2cGuardedMixin  # noqa: F401
from .q2c_job_tracked import Q2cJobTracked  # noqa: F401

_logger = logging.getLogger(__name__)

STATES = [
    ("received", "Received"),
    ("queued", "Queued"),
    ("done", "Done"),
    ("failed", "Failed (will retry)"),
    ("dead", "Dead"),
    ("ignored", "Ignored"),
]
PROCESSABLE_STATES = ("received", "queued", "failed")
REPLAYABLE_STATES = ("failed", "dead")
PENDING_STATES = ("received", "queued", "failed")
UNHANDLED = "unhandled event type"
# Headers kept with the payload: enough to re-verify or trace a delivery, nothing secret.
KEPT_HEADERS = (
    "Content-Type",
    "User-Agent",
    "X-Request-Id",
    "X-Correlation-Id",
    "X-Q2C-Signature",
)
PAYLOAD_GROUPS = "q2c_base.group_integration_manager,q2c_base.group_auditor"
# Who may act on events: an operator replays; a manager also ignores or closes by hand.
REPLAY_GROUP = "q2c_base.group_integration_operator"
CLOSE_GROUP = "q2c_base.group_integration_manager"


INSERT_COLUMNS = (
    "system_id",
    "company_id",
    "external_id",
    "event_type",
    "system_type",
    "state",
    "received_at",
    "attempts",
    "correlation_id",
    "payload",
    "headers",
    "create_uid",
    "create_date",
    "write_uid",
    "write_date",
)


def insert_event_rows(cr, rows, **execute_kwargs):
    """Insert event rows (tuples in INSERT_COLUMNS order) on a DB cursor; return
    {external_id: id} of the rows that were new. ON CONFLICT DO NOTHING on the unique
    (system_id, external_id) index: a concurrent duplicate waits for the first insert to
    commit and is then skipped (READ COMMITTED), or, in Odoo's REPEATABLE READ
    transactions, fails with a serialization error on which Odoo retries the request, and
    the retry finds the stored row. Never stored twice."""
    placeholders = ",".join(["(" + ",".join(["%s"] * len(INSERT_COLUMNS)) + ")"] * len(rows))
    cr.execute(
        f"INSERT INTO q2c_event ({', '.join(INSERT_COLUMNS)}) VALUES {placeholders} "
        "ON CONFLICT (system_id, external_id) DO NOTHING RETURNING external_id, id",
        [value for row in rows for value in row],
        **execute_kwargs,
    )
    return dict(cr.fetchall())


def _sentence(text):
    """`text` as a sentence that another can follow: stripped, ending with a full stop."""
    text = (text or "").strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


class Q2cEvent(models.Model):
    _name = "q2c.event"
    _description = "Inbound Event"
    _inherit = ["mail.thread", "q2c.job.tracked", "q2c.guarded.mixin"]
    _order = "received_at desc, id desc"
    _rec_name = "external_id"
    _check_company_auto = True
    # A received event's job outcome is mirrored too (q2c.job.tracked).
    _job_mirrored_states = PENDING_STATES

    system_id = fields.Many2one(
        "q2c.system", required=True, ondelete="restrict", index=True, readonly=True
    )
    system_type = fields.Selection(related="system_id.system_type", store=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    external_id = fields.Char("Event ID", required=True, readonly=True)
    event_type = fields.Char(index=True, readonly=True)
    # Not tracked: automatic transitions happen thousands of times a day; what people do
    # (replay, ignore, mark done) is posted to the chatter with who and why.
    state = fields.Selection(STATES, required=True, default="received", index=True, readonly=True)
    received_at = fields.Datetime(required=True, index=True, readonly=True)
    processed_at = fields.Datetime(readonly=True)
    latency_seconds = fields.Float(
        "Processing Latency (s)", readonly=True, help="From receipt to done."
    )
    # job_uuid, attempts: q2c.job.tracked; the error also says why an event was ignored.
    error = fields.Text(readonly=True, help="Why the last attempt failed, or why ignored.")
    correlation_id = fields.Char(index=True, readonly=True)
    payload = fields.Text(readonly=True, groups=PAYLOAD_GROUPS)
    headers = fields.Text(readonly=True, groups=PAYLOAD_GROUPS)
    payload_purged = fields.Boolean(readonly=True)
    link_ids = fields.One2many("q2c.event.link", "event_id", string="Affected Records")

    _sql_constraints = [
        (
            "external_id_uniq",
            "unique(system_id, external_id)",
            "An event with this id was already received from this system.",
        ),
    ]

    def _q2c_guarded_fields(self):
        """What the intake, the job and the manual actions (replay, ignore, mark done) record:
        written by them only, never by a plain write, even an Integration Manager's."""
        return super()._q2c_guarded_fields() | {
            "system_id",
            "company_id",
            "external_id",
            "event_type",
            "state",
            "received_at",
            "processed_at",
            "latency_seconds",
            "error",
            "attempts",
            "job_uuid",
            "correlation_id",
            "payload_purged",
        }

    def _q2c_immutable_fields(self):
        """What the system sent, as verified: kept as received until the retention purge
        (`_cron_purge_payloads`) clears it."""
        return super()._q2c_immutable_fields() | {"payload", "headers"}

    @api.depends("system_id", "external_id")
    def _compute_display_name(self):
        for event in self:
            event.display_name = f"{event.system_id.name or ''} / {event.external_id or ''}"

    # --- intake (called by the webhook controller) -------------------------------------------

    @api.model
    def _store_inbound(self, system, parsed, headers, correlation_id=None):
        """Store parsed events of one request; return [(external_id, event or None)].

        `parsed`: what `q2c.system._parse_events` returned; an `external_id` that is not text
        is stored as its text, a `payload` that is neither text nor bytes as its JSON.

        One INSERT ... ON CONFLICT DO NOTHING: the unique (system, external id) index decides
        which delivery is first, also when copies arrive at once on different workers; a
        repeat comes back as None and is acknowledged without a second row. An id given twice
        in `parsed` is stored once and its second item comes back as None: the answer says
        what was stored.
        """
        kept = json.dumps({k: headers[k] for k in KEPT_HEADERS if headers.get(k)})
        correlation_id = correlation_id or str(uuid.uuid4())
        # Microseconds kept (the ORM's own datetimes are whole seconds): latency is measured
        # from this instant.
        now = datetime.now(UTC).replace(tzinfo=None)
        uid = self.env.uid
        # Ids are text in the table: a connector's parser may give numbers (normalised here,
        # or a number would never match the text read back and the event would be lost).
        parsed = [{**item, "external_id": str(item["external_id"])} for item in parsed]
        rows, seen = [], set()
        for item in parsed:
            # The same id twice in one request is one event sent twice: stored once, the
            # second answered as a repeat (`first` below), never both as new.
            if item["external_id"] in seen:
                continue
            seen.add(item["external_id"])
            payload = item["payload"]
            if isinstance(payload, bytes):
                payload = payload.decode("utf-8", errors="replace")
            elif not isinstance(payload, str):
                payload = json.dumps(payload)
            rows.append(
                (
                    system.id,
                    system.company_id.id,
                    item["external_id"],
                    item["event_type"],
                    system.system_type,
                    "received",
                    now,
                    0,
                    correlation_id,
                    payload,
                    kept,
                    uid,
                    now,
                    uid,
                    now,
                )
            )
        if not rows:
            return []
        self.env.flush_all()
        # A serialization failure here is expected under concurrency and retried by Odoo:
        # not an ERROR for the log.
        inserted = insert_event_rows(self.env.cr, rows, log_exceptions=False)
        results = []
        for item in parsed:
            # Only the first item of an id stored just now is a new event.
            event_id = inserted.pop(item["external_id"], None)
            results.append((item["external_id"], self.browse(event_id) if event_id else None))
        return results

    def _enqueue(self):
        """Queue processing jobs on each system's channel, as its integration user.

        The job runs as the user (and sudo flag) that enqueued it: never enqueue from sudo.
        """
        queued = []
        for event in self:
            system = event.system_id
            if not system.user_id:  # a job enqueued as no one would run as the public user
                raise UserError(system._integration_user_problem())
            as_user = event.with_user(system.user_id).with_context(
                q2c_correlation_id=event.correlation_id
            )
            job = as_user.with_delay(
                channel=system.job_channel,
                max_retries=max(system.event_max_retries, 1),
                description=f"q2c: process {system.system_type} event {event.external_id}",
            )._process()
            queued.append((job.uuid, event.id))
        if queued:
            # One UPDATE per request instead of an ORM write per event (the intake hot path).
            # Pending ORM writes first, or they would be flushed over it later.
            self.env.flush_all()
            self.env.cr.execute(
                "UPDATE q2c_event SET state = 'queued', job_uuid = v.uuid, write_date = now() "
                "at time zone 'utc' FROM (VALUES " + ",".join(["(%s, %s)"] * len(queued)) + ") "
                "AS v(uuid, id) WHERE q2c_event.id = v.id",
                [value for pair in queued for value in pair],
            )
            self.invalidate_recordset(["state", "job_uuid", "write_date"])
        return True

    # --- processing (the job) ----------------------------------------------------------------

    def _get_handler(self):
        """The bound method that applies this event, or None when no handler exists.

        Called by `_process` (the job) for one event, as the system's integration user.
        Returns a method taking no argument that applies the event idempotently and returns
        the records it touched (linked to the event); None marks the event `ignored` as
        unhandled. Connectors override it for their own type:

            if self.system_type == "x" and self.event_type in X_EVENTS:
                return self._handle_x_thing
            return super()._get_handler()

        A handler raises TransientError (retried), PermanentError (dead, maybe with an
        exception for a person), UserError / ValidationError / AccessError (dead); anything
        else is a bug and fails the job loudly.
        """
        self.ensure_one()
        if self.system_type == "generic" and self.event_type == "q2c.ping":
            return self._handle_ping
        return None

    def _handle_ping(self):
        """Connectivity check: a `q2c.ping` event is acknowledged and changes nothing."""
        return self.env["q2c.event"]

    def _retryable_exceptions(self):
        """Exceptions after which a retry may succeed; others are permanent."""
        return (TransientError, requests.Timeout, requests.ConnectionError)

    def _process(self):
        """Job: apply one event. Guard, act in a savepoint, record the outcome."""
        self.ensure_one()
        if self.state not in PROCESSABLE_STATES:
            return f"skipped: event is {self.state}"
        handler = self._get_handler()
        if handler is None:
            summary = _(
                "q2c has no handler for events of type %(type)s from %(system)s, so it was "
                "ignored: nothing to do.",
                type=self.event_type,
                system=self.system_id.name,
            )
            self._mark("ignored", error=UNHANDLED, summary=summary)
            return UNHANDLED
        try:
            with self.env.cr.savepoint():
                touched = handler()
        except self._retryable_exceptions() as error:
            reason = getattr(error, "reason", None) or str(error) or type(error).__name__
            # queue_job reschedules (RetryableJobError) or, after the last try, fails the
            # job; the event mirrors it through queue.job's write (see queue_job.py).
            raise RetryableJobError(reason, seconds=getattr(error, "retry_after", None)) from error
        except (PermanentError, UserError, ValidationError, AccessError) as error:
            reason = getattr(error, "reason", None) or str(error)
            self._mark("dead", error=reason, summary=self._summarize_error(error))
            self._open_exception_for(error)
            return f"dead: {reason}"
        self._link(touched)
        self._mark("done")
        return "done"

    def _open_exception_for(self, error):
        """Open the q2c.exception a PermanentError asks for; called after the handler's
        savepoint is rolled back, so it is not rolled back with it."""
        kind = getattr(error, "person_kind", None)
        if not kind:
            return
        record = error.record if error.record and error.record.exists() else None
        candidates = getattr(error, "candidates", None)
        candidates = candidates.exists() if candidates else None
        self.env["q2c.exception"]._raise(
            error.reason,
            kind=kind,
            system=self.system_id,
            event=self,
            details=error.details,
            record=record,
            candidates=candidates,
            external=getattr(error, "external", None),
        )

    def _summarize_error(self, error):
        """One sentence for a person, what went wrong and what to do, from the typed error
        that made the handler give up (the technical text stays in `error`).

        Called by `_process` with the PermanentError, UserError, ValidationError or
        AccessError the handler raised. Read from the error's type and attributes
        (`status`, `vendor_code`, `person_kind`), never from a translated message. Returns a
        translated string. Override it for a vendor's own error codes (call super() for the
        rest).
        """
        reason = _sentence(getattr(error, "reason", None) or str(error))
        if isinstance(error, AccessError):
            return _(
                "The integration user of %(system)s may not make this change in Odoo: give "
                "it the missing access rights, then replay.",
                system=self.system_id.name,
            )
        if isinstance(error, UserError | ValidationError):
            return _(
                "Odoo refused the change: %(reason)s Correct the data, then replay.", reason=reason
            )
        if getattr(error, "status", None):
            return self._summarize_refusal(error.status, error.vendor_code)
        if isinstance(error, MappingError):
            return _(
                "The data from %(system)s is incomplete or malformed: %(reason)s Correct it "
                "in %(system)s, then replay.",
                system=self.system_id.name,
                reason=reason,
            )
        if getattr(error, "person_kind", None):
            then = (
                _("decide there (link, create or merge): the event replays itself.")
                if error.person_kind == "duplicate"
                else _("settle it, then replay.")
            )
            return _(
                "%(reason)s An exception was opened for a person: %(then)s",
                reason=reason,
                then=then,
            )
        return _("%(reason)s Fix the cause, then replay.", reason=reason)

    def _summarize_refusal(self, status, vendor_code):
        """The sentence of `_summarize_error` for the other system's refusal (an HTTP
        status, maybe the vendor's own error code)."""
        system = self.system_id.name
        if status in (401, 403):
            return _(
                "%(system)s refused q2c's credentials (HTTP %(status)s): check them on the "
                "connected system, then replay.",
                system=system,
                status=status,
            )
        if status == 404:
            return _(
                "%(system)s no longer has the record asked for (HTTP 404), maybe deleted "
                "there: check it in %(system)s, then replay or ignore.",
                system=system,
            )
        return _(
            "%(system)s refused the request (HTTP %(status)s%(code)s): check the record "
            "in %(system)s, then replay.",
            system=system,
            status=status,
            code=f", {vendor_code}" if vendor_code else "",
        )

    def _mark(self, state, error=False, summary=False):
        vals = {
            "state": state,
            "error": error,
            "error_summary": summary,
            "attempts": self.attempts + 1,
        }
        if state == "done":
            vals["processed_at"] = fields.Datetime.now()
        self.sudo().write(vals)
        if state == "done":
            # Sub-second precision from the clock, not from second-rounded ORM datetimes.
            self.env.flush_all()
            self.env.cr.execute(
                "UPDATE q2c_event SET latency_seconds = greatest(0, extract(epoch FROM "
                "(clock_timestamp() at time zone 'utc') - received_at)) WHERE id = %s",
                (self.id,),
            )
            self.invalidate_recordset(["latency_seconds"])

    def _link(self, records):
        if not records:
            return
        self.env["q2c.event.link"].sudo().create(
            [{"event_id": self.id, "res_model": r._name, "res_id": r.id} for r in records]
        )

    # --- manual actions ----------------------------------------------------------------------

    def _check_can_replay(self):
        if not self.env.user.has_group(REPLAY_GROUP):
            raise AccessError(_("Only integration operators and managers can replay events."))
        self.check_access("write")

    def _check_manager(self):
        if not self.env.user.has_group(CLOSE_GROUP):
            raise AccessError(_("Only integration managers can ignore or close events."))
        self.check_access("write")

    def action_replay(self, reason=None):
        """Queue dead or failed events again; they go through the same idempotent handler."""
        self._check_can_replay()
        wrong = self.filtered(lambda e: e.state not in REPLAYABLE_STATES)
        if wrong:
            raise UserError(
                _(
                    "Only failed or dead events can be replayed; %(events)s are not.",
                    events=", ".join(wrong.mapped("display_name")),
                )
            )
        for event in self:
            event._message_log(
                body=_(
                    "Replayed by %(user)s. Reason: %(reason)s",
                    user=self.env.user.name,
                    reason=reason or _("none given"),
                )
            )
        self.sudo().write({"state": "received", "error": False, "error_summary": False})
        self._enqueue()
        return True

    def action_ignore(self, reason):
        self._check_manager()
        if not reason:
            raise UserError(_("Give a reason to ignore an event."))
        self._close("ignored", _("Ignored by %(user)s. Reason: %(reason)s"), reason)
        return True

    def action_mark_done(self, reason):
        self._check_manager()
        if not reason:
            raise UserError(_("Give a reason to mark an event done by hand."))
        self._close("done", _("Marked done by %(user)s. Reason: %(reason)s"), reason)
        return True

    def _close(self, state, template, reason):
        wrong = self.filtered(lambda e: e.state in ("done", "ignored"))
        if wrong:
            raise UserError(
                _("These events are already closed: %s", ", ".join(wrong.mapped("display_name")))
            )
        for event in self:
            event._message_log(body=template % {"user": self.env.user.name, "reason": reason})
        self.sudo().write(
            {
                "state": state,
                "error": reason,
                "error_summary": False,
                "processed_at": fields.Datetime.now(),
            }
        )

    def action_open_replay_wizard(self):
        return self._open_action_wizard("replay")

    def action_open_ignore_wizard(self):
        return self._open_action_wizard("ignore")

    def action_open_mark_done_wizard(self):
        return self._open_action_wizard("mark_done")

    def _open_action_wizard(self, action):
        titles = {
            "replay": _("Replay Events"),
            "ignore": _("Ignore Events"),
            "mark_done": _("Mark Events Done"),
        }
        return {
            "type": "ir.actions.act_window",
            "name": titles[action],
            "res_model": "q2c.event.action.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_action": action, "default_event_ids": self.ids},
        }

    # --- housekeeping crons ------------------------------------------------------------------

    @api.model
    def _cron_purge_payloads(self):
        """Drop raw payloads of done events older than the retention; keep the metadata."""
        days = int(
            self.env["ir.config_parameter"].sudo().get_param("q2c_base.payload_retention_days", 30)
        )
        limit = fields.Datetime.now() - timedelta(days=days)
        self.env.cr.execute(
            """
            UPDATE q2c_event SET payload = NULL, headers = NULL, payload_purged = TRUE
             WHERE state = 'done' AND processed_at < %s AND NOT coalesce(payload_purged, FALSE)
            """,
            (limit,),
        )
        _logger.info("q2c: purged the payloads of %s done events", self.env.cr.rowcount)
        self.invalidate_model(["payload", "headers", "payload_purged"])
