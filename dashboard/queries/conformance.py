"""Deviasi: fitness per agency, deviation kinds, variants, deviating cases and their export.

Fitness and the share conformant are the store's ``mean_fitness`` and ``conformant_share``
macros over ``case_results`` (closed cases); deviations come from ``deviation_results``.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.filters import Filters, where
from dashboard.queries.base import case_period, frame, in_list


def fitness_by_agency(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Per agency and SOP (closed cases): mean alignment fitness, share conformant, precision
    (of an SOP judged by several versions: their precisions weighted by the cases each judged)."""
    sql, params = where(f, day="first_day")
    rows = frame(con, f"""
        SELECT agency, sop_id, count(*) FILTER (WHERE is_closed) AS cases,
               mean_fitness(alignment_fitness, token_fitness, is_closed) AS fitness,
               count(*) FILTER (WHERE is_closed AND conformant) AS conformant,
               conformant_share(conformant, is_closed) AS conformant_share,
               sum(deviation_count) FILTER (WHERE is_closed) AS deviations
        FROM case_results {sql} GROUP BY agency, sop_id ORDER BY agency, sop_id""", params)
    msql, mparams = where(f, unit=False)
    # one row per SOP and agency: an SOP revised during the period has a precision per version
    # (model_quality.model_sha256), averaged over the cases each version judged
    quality = frame(con, f"""
        SELECT sop_id, agency,
               CASE WHEN count(*) = 1 THEN any_value(precision)
                    ELSE sum(precision * cases) / sum(cases) FILTER (WHERE precision IS NOT NULL) END AS precision
        FROM model_quality {msql} GROUP BY sop_id, agency""", mparams)
    return rows.merge(quality, on=["sop_id", "agency"], how="left")


def fitness_totals(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """One row over the filter (closed cases): fitness, share conformant, deviations."""
    sql, params = where(f, day="first_day")
    return frame(con, f"""
        SELECT count(*) FILTER (WHERE is_closed) AS cases,
               mean_fitness(alignment_fitness, token_fitness, is_closed) AS fitness,
               count(*) FILTER (WHERE is_closed AND conformant) AS conformant,
               conformant_share(conformant, is_closed) AS conformant_share,
               coalesce(sum(deviation_count) FILTER (WHERE is_closed), 0) AS deviations
        FROM case_results {sql}""", params)


def _deviation_where(f: Filters, kinds: tuple[str, ...], alias: str = "d") -> tuple[str, list]:
    extra = case_period(f, alias)
    if kinds:
        extra.append(in_list(f"{alias}.kind", kinds))
    return where(f, alias=alias, extra=extra)


def deviation_kinds(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Deviation kinds: rows and distinct cases."""
    sql, params = _deviation_where(f, ())
    return frame(con, f"""
        SELECT d.kind, count(*) AS n, count(DISTINCT (d.sop_id, d.case_id)) AS cases
        FROM deviation_results d {sql} GROUP BY d.kind ORDER BY n DESC, d.kind""", params)


def variants_for_sop(con: duckdb.DuckDBPyConnection, f: Filters, limit: int = 15) -> pd.DataFrame:
    """The most frequent variants of one SOP (``f.sop_id``) in the filter, with their steps."""
    sql, params = where(f, alias="c", day="first_day")
    return frame(con, f"""
        WITH c AS (SELECT c.sop_id, c.variant_id, c.model_sha256, count(*) AS cases
                   FROM case_results c {sql} GROUP BY ALL)
        SELECT c.variant_id, c.cases, c.cases / sum(c.cases) OVER () AS share,
               v.activities, coalesce(v.is_sop_path, false) AS is_sop_path,
               v.alignment_fitness, count(*) OVER () AS variants
        FROM c LEFT JOIN variants v ON v.sop_id = c.sop_id AND v.variant_id = c.variant_id
            AND v.model_sha256 IS NOT DISTINCT FROM c.model_sha256
        ORDER BY c.cases DESC, c.variant_id LIMIT ?""", [*params, limit])


def deviating_cases(con: duckdb.DuckDBPyConnection, f: Filters, kinds: tuple[str, ...] = (),
                    limit: int = 1000) -> pd.DataFrame:
    """Cases with at least one deviation (of ``kinds`` when given), least fitting first.

    Deviations carry the case's SOP, agency and unit, so the filters apply to them directly;
    only the shown page of cases is joined back for its kinds (a million cases stay fast).
    """
    dsql, dparams = _deviation_where(f, kinds)
    return frame(con, f"""
        WITH dev AS MATERIALIZED (SELECT DISTINCT d.sop_id, d.case_id FROM deviation_results d {dsql}),
        top AS (
            SELECT c.case_id, c.sop_id, c.agency, c.unit, c.first_ts, c.is_open, c.alignment_fitness,
                   c.conformant, c.deviation_count
            FROM dev JOIN case_results c ON c.sop_id = dev.sop_id AND c.case_id = dev.case_id
            ORDER BY c.alignment_fitness ASC NULLS LAST, c.deviation_count DESC, c.case_id
            LIMIT ?)
        SELECT t.case_id, t.sop_id, t.agency, t.unit, t.first_ts, t.is_open, t.alignment_fitness,
               t.conformant, count(*) AS deviations,
               list(DISTINCT d.kind ORDER BY d.kind) AS kinds,
               (SELECT count(*) FROM dev) AS total
        FROM top t JOIN deviation_results d ON d.sop_id = t.sop_id AND d.case_id = t.case_id
        {"WHERE " + in_list("d.kind", kinds)[0] if kinds else ""}
        GROUP BY ALL
        ORDER BY t.alignment_fitness ASC NULLS LAST, any_value(t.deviation_count) DESC, t.case_id""",
        [*dparams, limit, *(kinds or ())])


def deviation_export(con: duckdb.DuckDBPyConnection, f: Filters, kinds: tuple[str, ...] = ()) -> pd.DataFrame:
    """Every deviation in the filter, for auditors: with the run id and the model's checksum."""
    sql, params = _deviation_where(f, kinds)
    return frame(con, f"""
        SELECT d.run_id, c.model_sha256, r.calendar_version,
               d.sop_id, d.agency, d.unit, d.case_id, d.kind, d.step_id, d.activity,
               d.position, d.lane, d.event_id, d.explanation_id, d.explanation_en
        FROM deviation_results d
        LEFT JOIN runs r ON r.run_id = d.run_id
        LEFT JOIN case_checks c ON c.sop_id = d.sop_id AND c.case_id = d.case_id
        {sql}
        ORDER BY d.sop_id, d.case_id, d.position NULLS LAST, d.kind""", params)
