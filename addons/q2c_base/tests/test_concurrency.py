import secrets
import threading
import time

import psycopg2

from odoo.addons.q2c_base.models.q2c_event import insert_event_rows
from odoo.sql_db import connection_info_for
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestConcurrentDuplicates(TransactionCase):
    """Two workers store the same event id at the same moment: the unique index decides.

    Two real connections run the intake statement in overlapping transactions (the test
    cursor would serialize them); their committed rows are removed afterwards.
    """

    def _connect(self):
        _db, info = connection_info_for(self.env.cr.dbname)
        return psycopg2.connect(**info)

    def test_same_event_on_two_connections_is_stored_once(self):
        admin = self.env.ref("base.user_admin")
        setup = self._connect()
        with setup, setup.cursor() as cr:
            cr.execute(
                "INSERT INTO q2c_system (name, system_type, company_id, user_id, inbound_key, "
                "public_base_url, active, max_body_bytes) "
                "VALUES ('race', 'generic', %s, %s, %s, 'https://odoo.example.com', TRUE, 1024) "
                "RETURNING id",
                (admin.company_id.id, admin.id, secrets.token_urlsafe(24)),
            )
            system_id = cr.fetchone()[0]
        try:
            results = {}
            first_in_flight = threading.Event()

            def worker(name, go_second):
                conn = self._connect()
                try:
                    with conn, conn.cursor() as cr:
                        if go_second:
                            first_in_flight.wait(10)
                        row = (
                            system_id,
                            admin.company_id.id,
                            "evt-race",
                            "q2c.ping",
                            "generic",
                            "received",
                            "2026-01-01",
                            0,
                            name,
                            "{}",
                            "{}",
                            admin.id,
                            "2026-01-01",
                            admin.id,
                            "2026-01-01",
                        )
                        if go_second:
                            started = time.monotonic()
                            results[name] = insert_event_rows(cr, [row])
                            results["waited"] = time.monotonic() - started
                        else:
                            results[name] = insert_event_rows(cr, [row])
                            first_in_flight.set()
                            time.sleep(1.0)  # keep the row uncommitted while the other inserts
                finally:
                    conn.close()

            threads = [
                threading.Thread(target=worker, args=("first", False)),
                threading.Thread(target=worker, args=("second", True)),
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            self.assertEqual(len(results["first"]), 1, "the first delivery is stored")
            self.assertEqual(results["second"], {}, "the concurrent copy is skipped, no error")
            self.assertGreater(results["waited"], 0.5, "the copy waited for the first to commit")
            check = self._connect()
            with check, check.cursor() as cr:
                cr.execute(
                    "SELECT correlation_id FROM q2c_event WHERE system_id = %s", (system_id,)
                )
                self.assertEqual(cr.fetchall(), [("first",)])
            check.close()
        finally:
            cleanup = self._connect()
            with cleanup, cleanup.cursor() as cr:
                cr.execute("DELETE FROM q2c_event WHERE system_id = %s", (system_id,))
                cr.execute("DELETE FROM q2c_system WHERE id = %s", (system_id,))
            cleanup.close()
            setup.close()
