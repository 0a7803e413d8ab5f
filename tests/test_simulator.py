"""The simulator: determinism, the office calendar, conformance of clean traces, ground truth.

Truth is checked against independent recomputations from the events (working time by walking
the days with ``holidays``, deadlines by the SEMANTICS rule), never against copied numbers.
"""

from __future__ import annotations

import calendar as month_calendar
import json
import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import holidays
import pandas as pd
import pytest
from event_steps import add_steps, connect_with_steps

from event_logs.simulator import SimConfig, simulate
from event_logs.simulator.config import DEFAULT_DEVIATION_WEIGHTS, EXTRA_ACTIVITIES, RELABELS
from pantau.errors import PantauError, StoreError
from sop_models import load_all, load_model
from sop_models.flow import Loop, Task, Xor, happy_path, walk
from sop_models.flow_paths import end_steps
from sop_models.model import Bound, SopModel

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")

FIXTURES = Path(__file__).parent / "fixtures" / "sim_models"
START, END = date(2024, 1, 1), date(2024, 12, 31)
ALIGNMENT_KINDS = {"skipped_step", "wrong_order", "rework", "unmapped_activity", "both_branches"}
BREACH_KINDS = {"breach", "deadline_missed", "too_fast"}
MODELS = {m.id: m for m in load_all()}


def _run(path: Path, **kwargs) -> object:
    args = {"cases": 1500, "seed": 11, "start": START, "end": END}
    args.update(kwargs)
    return simulate(path, **args)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """All five SOPs, 1,500 cases, deviation rate 0.25 (enough of every kind)."""
    path = tmp_path_factory.mktemp("sim") / "demo.duckdb"
    return path, _run(path, deviation_rate=0.25)


@pytest.fixture(scope="module")
def con(demo: tuple[Path, object]) -> duckdb.DuckDBPyConnection:
    c = connect_with_steps(demo[0])
    yield c
    c.close()


def _off(first: date, last: date, categories: tuple[str, ...] = ("public", "government")) -> set[date]:
    return set(holidays.Indonesia(years=range(first.year, last.year + 1), categories=categories))


# --- determinism, counts, store rows ----------------------------------------------------------
def _dump(path: Path) -> dict[str, list]:
    c = connect_with_steps(path)
    try:
        return {
            "events": c.execute("SELECT * FROM events ORDER BY event_id").fetchall(),
            "cases": c.execute("SELECT * FROM cases ORDER BY sop_id, case_id").fetchall(),
            "truth": c.execute("SELECT * FROM sim_truth ORDER BY ALL").fetchall(),
            "imports": c.execute("SELECT import_id, file_name, sha256, format, sop_id, agency, "
                                 "mapping, rows_loaded FROM imports ORDER BY 1").fetchall(),
        }
    finally:
        c.close()


def test_same_seed_same_database_other_seed_differs(tmp_path: Path) -> None:
    a, b, c = (tmp_path / f"{n}.duckdb" for n in "abc")
    for path, seed in ((a, 5), (b, 5), (c, 6)):
        _run(path, cases=400, seed=seed)
    first, second, other = _dump(a), _dump(b), _dump(c)
    assert first == second
    assert len(first["events"]) > 5000
    assert first["events"] != other["events"]


def test_counts_and_store_rows(con: duckdb.DuckDBPyConnection, demo: tuple[Path, object]) -> None:
    result = demo[1]
    n_cases, n_event_cases = con.execute(
        "SELECT (SELECT count(*) FROM cases), (SELECT count(DISTINCT (sop_id, agency, case_id)) FROM events)"
    ).fetchone()
    assert n_cases == n_event_cases == result.cases
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == result.events
    assert con.execute("SELECT count(*) FROM sim_truth").fetchone()[0] == result.truth_rows
    # every case's first/last ts are its events' min/max; ids are unique and increasing
    bad = con.execute("""
        SELECT count(*) FROM cases c JOIN (
            SELECT sop_id, agency, case_id, min(ts) lo, max(ts) hi FROM events GROUP BY ALL) e
        USING (sop_id, agency, case_id) WHERE c.first_ts <> e.lo OR c.last_ts <> e.hi""").fetchone()[0]
    assert bad == 0
    assert con.execute("SELECT count(DISTINCT event_id) = count(*) FROM events").fetchone()[0]
    # within a case, event order and time order agree (analytics orders by ts, event_id)
    assert con.execute("""SELECT count(*) FROM (SELECT ts < lag(ts) OVER (
        PARTITION BY sop_id, agency, case_id ORDER BY event_id) AS back FROM events) WHERE back""").fetchone()[0] == 0
    imports = con.execute("SELECT sop_id, format, file_name, rows_loaded FROM imports").fetchall()
    assert sorted(r[0] for r in imports) == sorted(MODELS)
    assert {r[1] for r in imports} == {"simulation"}
    assert sum(r[3] for r in imports) == result.events
    # activity = the step's name exactly (the mapping needs no normalising), agency = the
    # model's; the labels of no step are the simulator's own extra activities
    how = add_steps(con)
    assert set(how.values()) == {"exact"}
    for sop_id, model in MODELS.items():
        rows = con.execute("SELECT DISTINCT step_id, activity, lane, agency FROM events "
                           "WHERE sop_id = ? AND step_id IS NOT NULL", [sop_id]).fetchall()
        for sid, activity, lane, agency in rows:
            step = model.step(sid)
            assert (activity, lane, agency) == (step.name, step.lane, model.agency)
    unmapped = {r[0] for r in con.execute("SELECT DISTINCT activity FROM events WHERE step_id IS NULL").fetchall()}
    assert unmapped and unmapped <= set(EXTRA_ACTIVITIES) | set(RELABELS)


def test_weights_split_cases_and_units_are_realistic(con: duckdb.DuckDBPyConnection) -> None:
    per_sop = dict(con.execute("SELECT sop_id, count(*) FROM cases GROUP BY 1").fetchall())
    assert per_sop["batam-dinkes-integrasi-jkn"] > per_sop["dki-setda-jkn-wbs"] * 5
    units = {r[0] for r in con.execute("SELECT DISTINCT unit FROM cases").fetchall()}
    assert {"Puskesmas Sekupang", "RSUD Sekayu", "Panti Sosial Bina Insan Bangun Daya 1"} <= units
    kepala = con.execute("""SELECT count(DISTINCT resource) FROM events WHERE lane = 'Kepala Dinas'
        AND case_id NOT IN (SELECT case_id FROM sim_truth WHERE kind = 'same_person')""").fetchone()[0]
    assert 1 <= kepala <= 2
    assert con.execute("SELECT count(*) FROM events WHERE lane = 'PENGGUNA LAYANAN' "
                       "AND resource IS NOT NULL").fetchone()[0] == 0


def test_second_run_is_refused_and_replace_works(tmp_path: Path) -> None:
    path = tmp_path / "twice.duckdb"
    first = _run(path, cases=200, sop_ids=["batam-dinkes-jaminan-rs"])
    with pytest.raises(StoreError):
        _run(path, cases=200, sop_ids=["batam-dinkes-jaminan-rs"])
    again = _run(path, cases=300, seed=12, sop_ids=["batam-dinkes-jaminan-rs"], replace=True)
    c = connect_with_steps(path)
    assert c.execute("SELECT count(*) FROM cases").fetchone()[0] == again.cases == 300
    assert c.execute("SELECT count(*) FROM imports").fetchone()[0] == 1
    assert again.import_id != first.import_id
    c.close()


def test_bad_arguments() -> None:
    with pytest.raises(PantauError):
        simulate("/nonexistent/never.duckdb", cases=0, seed=1)
    with pytest.raises(PantauError):
        simulate("/nonexistent/never.duckdb", cases=10, seed=1, sop_ids=["no-such-sop"])
    with pytest.raises(PantauError):
        simulate("/nonexistent/never.duckdb", cases=10, seed=1, start=END, end=START)


def test_progress_is_reported_about_every_percent(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    _run(tmp_path / "p.duckdb", cases=500, sop_ids=["muba-dinkes-uhc-bpjs"],
         progress=lambda d, t: calls.append((d, t)))
    assert 90 <= len(calls) <= 110
    assert calls[-1] == (500, 500)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


# --- calendar ---------------------------------------------------------------------------------
def test_events_fall_in_office_hours_on_working_days(con: duckdb.DuckDBPyConnection) -> None:
    zones = [(m.id, m.timezone) for m in MODELS.values()]
    off = sorted(_off(START, END + timedelta(days=400)))
    local = con.execute("""
        WITH z(sop_id, tz) AS (SELECT * FROM (VALUES {}))
        SELECT timezone(z.tz, e.ts) AS t FROM events e JOIN z USING (sop_id)""".format(
        ", ".join(f"('{s}', '{t}')" for s, t in zones))).df()["t"]
    assert len(local) > 20000
    clock = local.dt.hour * 3600 + local.dt.minute * 60 + local.dt.second
    assert clock.between(8 * 3600, 16 * 3600).all()
    assert (local.dt.dayofweek < 5).all()
    assert not local.dt.date.isin(off).any()
    cuti = _off(date(2024, 1, 1), date(2024, 12, 31), ("government",))
    assert len(cuti) >= 8 and not local.dt.date.isin(cuti).any()
    # and nothing after the simulated period
    assert local.max() <= pd.Timestamp(datetime.combine(END, time(16)))


def test_fixture_model_in_wita(tmp_path: Path) -> None:
    model = load_model(FIXTURES / "fx-sim.yaml")
    path = tmp_path / "fx.duckdb"
    simulate(path, cases=600, seed=3, models=[model], deviation_rate=0.0,
             start=date(2024, 3, 1), end=date(2024, 8, 31))
    c = connect_with_steps(path)
    hours = c.execute("SELECT DISTINCT hour(timezone('Asia/Makassar', ts)) FROM events").fetchall()
    assert {h for (h,) in hours} <= set(range(8, 17))
    # the parallel block is done in both orders; the re-entry after the applicant always has a start
    orders = c.execute("""
        SELECT list(step_id ORDER BY event_id) FILTER (WHERE step_id IN ('p01', 'p02')) o
        FROM events WHERE lifecycle = 'complete' GROUP BY case_id""").fetchall()
    firsts = Counter(o[0][0] for o in orders if o[0])
    assert firsts["p01"] > 50 and firsts["p02"] > 50
    reentry = c.execute("""
        WITH x AS (SELECT step_id, lifecycle,
            count(*) FILTER (WHERE lifecycle = 'complete' AND step_id = 'a01') OVER w AS n,
            lag(step_id) OVER w AS prev_step, lag(lifecycle) OVER w AS prev_life
            FROM events WINDOW w AS (PARTITION BY case_id ORDER BY event_id))
        SELECT count(*), count(*) FILTER (WHERE prev_step = 'a01' AND prev_life = 'start')
        FROM x WHERE step_id = 'a01' AND lifecycle = 'complete' AND n > 1""").fetchone()
    assert reentry[0] > 20 and reentry[1] == reentry[0]
    # no deviation at rate 0, and every finished trace (and, loop with redo, choices) fits
    assert c.execute("SELECT count(*) FROM sim_truth WHERE kind NOT IN "
                     "('breach', 'deadline_missed', 'too_fast')").fetchone()[0] == 0
    import pm4py

    from sop_models.builders import petri_net

    df = c.execute("""SELECT case_id, step_id AS act, event_id FROM events WHERE lifecycle = 'complete'
                      AND case_id IN (SELECT case_id FROM cases WHERE first_ts < '2024-07-15')
                      ORDER BY case_id, event_id""").df()
    df["ts"] = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(df.groupby("case_id").cumcount(), unit="s")
    diag = pm4py.conformance_diagnostics_token_based_replay(
        df, *petri_net(model), activity_key="act", case_id_key="case_id", timestamp_key="ts")
    assert len(diag) > 300 and all(d["trace_is_fit"] for d in diag)
    c.close()


# --- conformance of clean traces ---------------------------------------------------------------
def _traces(con: duckdb.DuckDBPyConnection, sop_id: str) -> pd.DataFrame:
    df = con.execute("""
        SELECT case_id, coalesce(step_id, 'UNMAPPED:' || activity) AS act, event_id
        FROM events WHERE sop_id = ? AND lifecycle = 'complete' AND case_id IN (
            SELECT case_id FROM cases WHERE sop_id = ? AND first_ts < ?)
        ORDER BY case_id, event_id""", [sop_id, sop_id, datetime(2024, 8, 31, tzinfo=UTC)]).df()
    # a strictly increasing clock per case, so pm4py cannot reorder ties
    df["ts"] = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(df.groupby("case_id").cumcount(), unit="s")
    return df


@pytest.mark.parametrize("sop_id", sorted(MODELS))
def test_clean_traces_replay_on_the_petri_net_and_deviated_do_not(
        con: duckdb.DuckDBPyConnection, sop_id: str) -> None:
    import pm4py

    from sop_models.builders import petri_net

    net, im, fm = petri_net(MODELS[sop_id])
    df = _traces(con, sop_id)
    deviated = {r[0] for r in con.execute(
        "SELECT DISTINCT case_id FROM sim_truth WHERE sop_id = ? AND kind IN ({})".format(
            ", ".join(f"'{k}'" for k in ALIGNMENT_KINDS)), [sop_id]).fetchall()}
    diag = pm4py.conformance_diagnostics_token_based_replay(
        df, net, im, fm, activity_key="act", case_id_key="case_id", timestamp_key="ts")
    case_ids = list(df["case_id"].drop_duplicates())  # pm4py keeps first-appearance order
    fit = dict(zip(case_ids, (d["trace_is_fit"] for d in diag), strict=True))
    unmapped = set(df.loc[df["act"].str.startswith("UNMAPPED:"), "case_id"])
    clean = [c for c in case_ids if c not in deviated]
    assert len(clean) > 20
    assert all(fit[c] for c in clean), [c for c in clean if not fit[c]][:5]
    assert not unmapped & set(clean)
    # every injected alignment deviation shows: unfit, or an unmapped label (pm4py skips those)
    assert all(not fit[c] or c in unmapped for c in deviated if c in fit)


# --- ground truth: deviations ----------------------------------------------------------------
def _applicable(model: SopModel) -> set[str]:
    out = {"skip", "swap", "rework", "extra", "relabel"}
    if model.four_eyes:
        out |= {"approval_first", "same_person"}
    if model.steps and happy_path(model.flow) and model.step(happy_path(model.flow)[0]).kelengkapan:
        out.add("missing_kelengkapan")
    for node in walk(model.flow):
        if isinstance(node, Xor) and sum(1 for _, b in node.branches if happy_path(b)) >= 2:
            out.add("both_branches")
    return out


def test_injected_deviations_at_the_configured_rate(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("""
        SELECT t.sop_id, t.case_id, t.kind, split_part(t.detail, ':', 1) recipe
        FROM sim_truth t JOIN cases c USING (sop_id, case_id)
        WHERE t.kind NOT IN ('breach', 'deadline_missed', 'too_fast') AND c.first_ts < ?""",
                       [datetime(2024, 9, 1, tzinfo=UTC)]).fetchall()
    old = dict(con.execute("SELECT sop_id, count(*) FROM cases WHERE first_ts < ? GROUP BY 1",
                           [datetime(2024, 9, 1, tzinfo=UTC)]).fetchall())
    kinds = {k for _, _, k, _ in rows}
    assert ALIGNMENT_KINDS | {"same_person", "missing_kelengkapan"} <= kinds
    assert "incidental" not in {r for *_, r in rows}
    # one recipe per case, in about deviation_rate (0.25) of the cases
    recipes_per_case = defaultdict(set)
    for sop, case, _, recipe in rows:
        recipes_per_case[(sop, case)].add(recipe)
    assert all(len(v) == 1 for v in recipes_per_case.values())
    share = len(recipes_per_case) / sum(old.values())
    assert 0.20 <= share <= 0.30
    # each recipe near its share of the weights among the recipes that apply to the SOP
    expected, seen = Counter(), Counter()
    for sop, n in old.items():
        ok = _applicable(MODELS[sop])
        total = sum(DEFAULT_DEVIATION_WEIGHTS[r] for r in ok)
        for r in ok:
            expected[r] += 0.25 * n * DEFAULT_DEVIATION_WEIGHTS[r] / total
    for (_, _), recipes in recipes_per_case.items():
        seen[next(iter(recipes))] += 1
    for recipe, exp in expected.items():
        # counts are Poisson-like: for the rare recipes (same_person, ~13 cases) three standard
        # deviations are wider than the ratio band (seeds 11..13 gave 6, 15 and 14 of 13.5)
        low, high = min(0.5 * exp, exp - 3 * exp ** 0.5), max(1.6 * exp, exp + 3 * exp ** 0.5)
        assert low <= seen[recipe] <= high, (recipe, seen[recipe], exp)


def test_missing_kelengkapan_truth_matches_attributes(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("SELECT sop_id, case_id, attributes FROM cases").fetchall()
    truth = {(s, c) for s, c in con.execute(
        "SELECT sop_id, case_id FROM sim_truth WHERE kind = 'missing_kelengkapan'").fetchall()}
    checked = 0
    for sop, case, attrs in rows:
        model = MODELS[sop]
        need = model.step(happy_path(model.flow)[0]).kelengkapan
        got = json.loads(attrs).get("kelengkapan")
        if got is None:
            assert not need
            continue
        checked += 1
        assert ((sop, case) in truth) == (not set(need) <= set(got))
    assert checked > 500
    wbs = [json.loads(a)["jumlah_wbs"] for s, _, a in rows if s == "dki-setda-jkn-wbs"]
    assert wbs and all(isinstance(n, int) and n >= 1 for n in wbs)


def test_four_eyes_same_person_only_when_injected(con: duckdb.DuckDBPyConnection) -> None:
    for model in MODELS.values():
        for a, b in model.four_eyes:
            same = {r[0] for r in con.execute("""
                SELECT case_id FROM events WHERE sop_id = ? AND lifecycle = 'complete'
                GROUP BY case_id HAVING len(list_intersect(
                    list(resource) FILTER (WHERE step_id = ?), list(resource) FILTER (WHERE step_id = ?))) > 0""",
                                                [model.id, a, b]).fetchall()}
            truth = {r[0] for r in con.execute(
                "SELECT case_id FROM sim_truth WHERE sop_id = ? AND kind = 'same_person'",
                [model.id]).fetchall()}
            assert same == truth and len(truth) > 3


# --- ground truth: Mutu Baku, recomputed independently ----------------------------------------
def _working_seconds(a: datetime, b: datetime, tz: ZoneInfo, off: set[date]) -> int:
    a, b = a.astimezone(tz), b.astimezone(tz)
    total, d = 0, a.date()
    while d <= b.date():
        if d.weekday() < 5 and d not in off:
            lo = max(a, datetime.combine(d, time(8), tz))
            hi = min(b, datetime.combine(d, time(16), tz))
            total += max(0, int((hi - lo).total_seconds()))
        d += timedelta(days=1)
    return total


def _deadline(enabled: datetime, day: int, tz: ZoneInfo, off: set[date]) -> datetime:
    d = enabled.astimezone(tz).date()
    target = date(d.year, d.month, min(day, month_calendar.monthrange(d.year, d.month)[1]))
    if target < d:
        y, m = divmod(d.month, 12)
        target = date(d.year + y, m + 1, 1)
        target = target.replace(day=min(day, month_calendar.monthrange(target.year, target.month)[1]))
    due = target
    while due.weekday() >= 5 or due in off:
        due -= timedelta(days=1)
    if (due.year, due.month) != (target.year, target.month):  # stays in its month (awal bulan)
        due = target
        while due.weekday() >= 5 or due in off:
            due += timedelta(days=1)
    return datetime.combine(due, time(16), tz)


def _plus_months(when: datetime, months: float, tz: ZoneInfo) -> datetime:
    local = when.astimezone(tz)
    whole = int(months)
    y, m = divmod(local.month - 1 + whole, 12)
    last = month_calendar.monthrange(local.year + y, m + 1)[1]
    return local.replace(year=local.year + y, month=m + 1, day=min(local.day, last)) + timedelta(
        days=(months - whole) * 30.4375)


def _limit_seconds(bound: Bound) -> float | None:
    if bound.unit == "month":
        return None
    if bound.calendar == "working":
        return bound.value * {"minute": 60, "hour": 3600, "day": 480 * 60}[bound.unit]
    return bound.value * {"minute": 60, "hour": 3600, "day": 86400}[bound.unit]


@dataclass
class _Span:
    """One step occurrence: enabled -> complete, paused seconds, working seconds, quantity."""

    enabled: datetime
    complete: datetime
    paused_s: int
    work: int
    q: float
    tz: ZoneInfo

    def beyond(self, bound: Bound, over: bool) -> bool:
        limit = _limit_seconds(bound)
        if limit is None:
            due = _plus_months(self.enabled + timedelta(seconds=self.paused_s), bound.value * self.q, self.tz)
            return self.complete > due if over else self.complete < due
        wall = int((self.complete - self.enabled).total_seconds()) - self.paused_s
        value = self.work if bound.calendar == "working" else wall
        return value > limit * self.q if over else value < limit * self.q


def _expected_breaches(con: duckdb.DuckDBPyConnection, model: SopModel) -> set[tuple]:
    tz = ZoneInfo(model.timezone)
    off = _off(START - timedelta(days=60), END + timedelta(days=400))
    pemohon_first = set()
    for node in walk(model.flow):
        if isinstance(node, Loop) and node.returns_to == "pemohon":
            pemohon_first.update(n.step for n in walk(node.body) if isinstance(n, Task)
                                 and n.step == happy_path(node.body)[0])
    events = con.execute("""SELECT case_id, step_id, lifecycle, ts FROM events WHERE sop_id = ?
                            ORDER BY case_id, ts, event_id""", [model.id]).fetchall()
    attrs = {c: json.loads(a) for c, a in con.execute(
        "SELECT case_id, attributes FROM cases WHERE sop_id = ?", [model.id]).fetchall()}
    out = set()
    by_case: dict[str, list] = defaultdict(list)
    for row in events:
        by_case[row[0]].append(row)
    for case, evs in by_case.items():
        seen: Counter = Counter()
        prev_complete = None
        pending_start = None
        for _, sid, life, ts in evs:
            if life == "start":
                pending_start = ts
                continue
            start, pending_start = pending_start, None
            enabled = prev_complete if prev_complete is not None else (start or ts)
            prev_complete = ts
            if sid is None:
                continue
            seen[sid] += 1
            w = model.step(sid).waktu
            if w.is_empty:
                continue
            paused_s = paused_w = 0
            if sid in pemohon_first and seen[sid] > 1 and start is not None:
                paused_s = int((start - enabled).total_seconds())
                paused_w = _working_seconds(enabled, start, tz, off)
            if w.deadline_day:
                # a batch step: the bounds judge the work from its start (no start: no span);
                # the wait for the batch day is judged by the deadline below
                origin = start or ts
                paused_s = int((origin - enabled).total_seconds())
                paused_w = _working_seconds(enabled, origin, tz, off)
            span = _Span(enabled, ts, paused_s,
                         _working_seconds(enabled, ts, tz, off) - paused_w,
                         float(attrs[case].get(model.per_units.get(w.per), 1)) if w.per else 1.0, tz)
            status = None
            if w.min is not None and span.beyond(w.min, over=False):
                status = "too_fast"
            if w.max is not None and span.beyond(w.max, over=True):
                status = "breach"
            if w.deadline_day and ts > _deadline(enabled, w.deadline_day, tz, off):
                status = "deadline_missed"
            if status:
                out.add((case, sid, seen[sid], status))
    return out


@pytest.mark.parametrize("sop_id", sorted(MODELS))
def test_breach_truth_agrees_with_a_recomputation(con: duckdb.DuckDBPyConnection, sop_id: str) -> None:
    expected = _expected_breaches(con, MODELS[sop_id])
    truth = {(c, s, int(d.removeprefix("occurrence=")), k) for c, s, d, k in con.execute(
        "SELECT case_id, step_id, detail, kind FROM sim_truth WHERE sop_id = ? AND kind IN "
        "('breach', 'deadline_missed', 'too_fast')", [sop_id]).fetchall()}
    assert truth == expected
    assert truth  # every SOP has some


def test_most_step_occurrences_meet_their_standard(con: duckdb.DuckDBPyConnection) -> None:
    occ, br = con.execute("""
        SELECT (SELECT count(*) FROM events WHERE lifecycle = 'complete' AND step_id IS NOT NULL),
               (SELECT count(*) FROM sim_truth WHERE kind IN ('breach', 'deadline_missed', 'too_fast'))
    """).fetchone()
    assert 0.02 < br / occ < 0.25


# --- queues and batches -----------------------------------------------------------------------
def _mean_wait(path: Path, lane: str) -> float:
    c = connect_with_steps(path)
    try:
        df = c.execute("""
            WITH e AS (SELECT *, lag(ts) OVER (PARTITION BY case_id ORDER BY ts, event_id)
                AS prev_done FROM events)
            SELECT ts, prev_done FROM e WHERE lane = ? AND lifecycle = 'start' AND prev_done IS NOT NULL""",
                       [lane]).df()
    finally:
        c.close()
    return float((df["ts"] - df["prev_done"]).dt.total_seconds().mean() / 60)


def test_bottleneck_waits_grow_with_arrivals(tmp_path: Path) -> None:
    args = {"sop_ids": ["dki-setda-jkn-wbs"], "start": date(2024, 3, 1), "end": date(2024, 5, 31)}
    low, high = tmp_path / "low.duckdb", tmp_path / "high.duckdb"
    simulate(low, cases=40, seed=2, **args)
    simulate(high, cases=900, seed=2, **args)
    quiet, busy = _mean_wait(low, "DINAS DUKCAPIL"), _mean_wait(high, "DINAS DUKCAPIL")
    assert busy > 3 * quiet + 30, (quiet, busy)


def test_lane_request_queue_grants_in_simpys_priority_order() -> None:
    """The heap behind counter lanes grants requests exactly as simpy's PriorityResource."""
    import random

    import simpy

    from event_logs.simulator.lanes import LaneResource

    def grants(resource_type: type) -> list[int]:
        env, rng, order = simpy.Environment(), random.Random(4), []
        res = resource_type(env, capacity=2)

        def visit(k: int, priority: int, hold: float):
            req = res.request(priority=priority)
            yield req
            order.append(k)
            yield env.timeout(hold)
            res.release(req)

        def arrivals():
            for k in range(3000):  # arrivals outrun the two servers: a long backlog
                env.process(visit(k, rng.randint(0, 2), rng.uniform(1.0, 3.0)))
                if rng.random() < 0.5:
                    yield env.timeout(rng.choice((0.0, 0.5, 1.0)))

        env.process(arrivals())
        env.run()
        return order

    assert grants(LaneResource) == grants(simpy.PriorityResource)


def test_lanes_get_more_people_above_the_reference_volume(tmp_path: Path) -> None:
    """Above CAPACITY_REFERENCE_CASES a year each lane gets ceil(capacity x scale) people, so
    a busy year does not pile up an ever-growing backlog; below it the lanes are as configured."""
    from event_logs.simulator.config import CAPACITY_REFERENCE_CASES, capacity_scale, scaled_lane

    sop = "muba-dinkes-uhc-bpjs"
    first, last = date(2024, 2, 1), date(2024, 2, 29)
    busy = round(1.5 * CAPACITY_REFERENCE_CASES * 29 / 365.25)
    quiet = busy // 3
    assert capacity_scale(quiet, first, last) == 1.0
    scale = capacity_scale(busy, first, last)
    satpam = SimConfig().lane(sop, "SATPAM")
    assert satpam.capacity == 1
    want = scaled_lane(satpam, scale).capacity
    assert want == 2
    people = {}
    for name, n in (("quiet", quiet), ("busy", busy)):
        path = tmp_path / f"{name}.duckdb"
        simulate(path, cases=n, seed=3, start=first, end=last, sop_ids=[sop])
        with connect_with_steps(path) as c:
            people[name] = dict(c.execute("""SELECT unit, count(DISTINCT resource) FROM events
                WHERE lane = 'SATPAM' GROUP BY unit""").fetchall())
            mapping = json.loads(c.execute("SELECT mapping FROM imports").fetchone()[0])
        assert ("lane_capacity_scale" in mapping) == (name == "busy")
    assert set(people["quiet"].values()) == {1}
    assert max(people["busy"].values()) == want
    # a session lane doubles its signers with the same skip odds
    kepala = SimConfig().lane("batam-dinkes-jaminan-rs", "Kepala Dinas")
    assert scaled_lane(kepala, 1.5).skip_prob == (0.15, 0.85, 0.15)
    assert scaled_lane(kepala, 1.0) is kepala


def test_monthly_batch_is_done_near_its_deadline_day(con: duckdb.DuckDBPyConnection) -> None:
    model = MODELS["batam-dinkes-integrasi-jkn"]
    batch = next(s for s in model.steps if s.waktu.deadline_day)
    day = batch.waktu.deadline_day
    df = con.execute("""
        SELECT unit, timezone(?, ts) t FROM events
        WHERE sop_id = ? AND step_id = ? AND lifecycle = 'complete'""",
                     [model.timezone, model.id, batch.id]).df()
    assert len(df) > 200
    days = df["t"].dt.day
    assert ((days >= day - 6) & (days <= day)).mean() > 0.85
    # one batch (one completion time) per unit and month
    per_month = df.groupby([df["unit"], df["t"].dt.to_period("M")])["t"].nunique()
    assert (per_month == 1).mean() > 0.8


def test_open_cases_at_the_end(con: duckdb.DuckDBPyConnection) -> None:
    """Cases that started late are cut at the end of the period: they stop before an end step."""
    def share_open(first: date, last: date) -> float:
        total = still_open = 0
        for model in MODELS.values():
            ends = end_steps(model.flow)
            rows = con.execute("""
                SELECT last(step_id ORDER BY event_id) FROM events WHERE sop_id = ? AND case_id IN (
                    SELECT case_id FROM cases WHERE sop_id = ? AND first_ts::DATE BETWEEN ? AND ?)
                GROUP BY case_id""", [model.id, model.id, first, last]).fetchall()
            total += len(rows)
            still_open += sum(1 for (sid,) in rows if sid not in ends)
        return still_open / total
    assert share_open(date(2024, 12, 16), date(2024, 12, 31)) > 0.3
    assert share_open(date(2024, 6, 1), date(2024, 6, 30)) < 0.05


# --- data quality ------------------------------------------------------------------------------
def test_no_nik_is_stored(con: duckdb.DuckDBPyConnection) -> None:
    sixteen = re.compile(r"\d{16}")
    for table in ("events", "cases", "sim_truth"):
        for row in con.execute(f"SELECT * EXCLUDE (nik_hash) FROM {table}" if table == "cases"
                               else f"SELECT * FROM {table}").fetchall():
            assert not any(isinstance(v, str) and sixteen.search(v) for v in row), (table, row)
    hashes = con.execute("SELECT sop_id, nik_hash FROM cases").fetchall()
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for s, h in hashes if s != "dki-setda-jkn-wbs")
    assert all(h is None for s, h in hashes if s == "dki-setda-jkn-wbs")
    assert len({h for _, h in hashes if h}) == sum(1 for _, h in hashes if h)


def test_a_few_occurrences_have_no_start_event(con: duckdb.DuckDBPyConnection) -> None:
    starts, completes = con.execute("SELECT count(*) FILTER (WHERE lifecycle = 'start'), "
                                    "count(*) FILTER (WHERE lifecycle = 'complete') FROM events").fetchone()
    assert 0.01 < 1 - starts / completes < 0.06


def test_config_defaults_for_unknown_sops() -> None:
    sim = SimConfig()
    assert sim.sop("no-such-sop").weight > 0
    assert sim.lane("no-such-sop", "Loket Umum").mode == "counter"
    assert sim.lane("no-such-sop", "Kepala Dinas").mode == "session"


# --- cases at the end of the period ------------------------------------------------------------
@pytest.mark.parametrize(("cases", "seed", "sops", "slow_counter"), [
    (500, 3, None, False),        # lost a Banjarbaru case (first step's in-tray past the end)
    (2000, 2, None, False),
    (300, 4, ["banjarbaru-dinsos-peserta-jkn"], False),
    # counters three times slower in the last two weeks: the last afternoon's queue runs
    # past the end, so late arrivals must come a day earlier
    (60, 0, ["dki-setda-jkn-wbs"], True),
])
def test_every_requested_case_is_written_with_an_event(
        tmp_path: Path, cases: int, seed: int, sops: list[str] | None, slow_counter: bool) -> None:
    kwargs: dict = {"sop_ids": sops}
    if slow_counter:
        kwargs.update(start=date(2024, 12, 16), config=SimConfig(counter_frac=3.0))
    result = _run(tmp_path / "n.duckdb", cases=cases, seed=seed, **kwargs)
    assert result.cases == cases
    with connect_with_steps(tmp_path / "n.duckdb") as c:
        assert c.execute("SELECT count(*) FROM cases").fetchone()[0] == cases
        assert c.execute("""SELECT count(*) FROM cases c
            WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.case_id = c.case_id
                              AND e.sop_id = c.sop_id)""").fetchone()[0] == 0
        last = c.execute("SELECT max(ts) FROM events").fetchone()[0]
    assert last <= datetime(2025, 1, 1, tzinfo=UTC)  # nothing after the period (WIB at the latest)


READ_KINDS = ("skipped_step", "wrong_order", "rework", "both_branches", "extra_activity",
                   "unmapped_activity")


def test_truth_of_cases_cut_at_the_end_matches_what_analytics_reads(tmp_path: Path) -> None:
    """A deviated case cut at the end reads by its logged part: a swap cut between its steps
    as a skipped step, a relabelled step as an unmapped activity before the next step, an
    approval moved up in a case that stops where the flow may end as an extra activity (no
    bundled SOP has such an early end since issue 12.7: that reading is not exercised here)."""
    from analytics import analyze  # pm4py: only for this test

    path = tmp_path / "cut.duckdb"
    # three months and a high deviation rate: many deviated cases are still open at the end
    simulate(path, cases=1200, seed=5, deviation_rate=0.6, start=date(2024, 10, 1), end=END,
             sop_ids=["batam-dinkes-integrasi-jkn", "batam-dinkes-jaminan-rs",
                      "banjarbaru-dinsos-peserta-jkn"])
    analyze(path)
    kinds = "(SELECT unnest(?::VARCHAR[]))"
    with connect_with_steps(path) as c:
        found = set(c.execute(f"SELECT DISTINCT sop_id, case_id, kind FROM deviations "
                              f"WHERE kind IN {kinds}", [list(READ_KINDS)]).fetchall())
        truth = set(c.execute(f"SELECT DISTINCT sop_id, case_id, kind FROM sim_truth "
                              f"WHERE kind IN {kinds}", [list(READ_KINDS)]).fetchall())
        cut = c.execute("SELECT count(*) FROM sim_truth WHERE detail LIKE '%cut %'").fetchone()[0]
    # the scenario does produce cut deviated cases (since issue 12.7 no bundled SOP may end
    # early, so only the swap and approval cuts "before" a step occur here)
    assert cut >= 1
    assert len(truth) > 300
    assert found - truth == set()
    assert truth - found == set()
