"""The moment open cases are judged at (runs.as_of) and the on-time targets, on real runs."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from analytics import analyze
from analytics.as_of import describe, end_of_day, parse_as_of
from event_logs import registry, targets
from event_logs.scoped import apply_scope
from event_logs.simulator import simulate
from event_logs.store import open_store, transaction
from pantau.access.scope import Scope
from pantau.errors import AnalysisError, SopModelError
from sop_models import load_all
from sop_models.loader import build_model, read_yaml

BANJARBARU = "banjarbaru-dinsos-peserta-jkn"
BATAM = "batam-dinkes-integrasi-jkn"
WITA = ZoneInfo("Asia/Makassar")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("asof") / "s.duckdb"
    simulate(path, cases=400, seed=7, sop_ids=[BANJARBARU, BATAM])
    return path


def _copy(store: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "s.duckdb"
    shutil.copy(store, dest)
    return dest


def _one(db: Path, sql: str, params: list | None = None):
    con = open_store(db)
    try:
        return con.execute(sql, params or []).fetchone()
    finally:
        con.close()


def test_default_as_of_is_the_end_of_the_last_imported_day_on_the_local_clock(store, tmp_path) -> None:
    db = _copy(store, tmp_path)
    result = analyze(db)
    sop, last_ts = _one(db, "SELECT sop_id, max(ts) FROM events GROUP BY sop_id ORDER BY 2 DESC LIMIT 1")
    zone = next(m.timezone for m in load_all() if m.id == sop)
    (as_of,) = _one(db, "SELECT as_of FROM runs WHERE run_id = ?", [result.run_id])
    local = as_of.astimezone(ZoneInfo(zone))
    assert (local.hour, local.minute) == (0, 0)
    assert local.date() == last_ts.astimezone(ZoneInfo(zone)).date() + timedelta(days=1)
    assert result.as_of == describe(as_of, zone) and "24:00" in result.as_of


def test_a_later_as_of_judges_open_cases_later(store, tmp_path) -> None:
    db = _copy(store, tmp_path)
    analyze(db)
    late_then = _one(db, "SELECT count(*) FILTER (WHERE status = 'late'), count(*) FROM open_cases")
    (as_of,) = _one(db, "SELECT max(as_of) FROM runs")
    later = as_of + timedelta(days=60)
    analyze(db, as_of=later)
    late_now = _one(db, "SELECT count(*) FILTER (WHERE status = 'late'), count(*) FROM open_cases")
    assert late_now[1] == late_then[1] > 0  # the same open cases ...
    assert late_now[0] > late_then[0]       # ... more of them late two months on
    assert _one(db, "SELECT max(as_of) FROM runs")[0] == later


def test_as_of_before_the_latest_event_or_without_offset_is_refused(store, tmp_path) -> None:
    db = _copy(store, tmp_path)
    with pytest.raises(AnalysisError, match="lies before the latest event"):
        analyze(db, as_of="2020-01-01")
    with pytest.raises(AnalysisError, match="no UTC offset"):
        analyze(db, as_of="2025-01-15T10:00")
    assert _one(db, "SELECT count(*) FROM runs")[0] == 0  # nothing written


def test_as_of_text_forms() -> None:
    assert parse_as_of("2024-12-31", "Asia/Makassar") == datetime(2024, 12, 31, 16, 0, tzinfo=UTC)
    assert parse_as_of("2024-12-31T09:30+08:00", "Asia/Jakarta") == datetime(2024, 12, 31, 1, 30, tzinfo=UTC)
    assert end_of_day(datetime(2024, 12, 31, 15, 59, tzinfo=UTC), "Asia/Makassar") == \
        datetime(2024, 12, 31, 16, 0, tzinfo=UTC)
    assert describe(datetime(2024, 12, 31, 16, 0, tzinfo=UTC), "Asia/Makassar") == "2024-12-31 24:00 WITA"


def _target(db: Path, sop: str, agency: str) -> tuple[float, str]:
    return _one(db, "SELECT on_time_target(?, ?), on_time_target_source(?, ?)", [sop, agency, sop, agency])


def test_targets_agency_over_sop_over_model_over_default(store, tmp_path) -> None:
    db = _copy(store, tmp_path)
    analyze(db)
    agency = _one(db, "SELECT agency FROM case_checks WHERE sop_id = ? LIMIT 1", [BANJARBARU])[0]
    assert _target(db, BANJARBARU, agency) == (0.9, "default")
    # a model version that names its own target, in force from a later date: analysed with it
    model = next(m for m in load_all() if m.id == BANJARBARU)
    data = read_yaml(Path(model.path))
    data.update(target_on_time="75%", revision="99", effective="2000-01-02")
    text = Path(model.path).read_text(encoding="utf-8") + "\n# revision 99\n"
    con = open_store(db, read_only=False)
    with transaction(con):
        registry.register_model(con, build_model(data, model.path, text), text, origin="test", by="tester")
    con.close()
    analyze(db)
    assert _target(db, BANJARBARU, agency) == (0.75, "model")
    con = open_store(db, read_only=False)
    with transaction(con):
        targets.set_target(con, BANJARBARU, 0.8, by="kabid", reason="rapat 1 Des")
    assert _target_con(con, BANJARBARU, agency) == (0.8, "sop")
    with transaction(con):
        targets.set_target(con, BANJARBARU, 0.95, by="kadis", agency=agency)
    assert _target_con(con, BANJARBARU, agency) == (0.95, "agency")
    assert _target_con(con, BANJARBARU, "Dinas Lain") == (0.8, "sop")
    with transaction(con):
        targets.unset_target(con, BANJARBARU, by="kadis", agency=agency)
    assert _target_con(con, BANJARBARU, agency) == (0.8, "sop")
    assert len(targets.history(con)) == 3  # append-only: set, set, removed
    with pytest.raises(targets.TargetError, match="unknown SOP"):
        targets.set_target(con, "banjarbaru", 0.8, by="x")
    with pytest.raises(targets.TargetError, match="at most 1"):
        targets.set_target(con, BANJARBARU, 1.2, by="x")
    con.close()


def _target_con(con, sop: str, agency: str) -> tuple[float, str]:
    return con.execute("SELECT on_time_target(?, ?), on_time_target_source(?, ?)",
                       [sop, agency, sop, agency]).fetchone()


def test_a_scoped_user_sees_the_targets_of_its_agency_and_the_shared_ones(store, tmp_path) -> None:
    db = _copy(store, tmp_path)
    analyze(db)
    con = open_store(db, read_only=False)
    with transaction(con):
        targets.set_target(con, BATAM, 0.85, by="kadis", agency="Dinas Kesehatan Kota Batam")
        targets.set_target(con, BANJARBARU, 0.7, by="kadis", agency="Dinas Sosial Kota Banjarbaru")
        targets.set_target(con, BATAM, 0.8, by="kadis")
    con.close()
    scoped = apply_scope(open_store(db), Scope.of(["Dinas Kesehatan Kota Batam"]))
    seen = scoped.execute("SELECT sop_id, agency FROM targets ORDER BY ALL").fetchall()
    scoped.close()
    assert seen == [(BATAM, "Dinas Kesehatan Kota Batam"), (BATAM, None)]


@pytest.mark.parametrize(("value", "expected"), [(0.9, 0.9), ("90%", 0.9), ("87,5%", 0.875), (None, None)])
def test_model_target_forms(value, expected) -> None:
    model = next(m for m in load_all() if m.id == BATAM)
    data = read_yaml(Path(model.path))
    data["target_on_time"] = value
    assert build_model(data, model.path).target_on_time == expected


@pytest.mark.parametrize("value", [1.5, 0, "sembilan puluh", "-10%"])
def test_model_target_out_of_range_is_refused(value) -> None:
    model = next(m for m in load_all() if m.id == BATAM)
    data = read_yaml(Path(model.path))
    data["target_on_time"] = value
    with pytest.raises(SopModelError, match="target_on_time"):
        build_model(data, model.path)
