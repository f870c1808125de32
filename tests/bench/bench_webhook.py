"""Webhook intake under load, against Odoo's own no-op route on the same server.

Phase 1: Odoo with 2 HTTP workers and no job runner; 5,000 signed `generic` events are posted
from 8 concurrent clients (5% of them repeats of an earlier event), and acknowledgements per
second and p50/p99 latency are measured beside the same load on `/web/health` (Odoo's no-op
route: the ceiling), in the same run on the same server. Without the runner, the jobs do not
compete with the intake for the 2 workers, so the ratio measures the intake path itself.

Phase 2: the same server restarted with the queue_job runner processes every queued job;
the benchmark checks that exactly 4,750 distinct events are stored and done (nothing lost,
nothing doubled) and reports the processing rate.
"""

import json
import os
import random
import secrets
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.odoo_server import free_port, start_odoo, stop_odoo

TOTAL = int(os.environ.get("Q2C_BENCH_WEBHOOKS", 5000))
REPEAT_SHARE = 0.05
CLIENTS = 8
PROCESS_TIMEOUT = 900  # seconds to wait for the job runner to process everything


def setup_system(conf, db, secret):
    """Create the integration user and a generic system, committed, with the suite's ORM."""
    import odoo
    from odoo import SUPERUSER_ID, api

    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        cr.execute("DELETE FROM q2c_event")
        cr.execute("DELETE FROM queue_job WHERE model_name = 'q2c.event'")
        login = f"bench.integration.{secrets.token_hex(4)}"
        user = env["res.users"].create(
            {
                "name": "Benchmark integration",
                "login": login,
                "groups_id": [
                    (
                        6,
                        0,
                        [
                            env.ref("base.group_user").id,
                            env.ref("q2c_base.group_integration_user").id,
                        ],
                    ),
                ],
            }
        )
        systems = env["q2c.system"].create(
            [
                {
                    "name": name,
                    "system_type": "generic",
                    "user_id": user.id,
                    "webhook_secret": secret,
                }
                for name in ("Benchmark", "Benchmark warm-up")
            ]
        )
        cr.commit()
        return systems[0].id, systems[0].inbound_key, systems[1].inbound_key


def run_load(make_request, total):
    """`total` requests from CLIENTS threads; returns (seconds, latencies, failures)."""
    local = threading.local()
    latencies, failures = [None] * total, []

    def one(index):
        if not hasattr(local, "session"):
            local.session = requests.Session()
        started = time.perf_counter()
        response = make_request(local.session, index)
        latencies[index] = time.perf_counter() - started
        if response.status_code != 200:
            failures.append((index, response.status_code, response.text[:200]))

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(one, range(total)))
    return time.perf_counter() - started, latencies, failures


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def build_bodies(total):
    """Distinct events plus REPEAT_SHARE repeats of earlier ones, in a shuffled order."""
    repeats = int(total * REPEAT_SHARE)
    distinct = [
        json.dumps({"id": f"evt_{i:06d}", "type": "q2c.ping"}).encode()
        for i in range(total - repeats)
    ]
    rng = random.Random(42)
    bodies = distinct + [rng.choice(distinct) for _ in range(repeats)]
    rng.shuffle(bodies)
    return bodies, len(distinct)


def wait_processed(db, system_id, expected):
    import odoo

    registry = odoo.modules.registry.Registry(db)
    deadline = time.monotonic() + PROCESS_TIMEOUT
    while True:
        with registry.cursor() as cr:
            cr.execute(
                "SELECT count(*), count(DISTINCT external_id), "
                "count(*) FILTER (WHERE state = 'done') FROM q2c_event WHERE system_id = %s",
                (system_id,),
            )
            rows, distinct, done = cr.fetchone()
        if done >= expected or time.monotonic() > deadline:
            return rows, distinct, done
        time.sleep(2)


def run(context):
    conf, db = context["conf"], context["db"]
    secret = secrets.token_urlsafe(32)
    # The warm-up system's events are not counted.
    system_id, key, warm_key = setup_system(conf, db, secret)
    from odoo.addons.q2c_base import signatures

    port = free_port()
    log = str(context["state"] / "logs" / "bench-webhook-odoo.log")
    base = f"http://127.0.0.1:{port}"
    bodies, distinct = build_bodies(TOTAL)

    def noop(session, _index):
        return session.get(f"{base}/web/health", timeout=30)

    def post(session, url_key, body):
        headers = {
            "Content-Type": "application/json",
            "X-Q2C-Signature": signatures.sign(secret, body),
        }
        return session.post(
            f"{base}/q2c/webhook/generic/{url_key}", data=body, headers=headers, timeout=30
        )

    def webhook(session, index):
        return post(session, key, bodies[index])

    def warm_up(session, index):
        return post(session, warm_key, json.dumps({"id": f"warm_{index}"}).encode())

    proc = start_odoo(conf, db, port, log, runner=False)
    try:
        run_load(noop, 200)  # warm-up: workers, registry, connection pool
        noop_time, noop_lat, noop_fail = run_load(noop, TOTAL)
        print(f"    no-op route: {TOTAL / noop_time:.0f} req/s", flush=True)
        run_load(warm_up, 200)
        hook_time, hook_lat, hook_fail = run_load(webhook, TOTAL)
        print(f"    webhook: {TOTAL / hook_time:.0f} acks/s", flush=True)
    finally:
        stop_odoo(proc)
    proc = start_odoo(conf, db, port, log, runner=True)
    try:
        started = time.monotonic()
        rows, stored_distinct, done = wait_processed(db, system_id, distinct)
        process_time = time.monotonic() - started
        print(f"    processed {done} events in {process_time:.0f} s", flush=True)
    finally:
        stop_odoo(proc)

    noop_rate, hook_rate = TOTAL / noop_time, TOTAL / hook_time
    noop_p50, noop_p99 = percentile(noop_lat, 0.5) * 1000, percentile(noop_lat, 0.99) * 1000
    hook_p50, hook_p99 = percentile(hook_lat, 0.5) * 1000, percentile(hook_lat, 0.99) * 1000
    ok_count = rows == stored_distinct == done == distinct and not hook_fail and not noop_fail
    name = f"webhook x{TOTAL}, {CLIENTS} clients"
    return [
        (
            name,
            "acks/s",
            f"{hook_rate:.0f}",
            f"{noop_rate:.0f}",
            f"{hook_rate / noop_rate:.2f}",
            ">= 0.60",
            hook_rate / noop_rate >= 0.60,
        ),
        (
            name,
            "p50 ms",
            f"{hook_p50:.1f}",
            f"{noop_p50:.1f}",
            f"{hook_p50 / noop_p50:.2f}",
            "-",
            True,
        ),
        (
            name,
            "p99 ms",
            f"{hook_p99:.1f}",
            f"{noop_p99:.1f}",
            f"{hook_p99 / noop_p99:.2f}",
            "<= 3.00",
            hook_p99 / noop_p99 <= 3.0,
        ),
        (
            name,
            "stored/done/distinct",
            f"{rows}/{done}/{stored_distinct}",
            f"{distinct}",
            f"{len(hook_fail)} errors",
            f"= {distinct}",
            ok_count,
        ),
        (
            name,
            "mean ms",
            f"{statistics.mean(hook_lat) * 1000:.1f}",
            f"{statistics.mean(noop_lat) * 1000:.1f}",
            "-",
            "-",
            True,
        ),
        (name, "jobs/s (runner on)", f"{done / process_time:.0f}", "-", "-", "-", True),
    ]
