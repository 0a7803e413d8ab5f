"""A writable open migrates and refreshes the contract in one transaction.

A new store used to commit once per migration (15 commits, ~1 s of waiting on the disk); now
the pending migrations and the contract refresh commit together, so a migration that fails
leaves the store exactly as it was, with no half-applied schema version.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from event_logs import store


def _tables(path: Path) -> list[str]:
    con = duckdb.connect(str(path))
    try:
        return sorted(r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall())
    finally:
        con.close()


def test_a_failing_migration_leaves_a_new_store_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    last = f"migrations/{store.MIGRATIONS[store.SCHEMA_VERSION]}"
    real = store.sql_text
    monkeypatch.setattr(store, "sql_text", lambda name: "CREATE TABLE half_done (x INTEGER); SELECT error('boom')"
                        if name == last else real(name))
    db = tmp_path / "new.duckdb"
    with pytest.raises(duckdb.Error, match="boom"):
        store.open_store(db, read_only=False)
    assert _tables(db) == []  # not even the first migration's tables


def test_a_new_store_opens_at_the_current_version_with_its_contract(tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    con = store.open_store(db, read_only=False)
    try:
        assert store.schema_version(con) == store.SCHEMA_VERSION
        assert con.execute("SELECT count(*) FROM models").fetchall()[0][0] >= 5
        assert con.execute("SELECT count(*) FROM ref_quarantine_kinds").fetchall()[0][0] > 0
    finally:
        con.close()
    con = store.open_store(db, read_only=False)  # a second writable open: nothing pending, the same contract
    try:
        assert store.schema_version(con) == store.SCHEMA_VERSION
        assert con.execute("SELECT count(*) FROM models").fetchall()[0][0] >= 5
    finally:
        con.close()
