"""The people of a lane as simpy processes: counter queues, signing sessions, monthly batches.

Times are minutes on the working clock (clock.py). Queues are where waiting comes from: a
counter lane has ``capacity`` people serving FIFO; a session lane (the Kepala Dinas) works its
in-tray once a working day, so its backlog grows when arrivals outrun its sessions; a monthly
batch step (``waktu.deadline_day``) is done once a month near day D for every case enabled
since the last batch.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import deque
from dataclasses import dataclass, field
from datetime import date

import simpy

from event_logs.simulator.clock import DAY_MINUTES, WorkCalendar
from event_logs.simulator.config import LaneConfig, SimConfig
from event_logs.simulator.truth import month_deadline_day


@dataclass(slots=True)
class GroupVisit:
    """One piece of work done for a whole batch group (one recap letter, one signature)."""

    done: simpy.Event
    started: bool = False


class RequestHeap:
    """The waiting requests of a counter lane, in simpy's ``SortedQueue`` order.

    simpy's ``SortedQueue.append`` re-sorts the whole list with a Python key function on
    every request, so a queue of n waiting requests costs O(n) per arrival: a lane whose
    backlog grows over the year makes the run quadratic. A heap keyed by (request key,
    arrival number) gives the same order (the stable sort keeps arrival order among equal
    keys) in O(log n). Only the head is read in practice (``Resource._trigger_put`` stops at
    the first request it cannot grant); other positions are served from a sorted copy.
    """

    __slots__ = ("_heap", "_seq")

    def __init__(self, maxlen: int | None = None) -> None:
        if maxlen is not None:
            raise ValueError("RequestHeap has no maximum length")
        self._heap: list[tuple[tuple, int, simpy.Event]] = []
        self._seq = itertools.count()

    def append(self, item: simpy.Event) -> None:
        """Queue ``item`` behind every request with a key not greater than its own."""
        heapq.heappush(self._heap, (item.key, next(self._seq), item))

    def __len__(self) -> int:
        return len(self._heap)

    def __getitem__(self, idx: int) -> simpy.Event:
        if idx == 0 and self._heap:
            return self._heap[0][2]
        return sorted(self._heap)[idx][2]

    def __iter__(self):
        return (entry[2] for entry in sorted(self._heap))

    def pop(self, idx: int = -1) -> simpy.Event:
        """Remove and return the request at position ``idx`` of the queue order."""
        if idx == 0 and self._heap:
            return heapq.heappop(self._heap)[2]
        entry = sorted(self._heap)[idx]
        self._drop(entry)
        return entry[2]

    def remove(self, item: simpy.Event) -> None:
        """Remove a cancelled request (ValueError when it is not queued, like a list)."""
        for entry in self._heap:
            if entry[2] is item:
                self._drop(entry)
                return
        raise ValueError("request not in queue")

    def _drop(self, entry: tuple) -> None:
        self._heap.remove(entry)
        heapq.heapify(self._heap)


class LaneResource(simpy.PriorityResource):
    """simpy's PriorityResource with the O(log n) request queue above."""

    PutQueue = RequestHeap


@dataclass(slots=True)
class TrayItem:
    """A document waiting in a session lane's in-tray."""

    proc: float
    forbid: list[int]
    done: simpy.Event
    group: GroupVisit | None


class Lane:
    """One pool of people (``persons`` are indices into the agency's name table)."""

    def __init__(self, env: simpy.Environment, conf: LaneConfig, persons: list[int],
                 rng: random.Random) -> None:
        self.env = env
        self.conf = conf
        self.mode = conf.mode
        self.persons = persons
        self.rng = rng
        self.tray: deque[TrayItem] = deque()
        # counter lanes: a priority queue for the people, and who of them is free. Work on
        # files already in the office (priority 0) goes before the next walk-in (1).
        self.queue = LaneResource(env, capacity=max(1, len(persons)))
        self.free: deque[int] = deque(persons)
        if self.mode == "session":
            for k, person in enumerate(persons):
                skip = conf.skip_prob[min(k, len(conf.skip_prob) - 1)]
                env.process(self._sessions(person, skip))

    def take(self, forbid: list[int]) -> int:
        """A free person not in ``forbid`` (any, when only they are free), after a granted
        request."""
        free = self.free
        if forbid:
            for k, person in enumerate(free):
                if person not in forbid:
                    del free[k]
                    return person
        return free.popleft()

    # --- session lanes ------------------------------------------------------------------------
    def submit(self, proc: float, forbid: list[int], group: GroupVisit | None) -> simpy.Event:
        """Put a document in the in-tray; the event fires with (person, start, end)."""
        item = TrayItem(proc, forbid, self.env.event(), group)
        self.tray.append(item)
        return item.done

    def _take(self, person: int) -> TrayItem | None:
        for k, item in enumerate(self.tray):
            if person not in item.forbid:
                del self.tray[k]
                return item
        return None

    def _sessions(self, person: int, skip: float):
        env, conf, rng = self.env, self.conf, self.rng
        lo, hi = ((h - 8.0) * 60.0 for h in conf.session_window)
        day = int(env.now // DAY_MINUTES)
        while True:
            start = day * DAY_MINUTES + rng.uniform(lo, hi)
            day += 1
            if start < env.now:
                continue
            yield env.timeout(start - env.now)
            if rng.random() < skip:
                continue
            end = start + conf.session_minutes
            while env.now < end:
                item = self._take(person)
                if item is None:
                    break
                if item.group is not None:
                    item.group.started = True
                t0 = env.now
                yield env.timeout(item.proc)
                item.done.succeed((person, t0, env.now))


@dataclass(slots=True)
class BatchItem:
    """A case waiting for the monthly batch of one step."""

    done: simpy.Event
    forbid: list[int]


@dataclass
class MonthlyBatch:
    """The monthly batch of one step in one lane pool (``deadline_day`` = D).

    The batch runs on the deadline's working day (the last working day on or before day D in
    its month, else the first after it: truth.month_deadline_day),
    sometimes one or two working days early, in a few months late; a few cases are
    overlooked and wait for the next batch. Every case in a batch gets the same start and
    completion, and the batch's id as its group for the steps that follow.
    """

    env: simpy.Environment
    cal: WorkCalendar
    sim: SimConfig
    rng: random.Random
    day: int
    persons: list[int]
    key: tuple
    pending: list[BatchItem] = field(default_factory=list)
    runs: int = 0

    def __post_init__(self) -> None:
        self.env.process(self._run())

    def join(self, forbid: list[int]) -> simpy.Event:
        """Wait for the next batch; fires with (person, start, end, group id)."""
        item = BatchItem(self.env.event(), forbid)
        self.pending.append(item)
        return item.done

    def _deadline_index(self, year: int, month: int) -> int:
        last = (date(year + month // 12, month % 12 + 1, 1) - date(year, month, 1)).days
        target = date(year, month, min(self.day, last))
        due = month_deadline_day(self.cal, target)
        return self.cal.index.get(due, self.cal.last_on_or_before(target))

    def _run(self):
        env, rng, sim = self.env, self.rng, self.sim
        today = self.cal.date_of(env.now)
        year, month = today.year, today.month
        while True:
            idx = self._deadline_index(year, month)
            month += 1
            if month > 12:
                year, month = year + 1, 1
            if rng.random() < sim.batch_late_month:
                idx += rng.randint(1, 2)
            else:
                u, lead = rng.random(), 0
                for lead, share in enumerate(sim.batch_lead_days):  # noqa: B007
                    u -= share
                    if u <= 0:
                        break
                idx -= lead
            if idx < 0:
                continue
            if idx >= len(self.cal.days):
                return
            start = idx * DAY_MINUTES + rng.uniform(60.0, 300.0)
            if start < env.now:
                continue
            yield env.timeout(start - env.now)
            if not self.pending:
                continue
            self.runs += 1
            group = (self.key, self.runs)
            duration = rng.lognormvariate(0.0, 0.4) * sim.batch_minutes
            keep: list[BatchItem] = []
            person = self.persons[rng.randrange(len(self.persons))]
            for item in self.pending:
                if rng.random() < sim.batch_overlooked:
                    keep.append(item)
                else:
                    who = person
                    if who in item.forbid:
                        who = next((p for p in self.persons if p not in item.forbid), who)
                    item.done.succeed((who, start, start + duration, group))
            self.pending = keep
