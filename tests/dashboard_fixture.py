"""Stores for the dashboard tests and benchmark, built by the real pipeline.

Every store with results is made by ``simulate`` then ``analyze`` (issue 11: the dashboard
tests read results ``pantau analyze`` wrote, never a hand-written copy of its meanings).
``session_db(base, kind)`` shares one store per kind across a test session.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from streamlit.testing.v1 import AppTest

from dashboard import app_path
from event_logs.store import init_store
from sop_models.flow import happy_path


def build_results_db(path: str | Path, cases: int = 60, *, seed: int = 7,
                     sop_ids: list[str] | None = None) -> Path:
    """Simulate ``cases`` cases (of ``sop_ids``, default every bundled SOP) and analyse them."""
    from analytics import analyze
    from event_logs.simulator import simulate

    path = Path(path)
    simulate(path, cases=cases, seed=seed, sop_ids=sop_ids)
    analyze(path)
    return path


def simulated_db(path: str | Path, cases: int = 300, seed: int = 20250) -> Path:
    """A store built by the real pipeline: ``simulate`` then ``analyze`` (a few seconds)."""
    return build_results_db(path, cases=cases, seed=seed)


def session_db(base: Path, kind: str) -> Path:
    """One database per test session and kind, shared by every dashboard test module.

    ``kind``: ``fixture`` (simulate + analyze, 120 cases), ``simulated`` (300 cases),
    ``empty`` (schema only), ``unanalysed`` (events of a simulation, no analysis). Built on
    first use under ``base`` (the session's temporary directory).
    """
    path = Path(base) / "dashboard_dbs" / f"{kind}.duckdb"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_name(path.name + ".building")
    building.unlink(missing_ok=True)
    if kind == "fixture":
        build_results_db(building, cases=120, seed=7)
    elif kind == "simulated":
        simulated_db(building)
    elif kind == "empty":
        init_store(building)
    elif kind == "unanalysed":
        from event_logs.simulator import simulate

        simulate(building, cases=40, seed=3)
    else:
        raise ValueError(kind)
    building.rename(path)
    return path


def write_upload_csv(path: str | Path, sop_id: str = "batam-dinkes-jaminan-rs", cases: int = 12,
                     prefix: str = "UPL") -> Path:
    """A small CSV event log as an office would export it: Indonesian headers, ';' separated,
    the SOP's step names as activities, one completion per step in office hours."""
    from datetime import datetime, timedelta

    from sop_models import get_model

    model = get_model(sop_id)
    path = Path(path)
    steps = [model.step(s) for s in happy_path(model.flow) if model.step(s).scope == "case"]
    lines = ["No Registrasi;Kegiatan;Tanggal;Petugas"]
    for i in range(cases):
        ts = datetime(2024, 6, 3 + (i % 4), 8, 30) + timedelta(minutes=7 * i)
        for k, step in enumerate(steps):
            ts += timedelta(minutes=4 + (i * 3 + k * 5) % 17)
            lines.append(f"{prefix}-{i + 1:04d};{step.name};{ts:%Y-%m-%d %H:%M:%S};Petugas {1 + k % 3}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def quarantine_at_scale(path: str | Path, rows: int = 200_000, reasons: int = 100_000,
                        sop_id: str = "batam-dinkes-integrasi-jkn") -> Path:
    """A store whose one import quarantined ``rows`` rows with ``reasons`` distinct reasons (of
    three kinds, as ingest words them), written in SQL in a second or two: what a broken
    export of a large log leaves behind, for the Data page's scale test and benchmark."""
    import duckdb

    path = Path(path)
    init_store(path)
    con = duckdb.connect(str(path))
    try:
        con.execute("""
            INSERT INTO imports VALUES (1, 'rusak.csv', repeat('0', 64), 'csv', ?, 'Dinas Kesehatan Kota Batam',
                NULL, ? + 10, 10, ?, 0, now(), now(), 'test')""", [sop_id, rows, rows])
        # reason r of kind r % 3; every reason has rows // reasons rows (the first ones one more)
        con.execute(f"""
            INSERT INTO quarantine (import_id, source_row, raw, reason, kind)
            SELECT 1, i + 1, json_object('case_id', 'R' || i, 'timestamp', 'x' || (i % {reasons})),
                   CASE (i % {reasons}) % 3
                        WHEN 0 THEN 'unparsable timestamp ''' || (i % {reasons}) || '/13/2024'''
                        WHEN 1 THEN 'implausible timestamp ''' || (i % {reasons}) || '-01-01'' (before 1990-01-01)'
                        ELSE 'unknown lifecycle (' || (i % {reasons}) || ' characters, not shown)' END,
                   CASE (i % {reasons}) % 3 WHEN 0 THEN 'unparsable_timestamp'
                        WHEN 1 THEN 'implausible_timestamp' ELSE 'unknown_lifecycle' END
            FROM range({rows}) t(i)""")
    finally:
        con.close()
    return path


def store_rows(db: str | Path, sql: str, params: list | None = None) -> list[tuple]:
    """The rows of ``sql`` on ``db``, read through a read-only connection closed at once."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def open_page(monkeypatch, db: str | Path, page: str = "ringkasan", params: dict | None = None, *,
              errors_ok: bool = False) -> AppTest:
    """Run the app on ``db`` in AppTest and open ``page`` (its file name under views/) with
    ``params`` as URL parameters; fail on any exception element, and on any error element
    unless ``errors_ok``."""
    monkeypatch.setenv("PANTAU_DB", str(db))
    at = AppTest.from_file(str(app_path()), default_timeout=60)
    at.query_params = dict(params or {})
    if page != "ringkasan":
        # url paths equal the file names, so the page can be chosen before the first run
        at.switch_page(f"views/{page}.py")
    at.run()
    assert [e.value for e in at.exception] == []
    if not errors_ok:
        assert [e.value for e in at.error] == []
    return at
