"""Issue 14, "stored data becomes invisible if a model is removed": the store holds the model,
so a bundled model file that disappears, or a user's model file deleted after 'sop add',
takes nothing with it: the next analysis and the dashboard's queries still find the data."""

from __future__ import annotations

import os

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from registry_helpers import SOP_ID, cli, write_log, write_model

from analytics import analyze
from dashboard import catalog, data, queries
from dashboard.filters import Filters
from event_logs.simulator import simulate
from event_logs.store import open_store
from sop_models import loader

GONE = "batam-dinkes-jaminan-rs"


def _shown(db: Path) -> tuple[set[str], dict[str, int]]:
    """The SOPs the dashboard's catalog lists and the cases its overview counts per SOP."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        cat = catalog.build(*(queries.QUERIES[n](con, Filters()) for n in data.CATALOG_QUERIES))
        by_sop = queries.QUERIES["overview_by_sop"](con, Filters())
        return set(cat.sop_ids), {r["sop_id"]: int(r["cases"]) for _, r in by_sop.iterrows()}
    finally:
        con.close()


def test_data_stays_visible_when_a_bundled_model_file_is_removed(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "s.duckdb"
    simulate(db, cases=40, seed=3, sop_ids=[GONE, "batam-dinkes-integrasi-jkn"])
    analyze(db)
    sops, cases = _shown(db)
    assert GONE in sops and cases[GONE] > 0
    # the package loses the file (an upgrade that retires the SOP, a deleted file)
    folder = tmp_path / "models"
    shutil.copytree(loader.MODELS_DIR, folder)
    (folder / f"{GONE}.yaml").unlink()
    monkeypatch.setattr(loader, "MODELS_DIR", folder)
    assert GONE not in {m.id for m in loader.load_all()}
    open_store(db, read_only=False).close()  # a writable open syncs the bundled files: nothing is dropped
    run = analyze(db)
    assert GONE in run.sop_ids
    assert _shown(db) == (sops, cases)


def test_data_stays_visible_when_the_added_model_file_is_deleted(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.duckdb"
    model = write_model(tmp_path / "mine")
    assert cli(["sop", "add", str(model), "--db", str(db), "--confirm", "--by", "ina"], capsys)[0] == 0
    model.unlink()
    log = write_log(tmp_path / "log.csv", [datetime(2024, 3, 4, 9), datetime(2024, 3, 5, 10)], [30, 45])
    assert cli(["ingest", str(log), "--db", str(db), "--sop", SOP_ID, "-q"], capsys)[0] == 0
    assert cli(["analyze", "--db", str(db), "-q"], capsys)[0] == 0
    sops, cases = _shown(db)
    assert SOP_ID in sops and cases[SOP_ID] == 2
