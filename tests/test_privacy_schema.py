"""Issue 10, schema: every quarantine kind Pantau can write has one reference row with its
Indonesian and English label (the vocabulary quarantine_kinds), and old quarantine rows get
their kind (migration 4)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from event_logs.ingest.pipeline import PROBLEM_KINDS
from event_logs.ingest.staging import kind_code
from event_logs.store import MIGRATIONS, open_store, sql_text


def test_every_kind_has_one_reference_row_with_both_labels(tmp_path: Path) -> None:
    con = open_store(tmp_path / "s.duckdb", read_only=False)
    try:
        rows = con.execute("SELECT kind, label_id, label_en, description_en FROM ref_quarantine_kinds").fetchall()
    finally:
        con.close()
    assert {r[0] for r in rows} == {kind_code(k) for k in PROBLEM_KINDS}
    assert all(label_id and label_en and len(description) > 20 for _, label_id, label_en, description in rows)
    assert len({r[1] for r in rows}) == len(rows) == len({r[2] for r in rows})


def test_old_quarantine_rows_get_their_kind_from_the_reason(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    for version in (1, 2, 3):  # a store as schema version 3 left it
        con.execute(sql_text(f"migrations/{MIGRATIONS[version]}"))
    con.execute("INSERT INTO schema_info VALUES ('schema_version', '3'), ('pantau_version', 'old')")
    con.execute("INSERT INTO quarantine (import_id, source_row, raw, reason) VALUES "
                "(1, 1, NULL, 'missing case_id; unparsable timestamp ''x'''), "
                "(1, 2, NULL, 'unknown lifecycle ''suspend'''), (1, 3, NULL, 'too many fields'), "
                "(1, 4, NULL, 'something else')")
    con.close()
    con = open_store(db, read_only=False)
    try:
        got = con.execute("SELECT source_row, kind FROM quarantine ORDER BY 1").fetchall()
    finally:
        con.close()
    assert got == [(1, "missing_case_id"), (2, "unknown_lifecycle"), (3, "too_many_fields"), (4, None)]
