from datetime import timedelta

from odoo import _, fields, models
from odoo.exceptions import UserError


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    time_pull_enabled = fields.Boolean(
        "Pull Time Entries",
        help="The pull cron starts a sync run for this system: one job per page of entries.",
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

    # --- hooks of pull connectors: `_<hook>_<system_type>` ------------------------------------

    def _time_page_request(self, run, page_no):
        """(path, query params) of page `page_no` (1-based) of `run`. Connectors add
        `_time_page_request_<system_type>(run, page_no)`."""
        request = self._dispatch("_time_page_request", run, page_no)
        if request is None:
            raise UserError(_("System type %s cannot pull time entries.", self.system_type))
        return request

    def _time_fetch_page(self, page):
        """The answer of one page (`q2c.time.sync.page`), decoded, for `_time_parse_page`.
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

    # --- cron ---------------------------------------------------------------------------------

    def _cron_pull_time(self):
        """Start a run for every pulling system that has none under way."""
        systems = self.search([("time_pull_enabled", "=", True)])
        for system in systems:
            running = system.time_sync_run_ids.filtered(lambda r: r.state == "running")
            if not running:
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
