"""How the dashboard reads the store: short-lived read-only connections and a query cache.

Every query batch — one script run, i.e. one page view — opens the DuckDB file read-only
with :func:`event_logs.store.open_store` at its first cache miss and closes it when the run
ends, so the dashboard never holds a lock a writer waits for longer than a page takes to
draw, and always sees the file that is at the path now (an upload swaps in a new file atomically, see
:mod:`dashboard.jobs`). Results are cached with ``st.cache_data`` keyed on the database path,
its version (latest analysis run id, latest import id and the file's identity) and the
filters: a new analysis run or a swapped-in file makes every entry stale at once.

Access: every connection is opened for a :class:`~pantau.access.scope.Scope` and sees only
that scope's rows (:func:`event_logs.scoped.apply_scope` shadows each agency-holding table),
so no page can forget the agency filter; the scope is part of every cache key (the cache is
shared by all sessions). With logins on (``$PANTAU_AUTH`` not ``none``), a connection asked
for without a scope is refused rather than opened unfiltered.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from dashboard import queries
from dashboard.catalog import Catalog
from dashboard.filters import Filters
from event_logs import acceptances
from event_logs.scoped import open_scoped
from pantau.access.scope import ALL, Scope
from pantau.access.setup import AUTH_ENV
from pantau.errors import AccessError

ENV_DB = "PANTAU_DB"
DEFAULT_DB = Path("data/demo.duckdb")
CACHE_TTL_SECONDS = 3600
CACHE_MAX_ENTRIES = 512


def db_path() -> Path:
    """The database the dashboard shows: ``$PANTAU_DB`` (set by ``pantau dashboard``)."""
    return Path(os.environ.get(ENV_DB) or DEFAULT_DB)


def _scope(scope: Scope | None) -> Scope:
    if scope is not None:
        return scope
    if os.environ.get(AUTH_ENV, "none") != "none":
        raise AccessError("not permitted: a query without the user's scope",
                          hint="pass the session's scope (ui.db_state().scope)")
    return ALL


@contextlib.contextmanager
def connection(path: str | Path, scope: Scope | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection seeing ``scope``'s rows, closed as soon as the block ends."""
    con = open_scoped(path, _scope(scope))
    try:
        yield con
    finally:
        con.close()


# One script run (a page view) is one batch: its cache misses share one read-only connection,
# opened at the first miss and closed when the run ends. Script runs have their own threads.
_batch = threading.local()


@contextlib.contextmanager
def batch() -> Iterator[None]:
    """Share one read-only connection among the queries of this block (opened lazily)."""
    outer = getattr(_batch, "active", False)
    _batch.active = True
    try:
        yield
    finally:
        if not outer:
            _batch.active = False
            con = getattr(_batch, "con", None)
            _batch.con = _batch.key = None
            if con is not None:
                con.close()


@contextlib.contextmanager
def _borrow(path: str | Path, scope: Scope | None) -> Iterator[duckdb.DuckDBPyConnection]:
    scope = _scope(scope)
    if not getattr(_batch, "active", False):
        with connection(path, scope) as con:
            yield con
        return
    if getattr(_batch, "con", None) is None or _batch.key != (str(path), scope):
        if getattr(_batch, "con", None) is not None:
            _batch.con.close()
            _batch.con = None
        _batch.con, _batch.key = open_scoped(path, scope), (str(path), scope)
    yield _batch.con


@dataclass(frozen=True)
class DbState:
    """What the cache key needs to know about the database, read in one short connection."""

    path: str
    run_id: int            # latest analysis run (0: never analysed)
    import_id: int         # latest import (0: nothing imported)
    has_results: bool      # result tables exist and hold at least one run
    cases: int             # cases in the store (the cases table)
    results_outdated: bool  # results written by an older Pantau: analyse again
    file_key: tuple[int, int]  # inode and mtime: a swapped-in file is a new version
    scope: Scope = ALL     # whose rows every query of this state sees (part of each cache key)
    # the acceptances file beside the store (size, mtime) and today (an acceptance expires on
    # its date): an acceptance made in any session counts at once
    acceptances_key: tuple[int, int, str] = (0, 0, "")

    @property
    def version(self) -> tuple[int | str, ...]:
        """The part of every cache key that changes when the data changes."""
        return (self.run_id, self.import_id, *self.file_key, *self.acceptances_key)


def read_state(path: str | Path, scope: Scope | None = None) -> DbState:
    """Read the database's version as ``scope`` sees it (uncached: it is the cache key).
    Raises StoreError (AccessError for a scoped user on a store with an unknown table)."""
    path = Path(path)
    scope = _scope(scope)
    with _borrow(path, scope) as con:
        stat = path.stat()
        accepted = (*acceptances.file_version(path), date.today().isoformat())
        return DbState(str(path.resolve()), *queries.db_version(con), (stat.st_ino, stat.st_mtime_ns),
                       scope, accepted)


@st.cache_data(max_entries=CACHE_MAX_ENTRIES, ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _cached(path: str, version: tuple[int, ...], scope: Scope, name: str, filters: Filters,
            params: tuple[tuple[str, Any], ...]) -> pd.DataFrame:
    # version is unused in the body on purpose: it is part of the cache key.
    del version
    with _borrow(path, scope) as con:
        return queries.QUERIES[name](con, filters, **dict(params))


def load(state: DbState, name: str, filters: Filters, **params: Any) -> pd.DataFrame:
    """Run the query ``name`` of :mod:`dashboard.queries` through the cache, in ``state.scope``."""
    return _cached(state.path, state.version, state.scope, name, filters, tuple(sorted(params.items())))


CATALOG_QUERIES = queries.CATALOG_QUERIES


@st.cache_data(max_entries=64, ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _catalog(path: str, version: tuple[int, ...], scope: Scope) -> Catalog:
    del version  # part of the cache key only
    with _borrow(path, scope) as con:
        return queries.load_catalog(con)


def load_catalog(state: DbState) -> Catalog:
    """The model versions and vocabularies ``state.scope`` may see (:mod:`dashboard.catalog`),
    cached."""
    return _catalog(state.path, state.version, state.scope)


def clear_cache() -> None:
    """Forget every cached result (after an upload swapped in a new file)."""
    _cached.clear()
    _catalog.clear()
