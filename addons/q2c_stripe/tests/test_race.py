import json
import threading
import time

import psycopg2

from odoo import SUPERUSER_ID, Command, api, sql_db
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestStripeRace(TransactionCase):
    """The same Stripe event performed by two queue_job workers at once (queue_job requeues
    a started job whose worker it believes dead), on real connections (the test cursor
    would serialize them): the payment is booked once. The data is committed for the test
    (main company, its first bank journal) and deleted afterwards."""

    def _cursor(self):
        return sql_db.db_connect(self.env.cr.dbname).cursor()

    def _set_up(self, env):
        company = env.ref("base.main_company")
        groups = (
            env.ref("base.group_user")
            | env.ref("base.group_partner_manager")
            | env.ref("account.group_account_invoice")
            | env.ref("q2c_base.group_integration_user")
        )
        user = env["res.users"].create(
            {
                "name": "Stripe race",
                "login": f"q2c_stripe_race_{int(time.time() * 1000)}",
                "groups_id": [Command.set(groups.ids)],
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
            }
        )
        journal = env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
        )
        system = env["q2c.system"].create(
            {
                "name": "Stripe race",
                "system_type": "stripe",
                "user_id": user.id,
                "company_id": company.id,
                "payment_journal_id": journal.id,
                "stripe_read_fees": False,
                "stripe_reread": "never",
            }
        )
        partner = env["res.partner"].create({"name": "Stripe race customer"})
        invoice = env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "company_id": company.id,
                "invoice_line_ids": [
                    Command.create({"name": "Race", "quantity": 1, "price_unit": 100.0})
                ],
            }
        )
        invoice.action_post()
        amount = round(invoice.amount_total * 100)
        payload = {
            "id": "evt_race_1",
            "object": "event",
            "type": "invoice.paid",
            "created": int(time.time()),
            "livemode": False,
            "data": {
                "object": {
                    "id": "in_race_1",
                    "object": "invoice",
                    "status": "paid",
                    "currency": invoice.currency_id.name.lower(),
                    "amount_paid": amount,
                    "metadata": {"q2c_invoice": invoice.name},
                    "payments": {"data": [{"payment": {"payment_intent": "pi_race_1"}}]},
                }
            },
        }
        event = (
            env["q2c.event"]
            .sudo()
            ._store_inbound(
                system,
                [
                    {
                        "external_id": payload["id"],
                        "event_type": payload["type"],
                        "payload": json.dumps(payload),
                    }
                ],
                {},
            )[0][1]
        )
        event._enqueue()
        return {
            "user": user.id,
            "system": system.id,
            "partner": partner.id,
            "invoice": invoice.id,
            "event": event.id,
            "uuid": event.job_uuid,
        }

    def _tear_down(self, created):
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            rows = env["q2c.payment.settlement"].search([("system_id", "=", created["system"])])
            payments = rows.payment_id
            invoice = env["account.move"].browse(created["invoice"])
            moves = payments.move_id | invoice
            moves.line_ids.remove_move_reconcile()
            payments.action_draft()
            invoice.button_draft()
            payments.unlink()
            invoice.with_context(force_delete=True).unlink()
            cr.execute(
                "DELETE FROM q2c_payment_settlement WHERE system_id = %s", [created["system"]]
            )
            cr.execute("DELETE FROM q2c_event_link WHERE event_id = %s", [created["event"]])
            cr.execute("DELETE FROM q2c_event WHERE system_id = %s", [created["system"]])
            cr.execute("DELETE FROM queue_job WHERE uuid = %s", [created["uuid"]])
            cr.execute("DELETE FROM q2c_outbound_log WHERE system_id = %s", [created["system"]])
            cr.execute("DELETE FROM q2c_system WHERE id = %s", [created["system"]])
            # The Register Payment wizard q2c used (transient, vacuumed later) names them.
            cr.execute(
                "DELETE FROM account_payment_register WHERE partner_id = %s", [created["partner"]]
            )
            env["res.partner"].browse(created["partner"]).unlink()
            env["res.users"].browse(created["user"]).unlink()

    def _worker(self, env, uuid, results, name, first_done):
        """Perform the job as a queue_job worker does: commit when it ends; roll back when
        it fails to serialize or asks to be retried (queue_job then retries it)."""
        try:
            if name == "second":
                first_done.wait(10)
            try:
                with mute_logger("odoo.sql_db"):
                    results[name] = Job.load(env, uuid).perform()
            except (psycopg2.errors.SerializationFailure, RetryableJobError) as error:
                results[name] = type(error).__name__
                env.cr.rollback()
                return
            if name == "first":
                first_done.set()
                # Keep the booking uncommitted while the second worker runs.
                threading.Event().wait(1.0)
            env.cr.commit()
        finally:
            env.cr.close()

    def test_same_event_on_two_workers_books_once(self):
        """Both workers read the event queued; the first books the payment and commits a
        second later; the second meets the first's rows (the event's, or the unique key of
        the gateway transaction) and is retried; retried, it finds the event done. One
        settlement row, one payment, the invoice paid."""
        with self._cursor() as cr:
            created = self._set_up(api.Environment(cr, SUPERUSER_ID, {}))
        results, first_done = {}, threading.Event()
        envs = {
            name: api.Environment(self._cursor(), SUPERUSER_ID, {})
            for name in ("first", "second", "retry")
        }

        def start(*names):
            threads = [
                threading.Thread(
                    target=self._worker,
                    args=(envs[name], created["uuid"], results, name, first_done),
                )
                for name in names
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)

        try:
            start("first", "second")
            start("retry")
            self.assertEqual(results["first"], "done")
            self.assertIn(results["second"], ("SerializationFailure", "RetryableJobError"))
            self.assertTrue(results["retry"].startswith("skipped"), results["retry"])
            with self._cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                rows = env["q2c.payment.settlement"].search(
                    [("system_id", "=", created["system"])]
                )
                self.assertEqual((len(rows), rows.state), (1, "settled"))
                self.assertEqual(len(rows.payment_id), 1)
                invoice = env["account.move"].browse(created["invoice"])
                self.assertIn(invoice.payment_state, ("paid", "in_payment"))
                self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        finally:
            for env in envs.values():
                if not env.cr.closed:
                    env.cr.close()
            self._tear_down(created)
