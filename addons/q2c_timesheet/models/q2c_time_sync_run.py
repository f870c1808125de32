from odoo import _, api, fields, models

RUN_STATES = [("running", "Running"), ("done", "Done"), ("partial", "Done with dead pages")]
PAGE_STATES = [
    ("queued", "Queued"),
    ("failed", "Failed, will retry"),
    ("done", "Done"),
    ("dead", "Dead"),
]


class Q2cTimeSyncRun(models.Model):
    """One pull of a system's time entries updated since its watermark, page by page."""

    _name = "q2c.time.sync.run"
    _description = "Time Sync Run"
    _order = "id desc"

    system_id = fields.Many2one("q2c.system", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="system_id.company_id", store=True)
    state = fields.Selection(RUN_STATES, default="running", required=True, index=True)
    started_at = fields.Datetime(required=True, default=fields.Datetime.now)
    finished_at = fields.Datetime()
    updated_since = fields.Datetime(help="Empty: everything (the first run).")
    page_ids = fields.One2many("q2c.time.sync.page", "run_id", string="Pages")
    page_count = fields.Integer(compute="_compute_counts")
    entry_count = fields.Integer("Entries", compute="_compute_counts")

    @api.depends("page_ids.entry_count")
    def _compute_counts(self):
        for run in self:
            run.page_count = len(run.page_ids)
            run.entry_count = sum(run.page_ids.mapped("entry_count"))

    def _add_pages(self, numbers, start=False):
        """Create the pages and enqueue one job each, as the system's integration user (a job
        runs with the rights of who enqueued it: never from sudo). `start`: the cursor a
        chained page starts reading from."""
        self.ensure_one()
        Page = self.env["q2c.time.sync.page"].sudo()
        pages = Page.create(
            [{"run_id": self.id, "page_no": number, "cursor": start} for number in numbers]
        )
        system = self.system_id
        for page in pages:
            job = (
                page.with_user(system.user_id)
                .with_context(q2c_correlation_id=f"time-sync-{self.id}-{page.page_no}")
                .with_delay(
                    channel=system.job_channel,
                    max_retries=max(system.time_page_max_retries, 1),
                    description=_(
                        "%(system)s: time entries, page %(page)s",
                        system=system.name,
                        page=page.page_no,
                    ),
                )  # fmt: skip
                ._run()
            )
            page.job_uuid = job.uuid
        return pages

    def _finish_if_complete(self):
        """Close the run once no page is left to do; on a clean run, advance the system's
        watermark to the run's start. Called in the transaction that wrote the last page,
        under a row lock, so the watermark commits with that write or not at all."""
        self.ensure_one()
        self.env.flush_all()
        self.env.cr.execute("SELECT id FROM q2c_time_sync_run WHERE id = %s FOR UPDATE",
                            (self.id,))  # fmt: skip
        self.invalidate_recordset()
        self.page_ids.invalidate_recordset()
        if self.state != "running":
            return
        states = set(self.page_ids.mapped("state"))
        if states - {"done", "dead"}:
            return
        clean = states == {"done"}
        self.sudo().write(
            {"state": "done" if clean else "partial", "finished_at": fields.Datetime.now()}
        )
        if clean:
            self.system_id.sudo().time_watermark = self.started_at
