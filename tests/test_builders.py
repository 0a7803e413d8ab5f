"""SOP models as pm4py objects and exports: every bundled model and the fixture models.

Properties checked independently of the code under test: pm4py's own soundness check, token
replay of the model's happy path, pm4py's own PNML and BPMN importers, and the model files.
"""

from __future__ import annotations

import os

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")  # read when pm4py is imported

import warnings
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pandas as pd
import pm4py
import pytest
from pm4py.objects.petri_net.obj import Marking, PetriNet
from pm4py.objects.petri_net.utils.petri_utils import add_arc_from_to

from pantau.errors import SopModelError
from sop_models import builders, export, lane_graph
from sop_models.flow import And, Loop, Task, Xor, happy_path, walk
from sop_models.loader import load_all, model_paths
from sop_models.model import SopModel

FIXTURES = Path(__file__).parent / "fixtures" / "models"
MODEL_FILES = model_paths() + model_paths(FIXTURES / "good")
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def _model(path: Path) -> SopModel:
    return next(m for m in load_all(path.parent) if Path(m.path) == path)


@pytest.fixture(params=MODEL_FILES, ids=[p.name for p in MODEL_FILES])
def model(request: pytest.FixtureRequest) -> SopModel:
    return _model(request.param)


def _is_sound(net: PetriNet, im: Marking, fm: Marking) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bool(pm4py.analysis.check_soundness(net, im, fm)[0])


def _replay(trace: list[str], net: PetriNet, im: Marking, fm: Marking) -> dict:
    log = pd.DataFrame({
        "case:concept:name": "c1",
        "concept:name": trace,
        "time:timestamp": pd.date_range("2024-03-01 08:00", periods=len(trace), freq="min", tz="UTC"),
    })
    return pm4py.fitness_token_based_replay(log, net, im, fm)


def test_every_bundled_model_is_covered() -> None:
    bundled = [Path(m.path).name for m in load_all()]
    assert bundled == [p.name for p in model_paths()]
    assert len(bundled) >= 1, "no curated models in sop_models/models"


# --- Petri net --------------------------------------------------------------------------------
def test_petri_net_is_a_sound_workflow_net(model: SopModel) -> None:
    net, im, fm = builders.petri_net(model)
    assert _is_sound(net, im, fm)
    assert builders.soundness(net, im, fm) == (True, None)
    assert sum(im.values()) == 1 and sum(fm.values()) == 1


def test_visible_transitions_are_the_case_steps(model: SopModel) -> None:
    net, _, _ = builders.petri_net(model)
    visible = [t.label for t in net.transitions if t.label is not None]
    assert len(visible) == len(model.case_steps)
    assert sorted(visible) == sorted(s.id for s in model.case_steps)
    program = {s.id for s in model.steps if s.scope == "program"}
    assert program.isdisjoint(visible)


def test_happy_path_replays_with_fitness_one(model: SopModel) -> None:
    net, im, fm = builders.petri_net(model)
    result = _replay(happy_path(model.flow), net, im, fm)
    assert result["log_fitness"] == pytest.approx(1.0)
    assert result["perc_fit_traces"] == pytest.approx(100.0)


def test_replay_tells_a_wrong_trace_apart() -> None:
    # Control for the test above: skipping the mandatory verification (s02) cannot fit.
    m = _model(FIXTURES / "good" / "fx-integrasi.yaml")
    net, im, fm = builders.petri_net(m)
    trace = [s for s in happy_path(m.flow) if s != "s02"]
    assert _replay(trace, net, im, fm)["log_fitness"] < 1.0


def test_soundness_reports_an_unsound_net() -> None:
    # An exclusive split whose branches meet in a synchronising join: deadlock.
    net = PetriNet("deadlock")
    source, sink, p1, p2 = (PetriNet.Place(n) for n in ("source", "sink", "p1", "p2"))
    a, b, c = (PetriNet.Transition(n, n) for n in "abc")
    net.places.update({source, sink, p1, p2})
    net.transitions.update({a, b, c})
    for x, y in ((source, a), (source, b), (a, p1), (b, p2), (p1, c), (p2, c), (c, sink)):
        add_arc_from_to(x, y, net)
    ok, reason = builders.soundness(net, Marking({source: 1}), Marking({sink: 1}))
    assert not ok and reason


def test_petri_net_with_name_labels() -> None:
    m = _model(FIXTURES / "good" / "fx-wbs.yaml")
    net, _, _ = builders.petri_net(m, labels="name")
    assert sorted(t.label for t in net.transitions if t.label) == sorted(s.name for s in m.case_steps)


def test_results_are_cached_per_model_version(model: SopModel) -> None:
    assert builders.petri_net(model) is builders.petri_net(model)
    assert builders.process_tree(model) is builders.process_tree(model)


# --- process tree and BPMN object -------------------------------------------------------------
def test_process_tree_follows_the_fixture_flow() -> None:
    # Read off tests/fixtures/models/good/fx-integrasi.yaml by hand: a loop with an empty
    # redo, an optional step, a two-way choice with a skip branch.
    m = _model(FIXTURES / "good" / "fx-integrasi.yaml")
    tree = builders.process_tree(m)
    assert str(tree) == "->( 's01', *( 's02', tau ), 's03', X( 's04', tau ), 's06', X( 's07', tau ), 's08' )"


def test_process_tree_parents_and_labels(model: SopModel) -> None:
    tree = builders.process_tree(model, labels="name")
    stack, leaves = [tree], []
    while stack:
        node = stack.pop()
        for child in node.children:
            assert child.parent is node
            stack.append(child)
        if not node.children and node.label is not None:
            leaves.append(node.label)
    assert sorted(leaves) == sorted(s.name for s in model.case_steps)


def test_pm4py_bpmn_object(model: SopModel) -> None:
    obj = builders.bpmn(model)
    tasks = [n.get_name() for n in obj.get_nodes() if type(n).__name__ == "Task"]
    assert sorted(tasks) == sorted(s.id for s in model.case_steps)


def test_unknown_flow_step_is_an_error() -> None:
    from dataclasses import replace

    from sop_models.flow import Seq

    m = _model(FIXTURES / "good" / "fx-integrasi.yaml")
    broken = replace(m, flow=Seq((m.flow, Task("s99"))), sha256="broken")
    with pytest.raises(SopModelError, match="s99"):
        builders.petri_net(broken)
    with pytest.raises(SopModelError, match="s99"):
        export.to_bpmn_xml(broken)


# --- BPMN XML ---------------------------------------------------------------------------------
def test_bpmn_xml_lanes_and_tasks(model: SopModel) -> None:
    xml = export.to_bpmn_xml(model)
    assert export.check_bpmn_xml(xml) == []
    root = ET.fromstring(xml)
    lanes = root.findall(f".//{BPMN}laneSet/{BPMN}lane")
    assert [lane.get("name") for lane in lanes] == list(model.lanes)
    lane_of = {ref.text: lane.get("name") for lane in lanes for ref in lane.findall(f"{BPMN}flowNodeRef")}
    tasks = {t.get("id"): t for t in root.iter(f"{BPMN}task")}
    assert len(tasks) == len(model.case_steps)
    for step in model.case_steps:
        task = tasks[lane_graph.xml_id(step.id)]
        assert task.get("name") == step.name
        assert lane_of[task.get("id")] == step.lane
        doc = task.find(f"{BPMN}documentation").text
        assert f"Waktu: {step.waktu.raw or '-'}" in doc
        if step.output:
            assert step.output in doc


def test_bpmn_xml_gateways_match_the_flow(model: SopModel) -> None:
    root = ET.fromstring(export.to_bpmn_xml(model))
    nodes = list(walk(model.flow))
    choices = sum(isinstance(n, Xor | Loop) for n in nodes)
    parallels = sum(isinstance(n, And) for n in nodes)
    assert len(list(root.iter(f"{BPMN}exclusiveGateway"))) == 2 * choices
    assert len(list(root.iter(f"{BPMN}parallelGateway"))) == 2 * parallels
    flows = list(root.iter(f"{BPMN}sequenceFlow"))
    for xor in (n for n in nodes if isinstance(n, Xor)):
        out = {f.get("name") for f in flows if f.get("sourceRef") == lane_graph.xml_id(f"{xor.id}_split")}
        assert out == {name for name, _ in xor.branches}


def test_bpmn_xml_reimports_as_the_same_process(model: SopModel, tmp_path: Path) -> None:
    # pm4py's own BPMN importer ignores lanes but reads the flow: its net must be sound
    # and replay the happy path (by task name).
    path = tmp_path / "model.bpmn"
    path.write_text(export.to_bpmn_xml(model), encoding="utf-8")
    net, im, fm = pm4py.convert_to_petri_net(pm4py.read_bpmn(str(path)))
    assert _is_sound(net, im, fm)
    names = {s.id: s.name for s in model.steps}
    result = _replay([names[s] for s in happy_path(model.flow)], net, im, fm)
    assert result["log_fitness"] == pytest.approx(1.0)


def test_bpmn_xml_notes_program_steps() -> None:
    m = _model(FIXTURES / "good" / "fx-integrasi.yaml")
    root = ET.fromstring(export.to_bpmn_xml(m))
    ids = {t.get("id") for t in root.iter(f"{BPMN}task")}
    assert "s05" not in ids  # scope: program
    first = next(root.iter(f"{BPMN}task"))
    assert "s05" in first.find(f"{BPMN}documentation").text


def test_check_bpmn_xml_finds_dangling_refs() -> None:
    xml = export.to_bpmn_xml(_model(FIXTURES / "good" / "fx-wbs.yaml"))
    broken = xml.replace("<bpmn:flowNodeRef>t03<", "<bpmn:flowNodeRef>t99<", 1)
    problems = export.check_bpmn_xml(broken)
    assert any("t99" in p for p in problems)
    assert any("t03" in p and "lanes" in p for p in problems)
    assert export.check_bpmn_xml("<not xml") != []


# --- PNML and DOT -----------------------------------------------------------------------------
def test_pnml_reimports_with_the_same_labels(model: SopModel, tmp_path: Path) -> None:
    path = tmp_path / "model.pnml"
    path.write_text(export.to_pnml(model), encoding="utf-8")
    net, im, fm = pm4py.read_pnml(str(path))
    ours, _, _ = builders.petri_net(model)
    assert Counter(t.label for t in net.transitions) == Counter(t.label for t in ours.transitions)
    assert sum(im.values()) == 1 and sum(fm.values()) == 1
    assert _is_sound(net, im, fm)


def test_dot_lanes_has_a_cluster_per_lane(model: SopModel) -> None:
    dot = export.to_dot(model)
    assert dot.startswith("digraph ") and dot.rstrip().endswith("}")
    for i, lane in enumerate(model.lanes):
        assert f"subgraph cluster_{i} {{" in dot
        assert f'label="{lane}";' in dot.replace('\\"', '"')
    assert f"subgraph cluster_{len(model.lanes)} " not in dot
    for step in model.case_steps:
        assert f'"{lane_graph.xml_id(step.id)}" [' in dot


def test_dot_escapes_quotes() -> None:
    m = _model(FIXTURES / "good" / "fx-wbs.yaml")  # its title has "WBS" in quotes
    dot = export.to_dot(m)
    assert 'bagi \\"WBS\\" (fixture)' in dot
    body = dot.replace('\\"', "")
    assert body.count('"') % 2 == 0


def test_dot_petri_and_bpmn_kinds(model: SopModel) -> None:
    petri = export.to_dot(model, kind="petri")
    for step in model.case_steps:
        assert f'label="{step.id}\\n' in petri
    assert "cluster_" not in export.to_dot(model, kind="bpmn")


def test_export_dispatcher() -> None:
    m = _model(FIXTURES / "good" / "fx-integrasi.yaml")
    assert export.export(m, "bpmn").startswith("<?xml")
    assert "<pnml>" in export.export(m, "pnml")
    assert "subgraph cluster_0" in export.export(m, "dot")
    with pytest.raises(SopModelError) as info:
        export.export(m, "svg")
    assert "bpmn" in (info.value.hint or "")
    with pytest.raises(SopModelError):
        export.to_dot(m, kind="gantt")  # type: ignore[arg-type]


def test_xml_id() -> None:
    assert lane_graph.xml_id("s01") == "s01"
    for raw in ("1", "s 01", "a:b"):
        assert lane_graph.xml_id(raw)[0] == "_" and " " not in lane_graph.xml_id(raw)
