"""A pm4py process tree as a Pantau flow tree (the reverse of ``builders.flow_to_tree``).

Used when a reference model arrives as BPMN or PNML: pm4py turns a block-structured net
into a process tree, and this module gives it Pantau's flow form, simplified so that it
reads like a curated flow: nested sequences, choices and parallel blocks are flattened
(``->(a, ->(b, c))`` is ``[a, b, c]``), skips inside sequences and parallel blocks are
dropped, several skip branches of one choice become one, and a loop whose body is a
skip, ``*(tau, R)`` ("R any number of times"), becomes ``X(tau, *(R, tau))``, which has
the same runs and a body. Every rewrite keeps the set of runs (the language) unchanged.

Choices and loops get generated ids (``xor-01``, ``loop-01``); a choice's branches are
named after the first step they do (``lewati`` for the skip). Only the operator's
``value`` is read, so this module needs no pm4py import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pantau.errors import SopModelError
from sop_models.flow import And, Loop, Node, Seq, Skip, Task, Xor, step_ids

SKIP_BRANCH = "lewati"
_OPS = {"->": "seq", "X": "xor", "+": "and", "*": "loop"}


class NotBlockStructured(SopModelError):
    """The tree uses an operator Pantau's flow has no block for (OR, interleaving)."""


class _Ids:
    def __init__(self, taken: set[str]) -> None:
        self.taken = taken
        self.count = {"xor": 0, "loop": 0}

    def new(self, kind: str) -> str:
        while True:
            self.count[kind] += 1
            candidate = f"{kind}-{self.count[kind]:02d}"
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate


def flow_from_tree(tree: Any, step_of: Callable[[str], str] = str, *, taken: set[str] = frozenset()) -> Node:
    """The flow of a pm4py ``ProcessTree``; leaves map to step ids through ``step_of(label)``.

    ``taken`` are ids the generated node ids must avoid (the step ids). Raises
    :class:`NotBlockStructured` for an operator without a flow block.
    """
    def build(node: Any) -> Node:
        if node.operator is None:
            return Skip() if node.label is None else Task(step_of(node.label))
        op = _OPS.get(getattr(node.operator, "value", str(node.operator)))
        kids = [build(c) for c in node.children]
        if op == "seq":
            return _seq(kids)
        if op == "and":
            return _and(kids)
        if op == "xor":
            return _xor(kids)
        if op == "loop":
            body, redo = kids[0], _xor(kids[1:]) if len(kids) > 1 else Skip()
            return _loop(body, redo)
        raise NotBlockStructured(f"the process tree uses the operator '{node.operator}', which has no flow block",
                                 hint="only sequence, exclusive choice, parallel and loop map to a flow")

    return _number(build(tree), _Ids(set(taken)))


def _number(node: Node, ids: _Ids) -> Node:
    """Give the choices and loops ids in tree order (parents first)."""
    if isinstance(node, Seq):
        return Seq(tuple(_number(c, ids) for c in node.children))
    if isinstance(node, And):
        return And(tuple(_number(c, ids) for c in node.children))
    if isinstance(node, Xor):
        own = ids.new("xor")
        return Xor(own, tuple((n, _number(b, ids)) for n, b in node.branches))
    if isinstance(node, Loop):
        own = ids.new("loop")
        return Loop(own, _number(node.body, ids), _number(node.redo, ids))
    return node


def _seq(kids: list[Node]) -> Node:
    flat: list[Node] = []
    for k in kids:
        flat += list(k.children) if isinstance(k, Seq) else [] if isinstance(k, Skip) else [k]
    return Skip() if not flat else flat[0] if len(flat) == 1 else Seq(tuple(flat))


def _and(kids: list[Node]) -> Node:
    flat: list[Node] = []
    for k in kids:
        flat += list(k.children) if isinstance(k, And) else [] if isinstance(k, Skip) else [k]
    return Skip() if not flat else flat[0] if len(flat) == 1 else And(tuple(flat))


def _xor(kids: list[Node]) -> Node:
    flat: list[Node] = []
    for k in kids:  # a choice directly inside a choice is the same choice
        flat += [b for _, b in k.branches] if isinstance(k, Xor) else [k]
    branches = [k for k in flat if not isinstance(k, Skip)]
    if len(branches) < len(flat):
        branches.append(Skip())  # one skip branch, last: the first branch is the happy path
    if len(branches) == 1:
        return branches[0]
    return Xor("", tuple(zip(_names(branches), branches, strict=True)))


def _names(branches: list[Node]) -> list[str]:
    out: list[str] = []
    for b in branches:
        steps = step_ids(b)
        base = steps[0] if steps else SKIP_BRANCH
        name, n = base, 1
        while name in out:
            n += 1
            name = f"{base}-{n}"
        out.append(name)
    return out


def _loop(body: Node, redo: Node) -> Node:
    if isinstance(body, Skip):
        if isinstance(redo, Skip):
            return Skip()  # *(tau, tau) runs nothing visible
        return _xor([Loop("", redo, Skip()), Skip()])
    return Loop("", body, redo)
