"""Incremental analyze against a full one after one working day of new events (issue 16.1).

The store: a simulated log (``--cases``; or ``--store`` for a given one, e.g. a
``gen_mutated.py`` log) with the events after a cutoff held back, the cutoff chosen so that
they touch ``--share`` of the cases (default 0.4 %: one working day's export of a year's log).
It is analysed full; the held-back events are then imported through the real ingest (one CSV
per SOP) and the store is copied. ``pantau analyze`` (incremental) runs on one copy and
``pantau analyze --full`` on the other, each in a fresh child process (``measure.py``: wall,
CPU = user + system, peak RSS), and every result table is compared with EXCEPT ALL both ways,
run ids left out (``analytics.incremental.differences``).

Target (issue 16): at 1M cases the incremental run takes <= 10 % of the full run's wall time,
results identical. The machine is shared: read the CPU ratio beside the wall ratio.

Usage::

    .venv/bin/python bench/incremental_bench.py --cases 50000 [--share 0.004] [--dir DIR]
    .venv/bin/python bench/incremental_bench.py --store /tmp/m1M.duckdb     # the 1M target
    # the same in three short runs (a shared machine): the store and the day, then each side
    .venv/bin/python bench/incremental_bench.py --store /tmp/m1M.duckdb --dir D --prepare-only
    .venv/bin/python bench/incremental_bench.py --dir D --reuse --full-only
    .venv/bin/python bench/incremental_bench.py --dir D --reuse --skip-full
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for _p in (str(ROOT), str(BENCH)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from measure import load_average, run_measured  # noqa: E402

HEADER = ["case_id", "activity", "lifecycle", "timestamp", "resource", "agency", "unit"]


def hold_back(db: Path, out: Path, share: float) -> tuple[list[tuple[str, str | None, Path]], dict]:
    """Move the events after the cutoff out of ``db`` into CSV files (per SOP and agency)."""
    import duckdb

    con = duckdb.connect(str(db))
    try:
        # whole seconds: the CSV round trip must give the same instants to both copies
        con.execute("UPDATE events SET ts = date_trunc('second', ts) WHERE ts <> date_trunc('second', ts)")
        cutoff = con.execute("SELECT quantile_disc(last, 1 - ?) FROM (SELECT max(ts) AS last FROM events "
                             "GROUP BY sop_id, agency, case_id)", [share]).fetchall()[0][0]
        con.execute("CREATE TEMP TABLE held AS SELECT * FROM events WHERE ts > ?", [cutoff])
        facts = dict(zip(("events", "cases"), con.execute(
            "SELECT count(*), count(DISTINCT (sop_id, agency, case_id)) FROM held").fetchall()[0], strict=True))
        facts["all_cases"] = con.execute("SELECT count(*) FROM cases").fetchall()[0][0]
        facts["cutoff"] = str(cutoff)
        con.execute("DELETE FROM events WHERE ts > ?", [cutoff])
        con.execute("DELETE FROM cases c WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.sop_id = c.sop_id "
                    "AND e.case_id = c.case_id)")
        files = []
        for sop_id, agency in con.execute("SELECT DISTINCT sop_id, agency FROM held ORDER BY ALL").fetchall():
            path = out / f"day-{sop_id}-{agency or 'none'}.csv"
            with path.open("w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f)
                writer.writerow(HEADER)
                writer.writerows(con.execute(
                    "SELECT case_id, activity, lifecycle, strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ'), "
                    "resource, agency, unit FROM held WHERE sop_id = ? AND agency IS NOT DISTINCT FROM ? "
                    "ORDER BY ts, event_id", [sop_id, agency]).fetchall())
            files.append((sop_id, agency, path))
        con.execute("CHECKPOINT")
        return files, facts
    finally:
        con.close()


def _pantau() -> str:
    """This checkout's ``pantau``, else the one beside the running interpreter (a shared venv
    with this tree on PYTHONPATH)."""
    own = ROOT / ".venv" / "bin" / "pantau"
    return str(own if own.exists() else Path(sys.executable).parent / "pantau")


def _analyze(db: Path, *extra: str) -> dict:
    env = {**os.environ, "PM4PY_SHOW_PROGRESS_BAR": "False"}
    m = run_measured([_pantau(), "analyze", "--db", str(db), "--quiet", *extra], cwd=ROOT, env=env)
    if m.returncode:
        raise SystemExit(f"analyze failed: {m.stderr[-2000:]}")
    return {"wall": round(m.wall, 2), "cpu": round(m.cpu, 2), "peak_gb": round(m.peak_rss / 1e9, 2),
            "line": m.stdout.strip().splitlines()[-1], "load": load_average()}


def _last_run(db: Path) -> dict:
    """The stage seconds and what the store's last run recomputed (``runs``)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        stages, recomputed = con.execute("SELECT stage_seconds, recomputed FROM runs "
                                         "ORDER BY run_id DESC LIMIT 1").fetchall()[0]
    finally:
        con.close()
    sops = json.loads(recomputed or "{}").get("sops", {})
    return {"stages": stages, "recomputed": {k: {n: v[n] for n in ("kind", "reason", "cases", "open_rejudged", "lane_keys",
                                                                   "agencies", "variants_checked") if n in v}
                                             for k, v in sops.items()}}


def main() -> None:
    """CLI: build, analyse, import a day, analyse both ways, compare, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--store", type=Path, help="a store to start from (copied) instead of simulating")
    parser.add_argument("--share", type=float, default=0.004)
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true",
                        help="start from DIR/day.duckdb (analysed, the day imported) of an earlier --dir run")
    parser.add_argument("--skip-full", action="store_true",
                        help="with --reuse: compare with DIR/full.duckdb of an earlier run instead of a new --full")
    parser.add_argument("--prepare-only", action="store_true",
                        help="stop once DIR/day.duckdb is written (the first full run and the day's import), "
                             "so that each later run fits in a short turn of the shared machine")
    parser.add_argument("--full-only", action="store_true",
                        help="with --reuse: only the --full run on a copy of DIR/day.duckdb (DIR/full.duckdb, full.json)")
    args = parser.parse_args()
    from analytics.incremental import differences
    from event_logs.ingest import ingest_file

    work = args.dir or Path(tempfile.mkdtemp(prefix="pantau-incremental-"))
    work.mkdir(parents=True, exist_ok=True)
    db, day, full_db = work / "inc.duckdb", work / "day.duckdb", work / "full.duckdb"
    if args.reuse:
        facts, first = json.loads((work / "day.json").read_text())
        shutil.copyfile(day, db)
    else:
        if args.store:
            shutil.copyfile(args.store, db)
        else:
            from gen_logs import simulated_store
            simulated_store(db, args.cases, args.seed)
        files, facts = hold_back(db, work, args.share)
        first = _analyze(db)
        for sop_id, agency, path in files:
            ingest_file(db, path, sop_id=sop_id, agency=agency)
        shutil.copyfile(db, day)  # kept for --reuse
        (work / "day.json").write_text(json.dumps([facts, first]))
        if args.prepare_only:
            print(json.dumps({"day": facts, "first_full": first}, indent=2))
            return
    if args.reuse and args.full_only:
        shutil.copyfile(day, full_db)
        full = _analyze(full_db, "--full")
        full["stages"] = _last_run(full_db)["stages"]
        (work / "full.json").write_text(json.dumps(full))
        print(json.dumps({"day": facts, "full": full}, indent=2))
        return
    if not (args.reuse and args.skip_full):
        shutil.copyfile(day, full_db)
    inc = _analyze(db)
    (work / "incremental.json").write_text(json.dumps(inc))  # readable before the --full ends
    full = (json.loads((work / "full.json").read_text()) if args.reuse and args.skip_full
            else _analyze(full_db, "--full"))
    (work / "full.json").write_text(json.dumps(full))
    diff = differences(db, full_db)
    inc.update(_last_run(db))
    full.setdefault("stages", _last_run(full_db)["stages"])
    out = {"day": facts, "first_full": first, "incremental": inc, "full": full,
           "wall_ratio": round(inc["wall"] / full["wall"], 3), "cpu_ratio": round(inc["cpu"] / full["cpu"], 3),
           "differences": diff, "identical": not diff}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
