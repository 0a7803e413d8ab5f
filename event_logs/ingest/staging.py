"""The SQL that turns a source into checked rows, in temporary tables on the store connection.

``ingest_rows``  (written by :mod:`event_logs.ingest.rows`) the one materialisation of the file: source_row, one cleaned VARCHAR column
                 per kept source column (trimmed, '' -> NULL, control characters removed;
                 identity numbers hashed, NIK/phone numbers in other text guarded
                 (:mod:`event_logs.ingest.pii`); personal columns left out), the parsed ``ts``
                 with its plausibility (``ts_check``), the normalised ``lifecycle``, and the
                 masked text of a bad timestamp or lifecycle for the quarantine reason.
                 No column of it ever holds a raw personal value.
``ingest_skip``  source_row of the good rows not to load: full-row copies of an earlier row,
                 events already stored for this SOP (a narrow, short table: no strings copied).

Problems and fields are SQL expressions over ``ingest_rows`` (:class:`Fields`), evaluated
where used; copying strings into more tables is what costs time at a million rows.
Temporary tables live in memory (spilling to the store's temp directory under pressure),
never in the database file, and vanish with the connection.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from event_logs.ingest.columns import ColumnPlan
from event_logs.ingest.timestamps import Window

# JSON numbers for attribute columns whose every value is a number; no leading zeros and at
# most 15 digits, so identifiers (resi '000123', a 16-digit NIK) stay text.
_INT_RE = r"[+-]?(0|[1-9]\d{0,14})"
_DOT_RE = _INT_RE + r"(\.\d+)?"
_COMMA_RE = r"[+-]?(0|[1-9]\d{0,2}(\.\d{3})+|[1-9]\d{0,14})(,\d+)?"


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


# The fields an event is compared on with the events already stored (same SOP).
EVENT_KEYS = ("case_id", "activity", "lifecycle", "ts", "resource", "unit", "agency")

# Why a parsed time is implausible (ingest_rows.ts_check), as the reason says it.
_TS_CHECK_TEXT = {"offset": "offset beyond ±14:00", "early": "before {first}", "late": "after {last}"}


@dataclass
class Fields:
    """SQL expressions for the event fields and the row checks, over ``ingest_rows``."""

    plan: ColumnPlan
    agency: str                     # default agency (--agency or the model's)
    has_extra: bool                 # CSV: column c_extra is set for rows with too many fields
    window: Window | None = None    # plausible timestamps (for the reason text)
    broken_rows: tuple[int, ...] = ()  # CSV rows whose quote did not close on their line

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
        if name == "nik_hash":  # the NIK columns in order, then a case id that is a NIK
            found = [f"c{i}" for i in self.plan.niks]
            if self.col("case_id"):
                found.append(f"CASE WHEN case_is_nik THEN {self.col('case_id')} END")
            return f"coalesce({', '.join(found)})" if found else "NULL::VARCHAR"
        return self.col(name) or "NULL::VARCHAR"

    def kinds(self) -> dict[str, str]:
        """Problem kind -> condition; the order is the order of a reason string."""
        ts_text = self.col("timestamp")
        out = {}
        if self.broken_rows:
            out["unbalanced quote"] = f"source_row IN ({', '.join(map(str, self.broken_rows))})"
        if self.has_extra:
            out["too many fields"] = "c_extra IS NOT NULL"
        out["missing case_id"] = f"{self.value('case_id')} IS NULL"
        out["missing activity"] = f"{self.value('activity')} IS NULL"
        if ts_text is not None:  # a log without times (order only) has no time to miss
            out["missing timestamp"] = f"{ts_text} IS NULL"
            out["unparsable timestamp"] = f"{ts_text} IS NOT NULL AND ts IS NULL AND ts_check IS NULL"
            out["implausible timestamp"] = "ts_check IS NOT NULL"
        if self.col("lifecycle"):
            out["unknown lifecycle"] = "lifecycle IS NULL"
        return out

    def ok(self) -> str:
        """True for a row without problems."""
        return "NOT (" + " OR ".join(f"({c})" for c in self.kinds().values()) + ")"

    def problem(self) -> str:
        """The reason string of a bad row, e.g. ``missing case_id; unparsable timestamp '31/31/2024'``;
        values are shown masked (:func:`~event_logs.ingest.pii.mask_value`), never raw."""
        window = self.window
        why = {k: v.format(first=window.first, last=window.last) if window else v
               for k, v in _TS_CHECK_TEXT.items()}
        checks = " ".join(f"WHEN ts_check = {lit(k)} THEN {lit(v)}" for k, v in why.items())
        shown = {"unparsable timestamp": " || ' ' || ts_shown",
                 "implausible timestamp": f" || ' ' || ts_shown || ' (' || CASE {checks} END || ')'",
                 "unknown lifecycle": " || ' ' || lc_shown"}
        parts = [f"CASE WHEN {cond} THEN {lit(kind)}{shown.get(kind, '')} END"
                 for kind, cond in self.kinds().items()]
        return f"concat_ws('; ', {', '.join(parts)})"

    def first_kind(self) -> str:
        """The machine-readable kind of a bad row's first problem (``quarantine.kind``)."""
        whens = " ".join(f"WHEN {cond} THEN {lit(kind_code(kind))}" for kind, cond in self.kinds().items())
        return f"CASE {whens} END"

    def keys(self) -> dict[str, str]:
        """Name -> expression of the event's fields (an event's identity in the store)."""
        return {n: self.value(n) for n in EVENT_KEYS}

    def row(self) -> dict[str, str]:
        """Name -> expression of every kept column: the event's fields (parsed: the same instant
        written two ways is one value), then each other column as read (hashed where an identity
        number). Two rows equal in all of these are copies of one row."""
        used = set(self.plan.fields.values())
        rest = sorted(i for i in (*self.plan.attributes, *self.plan.pii) if i not in used)
        return {**self.keys(), **{f"x{i}": f"c{i}" for i in rest}}


def kind_code(kind: str) -> str:
    """The machine-readable form of a problem kind: ``'missing case_id'`` -> ``'missing_case_id'``
    (``ref_quarantine_kinds.kind``)."""
    return kind.replace(" ", "_")


def fill_case_agency(con: duckdb.DuckDBPyConnection, plan: ColumnPlan) -> int:
    """Blank agency cells of a case id whose other rows in the file name exactly one agency
    take that agency (exports often name it on a case's first row only): a case is (SOP,
    agency, case id), so a blank cell must not make a second case of the default agency.
    Returns the rows filled; rows of a case id naming no agency, or several, keep the default
    (``--agency``, else the SOP model's)."""
    agency, case = plan.fields.get("agency"), plan.fields.get("case_id")
    if agency is None or case is None:
        return 0
    return int(con.execute(f"""
        UPDATE ingest_rows SET c{agency} = one.agency
        FROM (SELECT c{case} AS case_id, any_value(c{agency}) AS agency FROM ingest_rows
              WHERE c{case} IS NOT NULL AND c{agency} IS NOT NULL
              GROUP BY 1 HAVING count(DISTINCT c{agency}) = 1) one
        WHERE ingest_rows.c{agency} IS NULL AND ingest_rows.c{case} = one.case_id""").fetchall()[0][0])


def has_lifecycle_words(con: duckdb.DuckDBPyConnection, plan: ColumnPlan) -> bool:
    """True when the lifecycle column holds at least one lifecycle word (start/complete/...)."""
    column = plan.fields["lifecycle"]
    sql = f"SELECT count(*) FROM ingest_rows WHERE c{column} IS NOT NULL AND lifecycle IS NOT NULL"
    return bool(con.execute(sql).fetchall()[0][0])


@dataclass(frozen=True)
class AttributeColumn:
    """A column that is no event field: JSON key, raw column index, how its values are typed,
    and whether it is a case attribute (``cases.attributes``: one value per case) or an event
    attribute (``events.attributes``: its values differ between a case's events)."""

    key: str
    index: int
    kind: str  # int | dot | comma | text
    per_event: bool = False

    def sql(self) -> str:
        """The typed value (JSON number for numeric columns; text as guarded in ingest_rows)."""
        v = f"c{self.index}"
        if self.kind == "int":
            return f"try_cast({v} AS BIGINT)"
        if self.kind == "dot":
            return f"try_cast({v} AS DOUBLE)"
        if self.kind == "comma":
            return f"try_cast(replace(replace({v}, '.', ''), ',', '.') AS DOUBLE)"
        return v


@dataclass
class RowStats:
    """Counts over ``ingest_rows`` from one scan."""

    parsed_ts: int
    bad: int
    kinds: dict[str, int] = field(default_factory=dict)
    control_rows: int = 0  # rows control characters were removed from
    attributes: list[AttributeColumn] = field(default_factory=list)


def numeric_counts(v: str) -> list[str]:
    """Values, values that may be numbers (a sign or digit first: what every numeric kind's
    regex needs), values with a comma. Cheap: a cast that fails, as on every value of a text
    column, cost ~1 s per million values; a look at the first character costs ~0.05 s."""
    return [f"count({v})", f"count(*) FILTER (WHERE ascii({v}) BETWEEN 48 AND 57 OR ascii({v}) IN (43, 45))",
            f"count(*) FILTER (WHERE contains({v}, ','))"]


_KIND_RE = {"int": _INT_RE, "dot": _DOT_RE, "comma": _COMMA_RE}


def attribute_kinds(con: duckdb.DuckDBPyConnection, counts: dict[int, tuple[int, int, int]]) -> dict[int, str]:
    """Column index -> int | dot | comma | text: the first numeric kind whose regex matches
    every value of the column (comma only where a value has a comma), from ``counts`` (the
    :func:`numeric_counts` of each column); the regexes run only on columns whose every value
    may be a number."""
    checks = [(i, k) for i, (total, numeric, with_comma) in counts.items() if total and numeric == total
              for k in ("int", "dot", "comma") if k != "comma" or with_comma]
    full = {}
    if checks:
        sql = ", ".join(f"count(*) FILTER (WHERE regexp_full_match(c{i}, '{_KIND_RE[k]}'))" for i, k in checks)
        full = dict(zip(checks, con.execute(f"SELECT {sql} FROM ingest_rows").fetchall()[0], strict=True))
    return {i: next((k for k in ("int", "dot", "comma") if full.get((i, k)) == total), "text")
            for i, (total, _numeric, _comma) in counts.items()}


def row_stats(con: duckdb.DuckDBPyConnection, fields: Fields, *, count_control: bool = False) -> RowStats:
    """Problem counts per kind, parsed timestamps, the :func:`numeric_counts` of attribute
    columns and (``count_control``) rows that had control characters, in one scan; then the
    attribute columns' kinds (:func:`attribute_kinds`) and which are the events' own."""
    plan = fields.plan
    kinds = fields.kinds()
    parts = ["count(ts)", f"count(*) FILTER (WHERE NOT ({fields.ok()}))",
             "count(*) FILTER (WHERE has_control)" if count_control else "0"]
    parts += [f"count(*) FILTER (WHERE {cond})" for cond in kinds.values()]
    for i in plan.attributes:
        parts += numeric_counts(f"c{i}")
    row = con.execute(f"SELECT {', '.join(parts)} FROM ingest_rows").fetchall()[0]
    stats = RowStats(parsed_ts=int(row[0]), bad=int(row[1]), control_rows=int(row[2]))
    stats.kinds = {k: int(n) for k, n in zip(kinds, row[3:3 + len(kinds)], strict=True) if n}
    offset = 3 + len(kinds)
    counts = {i: tuple(int(x) for x in row[offset + 3 * n: offset + 3 * n + 3]) for n, i in enumerate(plan.attributes)}
    typed = attribute_kinds(con, counts)  # type: ignore[arg-type]
    taken = set(plan.names)
    for i in plan.attributes:
        name = plan.names[i]
        # XES trace attributes (and their CSV flattenings) are 'case:<key>'; the key is <key>.
        if name.startswith("case:") and name[5:] not in taken:
            name = name[5:]
        stats.attributes.append(AttributeColumn(name, i, typed[i]))
    stats.attributes = _per_event(con, fields, stats.attributes)
    return stats


def _per_event(con: duckdb.DuckDBPyConnection, fields: Fields,
               attrs: list[AttributeColumn]) -> list[AttributeColumn]:
    """Mark the columns whose values differ within a case (among its good rows; an empty cell
    differs from nothing): they are the events' own. XES trace attributes ('case:<key>') are
    the case's by definition; a column with one value per case stays a case attribute."""
    probe = [a for a in attrs if not fields.plan.names[a.index].startswith("case:")]
    if not probe:
        return attrs
    case, agency = fields.value("case_id"), fields.value("agency")
    varies = ", ".join(f"bool_or(d{a.index})" for a in probe)
    inner = ", ".join(f"min(c{a.index}) IS DISTINCT FROM max(c{a.index}) AS d{a.index}" for a in probe)
    row = con.execute(f"SELECT {varies} FROM (SELECT {inner} FROM ingest_rows WHERE {fields.ok()} "
                      f"GROUP BY {case}, {agency})").fetchall()[0]
    per_event = {a.index for a, v in zip(probe, row, strict=True) if v}
    return [AttributeColumn(a.key, a.index, a.kind, a.index in per_event) for a in attrs]


def event_attributes_json(attrs: list[AttributeColumn]) -> str:
    """The events' own attributes as a JSON object of typed values (empty cells left out; NULL
    when the row has none)."""
    own = [a for a in attrs if a.per_event]
    if not own:
        return "NULL::JSON"
    if len(own) == 1:  # the common case: one object or none, no merge patch, no parse
        a = own[0]
        return f"CASE WHEN {a.sql()} IS NOT NULL THEN json_object({lit(a.key)}, {a.sql()}) END"
    # what json_merge_patch('{}', json_object(...)) writes (null members left out), as text
    members = ", ".join(f"CASE WHEN {a.sql()} IS NOT NULL THEN to_json({lit(a.key)}) || ':' || to_json({a.sql()}) END"
                        for a in own)
    return f"nullif('{{' || concat_ws(',', {members}) || '}}', '{{}}')::JSON"


def row_hash_sql(values: list[str]) -> str:
    """The hash that sorts rows into candidate groups of copies (equal rows hash equal; rows
    that collide are told apart by their values)."""
    return f"hash({', '.join(values)})"


def copies_sql(fields: Fields) -> str:
    """The source_row of every good row that is a full-row copy of an earlier good row (equal
    in every column of :meth:`Fields.row`, NULLs equal).

    Grouped by a hash of the row first: a row whose hash no other row has is a copy of no
    row, and only the rows sharing a hash (the copies, and any hash collision) are compared
    by their full values, so a collision never makes two different rows copies. Grouping every
    row by all its strings cost ~0.7 s at a million rows.
    """
    row = fields.row()
    exprs = ", ".join(f"{expr} AS k_{name}" for name, expr in row.items())
    keys = ", ".join(f"k_{name}" for name in row)
    return f"""
        WITH g AS MATERIALIZED (SELECT source_row, {row_hash_sql(list(row.values()))} AS h
                                FROM ingest_rows WHERE {fields.ok()}),
             shared AS (SELECT h FROM g GROUP BY h HAVING count(*) > 1)
        SELECT source_row FROM (
            SELECT source_row, row_number() OVER (PARTITION BY {keys} ORDER BY source_row) AS nth
            FROM (SELECT source_row, {exprs} FROM ingest_rows
                  WHERE source_row IN (SELECT source_row FROM g SEMI JOIN shared USING (h))))
        WHERE nth > 1"""


def create_skip(con: duckdb.DuckDBPyConnection, fields: Fields, sop_id: str, *, good: int,
                order_only: bool = False) -> int:
    """``ingest_skip``: the good rows not to load, so the rows to load are the good rows
    without them (a short table: a few % of the file in the usual case). Skipped are the full-
    row copies of an earlier row (:func:`copies_sql`) and events already stored for this SOP
    (overlapping exports of the same register load each event once). Rows equal in the event's
    fields but not in another column are distinct events (two payments of one case on one day).

    A stored event is matched by its fields: of n rows of the file sharing them, the first m
    are taken as stored when the store holds m such events (a multiset difference), so two
    distinct events with equal fields load twice, and again export loads them no more. Returns
    how many rows will be loaded: of the ``good`` rows (the rows without problems, counted by
    :func:`row_stats`), those not skipped.

    ``order_only`` (a log without times): no row of the file is a copy of another, for a row
    repeated without a time to tell them apart is the activity done again (rework); the
    events already stored are still subtracted as a multiset."""
    copies = "SELECT NULL::BIGINT AS source_row WHERE false" if order_only else copies_sql(fields)
    stored = con.execute("SELECT count(*) FROM events WHERE sop_id = ?", [sop_id]).fetchall()[0][0]
    if not stored:
        con.execute(f"CREATE OR REPLACE TEMP TABLE ingest_skip AS {copies}")
    else:
        keys = ", ".join(f"k_{n}" for n in EVENT_KEYS)
        exprs = ", ".join(f"{fields.value(n)} AS k_{n}" for n in EVENT_KEYS)
        same = " AND ".join(f"s.{n} IS NOT DISTINCT FROM r.k_{n}" for n in EVENT_KEYS)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE ingest_skip AS
            WITH c AS MATERIALIZED ({copies}),
                 r AS (SELECT source_row, {keys},
                              row_number() OVER (PARTITION BY {keys} ORDER BY source_row) AS nth
                       FROM (SELECT source_row, {exprs} FROM ingest_rows WHERE {fields.ok()})
                       ANTI JOIN c USING (source_row)),
                 s AS (SELECT {', '.join(EVENT_KEYS)}, count(*) AS n FROM events e
                       WHERE e.sop_id = {lit(sop_id)}
                         AND e.case_id IN (SELECT k_case_id FROM r) GROUP BY ALL)
            SELECT source_row FROM c
            UNION ALL
            SELECT r.source_row FROM r JOIN s ON {same} WHERE r.nth <= s.n""")
    skipped = con.execute("SELECT count(*) FROM ingest_skip").fetchall()[0][0]
    return good - int(skipped)


def loaded_rows_sql(fields: Fields) -> str:
    """``FROM`` and ``WHERE`` of the rows to load: the good rows not in ``ingest_skip``."""
    return f"ingest_rows r ANTI JOIN ingest_skip USING (source_row) WHERE {fields.ok()}"


def quarantine_raw_sql(plan: ColumnPlan, has_extra: bool) -> str:
    """JSON of a row for the quarantine table (values as guarded in ingest_rows).

    A row with more
    fields than the header is withheld when the file has personal-data columns: its values
    are shifted, so a NIK or name may sit under any column.
    """
    pairs = []
    for i, name in enumerate(plan.names):
        if i in plan.dropped:
            continue
        pairs.append(f"{lit(name)}, c{i}")
    body = f"json_object({', '.join(pairs)})"
    if has_extra:  # merge-patch with a NULL value adds nothing: the key appears only when used
        body = f"json_merge_patch({body}, json_object('(extra fields)', c_extra))"
    if has_extra and (plan.pii or plan.dropped):
        withheld = ("json_object('(withheld)', 'the row has more fields than the header, so personal-"
                    "data columns cannot be located; its values are not kept')")
        body = f"CASE WHEN c_extra IS NOT NULL THEN {withheld} ELSE {body} END"
    return body
