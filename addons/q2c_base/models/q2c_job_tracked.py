"""Records processed by one queue job each (q2c.event, q2c.sync.page): what their job did
is mirrored onto them, so a person reads one record, never queue_job's tables."""

from odoo import _, api, fields, models
from odoo.tools import SQL

# The queue.job.function of every tracked job method names this as its `on_fail_method`:
# queue_job calls it when it gives a job up (data/queue_job_data.xml, q2c_sync's likewise).
ON_FAIL_METHOD = "_job_on_fail"
# States of a record whose job is enqueued or waits for a retry: what the safety net checks.
JOB_WAITING_STATES = ("queued", "failed")


class Q2cJobTracked(models.AbstractModel):
    """One record, one queue job at a time (`job_uuid`).

    The inheriting model has a `state` Selection with `failed` (the job will retry) and
    `dead` (given up); `_job_mirrored_states` are the states in which the job's outcome is
    still news to the record. Retries are mirrored by queue.job's `write` (queue_job calls
    no hook for them), give-ups by queue_job's own `on_fail` hook and cancellations by
    `write`, all in the transaction where queue_job records them (the job's own was rolled
    back), so no record stays waiting behind a failed job."""

    _name = "q2c.job.tracked"
    _description = "Record Tracked by its Queue Job"

    job_uuid = fields.Char("Job", readonly=True, index=True, copy=False)
    attempts = fields.Integer(readonly=True)
    error = fields.Text(readonly=True, help="Why the last attempt failed.")
    error_summary = fields.Char(
        "What Went Wrong",
        readonly=True,
        help="One sentence for a person: what went wrong and what to do. The technical "
        "text is in the error.",
    )

    _job_mirrored_states = JOB_WAITING_STATES

    # --- what queue_job reports -------------------------------------------------------------

    def _job_on_fail(self, exc_name=None, exc_message=None, exc_info=None, **_kwargs):
        """queue_job's `on_fail` hook: the job failed and will not be retried.

        Called by queue_job (RunJobController._runjob, Job.on_fail) with the failure values
        it stored on the job, in its own transaction, on the job's records as the job's user.
        The job either ran out of retries (FailedJobError) or crashed on an unexpected error
        (a bug, not retried): the reason says which. Returns nothing."""
        records = self.sudo().exists()
        if not records:
            return
        exhausted = (exc_name or "").endswith("FailedJobError")
        reason = exc_message or exc_name or "failed"
        if not exhausted and exc_info:
            # A crash is a bug: its traceback is the technical detail a person reports.
            reason = f"{reason}\n\n{exc_info}"
        tries = records._job_tries()
        records._job_give_up(reason, tries, "exhausted" if exhausted else "crashed")

    def _job_tries(self):
        """queue_job's try count of the records' current job (0 when it is gone)."""
        uuids = [uuid for uuid in self.mapped("job_uuid") if uuid]
        jobs = self.env["queue.job"].sudo().search([("uuid", "in", uuids)])
        return max(jobs.mapped("retry") or [0])

    def _job_retry(self, reason, tries):
        """queue_job put the job back to pending for try `tries + 1`: the record waits."""
        for record in self.filtered(lambda r: r.state in r._job_mirrored_states):
            record.write(
                {
                    "state": "failed",
                    "error": reason,
                    "error_summary": record._error_summary_for("retrying"),
                    "attempts": tries,
                }
            )

    def _job_give_up(self, reason, tries, cause):
        """The job ended without doing its work: the record is dead with the reason.

        `cause`: `exhausted` (retries ran out), `crashed` (an unexpected error, a bug),
        `cancelled` (by a person in queue_job's views). Then `_job_after_give_up`."""
        templates = {
            "exhausted": _("Retries exhausted: %(reason)s"),
            "crashed": _("Processing crashed: %(reason)s"),
            "cancelled": _("Job cancelled: %(reason)s"),
        }
        given_up = self.filtered(lambda r: r.state in r._job_mirrored_states)
        for record in given_up:
            vals = {
                "state": "dead",
                "error": templates[cause] % {"reason": reason},
                "error_summary": record._error_summary_for(cause, tries=max(tries, 1)),
            }
            if cause != "cancelled":
                vals["attempts"] = max(tries, record.attempts)
            record.write(vals)
        given_up._job_after_give_up()

    def _job_after_give_up(self):
        """Called on the records just marked dead by `_job_give_up`; override to go on
        without them (a sync page lets its run go on). Default: nothing."""

    # --- what a person reads -------------------------------------------------------------

    def _error_source_name(self):
        """How the sentences of `_error_summary_for` name the other side: the record's
        connected system when it has one. Returns a string."""
        system = self["system_id"] if "system_id" in self._fields else None
        return system.name if system else _("the other system")

    def _error_summary_for(self, cause, tries=0):
        """One sentence for a person, what went wrong and what to do, when the job itself
        (not the handler's typed error) decided the outcome: `cause` is `retrying` (a
        transient error, queue_job tries again), `exhausted` (retries ran out after
        `tries`), `crashed` (an unexpected error: a bug), `cancelled` (a person cancelled the
        job) or `gone` (the job vanished). Returns a translated string."""
        self.ensure_one()
        system = self._error_source_name()
        sentences = {
            "retrying": _(
                "A temporary problem (%(system)s did not answer, or asked to wait) stopped "
                "this for now: q2c tries again by itself, nothing to do unless it ends dead.",
                system=system,
            ),
            "exhausted": _(
                "%(system)s could not be reached after %(tries)s tries: check that it is up "
                "and that its address and credentials are right, then replay.",
                system=system,
                tries=tries,
            ),
            "crashed": _(
                "An unexpected error stopped the processing (a bug in q2c or a connector): "
                "report it with the technical detail below, and replay once it is fixed."
            ),
            "cancelled": _(
                "Its job was cancelled in the job queue, so nothing was applied: replay it "
                "if it should still be applied."
            ),
            "gone": _("Its job disappeared before finishing, so nothing was applied: replay it."),
        }
        return sentences[cause]

    # --- safety net -------------------------------------------------------------------------

    @api.model
    def _cron_reconcile_jobs(self):
        """Safety net: a record whose job ended outside the ORM (e.g. queue_job's dead-job
        requeuer failing it by SQL, where no hook runs) must not stay waiting forever."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT r.id, j.state, coalesce(j.exc_message, j.result, ''), j.retry
                  FROM %s r
                  LEFT JOIN queue_job j ON j.uuid = r.job_uuid
                 WHERE r.state IN %s
                   AND (j.id IS NULL OR j.state IN ('failed', 'cancelled', 'done'))
                   AND r.write_date < now() at time zone 'utc' - interval '10 minutes'
                """,
                SQL.identifier(self._table),
                JOB_WAITING_STATES,
            )
        )
        for record_id, job_state, reason, tries in self.env.cr.fetchall():
            record = self.browse(record_id)
            if job_state == "failed":
                record._job_give_up(reason, tries or 0, "exhausted")
            elif job_state == "cancelled":
                record._job_give_up(reason, tries or 0, "cancelled")
            else:
                record.write(
                    {
                        "state": "dead",
                        "error": _("Its job is gone or ended without a result."),
                        "error_summary": record._error_summary_for("gone"),
                    }
                )
