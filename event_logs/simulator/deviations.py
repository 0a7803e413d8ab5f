"""Injecting one deviation into a sampled path, with the ground truth it produces.

Recipes and the truth kinds they yield (docs/dev/SEMANTICS.md, "Simulator deviations"):

=================== =========================================================
skip                skipped_step (a mandatory step: no choice/loop/parallel above it)
swap                wrong_order (two adjacent mandatory steps)
approval_first      wrong_order (the approving step of a four_eyes pair moved before the
                    verifying one)
rework              rework (a step outside any loop done twice in a row)
extra               unmapped_activity (an undocumented activity, e.g. "Konfirmasi via telepon")
relabel             unmapped_activity + skipped_step (a mandatory step logged under another label)
both_branches       both_branches (a step of another branch of a choice the case took)
same_person         same_person (one resource completes both steps of a four_eyes pair)
missing_kelengkapan missing_kelengkapan (one document of the first step's Kelengkapan missing)
=================== =========================================================

At most one recipe per case. Places are chosen so each truth is the only reading of the
trace: never the first or the last activity (the case's start and end stay recognisable),
never just before the re-entry of a loop that returns to the applicant (its pause stays
measurable), and never inside a loop or a parallel block where another alignment could
explain the same events.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from event_logs.simulator.config import SimConfig
from event_logs.simulator.paths import PlanItem, SampledPath
from sop_models.flow import happy_path
from sop_models.model import SopModel


@dataclass(slots=True)
class TruthSpec:
    """One sim_truth row, written when the logged part of the case shows it.

    A case cut at the end of the period logs only its first ``logged`` path items, and that
    prefix can read differently from the whole trace (a swap cut between its two steps reads
    as a skipped step). The row applies when ``needs < logged`` (-1: always), ``logged <=
    until`` (None: no upper bound) and, when ``at_end`` is set, the prefix is (True) or is
    not (False) cut right after a step where the flow may end: such a prefix reads as a
    finished case, whose steps still to come are not expected.
    """

    kind: str
    step_id: str | None
    activity: str | None
    detail: str
    needs: int
    until: int | None = None
    at_end: bool | None = None

    def shows(self, logged: int, at_end: bool) -> bool:
        """True when a prefix of ``logged`` items (``at_end``: cut where the flow may end)
        shows this row."""
        return (self.needs < logged and (self.until is None or logged <= self.until)
                and (self.at_end is None or self.at_end == at_end))


@dataclass(slots=True)
class Injection:
    """What was injected into one case."""

    recipe: str
    truths: list[TruthSpec] = field(default_factory=list)
    same_person: tuple[int, int] | None = None  # path positions (verifier, approver)
    missing: str | None = None                 # the Kelengkapan item left out


Candidate = Callable[[list[PlanItem], random.Random], Injection]


class DeviationInjector:
    """Chooses and applies deviations for the cases of one SOP."""

    def __init__(self, model: SopModel, sim: SimConfig, rate: float) -> None:
        self.model = model
        self.rate = rate
        self.steps = {s.id: s for s in model.steps}
        names = {s.name for s in model.steps}
        self.extra = [x for x in sim.extra_activities if x not in names] or ["Aktivitas lain"]
        self.relabels = [x for x in sim.relabels if x not in names] or ["Proses lain"]
        self.weights = {k: w for k, w in sim.deviation_weights.items() if w > 0}
        first = happy_path(model.flow)
        self.first_step = self.steps[first[0]] if first else None

    @property
    def kelengkapan(self) -> tuple[str, ...]:
        """Documents the first step requires (the case attribute ``kelengkapan``)."""
        return self.first_step.kelengkapan if self.first_step else ()

    def inject(self, path: SampledPath, rng: random.Random) -> Injection | None:
        """Maybe inject one deviation (with probability ``rate``); edits ``path`` in place."""
        if self.rate <= 0 or rng.random() >= self.rate:
            return None
        options: list[tuple[str, float, list[Candidate]]] = []
        for recipe, weight in self.weights.items():
            cands = getattr(self, f"_{recipe}")(path)
            if cands:
                options.append((recipe, weight, cands))
        if not options:
            return None
        u = rng.random() * sum(w for _, w, _ in options)
        k = 0
        while k < len(options) - 1 and u > options[k][1]:
            u -= options[k][1]
            k += 1
        recipe, _, cands = options[k]
        injection = cands[rng.randrange(len(cands))](path.items, rng)
        injection.recipe = recipe
        return injection

    # --- candidates: each returns callables that apply the deviation --------------------------
    @staticmethod
    def _insertable(items: list[PlanItem], p: int) -> bool:
        return 1 <= p <= len(items) - 1 and not items[p].reentry

    def _skip(self, path: SampledPath) -> list[Candidate]:
        items = path.items
        out = []
        for i in range(1, len(items) - 1):
            if items[i].mandatory and items[i].step_id and not items[i + 1].reentry:
                def apply(items: list[PlanItem], rng: random.Random, i: int = i) -> Injection:
                    gone = items.pop(i)
                    return Injection("", [TruthSpec("skipped_step", gone.step_id, gone.label,
                                                    f"skipped {gone.step_id}", i)])
                out.append(apply)
        return out

    def _swap(self, path: SampledPath) -> list[Candidate]:
        items = path.items
        out = []
        for i in range(1, len(items) - 2):
            a, b = items[i], items[i + 1]
            if a.mandatory and b.mandatory and a.step_id and b.step_id and a.step_id != b.step_id:
                def apply(items: list[PlanItem], rng: random.Random, i: int = i) -> Injection:
                    items[i], items[i + 1] = items[i + 1], items[i]
                    first, second = items[i], items[i + 1]
                    detail = f"swapped {second.step_id} and {first.step_id}"
                    return Injection("", [
                        # cut between the two: the step moved up is logged, the other not yet
                        TruthSpec("skipped_step", second.step_id, second.label,
                                  f"{detail}; cut before {second.step_id}", i, until=i + 1),
                        TruthSpec("wrong_order", first.step_id, first.label, detail, i + 1)])
                out.append(apply)
        return out

    def _pairs(self, items: list[PlanItem]) -> list[tuple[int, int]]:
        """(verifier position, approver position) of each four_eyes pair in the path."""
        found = []
        for a, b in self.model.four_eyes:
            ib = next((k for k, it in enumerate(items) if it.step_id == b), None)
            if ib is None:
                continue
            ia = max((k for k in range(ib) if items[k].step_id == a), default=None)
            if ia is not None:
                found.append((ia, ib))
        return found

    def _approval_first(self, path: SampledPath) -> list[Candidate]:
        items = path.items
        out = []
        for ia, ib in self._pairs(items):
            a_id = items[ia].step_id
            first_a = next(k for k, it in enumerate(items) if it.step_id == a_id)
            b = items[ib]
            if first_a < 1 or ib > len(items) - 2 or b.in_loop or b.in_and or items[first_a].reentry:
                continue

            def apply(items: list[PlanItem], rng: random.Random, ia: int = first_a,
                      ib: int = ib) -> Injection:
                moved = items.pop(ib)
                items.insert(ia, moved)
                verifier = items[ia + 1]
                detail = f"{moved.step_id} (approval) before {verifier.step_id} (verification)"
                sid, label = moved.step_id, moved.label
                # How the logged prefix reads (ia: the approval's new place; ib + 1: the step
                # that followed its own place). Cut right after the approval: the steps from
                # the verification on look skipped, or the approval looks extra when the flow
                # could end there and more than one step is missing. Cut before the approval's
                # own place is passed, where the flow may end (a choice with an empty branch
                # after it): a finished case with an approval the flow has no place for.
                # Otherwise (still open, or past its place): wrong_order.
                jump = ib - ia
                return Injection("", [
                    TruthSpec("skipped_step", verifier.step_id, verifier.label,
                              f"{detail}; cut before {verifier.step_id}", ia, until=ia + 1,
                              at_end=None if jump == 1 else False),
                    TruthSpec("extra_activity", sid, label, f"{detail}; cut where the flow may end",
                              ia if jump > 1 else ia + 1, until=ib + 1, at_end=True),
                    TruthSpec("wrong_order", sid, label, detail, ia + 1, at_end=False),
                    TruthSpec("wrong_order", sid, label, detail, ib + 1, at_end=True),
                ])
            out.append(apply)
        return out

    def _rework(self, path: SampledPath) -> list[Candidate]:
        items = path.items
        out = []
        for i in range(1, len(items) - 1):
            it = items[i]
            if it.step_id and not it.in_loop and not it.in_and and self._insertable(items, i + 1):
                def apply(items: list[PlanItem], rng: random.Random, i: int = i) -> Injection:
                    again = replace(items[i], reentry=False)
                    items.insert(i + 1, again)
                    return Injection("", [TruthSpec("rework", again.step_id, again.label,
                                                    f"{again.step_id} done twice", i + 1)])
                out.append(apply)
        return out

    def _extra(self, path: SampledPath) -> list[Candidate]:
        items = path.items
        out = []
        for p in range(1, len(items)):
            if self._insertable(items, p):
                def apply(items: list[PlanItem], rng: random.Random, p: int = p) -> Injection:
                    label = rng.choice(self.extra)
                    items.insert(p, PlanItem(None, label, items[p - 1].lane, None))
                    return Injection("", [TruthSpec("unmapped_activity", None, label,
                                                    f"extra activity '{label}'", p)])
                out.append(apply)
        return out

    def _relabel(self, path: SampledPath) -> list[Candidate]:
        items = path.items
        out = []
        for i in range(1, len(items) - 1):
            it = items[i]
            if it.mandatory and it.step_id and not items[i + 1].reentry:
                def apply(items: list[PlanItem], rng: random.Random, i: int = i) -> Injection:
                    old = items[i]
                    label = rng.choice(self.relabels)
                    # logged without a step, timed as the step it really is
                    items[i] = replace(old, step_id=None, label=label, log_lane=None,
                                       timing_id=old.step_id)
                    return Injection("", [
                        # the other label shows at once; the step is missed once the next is logged
                        TruthSpec("unmapped_activity", None, label,
                                  f"{old.step_id} logged as '{label}'", i),
                        TruthSpec("skipped_step", old.step_id, old.label,
                                  f"{old.step_id} logged as '{label}'", i + 1),
                    ])
                out.append(apply)
        return out

    def _both_branches(self, path: SampledPath) -> list[Candidate]:
        items = path.items
        out = []
        for c in path.choices:
            if c.end <= c.start or items[c.start].in_loop or items[c.start].in_and:
                continue
            others = [happy_path(node) for k, (_, node) in enumerate(c.node.branches)
                      if k != c.chosen]
            others = [o for o in others if o]
            if not others:
                continue
            p = c.start + 1 if c.start + 1 <= min(c.end, len(items) - 1) else c.start
            if not self._insertable(items, p):
                continue
            for other in others:
                step = self.steps[other[0]]

                # before the chosen branch's only step: cut right after it, the case just
                # looks to have taken the other branch
                needs = p if p > c.start else p + 1

                def apply(items: list[PlanItem], rng: random.Random, p: int = p,
                          step=step, xor_id: str = c.node.id, needs: int = needs) -> Injection:
                    items.insert(p, PlanItem(step.id, step.name, step.lane, step.lane))
                    return Injection("", [TruthSpec(
                        "both_branches", step.id, step.name,
                        f"{step.id} from another branch of '{xor_id}'", needs)])
                out.append(apply)
        return out

    def _same_person(self, path: SampledPath) -> list[Candidate]:
        out = []
        for ia, ib in self._pairs(path.items):
            def apply(items: list[PlanItem], rng: random.Random, ia: int = ia,
                      ib: int = ib) -> Injection:
                a, b = items[ia], items[ib]
                return Injection("", [TruthSpec(
                    "same_person", b.step_id, b.label,
                    f"{a.step_id} and {b.step_id} completed by one person", ib)],
                    same_person=(ia, ib))
            out.append(apply)
        return out

    def _missing_kelengkapan(self, path: SampledPath) -> list[Candidate]:
        if not self.kelengkapan or self.first_step is None:
            return []
        first = self.first_step

        def apply(items: list[PlanItem], rng: random.Random) -> Injection:
            gone = rng.choice(self.kelengkapan)
            return Injection("", [TruthSpec("missing_kelengkapan", first.id, None,
                                            f"missing '{gone}'", -1)], missing=gone)
        return [apply]
