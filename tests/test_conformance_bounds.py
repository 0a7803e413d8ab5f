"""Bounds on pm4py's token replay and precision (analytics.conformance): on logs with
thousands of long variants and large nets these replays, not the alignments, would take
the time, so each has a work bound; past it, the most frequent variants are kept."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")

import duckdb
import pytest

from analytics import conformance
from analytics import pm4py_bridge as bridge
from event_logs.store import init_store
from sop_models import get_model
from sop_models.builders import petri_net

SOP = "batam-dinkes-integrasi-jkn"
HAPPY = ["s01", "s02", "s03", "s04", "s05", "s06", "s07", "s08", "s09"]
TRACES = {  # most frequent first: happy x3, a skip x2, then one each
    "a1": HAPPY, "a2": HAPPY, "a3": HAPPY,
    "b1": HAPPY[:5] + HAPPY[6:], "b2": HAPPY[:5] + HAPPY[6:],
    "c": HAPPY[:3], "d": ["s01", "s03", "s02", "s04", "s05"],
}


@pytest.fixture()
def con(tmp_path: Path):
    db = tmp_path / "store.duckdb"
    init_store(db)
    c = duckdb.connect(str(db))
    t0 = datetime(2024, 7, 1, 8, tzinfo=UTC)
    rows, eid = [], 0
    for case_id, trace in TRACES.items():
        for step in trace:
            eid += 1
            rows.append(f"({eid}, '{case_id}', '{SOP}', '{step}', 'complete', "
                        f"TIMESTAMPTZ '{(t0 + timedelta(minutes=eid)).isoformat()}', 'x', 'A', 'U', 1, {eid})")
    c.execute("INSERT INTO events (event_id, case_id, sop_id, activity, lifecycle, ts, resource, agency, unit, import_id, source_row) VALUES " + ", ".join(rows))
    yield c
    c.close()


def test_token_replay_past_its_bound_keeps_the_most_frequent_variants(con, monkeypatch) -> None:
    model = get_model(SOP)
    ctx = bridge.prepare_net(*petri_net(model))
    # room for the happy path and the skip variant only (9 + 8 events)
    monkeypatch.setattr(conformance, "TOKEN_REPLAY_MAX_WORK", bridge.replay_work(ctx, 17))
    conformance.run_conformance(con, 1, [SOP], models={SOP: model})
    got = {len(a): t for a, t in con.execute("SELECT activities, token_fitness FROM variants").fetchall()}
    assert got[9] == 1.0 and got[8] is not None
    assert got[3] is None and got[5] is None
    # model_quality's fitness is still the mean over the cases (all aligned)
    fitness, mean = con.execute("SELECT (SELECT fitness FROM model_quality), avg(alignment_fitness) "
                                "FROM conformance_cases").fetchone()
    assert fitness == pytest.approx(mean)


def test_precision_past_its_bound_is_that_of_the_most_frequent_variants(con, monkeypatch) -> None:
    model = get_model(SOP)
    ctx = bridge.prepare_net(*petri_net(model))
    monkeypatch.setattr(conformance, "PRECISION_MAX_WORK", bridge.replay_work(ctx, sum(range(1, 9))))
    conformance.run_conformance(con, 1, [SOP], models={SOP: model})
    got = con.execute("SELECT precision FROM model_quality").fetchone()[0]
    only_happy = bridge.precision(ctx, [(HAPPY, 3)])
    everything = bridge.precision(ctx, [(t, 1) for t in TRACES.values()])
    assert got == pytest.approx(only_happy)
    assert only_happy != pytest.approx(everything)
