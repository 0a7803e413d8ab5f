"""The one place analytics talks to pm4py: token replay, precision, and nets as plain data.

Callers speak Pantau's language: a trace is a sequence of trace symbols (step ids, or
``'?:'`` + activity label for unmapped events) and the net's visible transition labels are
step ids (``sop_models.builders.petri_net(model, labels="id")``). This module turns those
into pm4py's XES names (``concept:name``), runs pm4py's own token replay and ETConformance
precision, and hands back plain values.

Alignments are not computed with pm4py any more but by :mod:`analytics.alignment` on the
net's reachability graph (:mod:`analytics.state_space`), which this module feeds with
:func:`plain_net`. The fitness those alignments give equals pm4py's
``conformance_diagnostics_alignments`` for every full alignment (tests compare case by case
with pm4py as the reference); pm4py's searches are 7–85x slower on the logs measured in
bench/README.md ("Alignments"), and their choice among equally cheap alignments is
arbitrary, where Pantau's must be reproducible and readable.
"""

from __future__ import annotations

import os

# pm4py reads this once, at import: keep its tqdm bars off unless the caller chose otherwise.
os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")

import contextlib
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pm4py.algo.conformance.tokenreplay import algorithm as _token_replay
from pm4py.algo.evaluation.precision.variants import etconformance_token as _etc
from pm4py.objects.log.obj import Event, EventLog, Trace
from pm4py.util import xes_constants as _xes

from analytics.state_space import PlainNet

ACTIVITY_KEY = _xes.DEFAULT_NAME_KEY  # "concept:name"


@dataclass
class NetContext:
    """A pm4py Petri net with its markings (for token replay and precision)."""

    net: Any
    im: Any
    fm: Any


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """pm4py's LP code builds numpy matrices, which warn on every call: not the user's business."""
    # catch_warnings swaps the process-wide filter list, which is not thread-safe; in
    # ``pantau analyze`` only the pm4py worker thread enters here, while the main thread
    # runs DuckDB statements and sets no warning filters (analytics/run.py)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        yield


def _trace(symbols: Sequence[str]) -> Trace:
    return Trace([Event({ACTIVITY_KEY: s}) for s in symbols])


def prepare_net(net: Any, im: Any, fm: Any) -> NetContext:
    """The net with its markings, as token replay and precision take it."""
    return NetContext(net, im, fm)


def token_fitness(ctx: NetContext, variants: Sequence[Sequence[str]]) -> list[float]:
    """Token-based replay fitness of each variant (pm4py's ``trace_fitness``), in order."""
    if not variants:
        return []
    log = EventLog([_trace(v) for v in variants])
    params = {
        _token_replay.Variants.TOKEN_REPLAY.value.Parameters.SHOW_PROGRESS_BAR: False,
        # each trace is a distinct variant already; pm4py's own grouping would redo that
        _token_replay.Variants.TOKEN_REPLAY.value.Parameters.DISABLE_VARIANTS: True,
    }
    with _quiet():
        replayed = _token_replay.apply(log, ctx.net, ctx.im, ctx.fm, parameters=params)
    return [float(r["trace_fitness"]) for r in replayed]


def replay_work(ctx: NetContext, events: int) -> int:
    """What replaying ``events`` events costs pm4py's token replay, in events x transitions
    (it checks every transition for enabledness at each step: measured about 1 µs per unit
    on the development machine, for nets of 12 to 330 transitions)."""
    return events * max(len(ctx.net.transitions), 1)


def precision(
    ctx: NetContext,
    variants: Sequence[tuple[Sequence[str], int]],
    *,
    repeat_cap: int = 50,
    max_traces: int = 2000,
    max_work: int | None = None,
) -> float | None:
    """ETConformance (token-based) precision of the net on a variant log.

    The log holds each variant ``min(count, repeat_cap)`` times, most frequent first, up
    to ``max_traces`` traces in all: frequent behaviour still weighs more than rare
    behaviour (ETConformance weights prefixes by frequency), but the cost stays bounded
    on logs with millions of cases. ETConformance replays every distinct prefix of the log
    from the start; ``max_work`` bounds that (:func:`replay_work` of the prefixes' events),
    so on a log where every case is its own variant the precision is that of its most
    frequent variants (at least one). None when there is no trace.
    """
    traces = precision_log(ctx, variants, repeat_cap=repeat_cap, max_traces=max_traces, max_work=max_work)
    if not traces:
        return None
    params = {_etc.Parameters.SHOW_PROGRESS_BAR: False}
    with _quiet():
        return float(_etc.apply(EventLog([_trace(t) for t in traces]), ctx.net, ctx.im, ctx.fm,
                                parameters=params))


def precision_log(
    ctx: NetContext,
    variants: Sequence[tuple[Sequence[str], int]],
    *,
    repeat_cap: int = 50,
    max_traces: int = 2000,
    max_work: int | None = None,
) -> list[tuple[str, ...]]:
    """The traces :func:`precision` replays, in order (see there): two variant logs with the
    same precision log have the same precision, so an incremental run keeps the stored one."""
    traces: list[tuple[str, ...]] = []
    prefixes: set[tuple[str, ...]] = set()
    work = 0
    # ties broken by the trace itself: which variants make the max_traces cut must not
    # depend on the order the caller's GROUP BY happened to return them in
    for symbols, count in sorted(variants, key=lambda vc: (-vc[1], list(vc[0]))):
        new = [tuple(symbols[:i]) for i in range(1, len(symbols)) if tuple(symbols[:i]) not in prefixes]
        cost = replay_work(ctx, sum(len(p) for p in new))
        if max_work is not None and traces and work + cost > max_work:
            break
        work += cost
        prefixes.update(new)
        for _ in range(min(int(count), repeat_cap)):
            if len(traces) >= max_traces:
                break
            traces.append(tuple(symbols))
    return traces


def visible_labels(net: Any) -> set[str]:
    """Labels of the net's visible transitions (step ids for Pantau's nets)."""
    return {t.label for t in net.transitions if t.label is not None}


def plain_net(net: Any, im: Any, fm: Any) -> PlainNet:
    """``(net, im, fm)`` as plain data for :mod:`analytics.state_space`.

    Places and transitions are numbered in name order (labels first for transitions), so the
    numbering does not depend on the order pm4py's sets happen to iterate in.
    """
    places = sorted(net.places, key=lambda p: str(p.name))
    index = {p: i for i, p in enumerate(places)}
    transitions = sorted(net.transitions, key=lambda t: (t.label is None, str(t.label or ""), str(t.name)))

    def arcs(pairs: Iterator[tuple[Any, int]]) -> tuple[tuple[int, int], ...]:
        total: dict[int, int] = {}
        for place, weight in pairs:
            total[index[place]] = total.get(index[place], 0) + int(weight)
        return tuple(sorted(total.items()))

    return PlainNet(
        places=len(places),
        labels=tuple(t.label for t in transitions),
        pre=tuple(arcs((a.source, a.weight) for a in t.in_arcs) for t in transitions),
        post=tuple(arcs((a.target, a.weight) for a in t.out_arcs) for t in transitions),
        initial=arcs(iter(im.items())),
        final=arcs(iter(fm.items())),
    )
