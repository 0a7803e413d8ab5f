"""Analytics against the simulator's injected ground truth (sim_truth).

Detected deviations and breaches must match what the simulator injected with precision and
recall >= 0.95 each. Matching keys are defined in docs/mutu-baku.md: deviations on
(sop_id, case_id, kind); breaches on (sop_id, case_id, step_id, occurrence, status).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from event_logs import open_store

DEVIATION_KINDS = (
    "skipped_step", "extra_activity", "wrong_order", "rework", "unmapped_activity",
    "both_branches", "missing_kelengkapan", "same_person",
)
BREACH_KINDS = ("breach", "deadline_missed", "too_fast")


def _score(detected: set, truth: set) -> tuple[float, float]:
    hit = len(detected & truth)
    precision = hit / len(detected) if detected else 1.0
    recall = hit / len(truth) if truth else 1.0
    return precision, recall


def _sets(db: Path, detected_sql: str, truth_sql: str) -> tuple[set, set]:
    con = open_store(db)
    try:
        return set(con.execute(detected_sql).fetchall()), set(con.execute(truth_sql).fetchall())
    finally:
        con.close()


def test_deviations_match_injected_truth(analysed_db: Path) -> None:
    kinds = ", ".join(f"'{k}'" for k in DEVIATION_KINDS)
    detected, truth = _sets(
        analysed_db,
        f"SELECT DISTINCT sop_id, case_id, kind FROM deviations WHERE kind IN ({kinds})",
        f"SELECT DISTINCT sop_id, case_id, kind FROM sim_truth WHERE kind IN ({kinds})",
    )
    assert len(truth) > 50, "the simulator injected too few deviations to measure anything"
    precision, recall = _score(detected, truth)
    per_kind = {
        k: _score({d for d in detected if d[2] == k}, {t for t in truth if t[2] == k}) for k in DEVIATION_KINDS
    }
    print(f"\ndeviations: precision {precision:.3f}, recall {recall:.3f} "
          f"({len(detected)} detected, {len(truth)} injected)")
    for kind, (p, r) in per_kind.items():
        print(f"  {kind:20s} precision {p:.3f} recall {r:.3f}")
    assert precision >= 0.95 and recall >= 0.95, per_kind


def test_breaches_match_simulated_truth(analysed_db: Path) -> None:
    statuses = ", ".join(f"'{k}'" for k in BREACH_KINDS)
    detected, truth = _sets(
        analysed_db,
        f"SELECT sop_id, case_id, step_id, occurrence, status FROM step_checks WHERE status IN ({statuses})",
        f"SELECT sop_id, case_id, step_id, CAST(regexp_extract(detail, 'occurrence=(\\d+)', 1) AS INTEGER), kind "
        f"FROM sim_truth WHERE kind IN ({statuses})",
    )
    assert len(truth) > 50, "the simulator produced too few breaches to measure anything"
    precision, recall = _score(detected, truth)
    print(f"\nbreaches: precision {precision:.3f}, recall {recall:.3f} "
          f"({len(detected)} detected, {len(truth)} in truth)")
    assert precision >= 0.95 and recall >= 0.95


@pytest.mark.parametrize("table", ["step_checks", "case_checks", "variants", "lane_stats", "model_quality"])
def test_every_result_row_traces_to_a_run_with_model_checksums(analysed_db: Path, table: str) -> None:
    con = open_store(analysed_db)
    try:
        orphans = con.execute(
            f"SELECT count(*) FROM {table} t LEFT JOIN runs r USING (run_id) "
            "WHERE r.run_id IS NULL OR r.model_sha256[t.sop_id] IS NULL"
        ).fetchone()[0]
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()
    assert rows > 0
    assert orphans == 0
