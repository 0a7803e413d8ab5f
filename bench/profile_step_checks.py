"""The step statement of a full ``pantau analyze`` alone: its plan, operator by operator, and the
floor of writing its rows.

Usage::

    PYTHONPATH=. .venv/bin/python bench/profile_step_checks.py COPY.duckdb [--explain] [--floor]

Runs ``analytics.run.analyze(COPY, full=True)`` up to the step statement
(``analytics/sql/results/step_checks.sql``, run by ``analytics.mutu_baku.build_step_checks``),
with pm4py's worker left idle so that nothing else runs meanwhile, then:

- times the statements as the run executes them, one per SOP (wall and process CPU, user +
  system; ``statement`` their sum);
- ``--explain``: ``EXPLAIN ANALYZE`` of it (printed to stderr, operator timings and rows);
- ``--floor``: the same final ``SELECT`` inserted into a temp table of ``step_checks``' columns,
  and a plain copy of the written rows into ``step_checks`` (what writing them costs alone);

and stops: the run's transaction is rolled back, nothing is left in the store (work on a copy
all the same). Which code runs is whatever ``analytics`` Python imports (``PYTHONPATH``), so one
script measures two trees (A/B). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import sys
import time
from typing import Any

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")


class _Done(Exception):
    """Raised once the step statement is measured: ends the run (rolled back)."""


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(con: Any, sql: str) -> dict[str, float]:
    t, c = time.perf_counter(), _cpu()
    con.execute(sql)
    return {"wall": round(time.perf_counter() - t, 3), "cpu": round(_cpu() - c, 3)}


def profile(db: str, *, explain: bool = False, floor: bool = False) -> dict[str, Any]:
    """Measure the step statement of a full run on ``db`` (see the module docstring)."""
    from analytics import conformance, mutu_baku, run, sql_files

    out: dict[str, Any] = {"db": db, "load": list(os.getloadavg()), "code": sql_files.__file__}
    original = sql_files.run

    def measured(con: Any, name: str, **values: Any) -> None:
        if name != "results/step_checks.sql":
            original(con, name, **values)
            return
        # one statement per SOP (analytics.mutu_baku.build_step_checks): each timed, summed below
        sql = sql_files.render(name, **values)
        if explain:
            plan = con.execute("EXPLAIN ANALYZE " + sql).fetchall()
            print(plan[0][1], file=sys.stderr)
            con.execute(f"DELETE FROM step_checks WHERE run_id = ? AND {values['sop_filter']}", [values["run_id"]])
        out.setdefault("statements", []).append({"sop_filter": values["sop_filter"], **_timed(con, sql)})
        if floor:
            select = sql.split("INSERT INTO step_checks BY NAME", 1)[1]
            con.execute("CREATE TEMP TABLE IF NOT EXISTS floor_checks AS SELECT * FROM step_checks LIMIT 0")
            into_temp = _timed(con, "INSERT INTO floor_checks BY NAME " + select)
            out["into_temp"] = {k: round(out.get("into_temp", {}).get(k, 0.0) + v, 3) for k, v in into_temp.items()}

    def build_step_checks(con: Any, run_id: int, *args: Any, **kwargs: Any) -> int:
        original_build(con, run_id, *args, **kwargs)
        out["statement"] = {k: round(sum(s[k] for s in out["statements"]), 3) for k in ("wall", "cpu")}
        out["rows"] = con.execute("SELECT count(*) FROM step_checks WHERE run_id = ?", [run_id]).fetchall()[0][0]
        if floor:
            con.execute("DELETE FROM step_checks WHERE run_id = ?", [run_id])
            out["write_only"] = _timed(con, "INSERT INTO step_checks SELECT * FROM floor_checks")
        raise _Done

    original_build = mutu_baku.build_step_checks
    mutu_baku.build_step_checks = build_step_checks
    sql_files.run = measured
    conformance.warm_up = lambda: None  # pm4py's import and checks would share the cores
    conformance.check_conformance = lambda *a, **k: ([], 0.0)
    t = time.perf_counter()
    with contextlib.suppress(_Done):
        run.analyze(db, full=True)
    out["until_done_wall"] = round(time.perf_counter() - t, 3)
    out["peak_rss_gb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 2)
    return out


def main() -> None:
    """CLI: measure the step statement and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE to stderr")
    parser.add_argument("--floor", action="store_true", help="the write alone: temp table vs step_checks")
    args = parser.parse_args()
    print(json.dumps(profile(args.db, explain=args.explain, floor=args.floor)))


if __name__ == "__main__":
    main()
