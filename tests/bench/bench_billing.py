"""Billing: a q2c billing run beside Odoo's own timesheet invoicing, over the same hours.

A month of approved time: 200 T&M contracts, 200 employees in four roles, teams of five per
contract, 50,000 entries (250 per contract), hours in quarters of an hour, four role rates
(one with cents). The same rows are written twice, committed:

- q2c: ingested like a connector's entries (`_q2c_ingest`: priced at the contract's rate card
  and approved before the run's cut-off), on one project per contract;
- Odoo's own path (`sale_timesheet`, installed in the benchmark database only): per contract a
  confirmed sale order for the same customer, one line per team member with the service
  product of the member's role (`service_policy` delivered_timesheet, price = the role's rate),
  one project per order line (`sale_line_id`, billable), each timesheet on its member's project
  and so linked to that order line (`so_line`).

Measured, each in a fresh subprocess (so that its peak memory is its own):

- native: `sale.order._create_invoices()` of every order in one call, committed (one draft
  invoice per order: each order has its own customer);
- q2c: a manual billing run of every contract, prepared as a Finance user (one queue_job per
  contract), then every job performed in-process one after the other with queue_job's own
  `RunJobController._try_perform_job`, each in its own transaction (what the runner's worker
  does for one job, without the HTTP round trip), those still pending when their turn comes
  (the runner hands out pending jobs only: a job that billed its siblings marked theirs
  done); peak resident memory (VmHWM) after half the
  jobs (N/2 entries billed) and after all (N);
- re-run: a second run over the same period and contracts, prepared and its jobs (if any)
  performed: it must invoice nothing;
- then, the q2c runs cancelled (their drafts deleted, the entries to bill again), the same
  month billed by a run whose jobs two worker processes perform at once, as the job
  runner's two workers `make run` configures (`root:2`) do: started beforehand, each
  takes the oldest pending job that is due and puts back the ones queue_job puts back; the
  month is billed when the run moves on (every contract done; jobs put back come due a few
  seconds later and find nothing to do: their time is printed beside it); its totals must
  be the same.

Entries per second against Odoo's, the 2.00 target: the run with the runner's two workers
(a q2c run as `make run` deploys it, beside Odoo's path as a user starts it: one request);
the run with one worker is printed beside it (context).

Entries per second = entries / seconds of the billing step (q2c: prepare + jobs). The invoice
totals must be identical: same hours x same rate per employee, no caps, same taxes.

Q2C_BENCH_BILLING_SCALE scales contracts, employees and entries together (default 1 = the
issue's 200 / 200 / 50,000; 0.05 = 10 / 10 / 2,500, a smoke run of a few minutes).
"""

import json
import os
import random
import secrets
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

SCALE = float(os.environ.get("Q2C_BENCH_BILLING_SCALE", "1"))
TEAM = 5
CONTRACTS = max(2, round(200 * SCALE))
EMPLOYEES = max(TEAM, round(200 * SCALE))
PER_CONTRACT = 250
TOTAL = CONTRACTS * PER_CONTRACT
ROLES = (
    ("Consultant", 120.0),
    ("Senior Consultant", 152.5),
    ("Manager", 185.0),
    ("Partner", 240.0),
)
HOURS = (0.25, 0.5, 1.0, 1.5, 2.0, 2.75, 4.0, 8.0)
PERIOD = (date(2025, 3, 1), date(2025, 3, 31))
APPROVED_AT = "2025-04-01T08:00:00Z"
INGEST_CHUNK, CREATE_CHUNK = 2000, 2000
# Job workers of the parallel measure: the job runner's capacity `make run` configures.
WORKERS = 2


def installed(db, module):
    query = f"select state from ir_module_module where name = '{module}'"
    result = subprocess.run(
        ["psql", "-X", "-d", db, "-tAc", query], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() == "installed"


def ensure_sale_timesheet(context):
    """Odoo's timesheet invoicing, in the benchmark database only (the suite does not depend
    on it)."""
    if installed(context["db"], "sale_timesheet"):
        return False
    print("    installing sale_timesheet in the benchmark database", flush=True)
    log = context["state"] / "logs" / "bench-billing-install.log"
    cmd = [
        sys.executable,
        str(Path(os.environ["ODOO_SRC"]) / "odoo-bin"),
        "-c",
        context["conf"],
        "-d",
        context["db"],
        "-i",
        "sale_timesheet",
        "--without-demo=all",
        "--stop-after-init",
        "--no-http",
        f"--logfile={log}",
    ]
    if subprocess.call(cmd):
        raise RuntimeError(f"installing sale_timesheet failed; see {log}")
    return True


def rows_of(team, rng):
    """The contract's entries: (employee index, work date, hours)."""
    days = (PERIOD[1] - PERIOD[0]).days + 1
    return [
        (
            rng.choice(team),
            PERIOD[0] + timedelta(days=rng.randrange(days)),
            rng.choice(HOURS),
        )
        for _n in range(PER_CONTRACT)
    ]


def sale_side(env, roles, employees, customers, taxes, seller, teams):
    """Odoo's own path: a service product per role invoiced on timesheets, per contract a
    confirmed order with a line per team member, a billable project per order line."""
    from odoo import Command

    role_rate = {role.id: rate for role, (_name, rate) in zip(roles, ROLES, strict=True)}
    products = env["product.product"].create(
        [
            {
                "name": f"{role.name} hours",
                "type": "service",
                "service_policy": "delivered_timesheet",
                "service_tracking": "no",
                "list_price": role_rate[role.id],
                "uom_id": env.ref("uom.product_uom_hour").id,
                "uom_po_id": env.ref("uom.product_uom_hour").id,
                "taxes_id": [Command.set(taxes.ids)],
            }
            for role in roles
        ]
    )
    product_of = dict(zip(roles.ids, products, strict=True))
    orders = env["sale.order"].create(
        [
            {
                "partner_id": customers[n].id,
                "user_id": seller.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": product_of[employees[e].job_id.id].id,
                            "name": employees[e].name,
                            "product_uom_qty": 0.0,
                            "price_unit": role_rate[employees[e].job_id.id],
                        }
                    )
                    for e in teams[n]
                ],
            }
            for n in range(CONTRACTS)
        ]
    )
    orders.action_confirm()
    sale_projects = env["project.project"].create(
        [
            {
                "name": f"{order.name} {line.name}",
                "partner_id": order.partner_id.id,
                "allow_billable": True,
                "sale_line_id": line.id,
                "allow_timesheets": True,
            }
            for order in orders
            for line in order.order_line
        ]
    )
    return orders, sale_projects


def bench_users(env, tag):
    """The Finance user who prepares the run, the salesman who invoices the orders (both
    with Odoo's invoicing rights)."""
    from odoo import Command

    def user(name, groups):
        return env["res.users"].create(
            {
                "name": f"Bench {name} {tag}",
                "login": f"bench.{name}.{tag}",
                "groups_id": [Command.set([env.ref(group).id for group in groups])],
            }
        )

    invoicing = ("base.group_user", "account.group_account_invoice")
    finance = user("finance", (*invoicing, "q2c_contract.group_q2c_finance"))
    seller = user(
        "seller",
        (
            *invoicing,
            "sales_team.group_sale_manager",
            "hr_timesheet.group_hr_timesheet_approver",
        ),
    )
    return finance, seller


def setup(registry):
    """Both sides' records and entries, committed. Returns the ids the workers need."""
    from odoo import SUPERUSER_ID, Command, api

    tag = secrets.token_hex(3)
    rng = random.Random(14)
    ids = {"tag": tag}
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        company = env.company
        journal = env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        if not journal:
            env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
            journal = env["account.journal"].search(
                [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
            )
        # Both paths with the same taxes: q2c's lines (no product) take the income account's.
        taxes = journal.default_account_id.tax_ids
        finance, seller = bench_users(env, tag)
        roles = env["hr.job"].create([{"name": f"{name} {tag}"} for name, _rate in ROLES])
        employees = env["hr.employee"].create(
            [
                {"name": f"Bench {tag} E{n:03d}", "job_id": roles[n % len(ROLES)].id}
                for n in range(EMPLOYEES)
            ]
        )
        customers = env["res.partner"].create(
            [{"name": f"Bench {tag} customer {n:03d}"} for n in range(CONTRACTS)]
        )
        currency = company.currency_id
        card = env["q2c.rate.card"].create(
            {
                "name": f"Bench billing {tag}",
                "scope": "contract",
                "currency_id": currency.id,
                "line_ids": [
                    Command.create({"role_id": role.id, "rate": rate, "date_from": "2024-01-01"})
                    for role, (_name, rate) in zip(roles, ROLES, strict=True)
                ],
            }
        )
        system = env["q2c.system"].create(
            {"name": f"Bench billing {tag}", "system_type": "generic", "user_id": finance.id}
        )
        projects = env["project.project"].create(
            [
                {"name": f"Bench {tag} C{n:03d}", "partner_id": customer.id}
                for n, customer in enumerate(customers)
            ]
        )
        contracts = env["q2c.contract"].create(
            [
                {
                    "name": f"Bench {tag} C{n:03d}",
                    "partner_id": customers[n].id,
                    "currency_id": currency.id,
                    "billing_model": "time_and_materials",
                    "billing_cycle": "monthly",
                    "prebill_review_required": False,
                    "rate_card_ids": [Command.set(card.ids)],
                    "project_ids": [Command.set(projects[n].ids)],
                }
                for n in range(CONTRACTS)
            ]
        )
        contracts.action_activate()
        env["q2c.external.ref"].create(
            [
                {
                    "system_id": system.id,
                    "object_type": "employee",
                    "external_id": f"e{n}",
                    "res_model": "hr.employee",
                    "res_id": employee.id,
                }
                for n, employee in enumerate(employees)
            ]
            + [
                {
                    "system_id": system.id,
                    "object_type": "project",
                    "external_id": f"c{n}",
                    "res_model": "project.project",
                    "res_id": project.id,
                }
                for n, project in enumerate(projects)
            ]
        )
        teams = [rng.sample(range(EMPLOYEES), TEAM) for _n in range(CONTRACTS)]
        orders, sale_projects = sale_side(env, roles, employees, customers, taxes, seller, teams)
        cr.commit()
        project_of_line = {project.sale_line_id.id: project.id for project in sale_projects}
        native_project = {}
        for n, order in enumerate(orders):
            for e, line in zip(teams[n], order.order_line, strict=True):
                native_project[n, e] = project_of_line[line.id]
        # The same rows on both sides, committed chunk by chunk.
        Time = env["account.analytic.line"].sudo()
        q2c_rows, native_vals = [], []
        for n in range(CONTRACTS):
            for k, (e, day, hours) in enumerate(rows_of(teams[n], rng)):
                q2c_rows.append(
                    {
                        "external_id": f"{tag}-{n}-{k}",
                        "employee": f"e{e}",
                        "project": f"c{n}",
                        "date": day.isoformat(),
                        "hours": hours,
                        "description": "bench work",
                        "approved_at": APPROVED_AT,
                    }
                )
                native_vals.append(
                    {
                        "employee_id": employees[e].id,
                        "project_id": native_project[n, e],
                        "date": day,
                        "unit_amount": hours,
                        "name": "bench work",
                    }
                )
        for start in range(0, len(q2c_rows), INGEST_CHUNK):
            results = Time._q2c_ingest(system, q2c_rows[start : start + INGEST_CHUNK])
            bad = [r for r in results if r["status"] != "created"]
            if bad:
                raise RuntimeError(f"bench entries not ingested: {bad[:3]}")
            cr.commit()
            env.invalidate_all()
        for start in range(0, len(native_vals), CREATE_CHUNK):
            Time._q2c_create_records(system, native_vals[start : start + CREATE_CHUNK])
            cr.commit()
            env.invalidate_all()
        unlinked = Time.search_count(
            [("project_id", "in", sale_projects.ids), ("so_line", "=", False)]
        )
        if unlinked:
            raise RuntimeError(f"{unlinked} native timesheets are not linked to an order line")
        to_bill = Time.search_count(
            [("q2c_contract_id", "in", contracts.ids), ("q2c_billing_status", "=", "to_bill")]
        )
        if to_bill != TOTAL:
            raise RuntimeError(f"{to_bill} q2c entries to bill, expected {TOTAL}")
        ids.update(
            finance=finance.id,
            seller=seller.id,
            company=company.id,
            contracts=contracts.ids,
            orders=orders.ids,
        )
    return ids


# ---------------------------------------------------------------------------- workers


def peak_mib():
    """This process's peak resident size (VmHWM), in MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def worker_native(registry, ids):
    """`_create_invoices` of every order, as the salesman with invoicing rights."""
    from odoo import api

    with registry.cursor() as cr:
        env = api.Environment(cr, ids["seller"], {"tracking_disable": True})
        orders = env["sale.order"].browse(ids["orders"])
        started = time.perf_counter()
        moves = orders._create_invoices()
        env.flush_all()
        cr.commit()
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "invoices": moves.ids, "peak": peak_mib()}


def perform_jobs(registry, uuids, on_half=None):
    """Each job as the runner's worker performs it: marked started and committed, then
    `RunJobController._try_perform_job` (perform, flush, done, commit), a fresh cursor and
    environment per job. Like the runner, which hands workers pending jobs only, a job
    that is no longer pending when its turn comes (marked done by the job that billed its
    contract with its own) is not performed; reading its state is counted in the time."""
    from odoo import SUPERUSER_ID, api
    from odoo.addons.queue_job.controllers.main import RunJobController
    from odoo.addons.queue_job.job import PENDING, Job

    failed, durations = 0, []
    for number, uuid in enumerate(uuids, start=1):
        started = time.perf_counter()
        with registry.cursor() as cr:
            cr.execute("SELECT state FROM queue_job WHERE uuid = %s", [uuid])
            if cr.fetchone()[0] != PENDING:
                if on_half and number == len(uuids) // 2:
                    on_half()
                continue
            env = api.Environment(cr, SUPERUSER_ID, {})
            job = Job.load(env, uuid)
            job.set_started()
            job.store()
            cr.commit()
            try:
                RunJobController._try_perform_job(env, job)
            except Exception:  # pylint: disable=broad-except
                cr.rollback()
                failed += 1
        durations.append(time.perf_counter() - started)
        if on_half and number == len(uuids) // 2:
            on_half()
    return failed, durations


def prepared_run(env, ids):
    """A manual run of the contracts for the month, prepared (one job per contract)."""
    from odoo import Command

    run = env["q2c.billing.run"].create(
        {
            "company_id": ids["company"],
            "date_from": PERIOD[0],
            "date_to": PERIOD[1],
            "invoice_date": PERIOD[1] + timedelta(days=1),
            "selection": "manual",
            "contract_ids": [Command.set(ids["contracts"])],
        }
    )
    run.action_prepare()
    return run


def run_q2c(registry, ids):
    """A manual run of the contracts: prepare as Finance, then perform its jobs. Returns
    (seconds, run id, failed jobs, peak MiB after half the jobs, seconds of the prepare,
    seconds of each job)."""
    from odoo import api

    half = {}
    with registry.cursor() as cr:
        env = api.Environment(cr, ids["finance"], {"tracking_disable": True})
        started = time.perf_counter()
        run = prepared_run(env, ids)
        uuids = run.line_ids.filtered("job_uuid").mapped("job_uuid")
        cr.commit()
        run_id = run.id
        prepared = time.perf_counter() - started
    failed, durations = perform_jobs(
        registry, uuids, on_half=lambda: half.setdefault("peak", peak_mib())
    )
    seconds = time.perf_counter() - started
    return seconds, run_id, failed, half.get("peak", peak_mib()), prepared, durations


def worker_q2c(registry, ids):
    from odoo import SUPERUSER_ID, api

    def invoices(cr):
        env = api.Environment(cr, SUPERUSER_ID, {})
        return env["account.move"].search_count([("q2c_contract_id", "in", ids["contracts"])])

    seconds, run_id, failed, half, prepared, durations = run_q2c(registry, ids)
    full = peak_mib()
    with registry.cursor() as cr:
        before = invoices(cr)
    again, again_id, again_failed, *_rest = run_q2c(registry, ids)
    with registry.cursor() as cr:
        after = invoices(cr)
        env = api.Environment(cr, SUPERUSER_ID, {})
        again_run = env["q2c.billing.run"].browse(again_id)
        again_states = sorted(set(again_run.line_ids.mapped("state")))
    return {
        "seconds": seconds,
        "run": run_id,
        "failed": failed + again_failed,
        "prepare": prepared,
        "job_median": sorted(durations)[len(durations) // 2] if durations else 0.0,
        "job_first": durations[0] if durations else 0.0,
        "jobs_performed": len(durations),
        "mem_half": half,
        "mem_full": full,
        "again_seconds": again,
        "again_created": after - before,
        "again_states": again_states,
    }


def perform_pending(registry, first_job):
    """One of the job runner's workers: take the oldest job created since `first_job` (the
    run's, and the questions "is the run done?" its jobs leave) that is pending and due
    (its eta passed), locked so that two workers never take the same, marked started and
    committed (the runner hands it out), and perform it with `_try_perform_job`, until none
    is pending. A job put back in the queue (RetryableJobError: its contract held by the
    other worker's job) or that fails to serialize (its contract billed meanwhile) is
    rolled back and postponed, as queue_job's controller does; while only jobs not yet due
    are left, the worker waits a moment."""
    from psycopg2 import OperationalError

    from odoo import SUPERUSER_ID, api
    from odoo.addons.queue_job.controllers.main import RunJobController
    from odoo.addons.queue_job.exception import RetryableJobError
    from odoo.addons.queue_job.job import Job
    from odoo.service.model import PG_CONCURRENCY_ERRORS_TO_RETRY

    performed = retries = failed = 0
    while True:
        with registry.cursor() as cr:
            cr.execute(
                """SELECT uuid FROM queue_job
                    WHERE id >= %s AND state = 'pending'
                      AND (eta IS NULL OR eta <= now() at time zone 'utc')
                    ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED""",
                [first_job],
            )
            row = cr.fetchone()
            if not row:
                # Jobs not yet due, or being performed by the other worker (which may put
                # one back or leave a question behind): wait; none at all: done.
                cr.execute(
                    """SELECT count(*) FROM queue_job
                        WHERE id >= %s AND state IN ('pending', 'enqueued', 'started')""",
                    [first_job],
                )
                left = cr.fetchone()[0]
                cr.rollback()
                if not left:
                    return {"performed": performed, "retries": retries, "failed": failed}
                time.sleep(0.1)
                continue
            uuid = row[0]
            env = api.Environment(cr, SUPERUSER_ID, {})
            job = Job.load(env, uuid)
            job.set_started()
            job.store()
            cr.commit()
            postpone = None
            try:
                RunJobController._try_perform_job(env, job)
                performed += 1
            except RetryableJobError as error:
                postpone = (str(error), error.seconds)
            except OperationalError as error:
                if error.pgcode not in PG_CONCURRENCY_ERRORS_TO_RETRY:
                    cr.rollback()
                    failed += 1
                    continue
                postpone = (str(error), 5)
            except Exception:  # pylint: disable=broad-except
                cr.rollback()
                failed += 1
                continue
            if postpone:
                cr.rollback()
                retries += 1
                job = Job.load(env, uuid)
                job.postpone(result=postpone[0], seconds=postpone[1])
                job.set_pending(reset_retry=False)
                job.store()
                cr.commit()


def worker_perform(registry):
    """`perform` mode: load the registry, say "ready", wait for "go <first job id>" on
    stdin, then work as one runner worker (`perform_pending`)."""
    print("ready", flush=True)
    first_job = int(sys.stdin.readline().split()[1])
    return perform_pending(registry, first_job)


def run_q2c_workers(registry, ids, workers):
    """A manual run of the contracts prepared as Finance, its jobs performed by `workers`
    processes at once (the job runner's workers: `make run` configures `root:2`), started
    and their registries loaded beforehand, as a running Odoo's are. Returns the seconds
    from the prepare to the run moving on (every contract done) and to the last job (jobs
    put back come due a few seconds later and find nothing to do), the run id, jobs
    performed, put back or retried, failed."""
    from odoo import api

    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "perform", *sys.argv[2:4], "{}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _n in range(workers)
    ]
    for proc in procs:
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError("billing bench: a perform worker did not start")
    with registry.cursor() as cr:
        env = api.Environment(cr, ids["finance"], {"tracking_disable": True})
        started = time.perf_counter()
        run = prepared_run(env, ids)
        uuids = run.line_ids.filtered("job_uuid").mapped("job_uuid")
        cr.execute("SELECT min(id) FROM queue_job WHERE uuid = ANY(%s)", [uuids])
        first_job = cr.fetchone()[0]
        cr.commit()
        run_id = run.id
    for proc in procs:
        proc.stdin.write(f"go {first_job}\n")
        proc.stdin.flush()
    # The month is billed when the run moves on (every contract done, the run Invoiced):
    # jobs put back meanwhile then find nothing to do when they come due.
    billed = None
    while billed is None and any(proc.poll() is None for proc in procs):
        with registry.cursor() as cr:
            cr.execute("SELECT state FROM q2c_billing_run WHERE id = %s", [run_id])
            if cr.fetchone()[0] != "preparing":
                billed = time.perf_counter() - started
        time.sleep(0.05)
    results = [json.loads(proc.communicate()[0].strip().splitlines()[-1]) for proc in procs]
    every_job = time.perf_counter() - started
    return {
        "seconds": billed or every_job,
        "every_job": every_job,
        "run": run_id,
        "performed": sum(result["performed"] for result in results),
        "retries": sum(result["retries"] for result in results),
        "failed": sum(result["failed"] for result in results),
    }


def worker_main():
    """`python bench_billing.py <native|q2c|q2c2|perform> <conf> <db> <ids json>`: one
    measure in a fresh process; prints its result as JSON on the last line."""
    mode, conf, db, ids = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    import odoo

    odoo.tools.config.parse_config(["-c", conf, "-d", db, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(db)
    if mode == "native":
        result = worker_native(registry, ids)
    elif mode == "q2c":
        result = worker_q2c(registry, ids)
    elif mode == "q2c2":
        result = run_q2c_workers(registry, ids, WORKERS)
    else:
        result = worker_perform(registry)
    print(json.dumps(result))


def cancel_q2c_runs(registry, ids):
    """Cancel the q2c runs of the contracts (their drafts deleted, their entries to bill
    again), as Finance: the same month billed again by the next measure."""
    from odoo import api

    with registry.cursor() as cr:
        env = api.Environment(cr, ids["finance"], {})
        runs = env["q2c.billing.run"].search(
            [("contract_ids", "in", ids["contracts"]), ("state", "!=", "cancelled")]
        )
        runs.action_cancel()


def in_worker(context, mode, ids):
    out = subprocess.run(
        [sys.executable, __file__, mode, context["conf"], context["db"], json.dumps(ids)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise RuntimeError(f"billing bench worker {mode} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------- totals


def totals(registry, ids, q2c_run, native_invoices):
    """Per contract, q2c's invoice and the order's invoice: untaxed and total amounts, and
    the number of contracts where they differ (compared in the currency)."""
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        currency = env["res.company"].browse(ids["company"]).currency_id
        run = env["q2c.billing.run"].browse(q2c_run)
        q2c_moves = run.line_ids.invoice_id
        native_moves = env["account.move"].browse(native_invoices)
        q2c_by_partner = {move.partner_id.id: move for move in q2c_moves}
        differ = 0
        for move in native_moves:
            mine = q2c_by_partner.get(move.partner_id.id)
            if not mine or any(
                currency.compare_amounts(mine[field], move[field])
                for field in ("amount_untaxed", "amount_total")
            ):
                differ += 1
        Time = env["account.analytic.line"]
        sums = {
            f"{side}_{field.removeprefix('amount_')}": currency.round(sum(moves.mapped(field)))
            for side, moves in (("q2c", q2c_moves), ("native", native_moves))
            for field in ("amount_untaxed", "amount_total")
        }
        return {
            **sums,
            "same": differ == 0
            and len(q2c_moves) == len(native_moves)
            and not currency.compare_amounts(sums["q2c_untaxed"], sums["native_untaxed"])
            and not currency.compare_amounts(sums["q2c_total"], sums["native_total"]),
            "q2c_invoices": len(q2c_moves),
            "native_invoices": len(native_moves),
            "differ": differ + abs(len(q2c_moves) - len(native_moves)),
            "q2c_billed": sum(run.line_ids.mapped("time_count")),
            "native_billed": Time.search_count([("timesheet_invoice_id", "in", native_invoices)]),
        }


def run(context):
    import odoo

    fresh = ensure_sale_timesheet(context)
    Registry = odoo.modules.registry.Registry
    registry = Registry.new(context["db"]) if fresh else Registry(context["db"])
    started = time.perf_counter()
    ids = setup(registry)
    print(
        f"    set up {CONTRACTS} contracts / orders, {EMPLOYEES} employees, 2 x {TOTAL} "
        f"entries in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    native = in_worker(context, "native", ids)
    q2c = in_worker(context, "q2c", ids)
    sums = totals(registry, ids, q2c["run"], native["invoices"])
    cancel_q2c_runs(registry, ids)
    parallel = in_worker(context, "q2c2", ids)
    parallel_sums = totals(registry, ids, parallel["run"], native["invoices"])
    parallel_speed = native["seconds"] / parallel["seconds"]
    q2c_rate = TOTAL / q2c["seconds"]
    native_rate = TOTAL / native["seconds"]
    speed = q2c_rate / native_rate
    repeat = q2c["again_seconds"] / q2c["seconds"]
    mem = q2c["mem_full"] / q2c["mem_half"]
    same = sums["same"]
    billed_all = sums["q2c_billed"] == TOTAL and sums["native_billed"] == TOTAL
    name = f"billing x{TOTAL}"
    rows = [
        (
            name,
            f"entries/s: q2c run, jobs by the runner's {WORKERS} workers, vs _create_invoices",
            f"{TOTAL / parallel['seconds']:.0f}",
            f"{native_rate:.0f}",
            f"{parallel_speed:.2f}",
            ">= 2.00",
            parallel_speed >= 2.0 and not parallel["failed"],
        ),
        (
            name,
            "(context) entries/s: q2c run, jobs one after the other (one worker)",
            f"{q2c_rate:.0f}",
            f"{native_rate:.0f}",
            f"{speed:.2f}",
            "-",
            not q2c["failed"],
        ),
        (
            name,
            f"(context) seconds: q2c run ({WORKERS} workers, their last job; one) vs Odoo",
            f"{parallel['seconds']:.1f}s, {parallel['every_job']:.1f}s; {q2c['seconds']:.1f}s",
            f"{native['seconds']:.1f}s",
            "-",
            "-",
            True,
        ),
        (
            name,
            f"{WORKERS} job workers: jobs performed, retried; totals, contracts differing",
            f"{parallel['performed']}, {parallel['retries']}; {parallel_sums['q2c_untaxed']:.2f}",
            f"{parallel_sums['native_untaxed']:.2f}",
            f"{parallel_sums['differ']}",
            "0 failed, identical",
            not parallel["failed"] and parallel_sums["same"],
        ),
        (
            name,
            "(context) q2c prepare; jobs performed (of one per contract): first, median",
            f"{q2c['prepare']:.1f}s; {q2c['jobs_performed']} of {CONTRACTS}: "
            f"{q2c['job_first']:.2f}s, {q2c['job_median']:.2f}s",
            f"{native['seconds'] / CONTRACTS:.2f}s per order",
            "-",
            "-",
            True,
        ),
        (
            name,
            "entries billed / invoices",
            f"{sums['q2c_billed']}/{sums['q2c_invoices']}",
            f"{sums['native_billed']}/{sums['native_invoices']}",
            "-",
            f"= {TOTAL}/{CONTRACTS}",
            billed_all and sums["q2c_invoices"] == sums["native_invoices"] == CONTRACTS,
        ),
        (
            name,
            "invoice totals untaxed (total), contracts differing",
            f"{sums['q2c_untaxed']:.2f} ({sums['q2c_total']:.2f})",
            f"{sums['native_untaxed']:.2f} ({sums['native_total']:.2f})",
            f"{sums['differ']}",
            "identical",
            same,
        ),
        (
            name,
            "re-run same period: invoices created, time / first",
            f"{q2c['again_created']} in {q2c['again_seconds']:.2f}s",
            f"{q2c['seconds']:.1f}s",
            f"{repeat:.3f}",
            "0, <= 0.10",
            q2c["again_created"] == 0 and repeat <= 0.10,
        ),
        (
            name,
            "q2c worker peak MiB: N / N/2 entries billed",
            f"{q2c['mem_full']:.1f}",
            f"{q2c['mem_half']:.1f}",
            f"{mem:.2f}",
            "<= 1.10",
            mem <= 1.10,
        ),
        (
            name,
            "(context) native worker peak MiB",
            f"{native['peak']:.1f}",
            "-",
            "-",
            "-",
            True,
        ),
    ]
    for row in rows:
        if row[5] != "-":
            verdict = "PASS" if row[6] else "FAIL"
            print(f"    {verdict} {row[0]}: {row[1]}: {row[4]} (target {row[5]})", flush=True)
    return rows


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    worker_main()
