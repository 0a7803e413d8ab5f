"""All the dashboard's SQL: functions ``(con, filters, **params) -> DataFrame``.

Each reads result tables (and, on the Data page, the store's imports and quarantine) with
parameters bound, never string-formatted values. Pages call them through
:func:`dashboard.data.load`, which caches by (database, latest run, filters); the benchmark
and the tests call them directly on a connection.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pandas as pd

from dashboard import catalog
from dashboard.catalog import Catalog
from dashboard.filters import Filters
from dashboard.queries import (
    breaches,
    cases,
    conformance,
    evidence,
    exports,
    lanes,
    overview,
    quarantine,
    store,
    units,
)
from dashboard.queries.breaches import OVERRUN_BINS
from dashboard.queries.store import db_version

QUERIES: dict[str, Callable[..., pd.DataFrame]] = {
    "overview_totals": overview.overview_totals,
    "overview_by_sop": overview.overview_by_sop,
    "monthly_trend": overview.monthly_trend,
    "open_at_risk": overview.open_at_risk,
    "run_facts": overview.run_facts,
    "unit_league": units.unit_league,
    "targets": overview.targets,
    "bottlenecks": overview.bottlenecks,
    "breach_counts": breaches.breach_counts,
    "breaches_by_step": breaches.breaches_by_step,
    "breaches_by_lane": breaches.breaches_by_lane,
    "overrun_bins": breaches.overrun_bins,
    "overrun_by_step": breaches.overrun_by_step,
    "worst_cases": breaches.worst_cases,
    "lane_summary": lanes.lane_summary,
    "lane_wip": lanes.lane_wip,
    "handover_matrix": lanes.handover_matrix,
    "process_nodes": lanes.process_nodes,
    "process_arcs": lanes.process_arcs,
    "fitness_by_agency": conformance.fitness_by_agency,
    "fitness_totals": conformance.fitness_totals,
    "deviation_kinds": conformance.deviation_kinds,
    "variants_for_sop": conformance.variants_for_sop,
    "deviating_cases": conformance.deviating_cases,
    "deviation_export": conformance.deviation_export,
    "export_deviations": exports.deviation_rows,
    "export_breaches": exports.breach_rows,
    "export_late": exports.late_rows,
    "case_candidates": cases.case_candidates,
    "case_keys": cases.case_keys,
    "case_summary": cases.case_summary,
    "case_steps": cases.case_steps,
    "case_deviations": cases.case_deviations,
    "case_open": cases.case_open,
    "case_trace": cases.case_trace,
    "case_events": cases.case_events,
    "case_identity": evidence.case_identity,
    "case_acceptances": evidence.case_acceptances,
    "acceptance_history": evidence.acceptance_history,
    "acceptances_in_scope": evidence.acceptances_in_scope,
    "period_findings": evidence.period_findings,
    "period_identity": evidence.period_identity,
    "filter_options": store.filter_options,
    "run_as_of": store.run_as_of,
    "untimed_cases": store.untimed_cases,
    "catalog_models": store.catalog_models,
    "catalog_steps": store.catalog_steps,
    "catalog_lanes": store.catalog_lanes,
    "vocabularies": store.vocabularies,
    "model_versions": store.model_versions,
    "model_artifact": store.model_artifact,
    "model_text": store.model_text,
    "imports": store.imports,
    "quarantine_imports": quarantine.quarantine_imports,
    "quarantine_kinds": quarantine.quarantine_kinds,
    "quarantine_reasons": quarantine.quarantine_reasons,
    "quarantine_rows": quarantine.quarantine_rows,
}

CATALOG_QUERIES = ("catalog_models", "catalog_steps", "catalog_lanes", "vocabularies")


def load_catalog(con: duckdb.DuckDBPyConnection) -> Catalog:
    """The store's model versions and vocabularies on ``con`` (uncached: documents and the CLI;
    the pages use :func:`dashboard.data.load_catalog`)."""
    return catalog.build(*(QUERIES[name](con, Filters()) for name in CATALOG_QUERIES))


__all__ = ["CATALOG_QUERIES", "OVERRUN_BINS", "QUERIES", "db_version", "load_catalog"]
