"""Start and stop a real multi-worker Odoo on this machine, for benchmarks and end-to-end tests.

Odoo is started with odoo-bin (its prefork master re-executes sys.argv, which `python -m odoo`
breaks) on free ports, in its own process group so that stopping it stops its workers.
"""

import os
import signal
import socket
import subprocess
import sys
import time

import requests


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_odoo(
    conf,
    db,
    port,
    log,
    runner=False,
    workers=2,
    timeout=120,
    env=None,
    load=None,
    args=(),
    crons=0,
):
    """Serve `db` on `port` with `workers` HTTP workers; the queue_job runner only when asked
    (without queue_job among the server-wide modules, none starts); `env` adds environment
    variables (ODOO_QUEUE_JOB_CHANNELS, say); `load` replaces the server-wide modules; `args`
    are more command-line options (`--db_port=...`, say); `crons` cron workers (threads when
    `workers` is 0). Returns the process."""
    cmd = [
        sys.executable,
        os.path.join(os.environ["ODOO_SRC"], "odoo-bin"),
        "-c",
        conf,
        "-d",
        db,
        f"--db-filter=^{db}$",
        f"--http-port={port}",
        f"--gevent-port={free_port()}",
        f"--workers={workers}",
        f"--max-cron-threads={crons}",
        f"--logfile={log}",
        "--log-level=warn",
        f"--load={load or ('base,web,queue_job' if runner else 'base,web')}",
        *args,
    ]
    proc = subprocess.Popen(cmd, start_new_session=True, env={**os.environ, **(env or {})})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/web/health", timeout=2).ok:
                return proc
        except requests.RequestException:
            pass
        time.sleep(0.5)
    stop_odoo(proc)
    raise RuntimeError(f"Odoo did not start; see {log}")


def peak_memory_mib(proc):
    """The largest peak resident size (VmHWM) among the server's worker processes, in MiB
    (the master and the gevent process left out): the high-water mark that a chunked path
    keeps flat as the volume grows."""
    import psutil  # an Odoo requirement

    peak = 0
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        return 0.0
    for child in children:
        try:
            if "gevent" in child.cmdline():
                continue
            with open(f"/proc/{child.pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
        except (OSError, psutil.Error):
            continue
    return peak / 1024


def wait_for_job_runner(port, timeout=120):
    """Wait until the queue_job runner holds its lock (GET /q2c/health says so)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            health = requests.get(f"http://127.0.0.1:{port}/q2c/health", timeout=5).json()
            if health.get("job_runner"):
                return
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.5)
    raise RuntimeError("the queue_job runner did not start")


def stop_odoo(proc):
    """Clean shutdown (one SIGINT to the group), killed if it does not end in 30 s."""
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
