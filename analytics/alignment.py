"""Optimal alignments of a trace against a Petri net, full or as a prefix, with fixed tie-breaks.

An alignment pairs the trace with a run of the net, move by move: a *sync* move (the event is
the step the net does), a *log* move (the event, the net does nothing), a *model* move (a
visible step the trace lacks), a silent step. The search is A* over (marking, events read)
on the reachability graph of :mod:`analytics.state_space`.

**Cost.** Each alignment is scored by a tuple compared in this order (docs/dev/SEMANTICS.md):

1. deviating moves N (log moves + visible model moves) — the only part fitness reads;
2. fewer log moves (an event is read as a step done whenever an equally cheap reading allows);
3. fewer model moves on steps the trace does not contain (a swap reads as "done out of
   order", not as "skipped the other branch and did a foreign step");
4. model moves on lower step ids (step ids follow document order): the multiset of skipped
   steps compared from the highest id down;
5. log moves on later events (a repeat flags the second occurrence): the set of log-moved
   positions compared from the first event on.

Silent steps cost nothing. The tuple is packed into one integer with a radix per level larger than the level below can
reach on an optimal alignment (Python integers have no size limit), so A* minimises it
exactly. Levels 4 and 5 identify the skipped steps and the log-moved events uniquely, so two
alignments of equal cost differ at most in silent steps and in the order of moves, never in
their deviations: the result does not depend on the order in which the net's transitions
happen to be stored.

**Full and prefix.** A *full* alignment ends in the final marking: N is the optimal cost
pm4py's ``conformance_diagnostics_alignments`` finds (it differs only in how ties are
broken), and fitness is pm4py's ``1 - N / (len(trace) + M)``, M the visible steps of the
shortest run of the net. A *prefix* alignment (an open case, still on its way) ends in any
marking from which the final one can still be reached: steps that may still come cost
nothing, so N counts only what has gone wrong so far; fitness is the same formula with that N.

**Lower bounds** (admissible and consistent, so every state is expanded at most once): events
whose label can no longer fire as often as the rest of the trace has it are log moves
(``LabelBounds.most``, or the future labels of the marking); steps that must still fire more
often than the rest of the trace has them are model moves (``LabelBounds.fewest``, full
alignments only); and the visible steps to the end that the remaining events cannot pay
for are model moves (``StateSpace.to_end``, full alignments only).
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from analytics.state_space import INF, StateSpace

MoveKind = Literal["sync", "log", "model"]
MAX_SEARCH_STATES = 1_000_000  # per alignment: past it the alignment counts as out of time
_SYNC, _LOG, _MODEL, _TAU = 0, 1, 2, 3


@dataclass(frozen=True)
class Move:
    """One non-silent alignment move.

    ``kind`` is ``sync`` (log and model agree), ``log`` (the trace has the symbol, the
    model cannot do it here) or ``model`` (the model needs a visible step the trace lacks).
    ``symbol`` is the trace symbol (log/sync) or the step id (model); ``position`` is the
    1-based index in the trace for log and sync moves, None for model moves.
    """

    kind: MoveKind
    symbol: str
    position: int | None


@dataclass(frozen=True)
class Alignment:
    """The alignment of one trace, or a time-out (``moves`` empty, fitness and cost None)."""

    timed_out: bool
    fitness: float | None
    cost: float | None  # deviating moves: log moves + visible model moves
    moves: tuple[Move, ...]
    seconds: float
    prefix: bool = False
    # prefix alignments: the steps the net may still do from the case's position (the
    # marking after its last sync move)
    still_possible: frozenset[str] = frozenset()


def fitness_of(deviating: int, length: int, shortest: int) -> float:
    """pm4py's alignment fitness: ``1 - N / (len(trace) + M)`` (1.0 when nothing deviates)."""
    if deviating == 0:
        return 1.0
    return 1 - deviating / (length + shortest)


class Aligner:
    """Aligns traces against one state space; keeps what every trace needs."""

    def __init__(self, space: StateSpace, *, max_seconds: float = 10.0, tie_break: bool = True) -> None:
        # tie_break=False minimises the deviating moves alone (levels 2-5 off): the same
        # fitness, an arbitrary choice among equally cheap alignments; only for measuring what
        # the tie-breaks cost (bench/tiebreak_bench.py)
        self.tie_break = tie_break
        self.space = space
        self.labels = sorted(space.codes, key=space.codes.__getitem__)
        self.shortest: int | None = None
        if space.complete:
            d = space.steps_to_end(0)
            self.shortest = d if d < INF else None
        else:
            empty = self._search([], prefix=False, deadline=time.perf_counter() + max_seconds,
                                 shortest=0)
            self.shortest = None if empty is None else sum(1 for m in empty[0] if m.kind != "sync")

    def align(self, symbols: Sequence[str], *, prefix: bool = False, max_seconds: float = 2.0) -> Alignment:
        """The optimal (full, or ``prefix``) alignment of ``symbols``, or a time-out after
        about ``max_seconds``."""
        started = time.perf_counter()
        found = None
        if self.shortest is not None and max_seconds > 0:
            found = self._search(list(symbols), prefix=prefix, deadline=started + max_seconds,
                                 shortest=self.shortest)
        seconds = time.perf_counter() - started
        if found is None or self.shortest is None:
            return Alignment(True, None, None, (), seconds, prefix)
        moves, at = found
        deviating = sum(1 for m in moves if m.kind != "sync")
        possible = frozenset()
        if prefix:
            future = self.space.future_mask(at)
            possible = frozenset(lb for code, lb in enumerate(self.labels) if future >> code & 1)
        return Alignment(False, fitness_of(deviating, len(symbols), self.shortest), float(deviating),
                         moves, seconds, prefix, possible)

    # --- the search --------------------------------------------------------------------------
    def _search(self, symbols: list[str], *, prefix: bool, deadline: float,
                shortest: int) -> tuple[tuple[Move, ...], int] | None:
        """The optimal moves and the marking after the last sync move (0 when none), or None
        when out of time."""
        space = self.space
        codes_of = space.codes
        n = len(symbols)
        codes = [codes_of.get(s, -1) for s in symbols]
        present = set(codes)
        k = n + shortest + 1  # more than the model moves of an optimal alignment
        u_r = 1 << n  # level 5 below it: sum of 2 ** (n - 1 - i) over log-moved events i
        u_a = u_r * k ** len(self.labels)
        u_l = u_a * k
        u_n = u_l * (n + 1)
        u_5 = 1
        if not self.tie_break:
            u_5 = u_r = u_a = u_l = 0
            u_n = 1
        model_cost = [u_n + (0 if a in present else u_a) + k ** a * u_r for a in range(len(self.labels))]
        log_cost = [u_n + u_l + (1 << (n - 1 - i)) * u_5 for i in range(n)]
        bound = _Bound(space, codes, prefix)
        width = n + 1

        def h(s: int, i: int) -> int:
            dev, forced = bound(s, i)
            return dev * u_n + forced * u_l

        g = {0: 0}
        parent: dict[int, tuple[int, int, int] | None] = {0: None}
        # ties on cost go to the state with more events read: a fitting trace is then
        # followed straight through instead of breadth first
        heap = [(h(0, 0), n, 0)]
        closed: set[int] = set()
        pops = 0
        final = space.is_final
        while heap:
            _, _, key = heapq.heappop(heap)
            if key in closed:
                continue
            closed.add(key)
            pops += 1
            if pops & 255 == 0 and (time.perf_counter() > deadline or len(g) > MAX_SEARCH_STATES):
                return None
            s, i = divmod(key, width)
            if i == n and (prefix or final(s)):
                return self._moves(parent, key, width, symbols)
            gk = g[key]
            taus, visible, by_code = space.expand(s)
            nxt = []
            if i < n:
                nxt.append((s, i + 1, gk + log_cost[i], _LOG, i))
                for t in by_code.get(codes[i], ()):
                    nxt.append((t, i + 1, gk, _SYNC, i))
            for t in taus:
                nxt.append((t, i, gk, _TAU, 0))
            for code, t in visible:
                nxt.append((t, i, gk + model_cost[code], _MODEL, code))
            for t, j, cost, kind, what in nxt:
                k2 = t * width + j
                old = g.get(k2)
                if old is not None and old <= cost:
                    continue
                g[k2] = cost
                parent[k2] = (key, kind, what)
                heapq.heappush(heap, (cost + h(t, j), n - j, k2))
        return None

    def _moves(self, parent: dict, key: int, width: int, symbols: list[str]) -> tuple[tuple[Move, ...], int]:
        out: list[Move] = []
        at = None
        step = parent[key]
        while step is not None:
            prev, kind, what = step
            if kind == _SYNC:
                if at is None:
                    at = key // width
                out.append(Move("sync", symbols[what], what + 1))
            elif kind == _LOG:
                out.append(Move("log", symbols[what], what + 1))
            elif kind == _MODEL:
                out.append(Move("model", self.labels[what], None))
            key = prev
            step = parent[prev]
        out.reverse()
        return tuple(out), at or 0


class _Bound:
    """Lower bounds (deviating moves, log moves) on completing an alignment from (s, i)."""

    def __init__(self, space: StateSpace, codes: list[int], prefix: bool) -> None:
        self.space, self.prefix, self.n = space, prefix, len(codes)
        n = len(codes)
        # rest[i]: (label code, occurrences in codes[i:]) for the labels still to come; only
        # these can change a bound (a label not in the rest adds nothing to either)
        counts: dict[int, int] = {}
        self.rest: list[tuple[tuple[int, int], ...]] = [()] * (n + 1)
        self.unknown = [0] * (n + 1)  # symbols the net has no step for: always log moves
        for i in range(n - 1, -1, -1):
            if codes[i] >= 0:
                counts[codes[i]] = counts.get(codes[i], 0) + 1
                self.unknown[i] = self.unknown[i + 1]
            else:
                self.unknown[i] = self.unknown[i + 1] + 1
            self.rest[i] = tuple(sorted(counts.items()))
        self.cache: dict[tuple[int, int], tuple[int, int]] = {}

    def __call__(self, s: int, i: int) -> tuple[int, int]:
        got = self.cache.get((s, i))
        if got is not None:
            return got
        space, bounds = self.space, self.space.bounds
        forced = self.unknown[i]
        if bounds is not None:
            most = bounds.most[s]
            if self.prefix:
                for a, c in self.rest[i]:
                    if c > most[a]:
                        forced += c - most[a]
                labels = forced
            else:
                few = bounds.fewest[s]
                labels = forced + bounds.fewest_total[s]
                for a, c in self.rest[i]:
                    # this label's moves: >= c - most (log moves), >= fewest - c (model moves)
                    if c > most[a]:
                        forced += c - most[a]
                        labels += c - most[a] - few[a]
                    elif c < few[a]:
                        labels -= c
                    else:
                        labels -= few[a]
        else:
            future = space.future_mask(s)
            for a, c in self.rest[i]:
                if not future >> a & 1:
                    forced += c
            labels = forced
        dev = forced
        if not self.prefix:
            rest = self.n - i
            dev = max(labels, forced + max(0, space.steps_to_end(s) - (rest - forced)))
        got = self.cache[(s, i)] = (dev, forced)
        return got
