from odoo import models

from .q2c_job_tracked import ON_FAIL_METHOD


class QueueJob(models.Model):
    _inherit = "queue.job"

    def write(self, vals):
        """Mirror retries and cancellations of tracked jobs (`q2c.job.tracked`) onto their
        records, in the transaction where queue_job records them (the job's own was rolled
        back). Give-ups reach the records through queue_job's `on_fail` hook instead."""
        result = super().write(vals)
        state = vals.get("state")
        if state not in ("pending", "cancelled"):
            return result
        for job in self._q2c_tracked():
            if state == "pending" and not job.retry:
                continue  # enqueued or requeued by hand, not a retry
            reason = job.exc_message or job.result or job.exc_name or state
            records = self.env[job.model_name].sudo().browse(job.records.ids).exists()
            if state == "pending":
                records._job_retry(reason, job.retry)
            else:
                records._job_give_up(reason, job.retry, "cancelled")
        return result

    def _q2c_tracked(self):
        """The jobs whose function mirrors its outcome onto a `q2c.job.tracked` record: the
        functions that name its `on_fail` hook (one queue.job.function per job method)."""
        return self.filtered(
            lambda job: job.job_function_id.on_fail_method == ON_FAIL_METHOD
            and job.model_name in self.env
            and isinstance(self.env[job.model_name], self.pool["q2c.job.tracked"])
        )
