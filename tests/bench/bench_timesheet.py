"""Time ingestion: the push API and the Harvest pull beside Odoo's own paths.

A database with 200 employees and 100 projects under one T&M contract. Measured in the same run:

- native ceiling: `account.analytic.line.create(vals_list)` of equivalent timesheet lines in
  batches of 500 as the integration user, without mapping, deduplication or pricing (each
  batch flushed, then rolled back);
- the push API: `POST /q2c/api/v1/time-entries` in batches of 500 through a real 2-worker
  Odoo server, interleaved batch by batch with the native batches and with a sample of
  one-XML-RPC-`create`-per-entry calls (what generic middleware does), so that whatever else
  the machine does weighs on all three alike; then every entry pushed again (all
  `unchanged`); the workers' peak memory after half and after all the entries;
- the Harvest pull: a stand-in server speaking Harvest v2 (2,000 entries per page), one run
  through a real server and its queue_job runner (channel capacity 1), then the same run
  again; compared with the native ceiling measured right after it.

Q2C_BENCH_TIME_ENTRIES sets the volume (default 50,000, the issue's run; 5,000 is a quick look).
"""

import json
import os
import random
import secrets
import threading
import time
import xmlrpc.client
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests

from tests.odoo_server import (
    free_port,
    peak_memory_mib,
    start_odoo,
    stop_odoo,
    wait_for_job_runner,
)

TOTAL = int(os.environ.get("Q2C_BENCH_TIME_ENTRIES", 50000))
EMPLOYEES, PROJECTS, BATCH, HARVEST_PAGE = 200, 100, 500, 2000
XMLRPC_SAMPLE = 200


def entries(prefix, total):
    rng = random.Random(42)
    start = date(2025, 1, 1)
    return [
        {
            "id": f"{prefix}-{n}",
            "employee": f"e{rng.randrange(EMPLOYEES)}",
            "project": f"p{rng.randrange(PROJECTS)}",
            "date": (start + timedelta(days=rng.randrange(180))).isoformat(),
            "hours": rng.choice((0.5, 1.0, 1.5, 2.0, 4.0, 8.0)),
            "description": "bench work",
            "billable": True,
            "approval_state": "approved",
        }
        for n in range(total)
    ]


def setup(conf, db):
    """Employees, projects, a contract, two systems and their references, committed."""
    import odoo
    from odoo import SUPERUSER_ID, Command, api

    registry = odoo.modules.registry.Registry(db)
    tag = secrets.token_hex(3)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        groups = [
            env.ref(x).id
            for x in (
                "base.group_user",
                "q2c_base.group_integration_user",
                "hr_timesheet.group_hr_timesheet_approver",
            )
        ]
        password = secrets.token_urlsafe(16)
        user = env["res.users"].create(
            {
                "name": f"Bench time {tag}",
                "login": f"bench.time.{tag}",
                "password": password,
                "groups_id": [Command.set(groups)],
            }
        )
        role = env["hr.job"].create({"name": f"Bench role {tag}"})
        employees = env["hr.employee"].create(
            [{"name": f"Bench {tag} {n}", "job_id": role.id} for n in range(EMPLOYEES)]
        )
        customer = env["res.partner"].create({"name": f"Bench customer {tag}"})
        projects = env["project.project"].create(
            [{"name": f"Bench {tag} P{n}", "partner_id": customer.id} for n in range(PROJECTS)]
        )
        usd = env.ref("base.USD")
        usd.active = True
        card = env["q2c.rate.card"].create(
            {
                "name": f"Bench card {tag}",
                "scope": "contract",
                "currency_id": usd.id,
                "line_ids": [
                    Command.create({"role_id": role.id, "rate": 150.0, "date_from": "2024-01-01"})
                ],
            }
        )
        contract = env["q2c.contract"].create(
            {
                "name": f"Bench {tag}",
                "partner_id": customer.id,
                "currency_id": usd.id,
                "billing_model": "time_and_materials",
                "rate_card_ids": [Command.set(card.ids)],
                "project_ids": [Command.set(projects.ids)],
            }
        )
        contract.action_activate()
        push = env["q2c.system"].create(
            {"name": f"Bench push {tag}", "system_type": "generic", "user_id": user.id}
        )
        harvest = env["q2c.system"].create(
            {
                "name": f"Bench Harvest {tag}",
                "system_type": "harvest",
                "user_id": user.id,
                "api_token": "bench",
                "harvest_account_id": "1",
                "pull_page_size": HARVEST_PAGE,
                "outbound_max_tries": 5,
            }
        )
        refs = []
        for system in (push, harvest):
            refs += [
                {
                    "system_id": system.id,
                    "object_type": "employee",
                    "external_id": f"e{n}",
                    "res_model": "hr.employee",
                    "res_id": emp.id,
                }
                for n, emp in enumerate(employees)
            ]
            refs += [
                {
                    "system_id": system.id,
                    "object_type": "project",
                    "external_id": f"p{n}",
                    "res_model": "project.project",
                    "res_id": proj.id,
                }
                for n, proj in enumerate(projects)
            ]
        env["q2c.external.ref"].create(refs)
        key = (
            env["res.users.apikeys"]
            .with_user(user)
            ._generate(None, "bench", odoo.fields.Datetime.now() + timedelta(days=1))
        )
        ids = {
            "user": user.id,
            "key": key,
            "push": push.id,
            "harvest": harvest.id,
            "employees": employees.ids,
            "projects": projects.ids,
        }
    return registry, ids


def push_batch(session, base, key, rows, system_id):
    response = session.post(
        f"{base}/q2c/api/v1/time-entries?system={system_id}",
        json=rows,
        timeout=600,
        headers={"Authorization": f"Bearer {key}"},
    )
    response.raise_for_status()
    return response.json()["summary"]


def add_counts(total, summary):
    for status, count in summary.items():
        total[status] = total.get(status, 0) + count


def xmlrpc_create(models, db, ids, rows):
    """One XML-RPC `create` per entry, as the integration user with its API key."""
    emp = {f"e{n}": i for n, i in enumerate(ids["employees"])}
    proj = {f"p{n}": i for n, i in enumerate(ids["projects"])}
    started = time.perf_counter()
    for r in rows:
        models.execute_kw(
            db,
            ids["user"],
            ids["key"],
            "account.analytic.line",
            "create",
            [
                {
                    "employee_id": emp[r["employee"]],
                    "project_id": proj[r["project"]],
                    "date": r["date"],
                    "unit_amount": r["hours"],
                    "name": r["description"],
                }
            ],
        )
    return time.perf_counter() - started


class NativeCreate:
    """Odoo's own `create(vals_list)` of equivalent lines as the integration user, one batch
    at a time, flushed to the database and rolled back (the native ceiling: no mapping, no
    deduplication, no pricing)."""

    def __init__(self, registry, ids):
        from odoo import api

        self.cr = registry.cursor()
        env = api.Environment(self.cr, ids["user"], {"tracking_disable": True})
        self.env, self.lines = env, env["account.analytic.line"]
        self.emp = {f"e{n}": i for n, i in enumerate(ids["employees"])}
        self.proj = {f"p{n}": i for n, i in enumerate(ids["projects"])}

    def batch(self, rows):
        started = time.perf_counter()
        self.lines.create(
            [
                {
                    "employee_id": self.emp[r["employee"]],
                    "project_id": self.proj[r["project"]],
                    "date": r["date"],
                    "unit_amount": r["hours"],
                    "name": r["description"],
                }
                for r in rows
            ]
        )
        self.env.flush_all()
        elapsed = time.perf_counter() - started
        self.cr.rollback()
        self.env.invalidate_all()
        return elapsed

    def close(self):
        self.cr.close()


def measure_push(context, registry, ids):
    """Native batches, push batches and XML-RPC samples interleaved, so that whatever else
    the machine does weighs on all three alike; one warm-up round of each is not counted.
    Then every entry pushed again. Peak worker memory after half and after all entries."""
    db = context["db"]
    rows, native_rows = entries("push", TOTAL), entries("native", TOTAL)
    xml_rows = entries("xmlrpc", XMLRPC_SAMPLE + 5)
    batches = range(0, TOTAL, BATCH)
    per_batch = max(1, XMLRPC_SAMPLE // len(batches))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = str(context["state"] / "logs" / "bench-timesheet-odoo.log")
    native = NativeCreate(registry, ids)
    proc = start_odoo(context["conf"], db, port, log)
    result = {"native": 0.0, "push": 0.0, "xmlrpc": 0.0, "xmlrpc_n": 0, "first": {}, "again": {}}
    try:
        session = requests.Session()
        models = xmlrpc.client.ServerProxy(f"{base}/xmlrpc/2/object", allow_none=True)
        native.batch(entries("warm-native", BATCH))
        push_batch(session, base, ids["key"], entries("warm", BATCH), ids["push"])
        xmlrpc_create(models, db, ids, xml_rows[:5])
        for number, start in enumerate(batches):
            result["native"] += native.batch(native_rows[start : start + BATCH])
            started = time.perf_counter()
            batch = rows[start : start + BATCH]
            add_counts(result["first"], push_batch(session, base, ids["key"], batch, ids["push"]))
            result["push"] += time.perf_counter() - started
            sample = xml_rows[5 + number * per_batch : 5 + (number + 1) * per_batch]
            result["xmlrpc"] += xmlrpc_create(models, db, ids, sample)
            result["xmlrpc_n"] += len(sample)
            if number == len(batches) // 2 - 1:
                result["mem_half"] = peak_memory_mib(proc)
        result["mem_full"] = peak_memory_mib(proc)
        started = time.perf_counter()
        for start in batches:
            batch = rows[start : start + BATCH]
            add_counts(result["again"], push_batch(session, base, ids["key"], batch, ids["push"]))
        result["again_seconds"] = time.perf_counter() - started
    finally:
        stop_odoo(proc)
        native.close()
    return result


def harvest_stand_in(all_rows):
    """Serve `all_rows` as Harvest v2 pages (page-number paging, 2,000 per page), filtered by
    the `from` / `to` work dates when asked (the connector's deletion check re-reads a recent
    window that way)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            query = parse_qs(urlsplit(self.path).query)
            page = int(query.get("page", ["1"])[0])
            low, high = query.get("from", [""])[0], query.get("to", ["9999"])[0]
            rows = [r for r in all_rows if low <= r["date"] <= high]
            pages = max(1, -(-len(rows) // HARVEST_PAGE))
            chunk = rows[(page - 1) * HARVEST_PAGE : page * HARVEST_PAGE]
            body = json.dumps(
                {
                    "time_entries": [
                        {
                            "id": r["id"],
                            "spent_date": r["date"],
                            "hours": r["hours"],
                            "notes": r["description"],
                            "billable": True,
                            "is_running": False,
                            "is_closed": True,
                            "approval_status": "approved",
                            "user": {"id": r["employee"]},
                            "project": {"id": r["project"]},
                            "updated_at": "2025-07-01T00:00:00Z",
                        }
                        for r in chunk
                    ],
                    "per_page": HARVEST_PAGE,
                    "total_pages": pages,
                    "page": page,
                    "total_entries": len(rows),
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def harvest_pull(context, registry, ids, url):
    """One run through a real server with the queue_job runner (channel capacity 1, so pages
    are written one after the other like the native batches): started here and committed,
    then waited for. Returns (seconds, counts, run state, peak worker memory after half the
    pages, after all)."""
    from odoo import SUPERUSER_ID, api

    port = free_port()
    log = str(context["state"] / "logs" / "bench-timesheet-runner.log")
    proc = start_odoo(
        context["conf"],
        context["db"],
        port,
        log,
        runner=True,
        env={"ODOO_QUEUE_JOB_CHANNELS": "root:1"},
    )
    pages = max(1, -(-TOTAL // HARVEST_PAGE))
    mem_half = None
    try:
        wait_for_job_runner(port)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            system = env["q2c.system"].browse(ids["harvest"])
            system.base_url = url
            started = time.perf_counter()
            run = system._sync_start_run()
            cr.commit()
            while True:
                time.sleep(0.2)
                cr.rollback()  # a fresh snapshot of what the workers committed
                env.invalidate_all()
                done = run.page_ids.filtered(lambda p: p.state in ("done", "dead"))
                if mem_half is None and len(done) >= max(1, pages // 2):
                    mem_half = peak_memory_mib(proc)
                if run.state != "running":
                    break
            seconds = time.perf_counter() - started
            counts = {
                state: sum(run.page_ids.mapped(f"{state}_count"))
                for state in ("created", "updated", "unchanged", "rejected")
            }
            state = run.state
        mem_full = peak_memory_mib(proc)
    finally:
        stop_odoo(proc)
    return seconds, counts, state, mem_half, mem_full


def rate(count, seconds):
    return count / seconds if seconds else 0.0


def native_rate(registry, ids, rows):
    """Entries per second of the native ceiling over `rows`, batch by batch."""
    native = NativeCreate(registry, ids)
    try:
        native.batch(entries("warm-native-2", BATCH))
        seconds = sum(
            native.batch(rows[start : start + BATCH]) for start in range(0, len(rows), BATCH)
        )
    finally:
        native.close()
    return rate(len(rows), seconds)


def run(context):
    registry, ids = setup(context["conf"], context["db"])
    push = measure_push(context, registry, ids)
    server = harvest_stand_in(entries("harvest", TOTAL))
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        pull_seconds, pulled, pull_state, pull_half, pull_full = harvest_pull(
            context, registry, ids, url
        )
        repull_seconds, repulled, _state, _h, _f = harvest_pull(context, registry, ids, url)
    finally:
        server.shutdown()
    # The pull cannot be interleaved with native batches (its pages run in the server's
    # worker): its baseline is the native ceiling measured right after it.
    native_after = native_rate(registry, ids, entries("native-after", TOTAL))
    native = rate(TOTAL, push["native"])
    push_rate, pull_rate = rate(TOTAL, push["push"]), rate(TOTAL, pull_seconds)
    xml = rate(push["xmlrpc_n"], push["xmlrpc"])
    first, again = push["first"], push["again"]
    repeat = push["again_seconds"] / push["push"]
    repull = repull_seconds / pull_seconds
    mem = push["mem_full"] / push["mem_half"]
    pull_mem = pull_full / pull_half
    name = f"time entries x{TOTAL}"
    return [
        (
            name,
            "push API entries/s vs native create",
            f"{push_rate:.0f}",
            f"{native:.0f}",
            f"{push_rate / native:.2f}",
            ">= 0.80",
            push_rate / native >= 0.8,
        ),
        (
            name,
            "push API entries/s vs XML-RPC per entry",
            f"{push_rate:.0f}",
            f"{xml:.1f}",
            f"{push_rate / xml:.1f}",
            ">= 20",
            push_rate / xml >= 20,
        ),
        (
            name,
            "(context) native create vs XML-RPC per entry",
            f"{native:.0f}",
            f"{xml:.1f}",
            f"{native / xml:.1f}",
            "-",
            True,
        ),
        (
            name,
            "push API created / again unchanged",
            f"{first.get('created', 0)}/" f"{again.get('unchanged', 0)}",
            f"{TOTAL}",
            "-",
            f"= {TOTAL}",
            first.get("created") == TOTAL and again.get("unchanged") == TOTAL,
        ),
        (
            name,
            "push API again: time / first",
            f"{push['again_seconds']:.1f}s",
            f"{push['push']:.1f}s",
            f"{repeat:.2f}",
            "<= 0.30",
            repeat <= 0.30,
        ),
        (
            name,
            "push API worker peak MiB: all / half",
            f"{push['mem_full']:.1f}",
            f"{push['mem_half']:.1f}",
            f"{mem:.2f}",
            "<= 1.10",
            mem <= 1.10,
        ),
        (
            name,
            "Harvest pull entries/s vs native create",
            f"{pull_rate:.0f}",
            f"{native_after:.0f}",
            f"{pull_rate / native_after:.2f}",
            ">= 0.80",
            pull_rate / native_after >= 0.8,
        ),
        (
            name,
            "Harvest pull created / again unchanged",
            f"{pulled['created']}/" f"{repulled['unchanged']} ({pull_state})",
            f"{TOTAL}",
            "-",
            f"= {TOTAL}",
            pulled["created"] == TOTAL and repulled["unchanged"] == TOTAL,
        ),
        (
            name,
            "Harvest pull again: time / first",
            f"{repull_seconds:.1f}s",
            f"{pull_seconds:.1f}s",
            f"{repull:.2f}",
            "<= 0.30",
            repull <= 0.30,
        ),
        (
            name,
            "Harvest pull worker peak MiB: all / half",
            f"{pull_full:.1f}",
            f"{pull_half:.1f}",
            f"{pull_mem:.2f}",
            "<= 1.10",
            pull_mem <= 1.10,
        ),
    ]
