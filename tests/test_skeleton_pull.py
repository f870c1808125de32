"""The skeleton pull connector (docs/skeleton/q2c_skeleton_pull) is a real addon: copied to an
addons path of its own, it installs on a fresh database with nothing else changed, and its
own test pulls two pages into timesheet lines. What docs/connectors.md promises a newcomer."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg2

import odoo
from odoo.tools import config

ROOT = Path(__file__).resolve().parents[1]
SKELETON = ROOT / "docs" / "skeleton" / "q2c_skeleton_pull"
REPORT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")
TIMEOUT = 900
ODOO_BIN = Path(os.environ.get("ODOO_SRC") or Path(odoo.__file__).parents[1]) / "odoo-bin"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def drop_database(name):
    connection = psycopg2.connect(
        dbname="postgres",
        host=config["db_host"] or None,
        port=config["db_port"] or None,
        user=config["db_user"] or None,
        password=config["db_password"] or None,
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cr:
            cr.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        connection.close()


def test_skeleton_pull_connector_installs_and_its_tests_pass(tmp_path):
    addons = tmp_path / "addons"
    shutil.copytree(SKELETON, addons / SKELETON.name)
    db = f"q2c_skeleton_{os.getpid()}_{int(time.time())}"
    cmd = [
        sys.executable,
        str(ODOO_BIN),
        "-c",
        config.rcfile,
        f"--addons-path={config['addons_path']},{addons}",
        "-d",
        db,
        "-i",
        "q2c_skeleton_pull",
        "--without-demo=all",
        "--test-enable",
        "--test-tags=/q2c_skeleton_pull",
        "--stop-after-init",
        f"--http-port={free_port()}",
        "--workers=0",
        "--max-cron-threads=0",
        "--log-level=info",
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    finally:
        drop_database(db)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    reports = REPORT.findall(log)
    assert reports, f"no test report in the log:\n{log[-4000:]}"
    failed, errors, run = (int(n) for n in reports[-1])
    assert run > 0, "the skeleton's tests did not run"
    assert (failed, errors) == (0, 0), log[-4000:]
    assert " ERROR " not in log, log[-4000:]
