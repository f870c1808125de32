"""The same event delivered at the same moment to different workers is stored once.

End to end: a real Odoo with 2 HTTP worker processes (no job runner) serves the test database;
8 clients post the same signed event at once, and two more events in parallel. Every copy is
answered 200, exactly one row per event id exists, and exactly one answer says "not a duplicate".
"""

import json
import os
import secrets
import threading

import requests

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.addons.q2c_base import signatures
from odoo.tools import config
from tests.odoo_server import free_port, start_odoo, stop_odoo


def committed_system(db, secret):
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        groups = env.ref("base.group_user") | env.ref("q2c_base.group_integration_user")
        login = f"race.{secrets.token_hex(4)}"
        user = env["res.users"].create(
            {"name": "race", "login": login, "groups_id": [Command.set(groups.ids)]}
        )
        system = env["q2c.system"].create(
            {
                "name": "race",
                "system_type": "generic",
                "user_id": user.id,
                "webhook_secret": secret,
            }
        )
        cr.commit()
        return system.id, system.inbound_key


def test_concurrent_copies_on_two_workers_are_stored_once(tmp_path):
    db = config["db_name"]
    secret = secrets.token_urlsafe(24)
    system_id, key = committed_system(db, secret)
    port = free_port()
    proc = start_odoo(os.environ["Q2C_ODOO_CONF"], db, port, str(tmp_path / "odoo.log"))
    try:
        url = f"http://127.0.0.1:{port}/q2c/webhook/generic/{key}"
        bodies = [json.dumps({"id": f"race-{n}", "type": "q2c.ping"}).encode() for n in range(3)]
        barrier = threading.Barrier(24)
        answers = []

        def deliver(body):
            headers = {
                "Content-Type": "application/json",
                "X-Q2C-Signature": signatures.sign(secret, body),
            }
            barrier.wait()
            answer = requests.post(url, data=body, headers=headers, timeout=60)
            answers.append((body, answer.status_code, answer.json()))

        threads = [
            threading.Thread(target=deliver, args=(body,)) for body in bodies for _copy in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        stop_odoo(proc)
    assert len(answers) == 24
    assert {status for _body, status, _json in answers} == {200}
    for body in bodies:
        firsts = [
            json_ for b, _s, json_ in answers if b == body and not json_["events"][0]["duplicate"]
        ]
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
