"""Rows for auditors: deviations, Mutu Baku breaches and open cases late now, each traceable.

One builder per export (:data:`EXPORTS`), shared by the pages' downloads and ``pantau export``
(and by evidence packs), so a file made on the Deviasi page and one made on the command line
hold the same rows. Every row carries what an auditor needs to defend it (:data:`COMMON`):
the analysis run, the moment open cases were judged at, the SOP's number and revision, the
model's checksum and the calendar version, whether the case is open or closed, and local
timestamps with their UTC offset (``2024-12-27 16:00:00+07:00``, the SOP's zone). Each column
is described once, in :data:`COLUMNS` (the xlsx ``columns`` sheet prints it).

Filters: agency, SOP and unit as everywhere; the period selects cases by their first local day
(deviations, late cases: as the Deviasi and Ringkasan pages) or step occurrences by their
completion day (breaches: as the Pelanggaran page).
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from dashboard.filters import Filters, where
from dashboard.queries.base import case_period, frame, in_list
from dashboard.queries.conformance import SCOPES, in_scope

# Which cases a deviation export covers (the Deviasi page's choice).
CASE_SCOPES = tuple(SCOPES)

COMMON: dict[str, str] = {
    "run_id": "the pantau analyze run whose results the row is (runs.run_id)",
    "as_of": "the moment that run judged open cases at (runs.as_of), local time with UTC offset",
    "sop_id": "the SOP model id",
    "sop_number": "the SOP's number as printed (Nomor SOP); empty when none is printed",
    "sop_revision": "the SOP's revision as printed (No. Revisi); empty when none is printed",
    "model_sha256": "SHA-256 of the SOP model file the case was checked against (models.model_sha256)",
    "calendar_version": "the working-calendar install the durations were computed with",
    "agency": "the case's agency",
    "unit": "the case's service unit",
    "case_id": "the case identifier as in the source log",
    "case_status": "open (not yet at an end of the SOP at as_of: judged so far) or closed",
    "case_first_ts": "the case's first event, local time with UTC offset",
    "case_last_ts": "the case's last event (so far, for an open case), local time with UTC offset",
}
COLUMNS: dict[str, dict[str, str]] = {
    "deviations": {
        **COMMON,
        "kind": "the deviation kind (ref_deviation_kinds.kind: skipped_step, wrong_order, ...)",
        "kind_label": "the kind in Bahasa Indonesia",
        "step_id": "the SOP step concerned; empty for an activity of no step",
        "activity": "the activity label as logged, for a deviation about an event",
        "position": "1-based position of the event in the case's trace; empty for a skipped step",
        "lane": "the step's lane (Pelaksana)",
        "event_id": "the event the deviation is about (events.event_id); empty for a skipped step",
        "event_ts": "that event's time, local time with UTC offset",
        "import_file": "the file the event was imported from (imports.file_name)",
        "source_row": "the event's 1-based data row in that file",
        "explanation_id": "the deviation explained in Bahasa Indonesia",
        "explanation_en": "the deviation explained in English",
        "accepted": "true when an acceptance in force covers it (shown, left out of every count)",
        "acceptance_id": "that acceptance (pantau accept list); empty when not accepted",
        "accepted_by": "who accepted it",
        "accepted_at": "when, local time with UTC offset",
        "accepted_until": "the acceptance's expiry; empty: none",
        "accepted_reason": "the reason in force",
    },
    "breaches": {
        **COMMON,
        "step_id": "the SOP step",
        "occurrence": "1 the first time the step was done in the case, 2 the second, ...",
        "lane": "the step's lane (Pelaksana)",
        "resource": "who completed the step, when the log says",
        "status": "breach (over its maximum), deadline_missed (after its day-of-month deadline) or too_fast",
        "status_label": "the status in Bahasa Indonesia",
        "enabled_ts": "when the step could start, local time with UTC offset",
        "start_ts": "its start event, local time with UTC offset; empty without one",
        "complete_ts": "its completion, local time with UTC offset",
        "deadline_ts": "when it was due, local time with UTC offset",
        "elapsed": "the time it took, in std_unit on the std_calendar basis",
        "std_max": "its maximum in std_unit (empty when it has none)",
        "std_unit": "minute, hour, day or month",
        "std_calendar": "working (office hours) or calendar (elapsed wall time)",
        "overrun": "elapsed minus std_max, in std_unit (0 when within the maximum)",
        "excess_hours": "working hours from when it fell due to its completion (the bottleneck figure)",
        "complete_event_id": "the completing event (events.event_id)",
        "import_file": "the file that event was imported from",
        "source_row": "that event's 1-based data row in the file",
    },
    "late": {
        **COMMON,
        "current_step": "the step the case is waiting on at as_of",
        "current_lane": "that step's lane (Pelaksana)",
        "status": "late (past the step's maximum or deadline at as_of)",
        "since_ts": "when that step was enabled, local time with UTC offset",
        "deadline_ts": "when it was due, local time with UTC offset: the case is late since then",
        "used": "time used on the step up to as_of, in std_unit",
        "std_max": "the step's maximum in std_unit",
        "std_unit": "minute, hour, day or month",
        "remaining": "std_max minus used (negative: overdue by this much)",
    },
}

# The SOP identity and run facts every export joins in (one row per SOP with results).
_IDENTITY = """
    WITH ident AS (
        SELECT r.sop_id, r.run_id, r.model_sha256, m.sop_number, m.revision AS sop_revision,
               m.timezone AS tz, runs.as_of AS run_as_of, runs.calendar_version
        FROM result_models r JOIN models m ON m.model_sha256 = r.model_sha256
        JOIN runs ON runs.run_id = r.run_id)"""
_COMMON_SELECT = """
        i.run_id, local_timestamp_text(i.run_as_of, i.tz) AS as_of, c.sop_id, i.sop_number, i.sop_revision,
        c.model_sha256, i.calendar_version, c.agency, c.unit, c.case_id,
        CASE WHEN c.is_closed THEN 'closed' ELSE 'open' END AS case_status,
        local_timestamp_text(c.first_ts, i.tz) AS case_first_ts,
        local_timestamp_text(c.last_ts, i.tz) AS case_last_ts"""


def deviation_rows(con: duckdb.DuckDBPyConnection, f: Filters, kinds: tuple[str, ...] = (),
                   scope: str = "all") -> pd.DataFrame:
    """Every deviation in the filters (of ``kinds`` when given, of the cases in ``scope``):
    the columns of ``COLUMNS['deviations']``, by SOP, case and trace position."""
    extra = [*case_period(f, "d"), (in_scope(scope, "c"), [])]
    if kinds:
        extra.append(in_list("d.kind", kinds))
    sql, params = where(f, alias="d", extra=extra)
    return frame(con, f"""{_IDENTITY}
        SELECT {_COMMON_SELECT},
               d.kind, k.label_id AS kind_label, d.step_id, d.activity, d.position, d.lane, d.event_id,
               local_timestamp_text(e.ts, i.tz) AS event_ts, im.file_name AS import_file, e.source_row,
               d.explanation_id, d.explanation_en,
               d.accepted, d.acceptance_id, a.accepted_by, local_timestamp_text(a.accepted_at, i.tz) AS accepted_at,
               a.valid_until AS accepted_until, a.reason AS accepted_reason
        FROM deviation_results d
        JOIN case_results c ON c.sop_id = d.sop_id AND c.agency = d.agency AND c.case_id = d.case_id
        JOIN ident i ON i.sop_id = d.sop_id
        LEFT JOIN acceptances a ON a.acceptance_id = d.acceptance_id
        LEFT JOIN ref_deviation_kinds k ON k.kind = d.kind
        LEFT JOIN events e ON e.event_id = d.event_id
        LEFT JOIN imports im ON im.import_id = e.import_id
        {sql}
        ORDER BY d.sop_id, d.agency, d.case_id, d.position NULLS LAST, d.kind, d.step_id""", params)


def breach_rows(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Every step occurrence that violated its time standard in the filters (the period on
    the completion day): the columns of ``COLUMNS['breaches']``, latest completion first."""
    sql, params = where(f, alias="s", day="complete_day", extra=[("s.is_violation", [])])
    return frame(con, f"""{_IDENTITY}
        SELECT {_COMMON_SELECT},
               s.step_id, s.occurrence, s.lane, s.resource, s.status, st.label_id AS status_label,
               local_timestamp_text(s.enabled_ts, i.tz) AS enabled_ts,
               local_timestamp_text(s.start_ts, i.tz) AS start_ts,
               local_timestamp_text(s.complete_ts, i.tz) AS complete_ts,
               local_timestamp_text(s.deadline_ts, i.tz) AS deadline_ts,
               s.elapsed, s.std_max, s.std_unit, s.std_calendar, s.overrun, s.excess_wm / 60.0 AS excess_hours,
               s.complete_event_id, im.file_name AS import_file, e.source_row
        FROM step_results s
        JOIN case_results c ON c.sop_id = s.sop_id AND c.agency = s.agency AND c.case_id = s.case_id
        JOIN ident i ON i.sop_id = s.sop_id
        LEFT JOIN ref_step_status st ON st.status = s.status
        LEFT JOIN events e ON e.event_id = s.complete_event_id
        LEFT JOIN imports im ON im.import_id = e.import_id
        {sql}
        ORDER BY s.complete_ts DESC, s.sop_id, s.case_id, s.step_id, s.occurrence""", params)


def late_rows(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Every open case late now (at its run's as-of) in the filters: the columns of
    ``COLUMNS['late']``, the latest (relative to its standard) first."""
    sql, params = where(f, alias="o", extra=[("o.is_late", []), *case_period(f, "o")])
    return frame(con, f"""{_IDENTITY}
        SELECT {_COMMON_SELECT},
               o.current_step, o.current_lane, o.status,
               local_timestamp_text(o.since_ts, i.tz) AS since_ts,
               local_timestamp_text(o.deadline_ts, i.tz) AS deadline_ts,
               o.used, o.std_max, o.std_unit, o.remaining
        FROM open_results o
        JOIN case_results c ON c.sop_id = o.sop_id AND c.agency = o.agency AND c.case_id = o.case_id
        JOIN ident i ON i.sop_id = o.sop_id
        {sql}
        ORDER BY o.remaining / nullif(o.std_max, 0) ASC NULLS LAST, o.deadline_ts, o.sop_id, o.case_id""",
        params)


EXPORTS = {"deviations": deviation_rows, "breaches": breach_rows, "late": late_rows}


def export_rows(con: duckdb.DuckDBPyConnection, kind: str, f: Filters, **params: Any) -> pd.DataFrame:
    """The rows of export ``kind`` (``deviations``, ``breaches``, ``late``) in the filters, with
    exactly the columns of ``COLUMNS[kind]`` in that order."""
    rows = EXPORTS[kind](con, f, **params)
    return rows[list(COLUMNS[kind])]
