"""Deviation rules 1-3 of ``docs/dev/SEMANTICS.md``: alignment moves -> deviation kinds.

Pure functions over one variant's moves (see :class:`analytics.alignment.Move`), plus
the bilingual one-line explanations. No pm4py and no DuckDB here: the orchestrator
(:mod:`analytics.conformance`) applies these once per variant and expands them to cases
in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sop_models.flow import Node, Xor, step_ids, walk
from sop_models.flow_paths import can_end_after
from sop_models.model import SopModel, Step

UNMAPPED_PREFIX = "?:"  # trace symbol of an event whose activity maps to no step
NAME_CHARS = 60  # step names in explanations are cut here (SOP step names run long)


class MoveLike(Protocol):
    """What the rules read from an alignment move (``analytics.alignment.Move``)."""

    kind: str  # sync | log | model
    symbol: str
    position: int | None


@dataclass(frozen=True)
class XorBranches:
    """One exclusive choice of the flow: the steps reachable inside each branch."""

    id: str
    label: str
    branches: tuple[frozenset[str], ...]


@dataclass(frozen=True)
class Deviation:
    """A deviation of one variant: kind, step (None when unmapped), 1-based trace position;
    for a skipped step (a model move, no event) ``after``: where the alignment puts it, the
    trace position of the last event before it (0: before the first event)."""

    kind: str
    step_id: str | None
    position: int | None
    explanation_id: str
    explanation_en: str
    after: int | None = None


def trace_symbol(step_id: str | None, activity: str) -> str:
    """The control-flow symbol of an event: its step id, else ``'?:'`` + its activity label."""
    return step_id if step_id is not None else UNMAPPED_PREFIX + activity


def xor_branches(flow: Node) -> list[XorBranches]:
    """Every exclusive choice in ``flow`` with the step set of each branch (document order).

    A branch that is a skip (``[]``, the "lewati" side of an ``optional``) has an empty set.
    """
    return [
        XorBranches(n.id, n.label or n.id, tuple(frozenset(step_ids(b)) for _, b in n.branches))
        for n in walk(flow)
        if isinstance(n, Xor)
    ]


def step_label(step: Step, lang: str) -> str:
    """``Langkah 2 (Melakukan verifikasi dokumen…)`` / ``Step 2 (…)``: printed number and name."""
    name = step.name if len(step.name) <= NAME_CHARS else step.name[: NAME_CHARS - 1].rstrip() + "…"
    word = "Langkah" if lang == "id" else "Step"
    return f"{word} {step.no or step.id} ({name})"


def _other_branch_choice(
    step: str, taken: set[str], xors: Sequence[XorBranches]
) -> XorBranches | None:
    """The choice where ``step`` is in one branch while the case did steps of another."""
    for xor in xors:
        own = [b for b in xor.branches if step in b]
        if not own:
            continue
        mine = frozenset().union(*own)
        others = frozenset().union(*(b for b in xor.branches if step not in b)) - mine
        if taken & others:
            return xor
    return None


def explain(kind: str, step: Step | None, *, position: int | None = None,
            activity: str | None = None, choice: str | None = None) -> tuple[str, str]:
    """The (Bahasa Indonesia, English) one-line explanation of an alignment deviation."""
    at_id = f" (posisi {position})" if position else ""
    at_en = f" (position {position})" if position else ""
    if kind == "unmapped_activity" or step is None:
        return (f"Aktivitas '{activity}'{at_id} tidak ada dalam SOP",
                f"Activity '{activity}'{at_en} is not a step of the SOP")
    sid, sen = step_label(step, "id"), step_label(step, "en")
    texts = {
        "wrong_order": (f"{sid} dilakukan tidak sesuai urutan SOP{at_id}",
                        f"{sen} was done out of the SOP's order{at_en}"),
        "rework": (f"{sid} diulang di luar perulangan yang diatur SOP{at_id}",
                   f"{sen} was repeated outside the loops the SOP allows{at_en}"),
        "both_branches": (f"{sid} dari cabang lain pilihan '{choice}' juga dilakukan{at_id}",
                          f"{sen}, from another branch of the choice '{choice}', was also done{at_en}"),
        "extra_activity": (f"{sid} dilakukan di luar alur SOP{at_id}",
                           f"{sen} was done where the SOP's flow has no place for it{at_en}"),
        "skipped_step": (f"{sid} dilewati", f"{sen} was skipped"),
    }
    return texts[kind]


def is_open(symbols: Sequence[str], flow: Node) -> bool:
    """True when the trace stops where the flow cannot end (the case is still running).

    Same rule as ``case_checks.is_open`` (its step part): the last mapped step of the trace
    cannot be the last step of a complete run (:func:`sop_models.flow_paths.can_end_after`).
    A flow without steps (a model known only as a net) never makes a case open.
    """
    known = set(step_ids(flow))
    if not known:
        return False
    mapped = [s for s in symbols if s in known]
    return not mapped or not can_end_after(flow, mapped[-1])


def classify(moves: Iterable[MoveLike], model: SopModel, xors: Sequence[XorBranches],
             still_possible: frozenset[str] = frozenset()) -> list[Deviation]:
    """Deviations of one alignment by rules 1-3 of SEMANTICS.md, in alignment order.

    1. log move on an unmapped symbol -> ``unmapped_activity``;
    2. log move on step S -> ``wrong_order`` when S also has a model move, else ``rework``
       when S also has a sync move, else ``wrong_order`` when S is among ``still_possible``
       (an open case did S before its turn), else ``both_branches`` when S is in another branch of a
       choice than the one the case took (its sync/model moves), else ``extra_activity``;
    3. model move on a visible step S that rule 2 did not explain (S has no ``wrong_order``
       log move) -> ``skipped_step``.

    An open case (:func:`is_open`) comes as a prefix alignment: it never ends in model
    moves (steps that may still come cost nothing there), so every model move it has lies
    before an event of the case and is a step skipped so far. Its ``still_possible`` steps
    are those the model may still do from the case's position: a log move on one of them
    is that step done before its turn (a full alignment of the finished case would pair it
    with a model move later), unless the case also did it in step (a repeat: rework).
    """
    moves = list(moves)
    model_moved = {m.symbol for m in moves if m.kind == "model"}
    synced = {m.symbol for m in moves if m.kind == "sync"}
    taken = synced | model_moved
    steps = {s.id: s for s in model.steps}
    found: list[Deviation] = []
    out_of_order: set[str] = set()
    for m in moves:
        if m.kind == "log" and (m.symbol.startswith(UNMAPPED_PREFIX) or m.symbol not in steps):
            label = m.symbol.removeprefix(UNMAPPED_PREFIX)
            text = explain("unmapped_activity", None, position=m.position, activity=label)
            found.append(Deviation("unmapped_activity", None, m.position, *text))
        elif m.kind == "log":
            choice = None
            if m.symbol in model_moved:
                kind = "wrong_order"
                out_of_order.add(m.symbol)
            elif m.symbol in synced:
                kind = "rework"
            elif m.symbol in still_possible:
                kind = "wrong_order"
            elif (xor := _other_branch_choice(m.symbol, taken, xors)) is not None:
                kind, choice = "both_branches", xor.label
            else:
                kind = "extra_activity"
            text = explain(kind, steps[m.symbol], position=m.position, choice=choice)
            found.append(Deviation(kind, m.symbol, m.position, *text))
    # a model move's place is the alignment's: after the last event moved before it (a step
    # skipped in a loop's second round sits inside that round, not before the step's first run)
    seen = 0
    for m in moves:
        if m.position is not None:
            seen = m.position
        if m.kind == "model" and m.symbol not in out_of_order and m.symbol in steps:
            found.append(Deviation("skipped_step", m.symbol, None, *explain("skipped_step", steps[m.symbol]),
                                   after=seen))
    return found


def unmapped_only(symbols: Sequence[str]) -> list[Deviation]:
    """Rule 1 without an alignment (a variant that fell back to token replay).

    An unmapped symbol is never a label of the net, so every alignment has a log move on it.
    """
    return [
        Deviation("unmapped_activity", None, i, *explain(
            "unmapped_activity", None, position=i, activity=s.removeprefix(UNMAPPED_PREFIX)))
        for i, s in enumerate(symbols, start=1)
        if s.startswith(UNMAPPED_PREFIX)
    ]
