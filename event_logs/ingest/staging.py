"""The SQL that turns a source into checked rows, in temporary tables on the store connection.

``ingest_rows``  the one materialisation of the file: source_row, one cleaned VARCHAR column
                 per kept source column (trimmed, '' -> NULL; PII already hashed; name
                 columns left out), the parsed ``ts`` and the normalised ``lifecycle``.
``ingest_keep``  source_row of the rows to load: fine, first of their exact duplicates, not
                 already stored for this SOP (a narrow table: no strings copied).

Problems and fields are SQL expressions over ``ingest_rows`` (:class:`Fields`), evaluated
where used; copying strings into more tables is what costs time at a million rows.
Temporary tables live in memory (spilling to the store's temp directory under pressure),
never in the database file, and vanish with the connection.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from event_logs.ingest.columns import ColumnPlan
from event_logs.ingest.pii import guard_nik_value_sql, hmac_sql, id_digits_sql
from event_logs.ingest.readers import Source
from event_logs.ingest.timestamps import timestamp_sql

LIFECYCLE_COMPLETE = ("complete", "completed", "selesai", "end", "ended", "finish", "finished", "done")
LIFECYCLE_START = ("start", "started", "mulai", "dimulai", "begin")

# JSON numbers for attribute columns whose every value is a number; no leading zeros and at
# most 15 digits, so identifiers (resi '000123', a 16-digit NIK) stay text.
_INT_RE = r"[+-]?(0|[1-9]\d{0,14})"
_DOT_RE = _INT_RE + r"(\.\d+)?"
_COMMA_RE = r"[+-]?(0|[1-9]\d{0,2}(\.\d{3})+|[1-9]\d{0,14})(,\d+)?"


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(lit(v) for v in values) + ")"


def _shown(expr: str) -> str:
    return f"'''' || left({expr}, 60) || ''''"


@dataclass
class Fields:
    """SQL expressions for the event fields and the row checks, over ``ingest_rows``."""

    plan: ColumnPlan
    agency: str                     # default agency (--agency or the model's)
    has_extra: bool                 # CSV: column c_extra is set for rows with too many fields

    def col(self, name: str) -> str | None:
        """``c<i>`` of the column mapped to ``name``, or None."""
        index = self.plan.fields.get(name)
        return None if index is None else f"c{index}"

    def value(self, name: str) -> str:
        """The field's value expression (NULL when the file has no such column)."""
        if name == "agency":
            column = self.col("agency")
            return f"coalesce({column}, {lit(self.agency)})" if column else lit(self.agency)
        if name == "lifecycle":
            return "lifecycle" if self.col("lifecycle") else "'complete'"
        if name == "ts":
            return "ts"
        if name == "nik_hash":
            return f"c{self.plan.nik}" if self.plan.nik is not None else "NULL::VARCHAR"
        return self.col(name) or "NULL::VARCHAR"

    def kinds(self) -> dict[str, str]:
        """Problem kind -> condition; the order is the order of a reason string."""
        ts_text = self.col("timestamp")
        out = {}
        if self.has_extra:
            out["too many fields"] = "c_extra IS NOT NULL"
        out["missing case_id"] = f"{self.value('case_id')} IS NULL"
        out["missing activity"] = f"{self.value('activity')} IS NULL"
        out["missing timestamp"] = f"{ts_text} IS NULL"
        out["unparsable timestamp"] = f"{ts_text} IS NOT NULL AND ts IS NULL"
        if self.col("lifecycle"):
            out["unknown lifecycle"] = "lifecycle IS NULL"
        return out

    def ok(self) -> str:
        """True for a row without problems."""
        return "NOT (" + " OR ".join(f"({c})" for c in self.kinds().values()) + ")"

    def problem(self) -> str:
        """The reason string of a bad row, e.g. ``missing case_id; unparsable timestamp '31/31/2024'``."""
        shown = {"unparsable timestamp": _shown(self.col("timestamp") or "''"),
                 "unknown lifecycle": _shown(self.col("lifecycle") or "''")}
        parts = [f"CASE WHEN {cond} THEN {lit(kind)}" + (f" || ' ' || {shown[kind]}" if kind in shown else "")
                 + " END" for kind, cond in self.kinds().items()]
        return f"concat_ws('; ', {', '.join(parts)})"

    def keys(self) -> list[str]:
        """The fields two rows must share to be exact duplicates."""
        return [self.value(n) for n in ("case_id", "activity", "lifecycle", "ts", "resource", "unit", "agency")]


def create_rows(con: duckdb.DuckDBPyConnection, source: Source, plan: ColumnPlan, key: bytes,
                zone: str) -> int:
    """Materialise ``ingest_rows`` from ``source``; returns the row count.

    Personal-data columns are hashed once per distinct value (a NIK repeats on every event
    of its case) and joined back, so no table ever holds a raw value; raw values exist only
    in DuckDB's working memory while this statement runs.
    """
    kept = [i for i in range(len(source.exprs)) if i not in plan.dropped]
    scan = [f"({source.row_sql})::BIGINT AS source_row"]
    scan += [f"nullif(trim({source.exprs[i]}), '') AS c{i}" for i in kept]
    if source.extra_sql:
        scan.append(f"{source.extra_sql} AS c_extra")
    ctes = [f"s AS MATERIALIZED (SELECT {', '.join(scan)} FROM {source.from_sql})"]
    joins, outer = [], ["s.source_row"]
    for i in kept:
        if i in plan.pii:
            ctes.append(f"h{i} AS (SELECT v, {hmac_sql(id_digits_sql('v'), key)} AS hashed FROM "
                        f"(SELECT DISTINCT c{i} AS v FROM s WHERE c{i} IS NOT NULL))")
            joins.append(f"LEFT JOIN h{i} ON s.c{i} = h{i}.v")
            outer.append(f"h{i}.hashed AS c{i}")
        else:
            outer.append(f"s.c{i}")
    if source.extra_sql:
        outer.append(f"{guard_nik_value_sql('s.c_extra', key)} AS c_extra")
    ts_col = plan.fields.get("timestamp")
    outer.append(f"{timestamp_sql(f's.c{ts_col}', zone)} AS ts" if ts_col is not None
                 else "NULL::TIMESTAMPTZ AS ts")
    lc_col = plan.fields.get("lifecycle")
    if lc_col is not None:
        text = f"lower(s.c{lc_col})"
        outer.append(f"""CASE WHEN s.c{lc_col} IS NULL THEN 'complete'
            WHEN {text} IN {_in(LIFECYCLE_COMPLETE)} THEN 'complete'
            WHEN {text} IN {_in(LIFECYCLE_START)} THEN 'start' END AS lifecycle""")
    # The CTE is materialised so the parsing below runs on all cores (the CSV scan is serial).
    con.execute(f"CREATE OR REPLACE TEMP TABLE ingest_rows AS WITH {', '.join(ctes)} "
                f"SELECT {', '.join(outer)} FROM s {' '.join(joins)}")
    return int(con.execute("SELECT count(*) FROM ingest_rows").fetchall()[0][0])


def has_lifecycle_words(con: duckdb.DuckDBPyConnection, plan: ColumnPlan) -> bool:
    """True when the lifecycle column holds at least one lifecycle word (start/complete/...)."""
    column = plan.fields["lifecycle"]
    sql = f"SELECT count(*) FROM ingest_rows WHERE c{column} IS NOT NULL AND lifecycle IS NOT NULL"
    return bool(con.execute(sql).fetchall()[0][0])


@dataclass(frozen=True)
class AttributeColumn:
    """A case-attribute column: JSON key, raw column index and how its values are typed."""

    key: str
    index: int
    kind: str  # int | dot | comma | text

    def sql(self, key: bytes) -> str:
        """The typed value (JSON number for numeric columns; 16-digit values hashed)."""
        v = f"c{self.index}"
        if self.kind == "int":
            return f"try_cast({v} AS BIGINT)"
        if self.kind == "dot":
            return f"try_cast({v} AS DOUBLE)"
        if self.kind == "comma":
            return f"try_cast(replace(replace({v}, '.', ''), ',', '.') AS DOUBLE)"
        return guard_nik_value_sql(v, key)


@dataclass
class RowStats:
    """Counts over ``ingest_rows`` from one scan."""

    parsed_ts: int
    bad: int
    kinds: dict[str, int] = field(default_factory=dict)
    attributes: list[AttributeColumn] = field(default_factory=list)


def row_stats(con: duckdb.DuckDBPyConnection, fields: Fields) -> RowStats:
    """Problem counts per kind, parsed timestamps and attribute-column types, in one scan."""
    plan = fields.plan
    kinds = fields.kinds()
    parts = ["count(ts)", f"count(*) FILTER (WHERE NOT ({fields.ok()}))"]
    parts += [f"count(*) FILTER (WHERE {cond})" for cond in kinds.values()]
    for i in plan.attributes:
        v = f"c{i}"
        parts += [f"count({v})",
                  f"count(*) FILTER (WHERE regexp_full_match({v}, '{_INT_RE}'))",
                  f"count(*) FILTER (WHERE regexp_full_match({v}, '{_DOT_RE}'))",
                  f"count(*) FILTER (WHERE regexp_full_match({v}, '{_COMMA_RE}'))",
                  f"count(*) FILTER (WHERE contains({v}, ','))"]
    row = con.execute(f"SELECT {', '.join(parts)} FROM ingest_rows").fetchall()[0]
    stats = RowStats(parsed_ts=int(row[0]), bad=int(row[1]))
    stats.kinds = {k: int(n) for k, n in zip(kinds, row[2:2 + len(kinds)], strict=True) if n}
    taken = set(plan.names)
    offset = 2 + len(kinds)
    for n, i in enumerate(plan.attributes):
        total, ints, dots, commas, with_comma = row[offset + 5 * n: offset + 5 * n + 5]
        kind = "text"
        if total and ints == total:
            kind = "int"
        elif total and dots == total:
            kind = "dot"
        elif total and commas == total and with_comma:
            kind = "comma"
        name = plan.names[i]
        # XES trace attributes (and their CSV flattenings) are 'case:<key>'; the key is <key>.
        if name.startswith("case:") and name[5:] not in taken:
            name = name[5:]
        stats.attributes.append(AttributeColumn(name, i, kind))
    return stats


def create_keep(con: duckdb.DuckDBPyConnection, fields: Fields, sop_id: str) -> int:
    """``ingest_keep``: the first row of each group of exact duplicates (NULLs equal) among the
    good rows, minus events already stored for this SOP (overlapping exports of the same
    register load each event once). Returns how many rows will be loaded."""
    names = ("case_id", "activity", "lifecycle", "ts", "resource", "unit", "agency")
    keys = fields.keys()
    grouped = (f"SELECT min(source_row) AS source_row, "
               f"{', '.join(f'{k} AS k_{n}' for k, n in zip(keys, names, strict=True))} "
               f"FROM ingest_rows WHERE {fields.ok()} GROUP BY ALL")
    stored = con.execute("SELECT count(*) FROM events WHERE sop_id = ?", [sop_id]).fetchall()[0][0]
    anti = ""
    if stored:
        anti = f"""WHERE NOT EXISTS (
            SELECT 1 FROM events e
            WHERE e.sop_id = {lit(sop_id)} AND e.case_id = g.k_case_id AND e.activity = g.k_activity
              AND e.lifecycle = g.k_lifecycle AND e.ts = g.k_ts
              AND e.resource IS NOT DISTINCT FROM g.k_resource AND e.unit IS NOT DISTINCT FROM g.k_unit
              AND e.agency IS NOT DISTINCT FROM g.k_agency)"""
    con.execute(f"CREATE OR REPLACE TEMP TABLE ingest_keep AS SELECT source_row FROM ({grouped}) g {anti}")
    return int(con.execute("SELECT count(*) FROM ingest_keep").fetchall()[0][0])


def quarantine_raw_sql(plan: ColumnPlan, key: bytes, has_extra: bool) -> str:
    """JSON of a row for the quarantine table (PII columns already hashed in ingest_rows).

    Other values that look like a NIK/KK (16 digits) are hashed too. A row with more
    fields than the header is withheld when the file has personal-data columns: its values
    are shifted, so a NIK or name may sit under any column.
    """
    pairs = []
    for i, name in enumerate(plan.names):
        if i in plan.dropped:
            continue
        value = f"c{i}" if i in plan.pii else guard_nik_value_sql(f"c{i}", key)
        pairs.append(f"{lit(name)}, {value}")
    body = f"json_object({', '.join(pairs)})"
    if has_extra:  # merge-patch with a NULL value adds nothing: the key appears only when used
        body = f"json_merge_patch({body}, json_object('(extra fields)', c_extra))"
    if has_extra and (plan.pii or plan.dropped):
        withheld = ("json_object('(withheld)', 'the row has more fields than the header, so personal-"
                    "data columns cannot be located; its values are not kept')")
        body = f"CASE WHEN c_extra IS NOT NULL THEN {withheld} ELSE {body} END"
    return body
