"""Partitioned stores: one Pantau store per agency, analysed apart, read back as one (issue 16.4).

Per-agency analysis is independent: every result row belongs to one agency's cases, except the
two per-SOP tables (``variants``, ``activity_labels``), whose rows add up over agencies. So a
national store can be split into one store per agency (:func:`split`), each partition analysed
on its own machine or core (:mod:`analytics.distributed`), and the results read back as one:
:func:`national` (an in-memory DuckDB connection whose every table and public view spans the
partitions, each ATTACHed read-only) or :func:`gather` (the same rows written into one store).

**A partition is a full Pantau store** (one DuckDB file, created and migrated like any other):
it holds one agency's events, cases and simulation truth, and a copy of everything the
analysis reads besides (models, vocabularies, activity mappings, agency calendars, targets,
imports, quarantine, acceptances; the acceptances file and ``pantau.toml`` are copied beside
it). Every command works on it unchanged: ``pantau ingest --db`` a partition adds that agency's
events, ``pantau analyze --db`` it recomputes it (incrementally). Why DuckDB files and not
hive-style Parquet: a partition must carry the contract (migrations, views, macros,
sequences, vocabularies) so the unchanged analysis can run on it; Parquet holds rows only, so
every reader would need a second code path. DuckDB reads the files directly with ATTACH.

The folder holds the partitions and ``partitions.json`` (:data:`MANIFEST`): which file holds
which agency.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from analytics.run import RESULT_TABLES
from pantau.config import CONFIG_NAME, config_path
from pantau.errors import PantauError, StoreError

MANIFEST = "partitions.json"
BY = ("agency",)  # the partition keys split() knows
# The tables whose rows are one agency's: split by their agency column, gathered by UNION ALL.
BY_AGENCY = ("events", "cases", "sim_truth")
# Result rows per SOP, not per agency: gathered by adding up the partitions' rows
# (key -> the columns summed; the others are equal in every partition holding the key).
PER_SOP = {
    "variants": (("sop_id", "variant_id"), ("case_count",)),
    "activity_labels": (("sop_id", "model_sha256", "label"), ("events",)),
}
# Derived by `pantau analyze`: never copied into a partition (its own run recomputes them).
DERIVED = (*RESULT_TABLES, "runs", "work_calendar", "calendar_info", "work_month_deadlines")
# Kept by the store itself on every writable open (migrations, vocabulary CSVs).
OWN = ("schema_info",)
IMPORT_ID_RANGE = 1_000_000  # import ids of each partition's own imports (INTEGER: 2,000 partitions)
SEQUENCES = {"import_id_seq": ("imports", "import_id"), "run_id_seq": ("runs", "run_id")}
_BESIDE = ("acceptances.jsonl", "acceptances.jsonl.head")

ProgressFn = Callable[[int, int], None]


class PartitionError(PantauError):
    """A partition folder, manifest or partition store that cannot be used."""


@dataclass(frozen=True)
class Partition:
    """One partition store: its file (relative to the folder) and the agency it holds."""

    file: str
    agency: str
    cases: int = 0
    events: int = 0

    def path(self, folder: str | Path) -> Path:
        """The partition's file inside ``folder``."""
        return Path(folder) / self.file


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "none"


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' "
        "ORDER BY table_name", [catalog]).fetchall()]


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND schema_name = 'main' "
        "AND table_name = ? ORDER BY column_index", [catalog, table]).fetchall()]


def whole_tables(tables: Sequence[str]) -> list[str]:
    """Of a store's ``tables``, those every partition gets whole (everything but the agency's
    rows, the derived results and the store's own bookkeeping): the models and their tables,
    vocabularies, mappings, calendars, targets, imports, quarantine, acceptances."""
    return [t for t in tables if t not in BY_AGENCY and t not in DERIVED and t not in OWN]


def _restart_sequences(con: duckdb.DuckDBPyConnection, offset: int = 0) -> None:
    """Each sequence past the highest id its table holds (ids copied in keep their values, so
    the next import or run of the store must not reuse one), plus ``offset`` import ids: each
    partition imports into its own range, so imports into two partitions never share an id."""
    for sequence, (table, column) in SEQUENCES.items():
        top = con.execute(f"SELECT coalesce(max({column}), 0) FROM main.{table}").fetchall()[0][0]
        start = int(top) + 1 + (offset if table == "imports" else 0)
        con.execute(f"DROP SEQUENCE {sequence}")
        con.execute(f"CREATE SEQUENCE {sequence} START {start}")


def _copy_beside(source: Path, target: Path) -> None:
    """The files Pantau keeps beside a store (acceptances) copied beside ``target``."""
    from pantau.config import beside_store

    for suffix in _BESIDE:
        found = beside_store(source, suffix)
        if found.exists():
            shutil.copyfile(found, beside_store(target, suffix))


def read_manifest(folder: str | Path) -> list[Partition]:
    """The partitions of ``folder`` (its :data:`MANIFEST`), each checked to exist."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise PartitionError("not a partition folder (no partitions.json)", file=str(folder),
                             hint="create one with 'pantau partition split --db DB --by agency --out DIR'")
    try:
        parts = [Partition(**p) for p in json.loads(path.read_text(encoding="utf-8"))["partitions"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise PartitionError(f"unreadable manifest ({exc})", file=str(path),
                             hint="split the store again into an empty folder") from None
    for p in parts:
        if not p.path(folder).is_file():
            raise PartitionError(f"the partition of agency '{p.agency}' is missing", file=str(p.path(folder)),
                                 hint="split the store again, or restore the file")
    return parts


def split(db: str | Path, out: str | Path, *, by: str = "agency",
          progress: ProgressFn | None = None) -> list[Partition]:
    """Split the store ``db`` into one partition store per agency in the folder ``out`` (which
    must be empty or new); returns the partitions, also written to ``out/partitions.json``.

    Each partition gets the agency's rows of :data:`BY_AGENCY` and every other store table
    whole (:func:`whole_tables`), with the same ids (event ids, import ids); no results: run
    ``pantau analyze --partitions`` on the folder. ``pantau.toml`` in force for ``db`` and its
    acceptances file are copied, so each partition is analysed with the same settings.
    """
    from event_logs.store import open_store, transaction

    if by not in BY:
        raise PartitionError(f"cannot partition by '{by}'", field="by", hint=f"use one of {list(BY)}")
    db, out = Path(db), Path(out)
    open_store(db).close()  # the source must exist and be of this Pantau's schema version
    if out.exists() and any(out.iterdir()):
        raise PartitionError("the folder for the partitions is not empty", file=str(out),
                             hint="give a new or empty folder with --out")
    out.mkdir(parents=True, exist_ok=True)
    source = duckdb.connect(str(db), read_only=True)
    try:
        counts = source.execute("SELECT agency, count(*) FROM cases GROUP BY agency ORDER BY agency").fetchall()
        events = dict(source.execute("SELECT agency, count(*) FROM events GROUP BY agency").fetchall())
        every = _tables(source, source.execute("SELECT current_database()").fetchall()[0][0])
    finally:
        source.close()
    if not counts:
        raise PartitionError("the store holds no cases to partition", file=str(db),
                             hint="import a log with 'pantau ingest' first")
    settings = config_path(None, db)
    if settings is not None and settings.is_file():
        shutil.copyfile(settings, out / CONFIG_NAME)
    parts: list[Partition] = []
    for i, (agency, cases) in enumerate(counts, 1):
        part = Partition(f"{i:03d}-{_slug(agency or '')}.duckdb", agency, int(cases), int(events.get(agency, 0)))
        target = part.path(out)
        _copy_beside(db, target)
        con = open_store(target, read_only=False)
        try:
            con.execute("ATTACH ? AS src (READ_ONLY)", [str(db)])
            with transaction(con):
                for table in whole_tables(every):
                    cols = ", ".join(f'"{c}"' for c in _columns(con, "src", table))
                    con.execute(f"DELETE FROM main.{table}")
                    con.execute(f"INSERT INTO main.{table} ({cols}) SELECT {cols} FROM src.{table}")
                for table in BY_AGENCY:
                    cols = ", ".join(f'"{c}"' for c in _columns(con, "src", table))
                    con.execute(f"INSERT INTO main.{table} ({cols}) SELECT {cols} FROM src.{table} "
                                "WHERE agency IS NOT DISTINCT FROM ?", [agency])
                _restart_sequences(con, (i - 1) * IMPORT_ID_RANGE)
            con.execute("DETACH src")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        parts.append(part)
        if progress:
            progress(i, len(counts))
    manifest = {"by": by, "source": db.name, "partitions": [asdict(p) for p in parts]}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return parts


def _attach(con: duckdb.DuckDBPyConnection, folder: Path, parts: Sequence[Partition]) -> list[str]:
    """ATTACH each partition read-only as ``p1``, ``p2``, ...; their catalog names."""
    from event_logs.store import SCHEMA_VERSION

    names = []
    for i, p in enumerate(parts, 1):
        name = f"p{i}"
        try:
            con.execute(f"ATTACH ? AS {name} (READ_ONLY)", [str(p.path(folder))])
            version = con.execute(f"SELECT value FROM {name}.schema_info WHERE key = 'schema_version'").fetchall()
        except duckdb.Error as exc:
            raise StoreError(f"cannot read the partition of agency '{p.agency}' ({str(exc).splitlines()[0][:160]})",
                             file=str(p.path(folder)), hint="split the store again") from exc
        if not version or int(version[0][0]) != SCHEMA_VERSION:
            raise StoreError(f"the partition of agency '{p.agency}' has schema version "
                             f"{version[0][0] if version else '?'}, this Pantau {SCHEMA_VERSION}",
                             file=str(p.path(folder)), hint="run 'pantau init --db' on it, then analyze again")
        names.append(name)
    return names


def _run_map(con: duckdb.DuckDBPyConnection, names: Sequence[str], first: int = 1) -> None:
    """TEMP TABLE ``partition_runs(part, run_id, new_id)``: every partition's runs numbered
    anew from ``first`` (partitions in order, then their run ids), so run ids stay unique."""
    union = " UNION ALL ".join(f"SELECT '{n}' AS part, {i} AS k, run_id FROM {n}.runs"
                               for i, n in enumerate(names))
    con.execute(f"""CREATE OR REPLACE TEMP TABLE partition_runs AS
        SELECT part, run_id, ({first} - 1 + row_number() OVER (ORDER BY k, run_id))::INTEGER AS new_id
        FROM ({union})""")


def _select(con: duckdb.DuckDBPyConnection, table: str, names: Sequence[str]) -> str:
    """The SELECT giving ``table`` over every partition (the one rule of gathering)."""
    cols = _columns(con, names[0], table)
    quoted = ", ".join(f'"{c}"' for c in cols)
    if table in BY_AGENCY:
        return " UNION ALL ".join(f"SELECT {quoted} FROM {n}.{table}" for n in names)
    if table == "runs":
        # the watermark is left out: the gathered runs are not one store's, so an analyze of
        # the gathered store starts full (analytics.incremental: "no watermark")
        picked = ", ".join("m.new_id AS run_id" if c == "run_id" else
                           "json_object('partition', m.part, 'gathered', true) AS recomputed"
                           if c == "recomputed" else f'r."{c}"' for c in cols)
        return " UNION ALL ".join(
            f"SELECT {picked} FROM {n}.runs r JOIN partition_runs m ON m.part = '{n}' AND m.run_id = r.run_id"
            for n in names)
    if table in RESULT_TABLES:
        picked = ", ".join("m.new_id AS run_id" if c == "run_id" else f't."{c}"' for c in cols)
        union = " UNION ALL ".join(
            f"SELECT {picked} FROM {n}.{table} t JOIN partition_runs m ON m.part = '{n}' AND m.run_id = t.run_id"
            for n in names)
        if table not in PER_SOP:
            return union
        key, summed = PER_SOP[table]
        agg = ", ".join(f'"{c}"' if c in key else f'sum("{c}")::BIGINT AS "{c}"' if c in summed
                        else 'max("run_id") AS "run_id"' if c == "run_id" else f'any_value("{c}") AS "{c}"'
                        for c in cols)
        return f"SELECT {agg} FROM ({union}) GROUP BY {', '.join(key)}"
    # copied whole into every partition: the same rows, plus what a partition added itself
    # (the PNML of the models it analysed, an import into it); per key the first partition's
    key = _primary_key(con, names[0], table)
    if not key:
        return " UNION ".join(f"SELECT {quoted} FROM {n}.{table}" for n in names)
    union = " UNION ALL ".join(f"SELECT {quoted}, {i} AS _part FROM {n}.{table}" for i, n in enumerate(names))
    return (f"SELECT {quoted} FROM ({union}) "
            f"QUALIFY row_number() OVER (PARTITION BY {', '.join(key)} ORDER BY _part) = 1")


def _primary_key(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[str]:
    rows = con.execute("SELECT constraint_column_names FROM duckdb_constraints() WHERE database_name = ? "
                       "AND schema_name = 'main' AND table_name = ? AND constraint_type = 'PRIMARY KEY'",
                       [catalog, table]).fetchall()
    return [f'"{c}"' for c in rows[0][0]] if rows else []


def _check_event_ids(con: duckdb.DuckDBPyConnection, names: Sequence[str], folder: Path) -> None:
    """Event ids are each store's own sequence (``max + 1``): events imported into two
    partitions after the split may share one, and results point at events by id."""
    shared = con.execute("SELECT count(*) FROM (SELECT event_id FROM (" + " UNION ALL ".join(
        f"SELECT event_id FROM {n}.events" for n in names) + ") GROUP BY event_id HAVING count(*) > 1)").fetchall()[0][0]
    if shared:
        raise PartitionError(f"{shared:,} event id(s) occur in two partitions: events were imported into "
                             "partitions separately after the split", file=str(folder),
                             hint="import new events into the national store and split it again, or analyse "
                                  "the partitions without gathering (analytics.partitions.national)")


def _gathered_tables(con: duckdb.DuckDBPyConnection, names: Sequence[str]) -> list[str]:
    return [t for t in _tables(con, names[0])
            if t not in OWN and t not in ("work_calendar", "calendar_info", "work_month_deadlines")]


def national(folder: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection over the partitions of ``folder``, each ATTACHed
    read-only: every store and result table is a view over all of them (the agency's rows
    UNION ALL, per-SOP rows added up, run ids numbered anew) and the public views and metric
    macros (``event_logs/sql/views.sql``) are defined over those, so ``case_results``,
    ``on_time_share(...)`` etc. give the national figures. The caller closes it.
    """
    from event_logs.store import sql_text

    folder = Path(folder)
    parts = read_manifest(folder)
    con = duckdb.connect(":memory:")
    try:
        names = _attach(con, folder, parts)
        _run_map(con, names)
        for table in _gathered_tables(con, names):
            con.execute(f"CREATE VIEW main.{table} AS {_select(con, table, names)}")
        con.execute(sql_text("views.sql"))
    except BaseException:
        con.close()
        raise
    return con


@dataclass(frozen=True)
class NationalSpan:
    """What every partition's run must share with the national store's so its results are the
    same: the events' first and last instant (the working calendars' range) and the as-of."""

    first: datetime | None  # None: no event has a time (logs read in order only)
    last: datetime | None
    as_of: datetime | None


def national_span(folder: str | Path, as_of: datetime | str | None = None) -> NationalSpan:
    """The first and last event over every partition of ``folder`` and the as-of a run of the
    whole store would judge open cases at (:func:`analytics.as_of.resolve_as_of` over all
    partitions: ``as_of`` when given, else the end of the last imported day)."""
    from analytics.as_of import resolve_as_of
    from event_logs import registry

    con = national(folder)
    try:
        events, first, last = con.execute("SELECT count(*), min(ts), max(ts) FROM events").fetchall()[0]
        if not events:
            raise PartitionError("the partitions hold no events", file=str(folder),
                                 hint="import a log into a partition with 'pantau ingest --db FILE'")
        known = set(registry.sop_ids(con))
        chosen = [r[0] for r in con.execute("SELECT DISTINCT sop_id FROM events ORDER BY 1").fetchall()
                  if r[0] in known]
        day = last.date() if last is not None else None
        zones = {s: registry.in_force(con, s, day).timezone for s in chosen}
        moment, _ = resolve_as_of(con, chosen, zones, as_of)
    finally:
        con.close()
    return NationalSpan(first, last, moment)


def gather(folder: str | Path, db: str | Path, *, progress: ProgressFn | None = None) -> int:
    """Write the partitions of ``folder`` and their results into the new store ``db`` (the rows
    :func:`national` shows, as tables), with the working calendars installed over all events,
    so the dashboard and every reader open it as one store. Returns the number of cases.

    Its runs are the partitions' (numbered anew, without their watermarks): the next ``pantau
    analyze --db`` of the gathered store is a full one.
    """
    from analytics import calendar as work_calendar
    from analytics.calendars import agency as agency_calendars
    from event_logs import registry
    from event_logs.store import open_store, transaction

    folder, db = Path(folder), Path(db)
    parts = read_manifest(folder)
    if db.exists():
        raise PartitionError("the gathered store exists already", file=str(db),
                             hint="give a new file with --db (gather writes a whole store)")
    settings = folder / CONFIG_NAME
    if settings.is_file() and not (db.parent / CONFIG_NAME).exists():
        db.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(settings, db.parent / CONFIG_NAME)
    _copy_beside(parts[0].path(folder), db)
    con = open_store(db, read_only=False)
    try:
        names = _attach(con, folder, parts)
        _run_map(con, names)
        tables = _gathered_tables(con, names)
        _check_event_ids(con, names, folder)
        with transaction(con):
            for i, table in enumerate(tables, 1):
                cols = ", ".join(f'"{c}"' for c in _columns(con, names[0], table))
                con.execute(f"DELETE FROM main.{table}")
                con.execute(f"INSERT INTO main.{table} ({cols}) SELECT {cols} FROM ({_select(con, table, names)})")
                if progress:
                    progress(i, len(tables) + 1)
            _restart_sequences(con)
            first, last = con.execute("SELECT min(ts), max(ts) FROM events").fetchall()[0]
            # as a run installs them (no timed event: around today)
            every = {s: registry.in_force(con, s, last.date() if last is not None else None)
                     for s in registry.sop_ids(con)}
            if every:
                specs, _ = agency_calendars.run_specs(con, every)
                work_calendar.install_specs(con, specs, first, last)
        for name in names:
            con.execute(f"DETACH {name}")
        if progress:
            progress(len(tables) + 1, len(tables) + 1)
        return int(con.execute("SELECT count(*) FROM cases").fetchall()[0][0])
    finally:
        con.close()
