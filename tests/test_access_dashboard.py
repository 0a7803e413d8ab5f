"""The dashboard's side of access: nothing shows before a login, texts exist for every role,
event and refusal, and what is recorded is guarded against NIKs as the store is."""

from __future__ import annotations

import duckdb
import pytest
from dashboard_fixture import session_db
from streamlit.testing.v1 import AppTest

from dashboard import app_path, i18n
from dashboard.auth import safe_text
from event_logs.ingest.pii import guard_sql, load_secret
from pantau import audit
from pantau.access import roles


def test_texts_exist_for_every_role_event_and_refusal() -> None:
    keys = ([f"role_{r}" for r in roles.ROLES] + [f"event_{e}" for e in audit.EVENTS]
            + [f"denied_{w}" for w in ("agency", "sop", "unit", "case", "page")])
    assert [k for k in keys if k not in i18n.STRINGS] == []


@pytest.mark.parametrize("value", ["3171011203850001", "3171 0112 0385 0001", "3171.01.120385.0001",
                                   "NIK ayah 3171011203850001 di KK", "BTM-2024-000123", "081234567890", "hubungi +62 812-3456-7890 ya", ""])
def test_recorded_text_is_guarded_as_the_store_guards_it(value: str) -> None:
    con = duckdb.connect()
    expected = con.execute(f"SELECT {guard_sql('v', load_secret())} FROM (SELECT ? AS v)",
                           [value]).fetchall()[0][0]
    con.close()
    assert safe_text(value) == expected


def test_nothing_shows_before_a_login(monkeypatch, tmp_path_factory) -> None:
    db = session_db(tmp_path_factory.getbasetemp(), "fixture")
    monkeypatch.setenv("PANTAU_DB", str(db))
    monkeypatch.setenv("PANTAU_AUTH", "local")
    at = AppTest.from_file(str(app_path()), default_timeout=60)
    at.query_params = {"agency": "Dinas Kesehatan Kota Batam"}
    at.switch_page("views/ringkasan.py")
    at.run()
    assert [e.value for e in at.exception] == []
    assert [t.label for t in at.text_input] == ["Nama pengguna", "Kata sandi"]
    assert len(at.metric) == 0 and len(at.dataframe) == 0
