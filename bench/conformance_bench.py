"""Benchmark the conformance stage against pm4py alone, and try it on the real WABO log.

Usage::

    PM4PY_SHOW_PROGRESS_BAR=False .venv/bin/python bench/conformance_bench.py \
        [--sizes 10000,100000,1000000] [--no-receipt] [--dir DIR]

For each size it generates, directly in DuckDB (SQL over ``range()``, seconds even for
1M cases), a log against the real model ``batam-dinkes-integrasi-jkn``: ~10 complete
events per case, eight base variants (happy path, loop redone, the UHC branch, a skipped
step, a swap, a rework, an undocumented activity) plus random noise (a dropped step, an
inserted undocumented activity, a doubled step) that yields a few hundred variants. Then,
each in a fresh child process (peak memory = the child's VmHWM, which sees DuckDB's and
pm4py's native allocations; pm4py is imported before the clock starts in every child):

- ``pantau``: ``run_conformance`` (variants, alignments, token replay, deviations,
  precision, writes) inside a transaction that is rolled back afterwards;
- ``pm4py align`` / ``pm4py token``: ``pm4py.format_dataframe`` plus
  ``conformance_diagnostics_alignments`` / ``conformance_diagnostics_token_based_replay``
  on the same events as a DataFrame (loading the frame from DuckDB is not timed);
  skipped when the estimate from the previous size passes 10 minutes;
- ``duckdb floor``: a bare ordered ``string_agg`` GROUP BY case_id, then GROUP BY variant.

Per-case fitness of ``pantau`` and pm4py are compared (max |difference|; alignment fitness on
closed cases only: an open case's is its fitness so far, by design). Finally the
real WABO receipt log (/work/shared/real-logs/receipt.csv, 1,434 cases) is checked
against its BPMN with the default time bounds, and pm4py alone is run on it for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REAL = Path("/work/shared/real-logs")
SOP = "batam-dinkes-integrasi-jkn"
PM4PY_LIMIT_SECONDS = 600.0

HAPPY = ["s01", "s02", "s03", "s04", "s05", "s06", "s07", "s08", "s09"]
BASE_VARIANTS = [  # (weight in %, steps)
    (55, HAPPY),
    (10, ["s01", "s02", *HAPPY]),                                     # documents returned once
    (15, ["s01", "s02", "s03", "s04", "s05"]),                        # UHC: activated directly
    (4, ["s01", "s02", "s03", "s04", "s05", "s06", "s08", "s09"]),    # approval skipped
    (4, ["s01", "s02", "s03", "s04", "s05", "s06", "s08", "s07", "s09"]),  # swap
    (3, [*HAPPY[:7], "s08", "s08", "s09"]),                            # rework
    (4, ["s01", "s02", "s03", "?:Konfirmasi via telepon", *HAPPY[3:]]),  # undocumented
    (5, ["s01", "s02", "s01", "s02", "s01", "s02", "s03", "s04", "s05"]),  # loop x3, UHC
]


# --- log generation ------------------------------------------------------------------------
def generate(db: Path, cases: int) -> None:
    """A store with ``cases`` generated cases of SOP ``batam-dinkes-integrasi-jkn``."""
    import duckdb

    from event_logs.store import init_store
    from sop_models import get_model

    model = get_model(SOP)
    init_store(db)
    con = duckdb.connect(str(db))
    con.execute("SET enable_progress_bar = false")
    steps = ", ".join(f"('{s.id}', '{s.name.replace(chr(39), chr(39) * 2)}', '{s.lane}')" for s in model.steps)
    cuts, acc = [], 0
    for weight, _ in BASE_VARIANTS:
        acc += weight
        cuts.append(acc)
    pick = " ".join(f"WHEN r < {cut} THEN {i}" for i, cut in enumerate(cuts))
    variants = ", ".join(f"({i}, {v!r}::VARCHAR[])" for i, (_, v) in enumerate(BASE_VARIANTS))
    docs = [f"'{d}'" for d in model.steps[0].kelengkapan]
    con.execute(f"""
        CREATE TEMP TABLE g_steps(step_id VARCHAR, name VARCHAR, lane VARCHAR);
        INSERT INTO g_steps VALUES {steps};
        CREATE TEMP TABLE g_variants(vid INTEGER, steps VARCHAR[]);
        INSERT INTO g_variants VALUES {variants};
        CREATE TEMP TABLE g_cases AS
        WITH c AS (
            SELECT i, 'C' || lpad(i::VARCHAR, 8, '0') AS case_id,
                   hash(i, 'variant') % 100 AS r, hash(i, 'noise') % 100 AS n, hash(i, 'where') AS w
            FROM range({cases}) t(i)
        ), b AS (
            SELECT c.*, v.steps FROM c JOIN g_variants v ON v.vid = CASE {pick} END
        )
        SELECT i, case_id, CASE
            WHEN n < 3 THEN list_concat(steps[:(w % len(steps))::INT], steps[(w % len(steps))::INT + 2:])
            WHEN n < 5 THEN list_concat(steps[:(w % len(steps))::INT], ['?:Konfirmasi via telepon'],
                                        steps[(w % len(steps))::INT + 1:])
            WHEN n < 6 THEN list_concat(steps[:(w % len(steps))::INT + 1], steps[(w % len(steps))::INT + 1:])
            ELSE steps END AS steps,
            ['Batu Aji', 'Sekupang', 'Nongsa'][(hash(i, 'unit') % 3)::INT + 1] AS unit
        FROM b;
        INSERT INTO events (event_id, case_id, sop_id, activity, lifecycle, ts, resource, agency, unit,
                            import_id, source_row)
        SELECT t.i * 64 + t.pos AS event_id, t.case_id, '{SOP}',
               coalesce(st.name, substr(t.sym, 3)), 'complete',
               TIMESTAMPTZ '2024-01-02 08:00:00+07' + to_minutes(t.i) + to_hours(t.pos * 3),
               'pegawai-' || (hash(t.case_id || t.sym) % 12)::VARCHAR,
               '{model.agency}', t.unit, 1, t.i * 64 + t.pos
        FROM (SELECT i, case_id, unit, unnest(steps) AS sym, unnest(range(1, len(steps) + 1)) AS pos
              FROM g_cases) t
        LEFT JOIN g_steps st ON st.step_id = t.sym;
        INSERT INTO cases (case_id, sop_id, agency, unit, attributes, import_id)
        SELECT case_id, '{SOP}', '{model.agency}', unit,
               CASE WHEN i % 5 = 0 THEN json_object('kelengkapan', [{", ".join(docs)}][:1 + (i % {len(docs)})::INT]) END,
               1
        FROM g_cases;
    """)
    con.close()


def _pm4py():
    """pm4py, imported through the bridge: imported from a module, it prints no licence banner."""
    import importlib

    importlib.import_module("analytics.pm4py_bridge")
    return importlib.import_module("pm4py")


# --- children ------------------------------------------------------------------------------
def _peak_rss() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def _label_steps(con, model) -> None:
    """TEMP TABLE bench_labels(label, step_id): a step's id and its name are its labels, as the
    analysis maps them (events keep the file's label; the step is decided at analysis)."""
    import pandas as pd

    pairs = {**{s.name: s.id for s in model.steps}, **{s.id: s.id for s in model.steps}}
    con.register("bench_label_frame", pd.DataFrame({"label": list(pairs), "step_id": list(pairs.values())}))
    con.execute("CREATE OR REPLACE TEMP TABLE bench_labels AS SELECT * FROM bench_label_frame")
    con.unregister("bench_label_frame")


def _frame(con, model):
    """The complete events as pm4py reads them: activity = the step id, '?:label' for no step."""
    import pandas as pd

    _label_steps(con, model)
    df = con.execute(
        "SELECT e.case_id, coalesce(l.step_id, '?:' || e.activity) AS activity, e.ts FROM events e "
        "LEFT JOIN bench_labels l ON l.label = e.activity "
        "WHERE e.lifecycle = 'complete' ORDER BY e.case_id, e.ts, e.event_id").df()
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    return df


def register_bench_model(con, model, text: str | None = None) -> None:
    """Store a bench model built in memory from a net (its steps are the net's labels, no
    flow or Waktu: it would fail `sop check`, so it is stored unchecked, as a fixture).
    ``text``: what its sha256 was computed from (default: the file at ``model.path``)."""
    from event_logs.registry import register_model

    text = Path(model.path).read_text(encoding="utf-8") if text is None else text
    register_model(con, model, text, origin="file", check=False)


def child_pantau(db: str, out: str, nets_from: str | None = None) -> dict:
    """run_conformance in a rolled-back transaction; per-case results to ``out``."""
    import duckdb

    import analytics.pm4py_bridge  # noqa: F401  (warm pm4py import, not timed)
    from analytics.conformance import run_conformance
    from event_logs.store import migrate
    from sop_models import get_model

    con = duckdb.connect(db)
    con.execute("SET enable_progress_bar = false")
    migrate(con)
    if nets_from:
        model, net = receipt_model()
        sop_id, models, nets = model.id, {model.id: model}, {model.id: net}
    else:
        sop_id, models, nets = SOP, {SOP: get_model(SOP)}, None
    from sop_models.builders import petri_net

    if nets is None:
        petri_net(models[sop_id])  # built once per process and cached: not part of the stage
    con.execute("BEGIN TRANSACTION")
    if nets_from:
        register_bench_model(con, models[sop_id])
    t0 = time.perf_counter()
    stats = run_conformance(con, 1, [sop_id], models=models, nets=nets)
    seconds = time.perf_counter() - t0
    con.execute(f"COPY (SELECT c.case_id, c.alignment_fitness, c.token_fitness, c.alignment_status, v.is_open "
                f"FROM conformance_cases c JOIN variants v USING (sop_id, variant_id)) TO '{out}' (FORMAT parquet)")
    extra = con.execute("SELECT kind, count(*) FROM deviations GROUP BY 1 ORDER BY 2 DESC").fetchall()
    quality = con.execute("SELECT fitness, precision FROM model_quality").fetchall()
    con.execute("ROLLBACK")
    return {"seconds": seconds, "peak_rss": _peak_rss(), "variants": stats.variants, "aligned": stats.aligned,
            "timeouts": stats.timeouts, "stage_seconds": stats.seconds, "deviations": extra,
            "model_quality": quality}


def child_pm4py(db: str, out: str, what: str, nets_from: str | None = None) -> dict:
    """pm4py alone: format_dataframe + one conformance call on the whole frame."""
    import duckdb

    pm4py = _pm4py()
    con = duckdb.connect(db, read_only=True)
    con.execute("SET enable_progress_bar = false")
    if nets_from:
        model, (net, im, fm) = receipt_model()
    else:
        from sop_models import get_model
        from sop_models.builders import petri_net

        model = get_model(SOP)
        net, im, fm = petri_net(model)
    df = _frame(con, model)
    t0 = time.perf_counter()
    frame = pm4py.format_dataframe(df, case_id="case_id", activity_key="activity", timestamp_key="ts")
    if what == "align":
        res = pm4py.conformance_diagnostics_alignments(frame, net, im, fm, return_diagnostics_dataframe=False)
        key = "fitness"
    else:
        res = pm4py.conformance_diagnostics_token_based_replay(frame, net, im, fm,
                                                              return_diagnostics_dataframe=False)
        key = "trace_fitness"
    seconds = time.perf_counter() - t0
    cases = list(dict.fromkeys(frame["case:concept:name"]))
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"case_id": cases, "fitness": [r[key] if r else None for r in res]}), out)
    return {"seconds": seconds, "peak_rss": _peak_rss()}


def child_floor(db: str) -> dict:
    """The floor: the bare DuckDB variant query."""
    import duckdb

    from sop_models import get_model

    con = duckdb.connect(db, read_only=True)
    con.execute("SET enable_progress_bar = false")
    _label_steps(con, get_model(SOP))
    t0 = time.perf_counter()
    n = con.execute(
        "SELECT count(*) FROM (SELECT seq, count(*) FROM (SELECT e.case_id, string_agg(coalesce(l.step_id, "
        "'?:' || e.activity), ',' ORDER BY e.ts, e.event_id) AS seq FROM events e "
        "LEFT JOIN bench_labels l ON l.label = e.activity WHERE e.lifecycle = 'complete' "
        "GROUP BY e.case_id) GROUP BY seq)").fetchone()[0]
    return {"seconds": time.perf_counter() - t0, "peak_rss": _peak_rss(), "variants": n}


# --- the real WABO receipt log ---------------------------------------------------------------
def receipt_model():
    """A minimal SopModel for the receipt BPMN (steps = its task labels) and its Petri net."""
    import hashlib

    pm4py = _pm4py()
    from sop_models.flow import Skip
    from sop_models.model import SopModel, Step, Waktu

    bpmn = REAL / "receipt.bpmn"
    net, im, fm = pm4py.convert_to_petri_net(pm4py.read_bpmn(str(bpmn)))
    labels = sorted({t.label for t in net.transitions if t.label is not None})
    steps = tuple(Step(id=label, no=None, name=label, lane="WABO", lane_source="inferred", waktu=Waktu(None))
                  for label in labels)
    model = SopModel(
        id="wabo-receipt", title="WABO receipt phase", agency="CoSeLoG municipality", region="NL",
        timezone="Europe/Amsterdam", sop_number=None, revision=None, created=None, revised=None,
        effective=None, approved_by=None, source="receipt.bpmn", legal_basis=(), lanes=("WABO",),
        steps=steps, flow=Skip(), path=str(bpmn), sha256=hashlib.sha256(bpmn.read_bytes()).hexdigest(),
    )
    return model, (net, im, fm)


def load_receipt(db: Path) -> None:
    """receipt.csv into a fresh store: step_id = the activity when the BPMN has that task."""
    import duckdb

    from event_logs.store import init_store

    init_store(db)
    con = duckdb.connect(str(db))
    con.execute(f"""
        INSERT INTO events (event_id, case_id, sop_id, activity, lifecycle, ts, resource, agency, unit,
                            import_id, source_row)
        SELECT row_number() OVER (ORDER BY "case:concept:name", "time:timestamp"), "case:concept:name",
               'wabo-receipt', "concept:name", "lifecycle:transition", "time:timestamp", "org:resource",
               'CoSeLoG municipality', "case:department", 1,
               row_number() OVER (ORDER BY "case:concept:name", "time:timestamp")
        FROM read_csv('{REAL / "receipt.csv"}')
    """)
    con.close()


# --- driver ----------------------------------------------------------------------------------
def _run_child(args: list[str]) -> dict:
    env = dict(os.environ, PM4PY_SHOW_PROGRESS_BAR="False")
    proc = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"child {args[0]} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _compare(ours: str, theirs: str, column: str) -> tuple[int, float]:
    import duckdb

    # open cases are judged on their prefix (docs/mutu-baku.md): their alignment fitness is
    # "so far" and differs from pm4py's full alignment by design; token fitness does not
    skip_open = " AND NOT o.is_open" if column == "alignment_fitness" else ""
    row = duckdb.connect().execute(
        f"SELECT count(*), max(abs(o.{column} - t.fitness)) FROM '{ours}' o JOIN '{theirs}' t USING (case_id) "
        f"WHERE o.{column} IS NOT NULL{skip_open}").fetchone()
    return int(row[0]), float(row[1] or 0.0)


def main() -> None:
    """Run the benchmark and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--no-receipt", action="store_true")
    parser.add_argument("--dir", default=None)
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        result = {"pantau": lambda: child_pantau(*rest), "floor": lambda: child_floor(*rest),
                  "pm4py": lambda: child_pm4py(*rest)}[kind]()
        print(json.dumps(result))
        return

    work = Path(args.dir or tempfile.mkdtemp(prefix="pantau-conf-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    estimate: dict[str, float] = {}
    for size in [int(s) for s in args.sizes.split(",") if s.strip()]:  # --sizes "": the WABO log only
        db = work / f"bench_{size}.duckdb"
        if not db.exists():
            t0 = time.perf_counter()
            generate(db, size)
            print(f"generated {size:,} cases in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        ours = _run_child(["pantau", str(db), str(work / f"ours_{size}.parquet")])
        floor = _run_child(["floor", str(db)])
        row = {"cases": size, "pantau": ours, "floor": floor}
        for what in ("align", "token"):
            if estimate.get(what, 0.0) > PM4PY_LIMIT_SECONDS:
                row[what] = None
                continue
            res = _run_child(["pm4py", str(db), str(work / f"pm4py_{what}_{size}.parquet"), what])
            col = "alignment_fitness" if what == "align" else "token_fitness"
            res["compared"], res["max_diff"] = _compare(str(work / f"ours_{size}.parquet"),
                                                        str(work / f"pm4py_{what}_{size}.parquet"), col)
            row[what] = res
            estimate[what] = res["seconds"] * 10  # the next size is 10x larger
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    _print_table(rows)

    if not args.no_receipt:
        db = work / "receipt.duckdb"
        if not db.exists():
            load_receipt(db)
        ours = _run_child(["pantau", str(db), str(work / "ours_receipt.parquet"), "receipt"])
        theirs = _run_child(["pm4py", str(db), str(work / "pm4py_receipt.parquet"), "align", "receipt"])
        n, diff = _compare(str(work / "ours_receipt.parquet"), str(work / "pm4py_receipt.parquet"),
                           "alignment_fitness")
        print("\nWABO receipt log vs receipt.bpmn (per variant 2 s, total 120 s):")
        print(f"  pantau: {ours['seconds']:.1f} s, {ours['variants']} variants, {ours['aligned']} aligned, "
              f"{ours['timeouts']} timed out -> token replay; sub-stages {ours['stage_seconds']}")
        print(f"  deviations by kind: {ours['deviations']}; model_quality (fitness, precision): "
              f"{ours['model_quality']}")
        print(f"  pm4py alone (alignments): {theirs['seconds']:.1f} s; fitness equal on {n} aligned cases "
              f"(max |diff| {diff:.2e})")


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f}"


def _print_table(rows: list[dict]) -> None:
    print(f"{'cases':>9} | {'variants':>8} | {'pantau s':>8} {'MB':>6} | {'pm4py align s':>13} {'MB':>6} | "
          f"{'pm4py token s':>13} {'MB':>6} | {'floor s':>7} {'MB':>6} | {'align/ours':>10} "
          f"{'(align+token)/ours':>18} {'ours/floor':>10} | {'max |Δfitness|':>14}")
    for r in rows:
        o, f, a, t = r["pantau"], r["floor"], r.get("align"), r.get("token")

        def cell(x: dict | None) -> str:
            return f"{x['seconds']:>13.2f} {_mb(x['peak_rss']):>6}" if x else f"{'skipped':>13} {'':>6}"

        ratio_a = f"{a['seconds'] / o['seconds']:>10.1f}" if a else f"{'-':>10}"
        ratio_at = f"{(a['seconds'] + t['seconds']) / o['seconds']:>18.1f}" if a and t else f"{'-':>18}"
        diff = max(a["max_diff"], t["max_diff"]) if a and t else None
        print(f"{r['cases']:>9,} | {o['variants']:>8} | {o['seconds']:>8.2f} {_mb(o['peak_rss']):>6} | {cell(a)} | "
              f"{cell(t)} | {f['seconds']:>7.2f} {_mb(f['peak_rss']):>6} | {ratio_a} {ratio_at} "
              f"{o['seconds'] / f['seconds']:>10.1f} | {('-' if diff is None else f'{diff:.1e}'):>14}")
    for r in rows:
        print(f"  {r['cases']:,} cases, pantau sub-stages: {r['pantau']['stage_seconds']}; "
              f"timeouts {r['pantau']['timeouts']}")
    if any(r.get("align") is None for r in rows):
        print(f"  pm4py alone skipped where its estimate (10x the previous size) passed {PM4PY_LIMIT_SECONDS:.0f} s")


if __name__ == "__main__":
    main()
