"""Model files read with libyaml's parser give what the pure-Python parser gives.

``sop_models.loader`` parses with PyYAML's C parser where it exists (the bundled models are
read by every new store and every import: ~0.7 s in Python, ~0.07 s in C); the rules of the
loader (YAML 1.2 booleans, a key given twice is an error) must hold the same on both.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sop_models import loader

ROOT = Path(__file__).resolve().parents[1]
PLAIN = loader.model_loader(yaml.SafeLoader)
FILES = sorted({*loader.model_paths(), *(ROOT / "tests" / "fixtures").rglob("*.yaml")})


def test_the_fast_parser_is_the_one_in_use() -> None:
    assert yaml.__with_libyaml__ and issubclass(loader._ModelLoader, yaml.CSafeLoader)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_model_file_reads_as_with_the_python_parser(path: Path) -> None:
    text = path.read_text(encoding="utf-8")

    def read(kind: type) -> object:
        try:
            return yaml.load(text, Loader=kind)
        except yaml.YAMLError as exc:  # a fixture that is broken on purpose: broken alike
            mark = getattr(exc, "problem_mark", None)
            return ("error", type(exc).__name__, mark.line if mark else None)

    assert read(loader._ModelLoader) == read(PLAIN)


@pytest.mark.parametrize("text, wanted", [
    ("no: 1\nx: yes\ny: true\n", {"no": 1, "x": "yes", "y": True}),
    ("a:\n  b: 1\n  b: 2\n", "key 'b' is given twice (first on line 2)"),
])
def test_the_loader_rules_hold_on_the_fast_parser(text: str, wanted: object) -> None:
    if isinstance(wanted, dict):
        assert loader.read_yaml_text(text, "m.yaml") == wanted
    else:
        with pytest.raises(Exception, match=r"given twice \(first on line 2\)"):
            loader.read_yaml_text(text, "m.yaml")
