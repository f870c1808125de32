from odoo import models

PAGE_METHOD = "_run"


class QueueJob(models.Model):
    _inherit = "queue.job"

    def write(self, vals):
        """Mirror retries and give-ups of time sync page jobs onto their pages, in the
        transaction where queue_job records them (the job's own was rolled back)."""
        result = super().write(vals)
        state = vals.get("state")
        if state in ("pending", "failed", "cancelled"):
            for job in self.filtered(
                lambda j: j.model_name == "q2c.time.sync.page" and j.method_name == PAGE_METHOD
            ):
                if state == "pending" and not job.retry:
                    continue
                reason = job.exc_message or job.result or job.exc_name or state
                pages = self.env["q2c.time.sync.page"].sudo().browse(job.records.ids).exists()
                pages._sync_from_job("pending" if state == "pending" else "failed", reason,
                                     job.retry)  # fmt: skip
        return result
