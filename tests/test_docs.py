"""Docs kept honest: every CLI command and option is documented in docs/cli.md, every table
and column of a real store is documented in docs/schema.md (as sqlite-utils' test_docs.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main

from pantau_cli import app

ROOT = Path(__file__).resolve().parents[1]
CLI_DOC = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")


def _commands(group: object, prefix: str = "pantau") -> list[tuple[str, object]]:
    # typer vendors its own click: duck-type groups and options instead of isinstance checks
    found = []
    if hasattr(group, "commands"):
        # a group that is a command too (`pantau accept --case ...`): its options are documented
        if prefix != "pantau" and any(p.param_type_name == "option" and "--help" not in p.opts for p in group.params):
            found.append((prefix, group))
        for name, cmd in group.commands.items():
            found += _commands(cmd, f"{prefix} {name}")
    else:
        found.append((prefix, group))
    return found


COMMANDS = _commands(typer.main.get_command(app))


def _section(title: str) -> str:
    match = re.search(rf"^## `{re.escape(title)}`\n(.*?)(?=^## |\Z)", CLI_DOC, re.S | re.M)
    return match.group(1) if match else ""


@pytest.mark.parametrize("path,command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_command_is_documented(path: str, command: object) -> None:
    section = _section(path)
    assert section, f"docs/cli.md has no section '## `{path}`'"
    for param in command.params:
        if param.param_type_name == "option" and "--help" not in param.opts:
            longest = max(param.opts, key=len)
            assert longest in section, f"option {longest} of '{path}' is not documented"


def test_no_documented_command_is_gone() -> None:
    documented = set(re.findall(r"^## `(pantau[^`]*)`", CLI_DOC, re.M))
    assert documented == {path for path, _ in COMMANDS}


def test_contributing_names_only_paths_that_exist() -> None:
    # the recipes list the files a change touches: they must stay true
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    paths = set(re.findall(r"`((?:pantau|pantau_cli|sop_models|event_logs|analytics|dashboard|tests|docs|bench)"
                           r"/[A-Za-z0-9_./*-]+)`", text))
    assert len(paths) > 20
    missing = sorted(p for p in paths if not list(ROOT.glob(p.rstrip("/"))))
    assert missing == []


def test_every_analysis_sql_file_declares_its_header() -> None:
    from analytics.sql_files import sql_file

    files = sorted(p.relative_to(ROOT / "analytics" / "sql").as_posix()
                   for p in (ROOT / "analytics" / "sql").rglob("*.sql"))
    layered = [f for f in files if "/" in f]
    assert {f.split("/")[0] for f in layered} == {"staging", "intermediate", "rules", "results", "calendar"}
    for name in layered:
        f = sql_file(name)  # raises when the header is missing or placeholders disagree
        assert f.outputs, name
