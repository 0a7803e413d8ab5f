"""Agencies and SOPs with no data do not appear in the filters (issue 14, point 7).

Every store starts with the five bundled SOPs of four agencies; this one holds cases of two
SOPs only: Batam RS (Dinas Kesehatan Kota Batam) and Banjarbaru (Dinas Sosial Kota Banjarbaru).
Batam's other SOP (batam-dinkes-integrasi-jkn), DKI's and Musi Banyuasin's are registered and
have no case: no picker may offer them, to a user who sees every agency or to one scoped to
Batam (who must not see Banjarbaru either).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from registry_helpers import cli
from streamlit.testing.v1 import AppTest

from analytics import analyze
from dashboard import app_path
from event_logs.ingest import ingest_file

BATAM, BANJARBARU = "Dinas Kesehatan Kota Batam", "Dinas Sosial Kota Banjarbaru"
RS, BJB = "batam-dinkes-jaminan-rs", "banjarbaru-dinsos-peserta-jkn"
PASSWORD = "rahasia-batam-2024"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("filters")
    store = folder / "s.duckdb"
    # (Banjarbaru's s01 and s02 are done once per programme period: its cases start at s03)
    for sop, name, a, b in ((RS, "rs", "s01", "s02"), (BJB, "bjb", "s03", "s04")):
        path = folder / f"{name}.csv"
        path.write_text(f"case_id,activity,timestamp\n{name}1,{a},2024-07-01 09:00\n{name}1,{b},2024-07-01 09:10\n"
                        f"{name}2,{a},2024-07-03 09:00\n", encoding="utf-8")
        ingest_file(store, path, sop_id=sop)
    analyze(store)
    return store


def _run(at: AppTest) -> AppTest:
    at.run()
    assert [e.value for e in at.exception] == [] and [e.value for e in at.error] == []
    return at


def _pickers(at: AppTest) -> tuple[list[str], list[str]]:
    agency = at.sidebar.selectbox(key="agency")
    sop = at.sidebar.selectbox(key="sop")
    return list(agency.options), list(sop.options)


def _app(monkeypatch: pytest.MonkeyPatch, db: Path, page: str) -> AppTest:
    monkeypatch.setenv("PANTAU_DB", str(db))
    at = AppTest.from_file(str(app_path()), default_timeout=60)
    at.query_params = {"lang": "EN"}
    at.switch_page(f"views/{page}.py")
    return at


def test_the_store_registers_sops_without_data(db: Path) -> None:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    registered = {r[0] for r in con.execute("SELECT DISTINCT sop_id FROM models").fetchall()}
    with_cases = {r[0] for r in con.execute("SELECT DISTINCT sop_id FROM case_checks").fetchall()}
    con.close()
    assert with_cases == {RS, BJB} and len(registered - with_cases) >= 3


@pytest.mark.parametrize("page", ["ringkasan", "lane", "deviasi"])
def test_no_picker_offers_an_agency_or_sop_without_cases(monkeypatch: pytest.MonkeyPatch, db: Path, page: str) -> None:
    at = _run(_app(monkeypatch, db, page))
    agencies, sops = _pickers(at)
    assert agencies == [BATAM, BANJARBARU]
    _only_the_two(sops)
    # the one-SOP pickers of the Lane and Deviasi pages offer the same two
    for box in (s for s in at.selectbox if s.key in ("lane_sop", "dev_sop")):
        _only_the_two(list(box.options))


def _only_the_two(labels: list[str]) -> None:
    """The pickers show titles: Batam RS's and Banjarbaru's, none of the three without cases."""
    text = [s.lower() for s in labels]
    assert len(text) == 2, labels
    assert any("jaminan pembiayaan" in s for s in text) and any("peserta jaminan" in s for s in text), labels
    assert not any(w in s for s in text for w in ("integrasi", "wbs", "uhc")), labels


def test_a_scoped_user_sees_only_the_agencys_sops_with_cases(monkeypatch: pytest.MonkeyPatch, db: Path,
                                                            tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "scoped.duckdb"
    store.write_bytes(db.read_bytes())
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, _, err = cli(["user", "add", "budi", "--role", "kepala_dinas", "--agency", BATAM, "--password-stdin",
                        "--db", str(store)], capsys)
    assert code == 0, err
    monkeypatch.setenv("PANTAU_AUTH", "local")
    at = _run(_app(monkeypatch, store, "ringkasan"))
    at.text_input(key="login_name").input("budi")
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click()
    at = _run(at)
    agencies, sops = _pickers(at)
    assert agencies == [BATAM]
    # Batam's other SOP is registered and has no case: not offered
    assert len(sops) == 1 and "jaminan pembiayaan" in sops[0].lower(), sops
