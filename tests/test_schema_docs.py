"""docs/schema.md kept honest in both directions (the idea of sqlite-utils' test_docs.py).

Every table, view and column of a real database appears in docs/schema.md under its own
``## `table` `` section with the right type, in the database's column order, and the file
documents nothing that a real database lacks. Checked on the schema the code creates
(``init_store``, i.e. every migration, + the calendar install) and on a fully simulated
and analysed store (the ``analysed_db`` fixture). The SQL examples of the file run too.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from analytics.calendar import CalendarSpec, install_calendar
from event_logs.store import init_store, open_store

ROOT = Path(__file__).resolve().parents[1]
DOC_PATH = ROOT / "docs" / "schema.md"
DOC = DOC_PATH.read_text(encoding="utf-8")

# DuckDB spells some types differently in information_schema than in our DDL; documented
# types may use either spelling. Multi-word names first, then single tokens.
_MULTIWORD = {
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ",
    "TIMESTAMP WITHOUT TIME ZONE": "TIMESTAMP",
    "DOUBLE PRECISION": "DOUBLE",
    "CHARACTER VARYING": "VARCHAR",
}
_TOKENS = {
    "INT": "INTEGER", "INT4": "INTEGER", "SIGNED": "INTEGER",
    "INT8": "BIGINT", "LONG": "BIGINT",
    "INT2": "SMALLINT", "SHORT": "SMALLINT",
    "FLOAT8": "DOUBLE", "FLOAT4": "FLOAT", "REAL": "FLOAT",
    "TEXT": "VARCHAR", "STRING": "VARCHAR", "CHAR": "VARCHAR", "BPCHAR": "VARCHAR",
    "BOOL": "BOOLEAN", "LOGICAL": "BOOLEAN",
    "DATETIME": "TIMESTAMP",
}


def normalise_type(name: str) -> str:
    """A canonical spelling of a DuckDB type (``TIMESTAMP WITH TIME ZONE`` -> ``TIMESTAMPTZ``)."""
    t = re.sub(r"\s+", " ", name.strip().strip("`").upper())
    for long, short in _MULTIWORD.items():
        t = t.replace(long, short)
    t = re.sub(r"\s*([(),\[\]])\s*", r"\1", t)  # MAP(VARCHAR, X) == MAP(VARCHAR,X)
    return re.sub(r"[A-Z_][A-Z0-9_]*", lambda m: _TOKENS.get(m.group(0), m.group(0)), t)


# --- what the file documents -----------------------------------------------------------------
_SECTION_RE = re.compile(r"^## `([A-Za-z_][A-Za-z0-9_]*)`[ \t]*\n(.*?)(?=^## |\Z)", re.S | re.M)
_ROW_RE = re.compile(r"^\|\s*`([A-Za-z_][A-Za-z0-9_]*)`\s*\|([^|\n]*)\|([^\n]*)\|\s*$", re.M)
_HEADER_RE = re.compile(r"^\|\s*column\s*\|\s*type\s*\|\s*description\s*\|\s*$", re.M)


# A view that adds columns to a table documents it as "every column of `table`" and then its own.
_EVERY_RE = re.compile(r"^\|\s*\*every column of `([A-Za-z_][A-Za-z0-9_]*)`\*\s*\|[^\n]*\|\s*$", re.M)


def documented(text: str = DOC) -> dict[str, list[tuple[str, str, str]]]:
    """Table -> [(column, type as written, description)] in the order of the file."""
    tables: dict[str, list[tuple[str, str, str]]] = {}
    for match in _SECTION_RE.finditer(text):
        name, body = match.group(1), match.group(2)
        assert name not in tables, f"docs/schema.md: table '{name}' has two sections"
        rows: list[tuple[str, str, str]] = []
        for line in body.splitlines():
            every = _EVERY_RE.match(line)
            if every:
                assert every.group(1) in tables, f"docs/schema.md: {name} names `{every.group(1)}` before its section"
                rows += tables[every.group(1)]
            rows += [(c, t.strip(), d.strip()) for c, t, d in _ROW_RE.findall(line)]
        tables[name] = rows
    return tables


DOCUMENTED = documented()


# --- what a database holds -------------------------------------------------------------------
def actual(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """Table or view -> [(column, type)] in column order, main schema of this database only
    (temporary tables live in the 'temp' catalog and are not part of the file)."""
    rows = con.execute("""
        SELECT c.table_name, c.column_name, c.data_type
        FROM information_schema.columns c
        JOIN information_schema.tables t
          ON t.table_catalog = c.table_catalog AND t.table_schema = c.table_schema
         AND t.table_name = c.table_name
        WHERE c.table_catalog = current_database() AND c.table_schema = 'main'
        ORDER BY c.table_name, c.ordinal_position""").fetchall()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, []).append((column, data_type))
    return tables


def problems(db: dict[str, list[tuple[str, str]]], *, both_ways: bool,
             doc: dict[str, list[tuple[str, str, str]]] = DOCUMENTED) -> list[str]:
    """Every disagreement between a database and docs/schema.md, one line each."""
    found = []
    for table, columns in sorted(db.items()):
        if table not in doc:
            found.append(f"table '{table}' is not documented (add a section '## `{table}`')")
            continue
        doc_cols = {c: t for c, t, _ in doc[table]}
        for column, data_type in columns:
            if column not in doc_cols:
                found.append(f"{table}.{column} ({data_type}) is not documented")
            elif normalise_type(doc_cols[column]) != normalise_type(data_type):
                found.append(f"{table}.{column} is {data_type} in the database but documented "
                             f"as {doc_cols[column]}")
        names = [c for c, _ in columns]
        for column in doc_cols:
            if column not in names:
                found.append(f"{table}.{column} is documented but the table has no such column")
        in_doc = [c for c, _, _ in doc[table] if c in names]
        if in_doc != [c for c in names if c in doc_cols]:
            found.append(f"{table}: columns are documented in another order than the table's "
                         f"({', '.join(names)})")
    if both_ways:
        for table in sorted(set(doc) - set(db)):
            found.append(f"table '{table}' is documented but the database has no such table")
    return found


def _report(found: list[str]) -> str:
    return "docs/schema.md disagrees with the database:\n  " + "\n  ".join(found)


@pytest.fixture(scope="module")
def created_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store as the code creates it: the store schema, the result tables, a calendar."""
    path = tmp_path_factory.mktemp("schema") / "fresh.duckdb"
    init_store(path)
    return path


def _tables(path: Path) -> dict[str, list[tuple[str, str]]]:
    con = open_store(path)
    try:
        return actual(con)
    finally:
        con.close()


# --- the file's own shape --------------------------------------------------------------------
def test_every_section_is_a_described_table() -> None:
    assert len(DOCUMENTED) >= 15, "docs/schema.md: table sections not found (format changed?)"
    for table, columns in DOCUMENTED.items():
        body = _SECTION_RE.search(DOC[DOC.index(f"## `{table}`"):]).group(2)
        prose = body.split("|", 1)[0].strip()
        assert len(prose) > 30, f"docs/schema.md: section '{table}' needs a sentence on what a row is"
        assert _HEADER_RE.search(body), f"docs/schema.md: section '{table}' lacks '| column | type | description |'"
        assert columns, f"docs/schema.md: section '{table}' documents no column"
        names = [c for c, _, _ in columns]
        twice = sorted({c for c in names if names.count(c) > 1})
        assert not twice, f"docs/schema.md: {table}: columns documented twice: {twice}"
        for column, data_type, description in columns:
            assert data_type, f"docs/schema.md: {table}.{column} has no type"
            assert len(description) > 3, f"docs/schema.md: {table}.{column} has no description"


def test_the_stability_and_joins_sections_exist() -> None:
    for title in ("## Stability", "## Common joins"):
        assert re.search(rf"^{title}\s*$", DOC, re.M), f"docs/schema.md lacks '{title}'"
    assert "schema_version" in DOC.split("## Common joins")[0]


def test_the_checker_names_table_and_column() -> None:
    doc = documented(
        "## `t`\nOne row per thing; key id.\n\n| column | type | description |\n|---|---|---|\n"
        "| `id` | INTEGER | key |\n| `ts` | TIMESTAMPTZ | when |\n| `gone` | VARCHAR | removed |\n"
        "## `ghost`\nA table nobody creates any more.\n\n| column | type | description |\n"
        "|---|---|---|\n| `x` | INTEGER | x |\n")
    db = {"t": [("id", "BIGINT"), ("ts", "TIMESTAMP WITH TIME ZONE"), ("new", "JSON")],
          "u": [("a", "DATE")]}
    assert problems(db, both_ways=True, doc=doc) == [
        "t.id is BIGINT in the database but documented as INTEGER",
        "t.new (JSON) is not documented",
        "t.gone is documented but the table has no such column",
        "table 'u' is not documented (add a section '## `u`')",
        "table 'ghost' is documented but the database has no such table",
    ]
    assert problems({"t": [("ts", "TIMESTAMPTZ"), ("id", "INTEGER"), ("gone", "VARCHAR")]},
                    both_ways=False, doc=doc) == [
        "t: columns are documented in another order than the table's (ts, id, gone)"]


def test_type_names_normalise() -> None:
    assert normalise_type("TIMESTAMP WITH TIME ZONE") == normalise_type("TIMESTAMPTZ")
    assert normalise_type("MAP(VARCHAR, DOUBLE)") == normalise_type("map(varchar,double)")
    assert normalise_type("INT[]") == "INTEGER[]"
    assert normalise_type("INTEGER") != normalise_type("BIGINT")


# --- the schema the code creates ---------------------------------------------------------------
def test_store_and_result_schema_is_documented(created_db: Path) -> None:
    db = _tables(created_db)
    assert {"events", "cases", "runs", "step_checks", "open_cases"} <= set(db)
    found = problems(db, both_ways=False)
    assert not found, _report(found)


def test_calendar_tables_are_documented(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "calendar.duckdb"))
    try:
        install_calendar(con, [CalendarSpec.for_zone("Asia/Jakarta"), CalendarSpec.for_zone("Asia/Makassar")],
                         date(2024, 1, 1), date(2024, 2, 1))
        db = actual(con)
    finally:
        con.close()
    assert {"work_calendar", "calendar_info"} <= set(db)
    found = problems(db, both_ways=False)
    assert not found, _report(found)


# --- a real, analysed store --------------------------------------------------------------------
def test_analysed_store_matches_docs_both_ways(analysed_db: Path) -> None:
    db = _tables(analysed_db)
    found = problems(db, both_ways=True)
    assert not found, _report(found)


def _macros_section() -> str:
    found = []
    for title in ("Calendar macros", "Metric macros"):
        match = re.search(rf"^## {title}\s*\n(.*?)(?=^## |\Z)", DOC, re.S | re.M)
        assert match, f"docs/schema.md lacks '## {title}'"
        found.append(match.group(1))
    return "\n".join(found)


def test_stored_macros_are_documented(analysed_db: Path) -> None:
    con = open_store(analysed_db)
    try:
        stored = {r[0] for r in con.execute(
            "SELECT DISTINCT function_name FROM duckdb_functions() "
            "WHERE function_type IN ('macro', 'table_macro') AND NOT internal "
            "AND database_name = current_database()").fetchall()}
    finally:
        con.close()
    listed = set(re.findall(r"`([a-z_]+)\(", _macros_section()))
    assert stored, "the analysed store holds no macros"
    assert not stored - listed, f"macros stored in the file but not in docs/schema.md: {sorted(stored - listed)}"
    assert not listed - stored, f"macros in docs/schema.md that the file lacks: {sorted(listed - stored)}"


SQL_EXAMPLES = re.findall(r"```sql\n(.*?)```", DOC, re.S)


@pytest.mark.parametrize("sql", SQL_EXAMPLES, ids=[f"example{i + 1}" for i in range(len(SQL_EXAMPLES))])
def test_sql_examples_run(analysed_db: Path, sql: str) -> None:
    con = open_store(analysed_db)
    try:
        con.execute(sql).fetchall()
    except duckdb.Error as exc:
        pytest.fail(f"docs/schema.md example fails: {exc}\n{sql}")
    finally:
        con.close()


def test_the_schema_version_and_every_migration_are_named() -> None:
    from event_logs.store import MIGRATIONS, SCHEMA_VERSION

    text = DOC_PATH.read_text(encoding="utf-8")
    assert text.splitlines()[0] == f"# The Pantau database (schema version {SCHEMA_VERSION})"
    assert f"(currently `{SCHEMA_VERSION}`)" in text
    assert [name for name in MIGRATIONS.values() if f"`{name}`" not in text] == []
