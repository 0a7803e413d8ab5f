"""An SOP model as pm4py objects (process tree, Petri net, BPMN) and as a plain lane graph.

The process tree maps the block-structured flow (:mod:`sop_models.flow`) one to one, so
every net derived here is a sound workflow net. Transition labels are step ids by default,
because the event store maps activities to step ids. Program-scope steps (done once per
period, not per case) are not in the flow and so not in any of these objects.

pm4py is imported lazily: ``lane_graph`` (used by the BPMN XML and DOT exports) needs none
of it, and importing pm4py costs seconds. Results are cached per ``(model.id,
model.sha256)``; models are immutable, and callers must not mutate the returned objects.
"""

from __future__ import annotations

import os
import re
import warnings
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal

from pantau.errors import SopModelError, did_you_mean
from sop_models.flow import And, Loop, Node, Seq, Skip, Task, Xor, step_ids
from sop_models.model import SopModel

LabelKind = Literal["id", "name"]

_CACHE: dict[tuple[str, ...], Any] = {}


def _pm4py() -> Any:
    # The variable is read once, when pm4py is first imported; keep its tqdm bars off
    # unless the caller chose otherwise.
    os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")
    import pm4py

    return pm4py


def _cached(model: SopModel, key: str, make: Callable[[], Any]) -> Any:
    full = (model.id, model.sha256, key)
    if full not in _CACHE:
        _CACHE[full] = make()
    return _CACHE[full]


def check_flow_steps(model: SopModel) -> None:
    """Raise :class:`SopModelError` when the flow names a step the model does not define."""
    known = set(model.step_ids)
    for sid in step_ids(model.flow):
        if sid not in known:
            raise SopModelError(
                f"the flow names step '{sid}', which is not in steps",
                file=model.path, field="flow", hint=did_you_mean(sid, known),
            )


# --- pm4py objects ------------------------------------------------------------------------
def flow_to_tree(flow: Node, label_of: Callable[[str], str] | None = None) -> Any:
    """A pm4py ``ProcessTree`` for a flow tree; leaves are labelled ``label_of(step_id)``.

    Skip becomes a tau leaf; Loop becomes ``*(body, redo)`` (pm4py: do ``body``, then
    ``redo`` and ``body`` again any number of times).
    """
    _pm4py()
    from pm4py.objects.process_tree.obj import Operator, ProcessTree

    label = label_of or (lambda sid: sid)

    def build(node: Node, parent: Any) -> Any:
        if isinstance(node, Task):
            return ProcessTree(parent=parent, label=label(node.step))
        if isinstance(node, Skip):
            return ProcessTree(parent=parent)
        if isinstance(node, Seq):
            op, kids = Operator.SEQUENCE, list(node.children)
        elif isinstance(node, And):
            op, kids = Operator.PARALLEL, list(node.children)
        elif isinstance(node, Xor):
            op, kids = Operator.XOR, [branch for _, branch in node.branches]
        elif isinstance(node, Loop):
            op, kids = Operator.LOOP, [node.body, node.redo]
        else:  # pragma: no cover - Node is a closed union
            raise TypeError(f"not a flow node: {node!r}")
        tree = ProcessTree(operator=op, parent=parent)
        for kid in kids:
            tree.children.append(build(kid, tree))
        return tree

    return build(flow, None)


def flow_to_petri_net(flow: Node, label_of: Callable[[str], str] | None = None) -> tuple[Any, Any, Any]:
    """``(net, im, fm)`` for a flow tree, via pm4py's process-tree converter (not cached)."""
    return _pm4py().convert_to_petri_net(flow_to_tree(flow, label_of))


def _labeller(model: SopModel, labels: LabelKind) -> Callable[[str], str]:
    if labels == "id":
        return lambda sid: sid
    if labels == "name":
        names = {s.id: s.name for s in model.steps}
        return lambda sid: names[sid]
    raise SopModelError(f"unknown label kind '{labels}'", hint="use 'id' or 'name'")


def process_tree(model: SopModel, *, labels: LabelKind = "id") -> Any:
    """The model's flow as a pm4py ``ProcessTree``, leaves labelled by step id or name."""
    check_flow_steps(model)
    label_of = _labeller(model, labels)
    return _cached(model, f"tree:{labels}", lambda: flow_to_tree(model.flow, label_of))


def petri_net(model: SopModel, labels: LabelKind = "id") -> tuple[Any, Any, Any]:
    """``(net, initial_marking, final_marking)``; visible labels are step ids (or names).

    Silent transitions (skips, loop and choice plumbing) have the label None.
    """
    check_flow_steps(model)
    label_of = _labeller(model, labels)

    def make() -> tuple[Any, Any, Any]:
        # A fresh tree: the converter must not share nodes with the cached tree.
        net, im, fm = flow_to_petri_net(model.flow, label_of)
        net.name = model.id
        return net, im, fm

    return _cached(model, f"petri:{labels}", make)


def soundness(net: Any, im: Any, fm: Any) -> tuple[bool, str | None]:
    """Whether ``(net, im, fm)`` is a sound workflow net, and pm4py's reason when it is not.

    Uses pm4py's WOFLAN check; in pm4py 2.7 ``check_soundness`` returns ``(bool,
    diagnostics)``, older versions a bare bool: both are accepted.
    """
    pm4py = _pm4py()
    try:
        with warnings.catch_warnings():
            # deprecation of check_soundness and scipy's linprog notes: not the user's business
            warnings.simplefilter("ignore")
            result = pm4py.analysis.check_soundness(net, im, fm)
    except Exception as exc:  # WOFLAN raises on some malformed nets; that is "not sound" too
        return False, f"the soundness check failed: {exc}"
    if isinstance(result, tuple):
        ok, diagnostics = bool(result[0]), result[1] if len(result) > 1 else {}
    else:
        ok, diagnostics = bool(result), {}
    if ok:
        return True, None
    messages: list[str] = []
    for key, value in (diagnostics or {}).items():
        if str(getattr(key, "value", key)) == "diagnostic_messages" and isinstance(value, list):
            messages = [str(v) for v in value]
    return False, (messages[-1] if messages else "not a sound workflow net")


def bpmn(model: SopModel) -> Any:
    """pm4py's BPMN object for the flow (no lanes: use :func:`sop_models.export.to_bpmn_xml`)."""
    check_flow_steps(model)
    return _cached(model, "bpmn", lambda: _pm4py().convert_to_bpmn(flow_to_tree(model.flow)))


# --- lane graph (pure Python) ---------------------------------------------------------------
NodeKind = Literal["start", "end", "task", "xor", "and"]


@dataclass(frozen=True)
class GraphNode:
    """One BPMN-like node; ``id`` is a valid XML id (the step id when that is one)."""

    id: str
    kind: NodeKind
    lane: str
    column: int
    row: int = 0  # slot within the lane, when several nodes share a lane and a column
    step: str | None = None  # step id, for tasks
    direction: Literal["split", "join"] | None = None  # gateways only
    name: str | None = None  # gateway label


@dataclass(frozen=True)
class GraphEdge:
    """A sequence flow; ``back`` marks the loop edge that closes a cycle."""

    id: str
    source: str
    target: str
    name: str | None = None
    back: bool = False


@dataclass(frozen=True)
class LaneGraph:
    """The flow as nodes and edges, each node in a lane, laid out in columns and rows."""

    lanes: tuple[str, ...]
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    lane_rows: dict[str, int]  # rows each lane needs (at least 1)
    columns: int
    left_out: tuple[str, ...]  # program-scope step ids (not per case, so not in the flow)

    def node(self, node_id: str) -> GraphNode:
        """The node with this id (KeyError when absent)."""
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)


_NCNAME = re.compile(r"^[A-Za-z_][\w.-]*$")


def xml_id(text: str) -> str:
    """``text`` when it is a valid XML id (NCName), else a sanitised form of it."""
    if _NCNAME.match(text):
        return text
    return "_" + re.sub(r"[^\w.-]", "_", text)


class _GraphBuilder:
    def __init__(self, model: SopModel) -> None:
        self.model = model
        self.kinds: dict[str, dict[str, Any]] = {}
        self.edges: list[GraphEdge] = []
        self.exit_names: dict[str, str] = {}
        self.step_node: dict[str, str] = {}
        self.and_count = 0

    def add(self, base: str, **attrs: Any) -> str:
        node_id, n = xml_id(base), 1
        while node_id in self.kinds:
            n += 1
            node_id = f"{xml_id(base)}_{n}"
        self.kinds[node_id] = attrs
        return node_id

    def edge(self, src: str, dst: str, name: str | None = None, back: bool = False) -> None:
        if name is None:
            name = self.exit_names.get(src)
        self.edges.append(GraphEdge(f"Flow_{len(self.edges) + 1}", src, dst, name, back))

    def emit(self, node: Node) -> tuple[str, str] | None:
        if isinstance(node, Task):
            nid = self.add(node.step, kind="task", step=node.step)
            self.step_node[node.step] = nid
            return nid, nid
        if isinstance(node, Skip):
            return None
        if isinstance(node, Seq):
            parts = [p for p in (self.emit(c) for c in node.children) if p]
            for (_, last), (first, _) in pairwise(parts):
                self.edge(last, first)
            return (parts[0][0], parts[-1][1]) if parts else None
        if isinstance(node, Xor | And):
            if isinstance(node, Xor):
                kind, base, label = "xor", node.id, node.label
                branches = list(node.branches)
            else:
                self.and_count += 1
                kind, base, label = "and", f"and{self.and_count}", None
                branches = [(None, c) for c in node.children]
            split = self.add(f"{base}_split", kind=kind, direction="split", name=label)
            parts = [(name, self.emit(b)) for name, b in branches]
            join = self.add(f"{base}_join", kind=kind, direction="join")
            for name, part in parts:
                if part:
                    self.edge(split, part[0], name)
                    self.edge(part[1], join)
                else:
                    self.edge(split, join, name)
            return split, join
        if isinstance(node, Loop):
            join = self.add(f"{node.id}_join", kind="xor", direction="join")
            body = self.emit(node.body)
            split = self.add(f"{node.id}_split", kind="xor", direction="split", name=node.label)
            if body:
                self.edge(join, body[0])
                self.edge(body[1], split)
            else:
                self.edge(join, split)
            again = f"kembali ke {node.returns_to}" if node.returns_to else "ulang"
            redo = self.emit(node.redo)
            if redo:
                self.edge(split, redo[0], again)
                self.edge(redo[1], join, back=True)
            else:
                self.edge(split, join, again, back=True)
            self.exit_names[split] = "lanjut"
            return join, split
        raise TypeError(f"not a flow node: {node!r}")  # pragma: no cover


def _columns(node_ids: list[str], edges: list[GraphEdge]) -> dict[str, int]:
    """Longest-path column of each node over the forward (non-back) edges."""
    succ: dict[str, list[str]] = defaultdict(list)
    indeg = dict.fromkeys(node_ids, 0)
    for e in edges:
        if not e.back:
            succ[e.source].append(e.target)
            indeg[e.target] += 1
    col = dict.fromkeys(node_ids, 0)
    queue = deque(n for n in node_ids if indeg[n] == 0)
    while queue:
        n = queue.popleft()
        for m in succ[n]:
            col[m] = max(col[m], col[n] + 1)
            indeg[m] -= 1
            if indeg[m] == 0:
                queue.append(m)
    return col


def _nearest_task_lane(start: str, adj: dict[str, list[str]], lane: dict[str, str]) -> str | None:
    seen, queue = {start}, deque([start])
    while queue:
        n = queue.popleft()
        if n in lane:
            return lane[n]
        for m in adj[n]:
            if m not in seen:
                seen.add(m)
                queue.append(m)
    return None


def _build_lane_graph(model: SopModel) -> LaneGraph:
    check_flow_steps(model)
    known_lanes = set(model.lanes)
    for s in model.case_steps:
        if s.lane not in known_lanes:
            raise SopModelError(
                f"step {s.id}: lane '{s.lane}' is not one of the model's lanes",
                file=model.path, field="lane", hint=did_you_mean(s.lane, model.lanes),
            )
    b = _GraphBuilder(model)
    start = b.add("StartEvent_1", kind="start")
    body = b.emit(model.flow)
    end = b.add("EndEvent_1", kind="end")
    if body:
        b.edge(start, body[0])
        b.edge(body[1], end)
    else:
        b.edge(start, end)

    ids = list(b.kinds)
    col = _columns(ids, b.edges)
    lane = {nid: model.step(a["step"]).lane for nid, a in b.kinds.items() if a["kind"] == "task"}
    fwd: dict[str, list[str]] = defaultdict(list)
    bwd: dict[str, list[str]] = defaultdict(list)
    for e in b.edges:
        if not e.back:
            fwd[e.source].append(e.target)
            bwd[e.target].append(e.source)
    # Gateways and events sit in the lane of the task next to them: a split or the end in
    # the lane of the task before it (who decides / finishes); a join in the lane its
    # incoming branches share, else in the lane of the task after it, like the start.
    assigned = dict(lane)
    for nid, a in b.kinds.items():
        if nid in lane:
            continue
        found = None
        if a.get("direction") == "join":
            before = {_nearest_task_lane(src, bwd, lane) for src in bwd[nid]}
            found = before.pop() if len(before) == 1 else None
        forward_first = a["kind"] == "start" or a.get("direction") == "join"
        order = (fwd, bwd) if forward_first else (bwd, fwd)
        found = (
            found
            or _nearest_task_lane(nid, order[0], lane)
            or _nearest_task_lane(nid, order[1], lane)
        )
        assigned[nid] = found or model.lanes[0]

    rows: dict[tuple[str, int], int] = defaultdict(int)
    nodes = []
    for nid in ids:
        a = b.kinds[nid]
        key = (assigned[nid], col[nid])
        nodes.append(GraphNode(
            id=nid, kind=a["kind"], lane=assigned[nid], column=col[nid], row=rows[key],
            step=a.get("step"), direction=a.get("direction"), name=a.get("name"),
        ))
        rows[key] += 1
    lane_rows = {ln: max([1] + [r for (l2, _), r in rows.items() if l2 == ln]) for ln in model.lanes}
    return LaneGraph(
        lanes=tuple(model.lanes),
        nodes=tuple(nodes),
        edges=tuple(b.edges),
        lane_rows=lane_rows,
        columns=max(col.values()) + 1,
        left_out=tuple(s.id for s in model.steps if s.scope == "program"),
    )


def lane_graph(model: SopModel) -> LaneGraph:
    """The flow as a lane graph (start, tasks, gateway pairs, end) with a column layout.

    Raises :class:`SopModelError` when the flow names an unknown step or a step's lane is
    not one of ``model.lanes``.
    """
    return _cached(model, "lanes", lambda: _build_lane_graph(model))
