"""Reference alignments for the tests: pm4py's own search, and brute force on small nets.

- :func:`pm4py_cost`: pm4py's optimal alignment cost (deviating moves) of one trace.
- :func:`drained`: the net with a silent "drain" transition on every place and the empty
  marking as the final one. A run of it, with the drains left out, is a firing sequence of
  the original net from its initial marking (drains only take tokens away), and every such
  sequence can be drained to the empty marking; so on a sound net pm4py's full alignment
  against the drained net is an optimal *prefix* alignment against the original net.
- :func:`brute_force`: the optimal full and prefix costs by enumerating the net's runs up to
  a length bound (the cost of aligning a trace with a word is ``n + |w| - 2 LCS``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")

from analytics.state_space import PlainNet


def pm4py_cost(net, im, fm, symbols: Sequence[str]) -> int:
    """Deviating moves of pm4py's optimal alignment (its A* with the state equation)."""
    from pm4py.algo.conformance.alignments.petri_net import algorithm as alignments
    from pm4py.objects.log.obj import Event, Trace

    trace = Trace([Event({"concept:name": s}) for s in symbols])
    result = alignments.apply_trace(trace, net, im, fm,
                                    parameters={alignments.Parameters.SHOW_PROGRESS_BAR: False})
    return int(result["cost"]) // 10000


def drained(net, im, fm):
    """``(net', im', empty marking)``: a copy of ``net`` with a silent drain on every place."""
    import copy

    from pm4py.objects.petri_net.obj import Marking, PetriNet
    from pm4py.objects.petri_net.utils import petri_utils

    memo: dict = {}
    net2 = copy.deepcopy(net, memo)
    im2 = Marking({memo[id(p)]: c for p, c in im.items()})
    for i, place in enumerate(sorted(net2.places, key=lambda p: str(p.name))):
        drain = PetriNet.Transition(f"drain_{i}", None)
        net2.transitions.add(drain)
        petri_utils.add_arc_from_to(place, drain, net2)
    return net2, im2, Marking()


def _lcs(a: Sequence[str], b: Sequence[str]) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        prev = 0
        for j, y in enumerate(b, start=1):
            cur = row[j]
            row[j] = prev + 1 if x == y else max(row[j], row[j - 1])
            prev = cur
    return row[-1]


def runs(net: PlainNet, max_visible: int, max_silent: int = 6) -> tuple[set, set]:
    """Visible words of complete runs and of run prefixes that can still complete, up to
    ``max_visible`` visible steps (and ``max_silent`` silent steps between two visible ones)."""
    def key(m: dict) -> tuple:
        return tuple(sorted((p, c) for p, c in m.items() if c))

    def fire(m: dict, t: int) -> dict | None:
        if any(m.get(p, 0) < w for p, w in net.pre[t]):
            return None
        m2 = dict(m)
        for p, w in net.pre[t]:
            m2[p] -= w
        for p, w in net.post[t]:
            m2[p] = m2.get(p, 0) + w
        return m2

    final = key(dict(net.final))
    # every (word, marking) reachable within the bounds
    frontier = [(dict(net.initial), (), 0)]
    words: set[tuple[tuple, tuple]] = set()  # (word, marking)
    while frontier:
        m, word, silent = frontier.pop()
        k = key(m)
        if (word, k) in words:
            continue
        words.add((word, k))
        for t, label in enumerate(net.labels):
            m2 = fire(m, t)
            if m2 is None:
                continue
            if label is None and silent < max_silent:
                frontier.append((m2, word, silent + 1))
            elif label is not None and len(word) < max_visible:
                frontier.append((m2, (*word, label), 0))
    # co-reachability over the full reachability graph (the nets here are small)
    graph: dict[tuple, set] = {}
    todo = [dict(net.initial)]
    while todo:
        m = todo.pop()
        k = key(m)
        if k in graph:
            continue
        graph[k] = set()
        for t in range(len(net.labels)):
            m2 = fire(m, t)
            if m2 is not None:
                graph[k].add(key(m2))
                todo.append(m2)
    alive = {final} if final in graph else set()
    changed = True
    while changed:
        changed = False
        for k, nexts in graph.items():
            if k not in alive and nexts & alive:
                alive.add(k)
                changed = True
    full = {w for w, k in words if k == final}
    prefix = {w for w, k in words if k in alive}
    return full, prefix


def brute_force(trace: Sequence[str], full: set, prefix: set) -> tuple[int | None, int | None]:
    """Optimal (full, prefix) alignment costs of ``trace`` over the given words."""
    def best(words: set) -> int | None:
        costs = [len(trace) + len(w) - 2 * _lcs(trace, w) for w in words]
        return min(costs) if costs else None
    return best(full), best(prefix)
