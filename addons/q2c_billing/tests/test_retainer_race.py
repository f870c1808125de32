import threading

import psycopg2

from odoo import SUPERUSER_ID, Command, api, sql_db
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

FIRST_DAY = "2031-01-15"


@tagged("post_install", "-at_install")
class TestRetainerRace(TransactionCase):
    """One retainer contract and period billed by racing transactions on real connections
    (the test cursor would serialize them): the funds are invoiced once.

    Contract "Retainer race": 3,100.00 a month from 2031-01-15; its January run (invoice
    2031-02-01) bills January's funds, prorated 3,100.00 x 17/31 = 1,700.00, and
    February's in advance, 3,100.00: 4,800.00, once. The data is committed for the test (on
    the main company, its first sales journal) and deleted afterwards."""

    def _cursor(self):
        return sql_db.db_connect(self.env.cr.dbname).cursor()

    def _set_up(self, env):
        company = env.ref("base.main_company")
        created = {}
        if not company.q2c_retainer_account_id:
            account = env["account.account"].create(
                {
                    "code": "219931",
                    "name": "Retainer race advances (test)",
                    "account_type": "liability_current",
                    "company_ids": [Command.set(company.ids)],
                }
            )
            company.q2c_retainer_account_id = account
            created["account"] = account.id
        partner = env["res.partner"].create({"name": "Retainer race (test)"})
        contract = env["q2c.contract"].create(
            {
                "name": "Retainer race",
                "partner_id": partner.id,
                "company_id": company.id,
                "currency_id": company.currency_id.id,
                "billing_model": "retainer",
                "billing_cycle": "monthly",
                "prebill_review_required": False,
                "retainer_amount": 3100.00,
                "date_start": FIRST_DAY,
            }
        )
        contract.action_activate()
        created.update(partner=partner.id, contract=contract.id, runs=[])
        return created

    def _new_run(self, env, created):
        """January 2031 for the contract, committed with `env`'s cursor by the caller."""
        run = env["q2c.billing.run"].create(
            {
                "company_id": env.ref("base.main_company").id,
                "date_from": "2031-01-01",
                "date_to": "2031-01-31",
                "cutoff": "2031-02-01 06:00:00",
                "invoice_date": "2031-02-01",
                "selection": "manual",
                "contract_ids": [Command.set([created["contract"]])],
            }
        )
        created["runs"].append(run.id)
        return run

    def _tear_down(self, created):
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            contract = env["q2c.contract"].browse(created["contract"])
            env["account.move"].search([("q2c_contract_id", "=", contract.id)]).unlink()
            cr.execute("DELETE FROM q2c_retainer_drawdown WHERE contract_id = %s", [contract.id])
            cr.execute("DELETE FROM q2c_retainer_bucket WHERE contract_id = %s", [contract.id])
            runs = env["q2c.billing.run"].browse(created["runs"])
            cr.execute(
                "DELETE FROM queue_job WHERE uuid IN %s",
                [tuple(runs.line_ids.filtered("job_uuid").mapped("job_uuid")) or ("",)],
            )
            cr.execute("DELETE FROM q2c_billing_run WHERE id IN %s", [tuple(runs.ids) or (0,)])
            cr.execute("DELETE FROM q2c_contract WHERE id = %s", [contract.id])
            cr.execute("DELETE FROM res_partner WHERE id = %s", [created["partner"]])
            if created.get("account"):
                company = env.ref("base.main_company")
                company.q2c_retainer_account_id = False
                cr.execute("DELETE FROM account_account WHERE id = %s", [created["account"]])

    def _worker(self, env, uuid, results, name, first_built):
        """Perform the job as a queue_job worker does: commit when it ends, roll back when
        it fails to serialize (queue_job then retries it)."""
        try:
            if name == "second":
                first_built.wait(10)
            try:
                with mute_logger("odoo.sql_db"):
                    Job.load(env, uuid).perform()
                results[name] = "performed"
            except psycopg2.errors.SerializationFailure:
                results[name] = "serialization failure"
                env.cr.rollback()
                return
            except RetryableJobError:
                results[name] = "put back"
                env.cr.rollback()
                return
            if name == "first":
                first_built.set()
                # Keep the invoice uncommitted while the second worker starts.
                threading.Event().wait(1.0)
            env.cr.commit()
        finally:
            env.cr.close()

    def _assert_billed_once(self, created, run_id):
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            contract = env["q2c.contract"].browse(created["contract"])
            invoices = env["account.move"].search([("q2c_contract_id", "=", contract.id)])
            self.assertEqual(len(invoices), 1)
            self.assertEqual(
                invoices.currency_id.compare_amounts(invoices.amount_total, 4800.00), 0
            )
            funds = contract.retainer_bucket_ids
            self.assertEqual(
                sorted(str(fund.valid_from) for fund in funds), ["2031-01-15", "2031-02-01"]
            )
            self.assertEqual(funds.invoice_line_id.move_id, invoices)
            self.assertEqual(len(funds.invoice_line_id), 2)
            line = env["q2c.billing.run"].browse(run_id).line_ids
            self.assertEqual((line.state, line.invoice_id), ("done", invoices))

    def test_two_workers_invoice_the_funds_once(self):
        """The run's job performed twice at the same time (two workers took it: queue_job
        requeues a started job whose worker it believes dead). The first locks the result,
        writes the contract's row, builds the invoice and commits a second later; the
        second finds the result held and does not wait: it is put back in the queue
        (RetryableJobError) and, asked again, finds the result done."""
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            created = self._set_up(env)
            run = self._new_run(env, created)
            run.action_prepare()
            uuid, run_id = run.line_ids.job_uuid, run.id
        results, first_built = {}, threading.Event()
        # Environments are made here: a thread may not take the registry's lock, which the
        # test runner holds.
        envs = {
            name: api.Environment(self._cursor(), SUPERUSER_ID, {})
            for name in ("first", "second", "retry")
        }

        def start(*names):
            threads = [
                threading.Thread(
                    target=self._worker, args=(envs[name], uuid, results, name, first_built)
                )
                for name in names
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)

        try:
            start("first", "second")
            # queue_job asks again the job it put back.
            start("retry")
            self.assertEqual(results["first"], "performed")
            self.assertEqual(results["second"], "put back")
            self.assertEqual(results["retry"], "performed")
            self._assert_billed_once(created, run_id)
        finally:
            for env in envs.values():
                if not env.cr.closed:
                    env.cr.close()
            self._tear_down(created)

    def _prepare(self, env, run_id, results, name, first_claimed):
        """Prepare a run (claim its contract's period, enqueue the job) and commit, as
        Finance's two clicks in two browsers do."""
        try:
            if name == "second":
                first_claimed.wait(10)
            run = env["q2c.billing.run"].browse(run_id)
            with mute_logger("odoo.sql_db"):
                run.action_prepare()
            results[name] = (run.line_ids.state, run.line_ids.reason, run.line_ids.job_uuid)
            if name == "first":
                first_claimed.set()
                # Keep the claim uncommitted while the second run claims.
                threading.Event().wait(1.0)
            env.cr.commit()
        finally:
            env.cr.close()

    def test_two_runs_of_the_same_period_claim_it_once(self):
        """Two runs of January prepared at the same moment: neither sees the other's claim
        (not committed yet); the second's claim waits on the unique index of (contract,
        period) and is refused when the first commits: its result is blocked, no job. The
        first run's job invoices the funds once: 4,800.00."""
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            created = self._set_up(env)
            run_ids = {"first": self._new_run(env, created).id}
            run_ids["second"] = self._new_run(env, created).id
        results, first_claimed = {}, threading.Event()
        envs = {
            name: api.Environment(self._cursor(), SUPERUSER_ID, {})
            for name in ("first", "second", "worker")
        }
        try:
            threads = [
                threading.Thread(
                    target=self._prepare,
                    args=(envs[name], run_ids[name], results, name, first_claimed),
                )
                for name in ("first", "second")
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            state, _reason, uuid = results["first"]
            self.assertEqual(state, "to_do")
            state, reason, second_uuid = results["second"]
            self.assertEqual(state, "blocked")
            self.assertIn("same period at the same time", reason)
            self.assertFalse(second_uuid)
            worker = threading.Thread(
                target=self._worker, args=(envs["worker"], uuid, results, "worker", None)
            )
            worker.start()
            worker.join(30)
            self._assert_billed_once(created, run_ids["first"])
        finally:
            for env in envs.values():
                if not env.cr.closed:
                    env.cr.close()
            self._tear_down(created)
