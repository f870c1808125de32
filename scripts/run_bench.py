"""Run the benchmarks in tests/bench/ and print one table of ratios.

Called by `scripts/q2c bench` (that is `make bench`) after the bootstrap. The database
`q2c_bench` is prepared once (q2c_suite without demo data) and reused; each
`tests/bench/bench_*.py` module exposes `run(context)` returning rows
`(benchmark, measure, q2c, odoo_baseline, ratio, target, ok)`. A benchmark measures q2c and the
Odoo path it is compared with in the same run, on the same server.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(os.environ.get("Q2C_ROOT", Path(__file__).resolve().parents[1]))
STATE = Path(os.environ.get("Q2C_STATE", ROOT / ".state"))
BENCH_DB = os.environ.get("Q2C_BENCH_DB", "q2c_bench")
# odoo-bin, not `python -m odoo`: in multi-worker mode Odoo re-executes sys.argv.
ODOO_BIN = str(Path(os.environ.get("ODOO_SRC", "")) / "odoo-bin")
COLUMNS = ("benchmark", "measure", "q2c", "odoo", "ratio", "target", "ok")


def db_has_suite(db):
    query = "select state from ir_module_module where name = 'q2c_suite'"
    result = subprocess.run(
        ["psql", "-X", "-d", db, "-tAc", query], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() == "installed"


def prepare_db(conf):
    """Install q2c_suite without demo data in the benchmark database, or update every q2c
    addon there (an update of q2c_suite alone would install new dependencies but leave
    changed addons' tables as they were)."""
    if db_has_suite(BENCH_DB):
        mode = "-u"
        manifests = (ROOT / "addons").glob("*/__manifest__.py")
        addons = ",".join(sorted(path.parent.name for path in manifests))
    else:
        mode, addons = "-i", "q2c_suite"
    print(f"==> Benchmark database {BENCH_DB}: {mode} {addons}", flush=True)
    log = STATE / "logs" / "bench-install.log"
    cmd = [
        sys.executable,
        ODOO_BIN,
        "-c",
        conf,
        "-d",
        BENCH_DB,
        mode,
        addons,
        "--without-demo=all",
        "--stop-after-init",
        "--no-http",
        f"--logfile={log}",
    ]
    if subprocess.call(cmd):
        sys.exit(f"q2c: installing q2c_suite in {BENCH_DB} failed; see {log}")


def load_benchmarks():
    """tests/bench/bench_*.py, or only those named in Q2C_BENCH (comma-separated, e.g.
    `Q2C_BENCH=timesheet make bench`)."""
    sys.path.insert(0, str(ROOT))  # benchmarks share tests/odoo_server.py
    only = {name.strip() for name in os.environ.get("Q2C_BENCH", "").split(",") if name.strip()}
    for path in sorted((ROOT / "tests" / "bench").glob("bench_*.py")):
        if only and path.stem.removeprefix("bench_") not in only:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield path.stem, module


def print_table(rows):
    table = [COLUMNS, *[tuple(str(cell) for cell in row) for row in rows]]
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
    for index, row in enumerate(table):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def main():
    conf = os.environ.get("Q2C_ODOO_CONF") or str(STATE / "odoo.conf")
    benchmarks = list(load_benchmarks())
    if not benchmarks:
        print("No benchmark in tests/bench/ yet: nothing measured.")
        return 0
    prepare_db(conf)
    # Odoo's configuration can be parsed once per process: here, for every benchmark.
    import odoo

    odoo.tools.config.parse_config(["-c", conf, "-d", BENCH_DB, "--log-level=warn"])
    context = {"conf": conf, "db": BENCH_DB, "root": ROOT, "state": STATE}
    rows = []
    for name, module in benchmarks:
        print(f"==> {name}", flush=True)
        rows.extend(module.run(context))
    print()
    print_table(rows)
    return 0 if all(row[-1] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
