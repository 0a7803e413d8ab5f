"""Reference models from BPMN / PNML files: real public models and logs (tests/fixtures/reference_models).

The reference for fitness is pm4py's own ``conformance_diagnostics_alignments`` on the
original log and the original net (pm4py's BPMN -> Petri net conversion, or the PNML as
read by pm4py). Pantau's side is the real path: the imported model written as a model
file, the log ingested into a DuckDB store, and the conformance stage run on it.
"""

from __future__ import annotations

import os

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")

from pathlib import Path

import duckdb
import pytest

from analytics.conformance import run_conformance
from event_logs.ingest.pipeline import ingest_file
from event_logs.store import init_store
from pantau.errors import SopModelError, WaktuParseError
from sop_models.builders import petri_net
from sop_models.checks import check_model
from sop_models.flow import Loop, Xor, step_ids, walk
from sop_models.loader import build_model, load_model
from sop_models.reference import (
    model_from_bpmn,
    model_from_pnml,
    model_from_process_file,
    reference_yaml,
    step_ids_for,
)
from sop_models.validate import check_model_file

FIX = Path(__file__).parent / "fixtures" / "reference_models"
pytestmark = [pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
              pytest.mark.filterwarnings("ignore:Install the optional requirement:UserWarning")]


def _write(tmp_path: Path, data: dict, source: Path) -> Path:
    folder = tmp_path / "models"
    folder.mkdir(exist_ok=True)
    (folder / source.name).write_bytes(source.read_bytes())  # the source beside the model file
    path = folder / f"{data['id']}.yaml"
    path.write_text(reference_yaml(data), encoding="utf-8")
    return path


def _pantau_fitness(tmp_path: Path, model_path: Path, log: Path) -> dict[str, float]:
    model = load_model(model_path)
    db = tmp_path / "store.duckdb"
    init_store(db)
    result = ingest_file(db, log, sop_id=model.id, models_dir=model_path.parent)
    assert result.rows_quarantined == 0
    assert result.unmapped_labels == {}  # every label is a task of the model
    con = duckdb.connect(str(db))
    try:
        stats = run_conformance(con, 1, [model.id], models={model.id: model},
                                max_align_seconds_per_variant=60, max_align_seconds_total=900)
        assert stats.timeouts == 0
        return dict(con.execute("SELECT case_id, alignment_fitness FROM conformance_cases").fetchall())
    finally:
        con.close()


def _pm4py_fitness(log: Path, model: Path) -> dict[str, float]:
    import pandas as pd
    import pm4py

    if log.suffix == ".csv":
        df = pd.read_csv(log)
        df["time:timestamp"] = pd.to_datetime(df["time:timestamp"], utc=True, format="mixed")
        df = pm4py.format_dataframe(df, case_id="case:concept:name", activity_key="concept:name",
                                    timestamp_key="time:timestamp")
    else:
        df = pm4py.read_xes(str(log))
    if model.suffix == ".bpmn":
        net, im, fm = pm4py.convert_to_petri_net(pm4py.read_bpmn(str(model)))
    else:
        net, im, fm = pm4py.read_pnml(str(model))
    reference = pm4py.conformance_diagnostics_alignments(df, net, im, fm, return_diagnostics_dataframe=False)
    cases = list(dict.fromkeys(df["case:concept:name"]))
    return {c: a["fitness"] for c, a in zip(cases, reference, strict=True)}


CASES = [
    ("receipt.bpmn", "receipt_extract.csv"),
    ("roadtraffic.pnml", "roadtraffic100traces.xes"),
    ("running-example.pnml", "running-example.xes"),
]


@pytest.mark.parametrize(("model_file", "log_file"), CASES, ids=[c[0] for c in CASES])
def test_fitness_equals_pm4py_on_the_original_net(tmp_path, model_file, log_file) -> None:
    source = FIX / model_file
    data = model_from_bpmn(source) if source.suffix == ".bpmn" else model_from_pnml(source)
    assert "reference_net" not in data  # all three are block-structured: a real flow
    path = _write(tmp_path, data, source)
    assert check_model_file(path) == []
    ours = _pantau_fitness(tmp_path, path, FIX / log_file)
    expected = _pm4py_fitness(FIX / log_file, source)
    assert set(ours) == set(expected)
    assert all(ours[c] == pytest.approx(expected[c], abs=1e-12) for c in expected)
    if model_file == "receipt.bpmn":  # its deviating copies (the real cases all fit)
        assert min(expected.values()) < 1 and len(set(expected.values())) > 2


def test_receipt_model_shape() -> None:
    data = model_from_bpmn(FIX / "receipt.bpmn")
    model = build_model(data, Path("receipt.yaml"), text=reference_yaml(data))
    assert len(model.steps) == 27
    names = {s.name for s in model.steps}
    assert "T02 Check confirmation of receipt" in names and "Confirmation of receipt" in names
    nodes = [n for n in walk(model.flow) if isinstance(n, Xor | Loop)]
    ids = [n.id for n in nodes]
    assert len(ids) == len(set(ids))  # never a duplicate flow node id
    assert not set(ids) & set(model.step_ids)
    assert sorted(step_ids(model.flow)) == sorted(model.step_ids)
    assert sum(isinstance(n, Loop) for n in nodes) == 5
    assert check_model(model) == []
    # the receipt file has no lanes: one lane, and a note says so
    assert model.lanes == ("PELAKSANA",) and any("no lanes" in n for n in model.notes)


# --- lanes, ids, times, non-block nets (small files written here) --------------------------
LANE_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <collaboration id="c"><participant id="p" name="Dinas Uji" processRef="proc"/></collaboration>
  <process id="proc" name="Layanan uji">
    <laneSet id="ls">
      <lane id="l1" name="Petugas"><flowNodeRef>start</flowNodeRef><flowNodeRef>1 terima</flowNodeRef>
        <flowNodeRef>g1</flowNodeRef><flowNodeRef>g2</flowNodeRef><flowNodeRef>end</flowNodeRef></lane>
      <lane id="l2" name="Kepala Dinas"><flowNodeRef>setuju</flowNodeRef><flowNodeRef>Setuju</flowNodeRef></lane>
    </laneSet>
    <startEvent id="start"/>
    <task id="1 terima" name="Menerima berkas"/>
    <exclusiveGateway id="g1"/>
    <task id="setuju" name="Menyetujui"/>
    <task id="Setuju" name="Menolak"/>
    <exclusiveGateway id="g2"/>
    <endEvent id="end"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="1 terima"/>
    <sequenceFlow id="f2" sourceRef="1 terima" targetRef="g1"/>
    <sequenceFlow id="f3" sourceRef="g1" targetRef="setuju"/>
    <sequenceFlow id="f4" sourceRef="g1" targetRef="Setuju"/>
    <sequenceFlow id="f5" sourceRef="setuju" targetRef="g2"/>
    <sequenceFlow id="f6" sourceRef="Setuju" targetRef="g2"/>
    <sequenceFlow id="f7" sourceRef="g2" targetRef="end"/>
  </process>
</definitions>
"""


def test_bpmn_lanes_ids_and_times(tmp_path) -> None:
    bpmn = tmp_path / "uji.bpmn"
    bpmn.write_text(LANE_BPMN, encoding="utf-8")
    times = tmp_path / "waktu.csv"
    times.write_text("task,waktu\nMenerima berkas,15 Menit\nsetuju,2 Hari\n", encoding="utf-8")
    data = model_from_bpmn(bpmn, times)
    steps = {s["name"]: s for s in data["steps"]}
    assert data["lanes"] == ["Petugas", "Kepala Dinas"] and data["title"] == "Dinas Uji"
    assert steps["Menerima berkas"]["lane"] == "Petugas" and steps["Menolak"]["lane"] == "Kepala Dinas"
    assert all(s["lane_source"] == "printed" for s in data["steps"])
    # "1 terima" is no plain id; "setuju" and "Setuju" differ only in case: kept apart
    assert [s["id"] for s in data["steps"]] == ["t1_terima", "setuju", "Setuju_2"]
    assert steps["Menerima berkas"]["waktu"] == "15 Menit" and steps["Menyetujui"]["waktu"] == "2 Hari"
    assert steps["Menolak"]["waktu"] is None
    flow = data["flow"]
    assert flow[0] == "t1_terima" and set(flow[1]["xor"]["branches"].values()) == {"setuju", "Setuju_2"}
    path = _write(tmp_path, data, bpmn)
    assert check_model_file(path) == []


def test_times_errors_name_the_file_and_row(tmp_path) -> None:
    bpmn = tmp_path / "uji.bpmn"
    bpmn.write_text(LANE_BPMN, encoding="utf-8")
    bad = tmp_path / "waktu.yaml"
    bad.write_text('Menerima berkaz: "15 Menit"\n', encoding="utf-8")
    with pytest.raises(SopModelError) as err:
        model_from_bpmn(bad.parent / "uji.bpmn", bad)
    assert err.value.file == str(bad) and err.value.row == 1 and "Menerima berkas" in (err.value.hint or "")
    bad.write_text('Menerima berkas: "15 detik"\n', encoding="utf-8")
    with pytest.raises(WaktuParseError):
        model_from_bpmn(bpmn, bad)


def test_step_ids_are_plain_and_unique() -> None:
    ids = step_ids_for(["a b", "a_b", "9x", "", "ok.1"])
    assert list(ids.values()) == ["a_b", "a_b_2", "t9x", "step", "ok.1"]


# A net that is not block-structured: a and b run in parallel, c needs only a, d needs a and b
# (the "N" shape no sequence/choice/parallel/loop tree has).
N_NET = """<?xml version="1.0" encoding="UTF-8"?>
<pnml><net id="n" type="http://www.pnml.org/version-2009/grammar/pnmlcoremodel"><page id="pg">
 <place id="i"><initialMarking><text>1</text></initialMarking></place>
 <place id="pa"/><place id="pb"/><place id="a1"/><place id="a2"/><place id="b1"/><place id="c1"/><place id="d1"/><place id="o"/>
 <transition id="split"><name><text>split</text></name><toolspecific tool="ProM" version="6.4" activity="$invisible$" localNodeID="s"/></transition>
 <transition id="ta"><name><text>A</text></name></transition>
 <transition id="tb"><name><text>B</text></name></transition>
 <transition id="tc"><name><text>C</text></name></transition>
 <transition id="td"><name><text>D</text></name></transition>
 <transition id="join"><name><text>join</text></name><toolspecific tool="ProM" version="6.4" activity="$invisible$" localNodeID="j"/></transition>
 <arc id="x1" source="i" target="split"/><arc id="x2" source="split" target="pa"/><arc id="x3" source="split" target="pb"/>
 <arc id="x4" source="pa" target="ta"/><arc id="x5" source="ta" target="a1"/><arc id="x6" source="ta" target="a2"/>
 <arc id="x7" source="pb" target="tb"/><arc id="x8" source="tb" target="b1"/>
 <arc id="x9" source="a1" target="tc"/><arc id="x10" source="tc" target="c1"/>
 <arc id="x11" source="a2" target="td"/><arc id="x12" source="b1" target="td"/><arc id="x13" source="td" target="d1"/>
 <arc id="x14" source="c1" target="join"/><arc id="x15" source="d1" target="join"/><arc id="x16" source="join" target="o"/>
</page><finalmarkings><marking><place idref="o"><text>1</text></place></marking></finalmarkings></net></pnml>
"""


def test_non_block_net_is_kept_and_is_the_model(tmp_path) -> None:
    src = tmp_path / "n-shape.pnml"
    src.write_text(N_NET, encoding="utf-8")
    data = model_from_pnml(src)
    assert "reference_net" in data and set(data["flow"]["and"]) == {"ta", "tb", "tc", "td"}
    assert any("not block-structured" in n and "not judged" in n for n in data["notes"])
    path = _write(tmp_path, data, src)
    model = load_model(path)
    assert model.has_reference_net and check_model(model) == []
    net, _, _ = petri_net(model)
    assert {t.label for t in net.transitions if t.label} == {"ta", "tb", "tc", "td"}
    # the kept net, not a net built from the and-flow
    assert {p.name for p in net.places} == {"i", "pa", "pb", "a1", "a2", "b1", "c1", "d1", "o"}
    # the bounded soundness check runs on a kept net, and this one is sound
    assert check_model_file(path) == []


def test_kept_net_must_name_the_steps(tmp_path) -> None:
    src = tmp_path / "n-shape.pnml"
    src.write_text(N_NET, encoding="utf-8")
    data = model_from_pnml(src)
    data["reference_net"] = data["reference_net"].replace(">td<", ">tx<")
    path = _write(tmp_path, data, src)
    problems = check_model(load_model(path))
    assert any("'tx'" in p and "not a step" in p for p in problems), problems
    assert any("td" in p and "not in the reference net" in p for p in problems), problems


def test_unreadable_inputs_name_the_file(tmp_path) -> None:
    broken = tmp_path / "broken.bpmn"
    broken.write_text("<definitions", encoding="utf-8")
    with pytest.raises(SopModelError) as err:
        model_from_bpmn(broken)
    assert err.value.file == str(broken)
    with pytest.raises(SopModelError) as err:
        model_from_pnml(tmp_path / "missing.pnml")
    assert err.value.file == str(tmp_path / "missing.pnml")


def test_process_file_dispatches_on_the_suffix(tmp_path) -> None:
    assert model_from_process_file(FIX / "running-example.pnml")["source"] == "running-example.pnml"
    assert len(model_from_process_file(FIX / "receipt.bpmn", sop_id="wabo")["steps"]) == 27
    with pytest.raises(SopModelError, match=r"'\.docx'") as err:
        model_from_process_file(tmp_path / "sop.docx")
    assert "pantau sop import" in (err.value.hint or "")
