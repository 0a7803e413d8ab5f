"""How fast the Data page's quarantine is when one import left 100,000 distinct reasons.

    .venv/bin/python bench/quarantine_bench.py [--rows 1000000] [--reasons 100000] [--repeat 5]

Builds the store with ``tests/dashboard_fixture.quarantine_at_scale`` (one import, ``rows``
quarantined rows of three kinds, ``reasons`` distinct reasons, written in SQL), then times the
queries the page runs, on a connection scoped to the import's agency (what a logged-in head of
department gets, :func:`event_logs.scoped.open_scoped`): the imports list, the kinds, the first
and the last page of one kind's reasons, the rows of one reason and a page of one kind's rows.
Each is timed cold (first call on a fresh connection) and as the median of ``repeat`` calls,
wall and CPU (user + system of this process) beside each other; the target is 1 s for the
page's queries together (issue 10.8). Prints a Markdown table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from dashboard import queries  # noqa: E402
from dashboard.filters import Filters  # noqa: E402
from dashboard.queries.quarantine import PAGE_ROWS  # noqa: E402

TARGET_SECONDS = 1.0
AGENCY = "Dinas Kesehatan Kota Batam"


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def _timed(call) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), _cpu()
    out = call()
    return time.perf_counter() - wall, _cpu() - cpu, out


def main(argv: list[str] | None = None) -> int:
    """Build the store, time the page's queries, print the table and a JSON line."""
    from dashboard_fixture import quarantine_at_scale

    from event_logs.scoped import open_scoped
    from pantau.access.scope import Scope

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reasons", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pantau-qbench-") as tmp:
        db = Path(tmp) / "q.duckdb"
        build, build_cpu, _ = _timed(lambda: quarantine_at_scale(db, rows=args.rows, reasons=args.reasons))
        con = open_scoped(db, Scope(agencies=(AGENCY,)))
        q, f = queries.QUERIES, Filters()
        try:
            kinds = q["quarantine_kinds"](con, f, import_id=1)
            kind, distinct = kinds["kind"].iloc[0], int(kinds["reasons"].iloc[0])
            last = (max(1, -(-distinct // PAGE_ROWS)) - 1) * PAGE_ROWS
            reason = q["quarantine_reasons"](con, f, import_id=1, kind=kind)["reason"].iloc[0]
            con.close()
            steps = {
                "imports": lambda c: q["quarantine_imports"](c, f),
                "kinds": lambda c: q["quarantine_kinds"](c, f, import_id=1),
                "reasons, first page": lambda c: q["quarantine_reasons"](c, f, import_id=1, kind=kind),
                "reasons, last page": lambda c: q["quarantine_reasons"](c, f, import_id=1, kind=kind, offset=last),
                "rows of one reason": lambda c: q["quarantine_rows"](c, f, import_id=1, reason=reason),
                "rows of one kind, page 2": lambda c: q["quarantine_rows"](c, f, import_id=1, kind=kind,
                                                                         offset=PAGE_ROWS),
            }
            con = open_scoped(db, Scope(agencies=(AGENCY,)))
            result: dict[str, dict[str, float]] = {}
            for name, step in steps.items():
                cold, cold_cpu, out = _timed(lambda s=step: s(con))
                assert len(out) <= PAGE_ROWS, name  # one page, never all rows
                warm = [_timed(lambda s=step: s(con))[:2] for _ in range(args.repeat)]
                result[name] = {"cold": cold, "cold_cpu": cold_cpu, "median": statistics.median(w for w, _ in warm),
                                "median_cpu": statistics.median(c for _, c in warm), "rows": len(out)}
        finally:
            con.close()
    first_view = ("imports", "kinds", "reasons, first page", "rows of one kind, page 2")
    page_cold = sum(result[k]["cold"] for k in first_view)
    page_cpu = sum(result[k]["cold_cpu"] for k in first_view)
    print(f"store: {args.rows:,} quarantined rows, {args.reasons:,} distinct reasons (built in {build:.1f} s, "
          f"CPU {build_cpu:.1f} s); load average {os.getloadavg()[0]:.1f}")
    print("\n| query | cold s | cold CPU s | median s | median CPU s | rows |\n|---|---:|---:|---:|---:|---:|")
    for name, r in result.items():
        print(f"| {name} | {r['cold']:.3f} | {r['cold_cpu']:.3f} | {r['median']:.3f} | {r['median_cpu']:.3f} "
              f"| {r['rows']} |")
    verdict = "PASS" if page_cold <= TARGET_SECONDS else "FAIL"
    print(f"\nthe page's first view (imports + kinds + a page of reasons + a page of rows), cold: "
          f"{page_cold:.3f} s wall, {page_cpu:.3f} s CPU (all DuckDB threads) — target {TARGET_SECONDS:.0f} s wall: "
          f"{verdict} (read the load average above before trusting a wall time)")
    print(json.dumps({"rows": args.rows, "reasons": args.reasons, "page_cold_seconds": page_cold, "page_cold_cpu": page_cpu,
                      "verdict": verdict, "queries": result}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
