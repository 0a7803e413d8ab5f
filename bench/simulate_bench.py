"""Benchmark ``simulate`` (target: 100,000 cases in <= 60 s on 2 cores).

Usage::

    .venv/bin/python bench/simulate_bench.py [--cases 100000] [--seed 7] [--dir DIR]

Runs the simulation of all SOP models into a fresh database in a child process and reports
wall seconds, cases/s, events/s and the child's peak RSS (VmHWM from /proc/self/status:
DuckDB and Arrow allocate outside Python, so tracemalloc would not see it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 60.0

CHILD = r"""
import json, sys, time
from event_logs.simulator import simulate
db, cases, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t0 = time.perf_counter()
r = simulate(db, cases=cases, seed=seed)
seconds = time.perf_counter() - t0
hwm = 0
for line in open('/proc/self/status'):
    if line.startswith('VmHWM:'):
        hwm = int(line.split()[1]) * 1024
print(json.dumps({"seconds": seconds, "peak_rss": hwm, "cases": r.cases, "events": r.events,
                  "truth_rows": r.truth_rows, "per_sop": r.per_sop}))
"""


def main() -> int:
    """Run the benchmark; exit status 1 when it misses the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None, help="where the database goes (default: a temp dir)")
    args = parser.parse_args()
    env = {**os.environ, "PM4PY_SHOW_PROGRESS_BAR": "False"}
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        db = Path(tmp) / "bench.duckdb"
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CHILD, str(db), str(args.cases), str(args.seed)],
                             cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            return 2
        r = json.loads(out.stdout.strip().splitlines()[-1])
        size = db.stat().st_size
    print(f"simulate: {r['cases']:,} cases, {r['events']:,} events, {r['truth_rows']:,} truth rows")
    print(f"  {r['seconds']:.1f} s in simulate() ({wall:.1f} s with interpreter start)")
    print(f"  {r['cases'] / r['seconds']:,.0f} cases/s, {r['events'] / r['seconds']:,.0f} events/s")
    print(f"  peak RSS {r['peak_rss'] / 2**20:,.0f} MiB, database {size / 2**20:,.0f} MiB")
    for sop, counts in sorted(r["per_sop"].items()):
        print(f"  {sop}: {counts['cases']:,} cases, {counts['events']:,} events, "
              f"{counts['truth_rows']:,} truth rows")
    ok = r["seconds"] <= TARGET_SECONDS
    print(f"target <= {TARGET_SECONDS:.0f} s: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
