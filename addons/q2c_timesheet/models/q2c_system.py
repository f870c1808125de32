from datetime import timedelta

from odoo import _, fields, models
from odoo.exceptions import UserError

from .q2c_time_sync_run import MAIN_STREAM


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    time_pull_enabled = fields.Boolean(
        "Pull Time Entries",
        help="The pull cron starts a sync run for this system: one job per page of entries.",
    )
    time_pull_interval = fields.Integer(
        "Pull Every (minutes)",
        default=15,
        help="How often this system is pulled: the cron (every 5 minutes) starts a run when the "
        "last one started at least this long ago.",
    )
    time_watermark = fields.Datetime(
        "Time Pulled Up To",
        readonly=True,
        copy=False,
        help="Entries updated since this moment are pulled on the next run. It advances only "
        "when every page of a run has been written and committed.",
    )
    time_overlap_minutes = fields.Integer(
        "Overlap (minutes)",
        default=5,
        help="The next run starts this long before the previous run's start: entries updated "
        "while a run was reading are pulled again (and found unchanged).",
    )
    time_page_size = fields.Integer("Entries per Page", default=500)
    time_page_max_retries = fields.Integer(
        "Tries per Page",
        default=5,
        help="Tries of one page on transient errors (HTTP 429, 5xx) before it is dead.",
    )
    time_sync_run_ids = fields.One2many("q2c.time.sync.run", "system_id", string="Sync Runs")

    # --- TRANSITIONAL (issue 10, hooks branch) -------------------------------------------------
    # q2c_base no longer finds hooks by name. Until the sync branch turns the pull hooks below
    # and the pull connectors' `_auth_headers_<type>` into real methods (and moves this file to
    # q2c_sync), they are still found by name here. Delete this block when merging that branch.

    def _dispatch(self, hook, *args):
        method = getattr(self, f"{hook}_{self.system_type}", None)
        return None if method is None else method(*args)

    def _auth_headers(self):
        headers = self._dispatch("_auth_headers")
        return super()._auth_headers() if headers is None else headers

    # --- hooks of pull connectors: `_<hook>_<system_type>` ------------------------------------

    def _time_page_request(self, run, page_no):
        """(path, query params) of page `page_no` (1-based) of `run`. Connectors add
        `_time_page_request_<system_type>(run, page_no)`."""
        request = self._dispatch("_time_page_request", run, page_no)
        if request is None:
            raise UserError(_("System type %s cannot pull time entries.", self.system_type))
        return request

    def _time_fetch_answer(self, page):
        """The answer of one main-stream page (`q2c.time.sync.page`), decoded, for
        `_time_parse_page`.
        Default: GET of `_time_page_request` and its JSON body. Connectors whose API needs
        another method, a request body or the response headers (a cursor) add
        `_time_fetch_page_<system_type>(page)`."""
        fetched = self._dispatch("_time_fetch_page", page)
        if fetched is not None:
            return fetched
        path, params = self._time_page_request(page.run_id, page.page_no)
        return self._call("GET", path, params=params).json()

    def _time_parse_page(self, data):
        """(normalised entries, total pages) of one answer: an int (page 1 then enqueues
        every other page), None (no more pages), a bool for sources that only tell
        whether a next page exists (pages are then chained), or a string: the cursor the
        next page starts from (chained, the cursor kept on that page so its retries read
        the same page). Connectors add `_time_parse_page_<system_type>(data)`; entries use
        the keys of `q2c_timesheet.ingest.validate`, and entries not to import (running
        timers) are left out."""
        parsed = self._dispatch("_time_parse_page", data)
        if parsed is None:
            raise UserError(_("System type %s cannot pull time entries.", self.system_type))
        return parsed

    def _time_fetch_page(self, page):
        """(normalised entries, total pages) of one page: see `_time_parse_page`.

        The main stream is fetched by `_time_fetch_answer` (one GET built by
        `_time_page_request`, unless the connector fetches its own way) and read by
        `_time_parse_page`. A connector's other streams (`_time_extra_streams`) add
        `_time_fetch_<system_type>_<stream>(page)`, free to make the calls they need (the
        run's window is on `page.run_id`)."""
        if page.stream != MAIN_STREAM:
            fetch = getattr(self, f"_time_fetch_{self.system_type}_{page.stream}", None)
            if fetch is None:
                raise UserError(_("System type %(type)s has no time stream %(stream)s.",
                                  type=self.system_type, stream=page.stream))  # fmt: skip
            return fetch(page)
        return self._time_parse_page(self._time_fetch_answer(page))

    def _time_ingest(self, page, entries):
        """Write the normalised entries of `page`; one result dict per entry (statuses
        `created`, `updated`, `unchanged`, `rejected`). Time entries by default; a stream
        that reads something else (expenses) is written by the model the connector names
        with `_time_stream_model_<type>(stream)`, whose `_q2c_ingest(system, entries)`
        answers the same results."""
        model = self._dispatch("_time_stream_model", page.stream) or "account.analytic.line"
        return self.env[model]._q2c_ingest(self, entries)

    def _time_extra_streams(self, run):
        """Names of the streams `run` reads after its main stream, in order; each starts at
        its page 1 once every page before it is settled. Asked again each time a stream
        settles, so a connector can leave a stream out depending on how the run went (no
        deletion check after a dead page). Connectors add `_time_extra_streams_<type>(run)`."""
        return self._dispatch("_time_extra_streams", run) or []

    def _time_pages_addressable(self, stream):
        """True when page N of `stream` can be asked without page N-1's answer (page-number
        or offset paging) although the source tells no total: a dead page is then stepped
        over. False (the default, safe for cursor paging): the pages after a dead one stay
        unread and the run ends partial. Connectors add
        `_time_pages_addressable_<type>(stream)`."""
        return bool(self._dispatch("_time_pages_addressable", stream))

    def _time_run_complete(self, run):
        """Called once when every page of every stream of `run` is settled, in the
        transaction of the last page, before the run closes (a reconciliation that needs
        the whole re-read goes here). Connectors add `_time_run_complete_<type>(run)`."""
        self._dispatch("_time_run_complete", run)

    # --- cron ---------------------------------------------------------------------------------

    def _cron_pull_time(self):
        """Start a run for every pulling system that is due (its last run started at least
        `time_pull_interval` minutes ago) and has none under way.

        A run under way whose pages are all settled is closed first: when its last two pages
        commit at the same moment, each has read the other as unfinished (a transaction
        sees the database as it was when it began), so neither closed it."""
        systems = self.search([("time_pull_enabled", "=", True)])
        now = fields.Datetime.now()
        last_starts = {
            system.id: started_at
            for system, started_at in self.env["q2c.time.sync.run"].sudo()._read_group(
                [("system_id", "in", systems.ids)], ["system_id"], ["started_at:max"]
            )
        }  # fmt: skip
        for system in systems:
            last = last_starts.get(system.id)
            # A minute of slack: a cron tick a few seconds early still counts.
            interval = timedelta(minutes=max(system.time_pull_interval, 1) - 1)
            if last and now - last < interval:
                continue
            running = system.time_sync_run_ids.filtered(lambda r: r.state == "running")
            for run in running:
                run._finish_if_complete()
            if not running.filtered(lambda r: r.state == "running"):
                system._time_start_run()

    def _time_start_run(self):
        """Open a run for entries updated since the watermark (minus the overlap) and enqueue
        its first page, as the integration user."""
        self.ensure_one()
        since = False
        if self.time_watermark:
            since = self.time_watermark - timedelta(minutes=max(self.time_overlap_minutes, 0))
        run = (
            self.env["q2c.time.sync.run"]
            .sudo()
            .create(
                {"system_id": self.id, "updated_since": since, "started_at": fields.Datetime.now()}
            )
        )
        run._add_pages([1])
        return run
