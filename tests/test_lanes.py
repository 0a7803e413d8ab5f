"""Lane statistics and handovers on a real store, checked against an independent pandas
computation over the same step_checks rows (and hand arithmetic for handovers)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from test_mutu_baku import BATAM, DKI, Store

from analytics import lanes
from sop_models import get_model

JAKARTA = ZoneInfo("Asia/Jakarta")
BREACHES = {"breach", "deadline_missed", "too_fast"}
UNITS = ["Panti Sosial Bina Insan 1", "Panti Sosial Bina Insan 2"]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "lanes.duckdb")
    yield s
    s.con.close()


def _random_dki_cases(store: Store, n: int, seed: int) -> None:
    """DKI cases over June-July 2024 (six lanes, some start events, some long waits)."""
    rng = random.Random(seed)
    steps = ["s01", "s02", "s03", "s04", "s05", "s06", "s07", "s08", "s09"]
    for i in range(n):
        t = datetime(2024, 6, 3, 8, 0) + timedelta(days=rng.randrange(0, 50),
                                                   minutes=rng.randrange(0, 480))
        events = []
        for step in steps:
            t += timedelta(minutes=rng.choice([2, 5, 30, 90, 600, 3000]))
            if rng.random() < 0.5:
                events.append((step, "start", t.strftime("%Y-%m-%d %H:%M")))
                t += timedelta(minutes=rng.randrange(1, 120))
            events.append((step, "complete", t.strftime("%Y-%m-%d %H:%M")))
        store.case(DKI, f"D{i:03d}", events, {"jumlah_wbs": rng.randrange(1, 8)},
                   unit=UNITS[i % len(UNITS)])


def _expected_lane_stats(sc: pd.DataFrame) -> pd.DataFrame:
    """lane_stats computed directly with pandas from step_checks rows."""
    sc = sc.copy()
    local_complete = sc["complete_ts"].dt.tz_convert(JAKARTA)
    sc["month"] = local_complete.dt.tz_localize(None).dt.to_period("M").dt.start_time.dt.date
    rows = []
    for (unit, lane, month), g in sc.groupby(["unit", "lane", "month"]):
        rows.append({
            "unit": unit, "lane": lane, "month": month, "cases": g["case_id"].nunique(),
            "step_occurrences": len(g),
            # pandas' default linear interpolation is quantile_cont
            "waiting_median_wm": g["waiting_wm"].dropna().quantile(0.5),
            "waiting_p90_wm": g["waiting_wm"].dropna().quantile(0.9),
            "processing_median_wm": g["processing_wm"].dropna().quantile(0.5),
            "processing_p90_wm": g["processing_wm"].dropna().quantile(0.9),
            "violations": int(g["status"].isin(BREACHES).sum()),
            "judged": int((g["status"] != "no_standard").sum()),
        })
    return pd.DataFrame(rows).set_index(["unit", "lane", "month"]).sort_index()


def _expected_wip(sc: pd.DataFrame) -> dict[tuple[str, str, object], float]:
    """Occurrence time inside each local month / the month's length, summed per unit and lane."""
    out: dict[tuple[str, str, object], float] = {}
    for r in sc.itertuples():
        a = r.enabled_ts.tz_convert(JAKARTA).tz_localize(None)
        b = r.complete_ts.tz_convert(JAKARTA).tz_localize(None)
        month = a.to_period("M")
        while month.start_time <= b:
            lo, hi = month.start_time, (month + 1).start_time
            overlap = (min(b, hi) - max(a, lo)).total_seconds()
            if overlap > 0:
                key = (r.unit, r.lane, lo.date())
                out[key] = out.get(key, 0.0) + overlap / (hi - lo).total_seconds()
            month += 1
    return out


def test_lane_stats_equal_a_direct_pandas_computation(store: Store) -> None:
    _random_dki_cases(store, 60, seed=11)
    store.check_steps()
    written = lanes.build_lane_stats(store.con, 1, store.models)
    sc = store.con.execute("SELECT * FROM step_checks WHERE run_id = 1").fetchdf()
    got = store.con.execute("SELECT * FROM lane_stats").fetchdf()
    got["month"] = pd.to_datetime(got["month"]).dt.date
    got = got.set_index(["unit", "lane", "month"]).sort_index()
    assert written == len(got)
    assert set(got["sop_id"]) == {DKI} and set(got["agency"]) == {get_model(DKI).agency}
    assert set(got.index.get_level_values("unit")) == set(UNITS)
    expected = _expected_lane_stats(sc)
    completed = got[got["step_occurrences"] > 0]
    assert list(completed.index) == list(expected.index)
    for col in expected.columns:
        assert completed[col].to_numpy(dtype=float) == pytest.approx(
            expected[col].to_numpy(dtype=float), nan_ok=True), col
    # months where steps were open but none completed get a row too (cases = 0)
    wip = _expected_wip(sc)
    assert set(wip) == set(got.index)
    for key, value in wip.items():
        assert got.loc[key, "avg_wip"] == pytest.approx(value), key
    assert (got["cases"] >= 0).all() and (got["violations"] <= got["judged"]).all()


def test_handovers_count_lane_changes_and_their_median_delay(store: Store) -> None:
    # Batam lanes: s05, s06, s08 Petugas Pelayanan Bantuan; s07 Kepala Dinas; s09 BPJS Kesehatan
    store.case(BATAM, "A", [("s05", "complete", "2024-07-01 09:00"),
                            ("s06", "complete", "2024-07-01 10:00"),
                            ("s07", "start", "2024-07-01 10:30"),   # delay 30 (to the start)
                            ("s07", "complete", "2024-07-01 11:00"),
                            ("s08", "complete", "2024-07-01 11:20"),  # delay 20 (no start)
                            ("s09", "complete", "2024-07-01 15:00")])  # delay 220
    store.case(BATAM, "B", [("s05", "complete", "2024-07-05 09:00"),
                            ("s06", "complete", "2024-07-05 15:00"),
                            ("s07", "complete", "2024-07-08 09:00"),  # Fri 15:00 -> Mon 09:00 = 120
                            ("s08", "complete", "2024-07-08 09:40"),  # 40
                            ("s09", "start", "2024-07-08 10:00"),     # 20
                            ("s09", "complete", "2024-07-10 10:00")])
    # another unit, and a handover received on the first day of August (local time)
    store.case(BATAM, "C", [("s06", "complete", "2024-07-31 15:00"),
                            ("s07", "complete", "2024-08-01 08:30")], unit="Puskesmas Sekupang")
    store.check_steps()
    written = lanes.build_handovers(store.con, 1, store.models)
    rows = store.rows("handovers")
    august = [r for r in rows if r["unit"] == "Puskesmas Sekupang"]
    assert [(r["month"], r["from_lane"], r["to_lane"], r["count"], r["median_delay_wm"]) for r in august] == [
        (date(2024, 8, 1), "Petugas Pelayanan Bantuan", "Kepala Dinas", 1, 90.0)]  # 60 + 30
    got = {(r["from_lane"], r["to_lane"]): r for r in rows if r["unit"] == "Kantor Pusat"}
    assert written == 4 and {r["month"] for r in got.values()} == {date(2024, 7, 1)}
    petugas, kepala, bpjs = "Petugas Pelayanan Bantuan", "Kepala Dinas", "BPJS Kesehatan"
    assert {k: v["count"] for k, v in got.items()} == {(petugas, kepala): 2, (kepala, petugas): 2,
                                                      (petugas, bpjs): 2}
    # medians of two delays (working minutes) are their mean
    assert got[(petugas, kepala)]["median_delay_wm"] == pytest.approx((30 + 120) / 2)
    assert got[(kepala, petugas)]["median_delay_wm"] == pytest.approx((20 + 40) / 2)
    assert got[(petugas, bpjs)]["median_delay_wm"] == pytest.approx((220 + 20) / 2)
    assert {r["agency"] for r in got.values()} == {"Dinas Kesehatan Kota Batam"}


def test_lane_stages_write_nothing_for_an_empty_run(store: Store) -> None:
    store.case(BATAM, "A", [("s01", "complete", "2024-07-01 09:00")])
    store.check_steps(run_id=1)
    assert lanes.build_lane_stats(store.con, 2, store.models) == 0
    assert lanes.build_handovers(store.con, 2, store.models) == 0


def test_work_in_progress_is_split_over_the_months_it_spans(store: Store) -> None:
    # Batam s02 enabled Sunday 30 June 12:00 (s01's completion), completed Tuesday 2 July 12:00:
    # 0.5 day of June (30 days) and 1.5 days of July (31 days) in progress
    store.case(BATAM, "A", [("s01", "complete", "2024-06-30 12:00"),
                            ("s02", "complete", "2024-07-02 12:00")])
    store.check_steps()
    lanes.build_lane_stats(store.con, 1, store.models)
    got = {str(r["month"]): r for r in store.rows("lane_stats")}
    assert set(got) == {"2024-06-01", "2024-07-01"}
    assert got["2024-06-01"]["avg_wip"] == pytest.approx(0.5 / 30)
    assert got["2024-07-01"]["avg_wip"] == pytest.approx(1.5 / 31)
    # s01 completed in June, s02 in July
    assert (got["2024-06-01"]["step_occurrences"], got["2024-07-01"]["step_occurrences"]) == (1, 1)
