"""A webhook connector is one new addon touching no other: the skeleton proves it.

docs/skeleton/q2c_skeleton_webhook is copied into a temporary addons folder, and a separate
odoo-bin (same configuration, that folder appended to the addons path) installs it on a
throw-away database with its tests enabled. The addon registers its type, verifies, parses and
handles its events with nothing changed anywhere else; its own tests (signed requests through
Odoo's real HTTP server) must run and pass.
"""

import os
import re
import shutil
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import psycopg2

from odoo.sql_db import db_connect
from odoo.tools import SQL, config
from tests.odoo_server import free_port

ROOT = Path(__file__).resolve().parents[1]
SKELETON = ROOT / "docs" / "skeleton" / "q2c_skeleton_webhook"
REPORT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")
STARTED = re.compile(r"odoo\.addons\.q2c_skeleton_webhook\.tests\.\S+: Starting (\S+) \.\.\.")


def drop_database(db, attempts=10):
    """Drop the test database once its Odoo process has ended. Not odoo.service.db.exp_drop:
    with a database named in the configuration (pytest-odoo's), Odoo lists that one only and
    refuses to drop any other. Not WITH (FORCE) either: PostgreSQL then refuses when an
    autovacuum worker is on the database (it belongs to no role q2c may signal), where a
    plain DROP DATABASE makes the worker exit; retried while a connection is still closing."""
    for attempt in range(1, attempts + 1):
        try:
            with closing(db_connect("postgres").cursor()) as cr:
                cr._cnx.autocommit = True
                cr.execute(
                    SQL("DROP DATABASE IF EXISTS %s", SQL.identifier(db)), log_exceptions=False
                )
            break
        except psycopg2.errors.ObjectInUse:
            if attempt == attempts:
                raise
            time.sleep(1)
    shutil.rmtree(config.filestore(db), ignore_errors=True)


def test_skeleton_webhook_connector_installs_alone_and_its_tests_pass(tmp_path):
    addons = tmp_path / "addons"
    shutil.copytree(SKELETON, addons / SKELETON.name)
    db = f"q2c_skeleton_{int(time.time())}_{os.getpid()}"
    log_path = tmp_path / "odoo.log"
    cmd = [
        sys.executable,
        str(Path(os.environ["ODOO_SRC"]) / "odoo-bin"),
        "-c",
        os.environ["Q2C_ODOO_CONF"],
        "-d",
        db,
        f"--addons-path={config['addons_path']},{addons}",
        "-i",
        SKELETON.name,
        "--test-enable",
        f"--test-tags=/{SKELETON.name}",
        "--stop-after-init",
        "--without-demo=all",
        f"--http-port={free_port()}",
        "--workers=0",
        "--max-cron-threads=0",
        "--load=base,web",
        "--log-level=info",
        f"--logfile={log_path}",
    ]
    try:
        done = subprocess.run(cmd, timeout=600, check=False)
        log = log_path.read_text()
    finally:
        drop_database(db)
    reports = REPORT.findall(log)
    assert done.returncode == 0, log[-3000:]
    assert reports, "no test report in the log:\n" + log[-3000:]
    failed, errors, run = (int(n) for n in reports[-1])
    started = set(STARTED.findall(log))
    assert run > 0 and len(started) == run, (run, sorted(started))
    assert (failed, errors) == (0, 0), log[-3000:]
