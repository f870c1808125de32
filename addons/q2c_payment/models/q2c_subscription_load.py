"""Set-up b, the initial load: the subscriptions a gateway already bills, read from its list
API page by page and mirrored once each (docs/payments.md, "Loading existing
subscriptions").

Generic here: the button, the page jobs (one job per page, each queuing the next, so a
failure retries only its page), the counters on the system. Per connector:
`q2c.system._q2c_subscription_page(page_cursor) -> (payloads, next_page_cursor)` reads one
page, and `q2c.event._q2c_apply_loaded_subscription(payload)` mirrors one subscription of it.
(`page_cursor`, not `cursor`: Odoo's `_()` takes a local named `cursor` for the database's.)

Each subscription read becomes an inbound event of type `q2c.subscription.loaded` (the
payload as read, its id `load:<subscription id>:<digest of the payload>`), applied at once in
the page's job through the connector's usual path. So a rerun stores nothing for a
subscription that did not change (same id: a duplicate) and applies the ones that did; and a
subscription whose customer Odoo does not know waits as today's events do (dead, with a
possible-duplicate exception), and is mirrored when a person decides."""

import hashlib
import json
import logging

import requests

from odoo import _, fields, models
from odoo.addons.q2c_base.exceptions import TransientError
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.exceptions import AccessError, UserError

_logger = logging.getLogger(__name__)

LOAD_EVENT = "q2c.subscription.loaded"
LOAD_GROUPS = ("q2c_contract.group_q2c_finance", "base.group_system")


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    supports_subscription_load = fields.Boolean(
        compute="_compute_feature_support_fields",
        help="The gateway lists its subscriptions (`_q2c_subscription_page`): they can be "
        "loaded once when the gateway invoices.",
    )
    subscription_load_run = fields.Integer(readonly=True, copy=False)
    subscription_load_state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        "Subscription Load",
        readonly=True,
        copy=False,
    )
    subscription_load_started_at = fields.Datetime("Last Load Started", readonly=True, copy=False)
    subscription_load_done_at = fields.Datetime("Last Load Finished", readonly=True, copy=False)
    subscription_load_count = fields.Integer(
        "Subscriptions Read",
        readonly=True,
        copy=False,
        help="How many subscriptions the last load read from the gateway (each mirrored once; "
        "those of a customer Odoo does not know wait in Integrations > Exceptions).",
    )
    subscription_load_pages = fields.Integer("Pages Read", readonly=True, copy=False)
    subscription_load_error = fields.Char("Load Problem", readonly=True, copy=False)

    def _compute_feature_support_fields(self):
        result = super()._compute_feature_support_fields()
        self.update({"supports_subscription_load": False})
        return result

    def action_q2c_load_subscriptions(self):
        """Load Existing Subscriptions: queue the first page's job (Finance or an
        administrator; the gateway must invoice). A new load supersedes one still running:
        its next page is not read."""
        if not any(self.env.user.has_group(group) for group in LOAD_GROUPS):
            raise AccessError(_("Only Finance or an administrator loads subscriptions."))
        self.check_access("read")
        for system in self:
            if not (system.supports_subscription_load and system._payment_mirrors_invoices()):
                raise UserError(
                    _(
                        "%s does not invoice subscriptions: set Who Invoices to the gateway "
                        "first.",
                        system.name,
                    )
                )
            if not system.user_id:
                raise UserError(system._integration_user_problem())
            run = system.subscription_load_run + 1
            system.sudo().write(
                {
                    "subscription_load_run": run,
                    "subscription_load_state": "running",
                    "subscription_load_started_at": fields.Datetime.now(),
                    "subscription_load_done_at": False,
                    "subscription_load_count": 0,
                    "subscription_load_pages": 0,
                    "subscription_load_error": False,
                }
            )
            system._q2c_queue_subscription_page(None, run)
        return True

    def _q2c_queue_subscription_page(self, page_cursor, run):
        """The job reading one page, as the system's integration user."""
        self.ensure_one()
        return (
            self.with_user(self.user_id)
            .with_delay(
                channel=self.job_channel,
                description=_(
                    "q2c: load subscriptions of %(system)s (page %(page)s)",
                    system=self.name,
                    page=self.subscription_load_pages + 1,
                ),
            )
            ._q2c_load_subscription_page(page_cursor, run)
        )

    def _q2c_load_subscription_page(self, page_cursor, run):
        """Job: read one page, apply each subscription on it, count, queue the next page or
        mark the load done. A transient failure (429 or 5xx after the client's own retries,
        a timeout) retries this page only; nothing of it is kept meanwhile."""
        self.ensure_one()
        if self.subscription_load_run != run:
            return "superseded by a newer load"
        try:
            payloads, next_page_cursor = self._q2c_subscription_page(page_cursor)
            for payload in payloads:
                self._q2c_store_loaded_subscription(payload)
        except (TransientError, requests.Timeout, requests.ConnectionError) as error:
            reason = getattr(error, "reason", None) or str(error) or type(error).__name__
            raise RetryableJobError(reason, seconds=getattr(error, "retry_after", None)) from error
        vals = {
            "subscription_load_count": self.subscription_load_count + len(payloads),
            "subscription_load_pages": self.subscription_load_pages + 1,
        }
        if not next_page_cursor:
            vals.update(
                {
                    "subscription_load_state": "done",
                    "subscription_load_done_at": fields.Datetime.now(),
                }
            )
        self.sudo().write(vals)
        if next_page_cursor:
            self._q2c_queue_subscription_page(next_page_cursor, run)
        return f"{len(payloads)} subscription(s) read, next page: {bool(next_page_cursor)}"

    def _q2c_store_loaded_subscription(self, payload):
        """One subscription read: stored as an event (once per content) and applied now."""
        external_id = self._q2c_loaded_subscription_id(payload)
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
        Event = self.env["q2c.event"]
        [(_ext, event)] = Event._store_inbound(
            self,
            [
                {
                    "external_id": f"load:{external_id}:{digest}",
                    "event_type": LOAD_EVENT,
                    "payload": json.dumps(payload),
                }
            ],
            {},
        )
        if event:
            event._process()
        return event

    def _q2c_subscription_load_on_fail(self, exc_name=None, exc_message=None, **_kwargs):
        """queue_job's `on_fail` hook of a page job: its retries ran out or the gateway
        refused; the load shows it (the pages read before stay applied)."""
        system = self.sudo().exists()
        if system.subscription_load_state == "running":
            system.write(
                {
                    "subscription_load_state": "failed",
                    "subscription_load_error": exc_message or exc_name or _("failed"),
                }
            )

    # --- per connector ---------------------------------------------------------------------

    def _q2c_subscription_page(self, page_cursor):
        """One page of the gateway's subscriptions: (payloads, next_page_cursor).

        Called by the page job as the system's integration user, `page_cursor` None for the
        first page, else what the previous page returned; `next_page_cursor` None on the last
        page.
        Each payload is a JSON-able dict the connector's
        `q2c.event._q2c_apply_loaded_subscription` mirrors (the subscription, and its
        customer when the list gives it). Raises TransientError (the page is retried) or
        PermanentError (the load fails with the reason)."""
        raise NotImplementedError(_("%s cannot list subscriptions.", self.display_name))

    def _q2c_loaded_subscription_id(self, payload):
        """The gateway's id of the subscription in a payload of `_q2c_subscription_page`."""
        raise NotImplementedError(_("%s cannot list subscriptions.", self.display_name))


class Q2cEvent(models.Model):
    _inherit = "q2c.event"

    def _get_handler(self):
        if self.event_type == LOAD_EVENT:
            return self._handle_loaded_subscription
        return super()._get_handler()

    def _handle_loaded_subscription(self):
        """A subscription read by the initial load: mirrored by its connector."""
        return self._q2c_apply_loaded_subscription(json.loads(self.sudo().payload))

    def _q2c_apply_loaded_subscription(self, payload):
        """Mirror one subscription of a load page (`q2c.payment.mirror._mirror_subscription`)
        and return it. Connectors override it for their type."""
        raise NotImplementedError(_("%s cannot load subscriptions.", self.system_id.display_name))
