"""The reachable markings of a Petri net as a graph: what the alignment search walks on.

A net arrives as plain data (:class:`PlainNet`, built from pm4py objects by
:func:`analytics.pm4py_bridge.plain_net`); this module knows nothing of pm4py. The SOP nets
are small (the five bundled SOPs: 5–21 markings; the WABO receipt BPMN: 2,034), so the whole
reachability graph is built once per net and analysed once:

- ``to_end[s]``: the fewest visible steps from marking ``s`` to the final marking (its
  value at the initial marking is pm4py's "best worst cost"); markings that cannot reach the
  final marking are dead and dropped from the graph;
- ``future[s]``: the labels that can still fire after ``s`` (a bit mask);
- per label, the fewest and the most times it can still fire on a way to the end
  (:class:`LabelBounds`; "most" is unbounded inside a loop), when the net is small enough.

These give the search its lower bounds (:mod:`analytics.alignment`). A net whose graph
passes :data:`MAX_STATES` markings is kept *partial*: markings are then expanded on demand
and the bounds fall back to what the net's structure alone tells (labels reachable through
arcs), which is weaker but still exact for the search.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

INF = 1 << 40  # "no bound" / "unreachable" for counts of steps
MAX_STATES = 200_000  # markings explored up front; past it the graph is expanded on demand
MAX_BUILD_SECONDS = 10.0
BOUNDS_BUDGET = 4_000_000  # labels x (markings + edges) up to which LabelBounds are computed

Arcs = tuple[tuple[int, int], ...]  # (place index, weight)


@dataclass(frozen=True)
class PlainNet:
    """A Petri net as plain data: per transition its label (None = silent) and arcs."""

    places: int
    labels: tuple[str | None, ...]
    pre: tuple[Arcs, ...]
    post: tuple[Arcs, ...]
    initial: Arcs
    final: Arcs


@dataclass
class LabelBounds:
    """Per marking ``s`` and label code ``a``: ``fewest[s][a]`` / ``most[s][a]`` firings of
    ``a`` on any way from ``s`` to the final marking (``most`` is :data:`INF` in a loop)."""

    fewest: list[tuple[int, ...]]
    most: list[tuple[int, ...]]
    fewest_total: list[int]  # sum over labels of fewest[s][a]


class _Unsafe(Exception):
    """A place got a second token: bit-per-place markings do not fit this net."""


@dataclass
class StateSpace:
    """Markings (state ids 0.., 0 = initial) with their silent and visible successors."""

    net: PlainNet
    codes: dict[str, int]  # visible label -> code, codes in sorted label order
    markings: list = field(default_factory=list)
    ids: dict = field(default_factory=dict)
    edges: list = field(default_factory=list)  # per state: (taus, visible, by_code) or None
    complete: bool = False
    final: int | None = None
    to_end: list[int] | None = None
    future: list[int] | None = None
    bounds: LabelBounds | None = None
    safe: bool = True
    _by_place: list[list[int]] = field(default_factory=list)
    _place_future: list[int] = field(default_factory=list)
    _masks: list[tuple[int, int]] = field(default_factory=list)  # safe nets: (pre, post) bit masks
    _final_marking: object = None

    # --- markings ------------------------------------------------------------------------
    def _marking(self, arcs: Arcs):
        if self.safe:
            m = 0
            for p, w in arcs:
                if w != 1 or m >> p & 1:
                    raise _Unsafe
                m |= 1 << p
            return m
        counts = [0] * self.net.places
        for p, w in arcs:
            counts[p] += w
        return tuple(counts)

    def _marked(self, m) -> list[int]:
        if self.safe:
            out, p = [], 0
            while m:
                if m & 1:
                    out.append(p)
                m >>= 1
                p += 1
            return out
        return [p for p, c in enumerate(m) if c]

    def _fire(self, m, t: int):
        net = self.net
        if self.safe:
            pre, post = self._masks[t]
            if m & pre != pre:
                return None
            m &= ~pre
            if m & post:
                raise _Unsafe
            return m | post
        counts = list(m)
        for p, w in net.pre[t]:
            if counts[p] < w:
                return None
            counts[p] -= w
        for p, w in net.post[t]:
            counts[p] += w
        return tuple(counts)

    def state(self, m) -> int:
        """The id of marking ``m`` (a new one when first seen)."""
        sid = self.ids.get(m)
        if sid is None:
            sid = self.ids[m] = len(self.markings)
            self.markings.append(m)
            self.edges.append(None)
        return sid

    def expand(self, s: int) -> tuple:
        """``(taus, visible, by_code)`` of state ``s``: silent successors, (code, successor)
        pairs and successors per label code; computed on first use."""
        got = self.edges[s]
        if got is not None:
            return got
        m = self.markings[s]
        candidates = sorted({t for p in self._marked(m) for t in self._by_place[p]})
        taus, visible, by_code = [], [], {}
        for t in candidates:
            m2 = self._fire(m, t)
            if m2 is None:
                continue
            target = self.state(m2)
            label = self.net.labels[t]
            if label is None:
                taus.append(target)
            else:
                code = self.codes[label]
                visible.append((code, target))
                by_code.setdefault(code, []).append(target)
        got = self.edges[s] = (tuple(taus), tuple(visible), {c: tuple(v) for c, v in by_code.items()})
        return got

    # --- what the search asks --------------------------------------------------------------
    def is_final(self, s: int) -> bool:
        """True when ``s`` is the final marking."""
        return s == self.final if self.complete else self.markings[s] == self._final_marking

    def steps_to_end(self, s: int) -> int:
        """A lower bound on the visible steps from ``s`` to the end (exact when complete)."""
        return self.to_end[s] if self.to_end is not None and s < len(self.to_end) else 0

    def future_mask(self, s: int) -> int:
        """Labels (bit per code) that may still fire after ``s``; over-approximated from the
        arcs for markings the analysis did not reach."""
        if self.future is not None and s < len(self.future):
            return self.future[s]
        mask = 0
        for p in self._marked(self.markings[s]):
            mask |= self._place_future[p]
        return mask


def build(net: PlainNet, *, max_states: int = MAX_STATES,
          max_seconds: float = MAX_BUILD_SECONDS) -> StateSpace:
    """The state space of ``net``: the whole reachability graph when it has at most
    ``max_states`` markings and takes at most ``max_seconds``, else a partial one."""
    try:
        return _build(net, safe=True, max_states=max_states, max_seconds=max_seconds)
    except _Unsafe:
        return _build(net, safe=False, max_states=max_states, max_seconds=max_seconds)


def _build(net: PlainNet, *, safe: bool, max_states: int, max_seconds: float) -> StateSpace:
    labels = sorted({lb for lb in net.labels if lb is not None})
    space = StateSpace(net, {lb: i for i, lb in enumerate(labels)}, safe=safe)
    space._by_place = [[] for _ in range(net.places)]
    for t, arcs in enumerate(net.pre):
        for p, _ in arcs:
            space._by_place[p].append(t)
    if safe:
        space._masks = [(sum(1 << p for p, _ in net.pre[t]), sum(1 << p for p, _ in net.post[t]))
                        for t in range(len(net.labels))]
        if any(w != 1 for arcs in (*net.pre, *net.post) for _, w in arcs):
            raise _Unsafe
    space._final_marking = space._marking(net.final)
    space._place_future = _place_future(net, space.codes)
    space.state(space._marking(net.initial))
    deadline = time.perf_counter() + max_seconds
    s = 0
    while s < len(space.markings):
        if len(space.markings) > max_states or (s % 1024 == 0 and time.perf_counter() > deadline):
            return space  # partial: the rest is expanded on demand
        space.expand(s)
        s += 1
    space.complete = True
    _analyse(space)
    return space


def _place_future(net: PlainNet, codes: dict[str, int]) -> list[int]:
    """Per place: labels of the transitions reachable from it along arcs."""
    out_t: list[list[int]] = [[] for _ in range(net.places)]
    for t, arcs in enumerate(net.pre):
        for p, _ in arcs:
            out_t[p].append(t)
    result = []
    for start in range(net.places):
        seen_p, seen_t, stack, mask = {start}, set(), [start], 0
        while stack:
            for t in out_t[stack.pop()]:
                if t in seen_t:
                    continue
                seen_t.add(t)
                if net.labels[t] is not None:
                    mask |= 1 << codes[net.labels[t]]
                for q, _ in net.post[t]:
                    if q not in seen_p:
                        seen_p.add(q)
                        stack.append(q)
        result.append(mask)
    return result


def _analyse(space: StateSpace) -> None:
    """Distances to the end, dead markings dropped, future labels and label bounds."""
    n = len(space.markings)
    final = space.ids.get(space._final_marking)
    space.final = final
    back: list[list[tuple[int, int]]] = [[] for _ in range(n)]  # (source, code or -1)
    for s, (taus, visible, _) in enumerate(space.edges):
        for t in taus:
            back[t].append((s, -1))
        for code, t in visible:
            back[t].append((s, code))
    to_end = _backward_01(back, final, n, lambda code: code >= 0)
    space.to_end = to_end
    live = [d < INF for d in to_end]
    for s in range(n):  # edges into dead markings can never be part of an alignment
        taus, visible, by_code = space.edges[s]
        if all(live[t] for t in taus) and all(live[t] for _, t in visible):
            continue
        space.edges[s] = (tuple(t for t in taus if live[t]), tuple((c, t) for c, t in visible if live[t]),
                          {c: tuple(t for t in ts if live[t]) for c, ts in by_code.items()})
    order, comp = _sccs(space.edges, live)
    future = [0] * n
    for members in order:  # sinks first: successors are done before their predecessors
        mask = 0
        for s in members:
            _, visible, _ = space.edges[s]
            for code, t in visible:
                mask |= 1 << code
                if comp[t] != comp[s]:
                    mask |= future[t]
            for t in space.edges[s][0]:
                if comp[t] != comp[s]:
                    mask |= future[t]
        for s in members:
            future[s] = mask
    space.future = future
    n_edges = sum(len(e[0]) + len(e[1]) for e in space.edges)
    if len(space.codes) * (n + n_edges) <= BOUNDS_BUDGET:
        space.bounds = _label_bounds(space, back, order, comp, final)


def _backward_01(back: list[list[tuple[int, int]]], target: int | None, n: int, costly) -> list[int]:
    """Fewest costly edges from each state to ``target`` (0-1 BFS on the reversed graph)."""
    dist = [INF] * n
    if target is None:
        return dist
    dist[target] = 0
    queue = deque([target])
    while queue:
        v = queue.popleft()
        dv = dist[v]
        for u, code in back[v]:
            w = 1 if costly(code) else 0
            if dv + w < dist[u]:
                dist[u] = dv + w
                if w:
                    queue.append(u)
                else:
                    queue.appendleft(u)
    return dist


def _sccs(edges: Sequence[tuple], live: list[bool]) -> tuple[list[list[int]], list[int]]:
    """Strongly connected components of the live graph (iterative Tarjan), sinks first."""
    n = len(edges)
    index, low, comp = [-1] * n, [0] * n, [-1] * n
    on_stack = [False] * n
    stack: list[int] = []
    order: list[list[int]] = []
    counter = 0

    def succ(v: int) -> list[int]:
        taus, visible, _ = edges[v]
        return [*taus, *(t for _, t in visible)]

    for root in range(n):
        if index[root] >= 0 or not live[root]:
            continue
        work = [(root, iter(succ(root)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if index[w] < 0:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, iter(succ(w))))
                    advanced = True
                    break
                if on_stack[w]:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                members = []
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    comp[w] = len(order)
                    members.append(w)
                    if w == v:
                        break
                order.append(members)
    return order, comp


def _label_bounds(space: StateSpace, back: list[list[tuple[int, int]]], order: list[list[int]],
                  comp: list[int], final: int | None) -> LabelBounds:
    """Fewest (0-1 BFS per label) and most (longest path over the component DAG) firings."""
    n, labels = len(space.markings), len(space.codes)
    fewest = [_backward_01(back, final, n, lambda code, a=a: code == a) for a in range(labels)]
    most = [[0] * n for _ in range(labels)]
    for members in order:  # sinks first
        inside = set(members)
        looped = [False] * labels
        best = [0] * labels if final in inside else [-1] * labels  # -1: must leave the component
        for s in members:
            taus, visible, _ = space.edges[s]
            for code, t in visible:
                if t in inside:
                    looped[code] = True
            for code, t in [*((-1, t) for t in taus), *visible]:
                if t in inside:
                    continue
                for a in range(labels):
                    value = most[a][t] + (1 if code == a else 0)
                    if value > best[a]:
                        best[a] = value
        for a in range(labels):
            value = INF if looped[a] else max(best[a], 0)
            for s in members:
                most[a][s] = min(value, INF)
    by_state_few = [tuple(fewest[a][s] for a in range(labels)) for s in range(n)]
    by_state_most = [tuple(most[a][s] for a in range(labels)) for s in range(n)]
    return LabelBounds(by_state_few, by_state_most, [sum(f) for f in by_state_few])
