"""Open-cases stage of ``pantau analyze``: where each unfinished case stands (``open_cases``).

Runs after :func:`analytics.mutu_baku.build_case_checks` in the same run (it reads
``case_checks.is_open`` and the Mutu Baku temp tables, rebuilt when missing). Rules are in
``sql/results/open_cases.sql`` and ``docs/mutu-baku.md`` ("Open cases"). The caller owns the
transaction.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from analytics import sql_files
from analytics.mutu_baku import ensure_prepared, prepare
from pantau.config import AnalysisSettings
from pantau.errors import AnalysisError
from sop_models.model import SopModel


def build_open_cases(
    con: duckdb.DuckDBPyConnection, run_id: int, models: dict[str, SopModel], as_of: datetime | None,
    *, at_risk_share: float = AnalysisSettings.at_risk_share, kept: bool = False,
) -> int:
    """Insert one ``open_cases`` row per open case of run ``run_id``, measured at ``as_of``.

    ``as_of`` is "now" for the analysis (``pantau analyze`` passes the latest event's
    timestamp); it must carry a time zone. None when no event of the run has a time (logs read
    in order only): every open case is then ``not_measurable`` (so is any open case without
    times under a given ``as_of``). ``at_risk_share``: the share of the time allowed from which
    a case on track counts as at risk (``[analysis] at_risk_share``). Returns the number of
    rows written. ``kept``: the cases of the Mutu Baku temp tables keep the ``case_checks``
    rows of an earlier run (:func:`rejudge_open`).
    """
    if as_of is not None and as_of.tzinfo is None:
        raise AnalysisError(f"as_of must carry a time zone: {as_of}", field="as_of",
                            hint="pass the latest event ts, or datetime.now(UTC)")
    ensure_prepared(con, run_id, models)
    con.execute("CREATE OR REPLACE TEMP TABLE open_cases_as_of AS SELECT ?::TIMESTAMPTZ AS as_of",
                [as_of])
    before = con.execute("SELECT count(*) FROM open_cases").fetchall()[0][0]
    try:
        sql_files.run(con, "results/open_cases.sql", run_id=int(run_id),
                      at_risk_share=float(at_risk_share),
                      case_rows="true" if kept else f"cc.run_id = {int(run_id)}")
    finally:
        con.execute("DROP TABLE IF EXISTS open_cases_as_of")
    return int(con.execute("SELECT count(*) FROM open_cases").fetchall()[0][0] - before)


def rejudge_open(
    con: duckdb.DuckDBPyConnection, run_id: int, models: dict[str, SopModel], as_of: datetime | None,
    *, at_risk_share: float = AnalysisSettings.at_risk_share,
) -> int:
    """In an incremental run (:mod:`analytics.incremental`), the ``open_cases`` rows of the
    cases of ``models`` (its incremental SOPs) open at the last run and without new events
    (``run_scope_open``): measured at the new as-of from their events
    (``run_scope_open_events``) and their kept ``case_checks`` rows. Their other rows stay as
    the last run wrote them: nothing but ``open_cases`` depends on the as-of. Replaces
    ``run_events`` and the Mutu Baku temp tables by theirs; returns the rows written."""
    if not models or not con.execute("SELECT count(*) FROM run_scope_open").fetchall()[0][0]:
        return 0
    sql_files.run(con, "staging/run_events.sql", events="run_scope_open_events")
    prepare(con, run_id, models)
    return build_open_cases(con, run_id, models, as_of, at_risk_share=at_risk_share, kept=True)
