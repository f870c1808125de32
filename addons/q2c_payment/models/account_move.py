import logging

import psycopg2

from odoo import _, api, fields, models
from odoo.addons.q2c_base.exceptions import PermanentError, TransientError
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import mute_logger

_logger = logging.getLogger(__name__)

DISPUTE_STATES = [("open", "Disputed"), ("won", "Dispute Won"), ("lost", "Dispute Lost")]
# Empty: not published (no gateway publishes the invoice, or it was posted before). After
# Published, the gateway copy follows the Odoo invoice (account_move_published.py): Voided,
# Paid Another Way, or Paid Online, Not Voided; Failed with a gateway id: that update failed.
PUBLICATION_STATES = [
    ("queued", "Queued"),
    ("published", "Published"),
    ("failed", "Failed"),
    # The gateway's invoice was voided (by q2c on cancelling, or at the gateway): the
    # customer can no longer pay it online.
    ("voided", "Voided at Gateway"),
    ("paid_elsewhere", "Paid Another Way"),
    ("not_voided", "Paid Online, Not Voided"),
]
PUBLICATION_FIELDS = {
    "q2c_publication_state",
    "q2c_publication_system_id",
    "q2c_publication_external_id",
    "q2c_payment_url",
    "q2c_publication_error",
    "q2c_paid_elsewhere_amount",
}


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "q2c.guarded.mixin"]

    q2c_dispute_state = fields.Selection(
        DISPUTE_STATES,
        string="Chargeback",
        copy=False,
        tracking=True,
        help="Set when the customer disputes a payment of this invoice with the card issuer "
        "(a chargeback); updated when the dispute closes.",
    )
    # Outbound publication (set-up a, docs/payments.md): written by the publication job only.
    q2c_publication_state = fields.Selection(
        PUBLICATION_STATES,
        string="Online Payment",
        copy=False,
        readonly=True,
        tracking=True,
        help="Whether the invoice was sent to the payment gateway so the customer can pay it "
        "online. Empty: not published.",
    )
    q2c_publication_system_id = fields.Many2one(
        "q2c.system",
        "Payment Gateway",
        copy=False,
        readonly=True,
        tracking=True,
        ondelete="set null",
    )
    q2c_publication_external_id = fields.Char(
        "Gateway Invoice", copy=False, readonly=True, tracking=True, index="btree_not_null"
    )
    q2c_payment_url = fields.Char(
        "Payment Link",
        copy=False,
        readonly=True,
        tracking=True,
        help="The gateway's page where the customer pays this invoice (also shown in the "
        "customer portal).",
    )
    q2c_publication_error = fields.Char(
        "Publication Problem", copy=False, readonly=True, tracking=True
    )
    # Technical: the job that publishes (or published) the invoice; not a workflow field.
    q2c_publication_job_uuid = fields.Char(copy=False, readonly=True)

    def _q2c_guarded_fields(self):
        return super()._q2c_guarded_fields() | PUBLICATION_FIELDS

    # --- enqueue -----------------------------------------------------------------------------

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._q2c_enqueue_publication()
        return posted

    def _q2c_publishing_system(self):
        """The first connected system that publishes this invoice (`_q2c_publishes`), or an
        empty recordset. Systems are configuration: read as superuser, acted on as their
        integration user."""
        self.ensure_one()
        systems = (
            self.env["q2c.system"]
            .sudo()
            .search(
                [("payment_publish_invoices", "=", True), ("company_id", "=", self.company_id.id)],
                order="id",
            )
        )
        return next((s for s in systems if s._q2c_publishes(self)), systems.browse())

    def _q2c_publication_due(self):
        """Whether this invoice still has to be published: a posted customer invoice with
        something to pay, no gateway id yet, and not a gateway's own invoice (a copy made
        by `q2c.payment.mirror` in set-up b, or bound to any gateway's invoice): the
        customer pays that one at its gateway, publishing it elsewhere would ask them to
        pay twice (docs/payments.md, "Publish Posted Invoices")."""
        self.ensure_one()
        return (
            self.move_type == "out_invoice"
            and self.state == "posted"
            and not self.q2c_publication_external_id
            and self.currency_id.compare_amounts(self.amount_residual, 0) > 0
            and not self._q2c_is_gateway_invoice()
        )

    def _q2c_is_gateway_invoice(self):
        """Whether this invoice is a gateway's own: being mirrored now (context
        `q2c_mirrored`, set by `q2c.payment.mirror` while it posts the copy, before the
        binding exists) or bound to an external invoice of any system."""
        self.ensure_one()
        if self.env.context.get("q2c_mirrored"):
            return True
        return bool(
            self.env["q2c.external.ref"]
            .sudo()
            .search_count(
                [
                    ("res_model", "=", "account.move"),
                    ("res_id", "=", self.id),
                    ("object_type", "in", ("invoice", "credit_note")),
                ],
                limit=1,
            )
        )

    def _q2c_enqueue_publication(self, system=None):
        """Queue one publication job per invoice due, on the system's channel, as the
        system's integration user (a job runs as whoever enqueued it: never sudo)."""
        for move in self.filtered(lambda m: m.move_type == "out_invoice"):
            target = system or move._q2c_publishing_system()
            if not target or not move._q2c_publication_due():
                continue
            as_user = move.with_user(target.user_id).with_company(move.company_id)
            job = as_user.with_delay(
                channel=target.job_channel,
                max_retries=max(target.event_max_retries, 1),
                description=f"q2c: publish {move.name} on {target.name}",
            )._q2c_publish_job(target.id)
            move._q2c_guarded_write(
                {
                    "q2c_publication_state": "queued",
                    "q2c_publication_system_id": target.id,
                    "q2c_publication_job_uuid": job.uuid,
                    "q2c_publication_error": False,
                }
            )

    # --- the job -----------------------------------------------------------------------------

    def _q2c_publish_job(self, system_id):
        """Publish this invoice on the gateway, once: guard (still due, locked against a
        second worker), act (`q2c.system._q2c_publish_invoice`), record the outcome."""
        self.ensure_one()
        self._q2c_lock_for_publication()
        if not self._q2c_publication_due():
            if self.q2c_publication_state in ("queued", "failed"):
                # Paid, cancelled or a gateway's own invoice meanwhile: not Queued forever.
                self._q2c_guarded_write(
                    {"q2c_publication_state": False, "q2c_publication_error": False}
                )
            return "nothing to publish"
        system = self.env["q2c.system"].browse(system_id)
        try:
            result = system._q2c_publish_invoice(self)
        except TransientError as error:
            raise RetryableJobError(str(error), seconds=error.retry_after) from error
        except (
            PermanentError,
            UserError,
            ValidationError,
            AccessError,
            NotImplementedError,
        ) as error:
            what = _("Publishing the invoice at %s failed", system.name)
            self._q2c_publication_failed(self._q2c_problem_words(what, error))
            # The raw answer (URL, HTTP status, body) stays in the job's result.
            return f"failed: {error}"
        self._q2c_publication_done(system, result)
        return f"published as {result['external_id']}"

    def _q2c_lock_for_publication(self):
        """Lock the invoice's row: a second worker running the same publication waits for
        no one, it is retried and then finds the invoice published."""
        self.env.flush_all()
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                self.env.cr.execute(
                    "SELECT id FROM account_move WHERE id = %s FOR NO KEY UPDATE NOWAIT",
                    [self.id],
                )
        except psycopg2.errors.LockNotAvailable as error:
            raise RetryableJobError(f"{self.name} is being published", seconds=10) from error
        self.invalidate_recordset()

    def _q2c_publication_done(self, system, result):
        self._q2c_guarded_write(
            {
                "q2c_publication_state": "published",
                "q2c_publication_system_id": system.id,
                "q2c_publication_external_id": result["external_id"],
                "q2c_payment_url": result.get("url") or False,
                "q2c_publication_error": False,
            }
        )
        # The gateway's payments of this invoice find it by this binding first.
        self.env["q2c.external.ref"]._bind(system, "invoice", result["external_id"], self)

    @api.model
    def _q2c_problem_words(self, what, error):
        """Publication Problem in a person's words: what q2c was doing (`what`), then the
        gateway's own sentence (`vendor_message` of the error, e.g. Stripe's
        `error.message`), else that it refused (with its HTTP status), else the error's
        own reason (a check of q2c's, a connection problem)."""
        words = getattr(error, "vendor_message", None)
        if not words and isinstance(error, PermanentError) and error.status:
            words = _("the gateway refused it (HTTP %s)", error.status)
        return f"{what}: {words or getattr(error, 'reason', None) or error}"

    def action_q2c_publish_again(self):
        """Publish Again (Finance), on an invoice whose online payment failed: queue its
        job now rather than at the hourly retry: the publication when the gateway holds no
        copy yet, else the update of its copy. The jobs decide from the invoice as it is
        and send nothing twice."""
        if not self.env.user.has_group("q2c_contract.group_q2c_finance"):
            raise AccessError(_("Only Finance publishes invoices again."))
        self.check_access("write")
        for move in self:
            if move.q2c_publication_state != "failed":
                raise UserError(_("%s has no failed publication.", move.name))
            if move.q2c_publication_external_id:
                move._q2c_enqueue_gateway_update()
            else:
                move._q2c_enqueue_publication(move.sudo().q2c_publication_system_id)
        return True

    def _q2c_publication_failed(self, reason):
        self._q2c_guarded_write(
            {"q2c_publication_state": "failed", "q2c_publication_error": reason[:500]}
        )

    def _q2c_publication_on_fail(self, exc_name=None, exc_message=None, **_kwargs):
        """queue_job's `on_fail` hook: the job ran out of tries or crashed; the invoice
        shows Failed with the reason, and the batch job queues it again later."""
        moves = self.exists().filtered(lambda m: not m.q2c_publication_external_id)
        moves._q2c_publication_failed(exc_message or exc_name or _("failed"))

    @api.model
    def _cron_q2c_publish_failed(self, limit=200):
        """The batch job: queue again the publications that failed, oldest first, and the
        updates of published invoices (void, paid another way) that failed."""
        self._q2c_retry_failed_gateway_updates(limit)
        moves = self.search(
            [
                ("q2c_publication_state", "=", "failed"),
                ("q2c_publication_external_id", "=", False),
                ("state", "=", "posted"),
            ],
            order="write_date, id",
            limit=limit,
        )
        for move in moves:
            move._q2c_enqueue_publication()
        return len(moves)
