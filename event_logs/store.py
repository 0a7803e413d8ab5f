"""The DuckDB store: create, migrate and open the one database file Pantau works on.

Readers (notebooks, the dashboard) use ``open_store(path)`` (read-only, short-lived);
writers (ingest, simulate, analyze) use ``open_store(path, read_only=False)``, which
creates and migrates the schema. DuckDB allows one writing process *or* many reading
processes per file: a lock held elsewhere becomes :class:`StoreLockedError` with a hint.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import duckdb

from pantau import __version__
from pantau.errors import SchemaVersionError, StoreError, StoreLockedError

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def _migrations() -> dict[int, str]:
    """version -> file in ``event_logs/sql/migrations/`` (``NNNN_what.sql``) that brings a
    store from version N-1 to N; version 1 creates it. Numbers run 1, 2, ... without gaps."""
    found: dict[int, str] = {}
    for entry in files("event_logs").joinpath("sql", "migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found[int(match.group(1))] = entry.name
    if sorted(found) != list(range(1, len(found) + 1)):
        raise SchemaVersionError(f"migration files are not numbered 1..{len(found)}: {sorted(found)}")
    return dict(sorted(found.items()))


MIGRATIONS: dict[int, str] = _migrations()
SCHEMA_VERSION = max(MIGRATIONS)

_LOCK_HINT = (
    "another process has this database open for writing (a running 'pantau' command, the "
    "dashboard's Data page, or a notebook connected without read_only=True). Close it or wait "
    "for it to finish, then try again; notebooks should use event_logs.open_store(path), "
    "which opens read-only."
)


def sql_text(name: str) -> str:
    """The text of a bundled SQL file in ``event_logs/sql/`` (``migrations/NNNN_x.sql`` too)."""
    return files("event_logs").joinpath("sql", *name.split("/")).read_text(encoding="utf-8")


def _connect(path: str | Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        con = duckdb.connect(str(path), read_only=read_only)
        # DuckDB draws its own progress bar on long queries; Pantau reports progress itself
        con.execute("SET enable_progress_bar = false")
        return con
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            pid = re.search(r"PID (\d+)", text)
            who = f" (held by process {pid.group(1)})" if pid else ""
            raise StoreLockedError(f"the database is locked{who}", file=str(path), hint=_LOCK_HINT) from exc
        raise StoreError(f"cannot open the database: {text}", file=str(path)) from exc
    except duckdb.Error as exc:
        raise StoreError(f"cannot open the database: {exc}", file=str(path)) from exc


def fetch_one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    """The first row of ``sql`` (or None), leaving no result pending on the connection.

    DuckDB 2 keeps a partly fetched result open after ``fetchone()``, and the next
    ``con.sql(...)`` or ``register`` on that connection then fails; fetch everything.
    """
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The store's schema version; 0 for an empty database."""
    exists = fetch_one(
        con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_info'"
    )[0]
    if not exists:
        return 0
    row = fetch_one(con, "SELECT value FROM schema_info WHERE key = 'schema_version'")
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection, *, path: str = "<db>") -> int:
    """Bring the schema up to :data:`SCHEMA_VERSION`, one migration per transaction."""
    current = schema_version(con)
    if current > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"database schema version {current} is newer than this Pantau ({SCHEMA_VERSION})",
            file=path,
            hint="upgrade Pantau, or open a database it created",
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql_text(f"migrations/{MIGRATIONS[version]}"))
            con.execute(
                "INSERT OR REPLACE INTO schema_info VALUES ('schema_version', ?), ('pantau_version', ?)",
                [str(version), __version__],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    _refresh_contract(con)
    return SCHEMA_VERSION


def _refresh_contract(con: duckdb.DuckDBPyConnection) -> None:
    """The parts of the schema kept from files on every writable open, in one transaction:
    the vocabularies (``ref_*`` from their CSV), the public views and metric macros
    (``sql/views.sql``) and the bundled SOP models (new versions registered)."""
    from event_logs import registry, vocabulary

    with transaction(con):
        vocabulary.sync(con)
        con.execute(sql_text("views.sql"))
        con.execute("INSERT OR REPLACE INTO schema_info VALUES ('views_sha256', ?)", [views_sha256()])
        registry.sync_bundled(con)


def _current_views(con: duckdb.DuckDBPyConnection) -> None:
    """A read-only connection to a store whose views an older Pantau wrote gets this
    Pantau's definitions as TEMP views and macros (they shadow the stored ones)."""
    row = fetch_one(con, "SELECT value FROM schema_info WHERE key = 'views_sha256'")
    if row and row[0] == views_sha256():
        return
    text = sql_text("views.sql")
    con.execute(text.replace("CREATE OR REPLACE VIEW", "CREATE OR REPLACE TEMP VIEW")
                .replace("CREATE OR REPLACE MACRO", "CREATE OR REPLACE TEMP MACRO"))


def views_sha256() -> str:
    """Checksum of the public views' definitions (``sql/views.sql``) this Pantau creates."""
    import hashlib

    return hashlib.sha256(sql_text("views.sql").encode("utf-8")).hexdigest()


def open_store(path: str | Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the store at ``path``.

    ``read_only=True`` (the default, for notebooks and the dashboard) requires an existing
    database of a known schema version. ``read_only=False`` creates the file and schema
    when missing and applies pending migrations.
    """
    path = Path(path)
    if read_only and not path.exists():
        raise StoreError(
            "no such database file", file=str(path),
            hint="create one with 'pantau init --db FILE', 'pantau simulate' or 'pantau demo'",
        )
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = _connect(path, read_only)
    if read_only:
        version = schema_version(con)
        if version == 0:
            con.close()
            raise StoreError("not a Pantau database (no schema_info table)", file=str(path),
                             hint="run 'pantau init --db FILE' first")
        if version > SCHEMA_VERSION:
            con.close()
            raise SchemaVersionError(
                f"database schema version {version} is newer than this Pantau ({SCHEMA_VERSION})",
                file=str(path), hint="upgrade Pantau")
        if version < SCHEMA_VERSION:
            con.close()
            raise SchemaVersionError(
                f"database schema version {version} is older than this Pantau ({SCHEMA_VERSION})",
                file=str(path),
                hint="upgrade it with 'pantau init --db FILE' (keeps every row; then run 'pantau "
                     "analyze --db FILE' so the results use the new columns)")
        _current_views(con)
        return con
    migrate(con, path=str(path))
    return con


def init_store(path: str | Path) -> int:
    """Create (or migrate) the store at ``path``; returns the schema version."""
    con = open_store(path, read_only=False)
    try:
        return schema_version(con)
    finally:
        con.close()


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """``BEGIN``/``COMMIT``, rolling back on any exception (one transaction per import/run)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def next_import_id(con: duckdb.DuckDBPyConnection) -> int:
    """A fresh import id (from the store's sequence)."""
    return int(fetch_one(con, "SELECT nextval('import_id_seq')")[0])


def next_event_id(con: duckdb.DuckDBPyConnection) -> int:
    """The first free event id (events ids increase in import order)."""
    return int(fetch_one(con, "SELECT coalesce(max(event_id), 0) + 1 FROM events")[0])
