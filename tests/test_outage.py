"""While PostgreSQL is unreachable, every q2c intake answers 503 with Retry-After (issue 11.10).

End to end: a real Odoo (2 HTTP workers, q2c_base among its server-wide modules as
docs/install.md says) reaches the test database through a TCP forwarder (tests/pg_proxy.py).
An event is accepted; the forwarder goes down as in a PostgreSQL restart (new connections
refused, open ones cut); the webhook, the push API, an unknown q2c path and /q2c/health are
then answered 503 with `Retry-After` and the contract's JSON error body (health: its own
document), never Odoo's HTML 404 or 403; once it is back, the event refused during the outage
is sent again and stored once, as is the one accepted before.
"""

import json
import os
import secrets
import time
from contextlib import contextmanager
from datetime import timedelta

import requests

import odoo
from odoo import SUPERUSER_ID, api, fields
from odoo.addons.q2c_base import signatures
from odoo.tools import config
from tests.odoo_server import free_port, start_odoo, stop_odoo
from tests.pg_proxy import PgProxy
from tests.test_webhook_concurrency import committed_system


@contextmanager
def superuser_env(db):
    """An environment of the superuser on `db` in its own transaction, committed at the end."""
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        yield api.Environment(cr, SUPERUSER_ID, {})
        cr.commit()


def start_through(proxy, tmp_path, **options):
    """A server (q2c_base server-wide, as docs/install.md says) reaching PostgreSQL through
    `proxy`. Returns (process, base URL)."""
    port = free_port()
    proc = start_odoo(
        os.environ["Q2C_ODOO_CONF"],
        config["db_name"],
        port,
        str(tmp_path / "odoo.log"),
        load="base,web,q2c_base",
        args=("--db_host=127.0.0.1", f"--db_port={proxy.port}"),
        **options,
    )
    return proc, f"http://127.0.0.1:{port}"


def api_key_of_system_user(db, system_id):
    with superuser_env(db) as env:
        user = env["q2c.system"].browse(system_id).user_id
        expiry = fields.Datetime.now() + timedelta(days=1)
        return env["res.users.apikeys"].with_user(user)._generate(None, "outage", expiry)


def stored_events(db, system_id):
    with superuser_env(db) as env:
        events = env["q2c.event"].search([("system_id", "=", system_id)])
        return sorted(events.mapped("external_id"))


def test_intake_answers_503_with_retry_after_while_the_database_is_unreachable(tmp_path):
    db = config["db_name"]
    secret = secrets.token_urlsafe(24)
    system_id, key = committed_system(db, secret)
    api_key = api_key_of_system_user(db, system_id)
    proxy = PgProxy().up()
    proc, base = start_through(proxy, tmp_path)

    def deliver(event_id):
        body = json.dumps({"id": event_id, "type": "q2c.ping"}).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Q2C-Signature": signatures.sign(secret, body),
        }
        return requests.post(
            f"{base}/q2c/webhook/generic/{key}", data=body, headers=headers, timeout=30
        )

    def push():
        return requests.post(
            f"{base}/q2c/api/v1/time-entries",
            json=[],
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=30,
        )

    try:
        before = deliver("outage-1")
        assert before.status_code == 200, before.text
        assert push().status_code != 503

        proxy.down()
        answers = {
            "webhook": deliver("outage-2"),
            "push": push(),
            "unknown q2c path": requests.get(f"{base}/q2c/no-such-route", timeout=30),
        }
        for name, answer in answers.items():
            assert answer.status_code == 503, (name, answer.status_code, answer.text[:200])
            assert answer.headers["Retry-After"] == "10", name
            assert answer.headers["Content-Type"].startswith("application/json"), name
            assert answer.json()["error"] == "unavailable", name
        health = requests.get(f"{base}/q2c/health", timeout=30)
        assert health.status_code == 503
        assert health.json() == {"status": "down", "database": False}

        proxy.up()
        after = deliver("outage-2")
        assert after.status_code == 200, after.text
        assert after.json()["events"][0]["duplicate"] is False
    finally:
        stop_odoo(proc)
        proxy.down()
    assert stored_events(db, system_id) == ["outage-1", "outage-2"]


def committed_tick_cron(db):
    """A scheduled action due now and every minute, writing the time it ran."""
    with superuser_env(db) as env:
        cron = env["ir.cron"].create(
            {
                "name": "q2c outage test: tick",
                "model_id": env.ref("base.model_ir_config_parameter").id,
                "state": "code",
                "code": "env['ir.config_parameter'].set_param("
                "'q2c.test.tick', str(time.time()))",
                "interval_number": 1,
                "interval_type": "minutes",
                "nextcall": fields.Datetime.now(),
            }
        )
        env["ir.config_parameter"].set_param("q2c.test.tick", "")
        return cron.id


def tick(db):
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        cr.execute("SELECT value FROM ir_config_parameter WHERE key = 'q2c.test.tick'")
        row = cr.fetchone()
        return row[0] if row else ""


def run_cron_now(db, cron_id):
    """Make the action due and wake the cron workers (NOTIFY), as Odoo's `_trigger` does."""
    with superuser_env(db) as env:
        env["ir.cron"].browse(cron_id)._trigger()


def wait_for_new_tick(db, previous, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = tick(db)
        if value and value != previous:
            return value
        time.sleep(1)
    return None


def drop_cron(db, cron_id):
    with superuser_env(db) as env:
        env["ir.cron"].browse(cron_id).unlink()
        env["ir.config_parameter"].search([("key", "=", "q2c.test.tick")]).unlink()


def test_schedules_resume_after_a_database_restart(tmp_path):
    """`make run` serves in prefork mode (2 HTTP workers, 1 cron worker): a cron worker that
    loses its database connection is replaced, so scheduled actions run again once PostgreSQL
    is back (in threaded mode the cron threads die with their connection for good)."""
    db = config["db_name"]
    cron_id = committed_tick_cron(db)
    proxy = PgProxy().up()
    proc, _base = start_through(proxy, tmp_path, crons=1)
    try:
        run_cron_now(db, cron_id)
        first = wait_for_new_tick(db, "", 120)
        assert first, "the cron worker ran the scheduled action"
        proxy.down()
        time.sleep(3)
        proxy.up()
        run_cron_now(db, cron_id)
        second = wait_for_new_tick(db, first, 180)
        assert second, "scheduled actions run again after the restart"
    finally:
        stop_odoo(proc)
        proxy.down()
        drop_cron(db, cron_id)
