"""A new store whose schema is made in a thread (store.open_store_early) is the store open_store makes."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from event_logs.store import open_store, open_store_early, schema_version
from pantau.errors import StoreError

# what two stores made by two opens may differ in (when they were made)
_CATALOG = ("SELECT database_name <> 'temp', schema_name, table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE database_name NOT IN ('system', 'temp') ORDER BY ALL")
_VIEWS = "SELECT schema_name, view_name, sql FROM duckdb_views() WHERE NOT internal AND NOT temporary ORDER BY ALL"


def _contents(db: Path) -> tuple[list, list, dict[str, list]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
                                            "AND NOT temporary ORDER BY 1").fetchall()]
        rows = {}
        for t in tables:  # every stored row but the moment it was written
            cols = [r[0] for r in con.execute(f"DESCRIBE {t}").fetchall()
                    if r[1] not in ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE")]
            rows[t] = sorted(map(repr, con.execute(f"SELECT {', '.join(cols)} FROM {t}").fetchall()))
        return con.execute(_CATALOG).fetchall(), con.execute(_VIEWS).fetchall(), rows
    finally:
        con.close()


def test_an_early_open_makes_the_store_open_store_makes(tmp_path: Path) -> None:
    plain, early = tmp_path / "plain.duckdb", tmp_path / "sub" / "early.duckdb"
    open_store(plain, read_only=False).close()
    con, pending = open_store_early(early)
    try:
        assert pending.new
        con.execute("CREATE TEMP TABLE scratch AS SELECT range AS n FROM range(200000)")  # work meanwhile
        pending.ready()
        assert schema_version(con) > 0
        assert con.execute("SELECT count(*) FROM scratch").fetchall()[0][0] == 200000
    finally:
        pending.wait()
        con.close()
    catalog, views, rows = _contents(early)
    assert catalog and rows["models"] and rows["schema_info"]
    assert (catalog, views, rows) == _contents(plain)


def test_an_existing_store_is_opened_as_before(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    open_store(db, read_only=False).close()
    con, pending = open_store_early(db)
    try:
        assert not pending.new
        pending.ready()
        assert schema_version(con) > 0
    finally:
        pending.wait()
        con.close()


def test_a_failing_migration_is_raised_by_ready(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from event_logs import store

    def broken(con: duckdb.DuckDBPyConnection, *, path: str = "<db>") -> int:
        raise StoreError("migration failed", file=path)

    monkeypatch.setattr(store, "migrate", broken)
    con, pending = open_store_early(tmp_path / "new.duckdb")
    try:
        with pytest.raises(StoreError, match="migration failed"):
            pending.ready()
    finally:
        pending.wait()
        con.close()
