"""Control flow of an SOP as a block-structured tree (maps 1:1 to a pm4py process tree).

YAML syntax of ``flow:`` in a model file (documented in ``sop_models/README.md``):

- ``s01``                                   one step (by id)
- ``[a, b, c]``                             sequence
- ``{xor: {id, label, branches: {name: flow, ...}}}``   exclusive choice; ``[]`` = skip
- ``{and: [flow, ...]}``                    parallel
- ``{optional: {id, label, flow: flow}}``   sugar for a xor of ``flow`` and a skip
- ``{loop: {id, label, body: flow, redo: flow, returns_to: pemohon}}``
  do ``body``; then either leave, or do ``redo`` (default: nothing) and ``body`` again.
  ``returns_to`` names who holds the file between iterations ("pemohon": the applicant),
  during which the agency's clock is paused.

Block structure makes every derived Petri net a sound workflow net by construction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pantau.errors import SopModelError, did_you_mean

if TYPE_CHECKING:
    from sop_models.model import SopModel


@dataclass(frozen=True)
class Task:
    """One SOP step, by id."""

    step: str


@dataclass(frozen=True)
class Skip:
    """A silent path (tau): nothing is done."""


@dataclass(frozen=True)
class Seq:
    """Children in order."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Xor:
    """Exactly one branch; ``branches`` keeps the document's order."""

    id: str
    branches: tuple[tuple[str, Node], ...]
    label: str | None = None


@dataclass(frozen=True)
class And:
    """All children, in any interleaving."""

    children: tuple[Node, ...]


@dataclass(frozen=True)
class Loop:
    """``body``, then zero or more times (``redo``, ``body``)."""

    id: str
    body: Node
    redo: Node
    returns_to: str | None = None
    label: str | None = None


Node = Task | Skip | Seq | Xor | And | Loop

_OPERATORS = ("xor", "and", "optional", "loop")


def parse_flow(data: Any, *, file: str = "<model>", where: str = "flow") -> Node:
    """Turn a model file's ``flow:`` value into a :data:`Node` tree.

    Raises :class:`SopModelError` naming the file and the position in the flow.
    """
    if isinstance(data, str):
        return Task(data.strip())
    if isinstance(data, int):
        raise SopModelError(
            f"{where}: step ids are strings, got the number {data}",
            file=file,
            hint=f"write it as 's{data:02d}' or quote it",
        )
    if data is None:
        return Skip()
    if isinstance(data, list):
        children = tuple(
            parse_flow(item, file=file, where=f"{where}[{i}]") for i, item in enumerate(data)
        )
        if not children:
            return Skip()
        return children[0] if len(children) == 1 else Seq(children)
    if isinstance(data, dict) and len(data) == 1:
        (op, body), = data.items()
        if op == "and":
            if not isinstance(body, list) or len(body) < 2:
                raise SopModelError(f"{where}.and needs a list of at least two flows", file=file)
            return And(tuple(parse_flow(x, file=file, where=f"{where}.and[{i}]") for i, x in enumerate(body)))
        if op in ("xor", "optional", "loop"):
            if not isinstance(body, dict) or "id" not in body:
                raise SopModelError(f"{where}.{op} needs a mapping with an 'id'", file=file)
            node_id = str(body["id"])
            label = body.get("label")
            here = f"{where}.{op}({node_id})"
            if op == "xor":
                branches = body.get("branches")
                if not isinstance(branches, dict) or len(branches) < 2:
                    raise SopModelError(f"{here}.branches needs at least two named branches", file=file)
                return Xor(
                    node_id,
                    tuple((str(k), parse_flow(v, file=file, where=f"{here}.{k}")) for k, v in branches.items()),
                    label,
                )
            if op == "optional":
                inner = parse_flow(body.get("flow"), file=file, where=f"{here}.flow")
                return Xor(node_id, (("ya", inner), ("lewati", Skip())), label)
            return Loop(
                node_id,
                parse_flow(body.get("body"), file=file, where=f"{here}.body"),
                parse_flow(body.get("redo"), file=file, where=f"{here}.redo"),
                body.get("returns_to"),
                label,
            )
    raise SopModelError(
        f"{where}: cannot read {data!r} as a flow",
        file=file,
        hint=f"a flow is a step id, a list (sequence) or a mapping with one of {list(_OPERATORS)}",
    )


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, depth first, parents before children."""
    yield node
    if isinstance(node, Seq | And):
        for child in node.children:
            yield from walk(child)
    elif isinstance(node, Xor):
        for _, child in node.branches:
            yield from walk(child)
    elif isinstance(node, Loop):
        yield from walk(node.body)
        yield from walk(node.redo)


def step_ids(node: Node) -> list[str]:
    """Step ids named in the flow, in tree order (repeats kept)."""
    return [n.step for n in walk(node) if isinstance(n, Task)]


def happy_path(node: Node) -> list[str]:
    """The main path: the first branch of every choice, loops done once."""
    if isinstance(node, Task):
        return [node.step]
    if isinstance(node, Skip):
        return []
    if isinstance(node, Seq | And):
        return [s for child in node.children for s in happy_path(child)]
    if isinstance(node, Xor):
        return happy_path(node.branches[0][1])
    return happy_path(node.body)


def structure_problems(node: Node) -> list[str]:
    """Breaches of the block rules Pantau relies on besides soundness, one line each.

    - every ``xor``/``optional``/``loop`` id is used once (results, URLs and the BPMN
      export name nodes by it);
    - a loop has a body (``body: []`` would make every iteration silent);
    - no ``and`` branch is an empty skip (it would run nothing in parallel).

    Soundness itself needs none of these: every flow tree is sound by construction (see
    ``sop_models/README.md``, "Soundness").
    """
    problems = []
    ids = Counter(n.id for n in walk(node) if isinstance(n, Xor | Loop))
    problems += [f"flow node id '{i}' is used {n} times" for i, n in ids.items() if n > 1]
    for n in walk(node):
        if isinstance(n, Loop) and isinstance(n.body, Skip):
            problems.append(f"loop '{n.id}' has an empty body: give it the steps that repeat")
        if isinstance(n, And) and any(isinstance(c, Skip) for c in n.children):
            problems.append("an 'and' block has an empty branch ([]): remove it")
    return problems


def check_flow_steps(model: SopModel) -> None:
    """Raise :class:`SopModelError` when the flow names a step the model does not define."""
    known = set(model.step_ids)
    for sid in step_ids(model.flow):
        if sid not in known:
            raise SopModelError(
                f"the flow names step '{sid}', which is not in steps",
                file=model.path, field="flow", hint=did_you_mean(sid, known),
            )


def flow_data(node: Node) -> Any:
    """The model-file (YAML) form of a flow tree; ``parse_flow(flow_data(n)) == n``."""
    if isinstance(node, Task):
        return node.step
    if isinstance(node, Skip):
        return []
    if isinstance(node, Seq):
        return [flow_data(c) for c in node.children]
    if isinstance(node, And):
        return {"and": [flow_data(c) for c in node.children]}
    label = {"label": node.label} if node.label else {}
    if isinstance(node, Xor):
        branches = {name: flow_data(b) for name, b in node.branches}
        return {"xor": {"id": node.id, **label, "branches": branches}}
    body = {"id": node.id, **label, "body": flow_data(node.body)}
    if not isinstance(node.redo, Skip):
        body["redo"] = flow_data(node.redo)
    body["returns_to"] = node.returns_to
    return {"loop": body}
