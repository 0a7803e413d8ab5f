"""The discrete-event simulation of one agency: cases walk their paths through the lanes.

One simpy environment per agency (SOPs of the same agency share its people: the Kepala
Dinas of Dinas Kesehatan Kota Batam signs for both Batam SOPs). The clock is working minutes
(clock.py). Each step occurrence is recorded once, when its timing is known; events are built
from the records afterwards (run.py), so nothing here touches DataFrames.

How a step's time is spent (always drawn around the step's own Mutu Baku):

- short standards (up to ``handoff_threshold_wm``): a person of the lane is busy for a
  lognormal time around ``counter_frac`` x the standard; consecutive steps in the same lane
  are done in one visit by the same person (the applicant stays at the counter); files
  already in the office go before the next walk-in applicant (priority queue);
- longer standards: the document first sits in the in-tray (lognormal around
  ``handoff_frac`` x the standard, on the standard's own calendar basis), then a person
  works on it briefly; lanes with ``handoff=False`` keep the person busy instead;
- session lanes (the Kepala Dinas): the document waits for a signing session;
- monthly batch steps (``deadline_day``): see lanes.MonthlyBatch. After a batch, the steps
  that follow are done once for the whole batch (one letter, one signature) and every case
  of the batch gets that work's times and person.
"""

from __future__ import annotations

import random
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import simpy

from event_logs.simulator.clock import WorkCalendar
from event_logs.simulator.config import SimConfig, SopConfig, scaled_lane
from event_logs.simulator.lanes import GroupVisit, Lane, MonthlyBatch
from event_logs.simulator.names import staff_names
from event_logs.simulator.paths import PlanItem
from event_logs.simulator.standards import StepStandard, step_standards
from sop_models.model import SopModel

LAST_FILE_SLACK = 15.0  # working minutes left for a queue when a late file is registered


@dataclass(slots=True)
class Records:
    """One row per step occurrence (typed arrays, appended in sim order: compact for 2M)."""

    case: array = field(default_factory=lambda: array("q"))
    pos: array = field(default_factory=lambda: array("q"))
    person: array = field(default_factory=lambda: array("q"))
    start: array = field(default_factory=lambda: array("d"))
    end: array = field(default_factory=lambda: array("d"))


@dataclass(slots=True)
class SimCase:
    """One case: its path, service unit and per-unit quantities (attribute -> number)."""

    idx: int
    unit: str
    plan: list[PlanItem]
    q: dict[str, float]
    arrival: float
    group: tuple | None = None
    persons: dict[str, list[int]] = field(default_factory=dict)  # four_eyes step -> who did it


class SopRun:
    """Static data of one SOP for the engine, and its records."""

    def __init__(self, model: SopModel, conf: SopConfig) -> None:
        self.model = model
        self.id = model.id
        self.conf = conf
        self.standards: dict[str, StepStandard] = step_standards(model)
        # step -> the other steps of its four_eyes pairs (either order: a swapped pair too)
        self.partners: dict[str, tuple[str, ...]] = {}
        for a, b in model.four_eyes:
            self.partners[a] = (*self.partners.get(a, ()), b)
            self.partners[b] = (*self.partners.get(b, ()), a)
        self.cases: list[SimCase] = []
        self.rec = Records()

    def reset(self) -> None:
        """Forget the records and per-run state of the cases (to simulate them again)."""
        self.rec = Records()
        for case in self.cases:
            case.group = None
            case.persons = {}

    def unlogged(self, cutoff: float) -> list[int]:
        """Cases none of whose step occurrences completed by the clock minute ``cutoff``."""
        case = np.frombuffer(self.rec.case, dtype=np.int64)
        end = np.rint(np.frombuffer(self.rec.end, dtype=np.float64) * 60.0)
        logged = np.zeros(len(self.cases), dtype=bool)
        logged[case[end <= round(cutoff * 60.0)]] = True  # the rule assemble keeps events by
        return np.flatnonzero(~logged).tolist()


class AgencyEngine:
    """Runs every case of one agency's SOPs on one working calendar."""

    def __init__(self, agency: str, cal: WorkCalendar, sops: list[SopRun], sim: SimConfig,
                 rng: random.Random, tick: Callable[[], None] | None = None,
                 capacity_scale: float = 1.0) -> None:
        self.agency = agency
        self.cal = cal
        self.sops = sops
        self.sim = sim
        self.rng = rng
        self.tick = tick
        self.capacity_scale = capacity_scale  # config.capacity_scale: people per lane x this
        self.env = simpy.Environment()
        self.until = float("inf")
        self.names: list[str] = []
        self._taken: set[str] = set()
        self.lanes: dict[tuple[str, str | None], Lane] = {}
        self.batches: dict[tuple, MonthlyBatch] = {}
        self.groups: dict[tuple, GroupVisit] = {}
        self._setup_lanes()

    def _setup_lanes(self) -> None:
        # Lanes are created up front, in a fixed order, so names and processes are the same
        # for the same seed whatever order cases arrive in.
        for sop in self.sops:
            used = {s.lane for s in sop.model.steps}
            for lane_name in sop.model.lanes:
                if lane_name not in used:
                    continue
                conf = scaled_lane(self.sim.lane(sop.id, lane_name), self.capacity_scale)
                scopes = sop.conf.units if conf.scope == "unit" else (None,)
                for unit in scopes:
                    key = (lane_name, unit)
                    if key in self.lanes:
                        continue
                    persons: list[int] = []
                    if conf.mode != "applicant":
                        for name in staff_names(self.rng, conf.capacity, self._taken):
                            persons.append(len(self.names))
                            self.names.append(name)
                    self.lanes[key] = Lane(self.env, conf, persons, self.rng)

    def lane(self, sop: SopRun, lane_name: str, unit: str) -> Lane:
        """The pool doing ``lane_name`` work for a case of ``unit``."""
        lane = self.lanes.get((lane_name, unit)) or self.lanes.get((lane_name, None))
        if lane is None:  # a lane no step of the model uses (an extra activity's neighbour)
            conf = scaled_lane(self.sim.lane(sop.id, lane_name), self.capacity_scale)
            persons = []
            for name in staff_names(self.rng, max(1, conf.capacity), self._taken):
                persons.append(len(self.names))
                self.names.append(name)
            lane = self.lanes[(lane_name, None)] = Lane(self.env, conf, persons, self.rng)
        return lane

    def run(self, until: float) -> None:
        """Simulate every case of every SOP up to the clock minute ``until``."""
        cases = sorted(((c.arrival, k, c.idx, sop) for k, sop in enumerate(self.sops)
                        for c in sop.cases), key=lambda x: x[:3])
        self.until = until
        self.env.process(self._arrivals(cases))
        self.env.run(until=until)

    def _arrivals(self, cases: list):
        env = self.env
        for arrival, _, idx, sop in cases:
            if arrival > env.now:
                yield env.timeout(arrival - env.now)
            env.process(self._case(sop, sop.cases[idx]))
            if self.tick is not None:
                self.tick()

    # --- timing -------------------------------------------------------------------------------
    def _lognormal(self, median: float, sigma: float) -> float:
        return median * self.rng.lognormvariate(0.0, sigma)

    def _timing(self, sop: SopRun, item: PlanItem, case: SimCase, lane: Lane) -> tuple[float, float, float]:
        """(in-tray working minutes, in-tray calendar seconds, working minutes of work)."""
        sim = self.sim
        if lane.mode == "session":
            return 0.0, 0.0, self._lognormal(lane.conf.item_minutes, 0.4)
        tid = item.timed
        std = sop.standards.get(tid) if tid else None
        if std is None:  # an undocumented activity
            return 0.0, 0.0, self._lognormal(sim.no_standard_minutes * 0.7, 0.5)
        q = case.q.get(std.per_attribute, 1.0) if std.per_attribute else 1.0
        if std.min is not None and self.rng.random() < sim.too_fast_share:
            return 0.0, 0.0, std.min.working_minutes() * q * self.rng.uniform(0.3, 0.9)
        if std.max is not None:
            size, basis = std.max.value * q, std.max.basis
        elif std.min is not None:
            size, basis = 3 * std.min.working_minutes() * q, "wm"
        else:
            return 0.0, 0.0, self._lognormal(sim.no_standard_minutes, 0.5)
        if basis == "wm":
            if size <= sim.handoff_threshold_wm or not lane.conf.handoff or lane.mode == "applicant":
                return 0.0, 0.0, self._lognormal(sim.counter_frac * size, sim.counter_sigma)
            work = self._lognormal(min(sim.handoff_work_minutes, 0.1 * size), 0.5)
            return self._lognormal(sim.handoff_frac * size, sim.handoff_sigma), 0.0, work
        seconds = size * 3600.0 if basis == "hours" else size * 30.4375 * 86400.0
        work = self._lognormal(min(sim.handoff_work_minutes, seconds / 600.0), 0.5)
        return 0.0, self._lognormal(sim.handoff_frac * seconds, sim.handoff_sigma), work

    def _time_of_day(self) -> float:
        """Minutes after opening at which an applicant turns up (mornings are busier)."""
        return self.rng.betavariate(1.6, 2.6) * 420.0

    def _applicant_back(self, sop: SopRun) -> float:
        """Clock minute at which an applicant returns with the completed documents."""
        days = self._lognormal(sop.conf.applicant_days_median, self.sim.applicant_sigma)
        back = self.cal.wall(self.env.now).date() + timedelta(days=max(1, round(days)))
        return self.cal.on_day(back, self._time_of_day())

    def _batch(self, sop: SopRun, tid: str, lane_name: str, unit: str, lane: Lane) -> MonthlyBatch:
        scope = unit if (lane_name, unit) in self.lanes else None
        key = (sop.id, tid, lane_name, scope)
        batch = self.batches.get(key)
        if batch is None:
            persons = lane.persons or [-1]
            day = sop.standards[tid].deadline_day or 1
            batch = self.batches[key] = MonthlyBatch(self.env, self.cal, self.sim, self.rng,
                                                     day, persons, key)
        return batch

    # --- one case -----------------------------------------------------------------------------
    def _record(self, sop: SopRun, case: SimCase, pos: int, person: int, t0: float, t1: float) -> None:
        rec = sop.rec
        rec.case.append(case.idx)
        rec.pos.append(pos)
        rec.person.append(person)
        rec.start.append(t0)
        rec.end.append(t1)
        sid = case.plan[pos].step_id
        if sid in sop.partners:
            case.persons.setdefault(sid, []).append(person)

    @staticmethod
    def _forbidden(sop: SopRun, case: SimCase, tid: str | None) -> list[int]:
        """People who did the four_eyes partner of ``tid`` in this case."""
        out: list[int] = []
        for other in sop.partners.get(tid, ()) if tid else ():
            out.extend(case.persons.get(other, ()))
        return out

    def _case(self, sop: SopRun, case: SimCase):
        env, items = self.env, case.plan
        n, i = len(items), 0
        ahead: tuple[float, float, float] | None = None
        while i < n:
            it = items[i]
            if it.reentry:
                back = self._applicant_back(sop)
                yield env.timeout(max(0.0, back - env.now))
            tid = it.timed
            lane = self.lane(sop, it.lane, case.unit)
            forbid = self._forbidden(sop, case, tid)
            if tid is not None and sop.standards[tid].deadline_day:
                batch = self._batch(sop, tid, it.lane, case.unit, lane)
                person, t0, t1, case.group = yield batch.join(forbid)
                yield env.timeout(max(0.0, t1 - env.now))
                self._record(sop, case, i, person, t0, t1)
                i += 1
                continue
            group = None
            if case.group is not None and lane.mode != "applicant":
                key = (case.group, tid or it.label)
                group = self.groups.get(key)
                if group is not None and not group.started:
                    person, t0, t1 = yield group.done
                    self._record(sop, case, i, person, t0, t1)
                    i += 1
                    continue
                group = self.groups[key] = GroupVisit(env.event())
            pre_wm, pre_cal, work = ahead or self._timing(sop, it, case, lane)
            ahead = None
            if i == 0 and (pre_wm or pre_cal):
                # A file handed in at the very end is registered before the period closes:
                # a case logs its first step or it is not a case of the period at all.
                ready = env.now + pre_wm if pre_wm else self.cal.after_calendar(env.now, pre_cal)
                latest = max(env.now, self.until - work - LAST_FILE_SLACK)
                if ready > latest:
                    pre_wm, pre_cal = latest - env.now, 0.0
            if pre_wm:
                yield env.timeout(pre_wm)
            if pre_cal:
                yield env.timeout(max(0.0, self.cal.after_calendar(env.now, pre_cal) - env.now))
            if lane.mode == "applicant":
                t0 = env.now
                yield env.timeout(work)
                self._record(sop, case, i, -1, t0, env.now)
                i += 1
                continue
            if lane.mode == "session":
                person, t0, t1 = yield lane.submit(work, forbid, group)
                self._record(sop, case, i, person, t0, t1)
                if group is not None:
                    group.done.succeed((person, t0, t1))
                i += 1
                continue
            request = lane.queue.request(priority=1 if (i == 0 or it.reentry) else 0)
            yield request
            if forbid and len(lane.persons) > 1 and all(p in forbid for p in lane.free):
                # four eyes: the verifier is the only one free; wait for someone else
                second = lane.queue.request(priority=0)
                yield second
                lane.queue.release(request)
                request = second
            person = lane.take(forbid)
            if group is not None:
                group.started = True
            t0 = env.now
            t = t0 + work
            self._record(sop, case, i, person, t0, t)
            j = i + 1
            while group is None and j < n:
                nx = items[j]
                ntid = nx.timed
                if (nx.lane != it.lane or nx.reentry
                        or (ntid in sop.partners and person in self._forbidden(sop, case, ntid))
                        or (ntid is not None and sop.standards[ntid].deadline_day)):
                    break
                timing = self._timing(sop, nx, case, lane)
                if timing[0] or timing[1]:
                    ahead = timing
                    break
                self._record(sop, case, j, person, t, t + timing[2])
                t += timing[2]
                j += 1
            yield env.timeout(t - env.now)
            lane.free.append(person)
            lane.queue.release(request)
            if group is not None:
                group.done.succeed((person, t0, t))
            i = j
