"""The conformance stage's view of every case and variant of the analysed SOPs, for a full and
an incremental run (:mod:`analytics.incremental`).

A full run's cases and variants are all in the stage's own temp tables; an incremental run's
cover only its scope, so the counts, fitness and precision that span an SOP or an agency also
read the rows it keeps: ``case_checks`` of the cases outside the scope and the last run's
``variants`` (snapshot ``run_prev_variants``). ``conformance_results.sql`` reads
``conformance_all_case_variant`` and ``conformance_all_variants`` either way.
"""

from __future__ import annotations

import duckdb

from analytics.incremental import install_agencies


def precision_groups(con: duckdb.DuckDBPyConnection, seqs: dict[tuple[str, str], list[str]],
                      incremental: bool = False) -> dict[tuple[str, str | None], list[tuple[list[str], int]]]:
    """Each SOP x agency's variant log: (trace symbols, case count) per variant. In an
    incremental run only the SOPs analysed full and the agencies of ``run_scope_agencies``,
    over all their cases (``conformance_all_case_variant``)."""
    where = ("WHERE c.sop_id IN (SELECT sop_id FROM run_scope_full) OR EXISTS (SELECT 1 FROM "
             "run_scope_agencies a WHERE a.sop_id = c.sop_id AND a.agency IS NOT DISTINCT FROM c.agency)"
             if incremental else "")
    groups: dict[tuple[str, str | None], list[tuple[list[str], int]]] = {}
    for sop_id, agency, variant_id, n in con.execute(
        f"SELECT sop_id, agency, variant_id, count(*) FROM conformance_all_case_variant c {where} GROUP BY ALL"
    ).fetchall():
        groups.setdefault((sop_id, agency), []).append((seqs[(sop_id, variant_id)], int(n)))
    return groups


# Every case of the analysed SOPs with its variant, and every variant with its results: this
# run's, and in an incremental run also the stored ones of the cases and variants it did not
# recompute (analytics.incremental). conformance_results.sql counts and weighs over these.
_ALL_FULL = """
CREATE OR REPLACE TEMP VIEW conformance_all_case_variant AS
SELECT sop_id, agency, case_id, variant_id FROM conformance_case_variant"""
_ALL_INCREMENTAL = """
CREATE OR REPLACE TEMP TABLE conformance_all_case_variant AS
SELECT sop_id, agency, case_id, variant_id FROM conformance_case_variant
UNION ALL
SELECT sop_id, agency, case_id, variant_id FROM case_checks
WHERE sop_id IN (SELECT sop_id FROM run_pass_incremental)"""
_ALL_VARIANTS = """
CREATE OR REPLACE TEMP {kind} conformance_all_variants AS
SELECT v.sop_id, v.variant_id,
       CASE WHEN v.seq = '' THEN []::VARCHAR[] ELSE string_split(v.seq, chr(31)) END AS activities,
       vr.alignment_fitness, vr.token_fitness, vr.alignment_status, vr.cost, vr.is_sop_path, vr.is_open
FROM conformance_variant_counts v
JOIN conformance_variant_results vr ON vr.sop_id = v.sop_id AND vr.variant_id = v.variant_id"""
_PREV_VARIANTS = """
UNION ALL
SELECT p.sop_id, p.variant_id, p.activities, p.alignment_fitness, p.token_fitness, p.alignment_status,
       p.cost, p.is_sop_path, p.is_open
FROM run_prev_variants p
WHERE p.sop_id IN (SELECT sop_id FROM run_pass_incremental) AND NOT EXISTS (SELECT 1 FROM conformance_variant_counts v
                  WHERE v.sop_id = p.sop_id AND v.variant_id = p.variant_id)"""




def install_all_cases(con: duckdb.DuckDBPyConnection, seqs: dict[tuple[str, str], list[str]],
                      incremental: bool) -> dict[str, int]:
    """Create ``conformance_all_case_variant``; in an incremental run also
    ``run_scope_agencies`` and the kept variants' symbols in ``seqs``. Returns per incremental
    SOP (each of them, 0 when none is kept) the events of its kept variants, which a full
    run's token-replay bound counts too."""
    if not incremental:
        con.execute(_ALL_FULL)
        return {}
    install_agencies(con)
    con.execute(_ALL_INCREMENTAL)
    for s, v, activities in con.execute("SELECT sop_id, variant_id, activities FROM run_prev_variants").fetchall():
        seqs.setdefault((s, v), list(activities))
    kept = {s: 0 for (s,) in con.execute("SELECT sop_id FROM run_pass_incremental").fetchall()}
    return kept | {s: int(n) for s, n in con.execute("""
        SELECT p.sop_id, sum(len(p.activities)) FROM run_prev_variants p
        WHERE p.sop_id IN (SELECT sop_id FROM run_pass_incremental) AND EXISTS (SELECT 1 FROM conformance_all_case_variant c
                      WHERE c.sop_id = p.sop_id AND c.variant_id = p.variant_id)
          AND NOT EXISTS (SELECT 1 FROM conformance_variant_counts v
                          WHERE v.sop_id = p.sop_id AND v.variant_id = p.variant_id)
        GROUP BY p.sop_id""").fetchall()}


def install_all_variants(con: duckdb.DuckDBPyConnection, incremental: bool) -> None:
    """Create ``conformance_all_variants`` (after the variant results are loaded)."""
    con.execute(_ALL_VARIANTS.format(kind="TABLE" if incremental else "VIEW")
                + (_PREV_VARIANTS if incremental else ""))


def previous_precision(con: duckdb.DuckDBPyConnection, seqs: dict[tuple[str, str], list[str]]
                        ) -> dict[tuple[str, str | None], tuple[list[tuple[list[str], int]], float | None]]:
    """The variant log each SOP x agency of ``run_scope_agencies`` had at the last run (the
    cases kept in case_checks and the recomputed cases' earlier variants), with its stored
    precision."""
    stored = {(s, a): p for s, a, p in con.execute(
        "SELECT sop_id, agency, precision FROM run_prev_quality").fetchall()}
    logs: dict[tuple[str, str | None], list[tuple[list[str], int]]] = {}
    for sop_id, agency, variant_id, n in con.execute("""
            SELECT c.sop_id, c.agency, c.variant_id, count(*) FROM (
                SELECT sop_id, agency, variant_id FROM case_checks
                WHERE sop_id IN (SELECT sop_id FROM run_pass_incremental)
                UNION ALL SELECT sop_id, agency, variant_id FROM run_prev_case_variant) c
            SEMI JOIN run_scope_agencies a ON a.sop_id = c.sop_id AND a.agency IS NOT DISTINCT FROM c.agency
            WHERE c.variant_id IS NOT NULL
            GROUP BY ALL""").fetchall():
        logs.setdefault((sop_id, agency), []).append((seqs[(sop_id, variant_id)], int(n)))
    return {k: (log, stored[k]) for k, log in logs.items() if k in stored}
