"""A read-only connection that sees only one scope's agencies (and units).

:func:`apply_scope` creates a TEMP VIEW for every table that holds an agency's rows, named
like the table and filtered by the scope. DuckDB resolves an unqualified name to the temporary
schema first, so every query on the connection — the dashboard's, a view defined in the
store that names the table, a notebook's — reads the filtered view; the real table is only
reachable by its database-qualified name (``<db>.main.t``), which no query of Pantau uses.

Each table has one rule (:data:`RULES`): filtered on its own ``agency``/``unit`` columns, or
through the rows it belongs to (quarantine through its import, variants through the cases
that follow them), or with the columns that would count other agencies blanked (runs). Tables
that hold no agency's rows are listed in :data:`GLOBAL` with the reason. A table in neither is
refused (:class:`AccessError`): a table added to the store later must get a rule before a
scoped user can open the store, and ``tests/test_access_scope.py`` checks every table of an
analysed store against these rules.

Two ways to the same shadows. A store written by this Pantau holds them already: every writable
open (:func:`install`) writes the rules as views in the schema ``scoped`` (:data:`SCHEMA`),
whose conditions call the macros of :data:`MACROS`, plus a copy of the public views
(``sql/views.sql``) there, since a stored view reads the tables of its own schema first. A
scoped connection then only defines those macros as TEMP macros with its scope's names as
literals and puts ``scoped`` first in its search path (eight statements, not thirty ``CREATE
TEMP VIEW``: each costs a connection ~0.3 ms, a tenth of a small page at 1M cases). Macros, not
a ``SET VARIABLE``: a macro is expanded into literals when a query is bound, so filters fold
and push down as before; ``getvariable`` conditions made planning a query of the nested result
views 2-3 times slower. A connection without the macros cannot read the stored shadows at all
(the function does not exist). A store whose ``scoped`` schema is missing or not this
Pantau's (``schema_info.scoped_sha256``) gets the TEMP views as before.

The acceptances a scope sees (:data:`ACCEPTANCES_IN_SCOPE`: through the SOPs and cases in
scope) are read once, as ids, when the scope is applied, and their shadow keeps the entries of
those ids (a literal list, ``false`` when none): the rule as a subquery sat in every result
view (``acceptances`` reads ``acceptance_log`` three times, ``case_results`` that twice) and
made planning a Ringkasan or Deviasi query through a scope up to 1.7 times the unscoped time.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from event_logs.acceptances import FILE_TABLE, file_version
from event_logs.store import READ_RETRY_SECONDS, open_store
from event_logs.vocabulary import VOCABULARIES
from pantau.access.scope import Scope
from pantau.errors import AccessError
from sop_models import load_all

# tables with their own agency and unit columns
BY_AGENCY_AND_UNIT = ("events", "cases", "step_checks", "case_checks", "deviations", "open_cases",
                      "lane_stats", "handovers", "variant_counts", "bottleneck_days")
# tables with an agency but no unit column: a scope limited to units sees none of their rows
# (an import or an agency's model quality covers every unit of the agency)
BY_AGENCY = ("imports", "model_quality", "agency_calendars", "run_calendars")
# tables scoped through other (already scoped) tables; {t} is the real table
THROUGH = {
    # a model version is shown when it is the scope's agency's, or when a case in scope was
    # checked against it (an agency may run another agency's SOP); {agencies} is the scope's
    # agency condition, units aside: an SOP covers every unit of its agency; {case_model} that the
    # checksums the scope's cases were checked against, read once when the scope is applied
    # (as a subquery, every query naming a model table scanned case_checks again: ~90 ms at 1M)
    "models": "SELECT * FROM {t} m WHERE {agencies} OR {case_model}",
    **{part: "SELECT * FROM {t} x WHERE x.model_sha256 IN (SELECT model_sha256 FROM models)"
       for part in ("model_lanes", "model_steps", "model_flow_next", "model_loops", "model_four_eyes",
                    "model_artifacts")},
    # labels and mappings of the SOPs in scope (an SOP id belongs to one agency's document)
    "activity_map": "SELECT * FROM {t} a WHERE a.sop_id IN (SELECT sop_id FROM models)",
    "activity_labels": "SELECT * FROM {t} a WHERE a.model_sha256 IN (SELECT model_sha256 FROM models)",
    # targets of the SOPs in scope: those for every agency, and the scope's agencies' own
    "targets": ("SELECT * FROM {t} x WHERE x.sop_id IN (SELECT sop_id FROM models) "
                "AND (x.agency IS NULL OR {agencies})"),
    # the entries of the acceptances in scope (ACCEPTANCES_IN_SCOPE: their ids, read once when
    # the scope is applied; as a subquery the rule sat in every result view, and planning a
    # Ringkasan or Deviasi query through it took 1.1-1.7 times the unscoped time)
    "acceptance_log": "SELECT * FROM {t} x WHERE {acceptance}",
    "quarantine": "SELECT * FROM {t} q WHERE q.import_id IN (SELECT import_id FROM imports)",
    # a case is (sop_id, agency, case_id): the same id in another agency is another case
    "sim_truth": ("SELECT * FROM {t} s WHERE EXISTS (SELECT 1 FROM cases c "
                  "WHERE c.sop_id = s.sop_id AND c.agency = s.agency AND c.case_id = s.case_id)"),
    # a variant is shown when a case in scope follows it, counted over those cases only (the
    # counts per agency and unit that analyze writes: regrouping case_checks took 15-30 ms a read)
    "variants": ("SELECT v.* REPLACE (n.cases AS case_count) FROM {t} v JOIN "
                 "(SELECT sop_id, variant_id, sum(cases)::BIGINT AS cases FROM variant_counts GROUP BY ALL) n "
                 "USING (sop_id, variant_id)"),
    # run history stays readable (model checksums, calendar version); its totals cover every agency
    "runs": "SELECT * REPLACE (NULL::BIGINT AS event_count, NULL::BIGINT AS case_count) FROM {t}",
}
# The rule of the acceptances a scope sees, over the other shadows (models, cases) and {t},
# the acceptances' rows: those of the SOPs in scope, rules for every agency and the scope's
# agencies' (and units') own, one case's acceptance only when that case is in scope (its id
# and reason are the case's). Every entry of an acceptance (accept, change, revoke) has its id.
ACCEPTANCES_IN_SCOPE = (
    "SELECT DISTINCT a.acceptance_id FROM {t} a "
    "WHERE a.action = 'accept' AND a.sop_id IN (SELECT sop_id FROM models) "
    "AND (a.agency IS NULL OR {a_agencies}) AND (a.unit IS NULL OR {a_units}) "
    "AND (a.case_id IS NULL OR EXISTS (SELECT 1 FROM cases c WHERE c.sop_id = a.sop_id "
    "AND c.agency IS NOT DISTINCT FROM a.agency AND c.case_id = a.case_id))")
GLOBAL = {
    "schema_info": "facts about the file (schema version)",
    "work_calendar": "the working calendar: days and office hours, no agency's rows",
    "work_calendar_open": "a view of work_calendar",
    "work_month_deadlines": "calendar deadlines per month, no agency's rows",
    "calendar_info": "which calendar version was installed",
    **{table: "a vocabulary (event_logs/vocabularies): words, no agency's rows"
       for table, _key in VOCABULARIES.values()},
}
# the store's result views (event_logs/sql/views.sql) name the tables unqualified, so they read
# the shadows: scoped with nothing to do (tests/test_access_scope.py checks they are)
SCOPED_VIEWS = ("case_results", "step_results", "open_results", "deviation_results", "result_models",
                "targets_in_force", "bottlenecks", "acceptances", "accepted_deviations", "model_periods")
RULES: tuple[str, ...] = (*BY_AGENCY_AND_UNIT, *BY_AGENCY, *THROUGH, *SCOPED_VIEWS)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(_literal(v) for v in values)})" if values else "false"


def row_filter(scope: Scope, *, units: bool) -> str:
    """The SQL condition a row of a table with an ``agency`` (and, with ``units``, a ``unit``)
    column must meet to lie in ``scope``."""
    clauses = []
    if scope.agencies is not None:
        clauses.append(_in("agency", scope.agencies))
    if scope.units:
        clauses.append(_in("unit", scope.units) if units else "false")
    return " AND ".join(clauses) or "true"


def store_tables(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Tables and views of the store's own database: name -> ``BASE TABLE`` or ``VIEW``
    (read from ``duckdb_tables()``: a quarter of the time ``information_schema`` takes)."""
    return dict(con.execute(
        "SELECT table_name, 'BASE TABLE' FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name = 'main' "
        "UNION ALL SELECT view_name, 'VIEW' FROM duckdb_views() "
        "WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal").fetchall())


# (file identity, row filter) -> the case models: every page view opens a new scoped connection,
# and the scan costs ~12 ms at 1M cases, a tenth of a small page; any write changes the identity
_CASE_MODELS: dict[tuple, tuple[str, ...]] = {}
_CASE_MODELS_MAX = 128
_case_models_lock = threading.Lock()


def file_identity(path: str | Path) -> tuple:
    """What changes when the store file at ``path`` is written or replaced: inode, size and
    modification time of the file and of its write-ahead log."""
    out: list[int | None] = []
    for p in (Path(path), Path(f"{path}.wal")):
        try:
            st = p.stat()
            out += [st.st_ino, st.st_size, st.st_mtime_ns]
        except FileNotFoundError:
            out += [None, None, None]
    return (str(Path(path).resolve()), *out)


def _case_models(con: duckdb.DuckDBPyConnection, db: str, scope: Scope,
                 identity: tuple | None = None) -> tuple[str, ...]:
    """The model checksums the cases in ``scope`` were checked against (one scan of
    ``case_checks``; the connection is read-only, so the list holds while it is open). With the
    store file's ``identity`` (:func:`file_identity`, read before the file was opened) the list is
    kept for the next connection to the unchanged file."""
    condition = row_filter(scope, units=True)
    key = (identity, condition)
    if identity is not None and key in _CASE_MODELS:
        return _CASE_MODELS[key]
    rows = con.execute(f"SELECT DISTINCT model_sha256 FROM {db}.main.case_checks "
                       f"WHERE {condition} AND model_sha256 IS NOT NULL").fetchall()
    found = tuple(sorted(r[0] for r in rows))
    if identity is not None:
        _remember(_CASE_MODELS, key, found)
    return found


def _remember(cache: dict, key: tuple, value: object) -> None:
    """Keep ``value`` in one of this module's per-file-identity caches, bounded by
    :data:`_CASE_MODELS_MAX` (cleared when full: a new store state makes old keys useless)."""
    with _case_models_lock:
        if len(cache) >= _CASE_MODELS_MAX:
            cache.clear()
        cache[key] = value


SCHEMA = "scoped"            # the stored shadows' schema (install)
# the macros the stored shadows' conditions call (defined per connection: scope_macros_sql)
MACROS = ("pantau_scope_agency", "pantau_scope_unit", "pantau_scope_whole_agency", "pantau_scope_model",
          "pantau_scope_acceptance")
_FILE_VIEW = FILE_TABLE      # scoped.<this>: the store's acceptance_log, unless the TEMP table shadows it
_NONE = "SELECT NULL::BIGINT WHERE false"  # the acceptances in scope of a store without acceptance_log


@dataclass(frozen=True)
class _Conditions:
    """The SQL of a rule's conditions: literals of one scope (TEMP views) or the macros
    (stored views)."""

    rows: str        # a row of a BY_AGENCY_AND_UNIT table (its agency and unit)
    agency_rows: str  # a row of a BY_AGENCY table (a unit-limited scope: none)
    agencies: str    # a row's agency, units aside
    case_model: str  # m.model_sha256 is one the scope's cases were checked against
    acceptance: str  # x.acceptance_id is one of ACCEPTANCES_IN_SCOPE


def _ids(column: str, ids: tuple[int, ...]) -> str:
    return f"{column} IN ({', '.join(str(int(i)) for i in ids)})" if ids else "false"


def _literal_conditions(scope: Scope, case_models: tuple[str, ...],
                        acceptance_ids: tuple[int, ...] = ()) -> _Conditions:
    return _Conditions(
        rows=row_filter(scope, units=True), agency_rows=row_filter(scope, units=False),
        agencies=row_filter(Scope(scope.agencies), units=False),
        case_model=f"m.model_sha256 IN ({', '.join(_literal(m) for m in case_models) or 'NULL'})",
        acceptance=_ids("x.acceptance_id", acceptance_ids))


def _macro_conditions() -> _Conditions:
    agency, unit, whole, model, acceptance = MACROS
    return _Conditions(rows=f"{agency}(agency) AND {unit}(unit)", agency_rows=f"{agency}(agency) AND {whole}()",
                       agencies=f"{agency}(agency)", case_model=f"{model}(m.model_sha256)", acceptance=f"{acceptance}(x.acceptance_id)")


def _acceptance_macro_sql(acceptance_ids: tuple[int, ...]) -> str:
    return f"CREATE OR REPLACE TEMP MACRO {MACROS[4]}(x) AS " + _ids("x", acceptance_ids)


def scope_macros_sql(scope: Scope, case_models: tuple[str, ...], acceptance_ids: tuple[int, ...] = ()) -> list[str]:
    """The ``CREATE TEMP MACRO`` statements of :data:`MACROS` for ``scope`` (what the stored
    shadows' conditions call): its agencies, units, case models and acceptance ids as literals."""
    agency, unit, whole, model, _acceptance = MACROS
    return [f"CREATE OR REPLACE TEMP MACRO {agency}(x) AS "
            + (_in("x", scope.agencies) if scope.agencies is not None else "true"),
            f"CREATE OR REPLACE TEMP MACRO {unit}(x) AS " + (_in("x", scope.units) if scope.units else "true"),
            f"CREATE OR REPLACE TEMP MACRO {whole}() AS {'false' if scope.units else 'true'}",
            f"CREATE OR REPLACE TEMP MACRO {model}(x) AS " + _in("x", case_models),
            _acceptance_macro_sql(acceptance_ids)]


def acceptances_in_scope_sql(scope: Scope, source: str) -> str:
    """The query of the ids of the acceptances ``scope`` sees (:data:`ACCEPTANCES_IN_SCOPE`)
    in the rows of ``source``, on a connection whose ``models`` and ``cases`` are scoped."""
    return ACCEPTANCES_IN_SCOPE.format(
        t=source, a_agencies=_in("a.agency", scope.agencies) if scope.agencies is not None else "true",
        a_units=_in("a.unit", scope.units) if scope.units else "true")


def _rule_views(tables: dict[str, str], c: _Conditions, create: str, source,
                skip: tuple[str, ...] = ()) -> list[str]:
    """``create`` (``CREATE ... VIEW <prefix>``) + each rule of a table in ``tables`` and not in
    ``skip``, in order (each THROUGH rule reads the shadows made before it); ``source(table)``
    is the real table."""
    statements = []
    for table in (*BY_AGENCY_AND_UNIT, *BY_AGENCY):
        if table in tables:
            condition = c.rows if table in BY_AGENCY_AND_UNIT else c.agency_rows
            statements.append(f"{create}{table} AS SELECT * FROM {source(table)} WHERE {condition}")
    for table, sql in THROUGH.items():
        if table in tables and table not in skip:
            body = sql.format(t=source(table), agencies=c.agencies, case_model=c.case_model,
                              acceptance=c.acceptance)
            statements.append(f"{create}{table} AS {body}")
    return statements


def _refuse_unknown(tables: dict[str, str]) -> None:
    unknown = sorted(t for t, kind in tables.items()
                     if kind == "BASE TABLE" and t not in RULES and t not in GLOBAL)
    if unknown:
        raise AccessError(f"the store has tables without an access rule: {', '.join(unknown)}",
                          hint="this Pantau is older than the store, or the table was added by hand; "
                               "only a user who sees every agency can open it")


def stored_sql(tables: dict[str, str]) -> str:
    """The statements that create the schema :data:`SCHEMA` of a store with ``tables``: a
    shadow per rule calling :data:`MACROS`, then the public views over them."""
    from event_logs.store import sql_text

    statements = [f"CREATE SCHEMA {SCHEMA}"]
    if "acceptance_log" in tables:
        # a read-only connection's TEMP table of the acceptances file is found before this view
        statements.append(f"CREATE VIEW {SCHEMA}.{_FILE_VIEW} AS SELECT * FROM main.acceptance_log")
    statements += _rule_views(tables, _macro_conditions(), f"CREATE VIEW {SCHEMA}.",
                              lambda t: _FILE_VIEW if t == "acceptance_log" else f"main.{t}")
    views = sql_text("views.sql").replace("CREATE OR REPLACE VIEW ", f"CREATE OR REPLACE VIEW {SCHEMA}.")
    return ";\n".join(statements) + ";\n" + views.replace("CREATE OR REPLACE MACRO ",
                                                           f"CREATE OR REPLACE MACRO {SCHEMA}.")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# what the stored shadows were made from: their statements and the columns of every table and
# view with a rule (a view binds its columns when created: a table altered since needs them
# anew; the global tables, which analyze adds after its writable open, are read unshadowed)
_FACTS_SQL = (
    "SELECT current_database(), (SELECT value FROM schema_info WHERE key = 'scoped_sha256'), "
    "(SELECT list(view_name) FROM duckdb_views() WHERE database_name = current_database() "
    f"AND schema_name = '{SCHEMA}'), "
    "(SELECT string_agg(table_name || '.' || column_name || ' ' || data_type, ', ' "
    "ORDER BY table_name, column_index) FROM duckdb_columns() WHERE database_name = current_database() "
    "AND schema_name = 'main' AND list_contains($rules, table_name))")


def _read_facts(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, str], str, bool, str]:
    """The store's tables, its database name, whether its stored shadows are this Pantau's for
    the tables as they are, and the checksum they should have."""
    tables = store_tables(con)
    db, stored, names, columns = con.execute(_FACTS_SQL, {"rules": list(RULES)}).fetchall()[0]
    expected = _sha(stored_sql(tables) + "\n" + (columns or ""))
    # every rule's view must be there (a view dropped by hand would let the table be read whole)
    complete = {t for t in RULES if t in tables} <= set(names or ())
    return tables, db, complete and stored == expected, expected


def install(con: duckdb.DuckDBPyConnection) -> None:
    """Write the stored shadows (:func:`stored_sql`) of the writable store ``con`` and their
    checksum (``schema_info.scoped_sha256``) unless they are current; in the caller's transaction."""
    tables, _db, current, expected = _read_facts(con)
    if current:
        return
    con.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    # a view is bound when created: the macros must exist (a scope that sees nothing; dropped after)
    con.execute(";\n".join(scope_macros_sql(Scope(()), ())))
    con.execute(stored_sql(tables))
    con.execute(";\n".join(f"DROP MACRO temp.main.{m}" for m in MACROS))
    con.execute("INSERT OR REPLACE INTO schema_info VALUES ('scoped_sha256', ?)", [expected])


# file identity -> (tables, database name, stored shadows current): the catalogue of an unchanged
# file is the same for the next connection (two queries and a checksum saved per page view)
_FACTS: dict[tuple, tuple[dict[str, str], str, bool]] = {}
# (file identity, acceptances file version, query) -> the ids of the acceptances a scope sees
_ACCEPTED: dict[tuple, tuple[int, ...]] = {}


def _store_facts(con: duckdb.DuckDBPyConnection, identity: tuple | None) -> tuple[dict[str, str], str, bool]:
    if identity is not None and identity in _FACTS:
        return _FACTS[identity]
    tables, db, current, _expected = _read_facts(con)
    facts = (tables, db, current)
    if identity is not None:
        _remember(_FACTS, identity, facts)
    return facts


def scope_sql(con: duckdb.DuckDBPyConnection, scope: Scope,
              identity: tuple | None = None) -> tuple[str, str, Callable[[tuple[int, ...]], str]]:
    """The statements that shadow ``con``'s tables for ``scope``, in two steps: with the store's
    stored shadows current, define the scope's macros and search them first; else ``CREATE TEMP
    VIEW`` each. The first step (the statements returned first) shows no acceptance; then comes
    the query of the ids of the acceptances in scope (:data:`ACCEPTANCES_IN_SCOPE`, over the
    shadows the first step made); the second step, given those ids, shows their entries.
    :class:`AccessError` when the store has a table without a rule (fail closed)."""
    tables, db, stored = _store_facts(con, identity)
    _refuse_unknown(tables)
    case_models = _case_models(con, _ident(db), scope, identity) if "case_checks" in tables else ()
    if stored:
        # _acceptance_file: the read-only connection's TEMP table of the file, else scoped's view
        accepted = acceptances_in_scope_sql(scope, _FILE_VIEW) if "acceptance_log" in tables else _NONE
        # the overlay's TEMP acceptance_log (every row of the file) would be found first
        return (";\n".join([*scope_macros_sql(scope, case_models), f"SET search_path = '{SCHEMA}'",
                             "DROP VIEW IF EXISTS temp.main.acceptance_log"]),
                accepted, _acceptance_macro_sql)
    # a read-only connection reads the acceptances file into a TEMP table (event_logs.acceptances)
    overlaid = bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'temp' "
                                "AND table_name = ?", [FILE_TABLE]).fetchall()[0][0])

    def source(table: str) -> str:
        return f"temp.main.{FILE_TABLE}" if table == "acceptance_log" and overlaid else f"{_ident(db)}.main.{table}"

    def shown(ids: tuple[int, ...]) -> str:
        return ";\n".join(_rule_views({"acceptance_log": "BASE TABLE"}, _literal_conditions(scope, (), ids),
                                       "CREATE OR REPLACE TEMP VIEW ", source))

    accepted = acceptances_in_scope_sql(scope, source("acceptance_log")) if "acceptance_log" in tables else _NONE
    return ";\n".join(_rule_views(tables, _literal_conditions(scope, case_models),
                                   "CREATE OR REPLACE TEMP VIEW ", source)), accepted, shown


def apply_scope(con: duckdb.DuckDBPyConnection, scope: Scope,
                identity: tuple | None = None) -> duckdb.DuckDBPyConnection:
    """Shadow every agency-holding table of ``con`` with ``scope``'s rows; returns ``con``.

    Nothing is done for a scope that holds nothing back. :class:`AccessError` when the store
    has a table without a rule (fail closed: better no page than another agency's rows).
    ``identity``: the read-only store file's :func:`file_identity`, taken before it was opened
    (lets the next connection to the unchanged file reuse what this one read).
    """
    if scope.is_all:
        return con
    setup, accepted, show_acceptances = scope_sql(con, scope, identity)
    # the same store file, acceptances file and query give the same ids: kept for the next
    # page view (the query over the shadows was ~1.3 ms of a 35 ms page at 1M cases)
    key = None if identity is None else (identity, file_version(identity[0]), accepted)
    ids = _ACCEPTED.get(key) if key is not None else None
    if ids is None:
        # one call: the statements run in order, the last reads the acceptances in scope (the
        # connection shows none until then: a second call only when there are some)
        ids = tuple(sorted(int(r[0]) for r in con.execute(f"{setup};\n{accepted}").fetchall()))
        if key is not None:
            _remember(_ACCEPTED, key, ids)
    else:
        con.execute(setup)
    if ids:
        con.execute(show_acceptances(ids))
    return con


def open_scoped(path: str | Path, scope: Scope) -> duckdb.DuckDBPyConnection:
    """``open_store(path)`` (read-only, waiting :data:`~event_logs.store.READ_RETRY_SECONDS`
    for a short write to finish) seeing only ``scope``'s rows."""
    identity = file_identity(path) if not scope.is_all else None  # before the open: a write after it is a miss
    con = open_store(path, wait_seconds=READ_RETRY_SECONDS)
    try:
        return apply_scope(con, scope, identity)
    except BaseException:
        con.close()
        raise


def known_agencies(path: str | Path) -> set[str]:
    """Agency names a user's scope may name: the SOP models' and those in the store at ``path``
    (when it exists)."""
    names = {m.agency for m in load_all()}
    if Path(path).exists():
        con = open_store(path)
        try:
            names |= {r[0] for r in con.execute("SELECT DISTINCT agency FROM cases WHERE agency IS NOT NULL "
                                                "UNION SELECT DISTINCT agency FROM imports "
                                                "WHERE agency IS NOT NULL").fetchall()}
        finally:
            con.close()
    return names
