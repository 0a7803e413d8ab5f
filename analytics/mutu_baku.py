"""Mutu Baku stages of ``pantau analyze``: step checks (``step_checks``) and case checks
(``case_checks``).

Set-based: the model's standards are small temp tables read from the store
(:mod:`analytics.standards`); ``sql/intermediate/case_facts.sql`` summarises each case;
events get one working-clock reading each (one hash join on the working calendar);
``sql/intermediate/occurrences.sql`` pairs start and complete events and finds what enabled
each occurrence (two window passes), and ``sql/results/step_checks.sql`` judges every
occurrence and writes ``step_checks`` in the same statement. No Python loop runs per event or
per case. The rules are in ``docs/mutu-baku.md``. The caller owns the transaction and must
have installed the working calendar (:func:`analytics.calendar.install_for_models`).

Temp tables left on the connection for the later stages of the same run:
``mutu_baku_case_facts`` (per case) and ``mutu_baku_open_occ`` (steps in progress), tagged by
``mutu_baku_state(run_id)``; the later stages rebuild them when missing.
"""

from __future__ import annotations

import duckdb

from analytics import sql_files
from analytics.incremental import scope_sql
from analytics.labels import ensure_labels
from analytics.standards import OUTPUT_KEYS, install_standards, sop_filters
from analytics.work_clock import add_work_clock, ensure_clock
from event_logs import vocabulary
from event_logs.lifecycle import OCCURRENCE, TRANSITIONS
from pantau.errors import AnalysisError, CalendarError
from pantau.units import DAYS_PER_MONTH
from sop_models.model import SopModel

# ref_step_status.when_flag -> the condition in results/step_checks.sql's `judged` rows
_STATUS_FLAGS = {"missed_day": "j.missed_day", "over_max": "j.over_max", "under_min": "j.under_min",
                 "no_bound": "NOT j.has_standard",
                 # no time to measure from: a log read in order only (events.ts NULL)
                 "no_time": "(j.complete_ts IS NULL OR j.clock_ts IS NULL)"}


def status_sql() -> str:
    """The step status rule as a SQL CASE: the first status of ``ref_step_status`` (by its
    precedence) whose condition holds; the one with condition ``always`` otherwise."""
    ranked = sorted(vocabulary.rows("step_status"), key=lambda r: int(r["precedence"]))
    whens = [f"WHEN {_STATUS_FLAGS[r['when_flag']]} THEN '{r['status']}'"
             for r in ranked if r["when_flag"] != "always"]
    default = [r["status"] for r in ranked if r["when_flag"] == "always"]
    if len(default) != 1 or len(whens) + 1 != len(ranked):
        raise AnalysisError("ref_step_status needs exactly one status with when_flag 'always' "
                            f"and known flags ({', '.join(_STATUS_FLAGS)})")
    return f"CASE {' '.join(whens)} ELSE '{default[0]}' END"


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchall()[0][0])


def _check_calendar(con: duckdb.DuckDBPyConnection) -> None:
    if not _table_exists(con, "work_calendar"):
        raise CalendarError("no working calendar installed",
                            hint="call analytics.calendar.install_for_models(con, models, first, last) first")
    ensure_clock(con)


# The events straight from the store with their step's integer key in one join on the label
# (mutu_baku_label_keys: run_labels with the step key), the same rows as run_events: labels
# out of a case are left out, unmapped ones keep sk NULL. Only starts and completions make
# step occurrences (event_logs.lifecycle): a schedule, suspend or abort between them is kept
# in the store but neither opens nor closes one.
_EVENTS = f"""
    SELECT e.event_id, f.ck, k.sk, e.lifecycle = 'complete' AS is_c, e.ts, e.resource,
           f.calendar_id
    FROM events e
    JOIN mutu_baku_case_facts f ON f.sop_id = e.sop_id AND f.agency = e.agency AND f.case_id = e.case_id
    LEFT JOIN mutu_baku_label_keys k ON k.sop_id = e.sop_id AND k.label = e.activity
    WHERE coalesce(k.in_case, true) AND e.lifecycle IN ({", ".join(f"'{t}'" for t in OCCURRENCE)})"""
# the transitions that end an activity instance undone: a start they follow is not in progress
ENDED = ", ".join(f"'{t}'" for t, part in TRANSITIONS.items() if part == "ends")


def _events(incremental: bool, sop_filter: str) -> str:
    return (_EVENTS.replace("FROM events e", f"FROM {scope_sql('events', 'e', incremental)} e", 1)
            + f" AND {sop_filter}")


# An integer case key keeps the window sorts cheap (about half the time of sorting on the
# text columns of a case: sop_id, agency, case_id); on the (1-in-10^7 at a million cases)
# chance of a hash collision the text key is used instead, so no two cases ever share a
# window partition.
_HASH_KEY = "hash(e.sop_id, e.agency, e.case_id)"
_TEXT_KEY = "e.sop_id || chr(31) || e.agency || chr(31) || e.case_id"


def _build_case_facts(con: duckdb.DuckDBPyConnection, *, split: bool) -> None:
    for key in (_HASH_KEY, _TEXT_KEY):
        facts = add_work_clock(sql_files.render("intermediate/case_facts.sql", case_key=key),
                               ["first_ts", "last_ts", "last_complete_ts"])
        for i, sop_filter in enumerate(sop_filters(con, ["sop_id"], split=split)):
            # the filter reaches the events through the grouping: other SOPs' row groups are skipped
            con.execute(("INSERT INTO mutu_baku_case_facts " if i else
                         "CREATE OR REPLACE TEMP TABLE mutu_baku_case_facts AS ")
                        + f"SELECT * FROM ({facts}) WHERE {sop_filter}")
        n, distinct = con.execute(
            "SELECT count(*), count(DISTINCT ck) FROM mutu_baku_case_facts").fetchall()[0]
        if n == distinct:
            break
    n, lo, hi = con.execute(
        "SELECT count(*), min(first_ts), max(last_ts) FROM mutu_baku_case_facts "
        # a case without times (a log read in order only) has no clock reading to miss
        "WHERE (first_ts_wm IS NULL AND first_ts IS NOT NULL) OR (last_ts_wm IS NULL AND last_ts IS NOT NULL)"
    ).fetchall()[0]
    if n:
        raise CalendarError(f"{n} case(s) with events between {lo} and {hi} fall outside the "
                            "installed working calendar", field="ts",
                            hint="install the calendar over the events' date range "
                                 "(analytics.calendar.install_for_models)")


def prepare(con: duckdb.DuckDBPyConnection, run_id: int, models: dict[str, SopModel], *,
            split: bool = False) -> None:
    """Build the per-case temp tables the Mutu Baku stages share (no result rows).

    ``mutu_baku_case_facts`` (one row per case: span, last completion, last completed step)
    and ``mutu_baku_open_occ`` (steps in progress), plus the model tables of
    :func:`analytics.standards.install_standards`. ``split``: the case facts in one statement
    per SOP (:func:`analytics.standards.sop_filters`; a full run's).
    """
    if not models:
        raise AnalysisError("no SOP to check", hint="pass models={sop_id: SopModel}")
    _check_calendar(con)
    install_standards(con, models)
    sql_files.run(con, "rules/mutu_baku.sql", days_per_month=DAYS_PER_MONTH)
    ensure_labels(con, models)
    # an integer per step: window partitions and sorts on it cost less than on the text id
    con.execute("""
        CREATE OR REPLACE TEMP TABLE mutu_baku_step_keys AS
        SELECT sop_id, step_id, (row_number() OVER (ORDER BY sop_id, step_id))::INTEGER AS sk
        FROM mutu_baku_standards;
        CREATE OR REPLACE TEMP TABLE mutu_baku_label_keys AS
        SELECT l.sop_id, l.label, k.sk, l.in_case
        FROM run_labels l LEFT JOIN mutu_baku_step_keys k ON k.sop_id = l.sop_id AND k.step_id = l.step_id""")
    _build_case_facts(con, split=split)
    con.execute("CREATE OR REPLACE TEMP TABLE mutu_baku_open_occ AS "
                + add_work_clock(sql_files.render("intermediate/open_occurrences.sql", ended=ENDED), ["start_ts"]))
    con.execute("CREATE OR REPLACE TEMP TABLE mutu_baku_state AS SELECT ?::INTEGER AS run_id", [run_id])


def ensure_prepared(con: duckdb.DuckDBPyConnection, run_id: int, models: dict[str, SopModel]) -> None:
    """Make sure this connection holds run ``run_id``'s Mutu Baku temp tables (else build them)."""
    fresh = _table_exists(con, "mutu_baku_state") and con.execute(
        "SELECT count(*) FROM mutu_baku_state WHERE run_id = ?", [run_id]).fetchall()[0][0]
    if not fresh or not _table_exists(con, "mutu_baku_open_occ"):
        prepare(con, run_id, models)
    else:
        install_standards(con, models)  # cheap; later stages may pass other models
        sql_files.run(con, "rules/mutu_baku.sql", days_per_month=DAYS_PER_MONTH)
        ensure_labels(con, models)


# The instant the working clock reaches max_target_wm (the working-time deadline), as the
# calendar's work_add computes it. When every working day of the installed calendars has the
# same length (Indonesia: 480 minutes, no daylight saving), the n-th working day starts at
# (n - 1) x day_minutes on the clock, so an equality join finds the day (one hash join);
# otherwise an ASOF join on the clock does (several times slower on millions of rows).
_DEADLINE_EQUI = (
    "CASE WHEN s.max_target_wm IS NOT NULL THEN w.open_utc + to_microseconds("
    "CAST(round((s.max_target_wm - w.cum_before) * 60000000) AS BIGINT)) END",
    "LEFT JOIN work_calendar_open w ON w.calendar_id = s.calendar_id "
    "AND w.workday_no = CAST(ceil(s.max_target_wm / s.day_minutes) AS BIGINT)",
)
_DEADLINE_ASOF = (
    "CASE WHEN s.max_target_wm - w.cum_before <= w.minutes THEN w.open_utc + to_microseconds("
    "CAST(round((s.max_target_wm - w.cum_before) * 60000000) AS BIGINT)) END",
    "ASOF LEFT JOIN work_calendar_open w ON w.calendar_id = s.calendar_id "
    "AND s.max_target_wm > w.cum_before",
)


def _uniform_working_days(con: duckdb.DuckDBPyConnection) -> bool:
    return not con.execute("""
        SELECT count(*) FROM work_calendar_open w
        JOIN calendar_info i ON i.calendar_id = w.calendar_id
        WHERE w.calendar_id IN (SELECT DISTINCT calendar_id FROM mutu_baku_case_facts)
          AND (w.minutes <> i.day_minutes OR w.cum_before <> (w.workday_no - 1) * i.day_minutes)
    """).fetchall()[0][0]


def build_step_checks(con: duckdb.DuckDBPyConnection, run_id: int, models: dict[str, SopModel], *,
                      incremental: bool = False) -> int:
    """Insert one ``step_checks`` row per completed step occurrence of ``models``' cases.

    ``incremental``: the events are read from the run's scope (:mod:`analytics.incremental`),
    not from the whole store (the case facts hold only the scope's cases either way). Returns
    the number of rows written. Occurrences started but never completed are not
    written here; :func:`analytics.open_cases.build_open_cases` reports them.
    """
    prepare(con, run_id, models, split=not incremental)
    # XES suspend -> resume inside an occurrence: a small table, empty for most logs. A store
    # without any suspend skips the query (it joins every event to its case: ~1 s CPU at 17.6M
    # events; the check stops at the first suspend, 2 ms)
    suspensions = sql_files.render("intermediate/suspensions.sql", events=scope_sql("events", "e", incremental))
    any_suspend = con.execute("SELECT count(*) FROM (SELECT 1 FROM events WHERE lifecycle = 'suspend' LIMIT 1)"
                              ).fetchall()[0][0]
    con.execute("CREATE OR REPLACE TEMP TABLE mutu_baku_suspended AS "
                + add_work_clock(suspensions, ["suspend_ts", "resume_ts"]) + ("" if any_suspend else " LIMIT 0"))
    before = con.execute("SELECT count(*) FROM step_checks").fetchall()[0][0]
    deadline, deadline_join = _DEADLINE_EQUI if _uniform_working_days(con) else _DEADLINE_ASOF
    values = {"working_deadline": deadline, "working_deadline_join": deadline_join,
              "run_id": int(run_id), "step_status": status_sql(), "days_per_month": DAYS_PER_MONTH,
              # the working-clock reading of the moment a late step fell due (excess_wm)
              "due_clock": add_work_clock("SELECT * FROM due", ["due_ts"])}
    # rows need no particular order; letting DuckDB write them unordered saves a few seconds
    # per million rows. The setting is restored: it belongs to the caller's connection.
    keep = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("SET preserve_insertion_order = false")
    try:
        # a full run: one statement per SOP (sop_filters; 1M cases, 18.8 s against 22.9 s for
        # one; under a cap of a tenth of the events' size, as at 10M, 18.8 against 32.7)
        for events_filter, facts_filter in zip(sop_filters(con, ["e.sop_id", "f.sop_id"], split=not incremental),
                                               sop_filters(con, ["sop_id"], split=not incremental), strict=True):
            occurrences = sql_files.render("intermediate/occurrences.sql",
                                           clocked_events=add_work_clock(_events(incremental, events_filter), ["ts"]))
            sql_files.run(con, "results/step_checks.sql", occurrences=occurrences,
                          sop_filter=facts_filter, **values)
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if keep else 'false'}")
    return int(con.execute("SELECT count(*) FROM step_checks").fetchall()[0][0] - before)


def _conformance_source(con: duckdb.DuckDBPyConnection) -> str:
    if _table_exists(con, "conformance_cases"):
        return "conformance_cases"
    # the conformance stage did not run: its columns stay NULL
    return ("(SELECT NULL::VARCHAR AS case_id, NULL::VARCHAR AS sop_id, NULL::VARCHAR AS agency, "
            "NULL::VARCHAR AS variant_id, "
            "NULL::DOUBLE AS alignment_fitness, NULL::VARCHAR AS alignment_status, "
            "NULL::DOUBLE AS token_fitness, NULL::BOOLEAN AS conformant, "
            "NULL::INTEGER AS deviation_count WHERE false)")


def output_recorded_sql(attrs: str = "c.attributes") -> str:
    """SQL for ``output_recorded``: NULL unless ``attrs`` has one of :data:`OUTPUT_KEYS`;
    then true when one of them holds a non-empty value."""
    present = " OR ".join(f"json_exists({attrs}, '$.{k}')" for k in OUTPUT_KEYS)
    values = ", ".join(f"nullif(trim({attrs} ->> '{k}'), '')" for k in OUTPUT_KEYS)
    return f"CASE WHEN {present} THEN coalesce({values}) IS NOT NULL END"


def build_case_checks(con: duckdb.DuckDBPyConnection, run_id: int, models: dict[str, SopModel]) -> int:
    """Insert one ``case_checks`` row per case of ``models``; returns the number of rows.

    Joins the ``conformance_cases`` staging table of the conformance stage when present
    (else its columns are NULL) and this run's ``step_checks`` for ``breach_count``.
    """
    ensure_prepared(con, run_id, models)
    before = con.execute("SELECT count(*) FROM case_checks").fetchall()[0][0]
    sql_files.run(con, "results/case_checks.sql", run_id=int(run_id),
                  conformance_cases=_conformance_source(con), output_recorded=output_recorded_sql())
    return int(con.execute("SELECT count(*) FROM case_checks").fetchall()[0][0] - before)
