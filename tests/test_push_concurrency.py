"""Push requests overlapping on entries, posted at the same moment to different workers, are
each answered per entry and lose nothing (issue 11, item 3): time entries and expenses.

End to end: a real Odoo with 2 HTTP worker processes (no job runner) serves the test database;
pairs of clients post time entries at once through the push API. Every answer is 200 with one
result per entry; each entry is created by exactly one request and found `unchanged` (same
values) or `updated` (other values) by the other; one row per entry, one hold per unmapped
entry.
"""

import os
import secrets
import threading
from datetime import timedelta

import requests

import odoo
from odoo import SUPERUSER_ID, Command, api, fields
from odoo.tools import config
from tests.odoo_server import free_port, start_odoo, stop_odoo

GROUPS = (
    "base.group_user",
    "q2c_base.group_integration_user",
    "hr_timesheet.group_hr_timesheet_approver",
    "hr_expense.group_hr_expense_user",
)
ENTRIES = 120


def committed_push_system(db):
    """A push system with its integration user, an employee and a project bound, committed;
    (system id, API key)."""
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        tag = secrets.token_hex(4)
        groups = [env.ref(xmlid).id for xmlid in GROUPS]
        user = env["res.users"].create(
            {
                "name": f"push race {tag}",
                "login": f"push.race.{tag}",
                "groups_id": [Command.set(groups)],
            }
        )
        system = env["q2c.system"].create(
            {"name": f"push race {tag}", "system_type": "generic", "user_id": user.id}
        )
        employee = env["hr.employee"].create({"name": f"Racer {tag}"})
        project = env["project.project"].create({"name": f"Race {tag}"})
        refs = env["q2c.external.ref"]
        refs._bind(system, "employee", "u-race", employee)
        refs._bind(system, "project", "p-race", project)
        product = env["product.product"].create(
            {"name": f"Race fare {tag}", "type": "service", "can_be_expensed": True}
        )
        refs._bind(system, "expense_category", "c-race", product)
        expiry = fields.Datetime.now() + timedelta(days=1)
        key = env["res.users.apikeys"].with_user(user)._generate(None, "race", expiry)
        cr.commit()
        return system.id, key


def rows(ids, hours=1.0, employee="u-race"):
    return [
        {
            "id": f"race-{n}",
            "employee": employee,
            "project": "p-race",
            "date": "2025-03-27",
            "hours": hours,
            "description": "race",
        }
        for n in ids
    ]


def expenses(ids):
    return [
        {
            "id": f"race-x-{n}",
            "employee": "u-race",
            "project": "p-race",
            "category": "c-race",
            "date": "2025-03-04",
            "amount": 10.0 + n,
        }
        for n in ids
    ]


def post_together(url, key, bodies):
    """POST each body from its own thread at the same moment; the answers, in order."""
    barrier = threading.Barrier(len(bodies))
    answers = [None] * len(bodies)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}

    def post(index, body):
        barrier.wait()
        answers[index] = requests.post(url, json=body, headers=headers, timeout=120)

    threads = [threading.Thread(target=post, args=pair) for pair in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    return answers


def statuses(answers):
    """{entry id: [status in each answer that holds it]}; every answer must be a 200 with
    one result per entry sent."""
    found = {}
    for answer in answers:
        assert answer is not None, "no answer"
        assert answer.status_code == 200, (answer.status_code, answer.text[:500])
        for result in answer.json()["results"]:
            found.setdefault(result["id"], []).append(result["status"])
    return found


def test_overlapping_push_requests_are_each_answered_per_entry(tmp_path):
    db = config["db_name"]
    system_id, key = committed_push_system(db)
    port = free_port()
    proc = start_odoo(os.environ["Q2C_ODOO_CONF"], db, port, str(tmp_path / "odoo.log"))
    base = f"http://127.0.0.1:{port}/q2c/api/v1"
    url = f"{base}/time-entries"
    try:
        # The same request twice at once, unmapped entries (held) among them.
        same = rows(range(ENTRIES)) + rows(range(ENTRIES, ENTRIES + 5), employee="u-nobody")
        found = statuses(post_together(url, key, [same, same]))
        for n in range(ENTRIES):
            assert sorted(found[f"race-{n}"]) == ["created", "unchanged"], found[f"race-{n}"]
        for n in range(ENTRIES, ENTRIES + 5):
            assert found[f"race-{n}"] == ["rejected", "rejected"]
        # Only unmapped entries: the holds race.
        unmapped = rows(range(2000, 2000 + ENTRIES), employee="u-nobody")
        found = statuses(post_together(url, key, [unmapped, unmapped]))
        assert {tuple(found[f"race-{n}"]) for n in range(2000, 2000 + ENTRIES)} == {
            ("rejected", "rejected")
        }
        # Two requests overlapping on half their entries, with other hours.
        first = rows(range(1000, 1000 + ENTRIES), hours=2.0)
        second = rows(range(1000 + ENTRIES // 2, 1000 + ENTRIES * 3 // 2), hours=3.0)
        found = statuses(post_together(url, key, [first, second]))
        for n in range(1000, 1000 + ENTRIES * 3 // 2):
            expected = (
                ["created", "updated"]
                if 1000 + ENTRIES // 2 <= n < 1000 + ENTRIES
                else ["created"]
            )
            assert sorted(found[f"race-{n}"]) == expected, (n, found[f"race-{n}"])
        # The expense API, the same request twice at once.
        same = expenses(range(ENTRIES // 2))
        found = statuses(post_together(f"{base}/expenses", key, [same, same]))
        for n in range(ENTRIES // 2):
            assert sorted(found[f"race-x-{n}"]) == ["created", "unchanged"], found[f"race-x-{n}"]
    finally:
        stop_odoo(proc)
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        cr.execute(
            "SELECT q2c_external_id, count(*) FROM account_analytic_line "
            "WHERE q2c_system_id = %s GROUP BY 1",
            (system_id,),
        )
        counts = dict(cr.fetchall())
        assert len(counts) == ENTRIES + ENTRIES * 3 // 2
        assert set(counts.values()) == {1}, "one line per entry"
        cr.execute(
            "SELECT count(*), count(DISTINCT external_id) FROM q2c_sync_hold WHERE system_id = %s",
            (system_id,),
        )
        assert cr.fetchone() == (ENTRIES + 5, ENTRIES + 5), "one hold per unmapped entry"
        cr.execute(
            "SELECT count(*), count(DISTINCT q2c_external_id) FROM hr_expense "
            "WHERE q2c_system_id = %s",
            (system_id,),
        )
        assert cr.fetchone() == (ENTRIES // 2, ENTRIES // 2), "one expense per entry"
