"""Fast model checks: check_model on loaded models, no WOFLAN for flows, bounded state-space
soundness for kept nets (sop_models.checks, sop_models.net_check, sop_models.validate)."""

from __future__ import annotations

import os

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")

import random
from pathlib import Path

import pytest
import yaml

from pantau.errors import ModelValidationError
from sop_models import load_all
from sop_models.builders import flow_to_petri_net
from sop_models.checks import check_model, require_model_ok
from sop_models.flow import And, Loop, Node, Seq, Skip, Task, Xor, flow_data, parse_flow, step_ids
from sop_models.loader import load_model
from sop_models.net_check import check_soundness
from sop_models.validate import check_model_file

pytestmark = [pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
              pytest.mark.filterwarnings("ignore:solution from scipy:UserWarning")]
SOURCE = "000_41f6d9e0ae68eb16.txt"


def _model_file(tmp_path: Path, flow: object, n_steps: int, **extra: object) -> Path:
    steps = [{"id": f"s{i:03d}", "name": f"Langkah {i}", "lane": "Petugas", "waktu": "5 Menit"}
             for i in range(1, n_steps + 1)]
    data = {"id": "uji-cek", "title": "Uji", "agency": "Dinas Uji", "region": "Kota Uji",
            "timezone": "Asia/Jakarta", "source": SOURCE, "lanes": ["Petugas"], "steps": steps,
            "flow": flow, **extra}
    path = tmp_path / "uji-cek.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def random_flow(rng: random.Random, steps: list[str], ids: list[int]) -> Node:
    """A random block tree over ``steps`` (each once): nested seq / xor / and / loop."""
    if len(steps) == 1:
        return Task(steps[0])
    cut = rng.randint(1, len(steps) - 1)
    left, right = random_flow(rng, steps[:cut], ids), random_flow(rng, steps[cut:], ids)
    ids[0] += 1
    kind = rng.choice(["seq", "seq", "xor", "and", "loop", "optional"])
    if kind == "seq":
        return Seq((left, right))
    if kind == "xor":
        return Xor(f"pilih-{ids[0]}", (("a", left), ("b", right)))
    if kind == "and":
        return And((left, right))
    if kind == "loop":
        return Loop(f"ulang-{ids[0]}", left, right)
    return Seq((Xor(f"opsi-{ids[0]}", (("ya", left), ("lewati", Skip()))), right))


def test_curated_models_pass() -> None:
    for model in load_all():
        assert check_model(model) == [], model.id


def test_duplicate_flow_node_id_is_an_error(tmp_path) -> None:
    flow = ["s001", {"xor": {"id": "cek", "branches": {"a": "s002", "b": []}}},
            {"xor": {"id": "cek", "branches": {"a": "s003", "b": []}}}]
    path = _model_file(tmp_path, flow, 3)
    lines = check_model(load_model(path))
    assert lines == [f"{path}: flow node id 'cek' is used 2 times"]
    assert any("flow node id 'cek' is used 2 times" in line for line in check_model_file(path))
    with pytest.raises(ModelValidationError):
        require_model_ok(load_model(path))


def test_other_structure_rules(tmp_path) -> None:
    flow = [{"loop": {"id": "u", "body": [], "redo": "s001"}}, {"and": ["s002", []]}, "s003", "s003"]
    model = load_model(_model_file(tmp_path, flow, 4))
    text = "\n".join(check_model(model))
    assert "loop 'u' has an empty body" in text
    assert "'and' block has an empty branch" in text
    assert "step s003: appears 2 times in the flow" in text
    assert "step s004: case step missing from the flow" in text


def test_a_100_step_block_model_validates_without_woflan(tmp_path, monkeypatch) -> None:
    import pm4py

    def no_woflan(*args: object, **kwargs: object) -> None:
        raise AssertionError("WOFLAN was called on a block-structured flow")

    monkeypatch.setattr(pm4py.analysis, "check_soundness", no_woflan)
    rng = random.Random(100)
    names = [f"s{i:03d}" for i in range(1, 101)]
    flow = random_flow(rng, names, [0])
    kinds = {type(n).__name__ for n in _walk(flow)}
    assert {"Xor", "Loop", "And"} <= kinds
    path = _model_file(tmp_path, flow_data(flow), 100)
    assert check_model_file(path) == []
    model = load_model(path)
    assert sorted(step_ids(model.flow)) == names and check_model(model) == []


def _walk(node: Node):
    from sop_models.flow import walk

    return walk(node)


@pytest.mark.parametrize("seed", range(12))
def test_random_flows_are_sound_by_woflan_and_by_the_state_space(seed) -> None:
    """The claim of README "Soundness", checked on random trees with pm4py's WOFLAN (reliable on
    these small nets) and with net_check, which must agree with it."""
    import pm4py

    rng = random.Random(seed)
    flow = random_flow(rng, [f"s{i}" for i in range(rng.randint(2, 7))], [0])
    assert parse_flow(flow_data(flow)) == flow
    net, im, fm = flow_to_petri_net(flow)
    assert bool(pm4py.analysis.check_soundness(net, im, fm)[0])
    assert check_soundness(net, im, fm).status == "sound"


# --- net_check on nets that are not sound ----------------------------------------------------
def _net(arcs: list[tuple[str, str]], transitions: dict[str, str | None], start: str, end: str):
    from pm4py.objects.petri_net.obj import Marking, PetriNet
    from pm4py.objects.petri_net.utils.petri_utils import add_arc_from_to

    net = PetriNet("t")
    nodes: dict[str, object] = {}
    for name, label in transitions.items():
        nodes[name] = PetriNet.Transition(name, label)
        net.transitions.add(nodes[name])
    for a, b in arcs:
        for x in (a, b):
            if x not in nodes:
                nodes[x] = PetriNet.Place(x)
                net.places.add(nodes[x])
        add_arc_from_to(nodes[a], nodes[b], net)
    return net, Marking({nodes[start]: 1}), Marking({nodes[end]: 1})


def test_state_space_finds_a_deadlock() -> None:
    # xor split into a or b, but the join waits for both: after a (or b) nothing can go on
    net = _net([("i", "a"), ("i", "b"), ("a", "pa"), ("b", "pb"), ("pa", "j"), ("pb", "j"), ("j", "o")],
               {"a": "a", "b": "b", "j": None}, "i", "o")
    verdict = check_soundness(*net)
    assert verdict.status == "unsound" and "cannot be reached" in (verdict.reason or "")


def test_state_space_finds_a_dead_end_beside_a_good_path() -> None:
    # a ends the case; b leads to a place nothing consumes: the end is reachable, not always
    net = _net([("i", "a"), ("a", "o"), ("i", "b"), ("b", "p")], {"a": "a", "b": "b"}, "i", "o")
    verdict = check_soundness(*net)
    assert verdict.status == "unsound" and "from 1 reachable marking(s)" in (verdict.reason or "")


def test_state_space_finds_tokens_left_behind() -> None:
    # and split, but either branch alone ends the case: a token is left in the other
    net = _net([("i", "s"), ("s", "pa"), ("s", "pb"), ("pa", "a"), ("pb", "b"), ("a", "o"), ("b", "o")],
               {"s": None, "a": "a", "b": "b"}, "i", "o")
    verdict = check_soundness(*net)
    assert verdict.status == "unsound" and "tokens left" in (verdict.reason or "")


def test_state_space_finds_a_dead_transition() -> None:
    net = _net([("i", "a"), ("a", "o"), ("x", "d"), ("d", "o")], {"a": "a", "d": "d"}, "i", "o")
    verdict = check_soundness(*net)
    assert verdict.status == "unsound" and "never fire: d" in (verdict.reason or "")


def test_state_space_gives_up_on_an_unbounded_net() -> None:
    # a can fire for ever, each time adding a token to p: infinitely many markings
    net = _net([("i", "a"), ("a", "i"), ("a", "p"), ("i", "e"), ("e", "o")], {"a": "a", "e": "e"}, "i", "o")
    verdict = check_soundness(*net, max_states=500)
    assert verdict.status == "not_checked" and "more than 500 markings" in (verdict.reason or "")


def test_validate_judges_a_kept_net_on_its_state_space(tmp_path) -> None:
    from sop_models.builders import pnml_text
    from sop_models.validate import check_models

    deadlock = _net([("i", "a"), ("i", "b"), ("a", "pa"), ("b", "pb"), ("pa", "j"), ("pb", "j"), ("j", "o")],
                    {"a": "s001", "b": "s002", "j": None}, "i", "o")
    path = _model_file(tmp_path, {"and": ["s001", "s002"]}, 2, reference_net=pnml_text(*deadlock))
    assert check_model(load_model(path)) == []  # the fast check reads the net, judges no soundness
    lines = check_model_file(path)
    assert len(lines) == 1 and "reference_net is not a sound workflow net" in lines[0], lines
    unbounded = _net([("i", "a"), ("a", "i"), ("a", "p"), ("i", "e"), ("e", "o")],
                     {"a": "s001", "e": "s002"}, "i", "o")
    path = _model_file(tmp_path, {"and": ["s001", "s002"]}, 2, reference_net=pnml_text(*unbounded))
    notices: list[str] = []
    assert check_models([path], notices=notices, soundness_seconds=0.3) == []
    assert len(notices) == 1 and "not checked" in notices[0] and "uji-cek.yaml" in notices[0]
