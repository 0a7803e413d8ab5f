"""``pantau analyze``: run every analysis stage and write the results into the store.

One run = one transaction: previous results for the analysed SOPs are replaced together
with the new ones, so readers see either the old run or the new one, never a mix. The
``runs`` table records the model checksums, the calendar version and each stage's wall time.

Two threads share the work. DuckDB runs the SQL stages on every core and releases the GIL
while it does; pm4py's part of conformance is plain Python on one core. So once DuckDB has
found the variants, a worker thread imports pm4py and checks each variant
(:func:`analytics.conformance.check_conformance`, which never touches the connection) while
the main thread judges the steps (``mutu_baku``); the results are written when both are
done. At 300k cases this saved about one second of the ~13.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from pantau import __version__
from pantau.errors import AnalysisError, did_you_mean

RESULT_TABLES = (
    "step_checks", "case_checks", "deviations", "variants", "lane_stats", "handovers",
    "model_quality", "open_cases",
)
STAGES = ("prepare", "calendar", "mutu_baku", "conformance", "cases", "lanes", "open_cases")
# Cap on DuckDB's buffers during a run (pm4py's Python objects come on top): past it, sorts,
# windows and joins spill to a temp directory next to the store instead of growing. Without
# it 1M cases (17M events) peaked at 4.3 GB RSS; with 3 GB at 3.3 GB and about the same wall
# time (2 GB: 2.3 GB RSS but ~15% slower from spilling in the lane stage).
ANALYZE_MEMORY_LIMIT = "3GB"

ProgressFn = Callable[[int, int], None]


def _timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """``fn(*args, **kwargs)`` and the wall seconds it took."""
    t = time.perf_counter()
    return fn(*args, **kwargs), time.perf_counter() - t


@dataclass
class RunResult:
    """What one analysis run did."""

    run_id: int
    sop_ids: list[str]
    event_count: int
    case_count: int
    stage_seconds: dict[str, float] = field(default_factory=dict)
    alignment_timeouts: int = 0

    def summary_line(self) -> str:
        """One line for the CLI."""
        total = sum(v for k, v in self.stage_seconds.items() if k in STAGES)
        return (
            f"analysis run {self.run_id}: {self.case_count:,} cases, {self.event_count:,} events, "
            f"{len(self.sop_ids)} SOP(s) in {total:.1f} s"
            + (f"; {self.alignment_timeouts} variant(s) fell back to token replay" if self.alignment_timeouts else "")
        )


def _select_sops(con: duckdb.DuckDBPyConnection, sop_ids: list[str] | None) -> list[str]:
    from sop_models import load_all

    known = {m.id for m in load_all()}
    present = [r[0] for r in con.execute("SELECT DISTINCT sop_id FROM events ORDER BY 1").fetchall()]
    if not sop_ids:
        chosen = [s for s in present if s in known]
        if not chosen:
            raise AnalysisError("the database holds no events of a known SOP",
                                hint="import a log with 'pantau ingest' or run 'pantau simulate'")
        return chosen
    for sop_id in sop_ids:
        if sop_id not in known:
            raise AnalysisError(f"unknown SOP id '{sop_id}'", hint=did_you_mean(sop_id, sorted(known)))
    return list(sop_ids)


def analyze(
    db_path: str | Path,
    sop_ids: list[str] | None = None,
    *,
    progress: ProgressFn | None = None,
    max_align_seconds_per_variant: float = 2.0,
    max_align_seconds_total: float = 300.0,
) -> RunResult:
    """Compute every result table for ``sop_ids`` (default: all SOPs with events)."""
    from analytics import calendar as work_calendar
    from analytics import conformance, lanes, mutu_baku, open_cases
    from event_logs.store import fetch_one, open_store, transaction
    from sop_models import get_model, load_all

    con = open_store(db_path, read_only=False)
    try:
        con.execute(f"SET memory_limit = '{ANALYZE_MEMORY_LIMIT}'")
        chosen = _select_sops(con, sop_ids)
        models = {s: get_model(s) for s in chosen}
        seconds: dict[str, float] = {}
        done = 0

        def stage(name: str, started: float) -> None:
            nonlocal done
            seconds[name] = round(time.perf_counter() - started, 3)
            done += 1
            if progress:
                progress(done, len(STAGES))

        # pm4py's work (pure Python, one core) runs in a worker thread while DuckDB works on
        # both cores (it releases the GIL while it executes): first its import, then the
        # per-variant checks, which overlap the Mutu Baku stage. (Started after the calendar,
        # whose Python part would otherwise wait for the import's GIL.)
        stop = threading.Event()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pantau-pm4py") as pool, \
                transaction(con):
            try:
                t = time.perf_counter()
                run_id = int(fetch_one(con, "SELECT nextval('run_id_seq')")[0])
                started = datetime.now(UTC)
                for table in RESULT_TABLES:
                    con.execute(f"DELETE FROM {table} WHERE sop_id IN (SELECT unnest(?))", [chosen])
                event_count, case_count, last_ts = fetch_one(
                    con,
                    "SELECT count(*), count(DISTINCT (sop_id, case_id)), max(ts) FROM events "
                    "WHERE sop_id IN (SELECT unnest(?))", [chosen])
                stage("prepare", t)

                t = time.perf_counter()
                # every SOP's calendar, over every event: a partial run must not drop calendars
                # that earlier runs of other SOPs recorded in runs.calendar_version
                all_first, all_last = fetch_one(con, "SELECT min(ts), max(ts) FROM events")
                calendar_version = work_calendar.install_for_models(con, load_all(), all_first, all_last)
                stage("calendar", t)

                pool.submit(conformance.warm_up)
                t = time.perf_counter()
                work = conformance.prepare_conformance(con, run_id, chosen, models=models)
                variants_seconds = time.perf_counter() - t
                checking = pool.submit(
                    _timed, conformance.check_conformance, work,
                    max_align_seconds_per_variant=max_align_seconds_per_variant,
                    max_align_seconds_total=max_align_seconds_total, cancelled=stop.is_set)

                t = time.perf_counter()
                mutu_baku.build_step_checks(con, run_id, models)
                stage("mutu_baku", t)

                t = time.perf_counter()
                checked, worker_seconds = checking.result()
            except BaseException:
                stop.set()  # the worker stops at its next variant instead of running on
                raise
            stats = conformance.write_conformance(con, work, checked)
            # the conformance stage's own time: finding the variants, waiting for pm4py, writing
            stage("conformance", t - variants_seconds)
            seconds["conformance_pm4py"] = round(worker_seconds, 3)  # overlapped mutu_baku

            t = time.perf_counter()
            mutu_baku.build_case_checks(con, run_id, models)
            stage("cases", t)

            t = time.perf_counter()
            lanes.build_lane_stats(con, run_id, models)
            lanes.build_handovers(con, run_id, models)
            stage("lanes", t)

            t = time.perf_counter()
            open_cases.build_open_cases(con, run_id, models, as_of=last_ts)
            stage("open_cases", t)

            run_row = {
                "run_id": run_id, "started": started, "finished": datetime.now(UTC),
                "pantau_version": __version__, "sop_ids": chosen,
                "model_sha256": {s: m.sha256 for s, m in models.items()},
                "calendar_version": calendar_version, "event_count": event_count,
                "case_count": case_count, "stage_seconds": dict(seconds),
                "alignment_timeouts": stats.timeouts, "as_of": last_ts,
            }
            con.execute(f"INSERT INTO runs ({', '.join(run_row)}) "
                        f"VALUES ({', '.join('?' for _ in run_row)})", list(run_row.values()))
        return RunResult(run_id, chosen, int(event_count), int(case_count), seconds, stats.timeouts)
    finally:
        con.close()
