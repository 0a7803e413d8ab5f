"""``ingest_rows``: the one materialisation of a source, personal data already protected.

One statement, in layers:

``s``  the scan (serial for CSV): trimmed text per column, '' -> NULL, control characters
       removed when the reader saw any; personal columns read as ``d<i>`` only to be compared.
``p``  hashing of identity-number columns (once per distinct value, joined back), timestamp
       and lifecycle parsing, ``row_holds``: whether any of the row's text fields may hold a
       NIK or phone number (the regex runs once per distinct value of a column; a row is
       tested by membership in its columns' holding values).
``q``  the timestamp's plausibility (``ts_check``: 'offset' | 'early' | 'late' | NULL).
final  every text field guarded where the row holds a number (:func:`pii.guard_sql`), the
       timestamp text where it is no plausible time, in a broken row (failed time or
       lifecycle, surplus fields) a field equal to one of its row's personal values replaced, the masked texts a reason shows; raw and personal columns
       dropped. No column of the table holds a raw personal value.
"""

from __future__ import annotations

import duckdb

from event_logs import lifecycle
from event_logs.ingest.columns import ColumnPlan
from event_logs.ingest.pii import (
    CONTROL_RE,
    HOLDS_RE,
    NIK_VALUE_RE,
    PERSONAL_REMOVED,
    guard_sql,
    hmac_sql,
    id_digits_sql,
    mask_value_sql,
    sql_re,
    strip_control_sql,
)
from event_logs.ingest.source import Source, literal
from event_logs.ingest.timestamps import Window, bad_offset_sql, timestamp_sql


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(literal(v) for v in values) + ")"


def trim_sql(expr: str) -> str:
    """``trim(expr)``, called only where it can change the value: trim removes spaces (U+0020
    and the other Unicode space separators, all non-ASCII) at either end, and most values have
    none. Checking costs less than trim's copy of every value."""
    return (f"CASE WHEN starts_with({expr}, ' ') OR ends_with({expr}, ' ') OR strlen({expr}) <> length({expr}) "
            f"THEN trim({expr}) ELSE {expr} END")


# CSV files without quoted line breaks are read by DuckDB's parallel reader (tests compare
# the store with the serial reader's: rows.PARALLEL_CSV = False)
PARALLEL_CSV = True


def _scan_columns(source: Source, plan: ColumnPlan, kept: list[int]) -> list[str]:
    def clean(expr: str) -> str:
        return strip_control_sql(expr) if source.control else expr

    scan = [f"nullif({trim_sql(clean(source.exprs[i]))}, '') AS c{i}" for i in kept]
    scan += [f"nullif({trim_sql(clean(source.exprs[i]))}, '') AS d{i}" for i in plan.dropped]
    if source.extra_sql:
        scan.append(f"{clean(source.extra_sql)} AS c_extra")
    if source.control:  # dropped columns too: they are in the file
        scan.append(f"regexp_matches(concat({', '.join(source.exprs)}), '{CONTROL_RE}') AS has_control")
    return scan


def _scan(source: Source, plan: ColumnPlan, kept: list[int]) -> str:
    scan = [f"({source.row_sql})::BIGINT AS source_row", *_scan_columns(source, plan, kept)]
    # A serial CSV scan is materialised once, so the parsing after it runs on all cores. Arrow
    # and Parquet scans are parallel and already in memory or compressed: not copied again.
    how = "MATERIALIZED" if source.text_path is not None else "NOT MATERIALIZED"
    return f"s AS {how} (SELECT {', '.join(scan)} FROM {source.from_sql})"


def _scan_in_parallel(con: duckdb.DuckDBPyConnection, source: Source, plan: ColumnPlan, kept: list[int]) -> bool:
    """``ingest_raw``: the scan's columns read by the parallel CSV reader, in file order (the
    table keeps insertion order, so ``rowid + 1`` is the data row). False when that reader
    refuses the file (it cannot split a file whose quoted values hold line breaks, and says
    so): the serial reader then reads it, with its own errors for a broken file."""
    if not PARALLEL_CSV or source.parallel_sql is None:
        return False
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE ingest_raw AS "
                    f"SELECT {', '.join(_scan_columns(source, plan, kept))} FROM {source.parallel_sql}")
        return True
    except duckdb.Error:
        con.execute("DROP TABLE IF EXISTS ingest_raw")
        return False


def _holding_values(text: list[str]) -> list[str]:
    """One CTE per text column: its distinct values that may hold a NIK or phone number
    (:data:`~event_logs.ingest.pii.HOLDS_RE`). The regex runs once per distinct value, not
    once per row: labels, statuses, resources and units repeat on every row of a case."""
    ctes = []
    for c in (t.removeprefix("s.") for t in text):
        # any_value, not the group key: the optimizer pushes a filter on a group key below the
        # GROUP BY, where the regex would run on every row again
        ctes.append(f"k_{c} AS (SELECT v FROM (SELECT any_value({c}) AS v FROM s WHERE {c} IS NOT NULL "
                    f"GROUP BY {c}) WHERE regexp_matches(v, '{sql_re(HOLDS_RE)}'))")
    return ctes


def row_holds_sql(text: list[str]) -> str:
    """True when one of the row's ``text`` fields (``s.c<i>``) is among its column's holding
    values (:func:`_holding_values`): the same as :data:`HOLDS_RE` on each field of the row
    (no digit run or phone number reaches across two fields), tested by membership."""
    if not text:
        return "false"
    tests = " OR ".join(f"coalesce({c} IN (SELECT v FROM k_{c.removeprefix('s.')}), false)" for c in text)
    return f"({tests})"


def lifecycle_sql(text: str) -> str:
    """The lifecycle transition a (non-NULL) text names (start/complete/...), else NULL."""
    lower = f"lower({text})"
    by_transition: dict[str, list[str]] = {}
    for word, transition in lifecycle.words().items():
        by_transition.setdefault(transition, []).append(word)
    whens = " ".join(f"WHEN {lower} IN {_in(tuple(w))} THEN {literal(t)}" for t, w in by_transition.items())
    return f"CASE {whens} END"


def _parsed(source: Source, plan: ColumnPlan, kept: list[int], key: bytes, zone: str) -> tuple[list[str], str]:
    """The ``p`` layer's CTEs (hash tables) and its SELECT list + joins."""
    ctes, joins, out = [], [], ["s.source_row"]
    text: list[str] = []  # the fields row_holds looks at
    ts_col, lc_col = plan.fields.get("timestamp"), plan.fields.get("lifecycle")
    for i in kept:
        if i in plan.pii:
            ctes.append(f"h{i} AS (SELECT v, {hmac_sql(id_digits_sql('v'), key)} AS hashed FROM "
                        f"(SELECT DISTINCT c{i} AS v FROM s WHERE c{i} IS NOT NULL))")
            joins.append(f"LEFT JOIN h{i} ON s.c{i} = h{i}.v")
            out.append(f"h{i}.hashed AS c{i}")
        else:
            out.append(f"s.c{i}")
            if i != ts_col:  # a parsed time is no personal data; a failed one is guarded alone
                text.append(f"s.c{i}")
    if source.extra_sql:
        out.append("s.c_extra")
        text.append("s.c_extra")
    out += [f"s.d{i}" for i in plan.dropped]
    if source.control:
        out.append("s.has_control")
    holding = _holding_values(text)
    ctes += holding
    out.append(f"{row_holds_sql(text)} AS row_holds")
    if ts_col is not None:
        out += [f"{timestamp_sql(f's.c{ts_col}', zone)} AS ts", f"s.c{ts_col} AS raw_ts"]
    else:
        out += ["NULL::TIMESTAMPTZ AS ts", "NULL::VARCHAR AS raw_ts"]
    if lc_col is not None:
        # read once per distinct value (a status column holds a handful), joined back
        ctes.append(f"lc AS (SELECT v, {lifecycle_sql('v')} AS transition FROM "
                    f"(SELECT DISTINCT s.c{lc_col} AS v FROM s WHERE s.c{lc_col} IS NOT NULL))")
        joins.append(f"LEFT JOIN lc ON s.c{lc_col} = lc.v")
        out.append(f"CASE WHEN s.c{lc_col} IS NULL THEN 'complete' ELSE lc.transition END AS lifecycle")
        out.append(f"s.c{lc_col} AS raw_lc")
    return ctes, f"SELECT {', '.join(out)} FROM s {' '.join(joins)}"


def _final(plan: ColumnPlan, kept: list[int], key: bytes, extra: bool) -> str:
    """The last layer's ``SELECT``: guarded fields, personal values replaced, masked texts."""
    ts_col, lc_col = plan.fields.get("timestamp"), plan.fields.get("lifecycle")
    case_col = plan.fields.get("case_id")
    personal = ", ".join(f"d{i}" for i in plan.dropped)
    # rows whose fields may be shifted: a time or lifecycle that failed, or surplus fields
    # (a log without times has no failed time: only its lifecycle or surplus fields can shift)
    broken = "(" + ("ts IS NULL OR ts_check IS NOT NULL" if ts_col is not None else "false") \
        + (" OR lifecycle IS NULL" if lc_col is not None else "") \
        + (" OR c_extra IS NOT NULL" if extra else "") + ")"
    replace = []
    for i in kept:
        if i in plan.pii:
            continue
        if i == ts_col:
            value = f"CASE WHEN ts IS NULL OR ts_check IS NOT NULL THEN {guard_sql(f'c{i}', key)} ELSE c{i} END"
        else:
            value = f"CASE WHEN row_holds THEN {guard_sql(f'c{i}', key, identifier=i == case_col)} ELSE c{i} END"
        if plan.dropped:  # a broken row put a name under 'Status': it is that person's name
            removed = hmac_sql(f"c{i}", key) if i == case_col else literal(PERSONAL_REMOVED)
            value = (f"CASE WHEN {broken} THEN CASE WHEN c{i} IN ({personal}) THEN {removed} "
                     f"ELSE {value} END ELSE {value} END")
        replace.append(f"{value} AS c{i}")
    drop = ["raw_ts", "row_holds", *(f"d{i}" for i in plan.dropped)]
    shown = [f"CASE WHEN ts IS NULL OR ts_check IS NOT NULL THEN {mask_value_sql('raw_ts')} END AS ts_shown"]
    if lc_col is not None:
        drop.append("raw_lc")
        shown.append(f"CASE WHEN lifecycle IS NULL THEN {mask_value_sql('raw_lc')} END AS lc_shown")
    case_nik = (f"CASE WHEN row_holds THEN coalesce(regexp_full_match(c{case_col}, '{NIK_VALUE_RE}'), false) "
                "ELSE false END AS case_is_nik") if case_col is not None and case_col not in plan.pii \
        else "false AS case_is_nik"
    return (f"SELECT * EXCLUDE ({', '.join(drop)})"
            + (f" REPLACE ({', '.join(replace)})" if replace else "")
            + f", {', '.join(shown)}, {case_nik}")


def create_rows(con: duckdb.DuckDBPyConnection, source: Source, plan: ColumnPlan, key: bytes,
                zone: str, window: Window) -> int:
    """Materialise ``ingest_rows`` from ``source`` (see the module text); returns the row count.

    Raw values exist only in DuckDB's working memory while this runs (a CSV read in parallel:
    in the temporary ``ingest_raw``, dropped right after). A serial scan is
    materialised so the parsing after it runs on all cores; CASE
    evaluates its THEN for the selected rows alone, so the guards and masks cost only where
    a row holds a number or a time failed.
    """
    kept = [i for i in range(len(source.exprs)) if i not in plan.dropped]
    ctes, p_select = _parsed(source, plan, kept, key, zone)
    offset = "CASE WHEN ts IS NULL AND raw_ts IS NOT NULL AND " + bad_offset_sql("raw_ts") + " THEN 'offset' END"
    check = f"coalesce({offset}, {window.check_sql('ts', zone)}) AS ts_check"
    final = _final(plan, kept, key, source.extra_sql is not None)
    if source.extra_sql:  # surplus fields of a CSV row: rare, guarded whole
        final = final.replace("SELECT * EXCLUDE (", "SELECT * EXCLUDE (c_extra, ", 1) + \
            f", CASE WHEN row_holds THEN {guard_sql('c_extra', key)} ELSE c_extra END AS c_extra"
    parallel = _scan_in_parallel(con, source, plan, kept)
    scan = ("s AS NOT MATERIALIZED (SELECT rowid + 1 AS source_row, * FROM ingest_raw)" if parallel
            else _scan(source, plan, kept))
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE ingest_rows AS WITH {scan}, "
                    f"{''.join(c + ', ' for c in ctes)}p AS ({p_select}), q AS (SELECT *, {check} FROM p) "
                    f"{final} FROM q")
    finally:
        if parallel:  # the raw values live no longer than this statement needs them
            con.execute("DROP TABLE IF EXISTS ingest_raw")
    return int(con.execute("SELECT count(*) FROM ingest_rows").fetchall()[0][0])


def scrub_json_cells(con: duckdb.DuckDBPyConnection, plan: ColumnPlan) -> list[str]:
    """Remove personal keys from cells that hold a JSON object (``{"nama": ..., "hp": ...}``).

    The keys present anywhere in the file's JSON cells are judged by the column-name rules
    (:func:`~event_logs.ingest.pii.is_personal_column`, ``is_id_column``) and removed by one
    JSON merge patch per column (top-level keys; numbers inside the text were guarded
    already). Returns the keys removed. Costs one cheap ``starts_with`` scan when no cell is
    JSON.
    """
    import json

    from event_logs.ingest.pii import is_id_column, is_personal_column

    columns = [i for i in plan.attributes + [plan.fields[f] for f in ("resource", "unit", "activity")
                                             if f in plan.fields] if i not in plan.pii]
    if not columns:
        return []
    counts = con.execute("SELECT " + ", ".join(f"count(*) FILTER (WHERE starts_with(c{i}, '{{'))" for i in columns)
                         + " FROM ingest_rows").fetchall()[0]
    removed: list[str] = []
    for i, n in zip(columns, counts, strict=True):
        if not n:
            continue
        keys = [r[0] for r in con.execute(
            f"SELECT DISTINCT unnest(json_keys(c{i})) FROM ingest_rows "
            f"WHERE starts_with(c{i}, '{{') AND json_valid(c{i}) AND json_type(c{i}) = 'OBJECT'").fetchall()]
        personal = sorted(k for k in keys if is_personal_column(k) or is_id_column(k))
        if personal:
            patch = json.dumps(dict.fromkeys(personal))
            con.execute(f"UPDATE ingest_rows SET c{i} = CAST(json_merge_patch(c{i}, ?) AS VARCHAR) "
                        f"WHERE starts_with(c{i}, '{{') AND json_valid(c{i}) AND json_type(c{i}) = 'OBJECT'",
                        [patch])
            removed += [k for k in personal if k not in removed]
    return removed
