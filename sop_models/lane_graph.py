"""The flow as a plain lane graph: start, tasks, gateway pairs and end, each in a lane,
with a column/row layout. Pure Python (no pm4py): the BPMN XML and DOT exports share it.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal

from pantau.errors import SopModelError, did_you_mean
from sop_models.flow import And, Loop, Node, Seq, Skip, Task, Xor, check_flow_steps
from sop_models.model import SopModel

_CACHE: dict[tuple[str, str], LaneGraph] = {}

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
    key = (model.id, model.sha256)
    if key not in _CACHE:
        _CACHE[key] = _build_lane_graph(model)
    return _CACHE[key]
