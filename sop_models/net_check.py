"""Soundness of a kept reference net, decided on its state space and bounded in states and time.

Flows built from Pantau's blocks are sound by construction and never come here (see
``sop_models/README.md``, "Soundness"); only a ``reference_net`` that is not
block-structured does. pm4py's WOFLAN is not used: it took 8-9.5 minutes on a 27-step
model, and it called a sound free-choice net unsound (its S-coverability test through
scipy, "solution from scipy may be unstable"; tests/test_reference_models.py has the net).

A workflow net with initial marking ``im`` and final marking ``fm`` is sound when (1) from
every reachable marking ``fm`` can be reached, (2) a reachable marking that covers ``fm``
is ``fm`` itself, and (3) every transition can fire. For a bounded net these are read off
the reachability graph exactly; the search stops after ``max_states`` markings or
``seconds`` (an unbounded or very large net), and the verdict is then "not checked".
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal

MAX_STATES = 200_000
SECONDS = 20.0
Status = Literal["sound", "unsound", "not_checked"]


@dataclass(frozen=True)
class Soundness:
    """The verdict on a net: ``reason`` says why it is unsound or was not checked."""

    status: Status
    reason: str | None = None


def check_soundness(net: Any, im: Any, fm: Any, *, max_states: int = MAX_STATES,
                    seconds: float = SECONDS) -> Soundness:
    """Decide soundness of ``(net, im, fm)`` (pm4py objects) on its reachability graph."""
    places = sorted(net.places, key=lambda p: str(p.name))
    index = {p: i for i, p in enumerate(places)}
    moves = []
    for t in sorted(net.transitions, key=lambda t: str(t.name)):
        pre = [(index[a.source], int(getattr(a, "weight", 1))) for a in t.in_arcs]
        post = [(index[a.target], int(getattr(a, "weight", 1))) for a in t.out_arcs]
        moves.append((t, pre, post))
    start = _marking(im, index, len(places))
    final = _marking(fm, index, len(places))
    seen = {start: 0}
    edges: list[list[int]] = [[]]
    states = [start]
    fired: set[Any] = set()
    queue = deque([start])
    deadline = time.perf_counter() + seconds
    while queue:
        state = queue.popleft()
        here = seen[state]
        for t, pre, post in moves:
            if not all(state[i] >= w for i, w in pre):
                continue
            nxt = list(state)
            for i, w in pre:
                nxt[i] -= w
            for i, w in post:
                nxt[i] += w
            key = tuple(nxt)
            fired.add(t)
            if key not in seen:
                if len(seen) >= max_states or time.perf_counter() > deadline:
                    return Soundness("not_checked", f"not checked: more than {len(seen):,} markings "
                                     f"reached in {seconds:g} s (the net may be unbounded)")
                seen[key] = len(states)
                states.append(key)
                edges.append([])
                queue.append(key)
            edges[here].append(seen[key])
    return _verdict(states, edges, final, fired, moves)


def _marking(marking: Any, index: dict[Any, int], n: int) -> tuple[int, ...]:
    out = [0] * n
    for place, count in (marking or {}).items():
        out[index[place]] = int(count)
    return tuple(out)


def _verdict(states: list[tuple[int, ...]], edges: list[list[int]], final: tuple[int, ...],
             fired: set[Any], moves: list[Any]) -> Soundness:
    covering = [i for i, s in enumerate(states) if all(a >= b for a, b in zip(s, final, strict=True))]
    improper = [i for i in covering if states[i] != final]
    if improper:
        return Soundness("unsound", "a reachable marking has tokens left beside the final marking")
    if final not in states:
        return Soundness("unsound", "the final marking cannot be reached")
    back: list[list[int]] = [[] for _ in states]
    for src, targets in enumerate(edges):
        for dst in targets:
            back[dst].append(src)
    can_finish = {states.index(final)}
    queue = deque(can_finish)
    while queue:
        for src in back[queue.popleft()]:
            if src not in can_finish:
                can_finish.add(src)
                queue.append(src)
    if len(can_finish) < len(states):
        return Soundness("unsound", f"from {len(states) - len(can_finish)} reachable marking(s) "
                         "the final marking cannot be reached (a deadlock or livelock)")
    dead = sorted(str(t.label or t.name) for t, _, _ in moves if t not in fired)
    if dead:
        return Soundness("unsound", f"transitions that can never fire: {', '.join(dead[:5])}")
    return Soundness("sound")
