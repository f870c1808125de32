import threading
import time

import psycopg2

from odoo import SUPERUSER_ID, api, sql_db
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestCapRace(TransactionCase):
    """Two jobs billing the same capped contract at the same time (runs of different
    periods): the second must not read the headroom the first is spending. Each job writes
    the contract's row first (`_lock_cap`); on two real connections the second waits for the
    first and then fails to serialize, which queue_job retries (it then sees the first
    job's invoice). The contract is committed for the test and deleted afterwards."""

    def _cursor(self):
        return sql_db.db_connect(self.env.cr.dbname).cursor()

    def test_second_job_waits_then_retries(self):
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partner = env["res.partner"].create({"name": "Cap race (test)"})
            contract = env["q2c.contract"].create(
                {"name": "Cap race", "partner_id": partner.id, "nte_original_amount": 100.0}
            )
            ids = (contract.id, partner.id)
        results, first_locked = {}, threading.Event()
        # Environments are made here: a thread may not take the registry's lock, which the
        # test runner holds.
        cursors = {"first": self._cursor(), "second": self._cursor()}
        envs = {name: api.Environment(cr, SUPERUSER_ID, {}) for name, cr in cursors.items()}

        def job(name, second):
            env = envs[name]
            contract = env["q2c.contract"].browse(ids[0])
            lines = env["q2c.billing.run.line"]
            try:
                if second:
                    first_locked.wait(10)
                    # The job's snapshot starts before the first job commits.
                    env.cr.execute("SELECT 1")
                    started = time.monotonic()
                    try:
                        with mute_logger("odoo.sql_db"):
                            lines._lock_cap(contract)
                        results[name] = "locked"
                    except psycopg2.errors.SerializationFailure:
                        results[name] = "serialization failure"
                        env.cr.rollback()
                    results["waited"] = time.monotonic() - started
                else:
                    lines._lock_cap(contract)
                    first_locked.set()
                    time.sleep(1.0)
                    env.cr.commit()
                    results[name] = "locked"
            finally:
                env.cr.close()

        try:
            threads = [
                threading.Thread(target=job, args=("first", False)),
                threading.Thread(target=job, args=("second", True)),
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            self.assertEqual(results["first"], "locked")
            self.assertEqual(results["second"], "serialization failure")
            self.assertGreater(results["waited"], 0.5, "the second job waited for the first")
        finally:
            with self._cursor() as cr:
                cr.execute("DELETE FROM q2c_contract WHERE id = %s", [ids[0]])
                cr.execute("DELETE FROM res_partner WHERE id = %s", [ids[1]])
