"""Export an SOP model as BPMN 2.0 XML (with lanes and diagram), PNML or Graphviz DOT.

The BPMN XML is written here with :mod:`xml.etree` because pm4py's BPMN object knows no
lanes; it carries a BPMNDiagram (a simple column layout from
:func:`sop_models.lane_graph.lane_graph`) because BPMN editors show nothing without one.
DOT sources are plain text: rendering them needs no Graphviz binary
(``st.graphviz_chart`` draws them in the browser).

Program-scope steps are not in the case flow and so are not drawn; the BPMN export names
them in the documentation of the first task.
"""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from typing import Any, Literal

import defusedxml.ElementTree as SafeET

from pantau import __version__
from pantau.errors import SopModelError, did_you_mean
from sop_models.lane_graph import GraphNode, LaneGraph, lane_graph, xml_id
from sop_models.model import SopModel, Step

FORMATS: tuple[str, ...] = ("bpmn", "pnml", "dot")
SUFFIXES: dict[str, str] = {"bpmn": ".bpmn", "pnml": ".pnml", "dot": ".dot"}
DotKind = Literal["lanes", "bpmn", "petri"]

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)

# Layout (pixels): one band per lane row, one column per position in the flow.
LANE_H, COL_W = 120, 170
POOL_X, POOL_Y, HEADER = 160, 80, 30
FIRST_X = POOL_X + 2 * HEADER + 70  # centre of column 0: right of the pool and lane labels
SIZES = {"task": (120, 90), "xor": (50, 50), "and": (50, 50), "start": (36, 36), "end": (36, 36)}
FLOW_NODE_TAGS = ("startEvent", "endEvent", "task", "exclusiveGateway", "parallelGateway")


def _q(prefix: str, tag: str) -> str:
    return f"{{{NS[prefix]}}}{tag}"


def _step_doc(step: Step) -> str:
    lines = [f"No. {step.no}" if step.no else None, f"Pelaksana: {step.lane}"]
    lines.append(f"Waktu: {step.waktu.raw}" if step.waktu.raw else "Waktu: -")
    lines.append("Kelengkapan: " + ("; ".join(step.kelengkapan) or "-"))
    lines.append(f"Output: {step.output or '-'}")
    if step.keterangan:
        lines.append(f"Keterangan: {step.keterangan}")
    return "\n".join(x for x in lines if x)


def _left_out_note(model: SopModel, graph: LaneGraph) -> str:
    names = "; ".join(f"{sid} {model.step(sid).name}" for sid in graph.left_out)
    return f"Langkah program (tidak per kasus, tidak digambar di alur): {names}"


# --- BPMN XML -------------------------------------------------------------------------------
def _lane_tops(graph: LaneGraph) -> dict[str, int]:
    tops, y = {}, POOL_Y
    for lane in graph.lanes:
        tops[lane] = y
        y += graph.lane_rows[lane] * LANE_H
    return tops


def _centre(node: GraphNode, tops: dict[str, int]) -> tuple[float, float]:
    return FIRST_X + node.column * COL_W, tops[node.lane] + node.row * LANE_H + LANE_H / 2


def _waypoints(src: GraphNode, dst: GraphNode, back: bool, tops: dict[str, int]) -> list[tuple[float, float]]:
    (sx, sy), (tx, ty) = _centre(src, tops), _centre(dst, tops)
    (sw, sh), (tw, th) = SIZES[src.kind], SIZES[dst.kind]
    if back:  # under both ends and back, below the boxes of the lane row
        below = max(sy, ty) + 50
        return [(sx, sy + sh / 2), (sx, below), (tx, below), (tx, ty + th / 2)]
    if abs(sy - ty) < 1:
        if dst.column - src.column > 1:  # a skip past boxes in the same row: go over them
            above = sy - 50
            return [(sx, sy - sh / 2), (sx, above), (tx, above), (tx, ty - th / 2)]
        return [(sx + sw / 2, sy), (tx - tw / 2, ty)]
    down = 1 if ty > sy else -1
    if src.direction == "split":  # leave a gateway from its top or bottom corner
        return [(sx, sy + down * sh / 2), (sx, ty), (tx - tw / 2, ty)]
    if dst.direction == "join":
        return [(sx + sw / 2, sy), (tx, sy), (tx, ty - down * th / 2)]
    mid = (sx + sw / 2 + tx - tw / 2) / 2
    return [(sx + sw / 2, sy), (mid, sy), (mid, ty), (tx - tw / 2, ty)]


def _bounds(parent: ET.Element, x: float, y: float, w: float, h: float) -> None:
    ET.SubElement(parent, _q("dc", "Bounds"), x=f"{x:g}", y=f"{y:g}", width=f"{w:g}", height=f"{h:g}")


def to_bpmn_xml(model: SopModel) -> str:
    """BPMN 2.0 XML with one lane per Pelaksana and a diagram, for bpmn.io / Camunda Modeler.

    Raises :class:`SopModelError` when the flow names an unknown step or lane.
    """
    graph = lane_graph(model)
    steps = {s.id: s for s in model.steps}
    process_id = "Process_" + xml_id(model.id)
    defs = ET.Element(_q("bpmn", "definitions"), {
        "id": "Definitions_" + xml_id(model.id),
        "targetNamespace": f"urn:pantau:sop:{model.id}",
        "exporter": "Pantau", "exporterVersion": __version__,
    })
    collab = ET.SubElement(defs, _q("bpmn", "collaboration"), id="Collaboration_1")
    ET.SubElement(collab, _q("bpmn", "participant"), id="Participant_1", name=model.title, processRef=process_id)
    process = ET.SubElement(defs, _q("bpmn", "process"), id=process_id, name=model.title, isExecutable="false")

    lane_ids = {lane: f"Lane_{i + 1}" for i, lane in enumerate(graph.lanes)}
    lane_set = ET.SubElement(process, _q("bpmn", "laneSet"), id="LaneSet_1")
    for lane in graph.lanes:
        el = ET.SubElement(lane_set, _q("bpmn", "lane"), id=lane_ids[lane], name=lane)
        for n in graph.nodes:
            if n.lane == lane:
                ET.SubElement(el, _q("bpmn", "flowNodeRef")).text = n.id

    incoming: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
    outgoing: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
    for e in graph.edges:
        outgoing[e.source].append(e.id)
        incoming[e.target].append(e.id)
    first_task = next((n.id for n in graph.nodes if n.kind == "task"), None)
    for n in graph.nodes:
        attrs = {"id": n.id}
        if n.kind == "task":
            tag, attrs["name"] = "task", steps[n.step].name  # type: ignore[index]
        elif n.kind in ("start", "end"):
            tag = "startEvent" if n.kind == "start" else "endEvent"
        else:
            tag = "exclusiveGateway" if n.kind == "xor" else "parallelGateway"
            attrs["gatewayDirection"] = "Diverging" if n.direction == "split" else "Converging"
            if n.name:
                attrs["name"] = n.name
        el = ET.SubElement(process, _q("bpmn", tag), attrs)
        if n.kind == "task":
            doc = _step_doc(steps[n.step])  # type: ignore[index]
            if n.id == first_task and graph.left_out:
                doc += "\n\n" + _left_out_note(model, graph)
            ET.SubElement(el, _q("bpmn", "documentation")).text = doc
        for ref in incoming[n.id]:
            ET.SubElement(el, _q("bpmn", "incoming")).text = ref
        for ref in outgoing[n.id]:
            ET.SubElement(el, _q("bpmn", "outgoing")).text = ref
    if first_task is None and graph.left_out:
        doc = ET.Element(_q("bpmn", "documentation"))
        doc.text = _left_out_note(model, graph)
        process.insert(0, doc)
    for e in graph.edges:
        attrs = {"id": e.id, "sourceRef": e.source, "targetRef": e.target}
        if e.name:
            attrs["name"] = e.name
        ET.SubElement(process, _q("bpmn", "sequenceFlow"), attrs)

    _add_diagram(defs, graph, lane_ids)
    ET.indent(defs)
    xml = ET.tostring(defs, encoding="unicode", xml_declaration=True)
    problems = check_bpmn_xml(xml)
    if problems:  # a bug here, not in the model: say so loudly
        raise SopModelError("BPMN export is inconsistent: " + "; ".join(problems), file=model.path,
                            hint="please report this with the model file")
    return xml


def _add_diagram(defs: ET.Element, graph: LaneGraph, lane_ids: dict[str, str]) -> None:
    diagram = ET.SubElement(defs, _q("bpmndi", "BPMNDiagram"), id="BPMNDiagram_1")
    plane = ET.SubElement(diagram, _q("bpmndi", "BPMNPlane"), id="BPMNPlane_1", bpmnElement="Collaboration_1")
    tops = _lane_tops(graph)
    width = FIRST_X - POOL_X + graph.columns * COL_W
    height = sum(graph.lane_rows.values()) * LANE_H
    pool = ET.SubElement(plane, _q("bpmndi", "BPMNShape"), id="Participant_1_di",
                         bpmnElement="Participant_1", isHorizontal="true")
    _bounds(pool, POOL_X, POOL_Y, width, height)
    for lane in graph.lanes:
        shape = ET.SubElement(plane, _q("bpmndi", "BPMNShape"), id=f"{lane_ids[lane]}_di",
                              bpmnElement=lane_ids[lane], isHorizontal="true")
        _bounds(shape, POOL_X + HEADER, tops[lane], width - HEADER, graph.lane_rows[lane] * LANE_H)
    nodes = {n.id: n for n in graph.nodes}
    for n in graph.nodes:
        attrs = {"id": f"{n.id}_di", "bpmnElement": n.id}
        if n.kind == "xor":
            attrs["isMarkerVisible"] = "true"
        shape = ET.SubElement(plane, _q("bpmndi", "BPMNShape"), attrs)
        (cx, cy), (w, h) = _centre(n, tops), SIZES[n.kind]
        _bounds(shape, cx - w / 2, cy - h / 2, w, h)
    for e in graph.edges:
        edge = ET.SubElement(plane, _q("bpmndi", "BPMNEdge"), id=f"{e.id}_di", bpmnElement=e.id)
        for x, y in _waypoints(nodes[e.source], nodes[e.target], e.back, tops):
            ET.SubElement(edge, _q("di", "waypoint"), x=f"{x:g}", y=f"{y:g}")


def check_bpmn_xml(xml: str) -> list[str]:
    """Problems in a BPMN XML text: dangling references, nodes without lanes or shapes.

    Returns one line per problem; an empty list when the file is consistent.
    """
    try:
        root = SafeET.fromstring(xml)
    except ET.ParseError as exc:
        return [f"XML does not parse: {exc}"]
    ids: dict[str, ET.Element] = {}
    problems = []
    for el in root.iter():
        if "id" in el.attrib:
            if el.attrib["id"] in ids:
                problems.append(f"id '{el.attrib['id']}' is used twice")
            ids[el.attrib["id"]] = el

    def ref(value: str | None, what: str) -> None:
        if not value or value not in ids:
            problems.append(f"{what} points to missing id '{value}'")

    for el in root.iter(_q("bpmn", "flowNodeRef")):
        ref(el.text, "flowNodeRef")
    for tag in ("incoming", "outgoing"):
        for el in root.iter(_q("bpmn", tag)):
            ref(el.text, tag)
    for el in root.iter(_q("bpmn", "sequenceFlow")):
        ref(el.get("sourceRef"), f"sequenceFlow {el.get('id')} sourceRef")
        ref(el.get("targetRef"), f"sequenceFlow {el.get('id')} targetRef")
    for el in root.iter(_q("bpmn", "participant")):
        ref(el.get("processRef"), f"participant {el.get('id')} processRef")
    shaped: set[str] = set()
    for el in root.iter():
        if el.tag in (_q("bpmndi", "BPMNShape"), _q("bpmndi", "BPMNEdge"), _q("bpmndi", "BPMNPlane")):
            ref(el.get("bpmnElement"), f"{el.get('id')} bpmnElement")
            shaped.add(el.get("bpmnElement") or "")
        if el.tag == _q("bpmndi", "BPMNEdge") and len(el.findall(_q("di", "waypoint"))) < 2:
            problems.append(f"edge {el.get('id')} has fewer than two waypoints")
    in_lane = [el.text for el in root.iter(_q("bpmn", "flowNodeRef"))]
    has_lanes = any(True for _ in root.iter(_q("bpmn", "lane")))
    shaped_tags = [*FLOW_NODE_TAGS, "sequenceFlow", "lane", "participant"]
    for tag in shaped_tags:
        for el in root.iter(_q("bpmn", tag)):
            node_id = el.get("id", "")
            if node_id not in shaped:
                problems.append(f"{tag} '{node_id}' has no diagram shape")
            if tag in FLOW_NODE_TAGS and has_lanes and in_lane.count(node_id) != 1:
                problems.append(f"{tag} '{node_id}' is in {in_lane.count(node_id)} lanes, not 1")
    return problems


# --- PNML -----------------------------------------------------------------------------------
def to_pnml(model: SopModel) -> str:
    """The model's Petri net (labels = step ids) as PNML with initial and final marking."""
    from sop_models.builders import petri_net, pnml_text

    return pnml_text(*petri_net(model))


# --- DOT ------------------------------------------------------------------------------------
def _q_dot(text: str) -> str:
    """A DOT double-quoted string; real newlines become DOT line breaks."""
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n")
    return f'"{body}"'


def _wrap(text: str, width: int = 28) -> list[str]:
    return textwrap.wrap(text, width) or [""]


def _step_label(step: Step) -> str:
    head = f"{step.no}. {step.name}" if step.no else step.name
    lines = _wrap(head)
    if step.waktu.raw:
        lines += _wrap(step.waktu.raw)
    return "\n".join(lines)


_DOT_HEAD = [
    "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=10, nodesep=0.25, ranksep=0.35];",
    "  node [fontname=\"Helvetica\", fontsize=9];",
    "  edge [fontname=\"Helvetica\", fontsize=8, arrowsize=0.7];",
]


def _flow_node_dot(n: GraphNode, steps: dict[str, Step]) -> str:
    if n.kind == "task":
        attrs = f"shape=box, style=\"rounded,filled\", fillcolor=white, label={_q_dot(_step_label(steps[n.step]))}"  # type: ignore[index]
    elif n.kind == "start":
        attrs = "shape=circle, label=\"\", width=0.3, style=filled, fillcolor=white"
    elif n.kind == "end":
        attrs = "shape=circle, label=\"\", width=0.3, penwidth=3, style=filled, fillcolor=white"
    else:
        mark = "X" if n.kind == "xor" else "+"
        attrs = f"shape=diamond, label=\"{mark}\", width=0.4, height=0.4, style=filled, fillcolor=white"
        if n.name:
            attrs += f", xlabel={_q_dot(chr(10).join(_wrap(n.name, 20)))}"
    return f"{_q_dot(n.id)} [{attrs}];"


def _flow_dot(model: SopModel, clusters: bool) -> str:
    graph = lane_graph(model)
    steps = {s.id: s for s in model.steps}
    out = [f"digraph {_q_dot(model.id)} {{", *_DOT_HEAD]
    out.append(f"  label={_q_dot(model.title)}; labelloc=t;")
    if clusters:
        for i, lane in enumerate(graph.lanes):
            out.append(f"  subgraph cluster_{i} {{")
            out.append(f"    label={_q_dot(lane)}; style=\"rounded,filled\"; fillcolor=\"#f4f6f8\"; color=\"#b8c2cc\";")
            members = [n for n in graph.nodes if n.lane == lane]
            # Graphviz does not draw an empty cluster; keep the lane visible.
            out.extend(f"    {_flow_node_dot(n, steps)}" for n in members)
            if not members:
                out.append(f"    \"lane_{i}_empty\" [shape=point, style=invis];")
            out.append("  }")
    else:
        out.extend(f"  {_flow_node_dot(n, steps)}" for n in graph.nodes)
    for e in graph.edges:
        attrs = []
        if e.name:
            attrs.append(f"label={_q_dot(e.name)}")
        if e.back:
            attrs += ["style=dashed", "constraint=false"]
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        out.append(f"  {_q_dot(e.source)} -> {_q_dot(e.target)}{suffix};")
    out.append("}")
    return "\n".join(out) + "\n"


def _petri_dot(model: SopModel) -> str:
    from sop_models.builders import petri_net

    net, im, fm = petri_net(model)
    names = {s.id: s.name for s in model.steps}
    out = [f"digraph {_q_dot(model.id)} {{", *_DOT_HEAD]
    ids: dict[Any, str] = {}
    for i, p in enumerate(sorted(net.places, key=lambda p: p.name)):
        ids[p] = f"p{i}"
        label = "●" if p in im else ""
        shape = "doublecircle" if p in fm else "circle"
        out.append(f"  p{i} [shape={shape}, label=\"{label}\", width=0.25, fixedsize=true];")
    for i, t in enumerate(sorted(net.transitions, key=lambda t: (t.label or "", t.name))):
        ids[t] = f"t{i}"
        if t.label is None:
            out.append(f"  t{i} [shape=box, label=\"\", style=filled, fillcolor=black, width=0.12, height=0.35];")
        else:
            text = "\n".join([t.label, *_wrap(names.get(t.label, ""))])
            out.append(f"  t{i} [shape=box, label={_q_dot(text)}];")
    arcs = sorted(f"  {ids[a.source]} -> {ids[a.target]};" for a in net.arcs)
    out.extend(arcs)
    out.append("}")
    return "\n".join(out) + "\n"


def to_dot(model: SopModel, *, kind: DotKind = "lanes") -> str:
    """Graphviz DOT source: ``lanes`` (a cluster per Pelaksana), ``bpmn`` (no lanes) or
    ``petri`` (the Petri net, labels = step ids); no Graphviz binary is needed."""
    if kind == "lanes":
        return _flow_dot(model, clusters=True)
    if kind == "bpmn":
        return _flow_dot(model, clusters=False)
    if kind == "petri":
        return _petri_dot(model)
    raise SopModelError(f"unknown DOT kind '{kind}'", hint="use one of: lanes, bpmn, petri")


def export(model: SopModel, fmt: str) -> str:
    """The model in format ``fmt`` (one of :data:`FORMATS`; see :data:`SUFFIXES`)."""
    if fmt == "bpmn":
        return to_bpmn_xml(model)
    if fmt == "pnml":
        return to_pnml(model)
    if fmt == "dot":
        return to_dot(model)
    raise SopModelError(
        f"unknown export format '{fmt}'",
        hint=f"use one of: {', '.join(FORMATS)} ({did_you_mean(fmt, FORMATS)})",
    )
