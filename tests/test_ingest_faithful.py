"""Ingest keeps real exports faithfully (issue 14.8): a duplicate is a row equal in every
column; rows that share case, activity, time, resource and lifecycle but differ in another
column are distinct events (road-traffic case A12292 pays 49.0 and 87.0 on one day)."""

# ruff: noqa: F811  (fixtures imported from conftest_ingest are parameters of the same name)

from __future__ import annotations

import json
from pathlib import Path

from conftest_ingest import Sop, key_file, query, sop, write_csv  # noqa: F401

from event_logs.ingest import ingest_file

HEADER = ["case_id", "activity", "timestamp", "resource", "amount"]


def _payments(sop: Sop) -> list[tuple[str, ...]]:
    s0, s1 = sop.model.steps[0].name, sop.model.steps[1].name
    return [
        ("A12292", s0, "2024-03-05 09:00", "561", "35.0"),
        ("A12292", s1, "2024-03-06 00:00", "561", "49.0"),
        ("A12292", s1, "2024-03-06 00:00", "561", "87.0"),   # same fields, other amount: an event
        ("A12292", s1, "2024-03-06 00:00", "561", "49.0"),   # a full copy of row 2
        ("A12292", s1, "06/03/2024 00:00", " 561 ", "87.0"),  # a copy of row 3 once trimmed and parsed
    ]


def test_only_full_row_copies_are_duplicates(tmp_path: Path, sop: Sop) -> None:
    path = write_csv(tmp_path / "traffic.csv", HEADER, _payments(sop))
    db = tmp_path / "s.duckdb"
    result = ingest_file(db, path, **sop.kw())
    assert (result.rows_read, result.rows_loaded, result.rows_duplicate) == (5, 3, 2)
    assert "3 loaded, 0 quarantined, 2 duplicates" in result.summary_line()
    assert [r[0] for r in query(db, "SELECT source_row FROM events ORDER BY event_id")] == [1, 2, 3]
    assert query(db, "SELECT rows_duplicate FROM imports") == [(2,)]


def test_an_overlapping_export_loads_each_distinct_event_once(tmp_path: Path, sop: Sop) -> None:
    """Events already stored are matched as a multiset: two stored payments with equal fields
    absorb two such rows of the next export, not one and not all."""
    rows = _payments(sop)
    db = tmp_path / "s.duckdb"
    ingest_file(db, write_csv(tmp_path / "jan.csv", HEADER, rows[:2]), **sop.kw())  # one payment
    feb = [rows[1], rows[2], ("A12292", rows[1][1], "2024-03-06 00:00", "561", "12.5")]
    result = ingest_file(db, write_csv(tmp_path / "feb.csv", HEADER, feb), **sop.kw())
    # the first of feb's three payments is the stored one; the other two are new
    assert (result.rows_loaded, result.rows_duplicate) == (2, 1)
    again = ingest_file(db, write_csv(tmp_path / "mar.csv", HEADER, [*feb, rows[0]]), **sop.kw())
    assert (again.rows_loaded, again.rows_duplicate) == (0, 4)
    assert query(db, "SELECT count(*) FROM events") == [(4,)]


def test_columns_that_differ_within_a_case_are_kept_per_event(tmp_path: Path, sop: Sop) -> None:
    """An amount differs between a case's events: each event keeps its own (typed); a column with
    one value per case (an empty cell is no other value: a note on one event) stays the case's."""
    s0, s1 = sop.model.steps[0].name, sop.model.steps[1].name
    header = ["case_id", "activity", "timestamp", "amount", "vehicle", "note"]
    path = write_csv(tmp_path / "traffic.csv", header, [
        ("A12292", s0, "2024-03-05 09:00", "35.0", "A", ""),
        ("A12292", s1, "2024-03-06 00:00", "49.0", "", "first"),
        ("A12292", s1, "2024-03-06 00:00", "87.0", "A", ""),
        ("B7", s0, "2024-03-05 10:00", "", "C", ""),
    ])
    db = tmp_path / "s.duckdb"
    ingest_file(db, path, **sop.kw())
    events = query(db, "SELECT case_id, attributes FROM events ORDER BY event_id")
    assert [(c, None if a is None else json.loads(a)) for c, a in events] == [
        ("A12292", {"amount": 35.0}), ("A12292", {"amount": 49.0}),
        ("A12292", {"amount": 87.0}), ("B7", None)]
    cases = dict(query(db, "SELECT case_id, attributes FROM cases"))
    assert {c: json.loads(a) for c, a in cases.items()} == {"A12292": {"vehicle": "A", "note": "first"},
                                                           "B7": {"vehicle": "C"}}
    mapping = json.loads(query(db, "SELECT mapping FROM imports")[0][0])
    assert (mapping["attributes"], mapping["event_attributes"]) == (["vehicle", "note"], ["amount"])


def test_the_case_page_shows_each_events_own_attributes(tmp_path: Path, sop: Sop, monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    from analytics import analyze
    from dashboard import app_path

    db = tmp_path / "s.duckdb"
    ingest_file(db, write_csv(tmp_path / "traffic.csv", HEADER, _payments(sop)), **sop.kw())
    analyze(db)
    agency = query(db, "SELECT agency FROM cases")[0][0]
    monkeypatch.setenv("PANTAU_DB", str(db))
    at = AppTest.from_file(str(app_path()), default_timeout=60)
    at.query_params = {"case": "A12292", "sop": sop.id, "agency": agency}
    at.switch_page("views/kasus.py")
    at.run()
    assert [e.value for e in at.exception] == []
    table = at.dataframe[-1].value
    assert list(table["Atribut"]) == ["amount: 35.0", "amount: 49.0", "amount: 87.0"]
    assert list(table["Petugas"]) == ["561"] * 3


def test_every_xes_standard_transition_is_kept_and_only_start_complete_make_a_step(tmp_path: Path, sop: Sop) -> None:
    """BPIC 2012 writes SCHEDULE, START, SUSPEND, RESUME, COMPLETE, ATE_ABORT...: all are kept;
    a schedule before the start is waiting time (the case begins with it), the time between
    suspend and resume is not processing (40 minutes start -> complete, 10 of them suspended:
    processing 30; tests/test_suspend_resume.py), an aborted instance makes no occurrence and
    no trace entry."""
    from analytics import analyze

    s0, s1, s2 = (s.name for s in sop.model.steps[:3])
    rows = [
        ("C1", s0, "2024-03-04 08:00", "SCHEDULE"),
        ("C1", s0, "2024-03-04 08:30", "assign"),
        ("C1", s0, "2024-03-04 09:00", "START"),
        ("C1", s0, "2024-03-04 09:10", "SUSPEND"),
        ("C1", s0, "2024-03-04 09:20", "RESUME"),
        ("C1", s0, "2024-03-04 09:40", "COMPLETE"),
        ("C1", s1, "2024-03-04 10:00", "schedule"),
        ("C1", s1, "2024-03-04 10:05", "start"),
        ("C1", s1, "2024-03-04 10:06", "ate_abort"),
        ("C1", s2, "2024-03-04 10:30", "withdraw"),
        ("C1", s1, "2024-03-04 11:00", "start"),
        ("C1", s1, "2024-03-04 11:20", "complete"),
        ("C1", s2, "2024-03-04 11:30", "manualskip"),
        ("C2", s0, "2024-03-04 09:00", "complete"),
        ("C2", s2, "2024-03-04 09:30", "start"),      # started, then aborted: not in progress
        ("C2", s2, "2024-03-04 09:45", "ate_abort"),
        ("C3", s0, "2024-03-04 09:00", "complete"),
        ("C3", s2, "2024-03-04 09:30", "start"),      # started and nothing since: in progress
    ]
    db = tmp_path / "s.duckdb"
    result = ingest_file(db, write_csv(tmp_path / "bpic12.csv", ["case_id", "activity", "timestamp",
                                                                "lifecycle:transition"], rows), **sop.kw())
    assert (result.rows_loaded, result.rows_quarantined) == (len(rows), 0)
    assert [r[0] for r in query(db, "SELECT lifecycle FROM events ORDER BY event_id")] == [
        "schedule", "assign", "start", "suspend", "resume", "complete", "schedule", "start", "ate_abort",
        "withdraw", "start", "complete", "manualskip", "complete", "start", "ate_abort", "complete", "start"]
    analyze(db)
    steps = query(db, """SELECT step_id, occurrence, strftime(start_ts AT TIME ZONE 'Asia/Jakarta', '%H:%M'),
                                strftime(complete_ts AT TIME ZONE 'Asia/Jakarta', '%H:%M'), waiting_wm, processing_wm
                         FROM step_checks WHERE case_id = 'C1' ORDER BY complete_ts""")
    first, second = (s.id for s in sop.model.steps[:2])
    assert steps == [(first, 1, "09:00", "09:40", 60.0, 30.0), (second, 1, "11:00", "11:20", 80.0, 20.0)]
    # the case begins when its first activity was scheduled
    assert query(db, """SELECT strftime(first_ts AT TIME ZONE 'Asia/Jakarta', '%H:%M') FROM cases
                        WHERE case_id = 'C1'""") == [("08:00",)]
    trace = query(db, """SELECT v.activities FROM case_checks c JOIN variants v USING (sop_id, variant_id)
                         WHERE c.case_id = 'C1'""")
    assert trace == [([first, second],)]
    third = sop.model.steps[2].id
    current = dict(query(db, "SELECT case_id, current_step FROM open_cases WHERE case_id IN ('C2', 'C3')"))
    assert current["C3"] == third and current["C2"] != third


def test_a_real_road_traffic_export_loads_every_event_with_its_own_attributes(tmp_path: Path, sop: Sop) -> None:
    """roadtraffic100traces.xes (100 real cases, tests/fixtures/reference_models/README.md):
    every event pm4py reads is stored, none dropped as a duplicate, the variants are pm4py's,
    and each event's own values (amount, paymentAmount, ...) are on that event."""
    import pm4py

    log = Path(__file__).parent / "fixtures" / "reference_models" / "roadtraffic100traces.xes"
    df = pm4py.read_xes(str(log))
    db = tmp_path / "s.duckdb"
    result = ingest_file(db, log, **sop.kw())
    assert (result.rows_read, result.rows_loaded, result.rows_duplicate, result.rows_quarantined) == (
        len(df), len(df), 0, 0)
    ours = query(db, "SELECT case_id, list(activity ORDER BY ts, event_id) FROM events GROUP BY 1")
    theirs = df.sort_values(["case:concept:name", "time:timestamp"], kind="stable").groupby(
        "case:concept:name")["concept:name"].apply(list).to_dict()
    assert dict(ours) == theirs
    assert len({tuple(v) for v in theirs.values()}) == len(pm4py.get_variants(df))
    mapping = json.loads(query(db, "SELECT mapping FROM imports")[0][0])
    assert {"amount", "paymentAmount"} <= set(mapping["event_attributes"])
    stored = [(c, a, json.loads(j) if j else {}) for c, a, j in query(
        db, "SELECT case_id, activity, attributes FROM events ORDER BY case_id, ts, event_id")]
    expected = df.sort_values(["case:concept:name", "time:timestamp"], kind="stable")
    for (case, activity, attrs), (_, row) in zip(stored, expected.iterrows(), strict=True):
        assert (case, activity) == (row["case:concept:name"], row["concept:name"])
        for key in ("amount", "paymentAmount"):
            assert attrs.get(key) == (None if row[key] != row[key] else row[key]), (case, activity, key)
