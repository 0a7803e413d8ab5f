"""Sampling one case's path through an SOP's flow tree.

A path is the ordered list of activities a case will perform (before timing): each choice
takes one branch with the configured odds, each loop runs once plus a geometric number of
repeats, parallel blocks run in a random order. Each item remembers where in the tree it came
from, so deviations (deviations.py) can pick places where the truth stays unambiguous.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from event_logs.simulator.config import SimConfig, SopConfig
from sop_models.flow import And, Loop, Node, Seq, Skip, Task, Xor
from sop_models.model import SopModel


@dataclass(slots=True)
class PlanItem:
    """One activity a case will perform."""

    step_id: str | None          # None: a label that maps to no SOP step
    label: str                   # the activity label logged
    lane: str                    # lane whose people do the work (simulation)
    log_lane: str | None         # lane written to the event (None when unmapped)
    mandatory: bool = False      # no choice, loop or parallel block above it
    in_loop: bool = False
    in_and: bool = False
    reentry: bool = False        # first step of a repeat of a returns_to: pemohon loop
    timing_id: str | None = None  # step whose standard times it, when logged as another label

    @property
    def timed(self) -> str | None:
        """The step whose Mutu Baku this activity's time is drawn around (None: no step)."""
        return self.timing_id or self.step_id


@dataclass(slots=True)
class XorChoice:
    """The branch a case took at one choice, and where its items sit in the path."""

    node: Xor
    chosen: int
    start: int
    end: int


@dataclass(slots=True)
class SampledPath:
    """A case's path: items in order, and the choices made."""

    items: list[PlanItem] = field(default_factory=list)
    choices: list[XorChoice] = field(default_factory=list)

    def branch_of(self) -> dict[str, str]:
        """Xor id -> name of the branch taken (last time, when inside a loop)."""
        return {c.node.id: c.node.branches[c.chosen][0] for c in self.choices}


class PathSampler:
    """Samples paths of one SOP with the odds of its :class:`SopConfig`."""

    def __init__(self, model: SopModel, sop: SopConfig, sim: SimConfig) -> None:
        self.model = model
        self.steps = {s.id: s for s in model.steps}
        self.sim = sim
        self.loop_p: dict[str, float] = {}
        self._items: dict[tuple, PlanItem] = {}
        self.xor_cum: dict[str, list[float]] = {}
        self._prepare(model.flow, sop)

    def _prepare(self, node: Node, sop: SopConfig) -> None:
        if isinstance(node, Xor):
            names = [name for name, _ in node.branches]
            given = sop.xor.get(node.id, {})
            if given:
                rest = [n for n in names if n not in given]
                left = max(0.0, 1.0 - sum(given.values()))
                weights = [given.get(n, left / len(rest) if rest else 0.0) for n in names]
            else:
                first = self.sim.default_xor_first
                weights = [first] + [(1 - first) / (len(names) - 1)] * (len(names) - 1)
            total = sum(weights) or 1.0
            cum, acc = [], 0.0
            for w in weights:
                acc += w / total
                cum.append(acc)
            cum[-1] = 1.0
            self.xor_cum[node.id] = cum
            for _, child in node.branches:
                self._prepare(child, sop)
        elif isinstance(node, Loop):
            self.loop_p[node.id] = sop.loops.get(node.id, self.sim.default_loop_repeat)
            self._prepare(node.body, sop)
            self._prepare(node.redo, sop)
        elif isinstance(node, Seq | And):
            for child in node.children:
                self._prepare(child, sop)

    def _item(self, sid: str, in_xor: bool, in_loop: bool, in_and: bool, reentry: bool) -> PlanItem:
        # Items are shared between cases (never mutated: deviations replace them), which
        # keeps 100,000 cases' paths small.
        key = (sid, in_xor, in_loop, in_and, reentry)
        item = self._items.get(key)
        if item is None:
            step = self.steps[sid]
            item = self._items[key] = PlanItem(
                sid, step.name, step.lane, step.lane, mandatory=not (in_xor or in_loop or in_and),
                in_loop=in_loop, in_and=in_and, reentry=reentry)
        return item

    def sample(self, rng: random.Random) -> SampledPath:
        """One path through the flow."""
        path = SampledPath()
        self._walk(self.model.flow, path, rng, in_xor=False, in_loop=False, in_and=False)
        return path

    def _walk(self, node: Node, path: SampledPath, rng: random.Random, *, in_xor: bool,
              in_loop: bool, in_and: bool) -> None:
        if isinstance(node, Task):
            path.items.append(self._item(node.step, in_xor, in_loop, in_and, False))
        elif isinstance(node, Seq):
            for child in node.children:
                self._walk(child, path, rng, in_xor=in_xor, in_loop=in_loop, in_and=in_and)
        elif isinstance(node, Xor):
            u = rng.random()
            cum = self.xor_cum[node.id]
            chosen = next(i for i, c in enumerate(cum) if u <= c)
            start = len(path.items)
            self._walk(node.branches[chosen][1], path, rng, in_xor=True, in_loop=in_loop,
                       in_and=in_and)
            path.choices.append(XorChoice(node, chosen, start, len(path.items)))
        elif isinstance(node, Loop):
            p = self.loop_p[node.id]
            for k in range(self.sim.max_loop_iterations):
                if k:
                    self._walk(node.redo, path, rng, in_xor=in_xor, in_loop=True, in_and=in_and)
                first = len(path.items)
                self._walk(node.body, path, rng, in_xor=in_xor, in_loop=True, in_and=in_and)
                if k and node.returns_to == "pemohon" and len(path.items) > first:
                    it = path.items[first]
                    path.items[first] = self._item(it.step_id, True, True, it.in_and, True)
                if rng.random() >= p:
                    break
        elif isinstance(node, And):
            blocks = []
            for child in node.children:
                sub = SampledPath()
                self._walk(child, sub, rng, in_xor=in_xor, in_loop=in_loop, in_and=True)
                blocks.append(sub)
            rng.shuffle(blocks)
            for sub in blocks:
                offset = len(path.items)
                path.items.extend(sub.items)
                path.choices.extend(
                    XorChoice(c.node, c.chosen, c.start + offset, c.end + offset)
                    for c in sub.choices)
        elif not isinstance(node, Skip):  # pragma: no cover - Node is a closed union
            raise TypeError(f"not a flow node: {node!r}")
