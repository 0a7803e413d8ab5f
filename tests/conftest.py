"""Shared fixtures: one small simulated-and-analysed store per test session.

Real data paths only: the SOP models from sop_models/models, the simulator, the real
DuckDB file, the real analysis. Tests that need it take ``analysed_db`` (read it with
``event_logs.open_store``; do not write to it — copy it first if you must).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")
# HMAC key for tests: never the user's key file
os.environ.setdefault("PANTAU_SECRET", "pantau-test-secret")

SIM_CASES = 2500
SIM_SEED = 20241


@pytest.fixture(scope="session")
def analysed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with ~2,500 simulated cases over the five SOPs, analysed once."""
    from analytics import analyze
    from event_logs.simulator import simulate

    path = tmp_path_factory.mktemp("store") / "sim.duckdb"
    simulate(path, cases=SIM_CASES, seed=SIM_SEED)
    analyze(path)
    return path
