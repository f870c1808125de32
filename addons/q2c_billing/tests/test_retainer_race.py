import threading

import psycopg2

from odoo import SUPERUSER_ID, Command, api, sql_db
from odoo.addons.queue_job.job import Job
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

FIRST_DAY = "2031-01-15"


@tagged("post_install", "-at_install")
class TestRetainerRace(TransactionCase):
    """The job of one retainer contract and period performed twice at the same time, on two
    real connections (two workers took the same job: queue_job requeues a started job whose
    worker it believes dead): the funds are invoiced once.

    Contract "Retainer race": 3,100.00 a month from 2031-01-15; its January run (invoice
    2031-02-01) bills January's funds, prorated 3,100.00 x 17/31 = 1,700.00, and
    February's in advance, 3,100.00: 4,800.00. Both workers read the result "to do"; the
    first writes the contract's row, builds the invoice and commits a second later; the
    second waits on the contract's row, then fails to serialize (queue_job retries such a
    job) and, retried, finds the result done. The data is committed for the test (on the
    main company, its first sales journal) and deleted afterwards."""

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
        run = env["q2c.billing.run"].create(
            {
                "company_id": company.id,
                "date_from": "2031-01-01",
                "date_to": "2031-01-31",
                "cutoff": "2031-02-01 06:00:00",
                "invoice_date": "2031-02-01",
                "selection": "manual",
                "contract_ids": [Command.set(contract.ids)],
            }
        )
        run.action_prepare()
        created.update(partner=partner.id, contract=contract.id, run=run.id)
        return created, run.line_ids.job_uuid

    def _tear_down(self, created):
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            contract = env["q2c.contract"].browse(created["contract"])
            env["account.move"].search([("q2c_contract_id", "=", contract.id)]).unlink()
            cr.execute("DELETE FROM q2c_retainer_drawdown WHERE contract_id = %s", [contract.id])
            cr.execute("DELETE FROM q2c_retainer_bucket WHERE contract_id = %s", [contract.id])
            run = env["q2c.billing.run"].browse(created["run"])
            cr.execute(
                "DELETE FROM queue_job WHERE uuid IN %s",
                [tuple(run.line_ids.mapped("job_uuid")) or ("",)],
            )
            cr.execute("DELETE FROM q2c_billing_run WHERE id = %s", [run.id])
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
            if name == "first":
                first_built.set()
                # Keep the invoice uncommitted while the second worker starts.
                threading.Event().wait(1.0)
            env.cr.commit()
        finally:
            env.cr.close()

    def _assert_billed_once(self, created):
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
            line = env["q2c.billing.run"].browse(created["run"]).line_ids
            self.assertEqual((line.state, line.invoice_id), ("done", invoices))

    def test_two_workers_invoice_the_funds_once(self):
        with self._cursor() as cr:
            created, uuid = self._set_up(api.Environment(cr, SUPERUSER_ID, {}))
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
            # queue_job retries the job that failed to serialize.
            start("retry")
            self.assertEqual(results["first"], "performed")
            self.assertEqual(results["second"], "serialization failure")
            self.assertEqual(results["retry"], "performed")
            self._assert_billed_once(created)
        finally:
            for env in envs.values():
                if not env.cr.closed:
                    env.cr.close()
            self._tear_down(created)
