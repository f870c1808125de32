from odoo import models

PROCESS_METHOD = "_process"


class QueueJob(models.Model):
    _inherit = "queue.job"

    def write(self, vals):
        """Mirror retries and give-ups of q2c event jobs onto their events.

        queue_job records a retry (state back to pending, with the error as result) or a
        final failure in its own transaction after rolling the job's back; updating the
        event here keeps both in one commit, so no event stays `queued` behind a failed job.
        """
        result = super().write(vals)
        state = vals.get("state")
        if state in ("pending", "failed", "cancelled"):
            for job in self.filtered(
                lambda j: j.model_name == "q2c.event" and j.method_name == PROCESS_METHOD
            ):
                if state == "pending" and not job.retry:
                    continue  # enqueued or requeued by hand, not a retry
                reason = job.exc_message or job.result or job.exc_name or state
                exhausted = bool(job.max_retries) and job.retry >= job.max_retries
                events = self.env["q2c.event"].sudo().browse(job.records.ids).exists()
                events._sync_from_job(state, reason, job.retry, exhausted=exhausted)
        return result
