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


def start_odoo(conf, db, port, log, runner=False, workers=2, timeout=120):
    """Serve `db` on `port` with `workers` HTTP workers; the queue_job runner only when asked
    (without queue_job among the server-wide modules, none starts). Returns the process."""
    cmd = [
        sys.executable, os.path.join(os.environ["ODOO_SRC"], "odoo-bin"), "-c", conf,
        "-d", db, f"--db-filter=^{db}$", f"--http-port={port}",
        f"--gevent-port={free_port()}", f"--workers={workers}", "--max-cron-threads=0",
        f"--logfile={log}", "--log-level=warn",
        "--load=base,web,queue_job" if runner else "--load=base,web",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, start_new_session=True)
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


def stop_odoo(proc):
    """Clean shutdown (one SIGINT to the group), killed if it does not end in 30 s."""
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
