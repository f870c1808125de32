"""The rest of a published invoice's life (set-up a, docs/payments.md "After publication"):
the gateway copy follows the Odoo invoice. Cancelled or fully reversed in Odoo: the copy is
voided; paid another way in Odoo: the copy is marked paid out of band; voided at the
gateway: Online Payment reads Voided and Finance is told.

One job per change (`_q2c_gateway_update_job`), deciding from the invoice as it is when it
runs, under the publication's row lock, so a repeated or stale job sends nothing twice; each
request carries `q2c.system._q2c_idempotency_key`, and the outcome is recorded on the
invoice (a second job finds it done)."""

from odoo import _, api, fields, models
from odoo.addons.q2c_base.exceptions import PermanentError, TransientError
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_amount

# Online Payment states in which the gateway copy may still need an update (Failed with a
# gateway id: the last update failed, the hourly batch job tries it again).
UPDATABLE_STATES = ("published", "failed")
# What a connector's `_q2c_void_published_invoice` answers.
VOIDED, ALREADY_PAID = "voided", "paid"
# What a connector's `_q2c_mark_published_invoice_paid` answers.
MARKED_PAID, MARKED_PARTIAL, NOT_MARKED = "paid", "partial", "skipped"


class AccountMove(models.Model):
    _inherit = "account.move"

    q2c_paid_elsewhere_amount = fields.Monetary(
        "Paid Another Way",
        copy=False,
        readonly=True,
        tracking=True,
        help="What was paid on this invoice other than through its payment gateway (bank "
        "transfer, cash...) and reported to the gateway, so its online page no longer asks "
        "for it.",
    )
    # Technical: the last job bringing the gateway copy up to date; not a workflow field.
    q2c_update_job_uuid = fields.Char(copy=False, readonly=True)

    # --- triggers ----------------------------------------------------------------------------

    def write(self, vals):
        result = super().write(vals)
        if vals.get("state") == "cancel":
            self._q2c_enqueue_gateway_update()
        return result

    def _q2c_on_gateway(self):
        """The invoices of `self` that have a copy on a gateway that may need an update."""
        return self.filtered(
            lambda m: m.move_type == "out_invoice"
            and m.q2c_publication_external_id
            and m.q2c_publication_state in UPDATABLE_STATES
        )

    def _q2c_enqueue_gateway_update(self):
        """Queue one update job per invoice with a gateway copy, on its system's channel, as
        the system's integration user (never sudo). Called when an invoice is cancelled and
        when something is reconciled with it (a payment, a credit note); the job decides."""
        for move in self._q2c_on_gateway():
            system = move.sudo().q2c_publication_system_id
            if not system.user_id:
                continue
            as_user = move.with_user(system.user_id).with_company(move.company_id)
            job = as_user.with_delay(
                channel=system.job_channel,
                max_retries=max(system.event_max_retries, 1),
                description=f"q2c: update {move.name} on {system.name}",
            )._q2c_gateway_update_job()
            move.sudo().q2c_update_job_uuid = job.uuid

    @api.model
    def _q2c_retry_failed_gateway_updates(self, limit=200):
        """Queue again the updates of published invoices that failed (oldest first)."""
        moves = self.search(
            [
                ("q2c_publication_state", "=", "failed"),
                ("q2c_publication_external_id", "!=", False),
            ],
            order="write_date, id",
            limit=limit,
        )
        moves._q2c_enqueue_gateway_update()
        return len(moves)

    # --- the job -----------------------------------------------------------------------------

    def _q2c_gateway_update_job(self):
        """Bring the gateway copy in line with the invoice, once: guard (a copy that may
        still change, locked against a second worker), act (void, or mark paid), record the
        outcome on the invoice."""
        self.ensure_one()
        self._q2c_lock_for_publication()
        system = self.q2c_publication_system_id
        if not (self._q2c_on_gateway() and system):
            return "nothing to update"
        dead = self._q2c_gateway_copy_dead()
        try:
            if dead:
                return self._q2c_void_on_gateway(system)
            total = self._q2c_paid_elsewhere_total()
            if (
                self.state == "posted"
                and self.currency_id.compare_amounts(total, self.q2c_paid_elsewhere_amount) > 0
            ):
                return self._q2c_mark_paid_on_gateway(system, total)
        except TransientError as error:
            raise RetryableJobError(str(error), seconds=error.retry_after) from error
        except (PermanentError, UserError, ValidationError, AccessError) as error:
            what = (
                _("Voiding the invoice at %s failed", system.name)
                if dead
                else _("Marking the invoice paid at %s failed", system.name)
            )
            self._q2c_publication_failed(self._q2c_problem_words(what, error))
            return f"failed: {error}"
        if self.q2c_publication_state == "failed":
            self._q2c_guarded_write(
                {"q2c_publication_state": "published", "q2c_publication_error": False}
            )
        return "nothing to update"

    def _q2c_gateway_update_on_fail(self, exc_name=None, exc_message=None, **_kwargs):
        """queue_job's `on_fail` hook: out of tries; the invoice shows Failed with the
        reason, and the hourly batch job queues the update again."""
        self.exists()._q2c_on_gateway()._q2c_publication_failed(
            exc_message or exc_name or _("failed")
        )

    def _q2c_gateway_copy_dead(self):
        """Whether the customer must no longer pay the gateway copy: the invoice is
        cancelled, or fully reversed by a credit note (payment state Reversed)."""
        return self.state == "cancel" or (
            self.state == "posted" and self.payment_state == "reversed"
        )

    # --- void --------------------------------------------------------------------------------

    def _q2c_void_on_gateway(self, system):
        """Void the copy, unless it is paid: q2c booked its payment, or the gateway says so.
        A paid copy is left as it is and Finance is told (the money is the customer's
        credit, or to refund)."""
        booked = self._q2c_gateway_payment_booked(system)
        if booked or system._q2c_void_published_invoice(self) == ALREADY_PAID:
            self._q2c_guarded_write(
                {"q2c_publication_state": "not_voided", "q2c_publication_error": False}
            )
            self._q2c_tell_finance(
                system,
                _("Cancelled invoice paid online: not voided"),
                _(
                    "%(gateway)s invoice %(ref)s was already paid online: not voided. Keep "
                    "the money as the customer's credit, or refund it at %(gateway)s.",
                    gateway=system.name,
                    ref=self.q2c_publication_external_id,
                ),
            )
            return "paid online: not voided"
        self._q2c_guarded_write(
            {"q2c_publication_state": "voided", "q2c_publication_error": False}
        )
        self.message_post(
            body=_(
                "Voided at %(gateway)s (%(ref)s): the customer can no longer pay it online.",
                gateway=system.name,
                ref=self.q2c_publication_external_id,
            )
        )
        return "voided"

    def _q2c_gateway_payment_booked(self, system):
        """Whether q2c booked a payment of this invoice (or of its gateway copy) from the
        gateway: the copy is paid, whatever the Odoo invoice says since."""
        return bool(
            self.env["q2c.payment.settlement"]
            .sudo()
            .search_count(
                [
                    ("system_id", "=", system.id),
                    ("kind", "=", "payment"),
                    ("state", "=", "settled"),
                    ("payment_id", "!=", False),
                    "|",
                    ("move_id", "=", self.id),
                    ("gateway_invoice_id", "=", self.q2c_publication_external_id),
                ],
                limit=1,
            )
        )

    # --- paid another way --------------------------------------------------------------------

    def _q2c_paid_elsewhere_partials(self):
        """The reconciliations paying this invoice other than through the gateway that
        published it: payments and bank statement lines, not credit notes or reversals, not
        exchange differences, not payments q2c booked from that gateway by its reference
        (q2c.payment.settlement). A payment booked from another gateway (published on
        Stripe, paid through PayPal), or one of the same gateway that a person matched to
        the invoice (it did not pay the gateway's copy), counts: the copy still asks for it."""
        booked = (
            self.env["q2c.payment.settlement"]
            .sudo()
            .search(
                [
                    ("move_id", "=", self.id),
                    ("payment_id", "!=", False),
                    ("system_id", "=", self.sudo().q2c_publication_system_id.id),
                    ("matched_by_hand", "=", False),
                ]
            )
        )
        gateway_payments = (booked.payment_id | booked.payment_ids).move_id
        partials = []
        for values in self._get_all_reconciled_invoice_partials() or []:
            counterpart = values["aml"].move_id
            if (
                values["is_exchange"]
                or counterpart.move_type in ("out_refund", "out_invoice")
                or counterpart.reversed_entry_id == self
                or counterpart in gateway_payments
            ):
                continue
            partials.append((values["amount"], counterpart))
        return partials

    def _q2c_paid_elsewhere_total(self):
        """What was paid on this invoice another way, in its currency."""
        self.ensure_one()
        return self.currency_id.round(sum(a for a, _m in self._q2c_paid_elsewhere_partials()))

    def _q2c_paid_elsewhere_method(self):
        """`bank` when every payment made another way went through a bank journal (a bank
        transfer), else `other` (cash, a cheque journal, a manual entry): connectors name
        the method in the gateway's words."""
        journals = self.env["account.journal"].browse(
            {m.journal_id.id for _a, m in self._q2c_paid_elsewhere_partials()}
        )
        return "bank" if journals and all(j.type == "bank" for j in journals) else "other"

    def _q2c_mark_paid_on_gateway(self, system, total):
        """Tell the gateway what was paid another way since it was last told (`total` less
        what it was told), and record it. The connector answers whether the copy is now
        closed, partly paid, or could not take a partial payment (then Finance is told)."""
        amount = self.currency_id.round(total - self.q2c_paid_elsewhere_amount)
        outcome = system._q2c_mark_published_invoice_paid(self, amount)
        vals = {"q2c_paid_elsewhere_amount": total, "q2c_publication_error": False}
        vals["q2c_publication_state"] = "paid_elsewhere" if outcome == MARKED_PAID else "published"
        self._q2c_guarded_write(vals)
        paid = format_amount(self.env, amount, self.currency_id)
        if outcome == NOT_MARKED:
            self._q2c_tell_finance(
                system,
                _("Partly paid another way: the online page asks for the whole invoice"),
                _(
                    "%(amount)s was paid another way, but %(gateway)s cannot record a partial "
                    "payment: its page still asks the customer for the whole invoice. An "
                    "overpayment there waits in Payments to Match.",
                    amount=paid,
                    gateway=system.name,
                ),
            )
            return "partial payment not sent"
        self.message_post(
            body=_(
                "%(amount)s paid another way was recorded at %(gateway)s (%(ref)s).",
                amount=paid,
                gateway=system.name,
                ref=self.q2c_publication_external_id,
            )
        )
        return f"marked {outcome}"

    # --- voided at the gateway (inbound) -----------------------------------------------------

    @api.model
    def _q2c_gateway_copy_voided(self, system, external_id):
        """The gateway voided (cancelled) its copy `external_id` of an invoice q2c
        published: Online Payment reads Voided, and Finance is told while the invoice is
        still due (the Odoo invoice itself is never cancelled from the gateway). Nothing
        when q2c voided it itself, or for a gateway invoice q2c did not publish. Returns
        the invoice touched, or an empty recordset."""
        move = self.env["q2c.external.ref"]._find(system, "invoice", external_id)
        if not (
            move
            and move._name == "account.move"
            and move.q2c_publication_external_id == external_id
            and move.q2c_publication_state != "voided"
        ):
            return self.browse()
        move._q2c_guarded_write(
            {"q2c_publication_state": "voided", "q2c_publication_error": False}
        )
        message = _(
            "%(gateway)s invoice %(ref)s was cancelled at %(gateway)s: the customer can no "
            "longer pay it online.",
            gateway=system.name,
            ref=external_id,
        )
        if move.state == "posted" and not move.currency_id.is_zero(move.amount_residual):
            move._q2c_tell_finance(
                system,
                _("Online payment cancelled at the gateway: collect the invoice another way"),
                _(
                    "%(message)s The invoice stays open in Odoo (%(due)s due): collect it "
                    "another way, or cancel it.",
                    message=message,
                    due=format_amount(self.env, move.amount_residual, move.currency_id),
                ),
            )
        else:
            move.message_post(body=message)
        return move

    def _q2c_tell_finance(self, system, summary, note):
        """A to-do for the gateway's Finance Contact (else the salesperson) on the invoice,
        its `note` also in the chatter."""
        user = system.payment_activity_user_id or self.invoice_user_id or self.env.user
        self.activity_schedule(
            "mail.mail_activity_data_todo", summary=summary, note=note, user_id=user.id
        )
        self.message_post(body=note)
