"""Imports point one way: pantau (shared base) <- sop_models <- event_logs <- analytics <- dashboard
<- pantau_cli (the command-line shell).

Also: pm4py is used only where the design says (builders/exports and the one conformance
bridge), and the dashboard never imports the analytics computations it only reads.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["pantau", "sop_models", "event_logs", "analytics", "dashboard", "pantau_cli"]

# package -> packages it must not import
FORBIDDEN = {
    "pantau": {"sop_models", "event_logs", "analytics", "dashboard", "pantau_cli"},
    "sop_models": {"event_logs", "analytics", "dashboard", "pantau_cli"},
    "event_logs": {"analytics", "dashboard", "pantau_cli"},
    "analytics": {"dashboard", "pantau_cli"},
    "dashboard": {"pantau_cli"},
}
PM4PY_ALLOWED = {
    "sop_models/builders.py",
    "sop_models/export.py",
    "sop_models/validate.py",
    "analytics/pm4py_bridge.py",
}
# the only dashboard module allowed to start analytics and imports (in a separate process)
DASHBOARD_ANALYTICS_ALLOWED = {"dashboard/jobs.py"}
# ... and the one that reads an uploaded file for its preview (in a separate process too)
DASHBOARD_READER_ALLOWED = {"dashboard/preview_job.py"}
# the dashboard reads models and results from the store only: never the model files, never
# the importer (issue 11: a page showing a run shows that run's model after the YAML changed)
DASHBOARD_STORE_ONLY = {"sop_models", "event_logs.ingest", "event_logs.registry", "event_logs.mapping"}
# ... except the personal-data rules, which guard what the audit log records as the store guards it
DASHBOARD_PRIVACY_RULES = {"event_logs.ingest.pii"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules() -> list[Path]:
    return [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]


def _hits(imported: set[str], banned: set[str]) -> set[str]:
    return {m for m in imported for b in banned if m == b or m.startswith(b + ".")}


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_one_way(path: Path) -> None:
    rel = path.relative_to(ROOT).as_posix()
    package = rel.split("/")[0]
    imported = _imports(path)
    banned = set(FORBIDDEN.get(package, set()))
    if package == "dashboard" and rel in DASHBOARD_READER_ALLOWED:
        banned |= {"analytics", *(DASHBOARD_STORE_ONLY - {"event_logs.ingest"})}
    elif package == "dashboard" and rel not in DASHBOARD_ANALYTICS_ALLOWED:
        banned |= {"analytics", *DASHBOARD_STORE_ONLY}
    hits = _hits(imported, banned) - (DASHBOARD_PRIVACY_RULES if package == "dashboard" else set())
    assert not hits, f"{rel} imports {hits}"
    if rel not in PM4PY_ALLOWED:
        assert not _hits(imported, {"pm4py"}), f"{rel} imports pm4py; only {sorted(PM4PY_ALLOWED)} may"


def test_library_never_imports_the_cli() -> None:
    offenders = [
        p.relative_to(ROOT).as_posix()
        for p in _modules()
        if not p.relative_to(ROOT).as_posix().startswith("pantau_cli/")
        and _hits(_imports(p), {"pantau_cli", "typer"})
    ]
    assert offenders == []


def test_no_module_is_a_gravity_well() -> None:
    """Modules stay short (split by concept past ~400 lines); 500 is the hard stop."""
    long = {p.relative_to(ROOT).as_posix(): n for p in _modules() if (n := len(p.read_text().splitlines())) > 500}
    assert long == {}
