"""Benchmark logs: simulated stores from the real SOP models, replicas, and ingest CSVs.

- :func:`simulated_store` runs the simulator (``event_logs.simulator.simulate``) over all
  five bundled SOP models: realistic paths, deviations, start/complete events, lanes.
- :func:`replicated_store` makes a larger store from a simulated one in DuckDB SQL: every
  event and case is copied ``factor`` times with the case id suffixed ``-x<k>`` and the event
  id shifted past the original range; timestamps are kept, so each copy has the same
  variants, Mutu Baku results and fitness as its original (the simulator needs ~10 minutes
  for 1M cases; this takes seconds). ``sim_truth`` is not copied: analyze does not read it.
- :func:`ingest_csv` writes an import file with ``bench/ingest_bench.py``'s generator (one
  SOP, ~10 events per case, a few % bad rows), imported rather than copied.
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
for _p in (str(ROOT), str(BENCH)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

INGEST_SOP = "batam-dinkes-integrasi-jkn"


@dataclass(frozen=True)
class LogInfo:
    """A benchmark store and how it was made."""

    path: Path
    cases: int
    events: int
    complete_events: int
    how: str  # "simulated" | "replicated xN from <cases> simulated cases"
    seconds: float  # time to make it (not a benchmark figure)


def store_counts(db: Path) -> tuple[int, int, int]:
    """(cases, events, complete events) of a store."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        cases = con.execute("SELECT count(*) FROM cases").fetchall()[0][0]
        events, complete = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE lifecycle = 'complete') FROM events").fetchall()[0]
    finally:
        con.close()
    return int(cases), int(events), int(complete)


def _fresh(path: Path) -> None:
    for stale in (path, Path(f"{path}.wal")):
        stale.unlink(missing_ok=True)


def simulated_store(path: Path, cases: int, seed: int) -> LogInfo:
    """Simulate ``cases`` cases of all bundled SOPs into a fresh store at ``path``."""
    from event_logs.simulator import simulate

    _fresh(path)
    t0 = time.perf_counter()
    simulate(path, cases=cases, seed=seed)
    seconds = time.perf_counter() - t0
    n_cases, events, complete = store_counts(path)
    return LogInfo(path, n_cases, events, complete, "simulated", seconds)


def replicated_store(source: LogInfo, path: Path, factor: int) -> LogInfo:
    """``factor`` copies of ``source``'s events and cases (shifted case and event ids) at ``path``."""
    import duckdb

    if factor < 1:
        raise ValueError(f"factor must be >= 1, got {factor}")
    _fresh(path)
    t0 = time.perf_counter()
    shutil.copyfile(source.path, path)
    if factor > 1:
        con = duckdb.connect(str(path))
        try:
            con.execute("SET enable_progress_bar = false")
            span = con.execute("SELECT max(event_id) + 1 FROM events").fetchall()[0][0]
            con.execute("BEGIN")
            con.execute("CREATE TEMP TABLE base_events AS SELECT * FROM events")
            con.execute("CREATE TEMP TABLE base_cases AS SELECT * FROM cases")
            # keep the original column order: INSERT ... SELECT * REPLACE (...)
            con.execute(f"""
                INSERT INTO events
                SELECT e.* REPLACE (e.event_id + k * {int(span)} AS event_id,
                                  e.case_id || '-x' || k AS case_id)
                FROM base_events e, range(1, {int(factor)}) r(k)
                ORDER BY k, e.event_id""")
            con.execute(f"""
                INSERT INTO cases
                SELECT c.* REPLACE (c.case_id || '-x' || k AS case_id)
                FROM base_cases c, range(1, {int(factor)}) r(k)""")
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
        finally:
            con.close()
    seconds = time.perf_counter() - t0
    n_cases, events, complete = store_counts(path)
    how = f"replicated x{factor} from {source.cases:,} simulated cases"
    return LogInfo(path, n_cases, events, complete, how, seconds)


def ingest_csv(path: Path, rows: int, sop_id: str = INGEST_SOP) -> float:
    """Write ``rows`` rows with ingest_bench's generator for ``sop_id``; returns seconds taken."""
    import ingest_bench

    from sop_models.loader import get_model

    labels = [s.name for s in get_model(sop_id).steps]
    t0 = time.perf_counter()
    ingest_bench.generate(path, rows, labels)
    return time.perf_counter() - t0
