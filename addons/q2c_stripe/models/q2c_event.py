import json

from odoo import fields, models, sql_db
from odoo.addons.q2c_base.exceptions import PermanentError, TransientError

from .. import mapping


class Q2cEvent(models.Model):
    _inherit = "q2c.event"

    # Which Stripe object an applied event was about, and when Stripe made it: a later
    # event older than one already applied is out of order (its object is read again).
    stripe_object_id = fields.Char("Stripe Object", readonly=True, index="btree_not_null")
    stripe_created = fields.Integer("Stripe Event Time", readonly=True)

    def _get_handler(self):
        if self.system_type == "stripe" and self.event_type in mapping.PAYOUT_EVENTS:
            return self._handle_stripe_payout
        if self.system_type == "stripe" and self.event_type in mapping.HANDLED:
            return self._handle_stripe_money
        return super()._get_handler()

    def _handle_stripe_money(self, event=None):
        """Map the Stripe event to a neutral transaction and hand it to q2c_payment, which
        books it once per Stripe object; an event that changes nothing touches nothing.
        Where order matters, the object's newest state is read first (`_stripe_newest`),
        unless the caller gives it (`event`)."""
        system = self.system_id
        try:
            if event is None:
                event = self._stripe_newest(json.loads(self.sudo().payload))
            tx = mapping.transaction(event, final_only=system.stripe_fail_on_last_attempt)
        except mapping.StripeShapeError as error:
            raise PermanentError(f"Stripe {self.event_type}: {error}") from error
        if tx is None:
            return self.env["q2c.payment.settlement"]
        if self._stripe_needs_fee(tx):
            tx["fee"] = system._stripe_payment_fee(tx["external_id"], tx["currency"], self)
        return self.env["q2c.payment.settlement"]._apply(system, tx, self)

    def _stripe_newest(self, event):
        """The event with its object's newest state when order matters (`mapping.reread`):
        read from Stripe when the system says Always, or When Out of Order and an event of
        the same object made at the same time or later was already applied. Records the
        object and time on this event for the next one to compare with."""
        target = mapping.reread(event)
        if not target:
            return event
        object_id, path = target
        created = event.get("created") if isinstance(event.get("created"), int) else 0
        mode = self.system_id.stripe_reread or "stale"
        self._stripe_serialize(object_id)
        newest = event
        if mode == "always" or (
            mode == "stale" and self._stripe_newer_applied(object_id, created)
        ):
            newest = mapping.with_object(
                event, self.system_id._stripe_read_object(path, event=self)
            )
        self.sudo().write({"stripe_object_id": object_id, "stripe_created": created})
        return newest

    def _stripe_serialize(self, object_id):
        """One worker at a time per Stripe object (an invoice.paid and a payment_failed of
        the same invoice handled in the same second): a transaction-level advisory lock on
        (system, object). Held by another worker: this job is retried later. Taken, but
        an event of the object was applied by a transaction committed after this one began
        (this one cannot see it, PostgreSQL's repeatable read): retried too, to see it."""
        key = f"q2c_stripe:{self.system_id.id}:{object_id}"
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [key])
        if not self.env.cr.fetchone()[0]:
            raise TransientError(f"Stripe {object_id} is being handled", retry_after=2)
        seen = set(self._stripe_applied_ids(self.env.cr, object_id))
        with sql_db.db_connect(self.env.cr.dbname).cursor() as fresh:
            committed = set(self._stripe_applied_ids(fresh, object_id))
        if committed - seen:
            raise TransientError(f"Stripe {object_id} changed meanwhile", retry_after=1)

    def _stripe_applied_ids(self, cr, object_id):
        cr.execute(
            "SELECT id FROM q2c_event WHERE system_id = %s AND stripe_object_id = %s AND id != %s",
            [self.system_id.id, object_id, self.id],
        )
        return [row[0] for row in cr.fetchall()]

    def _stripe_newer_applied(self, object_id, created):
        return bool(
            self.sudo().search_count(
                [
                    ("system_id", "=", self.system_id.id),
                    ("stripe_object_id", "=", object_id),
                    ("stripe_created", ">=", created),
                    ("id", "!=", self.id),
                ],
                limit=1,
            )
        )

    def _handle_stripe_payout(self):
        """payout.paid / payout.failed: the payout's balance transactions (read from Stripe,
        every page) become statement lines of the clearing journal, once each, reconciled
        with the payments q2c booked. Nothing when no clearing journal is set."""
        system = self.system_id
        Line = self.env["account.bank.statement.line"]
        if not system.payment_payout_journal_id:
            return Line
        try:
            payout = mapping._object(json.loads(self.sudo().payload))
            transactions = system._stripe_payout_transactions(payout["id"], event=self)
            rows = mapping.payout_rows(payout, transactions)
        except mapping.StripeShapeError as error:
            raise PermanentError(f"Stripe {self.event_type}: {error}") from error
        return Line._q2c_import_payout(system, rows)

    def _stripe_needs_fee(self, tx):
        """Whether to read a payment's fee from Stripe: a payment by PaymentIntent whose event
        did not carry it, not booked yet, on a system booking fees and reading them."""
        system = self.system_id
        if not (
            tx["kind"] == "payment"
            and tx.get("fee") is None
            and tx["external_id"].startswith("pi_")
            and system.stripe_read_fees
            and system.payment_fee_account_id
        ):
            return False
        booked = self.env["q2c.payment.settlement"].search_count(
            [
                ("system_id", "=", system.id),
                ("kind", "=", "payment"),
                ("external_id", "=", tx["external_id"]),
                ("state", "in", ("settled", "superseded")),
            ]
        )
        return not booked
