"""A store with analysis results for the dashboard tests and benchmark, built in SQL.

``build_results_db(path, cases=N)`` creates the real schema (``event_logs/sql/schema_v1.sql``
through ``init_store``, then ``analytics/sql/results.sql``) and fills every table the dashboard
reads with rows that hang together the way ``pantau analyze`` writes them: each case follows
the happy path of a REAL SOP model from ``sop_models.load_all()`` (its steps, lanes and Mutu
Baku bounds), with some cases skipping a step, swapping two, repeating one or logging an
activity the SOP does not know, some steps over their standard and some cases still open.
``case_checks`` is aggregated from ``step_checks``, ``variants`` from the traces,
``lane_stats``/``handovers`` from the step rows, so numbers can be checked against each other.

It is generated set-based in DuckDB (deterministic pseudo-random numbers from ``hash``), so the
same code builds 60 cases for a test in well under a second and 1,000,000 cases for the
benchmark in about a minute. It is NOT the simulator: durations are drawn around each step's
standard, not from a queueing model, and the working calendar is approximated.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from event_logs.store import init_store
from sop_models import load_all
from sop_models.flow import happy_path

UNIT_MINUTES = {"minute": 1.0, "hour": 60.0, "day": 480.0, "month": 30.4375 * 1440}
UNITS = {
    "batam": ["Puskesmas Sekupang", "Puskesmas Batu Aji", "Kantor Dinkes Batam"],
    "banjarbaru": ["Kelurahan Guntung Manggis", "Kelurahan Loktabat Utara", "Kelurahan Sungai Besar"],
    "dki": ["Panti Sosial Bina Insan 1", "Panti Sosial Bina Insan 2"],
    "muba": ["MPP Sekayu", "Puskesmas Sungai Lilin"],
}
UNMAPPED_LABEL = "Konfirmasi via telepon"


def _units(sop_id: str) -> list[str]:
    return UNITS.get(sop_id.split("-")[0], ["Unit Layanan 1", "Unit Layanan 2"])


def _load_model_tables(con: duckdb.DuckDBPyConnection, sop_ids: list[str] | None) -> list:
    models = [m for m in load_all() if not sop_ids or m.id in sop_ids]
    con.execute("""CREATE TEMP TABLE g_sops (sop_no INT, sop_id VARCHAR, agency VARCHAR,
        prefix VARCHAR, n_steps INT, n_units INT, service_std_max DOUBLE, service_std_unit VARCHAR,
        import_id INT)""")
    con.execute("""CREATE TEMP TABLE g_steps (sop_id VARCHAR, ord INT, step_id VARCHAR, lane VARCHAR,
        std_max DOUBLE, std_unit VARCHAR, std_calendar VARCHAR, unit_minutes DOUBLE, deadline_day INT)""")
    con.execute("CREATE TEMP TABLE g_units (sop_id VARCHAR, unit_no INT, unit VARCHAR)")
    for no, m in enumerate(models):
        path = [s for s in happy_path(m.flow) if m.step(s).scope == "case"]
        std = m.service_standard.waktu.max if m.service_standard and m.service_standard.waktu else None
        prefix = "".join(w[0] for w in m.id.split("-")[:3]).upper()
        con.execute("INSERT INTO g_sops VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [no, m.id, m.agency, prefix, len(path), len(_units(m.id)),
                     std.value if std else None, std.unit if std else None, no + 1])
        for ord_, sid in enumerate(path, start=1):
            step = m.step(sid)
            b = step.waktu.max
            minutes = None
            if b:
                minutes = UNIT_MINUTES[b.unit] * (3.0 if b.unit == "day" and b.calendar == "calendar" else 1.0)
            con.execute("INSERT INTO g_steps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [m.id, ord_, sid, step.lane, b.value if b else None, b.unit if b else None,
                         b.calendar if b else None, minutes, step.waktu.deadline_day])
        for k, unit in enumerate(_units(m.id)):
            con.execute("INSERT INTO g_units VALUES (?, ?, ?)", [m.id, k, unit])
    return models


_GENERATE = """
CREATE TEMP MACRO rnd(i, salt) AS ((hash(i, salt, {seed}) % 1000000) / 1000000.0);

CREATE TEMP TABLE g_cases AS
WITH base AS (
    SELECT i, s.*, (SELECT count(*) FROM g_sops) AS n_sops
    FROM range({cases}) t(i) JOIN g_sops s ON s.sop_no = i % (SELECT count(*) FROM g_sops)
)
SELECT b.i, b.sop_id, b.agency, b.n_steps, b.service_std_max, b.service_std_unit, b.import_id,
       printf('%s-%07d', b.prefix, b.i) AS case_id,
       u.unit,
       TIMESTAMPTZ '2024-01-01 01:00:00+00' + to_days(floor(rnd(b.i, 'day') * 540)::INT)
           + to_minutes(floor(rnd(b.i, 'min') * 420)::INT) AS first_ts,
       CASE WHEN b.n_steps < 3 THEN 'happy'
            WHEN rnd(b.i, 'kind') < 0.70 THEN 'happy' WHEN rnd(b.i, 'kind') < 0.80 THEN 'skip'
            WHEN rnd(b.i, 'kind') < 0.87 THEN 'swap' WHEN rnd(b.i, 'kind') < 0.93 THEN 'rework'
            ELSE 'unmapped' END AS kind,
       2 + (hash(b.i, 'k', {seed}) % greatest(b.n_steps - 2, 1))::INT AS k,
       rnd(b.i, 'open') < 0.10 AS is_open,
       rnd(b.i, 'same') < 0.04 AS same_person
FROM base b JOIN g_units u ON u.sop_id = b.sop_id AND u.unit_no = (hash(b.i, 'unit', {seed}) % b.n_units)::INT;

ALTER TABLE g_cases ADD COLUMN steps_done INT;
UPDATE g_cases SET steps_done = CASE WHEN is_open THEN 1 + (hash(i, 'done', {seed}) % greatest(n_steps - 1, 1))::INT
                                     ELSE n_steps END;

CREATE TEMP TABLE g_sc0 AS
SELECT c.*, st.ord, st.step_id, st.lane, st.std_max, st.std_unit, st.std_calendar, st.unit_minutes,
       st.deadline_day, 1 AS occurrence,
       CASE WHEN c.kind = 'swap' AND st.ord = c.k THEN st.ord + 1.0
            WHEN c.kind = 'swap' AND st.ord = c.k + 1 THEN st.ord - 1.0
            ELSE st.ord::DOUBLE END AS seq
FROM g_cases c JOIN g_steps st ON st.sop_id = c.sop_id
WHERE st.ord <= c.steps_done AND NOT (c.kind = 'skip' AND st.ord = c.k)
UNION ALL
SELECT c.*, st.ord, st.step_id, st.lane, st.std_max, st.std_unit, st.std_calendar, st.unit_minutes,
       st.deadline_day, 2, st.ord + 0.5
FROM g_cases c JOIN g_steps st ON st.sop_id = c.sop_id
WHERE c.kind = 'rework' AND st.ord = c.k AND st.ord <= c.steps_done;

CREATE TEMP TABLE g_sc1 AS
SELECT *,
       CASE WHEN std_max IS NULL THEN 'no_standard'
            WHEN deadline_day IS NOT NULL AND r3 < 0.06 THEN 'deadline_missed'
            WHEN factor > 1 THEN 'breach'
            WHEN r3 > 0.995 THEN 'too_fast'
            ELSE 'ok' END AS status,
       CASE WHEN std_max IS NULL THEN 20 + 200 * r2 ELSE factor * std_max * unit_minutes END AS work_min,
       r4 < 0.05 AS lone_complete
FROM (SELECT *,
             rnd(i * 100 + ord * 3 + occurrence, 'r1') AS r1,
             rnd(i * 100 + ord * 3 + occurrence, 'r2') AS r2,
             rnd(i * 100 + ord * 3 + occurrence, 'r3') AS r3,
             rnd(i * 100 + ord * 3 + occurrence, 'r4') AS r4,
             CASE WHEN rnd(i * 100 + ord * 3 + occurrence, 'r1') < 0.94
                       THEN 0.15 + 0.8 * rnd(i * 100 + ord * 3 + occurrence, 'r2')
                  WHEN rnd(i * 100 + ord * 3 + occurrence, 'r1') < 0.99
                       THEN 1.05 + 2 * rnd(i * 100 + ord * 3 + occurrence, 'r2')
                  ELSE 3 + 5 * rnd(i * 100 + ord * 3 + occurrence, 'r2') END AS factor
      FROM g_sc0);

CREATE TEMP TABLE g_sc AS
SELECT *, complete_ts - to_microseconds((cal_min * 60e6)::BIGINT) AS enabled_ts
FROM (SELECT *,
             first_ts + to_microseconds((sum(cal_min) OVER (PARTITION BY case_id ORDER BY seq
                 ROWS UNBOUNDED PRECEDING) * 60e6)::BIGINT) AS complete_ts,
             row_number() OVER (PARTITION BY case_id ORDER BY seq) AS pos
      FROM (SELECT *, work_min * CASE WHEN std_unit = 'day' AND std_calendar = 'working' THEN 3
                                      WHEN std_unit IN ('month', 'day') THEN 1 ELSE 1.2 END AS cal_min
            FROM g_sc1));

INSERT INTO step_checks
SELECT 1, case_id, sop_id, agency, unit, step_id, occurrence, lane,
       CASE WHEN lone_complete THEN NULL ELSE 'P' || (hash(case_id, lane, {seed}) % 4 + 1)::VARCHAR END,
       enabled_ts,
       CASE WHEN lone_complete THEN NULL ELSE enabled_ts + to_microseconds((cal_min * 0.6 * 60e6)::BIGINT) END,
       complete_ts,
       CASE WHEN lone_complete THEN NULL ELSE work_min * 0.6 END,
       CASE WHEN lone_complete THEN NULL ELSE work_min * 0.4 END,
       0.0,
       CASE WHEN std_max IS NULL THEN NULL ELSE work_min / unit_minutes END,
       std_unit, std_calendar, 1.0, NULL, std_max,
       CASE WHEN std_max IS NULL THEN NULL ELSE enabled_ts + to_microseconds((std_max * unit_minutes * 60e6)::BIGINT) END,
       status,
       CASE WHEN status = 'breach' THEN work_min / unit_minutes - std_max ELSE 0 END,
       NULL, NULL,
       lag(step_id) OVER w, lag(complete_ts) OVER w, lead(step_id) OVER w
FROM g_sc
WINDOW w AS (PARTITION BY sop_id, case_id ORDER BY complete_ts, seq);

CREATE TEMP TABLE g_trace AS
SELECT sop_id, case_id, seq, step_id AS label FROM g_sc
UNION ALL
SELECT sop_id, case_id, 1.5, '{unmapped}' FROM g_cases WHERE kind = 'unmapped';

CREATE TEMP TABLE g_dev AS
SELECT c.sop_id, c.case_id, c.agency, c.unit, 'skipped_step' AS kind, st.step_id, NULL AS activity,
       NULL::INT AS position, st.lane
FROM g_cases c JOIN g_steps st ON st.sop_id = c.sop_id AND st.ord = c.k
WHERE c.kind = 'skip' AND c.k <= c.steps_done
UNION ALL
SELECT sop_id, case_id, agency, unit, 'wrong_order', step_id, NULL, pos::INT, lane
FROM g_sc WHERE kind = 'swap' AND ord = k + 1
UNION ALL
SELECT sop_id, case_id, agency, unit, 'rework', step_id, NULL, pos::INT, lane
FROM g_sc WHERE kind = 'rework' AND occurrence = 2
UNION ALL
SELECT sop_id, case_id, agency, unit, 'unmapped_activity', NULL, '{unmapped}', 2, NULL
FROM g_cases WHERE kind = 'unmapped'
UNION ALL
SELECT sop_id, case_id, agency, unit, 'same_person', step_id, NULL, pos::INT, lane
FROM g_sc WHERE same_person AND ord = 2 AND occurrence = 1;

INSERT INTO deviations
SELECT 1, case_id, sop_id, agency, unit, kind, step_id, activity, position, lane, NULL,
       CASE kind WHEN 'skipped_step' THEN 'Langkah ' || step_id || ' dilewati'
                 WHEN 'wrong_order' THEN 'Langkah ' || step_id || ' dikerjakan tidak sesuai urutan SOP'
                 WHEN 'rework' THEN 'Langkah ' || step_id || ' diulang di luar putaran SOP'
                 WHEN 'unmapped_activity' THEN 'Kegiatan "' || activity || '" tidak ada dalam SOP'
                 ELSE 'Langkah ' || step_id || ' dan langkah verifikasinya dikerjakan orang yang sama' END,
       CASE kind WHEN 'skipped_step' THEN 'Step ' || step_id || ' was skipped'
                 WHEN 'wrong_order' THEN 'Step ' || step_id || ' was done out of the SOP order'
                 WHEN 'rework' THEN 'Step ' || step_id || ' was repeated outside an SOP loop'
                 WHEN 'unmapped_activity' THEN 'Activity "' || activity || '" is not in the SOP'
                 ELSE 'Step ' || step_id || ' and its check were done by the same person' END
FROM g_dev;

CREATE TEMP TABLE g_case_variant AS
SELECT sop_id, case_id, list(label ORDER BY seq) AS activities,
       md5(sop_id || '|' || array_to_string(list(label ORDER BY seq), '>'))[1:16] AS variant_id
FROM g_trace GROUP BY sop_id, case_id;

INSERT INTO case_checks
SELECT 1, c.case_id, c.sop_id, c.agency, c.unit, c.first_ts, s.last_ts, c.is_open,
       epoch(s.last_ts - c.first_ts) / 3600, s.work_min,
       c.service_std_max, c.service_std_unit,
       CASE WHEN c.service_std_max IS NULL OR c.is_open THEN NULL
            ELSE epoch(s.last_ts - c.first_ts) / 3600 > c.service_std_max * 730.5 END,
       s.violations, v.variant_id,
       CASE WHEN c.kind = 'happy' AND NOT c.is_open THEN 1.0
            ELSE round(0.97 - 0.05 * coalesce(d.n, 0) - CASE WHEN c.is_open THEN 0.25 ELSE 0 END, 4) END,
       'aligned',
       CASE WHEN c.kind = 'happy' AND NOT c.is_open THEN 1.0 ELSE 0.9 END,
       c.kind = 'happy' AND NOT c.is_open,
       coalesce(d.n, 0),
       NULL, NOT c.is_open
FROM g_cases c
JOIN (SELECT case_id, max(complete_ts) AS last_ts, sum(work_min) AS work_min,
             count(*) FILTER (WHERE status IN ('breach', 'deadline_missed', 'too_fast')) AS violations
      FROM g_sc GROUP BY case_id) s USING (case_id)
JOIN g_case_variant v USING (case_id)
LEFT JOIN (SELECT case_id, count(*) AS n FROM g_dev WHERE kind <> 'same_person' GROUP BY case_id) d USING (case_id);

INSERT INTO variants
SELECT 1, c.sop_id, c.variant_id, any_value(v.activities), count(*), avg(c.alignment_fitness),
       avg(c.token_fitness), 'aligned', round(10 * (1 - avg(c.alignment_fitness))), bool_and(c.conformant),
       bool_and(c.is_open)
FROM case_checks c JOIN g_case_variant v USING (sop_id, case_id) GROUP BY c.sop_id, c.variant_id;

INSERT INTO lane_stats BY NAME
SELECT 1 AS run_id, sop_id, agency, unit, lane,
       date_trunc('month', timezone('Asia/Jakarta', complete_ts))::DATE AS month,
       count(DISTINCT case_id) AS cases, count(*) AS step_occurrences,
       median(work_min * 0.6) FILTER (WHERE NOT lone_complete) AS waiting_median_wm,
       quantile_cont(work_min * 0.6, 0.9) FILTER (WHERE NOT lone_complete) AS waiting_p90_wm,
       median(work_min * 0.4) FILTER (WHERE NOT lone_complete) AS processing_median_wm,
       quantile_cont(work_min * 0.4, 0.9) FILTER (WHERE NOT lone_complete) AS processing_p90_wm,
       avg((status IN ('breach', 'deadline_missed'))::DOUBLE) AS breach_rate,
       sum(cal_min) / (30.4375 * 1440) AS avg_wip
FROM g_sc GROUP BY ALL;

INSERT INTO handovers BY NAME
SELECT 1 AS run_id, sop_id, agency, unit,
       date_trunc('month', timezone('Asia/Jakarta', complete_ts))::DATE AS month,
       prev_lane AS from_lane, lane AS to_lane, count(*) AS count, median(work_min * 0.6) AS median_delay_wm
FROM (SELECT *, lag(lane) OVER (PARTITION BY case_id ORDER BY seq) AS prev_lane FROM g_sc)
WHERE prev_lane IS NOT NULL AND prev_lane <> lane GROUP BY ALL;

INSERT INTO model_quality
SELECT 1, sop_id, agency, count(*), count(DISTINCT variant_id), avg(alignment_fitness),
       0.85 + 0.1 * (hash(sop_id, agency, {seed}) % 100) / 100.0
FROM case_checks WHERE NOT is_open GROUP BY sop_id, agency;

INSERT INTO open_cases
SELECT 1, c.case_id, c.sop_id, c.agency, c.unit, st.step_id, st.lane, cc.last_ts,
       st.std_max * u, st.std_max, st.std_unit, st.std_max - st.std_max * u,
       CASE WHEN st.std_max IS NULL THEN NULL
            ELSE cc.last_ts + to_microseconds((st.std_max * st.unit_minutes * 60e6)::BIGINT) END,
       CASE WHEN st.std_max IS NULL THEN 'no_standard' WHEN u > 1 THEN 'late'
            WHEN u >= 0.8 THEN 'at_risk' ELSE 'on_track' END
FROM (SELECT *, 1.6 * rnd(i, 'used') AS u FROM g_cases WHERE is_open) c
JOIN g_steps st ON st.sop_id = c.sop_id AND st.ord = c.steps_done + 1
JOIN case_checks cc ON cc.sop_id = c.sop_id AND cc.case_id = c.case_id;

INSERT INTO cases
SELECT c.case_id, c.sop_id, c.agency, c.unit, NULL, '{{}}'::JSON, cc.first_ts, cc.last_ts, c.import_id
FROM g_cases c JOIN case_checks cc USING (sop_id, case_id);
"""

_EVENTS = """
INSERT INTO events
SELECT row_number() OVER (ORDER BY complete_ts, case_id, lc), case_id, sop_id, step_id, step_id,
       lc, ts, 'P1', lane, agency, unit, import_id, NULL
FROM (SELECT g.*, 'complete' AS lc, complete_ts AS ts FROM g_sc g
      UNION ALL
      SELECT g.*, 'start', enabled_ts FROM g_sc g WHERE NOT lone_complete);
"""


def build_results_db(path: str | Path, cases: int = 60, *, seed: int = 7,
                     sop_ids: list[str] | None = None, events: bool = True) -> Path:
    """Create ``path`` with the store schema and realistic result rows for ``cases`` cases.

    ``sop_ids`` limits the SOPs (default: all five models); ``events`` also writes the
    events table (off for the 1M-case benchmark: the dashboard never reads it).
    """
    path = Path(path)
    init_store(path)
    con = duckdb.connect(str(path))
    try:
        models = _load_model_tables(con, sop_ids)
        con.execute("BEGIN TRANSACTION")
        con.execute(_GENERATE.format(seed=int(seed), cases=int(cases), unmapped=UNMAPPED_LABEL))
        if events:
            con.execute(_EVENTS)
        _write_meta(con, models, cases)
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path


def _write_meta(con: duckdb.DuckDBPyConnection, models: list, cases: int) -> None:
    ids = [m.id for m in models]
    as_of = con.execute("SELECT max(complete_ts) FROM step_checks").fetchone()[0]
    events = con.execute("SELECT count(*) FROM events").fetchone()[0]
    con.execute("""INSERT INTO runs VALUES (1, now(), now(), 'fixture', ?, MAP(?, ?), 'Asia/Jakarta@fixture',
                   ?, ?, MAP(['mutu_baku'], [0.1]), 0, ?)""",
                [ids, ids, [m.sha256 for m in models], events, cases, as_of])
    for no, m in enumerate(models, start=1):
        con.execute("""INSERT INTO imports VALUES (?, 'simulation', ?, 'simulation', ?, ?, ?, ?, ?, 0, 0,
                       now(), now(), 'fixture')""",
                    [no, f"sim-{m.id}", m.id, m.agency, json.dumps({"seed": 7}),
                     cases // max(len(models), 1), cases // max(len(models), 1)])
    csv_id = len(models) + 1
    m = models[0]
    con.execute("""INSERT INTO imports VALUES (?, 'log_kelurahan_2024.csv', 'abc123', 'csv', ?, ?, ?,
                   5, 2, 3, 0, now(), now(), 'fixture')""",
                [csv_id, m.id, m.agency, json.dumps({"case_id": "No Registrasi", "activity": "Kegiatan"})])
    rows = [(2, {"No Registrasi": "R-1", "Kegiatan": "Verifikasi", "Tanggal": "31/02/2024"}, "unparsable timestamp"),
            (4, {"No Registrasi": "", "Kegiatan": "Verifikasi", "Tanggal": "01/03/2024"}, "missing case_id"),
            (5, {"No Registrasi": "R-3", "Kegiatan": "Verifikasi", "Tanggal": "kemarin"}, "unparsable timestamp")]
    for row, raw, reason in rows:
        con.execute("INSERT INTO quarantine VALUES (?, ?, ?, ?)", [csv_id, row, json.dumps(raw), reason])
    # ids were given by hand: move the sequences past them, as the real writers would have
    con.execute("SELECT max(nextval('import_id_seq')) FROM range(?)", [csv_id])
    con.execute("SELECT nextval('run_id_seq')")


def simulated_db(path: str | Path, cases: int = 300, seed: int = 20250) -> Path:
    """A store built by the real pipeline: ``simulate`` then ``analyze`` (a few seconds)."""
    from analytics import analyze
    from event_logs.simulator import simulate

    path = Path(path)
    simulate(path, cases=cases, seed=seed)
    analyze(path)
    return path


def session_db(base: Path, kind: str) -> Path:
    """One database per test session and kind, shared by every dashboard test module.

    ``kind``: ``fixture`` (SQL-built, 60 cases), ``simulated`` (simulate + analyze, 300 cases),
    ``empty`` (schema only), ``unanalysed`` (events of a simulation, no analysis). Built on
    first use under ``base`` (the session's temporary directory).
    """
    path = Path(base) / "dashboard_dbs" / f"{kind}.duckdb"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_name(path.name + ".building")
    building.unlink(missing_ok=True)
    if kind == "fixture":
        build_results_db(building, cases=60)
    elif kind == "simulated":
        simulated_db(building)
    elif kind == "empty":
        init_store(building)
    elif kind == "unanalysed":
        from event_logs.simulator import simulate

        simulate(building, cases=40, seed=3)
    else:
        raise ValueError(kind)
    building.rename(path)
    return path


def write_upload_csv(path: str | Path, sop_id: str = "batam-dinkes-jaminan-rs", cases: int = 12,
                     prefix: str = "UPL") -> Path:
    """A small CSV event log as an office would export it: Indonesian headers, ';' separated,
    the SOP's step names as activities, one completion per step in office hours."""
    from datetime import datetime, timedelta

    from sop_models import get_model

    model = get_model(sop_id)
    path = Path(path)
    steps = [model.step(s) for s in happy_path(model.flow) if model.step(s).scope == "case"]
    lines = ["No Registrasi;Kegiatan;Tanggal;Petugas"]
    for i in range(cases):
        ts = datetime(2024, 6, 3 + (i % 4), 8, 30) + timedelta(minutes=7 * i)
        for k, step in enumerate(steps):
            ts += timedelta(minutes=4 + (i * 3 + k * 5) % 17)
            lines.append(f"{prefix}-{i + 1:04d};{step.name};{ts:%Y-%m-%d %H:%M:%S};Petugas {1 + k % 3}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
