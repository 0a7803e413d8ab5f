"""variant_counts: the cases of each trace variant per agency and unit (migration 15).

``variants.case_count`` counts every agency's cases; a reader scoped to some agencies sees
the count over its own cases (:mod:`event_logs.scoped` sums these rows), without regrouping
``case_checks`` on every read.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb


def write_variant_counts(con: duckdb.DuckDBPyConnection, run_id: int, sop_ids: Sequence[str]) -> None:
    """Replace the rows of ``sop_ids`` by the counts of their cases in ``case_checks`` (all of
    them: an incremental run's kept cases as well as its new ones, so it writes what a full
    run writes)."""
    con.execute("DELETE FROM variant_counts WHERE sop_id IN (SELECT unnest(?))", [list(sop_ids)])
    con.execute("INSERT INTO variant_counts SELECT ?, sop_id, variant_id, agency, unit, count(*) "
                "FROM case_checks WHERE sop_id IN (SELECT unnest(?)) GROUP BY ALL",
                [run_id, list(sop_ids)])
