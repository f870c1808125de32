"""The same event delivered at the same moment to different workers is stored once.

End to end: a real Odoo with 2 HTTP worker processes (no job runner) serves the test database;
8 clients post the same signed event at once, and two more events in parallel. Every copy is
answered 200, exactly one row per event id exists, and exactly one answer says "not a duplicate".
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time

import requests

import odoo
from odoo import SUPERUSER_ID, api
from odoo.addons.q2c_base import signatures
from odoo.tools import config


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_odoo(db, port, log):
    cmd = [
        sys.executable, os.path.join(os.environ["ODOO_SRC"], "odoo-bin"),
        "-c", os.environ["Q2C_ODOO_CONF"], "-d", db, f"--db-filter=^{db}$",
        f"--http-port={port}", f"--gevent-port={free_port()}", "--workers=2",
        "--max-cron-threads=0", "--load=base,web", f"--logfile={log}", "--log-level=warn",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/web/health", timeout=2).ok:
                return proc
        except requests.RequestException:
            time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    raise AssertionError(f"Odoo did not start; see {log}")


def committed_system(db, secret):
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        user = env["res.users"].create(
            {"name": "race", "login": f"race.{secrets.token_hex(4)}",
             "groups_id": [(6, 0, [env.ref("base.group_user").id,
                                   env.ref("q2c_base.group_integration_user").id])]}
        )  # fmt: skip
        system = env["q2c.system"].create(
            {
                "name": "race",
                "system_type": "generic",
                "user_id": user.id,
                "webhook_secret": secret,
            }  # fmt: skip
        )
        cr.commit()
        return system.id, system.inbound_key


def test_concurrent_copies_on_two_workers_are_stored_once(tmp_path):
    db = config["db_name"]
    secret = secrets.token_urlsafe(24)
    system_id, key = committed_system(db, secret)
    port = free_port()
    proc = start_odoo(db, port, str(tmp_path / "odoo.log"))
    try:
        url = f"http://127.0.0.1:{port}/q2c/webhook/generic/{key}"
        bodies = [json.dumps({"id": f"race-{n}", "type": "q2c.ping"}).encode() for n in range(3)]
        barrier = threading.Barrier(24)
        answers = []

        def deliver(body):
            headers = {"Content-Type": "application/json",
                       "X-Q2C-Signature": signatures.sign(secret, body)}  # fmt: skip
            barrier.wait()
            answer = requests.post(url, data=body, headers=headers, timeout=60)
            answers.append((body, answer.status_code, answer.json()))

        threads = [threading.Thread(target=deliver, args=(body,))
                   for body in bodies for _copy in range(8)]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(30)
    assert len(answers) == 24
    assert {status for _body, status, _json in answers} == {200}
    for body in bodies:
        firsts = [json_ for b, _s, json_ in answers
                  if b == body and not json_["events"][0]["duplicate"]]  # fmt: skip
        assert len(firsts) == 1, firsts
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        cr.execute(
            "SELECT external_id, count(*) FROM q2c_event WHERE system_id = %s GROUP BY 1",
            (system_id,),
        )
        assert dict(cr.fetchall()) == {"race-0": 1, "race-1": 1, "race-2": 1}
        cr.execute(
            "SELECT count(*) FROM queue_job WHERE model_name = 'q2c.event' "
            "AND uuid IN (SELECT job_uuid FROM q2c_event WHERE system_id = %s)",
            (system_id,),
        )
        assert cr.fetchone()[0] == 3, "one job per stored event"
