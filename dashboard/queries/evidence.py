"""Evidence packs and acceptances: a case's raw events, what a finding was checked against
(run, as-of, model version, calendar), the acceptances that cover it, and the findings of an
SOP × agency × period with the events behind them. The Kasus and Deviasi pages and the
documents (:mod:`dashboard.documents.evidence`) read the same functions.

Cases are keyed on SOP, agency and case id (equal ids in two agencies are two cases); an
``agency`` of None matches the one case of that id in the SOP.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.filters import Filters, where
from dashboard.queries.base import frame
from dashboard.queries.conformance import _deviation_where

_CASE = "{a}.sop_id = ? AND {a}.case_id = ? AND (? IS NULL OR {a}.agency = ?)"


def _case(alias: str, sop_id: str, case_id: str, agency: str | None) -> tuple[str, list]:
    return _CASE.format(a=alias), [sop_id, case_id, agency, agency]


def case_identity(con: duckdb.DuckDBPyConnection, f: Filters, sop_id: str, case_id: str,
                  agency: str | None = None) -> pd.DataFrame:
    """What the case was checked against: its run (id, as-of, calendar version, Pantau
    version) and model version (SOP number, revision, effective date, sha256, zone)."""
    sql, params = _case("c", sop_id, case_id, agency)
    return frame(con, f"""
        SELECT c.run_id, r.as_of, r.calendar_version, r.pantau_version, r.finished AS run_finished,
               c.model_sha256, m.title, m.agency AS sop_agency, m.sop_number, m.revision, m.effective,
               m.timezone, m.calendar_id, m.source
        FROM case_checks c LEFT JOIN runs r ON r.run_id = c.run_id
        LEFT JOIN models m ON m.model_sha256 = c.model_sha256
        WHERE {sql}""", params)


def case_acceptances(con: duckdb.DuckDBPyConnection, f: Filters, sop_id: str, case_id: str,
                     agency: str | None = None) -> pd.DataFrame:
    """Acceptances covering a finding of the case now, and any naming the case (also revoked
    or expired ones: the pack says what was decided), oldest first."""
    sql, params = _case("x", sop_id, case_id, agency)
    own, own_params = _case("a", sop_id, case_id, agency)
    return frame(con, f"""
        SELECT a.*, (SELECT count(*) FROM accepted_deviations x WHERE x.acceptance_id = a.acceptance_id
                     AND {sql}) AS findings
        FROM acceptances a
        WHERE a.acceptance_id IN (SELECT x.acceptance_id FROM accepted_deviations x WHERE {sql}) OR ({own})
        ORDER BY a.acceptance_id""", [*params, *params, *own_params])


def acceptance_history(con: duckdb.DuckDBPyConnection, f: Filters, ids: tuple[int, ...] = ()) -> pd.DataFrame:
    """Every entry (accept, change, revoke) of these acceptances, in the file's order."""
    clause = f"acceptance_id IN ({', '.join('?' for _ in ids)})" if ids else "false"
    return frame(con, f"""
        SELECT seq, written_at, actor, actor_role, action, acceptance_id, valid_until, reason, entry_hash
        FROM acceptance_log WHERE {clause} ORDER BY seq""", [int(i) for i in ids])


def acceptances_in_scope(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """The acceptances of the SOPs (and agency) in the filter, with the findings each covers
    in the filter now; in force first."""
    extra = []
    params: list = []
    if f.sop_id:
        extra.append("a.sop_id = ?")
        params.append(f.sop_id)
    if f.agency:
        extra.append("(a.agency IS NULL OR a.agency = ?)")
        params.append(f.agency)
    dsql, dparams = _deviation_where(f, (), alias="x")
    dsql = dsql or "WHERE true"
    return frame(con, f"""
        SELECT a.*, s.in_force, s.precedence,
               (SELECT count(*) FROM deviation_results x {dsql} AND x.acceptance_id = a.acceptance_id) AS findings
        FROM acceptances a JOIN ref_acceptance_status s ON s.status = a.status
        {"WHERE " + " AND ".join(extra) if extra else ""}
        ORDER BY s.precedence DESC, a.acceptance_id""", [*dparams, *params])


def period_findings(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Every deviation in the filter with the event behind it (import file, source row,
    timestamp), its case's start and open/closed state, and its acceptance."""
    sql, params = _deviation_where(f, ())
    return frame(con, f"""
        SELECT d.sop_id, d.agency, d.unit, d.case_id, d.kind, d.step_id, d.activity, d.position,
               d.event_id, d.explanation_id, d.explanation_en, d.accepted, d.acceptance_id,
               e.ts AS event_ts, e.source_row, i.file_name, c.first_ts, c.is_open, c.run_id, c.model_sha256
        FROM deviation_results d
        LEFT JOIN events e ON e.event_id = d.event_id
        LEFT JOIN imports i ON i.import_id = e.import_id
        LEFT JOIN case_checks c ON c.sop_id = d.sop_id AND c.agency IS NOT DISTINCT FROM d.agency
            AND c.case_id = d.case_id
        {sql}
        ORDER BY d.sop_id, d.agency, d.case_id, d.position NULLS LAST, d.kind_sort, d.step_id""", params)


def period_identity(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """The runs and model versions the cases in the filter were checked against."""
    sql, params = where(f, alias="c", day="first_day")
    return frame(con, f"""
        SELECT c.run_id, c.model_sha256, count(*) AS cases, any_value(r.as_of) AS as_of,
               any_value(r.calendar_version) AS calendar_version, any_value(r.pantau_version) AS pantau_version,
               any_value(m.title) AS title, any_value(m.sop_number) AS sop_number,
               any_value(m.revision) AS revision, any_value(m.effective) AS effective,
               any_value(m.timezone) AS timezone
        FROM case_checks c LEFT JOIN runs r ON r.run_id = c.run_id
        LEFT JOIN models m ON m.model_sha256 = c.model_sha256
        {sql} GROUP BY c.run_id, c.model_sha256 ORDER BY c.run_id, c.model_sha256""", params)
