from odoo import _, api, fields, models
from odoo.addons.q2c_base.exceptions import MappingError, PermanentError, TransientError
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.exceptions import AccessError, UserError, ValidationError

from .q2c_sync_run import MAIN_STREAM, PAGE_STATES

RESULT_STATUSES = ("created", "updated", "unchanged", "rejected")


class Q2cSyncPage(models.Model):
    """One page of a run: fetched, mapped and written in one job and one transaction."""

    _name = "q2c.sync.page"
    _description = "Sync Page"
    _inherit = ["q2c.job.tracked"]
    _order = "run_id desc, id"

    run_id = fields.Many2one("q2c.sync.run", required=True, ondelete="cascade", index=True)
    system_id = fields.Many2one(related="run_id.system_id", store=True)
    stream = fields.Char(
        "Stream Key",
        required=True,
        default=MAIN_STREAM,
        help="Which read of the run the page belongs to: `main` (records updated since the "
        "watermark) or a connector's own (a re-read to find deletions or late approvals).",
    )
    stream_label = fields.Char("Stream", compute="_compute_stream_label")
    page_no = fields.Integer("Page", required=True)
    state = fields.Selection(
        PAGE_STATES, string="Status", default="queued", required=True, index=True
    )
    cursor = fields.Char(
        readonly=True,
        help="Where this page starts reading, as the previous page's answer said (sources "
        "whose pages are chained by a cursor).",
    )
    entry_count = fields.Integer("Entries")
    created_count = fields.Integer("Created")
    updated_count = fields.Integer("Updated")
    unchanged_count = fields.Integer("Unchanged")
    rejected_count = fields.Integer("Rejected or Held")
    held_count = fields.Integer(
        "Held",
        help="Entries of the page kept as held entries with their reason (unmapped, invalid "
        "as sent, or a record that could not be read): imported once fixed or mapped.",
    )
    chained = fields.Boolean(help="The page's answer asked for the next page (chained paging).")
    chain_stopped = fields.Boolean(
        help="The page is dead and the pages after it were not asked for (known only from "
        "its answer)."
    )
    listed_ids = fields.Text(
        "Listed Source IDs",
        help="JSON list of every id the source listed on the page (running timers included), "
        "kept by streams that reconcile deletions.",
    )

    _sql_constraints = [
        ("page_uniq", "unique(run_id, stream, page_no)", "A page of a run exists once."),
    ]

    @api.depends("stream")
    def _compute_stream_label(self):
        """What a person reads for the stream key: the main read is "Updated records", a
        connector's own stream its key in words ("reconcile" reads "Reconcile")."""
        for page in self:
            if page.stream == MAIN_STREAM:
                page.stream_label = _("Updated records")
            else:
                page.stream_label = (page.stream or "").replace("_", " ").capitalize()

    @api.depends("run_id.display_name", "stream", "page_no")
    @api.depends_context("tz")
    def _compute_display_name(self):
        for page in self:
            if page.stream == MAIN_STREAM:
                page.display_name = _(
                    "%(run)s, page %(page)s", run=page.run_id.display_name, page=page.page_no
                )
            else:
                page.display_name = _(
                    "%(run)s, %(stream)s page %(page)s",
                    run=page.run_id.display_name,
                    stream=page.stream_label.lower(),
                    page=page.page_no,
                )

    def _enqueue(self):
        """Enqueue the page's job as the system's integration user, on its channel; returns
        the job (its outcome is mirrored onto the page: q2c.job.tracked)."""
        self.ensure_one()
        run, system = self.run_id, self.run_id.system_id
        description = _(
            "%(system)s: pull, %(stream)s page %(page)s",
            system=system.name,
            stream=self.stream,
            page=self.page_no,
        )
        return (
            self.with_user(system.user_id)
            .with_context(q2c_correlation_id=f"sync-{run.id}-{self.stream}-{self.page_no}")
            .with_delay(
                channel=system.job_channel,
                max_retries=max(system.pull_page_max_retries, 1),
                description=description,
            )
            ._run()
        )

    def _run(self):
        """Job: fetch, map and write one page. Guard, act, record the outcome.

        Typed errors are outcomes: TransientError retries the job (queue_job gives it up
        after `pull_page_max_retries` tries, then the page is dead through `on_fail`);
        MappingError (a malformed answer) makes this page dead and the run goes on;
        PermanentError, UserError and AccessError (a refusal, the same for every page) make
        it dead and stop a chained stream. Any other exception is a bug: it fails the job
        loudly, and queue_job's `on_fail` hook marks the page dead with its reason."""
        self.ensure_one()
        if self.state in ("done", "dead"):
            return f"skipped: page is {self.state}"
        system = self.run_id.system_id
        try:
            entries, total_pages = system._sync_fetch_page(self)
            with self.env.cr.savepoint():
                results = system._sync_ingest(self, entries)
        except TransientError as error:
            raise RetryableJobError(error.reason, seconds=error.retry_after) from error
        except (PermanentError, UserError, ValidationError, AccessError) as error:
            reason = getattr(error, "reason", None) or str(error)
            self._mark("dead", error=reason)
            # A malformed answer or record concerns this page only; a refusal (credentials,
            # rights, plan) would be the same for the next page.
            self._after_dead(step_over=isinstance(error, MappingError | ValidationError))
            return f"dead: {reason}"
        self._record(results, chained=total_pages is True or isinstance(total_pages, str))
        self._add_next_pages(total_pages)
        self.run_id._finish_if_complete()
        return f"done: {len(results)} entries"

    def _add_next_pages(self, total_pages):
        """Enqueue what the page's answer says follows (see `_sync_parse_page`)."""
        run = self.run_id
        if isinstance(total_pages, bool):
            if total_pages:  # a source that only says "there is a next page": chain it
                run._add_pages([self.page_no + 1], self.stream)
        elif isinstance(total_pages, str):  # a cursor: the next page starts where it says
            run._add_pages([self.page_no + 1], self.stream, start=total_pages)
        elif self.page_no == 1 and total_pages and total_pages > 1:
            run._add_pages(range(2, total_pages + 1), self.stream)

    def _after_dead(self, step_over=True):
        """A dead page, then the run goes on: when the source addresses pages by number
        (`_sync_pages_addressable`), the next page of a chained stream is asked anyway, so
        the other pages go on; two dead pages in a row end the stream (the source is down).
        Otherwise the pages after it stay unread and the run ends partial."""
        self.ensure_one()
        run = self.run_id
        siblings = run.page_ids.filtered(lambda p: p.stream == self.stream)
        previous = siblings.filtered(lambda p: p.page_no == self.page_no - 1)
        chained = self.page_no == 1 or previous.chained
        if chained and not siblings.filtered(lambda p: p.page_no > self.page_no):
            addressable = run.system_id._sync_pages_addressable(self.stream)
            if step_over and addressable and previous.state != "dead":
                run._add_pages([self.page_no + 1], self.stream)
            else:
                self.sudo().chain_stopped = True
        run._finish_if_complete()

    def _job_after_give_up(self):
        """queue_job gave the page's job up (retries exhausted, a crash, cancelled): the run
        goes on without the page, as after a dead answer."""
        for page in self:
            page._after_dead()

    def _mark(self, state, error=False, **vals):
        self.sudo().write({"state": state, "error": error, "attempts": self.attempts + 1, **vals})

    def _record(self, results, chained=False):
        counts = dict.fromkeys(RESULT_STATUSES, 0)
        for result in results:
            counts[result["status"]] += 1
        self._mark(
            "done",
            entry_count=len(results),
            created_count=counts["created"],
            updated_count=counts["updated"],
            unchanged_count=counts["unchanged"],
            rejected_count=counts["rejected"],
            held_count=sum(1 for result in results if result.get("held")),
            chained=chained,
        )
