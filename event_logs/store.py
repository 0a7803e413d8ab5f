"""The DuckDB store: create, migrate and open the one database file Pantau works on.

Readers (notebooks, the dashboard) use ``open_store(path)`` (read-only, short-lived);
writers (ingest, simulate, analyze) use ``open_store(path, read_only=False)``, which
creates and migrates the schema. DuckDB allows one writing process *or* many reading
processes per file. Readers never break writers: a writer finding the file held by readers
waits up to :data:`WRITE_WAIT_SECONDS` for them (telling ``notice``), retrying often, and a
reader may wait ``wait_seconds`` for a writer (the dashboard: :data:`READ_RETRY_SECONDS`).
A lock still held becomes :class:`StoreLockedError`, whose hint names the holder: a
read-only reader or a writer (read from ``/proc/locks``, else from DuckDB's message).
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
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

Notice = Callable[[str], None]
WRITE_WAIT_SECONDS = 30.0   # how long a writer waits for readers to close the file
READ_RETRY_SECONDS = 3.0    # how long the dashboard's reads wait for a short write
_READER_HINT = (
    "a process is reading this database (the dashboard, a notebook, or a 'pantau' command that "
    "reads) and kept it open for {seconds:.0f} s; readers do not need to stop, but this "
    "command needs a moment with the file to itself: close the notebook or wait until the "
    "dashboard is idle, then try again."
)
_LOCK_HINT = (
    "another process has this database open for writing (a running 'pantau' command, the "
    "dashboard's Data page, or a notebook connected without read_only=True). Close it or wait "
    "for it to finish, then try again; notebooks should use event_logs.open_store(path), "
    "which opens read-only."
)


def sql_text(name: str) -> str:
    """The text of a bundled SQL file in ``event_logs/sql/`` (``migrations/NNNN_x.sql`` too)."""
    return files("event_logs").joinpath("sql", *name.split("/")).read_text(encoding="utf-8")


def lock_holder(path: str | Path, pid: int | None = None) -> str | None:
    """'reader' or 'writer': the kind of lock another process holds on ``path`` (by
    ``/proc/locks``, without opening the file: closing any descriptor of a file drops this
    process's own POSIX locks on it); None when unknown."""
    try:
        inode = os.stat(path).st_ino
        with open("/proc/locks", encoding="ascii") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        if len(parts) >= 6 and parts[1] == "POSIX" and parts[5].endswith(f":{inode}") \
                and (pid is None or parts[4] == str(pid)):
            return "reader" if parts[3] == "READ" else "writer"
    return None


def _locked(path: str | Path, text: str, waited: float) -> StoreLockedError:
    found = re.search(r"PID (\d+)", text)
    pid = int(found.group(1)) if found else None
    holder = lock_holder(path, pid) or ("reader" if "read-only mode" in text else None)
    what = {"reader": "a read-only reader", "writer": "a writer"}.get(holder or "", "another process")
    who = f"{what} (process {pid})" if pid else what
    hint = _READER_HINT.format(seconds=waited) if holder == "reader" else _LOCK_HINT
    error = StoreLockedError(f"the database is locked: held by {who}", file=str(path), hint=hint)
    error.holder, error.pid = holder, pid
    return error


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:200] if text.strip() else ""


def _connect(path: str | Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        con = duckdb.connect(str(path), read_only=read_only)
        # DuckDB draws its own progress bar on long queries; Pantau reports progress itself
        con.execute("SET enable_progress_bar = false")
        return con
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise _locked(path, text, 0.0) from exc
        raise StoreError(f"cannot open the database ({_first_line(text)})", file=str(path)) from exc
    except duckdb.Error as exc:
        raise StoreError(f"cannot open the database ({_first_line(str(exc))})", file=str(path)) from exc


def _connect_waiting(path: Path, read_only: bool, wait_seconds: float,
                     notice: Notice | None) -> duckdb.DuckDBPyConnection:
    """:func:`_connect`, retried while the lock is held by a process worth waiting for (a
    writer waits for readers, a reader for a writer) and ``wait_seconds`` have not passed."""
    started = time.monotonic()
    pause, told = 0.02, False
    while True:
        try:
            return _connect(path, read_only)
        except StoreLockedError as exc:
            waited = time.monotonic() - started
            worth = read_only or exc.holder != "writer"
            if not worth or waited >= wait_seconds:
                if waited and exc.__cause__ is not None:
                    raise _locked(path, str(exc.__cause__), waited) from exc.__cause__
                raise
            if notice and not told:
                held = exc.message.split("held by ", 1)[-1]
                notice(f"the database is in use by {held}; waiting up to {wait_seconds:.0f} s for it")
                told = True
            time.sleep(min(pause, max(0.0, wait_seconds - waited)))
            pause = min(pause * 1.5, 0.25)


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
    """Bring the schema up to :data:`SCHEMA_VERSION` and refresh the contract
    (:func:`_refresh_contract`), all in one transaction: a failing migration leaves the store
    as it was, and the whole open commits (and syncs the file) once, not once per migration
    (a new store: 15 commits took ~1 s of waiting on the disk)."""
    current = schema_version(con)
    if current > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"database schema version {current} is newer than this Pantau ({SCHEMA_VERSION})",
            file=path,
            hint="upgrade Pantau, or open a database it created",
        )
    with transaction(con):
        for version in range(current + 1, SCHEMA_VERSION + 1):
            con.execute(sql_text(f"migrations/{MIGRATIONS[version]}"))
            con.execute(
                "INSERT OR REPLACE INTO schema_info VALUES ('schema_version', ?), ('pantau_version', ?)",
                [str(version), __version__],
            )
        _refresh_contract(con, path)
    return SCHEMA_VERSION


def _refresh_contract(con: duckdb.DuckDBPyConnection, path: str) -> None:
    """The parts of the schema kept from files on every writable open (in the caller's
    transaction): the vocabularies (``ref_*`` from their CSV), the public views and metric
    macros (``sql/views.sql``), the bundled SOP models (new versions registered), the copy
    of the acceptances file beside the store (``acceptance_log``) and the stored access
    shadows (:func:`event_logs.scoped.install`, last: they read every table)."""
    from event_logs import acceptances, registry, scoped, vocabulary

    vocabulary.sync(con)
    con.execute(sql_text("views.sql"))
    con.execute("INSERT OR REPLACE INTO schema_info VALUES ('views_sha256', ?)", [views_sha256()])
    registry.sync_bundled(con)
    if path != "<db>":
        acceptances.sync(con, path)
    scoped.install(con)


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


def open_store(path: str | Path, read_only: bool = True, *, wait_seconds: float | None = None,
               notice: Notice | None = None) -> duckdb.DuckDBPyConnection:
    """Open the store at ``path``.

    ``read_only=True`` (the default, for notebooks and the dashboard) requires an existing
    database of a known schema version. ``read_only=False`` creates the file and schema
    when missing and applies pending migrations.

    ``wait_seconds``: how long to retry while another process holds the lock (default: a
    writer waits :data:`WRITE_WAIT_SECONDS` for readers, never for another writer; a reader
    does not wait). ``notice(text)`` is told once when waiting starts.
    """
    path = Path(path)
    if read_only and not path.exists():
        raise StoreError(
            "no such database file", file=str(path),
            hint="create one with 'pantau init --db FILE', 'pantau simulate' or 'pantau demo'",
        )
    if not read_only:
        _make_folder(path)
    if wait_seconds is None:
        wait_seconds = 0.0 if read_only else WRITE_WAIT_SECONDS
    con = _connect_waiting(path, read_only, wait_seconds, notice)
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
        try:
            from event_logs import acceptances

            acceptances.overlay(con, path)  # acceptances made since the last writable open count too
        except BaseException:
            con.close()
            raise
        return con
    migrate(con, path=str(path))
    return con


def _make_folder(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the database's folder ({exc.strerror or exc})",
                         file=str(path), hint="choose a writable place with --db") from exc


class PendingSchema:
    """The schema of a store being made in a thread, on a second connection to the same
    database (:func:`open_store_early`). ``new``: the store is made by this open (so it holds
    no import yet). :meth:`ready` waits for it and raises what the migration raised;
    :meth:`wait` only waits (before the connection closes, whatever happened)."""

    def __init__(self, future: Future | None = None, cursor: duckdb.DuckDBPyConnection | None = None) -> None:
        self.new = future is not None
        self._future, self._cursor = future, cursor

    def ready(self) -> None:
        """Wait until the schema is made; raises the migration's error."""
        if self._future is not None:
            self._future.result()

    def wait(self) -> None:
        """Wait until the thread is done (its error, if any, is :meth:`ready`'s to raise)."""
        if self._future is not None:
            futures_wait([self._future])
            if self._cursor is not None:
                self._cursor.close()
                self._cursor = None


def open_store_early(path: str | Path, *, notice: Notice | None = None
                     ) -> tuple[duckdb.DuckDBPyConnection, PendingSchema]:
    """:func:`open_store` for writing, returning before a new store's schema is made.

    A store file that does not exist yet is created and its migrations and contract refresh
    (:func:`migrate`, one transaction, as always) run in a thread on a second connection to
    the same database, while the caller works on its own connection's temporary tables (an
    import reads and checks its file meanwhile: the ~0.6 s of a new store's schema, mostly
    single-threaded, no longer waits in line). The caller must call ``pending.ready()``
    before it reads or writes a table of the store, and ``pending.wait()`` before it closes
    the connection. An existing store is opened (and migrated) as by :func:`open_store`.
    """
    path = Path(path)
    if path.exists():
        return open_store(path, read_only=False, notice=notice), PendingSchema()
    _make_folder(path)
    con = _connect_waiting(path, False, WRITE_WAIT_SECONDS, notice)
    try:
        if schema_version(con) != 0:  # made by another process since the look above
            migrate(con, path=str(path))
            return con, PendingSchema()
        cursor = con.cursor()
        cursor.execute("SET enable_progress_bar = false")
    except BaseException:
        con.close()
        raise
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pantau-schema")
    future = pool.submit(migrate, cursor, path=str(path))
    pool.shutdown(wait=False)
    return con, PendingSchema(future, cursor)


def init_store(path: str | Path, *, notice: Notice | None = None) -> int:
    """Create (or migrate) the store at ``path``; returns the schema version. ``notice`` is
    told when readers hold the file and this waits for them."""
    con = open_store(path, read_only=False, notice=notice)
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
