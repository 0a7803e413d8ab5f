"""The settings file: every setting documented with its default, typos and wrong types refused."""

from __future__ import annotations

import re
from dataclasses import fields, is_dataclass
from pathlib import Path

import pytest

from pantau.config import Settings, load_settings
from pantau.errors import ConfigError

DOC = (Path(__file__).resolve().parents[1] / "docs" / "config.md").read_text(encoding="utf-8")


def _documented() -> dict[str, dict[str, str]]:
    """section -> key -> default, from the tables of docs/config.md."""
    out: dict[str, dict[str, str]] = {}
    for section, body in re.findall(r"^## `\[([a-z_.]+)\]`\n(.*?)(?=^## |\Z)", DOC, re.M | re.S):
        out[section] = dict(re.findall(r"^\| `([a-z_]+)` \| `([^`]*)` \|", body, re.M))
    return out


def _sections(value: object, name: str) -> dict[str, dict[str, object]]:
    """section name -> key -> default; a nested dataclass is its own section ``[a.b]``."""
    out: dict[str, dict[str, object]] = {name: {}}
    for f in fields(value):
        inner = getattr(value, f.name)
        if is_dataclass(inner):
            out.update(_sections(inner, f"{name}.{f.name}"))
        else:
            out[name][f.name] = inner
    return out


def test_every_setting_is_documented_with_its_default() -> None:
    defaults = Settings()
    code: dict[str, dict[str, object]] = {}
    for f in fields(Settings):
        if f.name != "path":
            code.update(_sections(getattr(defaults, f.name), f.name))
    documented = _documented()
    assert set(documented) == set(code)
    for section, keys in code.items():
        assert set(documented[section]) == set(keys), section
        for key, value in keys.items():
            shown = f'"{value}"' if isinstance(value, str) else str(value)
            assert documented[section][key] == shown, f"[{section}] {key}"


def test_the_example_in_the_docs_reads_as_the_defaults(tmp_path: Path) -> None:
    example = re.search(r"```toml\n(.*?)```", DOC, re.S).group(1)
    path = tmp_path / "pantau.toml"
    path.write_text(example, encoding="utf-8")
    settings = load_settings(path)
    assert settings == Settings(path=path)


def test_a_file_beside_the_store_is_found_and_values_are_typed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("PANTAU_CONFIG", raising=False)
    (tmp_path / "pantau.toml").write_text("[analysis]\nalign_seconds_total = 10\n", encoding="utf-8")
    settings = load_settings(store=tmp_path / "x.duckdb")
    assert settings.analysis.align_seconds_total == 10.0
    assert isinstance(settings.analysis.align_seconds_total, float)
    assert settings.path == tmp_path / "pantau.toml"
    assert load_settings(store=tmp_path / "sub" / "x.duckdb").path is None


@pytest.mark.parametrize(("text", "message"), [
    ("[ingest]\nmax_row = 5\n", "has no setting 'max_row'"),
    ("[ingest]\nmax_rows = 'many'\n", "is not int"),
    ("[ingest]\nmax_rows = true\n", "is not int"),
    ("[ingets]\nmax_rows = 5\n", "unknown section"),
    ("[ingest\n", "not valid TOML"),
])
def test_bad_settings_name_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "pantau.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as err:
        load_settings(path)
    assert str(path) in str(err.value) and "Hint:" in str(err.value)
