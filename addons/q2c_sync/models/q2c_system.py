from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .q2c_sync_run import MAIN_STREAM


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    supports_pull = fields.Boolean(
        compute="_compute_feature_support_fields",
        help="The system's connector reads its records page by page (sync runs).",
    )
    supports_push = fields.Boolean(
        compute="_compute_feature_support_fields",
        help="The system's integration user may send records to q2c's push API.",
    )
    pull_enabled = fields.Boolean(
        "Pull",
        help="The pull cron starts a sync run for this system: one job per page of records.",
    )
    pull_interval = fields.Integer(
        "Pull Every (minutes)",
        default=15,
        help="How often this system is pulled: the cron (every 5 minutes) starts a run when the "
        "last one started at least this long ago.",
    )
    pull_watermark = fields.Datetime(
        "Pulled Up To",
        readonly=True,
        copy=False,
        help="Records updated since this moment are pulled on the next run. It advances only "
        "when every page of a run has been written and committed.",
    )
    pull_overlap_minutes = fields.Integer(
        "Overlap (minutes)",
        default=5,
        help="The next run starts this long before the previous run's start: records updated "
        "while a run was reading are pulled again (and found unchanged).",
    )
    pull_page_size = fields.Integer("Records per Page", default=500)
    pull_page_max_retries = fields.Integer(
        "Tries per Page",
        default=5,
        help="Tries of one page on transient errors (HTTP 429, 5xx) before it is dead.",
    )
    sync_run_ids = fields.One2many("q2c.sync.run", "system_id", string="Sync Runs")

    @api.depends("system_type")
    def _compute_feature_support_fields(self):
        """q2c_sync's flags: no type pulls until its connector says so; every type may push
        (the push API accepts any active system whose integration user calls it)."""
        result = super()._compute_feature_support_fields()
        self.update({"supports_pull": False, "supports_push": True})
        return result

    # --- hooks of pull connectors -------------------------------------------------------------
    # Each is overridden by the connector of one system type:
    #     if self.system_type != "harvest":
    #         return super()._sync_page_request(run, page_no)

    def _sync_page_request(self, run, page_no):
        """The request of page `page_no` (1-based) of `run`'s main stream.

        Called by the default `_sync_fetch_answer`, in the page's job. Receives the run
        (`run.updated_since` is the window's start, empty on the first run) and the page
        number. Returns (url, query params) for a GET through `_call`. Raises UserError when
        the system type cannot pull (this default)."""
        raise UserError(_("System type %s cannot pull.", self.system_type))

    def _sync_fetch_answer(self, page):
        """The decoded answer of one main-stream page, handed to `_sync_parse_page`.

        Called in the page's job. Receives the `q2c.sync.page` (its run, number and `cursor`:
        what the previous page's answer said). Default: GET of `_sync_page_request` through
        `_call`, its JSON body. Override when the API needs another method, a request body or
        the response headers (a cursor). Returns any value the connector's parser reads.
        Raises what `_call` raises: TransientError (retried), PermanentError (page dead)."""
        path, params = self._sync_page_request(page.run_id, page.page_no)
        return self._call("GET", path, params=params).json()

    def _sync_parse_page(self, data):
        """(normalised entries, what follows) of one answer of the main stream.

        Called in the page's job with what `_sync_fetch_answer` returned. Entries are dicts
        with the keys the stream's model ingests (`_q2c_ingest`); records not to import
        (running timers) are left out. What follows: an int, the total pages (page 1 then
        enqueues every other page); None, no more pages; a bool, for sources that only tell
        whether a next page exists (pages are then chained); or a string, the cursor the
        next page starts from (chained, kept on that page so its retries read the same page).
        Raises MappingError when the answer is malformed (the page is dead, the run goes
        on); any other exception is a bug and fails the job. Default: UserError."""
        raise UserError(_("System type %s cannot pull.", self.system_type))

    def _sync_fetch_stream_page(self, page):
        """(normalised entries, what follows) of one page of a stream other than `main`.

        Called in the page's job for the streams `_sync_extra_streams` names; the connector
        switches on `page.stream` itself and makes the calls it needs (the run's window is on
        `page.run_id`). Returns and raises as `_sync_parse_page`. Default: UserError."""
        raise UserError(
            _(
                "System type %(type)s has no stream %(stream)s.",
                type=self.system_type,
                stream=page.stream,
            )
        )

    def _sync_extra_streams(self, run):
        """Names of the streams `run` reads after its main stream, in order.

        Called when every page of a stream is settled (so a connector can leave a stream out
        depending on how the run went: no deletion check after a dead page); each stream
        starts at its page 1. Returns a list of names. Default: none."""
        return []

    def _sync_pages_addressable(self, stream):
        """Whether page N of `stream` can be asked without page N-1's answer.

        Called when a page of a chained stream is dead. True for page-number or offset
        paging without a total: the next page is asked anyway (two dead pages in a row end
        the stream). False (the default, safe for cursor paging): the pages after a dead one
        stay unread and the run ends partial."""
        return False

    def _sync_stream_model(self, stream):
        """The name of the model that writes the entries of `stream`.

        Called by `_sync_ingest` for every page, and by `run._reconcile_deletions`. The model
        answers `_q2c_ingest(system, entries)` (and, for deletion checks,
        `_q2c_missing_at_source` / `_q2c_mark_deleted_at_source`). The default model is
        given by whoever registers the pull: a time connector answers
        `account.analytic.line`. Raises UserError (this default)."""
        raise UserError(
            _(
                "System type %(type)s names no model for stream %(stream)s.",
                type=self.system_type,
                stream=stream,
            )
        )

    def _sync_run_complete(self, run):
        """Called once when every page of every stream of `run` is settled, in the
        transaction of the last page, before the run closes (a reconciliation that needs the
        whole re-read, a second watermark). Returns nothing. Default: nothing."""

    # --- the framework's own steps ---------------------------------------------------------

    def _sync_fetch_page(self, page):
        """(normalised entries, what follows) of one page: the main stream through
        `_sync_fetch_answer` and `_sync_parse_page`, other streams through
        `_sync_fetch_stream_page`."""
        if page.stream != MAIN_STREAM:
            return self._sync_fetch_stream_page(page)
        return self._sync_parse_page(self._sync_fetch_answer(page))

    def _sync_ingest(self, page, entries):
        """Write the normalised entries of `page` with the stream's model; one result dict per
        entry (statuses `created`, `updated`, `unchanged`, `rejected`). A rejected entry is
        held with its reason (no sender reads a pull's answer)."""
        model = self._sync_stream_model(page.stream)
        return self.env[model]._q2c_ingest(self, entries, hold_rejected=True)

    # --- cron ---------------------------------------------------------------------------------

    def _cron_pull(self):
        """Start a run for every pulling system that is due (its last run started at least
        `pull_interval` minutes ago) and has none under way.

        A run under way whose pages are all settled is closed first: when its last two pages
        commit at the same moment, each has read the other as unfinished (a transaction
        sees the database as it was when it began), so neither closed it."""
        # A system without its integration user has no one to run its pages as.
        systems = self.search([("pull_enabled", "=", True), ("user_id", "!=", False)])
        now = fields.Datetime.now()
        groups = (
            self.env["q2c.sync.run"]
            .sudo()
            ._read_group([("system_id", "in", systems.ids)], ["system_id"], ["started_at:max"])
        )
        last_starts = {system.id: started_at for system, started_at in groups}
        for system in systems:
            last = last_starts.get(system.id)
            # A minute of slack: a cron tick a few seconds early still counts.
            interval = timedelta(minutes=max(system.pull_interval, 1) - 1)
            if last and now - last < interval:
                continue
            running = system.sync_run_ids.filtered(lambda r: r.state == "running")
            for run in running:
                run._finish_if_complete()
            if not running.filtered(lambda r: r.state == "running"):
                system._sync_start_run()

    def _sync_start_run(self):
        """Open a run for records updated since the watermark (minus the overlap) and enqueue
        its first page, as the integration user."""
        self.ensure_one()
        since = False
        if self.pull_watermark:
            since = self.pull_watermark - timedelta(minutes=max(self.pull_overlap_minutes, 0))
        run = (
            self.env["q2c.sync.run"]
            .sudo()
            .create(
                {"system_id": self.id, "updated_since": since, "started_at": fields.Datetime.now()}
            )
        )
        run._add_pages([1])
        return run
