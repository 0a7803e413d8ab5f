"""The conformance benches load their stores through the current schema (issue 14: both wrote
events positionally, which broke when migration 3 dropped events.step_id and events.lane)."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def benches():
    sys.path.insert(0, str(BENCH))
    try:
        import conformance_bench
        import real_logs_bench
        yield conformance_bench, real_logs_bench
    finally:
        sys.path.remove(str(BENCH))


def test_conformance_bench_generates_a_store_the_floor_query_reads(benches, tmp_path):
    conformance_bench, _ = benches
    db = tmp_path / "bench.duckdb"
    conformance_bench.generate(db, 40)
    con = duckdb.connect(str(db), read_only=True)
    cases, named = con.execute("SELECT count(DISTINCT case_id), count(*) FILTER (WHERE activity IS NOT NULL) "
                               "FROM events").fetchone()
    assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == 40
    con.close()
    assert cases == 40 and named > 40
    floor = conformance_bench.child_floor(str(db))
    assert floor["variants"] >= 1


def test_real_logs_bench_loads_a_many_variant_log_and_maps_it_as_the_analysis_does(benches, tmp_path, monkeypatch):
    conformance_bench, real_logs_bench = benches
    monkeypatch.setitem(real_logs_bench.MANY, "tiny", (6, 12, 3))
    db = tmp_path / "tiny.duckdb"
    real_logs_bench.load(db, "tiny")
    model, _ = real_logs_bench.log_net("tiny")
    con = duckdb.connect(str(db), read_only=True)
    frame = conformance_bench._frame(con, model)
    con.close()
    assert frame["case_id"].nunique() == 12
    steps = {s.id for s in model.steps}
    # every generated activity is a step of the net: none is left as '?:label'
    assert set(frame["activity"]) <= steps
