"""Deviasi: fitness per agency, deviation kinds, variants, deviating cases and their export.

Fitness and the share conformant are the store's ``mean_fitness`` and ``conformant_share``
macros over ``case_results``, for the cases of one scope (closed by default; open cases are
judged so far); deviations come from ``deviation_results``.
Accepted deviations (``deviation_results.accepted``) stay in the lists, marked, and leave every
count: ``case_results.deviation_count`` and ``conformant`` already leave them out, and counts of
deviation rows use the ``deviations_counted`` macro.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.filters import Filters, where
from dashboard.queries.base import case_period, frame, in_list

# Which cases a figure covers (the Deviasi page's choice): the condition on case_results.
# Open cases are judged so far (docs/mutu-baku.md, "Conformance of open cases").
SCOPES = {"closed": "{a}is_closed", "open": "NOT {a}is_closed", "all": "true"}


def in_scope(scope: str, alias: str = "") -> str:
    """The SQL condition selecting the cases of ``scope`` (``closed``, ``open``, ``all``)."""
    if scope not in SCOPES:
        raise ValueError(f"case scope {scope!r}, not one of {tuple(SCOPES)}")
    return SCOPES[scope].format(a=f"{alias}." if alias else "")


def fitness_by_agency(con: duckdb.DuckDBPyConnection, f: Filters, scope: str = "closed") -> pd.DataFrame:
    """Per agency and SOP (the cases of ``scope``): mean alignment fitness (so far, for open
    cases), share conformant, deviations, and the model's precision (of an SOP judged by several
    versions: their precisions weighted by the cases each judged)."""
    sql, params = where(f, day="first_day")
    c = in_scope(scope)
    rows = frame(con, f"""
        SELECT agency, sop_id, count(*) FILTER (WHERE {c}) AS cases,
               mean_fitness(alignment_fitness, token_fitness, {c}) AS fitness,
               count(*) FILTER (WHERE {c} AND conformant) AS conformant,
               conformant_share(conformant, {c}) AS conformant_share,
               coalesce(sum(deviation_count) FILTER (WHERE {c}), 0) AS deviations
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


def fitness_totals(con: duckdb.DuckDBPyConnection, f: Filters, scope: str = "closed") -> pd.DataFrame:
    """One row over the filter (the cases of ``scope``): fitness, share conformant, deviations
    and the cases with at least one (``deviating``: the total of :func:`deviating_cases`)."""
    sql, params = where(f, day="first_day")
    c = in_scope(scope)
    return frame(con, f"""
        SELECT count(*) FILTER (WHERE {c}) AS cases,
               mean_fitness(alignment_fitness, token_fitness, {c}) AS fitness,
               count(*) FILTER (WHERE {c} AND conformant) AS conformant,
               conformant_share(conformant, {c}) AS conformant_share,
               coalesce(sum(deviation_count) FILTER (WHERE {c}), 0) AS deviations,
               coalesce(sum(deviations_accepted) FILTER (WHERE {c}), 0) AS accepted,
               count(*) FILTER (WHERE {c} AND model_conformant) AS model_conformant,
               count(*) FILTER (WHERE {c} AND deviation_count > 0) AS deviating
        FROM case_results {sql}""", params)


def _deviation_where(f: Filters, kinds: tuple[str, ...], alias: str = "d") -> tuple[str, list]:
    extra = case_period(f, alias)
    if kinds:
        extra.append(in_list(f"{alias}.kind", kinds))
    return where(f, alias=alias, extra=extra)


def deviation_kinds(con: duckdb.DuckDBPyConnection, f: Filters, scope: str = "closed") -> pd.DataFrame:
    """Deviation kinds of the cases of ``scope``: deviations counted (not accepted), accepted
    ones, and distinct cases with a counted deviation. A kind whose every finding is accepted
    has ``n`` 0."""
    sql, params = _deviation_where(f, ())
    return frame(con, f"""
        SELECT d.kind, deviations_counted(d.accepted) AS n, count(*) FILTER (WHERE d.accepted) AS accepted,
               count(DISTINCT (d.sop_id, d.agency, d.case_id)) FILTER (WHERE NOT d.accepted) AS cases
        FROM deviation_results d
        JOIN case_results c ON c.sop_id = d.sop_id AND c.agency = d.agency AND c.case_id = d.case_id
            AND {in_scope(scope, "c")}
        {sql} GROUP BY d.kind ORDER BY n DESC, d.kind""", params)


def variants_for_sop(con: duckdb.DuckDBPyConnection, f: Filters, limit: int = 15,
                     scope: str = "all") -> pd.DataFrame:
    """The most frequent variants of one SOP (``f.sop_id``) among the cases of ``scope`` in the
    filter, with their steps and whether their cases are still running (``is_open``: judged
    so far)."""
    sql, params = where(f, alias="c", day="first_day", extra=[(in_scope(scope, "c"), [])])
    return frame(con, f"""
        WITH c AS (SELECT c.sop_id, c.variant_id, c.model_sha256, count(*) AS cases
                   FROM case_results c {sql} GROUP BY ALL)
        SELECT c.variant_id, c.cases, c.cases / sum(c.cases) OVER () AS share,
               v.activities, coalesce(v.is_sop_path, false) AS is_sop_path,
               coalesce(v.is_open, false) AS is_open,
               v.alignment_fitness, count(*) OVER () AS variants
        FROM c LEFT JOIN variants v ON v.sop_id = c.sop_id AND v.variant_id = c.variant_id
            AND v.model_sha256 IS NOT DISTINCT FROM c.model_sha256
        ORDER BY c.cases DESC, c.variant_id LIMIT ?""", [*params, limit])


def deviating_cases(con: duckdb.DuckDBPyConnection, f: Filters, kinds: tuple[str, ...] = (),
                    limit: int = 1000, scope: str = "closed") -> pd.DataFrame:
    """Cases of ``scope`` with at least one deviation (of ``kinds`` when given), least fitting
    first; ``total`` counts them all (without a kind filter: ``fitness_totals.deviating``).

    Deviations carry the case's SOP, agency and unit, so the filters apply to them directly;
    only the shown page of cases is joined back for its kinds (a million cases stay fast).
    """
    dsql, dparams = _deviation_where(f, kinds)
    return frame(con, f"""
        WITH dev AS (SELECT DISTINCT d.sop_id, d.agency, d.case_id FROM deviation_results d {dsql}),
        hit AS MATERIALIZED (
            SELECT c.case_id, c.sop_id, c.agency, c.unit, c.first_ts, c.is_open, c.alignment_fitness,
                   c.conformant, c.deviation_count, c.deviations_accepted
            FROM dev JOIN case_results c ON c.sop_id = dev.sop_id AND c.agency = dev.agency
                AND c.case_id = dev.case_id
            WHERE {in_scope(scope, "c")}),
        top AS (
            SELECT * FROM hit
            ORDER BY alignment_fitness ASC NULLS LAST, deviation_count DESC, case_id, agency
            LIMIT ?)
        SELECT t.case_id, t.sop_id, t.agency, t.unit, t.first_ts, t.is_open, t.alignment_fitness,
               t.conformant, deviations_counted(d.accepted) AS deviations,
               count(*) FILTER (WHERE d.accepted) AS accepted,
               list(DISTINCT d.kind ORDER BY d.kind) AS kinds,
               (SELECT count(*) FROM hit) AS total
        FROM top t JOIN deviation_results d ON d.sop_id = t.sop_id AND d.agency = t.agency
            AND d.case_id = t.case_id
        {"WHERE " + in_list("d.kind", kinds)[0] if kinds else ""}
        GROUP BY ALL
        ORDER BY t.alignment_fitness ASC NULLS LAST, any_value(t.deviation_count) DESC, t.case_id,
                 t.agency""",
        [*dparams, limit, *(kinds or ())])


def deviation_export(con: duckdb.DuckDBPyConnection, f: Filters, kinds: tuple[str, ...] = (),
                     scope: str = "all") -> pd.DataFrame:
    """Every deviation in the filter, for auditors (:func:`dashboard.queries.exports.deviation_rows`:
    run id, as-of, SOP number and revision, model checksum, event time and source row)."""
    from dashboard.queries.exports import export_rows

    return export_rows(con, "deviations", f, kinds=kinds, scope=scope)
