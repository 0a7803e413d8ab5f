"""``simulate()``: realistic event logs from the SOP models, with their ground truth."""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from event_logs.simulator.assemble import SopRows, assemble
from event_logs.simulator.clock import DAY_MINUTES, WorkCalendar, calendar_version
from event_logs.simulator.config import SimConfig, capacity_scale
from event_logs.simulator.engine import AgencyEngine, SopRun
from event_logs.simulator.population import derive_seed, populate
from event_logs.simulator.writer import write_simulation
from pantau.errors import PantauError, UnknownSopError, did_you_mean
from sop_models.checks import require_model_ok
from sop_models.loader import load_all
from sop_models.model import SopModel

DEFAULT_START = date(2024, 1, 1)
CALENDAR_BEFORE = timedelta(days=45)   # the clock starts a little before the period
CALENDAR_AFTER = timedelta(days=400)   # applicants and deadlines may fall after it
MAX_LATE_ROUNDS = 6  # simulations of one agency until every case has logged an event


@dataclass(frozen=True)
class SimulationResult:
    """What a simulation wrote. ``import_id`` is the first SOP's import; each SOP has its own
    ``imports`` row (``import_ids``)."""

    cases: int
    events: int
    truth_rows: int
    seconds: float
    import_id: int
    import_ids: dict[str, int] = field(default_factory=dict)
    per_sop: dict[str, dict[str, int]] = field(default_factory=dict)


def resolve_period(start: date | None, end: date | None) -> tuple[date, date]:
    """The simulated period: one year from ``start`` (default 2024) or up to ``end``."""
    if start is None and end is None:
        start = DEFAULT_START
    if end is None:
        assert start is not None
        end = _shift_year(start, 1) - timedelta(days=1)
    if start is None:
        start = _shift_year(end, -1) + timedelta(days=1)
    if end < start:
        raise PantauError(f"the period ends ({end}) before it starts ({start})", field="end")
    return start, end


def _shift_year(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def split_cases(total: int, weights: dict[str, float]) -> dict[str, int]:
    """``total`` cases over SOPs in proportion to ``weights`` (largest remainder, stable)."""
    norm = sum(weights.values()) or 1.0
    raw = {k: total * w / norm for k, w in weights.items()}
    out = {k: int(v) for k, v in raw.items()}
    left = total - sum(out.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - out[k]), k))[:left]:
        out[k] += 1
    return out


def select_models(models: list[SopModel], sop_ids: list[str] | None) -> list[SopModel]:
    """The models named in ``sop_ids`` (all when None), in the models' order."""
    if not sop_ids:
        return list(models)
    known = {m.id: m for m in models}
    for sid in sop_ids:
        if sid not in known:
            raise UnknownSopError(f"no SOP model with id '{sid}'", field="sop_ids",
                                  hint=did_you_mean(sid, known))
    wanted = set(sop_ids)
    return [m for m in models if m.id in wanted]


def _fingerprint(model: SopModel, args: dict, sim: SimConfig) -> str:
    text = json.dumps({**args, "sop": model.id, "model_sha256": model.sha256,
                       "config": repr(sim)}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _run_engine(agency: str, tz: str, cal: WorkCalendar, runs: list[SopRun], sim: SimConfig,
                seed: int, cutoff: float, first: date,
                tick: Callable[[], None] | None, scale: float = 1.0) -> AgencyEngine:
    """Simulate one agency up to ``cutoff`` so that every case logs at least one event.

    A case exists in the log from its first step on. The engine takes a late file out of the
    in-tray in time for its first step to be done before ``cutoff``; if a queue on the last
    afternoon still keeps a case from logging anything, it arrives one working day earlier
    (same time of day; the period's first opening at the earliest) and the agency is
    simulated again (the same draws up to that arrival, so only the last days change). The
    cases started near the end stay open: only their first step is brought before the end.
    """
    lo = cal.first_on_or_after(first) * DAY_MINUTES
    for _ in range(MAX_LATE_ROUNDS):
        engine = AgencyEngine(agency, cal, runs, sim,
                              random.Random(derive_seed(seed, agency, tz, "engine")), tick,
                              capacity_scale=scale)
        engine.run(until=cutoff)
        late = [(r, k) for r in runs for k in r.unlogged(cutoff)]
        if not late:
            return engine
        moved = False
        for r, k in late:
            case = r.cases[k]
            earlier = max(float(lo), case.arrival - DAY_MINUTES)
            moved = moved or earlier < case.arrival
            case.arrival = earlier
        if not moved:
            break
        for r in runs:
            r.reset()
        tick = None  # progress was reported by the first round
    raise PantauError(
        f"{len(late)} case(s) of {agency} would log no event before the end of the period",
        field="cases", hint="simulate fewer cases or a longer period")


def simulate(
    db_path: str | Path,
    *,
    cases: int,
    seed: int,
    start: date | None = None,
    end: date | None = None,
    sop_ids: list[str] | None = None,
    deviation_rate: float = 0.12,
    progress: Callable[[int, int], None] | None = None,
    config: SimConfig | None = None,
    models: list[SopModel] | None = None,
    replace: bool = False,
    notice: Callable[[str], None] | None = None,
) -> SimulationResult:
    """Simulate ``cases`` cases of the selected SOPs and write them to the store at ``db_path``.

    Cases are split over the SOPs by the weights in ``config`` and arrive on working days
    between ``start`` and ``end`` (default: the year 2024); cases still running at the end stay
    open. ``deviation_rate`` is the share of cases with one injected deviation. The same
    arguments always give the same events, cases and truth. ``models`` replaces the bundled
    SOP models (tests); ``replace`` first deletes earlier simulations of the same SOPs.
    Lanes are sized for ``config.CAPACITY_REFERENCE_CASES`` cases a year; faster arrivals get
    proportionally more people per lane (``config.capacity_scale``, recorded in the mapping).
    ``progress(done, total)`` is called about every 1% of cases; ``notice(text)`` is told
    when the store is in use by a reader and the write waits for it.
    """
    t_start = time.perf_counter()
    started = datetime.now(UTC)
    if cases < 1:
        raise PantauError(f"cases must be at least 1, got {cases}", field="cases")
    if not 0.0 <= deviation_rate <= 1.0:
        raise PantauError(f"deviation_rate must be between 0 and 1, got {deviation_rate}",
                          field="deviation_rate")
    first, last = resolve_period(start, end)
    sim = config or SimConfig()
    chosen = select_models(list(models) if models is not None else load_all(), sop_ids)
    if not chosen:
        raise PantauError("no SOP models to simulate", hint="add model files or check --sop")
    for model in chosen:  # a model the checks refuse is not simulated either
        require_model_ok(model)
    counts = split_cases(cases, {m.id: sim.sop(m.id).weight for m in chosen})
    # more cases a year than the lanes are sized for: more people, not an ever-growing backlog
    scale = capacity_scale(cases, first, last)

    done = 0
    every = max(1, cases // 100)

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None and done % every == 0:
            progress(min(done, cases - 1), cases)

    groups: dict[tuple[str, str], list[SopModel]] = {}
    for m in chosen:
        groups.setdefault((m.agency, m.timezone), []).append(m)
    rows: list[SopRows] = []
    for (agency, tz), group in sorted(groups.items()):
        cal = WorkCalendar(tz, first - CALENDAR_BEFORE, last + CALENDAR_AFTER)
        cutoff = float((cal.last_on_or_before(last) + 1) * DAY_MINUTES)
        runs = [SopRun(m, sim.sop(m.id)) for m in group]
        tables = [populate(r, counts[r.id], cal, first, last, sim, seed, deviation_rate)
                  for r in runs]
        engine = _run_engine(agency, tz, cal, runs, sim, seed, cutoff, first, tick, scale)
        for r, table in zip(runs, tables, strict=True):
            rows.append(assemble(r, table, engine.names, cal, cutoff, sim, seed))
            r.cases.clear()

    args = {"cases": cases, "seed": seed, "start": first.isoformat(), "end": last.isoformat(),
            "sop_ids": sorted(m.id for m in chosen), "deviation_rate": deviation_rate}
    if scale > 1.0:  # recorded (and fingerprinted) only when lanes were enlarged
        args["lane_capacity_scale"] = round(scale, 6)
    by_id = {m.id: m for m in chosen}
    fingerprints = {r.sop_id: _fingerprint(by_id[r.sop_id], args, sim) for r in rows}
    mapping = {r.sop_id: {
        "generator": "event_logs.simulator", **args, "cases_requested": counts[r.sop_id],
        "timezone": by_id[r.sop_id].timezone, "model_sha256": by_id[r.sop_id].sha256,
        "calendar": calendar_version(),
    } for r in rows}
    import_ids = write_simulation(str(db_path), rows, fingerprints, mapping, started,
                                  replace=replace, models=chosen, notice=notice)
    per_sop = {r.sop_id: {"cases": r.cases.num_rows, "events": r.events.num_rows,
                          "truth_rows": r.truth.num_rows} for r in rows}
    if progress is not None:
        progress(cases, cases)
    return SimulationResult(
        cases=sum(v["cases"] for v in per_sop.values()),
        events=sum(v["events"] for v in per_sop.values()),
        truth_rows=sum(v["truth_rows"] for v in per_sop.values()),
        seconds=time.perf_counter() - t_start,
        import_id=import_ids[rows[0].sop_id],
        import_ids=import_ids,
        per_sop=per_sop,
    )
