"""Run every q2c test on a throw-away database and print one summary line.

Called by `scripts/q2c test` (that is `make test`) after the bootstrap, with the virtualenv's
Python and Q2C_ODOO_CONF, Q2C_ROOT and Q2C_STATE set. Stages:

1. Odoo's own test runner (`--test-enable`) installs q2c_suite on a fresh database and runs the
   tests of every q2c addon; any ERROR or CRITICAL line in the log fails the run, as OCA's CI does,
   and so does any skipped test: Odoo skips a UI tour with only a warning when Chromium or the
   websocket-client package is missing, and a tour that did not run proves nothing.
2. pytest-odoo runs the top-level `tests/` (benchmarks excluded) against that database.
3. ruff and pylint-odoo's mandatory checks lint the code, and every addon's README.rst must be
   what scripts/gen_readme.py makes of its readme/ fragments (`make readme` regenerates them).

The last line reads `N passed, N failed` (`, N skipped` when some were); the exit code is 1 when
anything failed.
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(os.environ.get("Q2C_ROOT", Path(__file__).resolve().parents[1]))
STATE = Path(os.environ.get("Q2C_STATE", ROOT / ".state"))
LOGS = STATE / "logs"
PYTHON = sys.executable
# odoo-bin, not `python -m odoo`: in multi-worker mode Odoo re-executes sys.argv.
ODOO_BIN = str(Path(os.environ.get("ODOO_SRC", "")) / "odoo-bin")

LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>[A-Z]+) (?P<db>\S+) (?P<logger>[\w.]+): "
    r"(?P<message>.*)$"
)
TEST_REPORT = re.compile(
    r"(?P<failed>\d+) failed, (?P<errors>\d+) error\(s\) of (?P<run>\d+) tests "
    r"when loading database"
)
ECHO_LOGGERS = ("odoo.tests", "odoo.addons.q2c_")
# OdooTestResult.addSkip logs "skipped <test> : <reason>" at INFO on the test's own logger.
SKIPPED = re.compile(r"^skipped (?P<test>\S+.*?) : (?P<reason>.*)$")


@dataclass
class Stage:
    name: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    notes: list = field(default_factory=list)


def q2c_addons():
    return sorted(p.parent.name for p in (ROOT / "addons").glob("*/__manifest__.py"))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def odoo_command(conf, db, *args):
    return [PYTHON, ODOO_BIN, "-c", str(conf), "-d", db, *args]


def run_odoo_tests(conf, db, addons):
    """Install q2c_suite with tests enabled; count tests from Odoo's final report line."""
    stage = Stage("odoo tests")
    log_path = LOGS / f"{db}-odoo.log"
    tags = ",".join(f"/{name}" for name in addons)
    cmd = odoo_command(
        conf,
        db,
        "-i",
        "q2c_suite",
        "--test-enable",
        f"--test-tags={tags}",
        "--stop-after-init",
        f"--http-port={free_port()}",
        "--log-level=info",
        "--workers=0",
        "--max-cron-threads=0",
        "--load=base,web",
    )
    print(f"    log: {log_path}", flush=True)
    error_lines, skipped, report = [], [], None
    with (
        open(log_path, "w") as log,
        subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        ) as proc,
    ):
        for line in proc.stdout:
            log.write(line)
            match = LOG_LINE.match(line)
            if not match:
                continue
            level, logger = match["level"], match["logger"]
            if level in ("ERROR", "CRITICAL"):
                error_lines.append(line.rstrip())
            if (
                level in ("WARNING", "ERROR", "CRITICAL")
                or logger.startswith(ECHO_LOGGERS)
                or match["message"].startswith(("Loading module q2c", "Modules loaded"))
            ):
                print("    " + line.rstrip(), flush=True)
            if logger.startswith("odoo.addons.q2c_") and SKIPPED.match(match["message"]):
                skipped.append(match["message"])
                print("    " + line.rstrip(), flush=True)
            found = TEST_REPORT.search(match["message"])
            if found and logger == "odoo.tests.result":
                report = found
    if report is None:
        stage.failed += 1
        stage.notes.append(f"Odoo exited ({proc.returncode}) with no test report; see {log_path}")
        return stage
    run, failed, errors = (int(report[k]) for k in ("run", "failed", "errors"))
    stage.failed += failed + errors
    stage.passed += run - failed - errors
    if run == 0:
        stage.failed += 1
        stage.notes.append("Odoo ran no test")
    # Odoo counts a skipped test as run: each one is a failure here (see the module docstring).
    stage.skipped += len(skipped)
    stage.failed += len(skipped)
    stage.passed -= len(skipped)
    for message in skipped:
        stage.notes.append(f"not run, counted as failed: {message}")
    # The log itself is a check: an ERROR outside any test (a broken view, a failed data
    # file) fails the run even when every test passed.
    if error_lines and not failed + errors:
        stage.failed += 1
        stage.notes.append(f"{len(error_lines)} ERROR/CRITICAL line(s) in the log; see {log_path}")
    elif not error_lines:
        stage.passed += 1
    if proc.returncode and not stage.failed:
        stage.failed += 1
        stage.notes.append(f"Odoo exited with status {proc.returncode}")
    return stage


def pytest_config(conf, db):
    """Odoo's config with test mode on: without it, importing odoo.tests logs an ERROR."""
    test_conf = LOGS / f"{db}-pytest.conf"
    text = Path(conf).read_text().replace("[options]\n", "[options]\ntest_enable = True\n", 1)
    test_conf.write_text(text)
    return test_conf


# pytest-odoo imports odoo.tests after resetting Odoo's config, outside test mode, and that
# first import logs an ERROR. Import it first, in test mode (Odoo checks on first import only).
PYTEST_BOOT = (
    "import sys, odoo.tools; odoo.tools.config['test_enable'] = True; import odoo.tests; "
    "import pytest; sys.exit(pytest.main(sys.argv[1:]))"
)


def run_pytest(conf, db):
    stage = Stage("pytest (tests/)")
    junit = LOGS / f"{db}-pytest.xml"
    conf = pytest_config(conf, db)
    cmd = [
        PYTHON,
        "-c",
        PYTEST_BOOT,
        str(ROOT / "tests"),
        f"--ignore={ROOT / 'tests' / 'bench'}",
        f"--odoo-config={conf}",
        f"--odoo-database={db}",
        "--odoo-log-level=warn",
        f"--junitxml={junit}",
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    junit.unlink(missing_ok=True)
    error_lines = []
    with subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    ) as proc:
        for line in proc.stdout:
            print("    " + line.rstrip(), flush=True)
            match = LOG_LINE.match(line)
            if match and match["level"] in ("ERROR", "CRITICAL"):
                error_lines.append(line)
    code = proc.returncode
    if code == 5:  # pytest: no test collected
        stage.failed += 1
        stage.notes.append("pytest collected no test in tests/")
        return stage
    if not junit.exists():
        stage.failed += 1
        stage.notes.append(f"pytest exited with status {code} without a report")
        return stage
    root = ET.parse(junit).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    for suite in suites:
        total, skipped = int(suite.get("tests", 0)), int(suite.get("skipped", 0))
        bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        stage.passed += total - skipped - bad
        stage.failed += bad
        stage.skipped += skipped
    if error_lines:
        stage.failed += 1
        stage.notes.append(f"{len(error_lines)} ERROR/CRITICAL log line(s) during pytest")
    if code and not stage.failed:
        stage.failed += 1
        stage.notes.append(f"pytest exited with status {code}")
    return stage


def run_lint():
    stage = Stage("lint")
    # docs/skeleton: the connector skeletons a newcomer copies are linted like the addons.
    skeletons = ROOT / "docs" / "skeleton"
    targets = [str(ROOT / "addons"), str(skeletons), str(ROOT / "tests"), str(ROOT / "scripts")]
    checks = {
        "ruff check": [PYTHON, "-m", "ruff", "check", *targets],
        "ruff format": [PYTHON, "-m", "ruff", "format", "--check", *targets],
        "pylint-odoo (mandatory)": [
            PYTHON,
            "-m",
            "pylint",
            f"--rcfile={ROOT / '.pylintrc-mandatory'}",
            *sorted(str(p.parent) for p in (ROOT / "addons").glob("*/__manifest__.py")),
            *sorted(str(p.parent) for p in skeletons.glob("*/__manifest__.py")),
        ],
        "README.rst from readme/": [PYTHON, str(ROOT / "scripts" / "gen_readme.py"), "--check"],
    }
    for name, cmd in checks.items():
        code = subprocess.call(cmd, cwd=ROOT)
        if code:
            stage.failed += 1
            stage.notes.append(f"{name} reported problems (exit {code})")
        else:
            stage.passed += 1
            print(f"    {name}: clean", flush=True)
    return stage


def psql(*args):
    return subprocess.run(["psql", "-X", "-q", "-d", "postgres", *args], check=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep-db", action="store_true", help="keep the test database")
    parser.add_argument("--skip-lint", action="store_true")
    parser.add_argument("--lint-only", action="store_true")
    args = parser.parse_args()
    if args.lint_only:
        stage = run_lint()
        print(f"{stage.passed} passed, {stage.failed} failed")
        return 1 if stage.failed else 0

    conf = os.environ.get("Q2C_ODOO_CONF") or str(STATE / "odoo.conf")
    LOGS.mkdir(parents=True, exist_ok=True)
    db = f"q2c_test_{int(time.time())}_{os.getpid()}"
    for old in sorted(LOGS.glob("q2c_test_*"))[:-60]:  # keep the files of the last 20 runs
        old.unlink()
    addons = q2c_addons()
    started = time.monotonic()
    stages = []
    print(
        f"==> Test database {db}: installing q2c_suite and running the tests of "
        f"{', '.join(addons)}",
        flush=True,
    )
    try:
        stages.append(run_odoo_tests(conf, db, addons))
        print("==> pytest-odoo: tests/", flush=True)
        stages.append(run_pytest(conf, db))
    finally:
        if not args.keep_db:
            psql("-c", f'DROP DATABASE IF EXISTS "{db}"')
    if not args.skip_lint:
        print("==> Lint: ruff, pylint-odoo, README.rst", flush=True)
        stages.append(run_lint())

    print(f"\n==> Results ({time.monotonic() - started:.0f} s)")
    for stage in stages:
        print(
            f"    {stage.name}: {stage.passed} passed, {stage.failed} failed"
            + (f", {stage.skipped} skipped" if stage.skipped else "")
        )
        for note in stage.notes:
            print(f"      - {note}")
    passed = sum(s.passed for s in stages)
    failed = sum(s.failed for s in stages)
    skipped = sum(s.skipped for s in stages)
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
