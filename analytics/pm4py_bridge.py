"""The one place analytics talks to pm4py: alignments, token replay and precision per variant.

Callers speak Pantau's language: a trace is a sequence of trace symbols (step ids, or
``'?:'`` + activity label for unmapped events) and the net's visible transition labels are
step ids (``sop_models.builders.petri_net(model, labels="id")``). This module turns those
into pm4py's XES names (``concept:name``), runs pm4py's own algorithms (alignments with
its Dijkstra variant, see :data:`ALIGNMENT_VARIANT`; token replay; ETConformance) and hands
back plain dataclasses.

Alignment fitness per trace equals ``pm4py.conformance_diagnostics_alignments``'s for the
same trace and net: pm4py's fitness is ``1 - N / (len(trace) + M)`` with N the number of
deviating moves (log moves + visible model moves) of an optimal alignment and M the
visible steps of the shortest model run (its "best worst cost"), and N is the same for
every optimal alignment. Which optimal alignment pm4py returns, though, is arbitrary (its
searches break ties by set iteration order, which changes from run to run). We make that
choice reproducible and readable with tie-breaking costs far below one deviating move:

- fewer log moves: as many events as possible are read as SOP steps done (an open case
  is then aligned along the path it is on, not towards a shorter branch that would turn
  its last event into a log move);
- a model move on a step the trace does contain is preferred (a swapped step then reads
  as "done out of order", not as "skipped the other branch + did a foreign step");
- otherwise the step with the smaller label (step ids follow document order) is skipped;
- a log move on a later event is preferred (a repeat flags the second occurrence).

The base cost of one deviating move is chosen larger than the sum of all tie-breakers an
optimal alignment can carry, so N, and hence the fitness, stays pm4py's; the fitness is
computed from N with pm4py's formula (checked against pm4py in tests/test_conformance.py).
"""

from __future__ import annotations

import os

# pm4py reads this once, at import: keep its tqdm bars off unless the caller chose otherwise.
os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")

import contextlib
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pm4py.algo.conformance.alignments.petri_net import algorithm as _align
from pm4py.algo.conformance.tokenreplay import algorithm as _token_replay
from pm4py.algo.evaluation.precision.variants import etconformance_token as _etc
from pm4py.objects.log.obj import Event, EventLog, Trace
from pm4py.objects.petri_net.utils.align_utils import (
    STD_MODEL_LOG_MOVE_COST,
    STD_SYNC_COST,
    STD_TAU_COST,
)
from pm4py.util import exec_utils as _exec_utils
from pm4py.util import xes_constants as _xes

ACTIVITY_KEY = _xes.DEFAULT_NAME_KEY  # "concept:name"
SKIP = ">>"  # pm4py's symbol for "no move" on one side of an alignment step
# pm4py's Dijkstra search ("less memory" variant) rather than its default A* with the
# state-equation heuristic: on Pantau's nets the A* solves a linear program per visited
# state and costs more than the states it saves. Both are exact, so fitness is the same;
# with the tie-breaking costs below even the moves were the same on every variant compared
# (998 variants of a 300k-case simulated log: 0.20 s instead of 1.58 s; the 116 variants of
# the real WABO receipt log: 13 s instead of 37 s, none over 2 s where A* needed up to 3.5 s).
ALIGNMENT_VARIANT = _align.Variants.VERSION_DIJKSTRA_LESS_MEMORY

MoveKind = Literal["sync", "log", "model"]


@dataclass(frozen=True)
class Move:
    """One non-silent alignment step.

    ``kind`` is ``sync`` (log and model agree), ``log`` (the trace has the symbol, the
    model cannot do it here) or ``model`` (the model needs a visible step the trace lacks).
    ``symbol`` is the trace symbol (log/sync) or the step id (model); ``position`` is the
    1-based index in the trace for log and sync moves, None for model moves.
    """

    kind: MoveKind
    symbol: str
    position: int | None


@dataclass(frozen=True)
class VariantAlignment:
    """The alignment of one trace variant, or a timeout (``moves`` empty, fitness None)."""

    timed_out: bool
    fitness: float | None
    cost: float | None  # deviating moves: log moves + visible model moves (pm4py cost // 10000)
    moves: tuple[Move, ...]
    seconds: float


@dataclass
class NetContext:
    """A Petri net with its markings and the parameters reused for every variant."""

    net: Any
    im: Any
    fm: Any
    best_worst_cost: float | None
    variant: Any


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
    """Precompute what every alignment against ``net`` needs (the best worst cost).

    The best worst cost (cost of aligning the empty trace) is the fitness denominator
    pm4py uses; computing it once per net instead of once per variant is what pm4py's
    own log-level function does too.
    """
    params = {_align.Parameters.SHOW_PROGRESS_BAR: False}
    with _quiet():
        # computed as pm4py's log-level function does (with its default variant)
        bwc = _exec_utils.get_variant(_align.DEFAULT_VARIANT).get_best_worst_cost(
            net, im, fm, parameters=params)
    return NetContext(net, im, fm, bwc, ALIGNMENT_VARIANT)


# Beyond this base cost the tie-breakers would pass the largest cost pm4py's A* allows
# (10**15, kept as the bound whatever the search); such traces (thousands of events) are
# aligned with pm4py's costs.
MAX_TIE_BREAK_BASE = 10**11


def _costs(ctx: NetContext, symbols: Sequence[str]) -> tuple[dict, dict, list[int], int]:
    """(model, sync, trace) cost functions with tie-breakers, and the base cost of a deviation.

    Costs are ``base`` per deviating move plus tie-breakers, in decreasing priority:
    fewer log moves (``log``), model moves on steps the trace contains (``absent``), on
    smaller step ids (rank), log moves on later events (position). Each level's total over
    one alignment stays below one unit of the level above, and all together below ``base``.
    """
    n, in_trace = len(symbols), set(symbols)
    rank = {label: i for i, label in enumerate(sorted(visible_labels(ctx.net)))}
    absent = len(rank) + 1
    shortest = int(ctx.best_worst_cost or 0) // STD_MODEL_LOG_MOVE_COST
    moves = n + shortest + 1  # bound on the deviating moves of an optimal alignment
    silent = (moves + 1) * len(ctx.net.transitions)  # bound on its silent moves
    log = moves * (absent + len(rank)) + n * n + silent + 1
    base = 2 * (n + 1) * log
    if base > MAX_TIE_BREAK_BASE:
        base, log, absent, rank = STD_MODEL_LOG_MOVE_COST, 0, 0, dict.fromkeys(rank, 0)
        position = [0] * n
    else:
        position = [n - 1 - i for i in range(n)]
    model_cost: dict[Any, int] = {}
    sync_cost: dict[Any, int] = {}
    for t in ctx.net.transitions:
        if t.label is None:
            model_cost[t] = STD_TAU_COST
        else:
            model_cost[t] = base + rank[t.label] + (0 if t.label in in_trace else absent)
            sync_cost[t] = STD_SYNC_COST
    trace_cost = [base + log + p for p in position]
    return model_cost, sync_cost, trace_cost, base


def align_variant(ctx: NetContext, symbols: Sequence[str], max_seconds: float) -> VariantAlignment:
    """Align one trace variant; ``timed_out`` when pm4py gives up after ``max_seconds``.

    pm4py checks the limit inside its search loop (``max_align_time_trace``), so this
    returns at most a little after ``max_seconds`` even on nets with many silent steps.
    """
    started = time.perf_counter()
    model_cost, sync_cost, trace_cost, base = _costs(ctx, symbols)
    params: dict[Any, Any] = {
        _align.Parameters.SHOW_PROGRESS_BAR: False,
        _align.Parameters.PARAM_MAX_ALIGN_TIME_TRACE: max(float(max_seconds), 0.0),
        _align.Parameters.PARAM_MODEL_COST_FUNCTION: model_cost,
        _align.Parameters.PARAM_SYNC_COST_FUNCTION: sync_cost,
        _align.Parameters.PARAM_TRACE_COST_FUNCTION: trace_cost,
        _align.Parameters.ENABLE_BEST_WORST_COST: False,  # fitness is computed below
    }
    with _quiet():
        result = _align.apply_trace(
            _trace(symbols), ctx.net, ctx.im, ctx.fm, parameters=params, variant=ctx.variant,
        )
    if result is not None and result["cost"] // base != _deviating(moves_of(result["alignment"])):
        # the tie-breakers outweighed a deviation (not expected by construction): redo the
        # alignment with pm4py's own costs rather than report a non-optimal one
        base = STD_MODEL_LOG_MOVE_COST
        params = {k: v for k, v in params.items() if k in (
            _align.Parameters.SHOW_PROGRESS_BAR, _align.Parameters.ENABLE_BEST_WORST_COST)}
        params[_align.Parameters.PARAM_MAX_ALIGN_TIME_TRACE] = max(
            0.0, float(max_seconds) - (time.perf_counter() - started))
        with _quiet():
            result = _align.apply_trace(
                _trace(symbols), ctx.net, ctx.im, ctx.fm, parameters=params, variant=ctx.variant,
            )
    seconds = time.perf_counter() - started
    if result is None or ctx.best_worst_cost is None:
        return VariantAlignment(True, None, None, (), seconds)
    moves = moves_of(result["alignment"])
    deviating = _deviating(moves)
    # pm4py: 1 - (cost // 10000) / ((len(trace) * 10000 + best_worst_cost) // 10000)
    denominator = len(symbols) + int(ctx.best_worst_cost) // STD_MODEL_LOG_MOVE_COST
    fitness = 1 - deviating / denominator if denominator > 0 else 0.0
    return VariantAlignment(False, float(fitness), float(deviating), moves, seconds)


def _deviating(moves: Sequence[Move]) -> int:
    return sum(1 for m in moves if m.kind != "sync")


def moves_of(alignment: Sequence[tuple[Any, Any]]) -> tuple[Move, ...]:
    """pm4py's ``[(log_label, model_label), ...]`` as :class:`Move` s, silent steps dropped."""
    moves: list[Move] = []
    position = 0
    for log_label, model_label in alignment:
        if log_label != SKIP:
            position += 1
            kind: MoveKind = "log" if model_label == SKIP else "sync"
            moves.append(Move(kind, str(log_label), position))
        elif model_label is not None and model_label != SKIP:
            moves.append(Move("model", str(model_label), None))
    return tuple(moves)


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


def precision(
    ctx: NetContext,
    variants: Sequence[tuple[Sequence[str], int]],
    *,
    repeat_cap: int = 50,
    max_traces: int = 2000,
) -> float | None:
    """ETConformance (token-based) precision of the net on a variant log.

    The log holds each variant ``min(count, repeat_cap)`` times, most frequent first, up
    to ``max_traces`` traces in all: frequent behaviour still weighs more than rare
    behaviour (ETConformance weights prefixes by frequency), but the cost stays bounded
    on logs with millions of cases. None when there is no trace.
    """
    traces: list[Trace] = []
    # ties broken by the trace itself: which variants make the max_traces cut must not
    # depend on the order the caller's GROUP BY happened to return them in
    for symbols, count in sorted(variants, key=lambda vc: (-vc[1], list(vc[0]))):
        for _ in range(min(int(count), repeat_cap)):
            if len(traces) >= max_traces:
                break
            traces.append(_trace(symbols))
    if not traces:
        return None
    params = {_etc.Parameters.SHOW_PROGRESS_BAR: False}
    with _quiet():
        return float(_etc.apply(EventLog(traces), ctx.net, ctx.im, ctx.fm, parameters=params))


def visible_labels(net: Any) -> set[str]:
    """Labels of the net's visible transitions (step ids for Pantau's nets)."""
    return {t.label for t in net.transitions if t.label is not None}
