import logging
import re
import secrets
import threading
import time
from collections import defaultdict

import psycopg2

from odoo import SUPERUSER_ID, Command, api, sql_db
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import DONE, Job
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

CONTRACTS = 8
BATCH = "3"
APPROVED = "2032-03-31T12:00:00Z"
SIBLINGS = re.compile(r"also billed by this job: (.*)\)$")

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestSiblingRace(TransactionCase):
    """Two queue_job workers perform the jobs of one billing run at the same time, on real
    connections (the test cursor would serialize them), with sibling batching on
    (`q2c_billing.job_batch` = 3): each job bills its own contract, then locks up to three
    other results still to do with FOR UPDATE SKIP LOCKED, skipping those the other worker
    holds. Worker A performs the jobs of contracts 1, 3, 5 and 7, worker B those of 2, 4, 6
    and 8, both starting at the same moment. A job whose own result the other worker's job
    holds is put back in the queue (RetryableJobError), one whose result that job billed
    and committed after it began fails to serialize: both are rolled back and asked again,
    as queue_job does. Only a job that sees no contract left to do moves the run on; one
    that still sees some leaves that question to a job of its own, performed once both
    workers are done (`_perform_finishing`).

    Contract n (1..8), T&M, Gina (Consultant) at 100.00 an hour on its card, works n.00 h
    on 2032-03-10 and 0.50 h on 2032-03-11: its invoice is (n + 0.50) x 100.00, from 150.00
    (contract 1) to 850.00 (contract 8), 4,000.00 in all. Every contract is invoiced exactly
    once, every entry is billed once, on its contract's invoice; every job ends done and no
    deadlock happened. The data is committed for the test (main company, period March 2032)
    and deleted afterwards."""

    def _cursor(self):
        return sql_db.db_connect(self.env.cr.dbname).cursor()

    def _set_up(self, env):
        company = env.ref("base.main_company")
        params = env["ir.config_parameter"]
        created = {"batch": params.get_param("q2c_billing.job_batch")}
        params.set_param("q2c_billing.job_batch", BATCH)
        user = env["res.users"].create(
            {
                "name": "Sibling race (test)",
                "login": f"q2c_sibling_race_{secrets.token_hex(4)}",
                "groups_id": [
                    Command.set(
                        (
                            env.ref("base.group_user") | env.ref("q2c_base.group_integration_user")
                        ).ids
                    )
                ],
            }
        )
        system = env["q2c.system"].create(
            {"name": "Sibling race (test)", "system_type": "generic", "user_id": user.id}
        )
        partner = env["res.partner"].create({"name": "Sibling race (test)", "is_company": True})
        role = env["hr.job"].create({"name": "Consultant (sibling race test)"})
        gina = env["hr.employee"].create(
            {"name": "Gina (sibling race)", "job_id": role.id, "company_id": company.id}
        )
        env["q2c.external.ref"]._bind(system, "employee", "race-gina", gina)
        card = env["q2c.rate.card"].create(
            {
                "name": "Sibling race card",
                "scope": "contract",
                "currency_id": company.currency_id.id,
                "company_id": company.id,
                "line_ids": [
                    Command.create(
                        {"employee_id": gina.id, "rate": 100.0, "date_from": "2032-01-01"}
                    )
                ],
            }
        )
        created.update(
            user=user.id, system=system.id, partner=partner.id, role=role.id, employee=gina.id
        )
        created.update(card=card.id, contracts=[], projects=[], expected={})
        entries = []
        for n in range(1, CONTRACTS + 1):
            project = env["project.project"].create(
                {"name": f"Sibling race P{n}", "partner_id": partner.id, "company_id": company.id}
            )
            env["q2c.external.ref"]._bind(system, "project", f"race-p{n}", project)
            contract = env["q2c.contract"].create(
                {
                    "name": f"Sibling race C{n}",
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "currency_id": company.currency_id.id,
                    "billing_model": "time_and_materials",
                    "billing_cycle": "monthly",
                    "prebill_review_required": False,
                    "project_ids": [Command.link(project.id)],
                    "rate_card_ids": [Command.set(card.ids)],
                }
            )
            contract.action_activate()
            created["contracts"].append(contract.id)
            created["projects"].append(project.id)
            created["expected"][contract.id] = (n + 0.5) * 100.0
            for ext, day, hours in (
                (f"race-{n}-a", "2032-03-10", n),
                (f"race-{n}-b", "2032-03-11", 0.5),
            ):
                entries.append(
                    {
                        "external_id": ext,
                        "employee": "race-gina",
                        "project": f"race-p{n}",
                        "date": day,
                        "hours": float(hours),
                        "description": "sibling race",
                        "approved_at": APPROVED,
                    }
                )
        results = env["account.analytic.line"]._q2c_ingest(system, entries)
        assert {r["status"] for r in results} == {"created"}, results
        run = env["q2c.billing.run"].create(
            {
                "company_id": company.id,
                "date_from": "2032-03-01",
                "date_to": "2032-03-31",
                "cutoff": "2032-04-02 06:00:00",
                "invoice_date": "2032-04-02",
                "selection": "manual",
                "contract_ids": [Command.set(created["contracts"])],
            }
        )
        created["run"] = run.id
        run.action_prepare()
        created["jobs"] = run.line_ids.sorted("id").mapped("job_uuid")
        return created

    def _tear_down(self, created):
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            params = env["ir.config_parameter"]
            params.set_param("q2c_billing.job_batch", created.get("batch") or False)
            contracts = env["q2c.contract"].browse(created.get("contracts", []))
            env["account.move"].search([("q2c_contract_id", "in", contracts.ids)]).unlink()
            uuids = (created.get("jobs") or []) + (created.get("finishing") or [])
            cr.execute("DELETE FROM queue_job WHERE uuid IN %s", [tuple(uuids or ("",))])
            cr.execute("DELETE FROM q2c_billing_run WHERE id = %s", [created.get("run", 0)])
            system = created.get("system", 0)
            cr.execute("DELETE FROM account_analytic_line WHERE q2c_system_id = %s", [system])
            cr.execute("DELETE FROM q2c_external_ref WHERE system_id = %s", [system])
            cr.execute("DELETE FROM q2c_contract WHERE id IN %s", [tuple(contracts.ids or [0])])
            cr.execute("DELETE FROM q2c_rate_card WHERE id = %s", [created.get("card", 0)])
            env["project.project"].browse(created.get("projects", [])).unlink()
            env["hr.employee"].browse(created.get("employee", [])).unlink()
            env["hr.job"].browse(created.get("role", [])).unlink()
            cr.execute("DELETE FROM q2c_system WHERE id = %s", [system])
            user = env["res.users"].browse(created.get("user", []))
            partners = user.partner_id | env["res.partner"].browse(created.get("partner", []))
            user.unlink()
            partners.unlink()

    def _worker(self, env, uuids, outcome, start):
        """Perform `uuids` in turn as a queue_job worker does: each job in its own
        transaction, committed when done; rolled back and retried when it fails to
        serialize; a deadlock is recorded (and retried, as queue_job would)."""
        try:
            start.wait(10)
            for uuid in uuids:
                for _attempt in range(100):
                    try:
                        job = Job.load(env, uuid)
                        if job.state == DONE:
                            break
                        job.set_started()
                        job.store()
                        result = job.perform()
                        job.set_done(result=result)
                        job.store()
                        env.cr.commit()
                        outcome["results"].append(result)
                        break
                    except (psycopg2.errors.SerializationFailure, RetryableJobError):
                        # Its result held or billed by the other worker's job: queue_job
                        # puts it back in the queue; asked again a moment later.
                        env.cr.rollback()
                        outcome["retries"] += 1
                        time.sleep(0.2)
                    except psycopg2.errors.DeadlockDetected as error:
                        env.cr.rollback()
                        outcome["deadlocks"].append(str(error))
                else:
                    outcome["unfinished"].append(uuid)
        except Exception as error:  # pylint: disable=broad-except
            outcome["errors"].append(repr(error))
        finally:
            env.cr.close()

    def test_two_workers_bill_each_contract_once(self):
        # Committed when the block ends (the cursor's context manager).
        with self._cursor() as cr:
            created = self._set_up(api.Environment(cr, SUPERUSER_ID, {}))
        outcomes = {
            name: {"results": [], "retries": 0, "deadlocks": [], "errors": [], "unfinished": []}
            for name in ("A", "B")
        }
        # Environments are made here: a thread may not take the registry's lock, which the
        # test runner holds.
        envs = {name: api.Environment(self._cursor(), SUPERUSER_ID, {}) for name in outcomes}
        start = threading.Barrier(2)
        jobs = created["jobs"]
        try:
            threads = [
                threading.Thread(
                    target=self._worker, args=(envs[name], uuids, outcomes[name], start)
                )
                for name, uuids in (("A", jobs[0::2]), ("B", jobs[1::2]))
            ]
            # Muted here, around both threads: mute_logger swaps the logger's handlers, so
            # two threads muting and unmuting it in turn would undo each other.
            with mute_logger("odoo.sql_db"):
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(120)
            _logger.info("sibling race outcomes: %s", outcomes)
            self._perform_finishing(created)
            for name, outcome in outcomes.items():
                with self.subTest(worker=name):
                    self.assertFalse(outcome["errors"])
                    self.assertFalse(outcome["deadlocks"], "no deadlock")
                    self.assertFalse(outcome["unfinished"])
            billed_by = defaultdict(list)
            for name, outcome in outcomes.items():
                for result in outcome["results"]:
                    match = SIBLINGS.search(result or "")
                    for contract in match.group(1).split(", ") if match else ():
                        billed_by[contract].append(name)
            self.assertTrue(billed_by, "the jobs billed siblings")
            for contract, workers in billed_by.items():
                self.assertEqual(len(workers), 1, f"{contract} billed as a sibling once")
            self._assert_billed_once(created)
        finally:
            for env in envs.values():
                if not env.cr.closed:
                    env.cr.close()
            self._tear_down(created)

    def _perform_finishing(self, created):
        """The run's question "is every contract done?" a job left behind when it still saw
        contracts to do (`_job_finish_if_complete`), performed as the runner would, once
        both workers are done. Each is a pending job of its own."""
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            jobs = env["queue.job"].search(
                [
                    ("model_name", "=", "q2c.billing.run"),
                    ("method_name", "=", "_job_finish_if_complete"),
                ]
            )
            jobs = jobs.filtered(lambda job: job.records.ids == [created["run"]])
            created["finishing"] = jobs.mapped("uuid")
            waiting = jobs.filtered(lambda job: job.state != DONE).mapped("uuid")
        for uuid in waiting:
            # Each in its own transaction, committed when the block ends.
            with self._cursor() as cr:
                finishing = Job.load(api.Environment(cr, SUPERUSER_ID, {}), uuid)
                finishing.set_started()
                finishing.store()
                finishing.set_done(result=finishing.perform())
                finishing.store()

    def _assert_billed_once(self, created):
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            run = env["q2c.billing.run"].browse(created["run"])
            self.assertEqual(set(run.line_ids.mapped("state")), {"done"})
            self.assertEqual(run.state, "invoiced")
            total = 0.0
            for contract in env["q2c.contract"].browse(created["contracts"]):
                invoice = env["account.move"].search([("q2c_contract_id", "=", contract.id)])
                self.assertEqual(len(invoice), 1, contract.name)
                currency = invoice.currency_id
                expected = created["expected"][contract.id]
                self.assertEqual(
                    currency.compare_amounts(invoice.amount_untaxed, expected), 0, contract.name
                )
                entries = env["account.analytic.line"].search(
                    [("q2c_contract_id", "=", contract.id)]
                )
                self.assertEqual(len(entries), 2)
                self.assertEqual(set(entries.mapped("q2c_billing_status")), {"billed"})
                self.assertEqual(entries.q2c_invoice_line_id.move_id, invoice)
                self.assertEqual(
                    sum(invoice.invoice_line_ids.mapped("quantity")),
                    sum(entries.mapped("unit_amount")),
                    "each entry's hours on the invoice once",
                )
                total += invoice.amount_untaxed
            self.assertEqual(env.company.currency_id.compare_amounts(total, 4000.00), 0)
            jobs = env["queue.job"].search([("uuid", "in", created["jobs"])])
            self.assertEqual(len(jobs), CONTRACTS)
            self.assertEqual(set(jobs.mapped("state")), {DONE})
            self.assertFalse(
                jobs.filtered(lambda job: "deadlock" in (job.exc_info or "").lower()),
                "no deadlock error left in the jobs",
            )

    def test_locking_skips_rows_held_or_changed_since_the_job_began(self):
        """A job takes siblings with `_lock_skipping`: of the run's results 1 to 8, result 2
        was changed by another transaction, committed after this one began (PostgreSQL
        refuses to lock it under REPEATABLE READ: a serialization failure), and result 3 is
        held by a transaction still open. Up to four are asked for: results 1, 4, 5 and 6
        are locked, without an error and without waiting. Result 3's job and a job moving
        the run on do not wait either."""
        with self._cursor() as cr:
            created = self._set_up(api.Environment(cr, SUPERUSER_ID, {}))
        mine, other, holder = self._cursor(), self._cursor(), self._cursor()
        try:
            env = api.Environment(mine, SUPERUSER_ID, {})
            # The first query of `mine` begins its snapshot.
            lines = env["q2c.billing.run"].browse(created["run"]).line_ids.sorted("id")
            ids = lines.ids
            self.assertEqual(len(ids), CONTRACTS)
            other.execute(
                "UPDATE q2c_billing_run_line SET reason = 'changed' WHERE id = %s", [ids[1]]
            )
            other.commit()
            holder.execute(
                "SELECT id FROM q2c_billing_run_line WHERE id = %s FOR UPDATE", [ids[2]]
            )
            # Were result 3 waited for, the test would fail instead of hanging.
            mine.execute("SET LOCAL lock_timeout = '5s'")
            locked = lines._lock_skipping("q2c_billing_run_line", ids, limit=4)
            self.assertEqual(locked, [ids[0], ids[3], ids[4], ids[5]])
            # Result 3's own job does not wait for the transaction holding it: it is put
            # back in the queue, without counting as a retry.
            with self.assertRaises(RetryableJobError) as raised:
                lines[2]._lock_result()
            self.assertTrue(raised.exception.ignore_retry)
            self.assertTrue(lines[3]._lock_result(), "result 4 is to do, this job's now")
            # Moving the run on does not wait either: not while another transaction holds
            # the run's row (it is moving the run on), nor once one changed it.
            run = lines.run_id
            holder.execute("SELECT id FROM q2c_billing_run WHERE id = %s FOR UPDATE", [run.id])
            self.assertFalse(run._lock_to_move_on())
            holder.rollback()
            other.execute("UPDATE q2c_billing_run SET last_job_at = now() WHERE id = %s", [run.id])
            other.commit()
            self.assertFalse(run._lock_to_move_on())
        finally:
            for cr in (mine, other, holder):
                cr.rollback()
                cr.close()
            self._tear_down(created)
