"""``pantau analyze``: run every analysis stage and write the results into the store.

One run = one transaction: previous results for the analysed SOPs are replaced together
with the new ones, so readers see either the old run or the new one, never a mix. The
``runs`` table records the model checksums, the calendar version and each stage's wall time.

A run is incremental where it can be (:mod:`analytics.incremental`): an SOP whose last run left
a watermark and whose model, mapping, calendar and settings are unchanged recomputes only what
the events imported since can change; ``full=True`` (``pantau analyze --full``) recomputes all.

Two threads share the work. DuckDB runs the SQL stages on every core and releases the GIL
while it does; pm4py's part of conformance is plain Python on one core. So once DuckDB has
found the variants, a worker thread imports pm4py and checks each variant
(:func:`analytics.conformance.check_conformance`, which never touches the connection) while
the main thread judges the steps (``mutu_baku``); the results are written when both are
done. At 300k cases this saved about one second of the ~13.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from analytics.as_of import describe, resolve_as_of
from analytics.bottleneck_days import write_bottleneck_days
from analytics.incremental import NotIncremental
from analytics.variant_counts import write_variant_counts
from pantau import __version__
from pantau.config import AnalysisSettings, load_settings
from pantau.errors import AnalysisError, did_you_mean

RESULT_TABLES = (
    "step_checks", "case_checks", "deviations", "variants", "lane_stats", "handovers",
    "model_quality", "open_cases", "activity_labels", "run_calendars", "variant_counts", "bottleneck_days",
)
STAGES = ("prepare", "calendar", "labels", "mutu_baku", "conformance", "cases", "lanes", "open_cases")
# [analysis] memory_limit caps DuckDB's buffers during a run (pm4py's Python objects come on
# top): past it, sorts, windows and joins spill to a temp directory next to the store instead
# of growing. Without a cap 1M cases (17M events) peaked at 4.3 GB RSS; with 3 GB at 3.3 GB
# and about the same wall time (2 GB: 2.3 GB RSS but ~15% slower from spilling in the lanes).

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
    as_of: str | None = None  # when open cases were judged, on the local clock
    warnings: list[str] = field(default_factory=list)  # e.g. an SOP whose labels mostly match no step
    kind: str = "full"  # runs.kind: 'full' or 'incremental'
    recomputed: dict[str, Any] = field(default_factory=dict)  # runs.recomputed

    def summary_line(self) -> str:
        """One line for the CLI."""
        total = sum(v for k, v in self.stage_seconds.items() if k in STAGES)
        return (
            f"analysis run {self.run_id} ({self.kind}): {self.case_count:,} cases, {self.event_count:,} events, "
            f"{len(self.sop_ids)} SOP(s) in {total:.1f} s"
            + (f"; {self._recomputed()} case(s) recomputed" if self.kind == "incremental" else "")
            + (f"; open cases judged as of {self.as_of}" if self.as_of else "")
            + (f"; {self.alignment_timeouts} variant(s) fell back to token replay" if self.alignment_timeouts else "")
        )


    def _recomputed(self) -> int:
        return sum(int(v.get("cases", 0)) for v in self.recomputed.get("sops", {}).values()
                   if v.get("kind") == "incremental")


def _label_warnings(con: duckdb.DuckDBPyConnection, run_id: int) -> list[str]:
    """One warning per SOP of the run whose analysed events mostly carry a label that matches
    no step and is not declared out of scope (activity_labels)."""
    from event_logs.mapping import unmapped_warning

    rows = con.execute("""
        SELECT sop_id, count(*) FILTER (WHERE how IS NULL), count(*),
               coalesce(sum(events) FILTER (WHERE how IS NULL), 0), sum(events)
        FROM activity_labels WHERE run_id = ? GROUP BY sop_id ORDER BY sop_id""", [run_id]).fetchall()
    return [w for r in rows if (w := unmapped_warning(*r))]


def _select_sops(con: duckdb.DuckDBPyConnection, sop_ids: list[str] | None) -> list[str]:
    from event_logs import registry

    known = set(registry.sop_ids(con))
    present = [r[0] for r in con.execute("SELECT DISTINCT sop_id FROM events ORDER BY 1").fetchall()]
    if not sop_ids:
        chosen = [s for s in present if s in known]
        if not chosen:
            raise AnalysisError("the database holds no events of an SOP it has a model of",
                                hint="import a log with 'pantau ingest' or run 'pantau simulate'; "
                                     "'pantau sop list --db FILE' lists the stored models")
        return chosen
    for sop_id in sop_ids:
        if sop_id not in known:
            if sop_id in registry.sop_ids(con, registry.DRAFT):
                raise AnalysisError(f"SOP '{sop_id}' has only draft versions: a draft is not used until it "
                                    "is reviewed and confirmed",
                                    hint=f"'pantau sop confirm {sop_id} --version V --by NAME --db FILE'")
            raise AnalysisError(f"unknown SOP id '{sop_id}'", hint=did_you_mean(sop_id, sorted(known)))
    return list(sop_ids)


def _store_pnml(con: duckdb.DuckDBPyConnection, models: list[Any]) -> None:
    """The PNML export of each analysed model version, stored once (it needs pm4py, which the
    dashboard never imports; the run has it loaded already)."""
    from sop_models.export import to_pnml

    for model in models:
        have = con.execute("SELECT count(*) FROM model_artifacts WHERE model_sha256 = ? AND kind = 'pnml'",
                           [model.sha256]).fetchall()[0][0]
        if not have:
            con.execute("INSERT INTO model_artifacts (model_sha256, kind, content) VALUES (?, 'pnml', ?)",
                        [model.sha256, to_pnml(model)])


def analyze(
    db_path: str | Path,
    sop_ids: list[str] | None = None,
    *,
    progress: ProgressFn | None = None,
    max_align_seconds_per_variant: float | None = None,
    max_align_seconds_total: float | None = None,
    settings: AnalysisSettings | None = None,
    notice: Callable[[str], None] | None = None,
    as_of: datetime | str | None = None,
    full: bool = False,
    calendar_span: tuple[datetime, datetime] | None = None,
) -> RunResult:
    """Compute every result table for ``sop_ids`` (default: all SOPs with events and a model).

    Each case is checked against its SOP's confirmed version in force on the local day of its
    first event (:mod:`analytics.revisions`: one pass of the per-case stages per version); every
    result row records it (``model_sha256``). ``settings`` default to the ``[analysis]`` section of the
    settings file in force for the store (:func:`pantau.config.load_settings`); the two
    alignment budgets override theirs. ``as_of``: the moment open cases are judged at
    (:mod:`analytics.as_of`; default the end of the last imported day), kept in ``runs.as_of``.
    ``notice(text)`` is told once when readers (the dashboard, a notebook) hold the store and
    the run waits for them (:func:`event_logs.store.open_store`). ``full``: recompute every SOP
    from all its events; by default an SOP is recomputed only where events imported since its
    last run can change its results (:mod:`analytics.incremental`). ``calendar_span``: the first
    and last event the working calendars are installed around (default: the store's own); a
    partition of a national store is given the nation's (:mod:`analytics.distributed`), so its
    working-minute sums are the national store's to the last bit.
    """
    forced: dict[str, str] = {}
    while True:
        try:
            return _analyze(db_path, sop_ids, progress=progress, settings=settings, as_of=as_of,
                            notice=notice, full=True if full else forced, calendar_span=calendar_span,
                            max_align_seconds_per_variant=max_align_seconds_per_variant,
                            max_align_seconds_total=max_align_seconds_total)
        except NotIncremental as e:  # rolled back: once more with that SOP full
            if e.sop_id in forced:
                raise
            forced[e.sop_id] = e.reason


def _analyze(
    db_path: str | Path,
    sop_ids: list[str] | None,
    *,
    progress: ProgressFn | None,
    max_align_seconds_per_variant: float | None,
    max_align_seconds_total: float | None,
    settings: AnalysisSettings | None,
    as_of: datetime | str | None,
    notice: Callable[[str], None] | None,
    full: bool | dict[str, str],
    calendar_span: tuple[datetime, datetime] | None = None,
) -> RunResult:
    """One attempt of :func:`analyze` (``full``: True, or the SOPs to analyse full and why)."""
    from analytics import calendar as work_calendar
    from analytics import (
        conformance,
        incremental,
        labels,
        lane_scope,
        lanes,
        mutu_baku,
        open_cases,
        revisions,
    )
    from analytics.calendars import agency as agency_calendars
    from analytics.standards import install_standards
    from event_logs import registry
    from event_logs.store import SCHEMA_VERSION, fetch_one, open_store, transaction

    config = settings or load_settings(store=db_path).analysis
    if max_align_seconds_per_variant is not None:
        config = replace(config, align_seconds_per_variant=max_align_seconds_per_variant)
    if max_align_seconds_total is not None:
        config = replace(config, align_seconds_total=max_align_seconds_total)
    con = open_store(db_path, read_only=False, notice=notice)
    try:
        con.execute(f"SET memory_limit = '{config.memory_limit}'")
        chosen = _select_sops(con, sop_ids)
        seconds: dict[str, float] = {}
        done = 0

        def stage(name: str, started: float) -> None:
            # a stage runs once per pass (analytics.revisions): its seconds add up
            nonlocal done
            first = name not in seconds
            seconds[name] = round(seconds.get(name, 0.0) + time.perf_counter() - started, 3)
            if first:
                done += 1
                if progress:
                    progress(done, len(STAGES))

        # pm4py's work (pure Python, one core) runs in a worker thread while DuckDB works on
        # both cores (it releases the GIL while it executes): first its import, overlapping the
        # labels and the incremental scope, then the per-variant checks, which overlap the
        # Mutu Baku stage. (Started after the calendar, whose Python part would otherwise wait
        # for the import's GIL.)
        stop = threading.Event()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pantau-pm4py") as pool, \
                transaction(con):
            t = time.perf_counter()
            run_id = int(fetch_one(con, "SELECT nextval('run_id_seq')")[0])
            started = datetime.now(UTC)
            # the counts of events and cases come with the plan (incremental.count_events)
            (last_ts,) = fetch_one(con, "SELECT max(ts) FROM events WHERE sop_id IN (SELECT unnest(?))",
                                   [chosen])
            last_day = last_ts.date() if last_ts is not None else None
            latest = {s: registry.in_force(con, s, last_day) for s in chosen}
            judged_at, zone = resolve_as_of(con, chosen, {s: m.timezone for s, m in latest.items()}, as_of)
            # each case is judged by the version in force when it started: one pass per version
            passes = revisions.plan_passes(con, latest)
            stage("prepare", t)

            t = time.perf_counter()
            # every stored SOP's calendar, over every event: a partial run must not drop
            # calendars that earlier runs of other SOPs recorded in runs.calendar_version
            # (the working clock's readings start at the calendar's first day: a partition
            # installs the nation's span, or its sums of working minutes round differently)
            all_first, all_last = calendar_span or fetch_one(con, "SELECT min(ts), max(ts) FROM events")
            every = {s: registry.in_force(con, s, last_day) for s in registry.sop_ids(con)}
            specs, own_calendars = agency_calendars.run_specs(con, every)
            # the stored calendar is kept when it is this install (no holidays, nothing written)
            calendar_version = work_calendar.install_specs(con, specs, all_first, all_last, reuse=True)
            agency_calendars.install_run_agencies(con, own_calendars)
            parameters = json.dumps(asdict(config))
            run_plan = incremental.plan(
                con, chosen, latest, parameters=parameters, calendar_version=calendar_version,
                calendar_first=all_first.date().isoformat() if all_first is not None else None,
                schema_version=SCHEMA_VERSION, full=full)
            event_count, case_count = incremental.count_events(con, run_plan)
            # pm4py's import overlaps the labels and the scope when new events make a check likely
            warming = incremental.has_new_events(run_plan)
            if warming:
                pool.submit(conformance.warm_up)
            stage("calendar", t)

            timeouts, checked_variants, scoped, checks = 0, {}, False, True
            for i, models in enumerate(passes):
                t = time.perf_counter()
                install_standards(con, models)
                # an incremental SOP's label counts: its last run's plus the new events'
                label_rows, found = labels.mapping(con, models, {s: run_plan.sops[s].watermark
                                                                for s in run_plan.incremental})
                if i == 0:  # every SOP judged by one version is in the first pass
                    incremental.check_mapping(con, run_plan, found)
                    scoped = bool(run_plan.incremental)
                    incremental.install_scope(con, run_plan)
                    # pm4py (seconds to import) only when a case is to be checked
                    checks = bool(run_plan.full) or incremental.has_new_cases(con)
                    incremental.delete_replaced(con, run_plan, RESULT_TABLES)
                labels.write_labels(con, run_id, models, label_rows, found, incremental=scoped)
                stage("labels", t)

                try:
                    if checks and not warming:
                        pool.submit(conformance.warm_up)
                        warming = True
                    t = time.perf_counter()
                    work = conformance.prepare_conformance(con, run_id, list(models), models=models,
                                                           incremental=scoped)
                    variants_seconds = time.perf_counter() - t
                    checking = pool.submit(
                        _timed, conformance.check_conformance, work,
                        max_align_seconds_per_variant=config.align_seconds_per_variant,
                        max_align_seconds_total=config.align_seconds_total, cancelled=stop.is_set)

                    t = time.perf_counter()
                    mutu_baku.build_step_checks(con, run_id, models, incremental=scoped)
                    stage("mutu_baku", t)

                    t = time.perf_counter()
                    checked, worker_seconds = checking.result()
                except BaseException:
                    stop.set()  # the worker stops at its next variant instead of running on
                    raise
                stats = conformance.write_conformance(con, work, checked)
                timeouts += stats.timeouts
                for r in work.rows:
                    checked_variants[r[0]] = checked_variants.get(r[0], 0) + 1
                # the conformance stage's own time: finding the variants, waiting for pm4py, writing
                stage("conformance", t - variants_seconds)
                # pm4py's time overlapped mutu_baku
                seconds["conformance_pm4py"] = round(seconds.get("conformance_pm4py", 0.0) + worker_seconds, 3)

                t = time.perf_counter()
                mutu_baku.build_case_checks(con, run_id, models)
                stage("cases", t)

                t = time.perf_counter()
                open_cases.build_open_cases(con, run_id, models, as_of=judged_at,
                                            at_risk_share=config.at_risk_share)
                if i == 0 and scoped:  # the open cases without new events: open_cases only
                    open_cases.rejudge_open(con, run_id, {s: models[s] for s in run_plan.incremental},
                                            judged_at, at_risk_share=config.at_risk_share)
                stage("open_cases", t)

            t = time.perf_counter()
            if scoped:  # every SOP's model tables again: case_checks and the lanes span all of them
                install_standards(con, {s: m for models in passes for s, m in models.items()})
            agency_calendars.record_run(con, run_id, incremental=scoped)
            _store_pnml(con, [m for models in passes for m in models.values()])
            # the version shown for each SOP (runs.model_sha256, result_models): its latest used
            shown = {s: m for models in passes for s, m in models.items()}
            stage("cases", t)

            t = time.perf_counter()
            # lane rows come from step_checks, each with the lane of the version it was judged
            # by; a handover's sending lane is read from the version shown
            if scoped:
                lane_scope.delete_lane_keys(con, run_id)
            lanes.build_lane_stats(con, run_id, shown, incremental=scoped)
            lanes.build_handovers(con, run_id, shown, incremental=scoped)
            stage("lanes", t)
            write_variant_counts(con, run_id, list(run_plan.sops))
            write_bottleneck_days(con, run_id, list(run_plan.sops), run_plan.incremental if scoped else ())

            incremental.count(con, run_plan)
            for sop_id in run_plan.incremental:
                run_plan.sops[sop_id].counts["variants_checked"] = checked_variants.get(sop_id, 0)
            recomputed = run_plan.record(con)

            run_row = {
                "run_id": run_id, "started": started, "finished": datetime.now(UTC),
                "pantau_version": __version__, "sop_ids": chosen,
                "model_sha256": {s: m.sha256 for s, m in shown.items()},
                "calendar_version": calendar_version, "event_count": event_count,
                "case_count": case_count, "stage_seconds": dict(seconds),
                "alignment_timeouts": timeouts, "as_of": judged_at,
                "schema_version": SCHEMA_VERSION, "parameters": parameters,
                "kind": run_plan.kind, "recomputed": recomputed,
            }
            con.execute(f"INSERT INTO runs ({', '.join(run_row)}) "
                        f"VALUES ({', '.join('?' for _ in run_row)})", list(run_row.values()))
        return RunResult(run_id, chosen, int(event_count), int(case_count), seconds, timeouts,
                         describe(judged_at, zone) if judged_at else None, _label_warnings(con, run_id),
                         run_plan.kind, json.loads(recomputed))
    finally:
        con.close()
