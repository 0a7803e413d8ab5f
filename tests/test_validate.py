"""Model-file checks: each kind of problem in a fixture file gives its line; real models pass."""

from __future__ import annotations

import os

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")  # validate builds nets with pm4py

from pathlib import Path

import pytest

from pantau.errors import ModelValidationError
from sop_models.loader import model_paths
from sop_models.validate import check_model_file, check_models, require_valid

FIXTURES = Path(__file__).parent / "fixtures" / "models"
BAD = FIXTURES / "bad"

# file -> the fragments one problem line must hold (besides the file name); each fixture
# file's first comment line says what is wrong with it.
EXPECTED: dict[str, list[list[str]]] = {
    "bad-yaml.yaml": [["not valid YAML", "line"]],
    "duplicate-key.yaml": [["not valid YAML", "key 'waktu' is given twice (first on line 15)", "line 16"]],
    "unknown-keys.yaml": [
        ["unknown key 'titel'", "'title'"],
        ["'title' is missing"],
        ["step s02:", "unknown key 'waktuu'", "'waktu'"],
    ],
    "missing-fields.yaml": [["'agency' is missing"], ["step s02:", "'name' is missing"]],
    "unknown-lane.yaml": [["step s02:", "lane 'Kepala Dnas'", "'Kepala Dinas'"]],
    "duplicate-step.yaml": [["step s02:", "duplicate step id"]],
    "duplicate-name.yaml": [["step s01:", "reads like the name of step s03", "distinct name"]],
    "missing-from-flow.yaml": [["step s03:", "missing from the flow"]],
    "twice-in-flow.yaml": [["step s02:", "2 times in the flow"]],
    "program-in-flow.yaml": [["step s03:", "program step", "in the flow"]],
    "unknown-flow-step.yaml": [["step s04:", "in the flow but not in steps"]],
    "bad-waktu.yaml": [["step s02:", "Waktu", "30 detik"]],
    "bad-lane-source.yaml": [["step s01:", "lane_source 'guessed'"]],
    "bad-four-eyes.yaml": [["four_eyes", "unknown step 's09'"]],
    "unused-per-units.yaml": [["per_units key 'E-ID'", "not used"]],
    "heading-problems.yaml": [["id 'heading-problem'", "file name"], ["timezone 'Asia/Batam'"]],
}


def test_every_bad_fixture_has_expectations() -> None:
    assert sorted(EXPECTED) == sorted(p.name for p in BAD.glob("*.yaml"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_fixture_gives_expected_lines(name: str) -> None:
    lines = check_model_file(BAD / name)
    assert lines, f"{name}: no problem found"
    assert all(line.split(": ")[0].endswith(name) for line in lines), lines
    for fragments in EXPECTED[name]:
        assert any(all(f in line for f in fragments) for line in lines), (fragments, lines)
    # nothing but the fixture's own problem(s): one line per expected problem
    assert len(lines) == len(EXPECTED[name]), lines


def test_one_broken_file_does_not_hide_the_others() -> None:
    files = [BAD / "bad-yaml.yaml", BAD / "unknown-lane.yaml", BAD / "twice-in-flow.yaml"]
    lines = check_models(files)
    for f in files:
        assert any(f.name in line for line in lines), f.name


def test_duplicate_sop_id_across_files() -> None:
    one, two = FIXTURES / "duplicate-id" / "one" / "fx-dup.yaml", FIXTURES / "duplicate-id" / "two" / "fx-dup.yaml"
    assert check_model_file(one) == [] and check_model_file(two) == []
    lines = check_models([one, two])
    assert len(lines) == 1
    assert "two/fx-dup.yaml" in lines[0] and "'fx-dup'" in lines[0] and "one/fx-dup.yaml" in lines[0]


def test_fixture_models_are_valid() -> None:
    good = model_paths(FIXTURES / "good")
    assert good
    assert check_models(good) == []


def test_real_models_have_no_problems() -> None:
    assert model_paths(), "no curated models in sop_models/models"
    assert check_models() == []
    require_valid()


def test_require_valid_and_progress() -> None:
    seen: list[tuple[int, int]] = []
    files = [BAD / "duplicate-step.yaml", *model_paths(FIXTURES / "good")]
    lines = check_models(files, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    with pytest.raises(ModelValidationError) as info:
        require_valid(files)
    assert info.value.problems == lines
