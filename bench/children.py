"""Child processes of ``bench/run.py``: the DuckDB floor and pm4py alone.

Usage (the benchmark starts these; each prints one JSON line on stdout)::

    .venv/bin/python bench/children.py floor DB
    .venv/bin/python bench/children.py pm4py DB OUT.parquet

Each runs in a fresh process so that its peak RSS (taken by the parent with ``wait4``)
belongs to that measurement alone: DuckDB and pm4py allocate outside Python, so
tracemalloc would not see most of it.

``pm4py``: the same traces Pantau's conformance stage checks (complete events; symbol =
step id, or ``'?:'`` + activity for unmapped events; program-scope steps left out;
ordered by ts, then event_id) are loaded into a pandas DataFrame (not timed), then per
SOP, with the net ``sop_models.builders.petri_net(model, labels="id")``, the timed part:
``pm4py.format_dataframe``, ``pm4py.conformance_diagnostics_alignments`` and
``pm4py.conformance_diagnostics_token_based_replay`` with pm4py's defaults (no time
limit). pm4py is imported before any clock starts. Per-case fitness goes to a Parquet
file for the parent to compare with Pantau's ``case_checks``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FLOOR_SQL = """
SELECT seq, count(*) AS cases
FROM (SELECT case_id, string_agg(step_id, ',' ORDER BY ts) AS seq FROM events GROUP BY case_id)
GROUP BY seq
"""


def _peak_rss() -> int:
    """This process's VmHWM in bytes (DuckDB's and numpy's native memory included)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def floor(db: str) -> dict:
    """Time the bare variant query: ordered string_agg per case, then GROUP BY sequence."""
    import duckdb

    con = duckdb.connect(db, read_only=True)
    t0 = time.perf_counter()
    variants = con.execute(f"SELECT count(*), sum(cases) FROM ({FLOOR_SQL})").fetchall()[0]
    seconds = time.perf_counter() - t0
    con.close()
    return {"seconds": seconds, "variants": int(variants[0]), "cases": int(variants[1]),
            "peak_rss": _peak_rss()}


def _traces_frame(db: str):  # -> (pandas.DataFrame, {sop_id: SopModel})
    import duckdb

    from sop_models.loader import load_all

    models = {m.id: m for m in load_all()}
    program = [(m.id, s.id) for m in models.values() for s in m.steps if s.scope == "program"]
    con = duckdb.connect(db, read_only=True)
    con.execute("CREATE TEMP TABLE bench_program (sop_id VARCHAR, step_id VARCHAR)")
    if program:
        con.executemany("INSERT INTO bench_program VALUES (?, ?)", program)
    df = con.execute("""
        SELECT e.sop_id, e.case_id, coalesce(e.step_id, '?:' || e.activity) AS activity, e.ts
        FROM events e ANTI JOIN bench_program p ON p.sop_id = e.sop_id AND p.step_id = e.step_id
        WHERE e.lifecycle = 'complete'
        ORDER BY e.sop_id, e.case_id, e.ts, e.event_id""").df()
    con.close()
    return df, models


def pm4py_alone(db: str, out: str) -> dict:
    """pm4py's own alignments and token replay per SOP on the store's traces; per-case fitness to ``out``."""
    import pandas as pd

    t0 = time.perf_counter()
    import pm4py  # imported before the clock starts: its import costs seconds

    import_seconds = time.perf_counter() - t0

    from sop_models.builders import petri_net

    t0 = time.perf_counter()
    df, models = _traces_frame(db)
    load_seconds = time.perf_counter() - t0
    seconds = {"format": 0.0, "alignments": 0.0, "token_replay": 0.0}
    frames = []
    events = len(df)
    for sop_id, part in df.groupby("sop_id", sort=True):
        net, im, fm = petri_net(models[sop_id], labels="id")
        part = part.drop(columns="sop_id").reset_index(drop=True)
        t = time.perf_counter()
        log = pm4py.format_dataframe(part, case_id="case_id", activity_key="activity", timestamp_key="ts")
        seconds["format"] += time.perf_counter() - t
        t = time.perf_counter()
        aligned = pm4py.conformance_diagnostics_alignments(log, net, im, fm)
        seconds["alignments"] += time.perf_counter() - t
        t = time.perf_counter()
        replayed = pm4py.conformance_diagnostics_token_based_replay(log, net, im, fm)
        seconds["token_replay"] += time.perf_counter() - t
        # pm4py returns one result per case in the order of groupby(case id): sorted ids
        case_ids = list(log.groupby("case:concept:name").size().index)
        frames.append(pd.DataFrame({
            "sop_id": sop_id,
            "case_id": [str(c) for c in case_ids],
            "alignment_fitness": [None if a is None else float(a["fitness"]) for a in aligned],
            "token_fitness": [float(r["trace_fitness"]) for r in replayed],
        }))
        del log, aligned, replayed
    del df
    result = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    result.to_parquet(out, index=False)
    return {"seconds": seconds, "load_seconds": load_seconds, "import_seconds": import_seconds, "events": events,
            "cases": len(result), "peak_rss": _peak_rss()}


def main() -> None:
    """Dispatch ``floor DB`` / ``pm4py DB OUT``; print the figures as one JSON line."""
    what, *args = sys.argv[1:]
    if what == "floor":
        print(json.dumps(floor(*args)))
    elif what == "pm4py":
        print(json.dumps(pm4py_alone(*args)))
    else:
        sys.exit(f"unknown child '{what}' (floor | pm4py)")


if __name__ == "__main__":
    main()
