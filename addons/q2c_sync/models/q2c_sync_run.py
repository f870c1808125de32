import json

from odoo import _, api, fields, models
from odoo.tools import format_datetime

RUN_STATES = [("running", "Running"), ("done", "Done"), ("partial", "Done with dead pages")]
PAGE_STATES = [
    ("queued", "Queued"),
    ("failed", "Failed, will retry"),
    ("done", "Done"),
    ("dead", "Dead"),
]
# The stream every run reads first: records updated since the watermark. Connectors may add
# streams read after it (`q2c.system._sync_extra_streams`).
MAIN_STREAM = "main"
# A reconciliation that would mark more than this share of the window's records deleted is
# refused: a read that suddenly misses most records is a permission or filter change at the
# source, not a mass deletion.
RECONCILE_MAX_SHARE = 0.5
RECONCILE_MIN_GUARDED = 10
# How a run's start reads in its name.
DISPLAY_FORMAT = "yyyy-MM-dd HH:mm"


class Q2cSyncRun(models.Model):
    """One pull of a system's records updated since its watermark, page by page."""

    _name = "q2c.sync.run"
    _description = "Sync Run"
    _order = "id desc"

    system_id = fields.Many2one("q2c.system", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="system_id.company_id", store=True)
    state = fields.Selection(
        RUN_STATES, string="Status", default="running", required=True, index=True
    )
    started_at = fields.Datetime(required=True, default=fields.Datetime.now)
    finished_at = fields.Datetime()
    updated_since = fields.Datetime(help="Empty: everything (the first run).")
    note = fields.Text(
        "Outcome",
        readonly=True,
        help="Why a run is partial (its dead pages, pages not read), and what a stream did "
        "besides writing records (records found deleted at the source, checks skipped).",
    )
    page_ids = fields.One2many("q2c.sync.page", "run_id", string="Pages")
    page_count = fields.Integer("Number of Pages", compute="_compute_counts")
    entry_count = fields.Integer("Entries", compute="_compute_counts")
    held_count = fields.Integer("Held", compute="_compute_counts")

    @api.depends("system_id.name", "started_at")
    @api.depends_context("tz")
    def _compute_display_name(self):
        """Named like "Toggl pull 2026-12-06 10:00": the start in the reader's time zone."""
        tz = self.env.context.get("tz")
        for run in self:
            started = format_datetime(run.env, run.started_at, tz=tz, dt_format=DISPLAY_FORMAT)
            run.display_name = _(
                "%(system)s pull %(started)s", system=run.system_id.name, started=started
            )

    @api.depends("page_ids.entry_count", "page_ids.held_count")
    def _compute_counts(self):
        for run in self:
            run.page_count = len(run.page_ids)
            run.entry_count = sum(run.page_ids.mapped("entry_count"))
            run.held_count = sum(run.page_ids.mapped("held_count"))

    def _add_pages(self, numbers, stream=MAIN_STREAM, start=False):
        """Create the pages and enqueue one job each, as the system's integration user (a job
        runs with the rights of who enqueued it: never from sudo). `start`: the cursor a
        chained page starts reading from."""
        self.ensure_one()
        Page = self.env["q2c.sync.page"].sudo()
        vals = [
            {"run_id": self.id, "stream": stream, "page_no": number, "cursor": start}
            for number in numbers
        ]
        pages = Page.create(vals)
        for page in pages:
            page.job_uuid = page._enqueue().uuid
        return pages

    def _add_note(self, text):
        """Append a line to the run's outcome (what a person reading the run should know)."""
        for run in self:
            run.sudo().note = f"{run.note}\n{text}" if run.note else text

    def _finish_if_complete(self):
        """Close the run once no page is left to do; on a clean run, advance the system's
        watermark to the run's start. Called in the transaction that wrote the last page,
        under a row lock, so the watermark commits with that write or not at all.

        When the pages of a stream are all settled, the next stream the connector asks for
        (`_sync_extra_streams`) starts instead; the connector's `_sync_run_complete` hook
        runs once, just before the run closes."""
        self.ensure_one()
        self.env.flush_all()
        self.env.cr.execute("SELECT id FROM q2c_sync_run WHERE id = %s FOR UPDATE", (self.id,))
        self.invalidate_recordset()
        self.page_ids.invalidate_recordset()
        if self.state != "running":
            return
        if set(self.page_ids.mapped("state")) - {"done", "dead"}:
            return
        started = set(self.page_ids.mapped("stream"))
        following = [s for s in self.system_id._sync_extra_streams(self) if s not in started]
        if following:
            self._add_pages([1], following[0])
            return
        self.system_id._sync_run_complete(self)
        self.env.flush_all()
        self.page_ids.invalidate_recordset()
        clean = set(self.page_ids.mapped("state")) == {"done"}
        if not clean:
            self._add_note(self._partial_reason())
        if self.held_count == 1:
            self._add_note(
                _(
                    "1 entry held with its reason (Held Entries): imported once fixed at the "
                    "source or mapped."
                )
            )
        elif self.held_count:
            self._add_note(
                _(
                    "%(count)s entries held with their reason (Held Entries): imported once "
                    "fixed at the source or mapped.",
                    count=self.held_count,
                )
            )
        self.sudo().write(
            {"state": "done" if clean else "partial", "finished_at": fields.Datetime.now()}
        )
        if clean:
            self.system_id.sudo().pull_watermark = self.started_at

    def _partial_reason(self):
        """The dead pages with their reasons, and what it means for the next run."""
        system = self.system_id
        lines = [
            _(
                "Dead pages: the watermark stays at %(mark)s, so the next run reads again from "
                "it (records already written are found unchanged).",
                mark=system.pull_watermark or _("the beginning"),
            )
        ]
        for page in self.page_ids.filtered(lambda p: p.state == "dead"):
            lines.append(
                _(
                    "%(stream)s page %(page)s: %(error)s",
                    stream=page.stream,
                    page=page.page_no,
                    error=page.error,
                )
            )
            if page.chain_stopped:
                lines.append(
                    _(
                        "%(stream)s pages after page %(page)s were not read: they are known "
                        "only from its answer.",
                        stream=page.stream,
                        page=page.page_no,
                    )
                )
        return "\n".join(lines)

    # --- reconciliation -----------------------------------------------------------------------

    def _reconcile_deletions(self, stream, date_from, date_to):
        """Records of the system that Odoo holds for dates `date_from`..`date_to` but that a
        complete re-read of that window (the pages of `stream`, each recording the ids the
        source listed) no longer lists: deleted at the source.

        The records are those of the stream's model (`_sync_stream_model`), which answers
        `_q2c_missing_at_source(system, date_from, date_to, listed_ids)` -> (count present,
        records missing) and `records._q2c_mark_deleted_at_source(reason)`.

        Safe by construction: nothing happens unless every page of the stream is done (a
        dead or missing page means an incomplete read), and a result that would remove more
        than half of the window's records is refused with an exception for a person. Returns
        the records marked."""
        self.ensure_one()
        system = self.system_id
        Model = self.env[system._sync_stream_model(stream)]
        pages = self.page_ids.filtered(lambda p: p.stream == stream)
        if not pages or set(pages.mapped("state")) != {"done"}:
            self._add_note(_("Deletions not checked: the re-read of %s is incomplete.", stream))
            return Model
        listed = set()
        for page in pages:
            listed.update(json.loads(page.listed_ids or "[]"))
        present, missing = Model._q2c_missing_at_source(system, date_from, date_to, listed)
        if not missing:
            return Model
        if len(missing) >= RECONCILE_MIN_GUARDED and len(missing) > RECONCILE_MAX_SHARE * present:
            self._refuse_reconciliation(len(missing), present, date_from, date_to)
            return Model
        window = {"from": fields.Date.to_string(date_from), "to": fields.Date.to_string(date_to)}
        reason = _(
            "Deleted in %(system)s: not listed when %(from)s..%(to)s was read again on %(day)s.",
            system=system.name,
            day=fields.Date.to_string(self.started_at.date()),
            **window,
        )
        missing._q2c_mark_deleted_at_source(reason)
        self._add_note(
            _(
                "%(count)s entries deleted at the source (%(from)s..%(to)s).",
                count=len(missing),
                **{"from": date_from, "to": date_to},
            )
        )
        return missing

    def _refuse_reconciliation(self, missing, present, date_from, date_to):
        text = _(
            "Deletions not applied: %(missing)s of %(present)s entries of %(from)s..%(to)s are "
            "no longer listed by the source. That looks like a change of the token's rights or "
            "of a filter, not deletions; check the system, then the next run checks again.",
            missing=missing,
            present=present,
            **{"from": date_from, "to": date_to},
        )
        self._add_note(text)
        name = _("%s: entries missing at the source", self.system_id.name)
        Exception_ = self.env["q2c.exception"].sudo()
        if not Exception_.search_count(
            [("system_id", "=", self.system_id.id), ("name", "=", name), ("state", "=", "open")]
        ):
            Exception_._raise(name, kind="missing_data", system=self.system_id, details=text)
