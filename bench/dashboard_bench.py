"""How fast the dashboard's pages are on a database of 1,000,000 cases.

    .venv/bin/python bench/dashboard_bench.py [--db FILE] [--cases 1000000] [--build-only]

Without ``--db`` it builds the database with ``tests/dashboard_fixture.build_results_db``:
result tables generated set-based in DuckDB at the requested scale over the five real SOP
models (not the simulator + analyze, which take far longer at a million cases; the tables, their
sizes and their shapes are what the dashboard reads). With ``--db`` it measures any store.

Measured, per page:
- the page's queries called directly on a fresh read-only connection (a cache miss: what a
  first visitor after a new analysis run waits for), and through ``dashboard.data.load`` once
  warm (a cache hit);
- the whole page rendered by Streamlit's AppTest (script + queries + figures), cold (cache
  cleared) and warm.
Results go to stdout as a Markdown table and to ``bench/results/dashboard.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from dashboard import app_path, data, queries  # noqa: E402
from dashboard.filters import Filters  # noqa: E402

OUT = ROOT / "bench" / "results" / "dashboard.json"


def page_queries(con) -> dict[str, list[tuple[str, Filters, dict]]]:
    """The queries each page runs with the default view (all agencies, SOPs, the whole period)."""
    f = Filters()
    sop = con.execute("SELECT sop_id FROM case_checks GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    case_id, case_sop, case_agency = con.execute(
        "SELECT case_id, sop_id, agency FROM case_checks ORDER BY breach_count DESC, case_id, agency "
        "LIMIT 1").fetchone()
    one = {"sop_id": case_sop, "agency": case_agency, "case_id": case_id}
    return {
        "sidebar": [("filter_options", f, {})],
        "ringkasan": [("overview_totals", f, {}), ("overview_by_sop", f, {}), ("monthly_trend", f, {}),
                      ("unit_league", f, {}), ("open_at_risk", f, {})],
        "pelanggaran": [("breach_counts", f, {}), ("overrun_bins", f, {}),
                        ("overrun_by_step", f, {}), ("worst_cases", f, {})],
        "lane": [("lane_summary", f, {}), ("lane_wip", f, {}), ("handover_matrix", f, {}),
                 ("process_nodes", f.with_sop(sop), {}), ("process_arcs", f.with_sop(sop), {})],
        "deviasi": [("fitness_by_agency", f, {}), ("deviation_kinds", f, {}),
                    ("variants_for_sop", f.with_sop(sop), {}), ("deviating_cases", f, {"kinds": ()})],
        "kasus": [("case_candidates", f, {}), ("case_summary", Filters(), one), ("case_open", Filters(), one),
                  ("case_steps", Filters(), one), ("case_deviations", Filters(), one),
                  ("case_trace", Filters(), one), ("case_events", Filters(), one)],
        "data": [("imports", f, {}), ("quarantine_imports", f, {})],
        "_export": [("deviation_export", f, {"kinds": ()})],
    }, (case_id, case_sop, case_agency)


def time_queries(db: Path, repeats: int = 3) -> dict[str, dict[str, float]]:
    """Cold (direct, fresh connection each time; median of ``repeats``) and cached seconds per page."""
    with data.connection(db) as con:
        plan, _case = page_queries(con)
    out: dict[str, dict[str, float]] = {}
    for page, items in plan.items():
        cold = []
        for _ in range(repeats):
            t = time.perf_counter()
            with data.connection(db) as c:  # one fresh connection per page, as in the app
                for name, f, kw in items:
                    queries.QUERIES[name](c, f, **kw)
            cold.append(time.perf_counter() - t)
        state = data.read_state(db)
        for name, f, kw in items:
            data.load(state, name, f, **kw)  # warm
        t = time.perf_counter()
        state = data.read_state(db)  # every rerun reads the version (one short connection)
        for name, f, kw in items:
            data.load(state, name, f, **kw)
        out[page] = {"cold_s": round(statistics.median(cold), 3), "cached_s": round(time.perf_counter() - t, 4),
                     "queries": len(items)}
    return out


def time_pages(db: Path) -> dict[str, dict[str, float]]:
    """Whole page runs in AppTest: cold cache, then warm."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["PANTAU_DB"] = str(db)
    with data.connection(db) as con:
        _plan, (case_id, case_sop, case_agency) = page_queries(con)
    results = {}
    for page in ("ringkasan", "pelanggaran", "lane", "deviasi", "kasus", "model", "data"):
        params = {"case": case_id, "sop": case_sop, "agency": case_agency} if page == "kasus" else {}
        timings = []
        for _ in range(2):  # cold, warm
            at = AppTest.from_file(str(app_path()), default_timeout=300)
            at.query_params = dict(params)
            if page != "ringkasan":
                at.switch_page(f"views/{page}.py")
            if not timings:
                st.cache_data.clear()
            t = time.perf_counter()
            at.run()
            timings.append(time.perf_counter() - t)
            problems = [e.value for e in at.exception] + [e.value for e in at.error]
            if problems:
                raise RuntimeError(f"{page}: {problems}")
        results[page] = {"cold_s": round(timings[0], 3), "warm_s": round(timings[1], 3)}
    return results


def table_sizes(db: Path) -> dict[str, int]:
    """Row counts of the tables the dashboard reads."""
    with data.connection(db) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("case_checks", "step_checks", "deviations", "variants", "lane_stats", "handovers",
                          "open_cases")}


def main() -> int:
    """Build (or take) the database, measure, print and save."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    db = args.db
    built = None
    if db is None:
        from dashboard_fixture import build_results_db

        db = ROOT / "data" / f"bench-dashboard-{args.cases}.duckdb"
        if not db.exists():
            t = time.perf_counter()
            tmp = db.with_name(db.name + ".building")
            tmp.unlink(missing_ok=True)
            build_results_db(tmp, cases=args.cases)
            tmp.rename(db)
            built = round(time.perf_counter() - t, 1)
    if args.build_only:
        print(f"{db}: built in {built} s" if built else f"{db} exists")
        return 0
    report = {"db": str(db), "size_mb": round(db.stat().st_size / 1e6), "built_s": built,
              "tables": table_sizes(db), "queries": time_queries(db), "pages": time_pages(db)}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2) + "\n")
    print(f"database {db} ({report['size_mb']} MB): " + ", ".join(f"{k} {v:,}" for k, v in report["tables"].items()))
    print("\n| page | queries | queries cold (s) | queries cached (s) | page cold (s) | page warm (s) |")
    print("|---|---:|---:|---:|---:|---:|")
    for page, q in report["queries"].items():
        p = report["pages"].get(page, {})
        print(f"| {page} | {q['queries']} | {q['cold_s']:.3f} | {q['cached_s']:.4f} | "
              f"{p.get('cold_s', float('nan')):.2f} | {p.get('warm_s', float('nan')):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
