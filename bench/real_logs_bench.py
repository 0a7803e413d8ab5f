"""Conformance on real and many-variant logs: Pantau's stage against pm4py's and r4pm's alignments.

Usage::

    PM4PY_SHOW_PROGRESS_BAR=False .venv/bin/python bench/real_logs_bench.py \
        [--logs receipt,roadtraffic,many60,many300] [--r4pm-python PYTHON] [--dir DIR]

Logs (each against a net given explicitly, so no case counts as open and every alignment is a
full one, as in pm4py):

- ``receipt``: the WABO receipt log (/work/shared/real-logs/receipt.csv, 1,434 cases) against
  receipt.bpmn converted by pm4py (bench/conformance_bench.py's ``receipt_model``);
- ``roadtraffic``: roadtraffic100traces.xes against roadtraffic.pnml;
- ``many60`` / ``many300``: bench/gen_many_variants.py, a random block-structured model of 60 /
  300 activities and 1,200 / 1,000 cases, every case its own variant.

Each measurement runs in a fresh child process (pm4py imported before the clock starts):

- ``pantau``: ``run_conformance`` with its default time bounds (2 s per variant, 120 s in all)
  in a rolled-back transaction: variants in DuckDB, alignments, token replay, precision and
  writes; per-case fitness and the variants' costs are kept;
- ``pm4py``: ``format_dataframe`` + ``conformance_diagnostics_alignments`` (its default A*)
  on the same complete events, per-case fitness kept;
- ``r4pm`` (only with ``--r4pm-python``, a Python that has r4pm; bench/r4pm_child.py): every
  variant aligned with unit costs; its costs are compared with Pantau's.

Printed: cases, events, variants, seconds and ms per variant, speed-ups, and per-case fitness
equality (max |difference| over all cases).
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
sys.path.insert(0, str(ROOT / "bench"))

from conformance_bench import REAL, _frame, _peak_rss, _pm4py, receipt_model, register_bench_model  # noqa: E402

MANY = {"many60": (60, 1200, 7), "many300": (300, 1000, 7)}  # activities, cases, seed


def _model_for(name: str, net: tuple):
    """A minimal SopModel for a net known only as a net (steps = its labels, no flow)."""
    import hashlib

    from sop_models.flow import Skip
    from sop_models.model import SopModel, Step, Waktu

    labels = sorted({t.label for t in net[0].transitions if t.label is not None})
    steps = tuple(Step(id=lb, no=None, name=lb, lane="L", lane_source="inferred", waktu=Waktu(None))
                  for lb in labels)
    return SopModel(
        id=name, title=name, agency="bench", region="-", timezone="UTC", sop_number=None,
        revision=None, created=None, revised=None, effective=None, approved_by=None, source=name,
        legal_basis=(), lanes=("L",), steps=steps, flow=Skip(), path=name,
        sha256=hashlib.sha256("|".join(labels).encode()).hexdigest())


def log_net(name: str):
    """(SopModel, (net, im, fm)) of one log's model, built the same way in every process."""
    pm4py = _pm4py()
    if name == "receipt":
        return receipt_model()
    if name == "roadtraffic":
        net = pm4py.read_pnml(str(REAL / "roadtraffic.pnml"))
        return _model_for(name, net), net
    from gen_many_variants import random_flow

    from sop_models.builders import flow_to_petri_net

    activities, _, seed = MANY[name]
    net = flow_to_petri_net(random_flow(activities, seed))
    return _model_for(name, net), net


def _events(name: str):
    """(case_id, activity, ts) rows of one log as a DataFrame, complete events only."""
    import pandas as pd

    if name == "receipt":
        df = pd.read_csv(REAL / "receipt.csv")
        df = df[df["lifecycle:transition"].str.lower() == "complete"]
        return pd.DataFrame({"case_id": df["case:concept:name"].astype(str), "activity": df["concept:name"],
                             "ts": pd.to_datetime(df["time:timestamp"], utc=True, format="mixed")})
    if name == "roadtraffic":
        pm4py = _pm4py()
        df = pm4py.read_xes(str(REAL / "roadtraffic100traces.xes"), variant="iterparse")
        return pd.DataFrame({"case_id": df["case:concept:name"].astype(str), "activity": df["concept:name"],
                             "ts": pd.to_datetime(df["time:timestamp"], utc=True)})
    from gen_many_variants import many_variant_log, random_flow

    activities, cases, seed = MANY[name]
    traces = many_variant_log(random_flow(activities, seed), cases, seed)
    base = pd.Timestamp("2024-01-01", tz="UTC")
    rows = [(f"c{i:05d}", a, base + pd.Timedelta(minutes=j)) for i, t in enumerate(traces) for j, a in enumerate(t)]
    return pd.DataFrame(rows, columns=["case_id", "activity", "ts"])


def load(db: Path, name: str) -> None:
    """A fresh store with the log's events under sop_id ``name``."""
    import duckdb

    from event_logs.store import init_store

    df = _events(name)
    init_store(db)
    con = duckdb.connect(str(db))
    con.register("raw", df)
    con.execute(f"""
        INSERT INTO events (event_id, case_id, sop_id, activity, lifecycle, ts, agency, import_id, source_row)
        SELECT row_number() OVER (ORDER BY case_id, ts), case_id, '{name}', activity, 'complete', ts,
               'bench', 1, row_number() OVER (ORDER BY case_id, ts)
        FROM raw""")
    con.close()


# --- children ------------------------------------------------------------------------------
def child_pantau(db: str, name: str, out: str) -> dict:
    """run_conformance (default bounds) in a rolled-back transaction."""
    import duckdb

    from analytics.conformance import run_conformance

    model, net = log_net(name)
    con = duckdb.connect(db)
    con.execute("SET enable_progress_bar = false")
    con.execute("BEGIN TRANSACTION")
    register_bench_model(con, model, None if name == "receipt" else "|".join(s.id for s in model.steps))
    t0 = time.perf_counter()
    stats = run_conformance(con, 1, [name], models={name: model}, nets={name: net})
    seconds = time.perf_counter() - t0
    con.execute(f"COPY (SELECT case_id, alignment_fitness FROM conformance_cases) TO '{out}.parquet' (FORMAT parquet)")
    variants = con.execute("SELECT activities, cost FROM variants ORDER BY variant_id").fetchall()
    events, cases = con.execute("SELECT count(*), count(DISTINCT case_id) FROM events").fetchone()
    con.execute("ROLLBACK")
    Path(f"{out}.json").write_text(json.dumps([a for a, _ in variants]), encoding="utf-8")
    return {"seconds": seconds, "peak_rss": _peak_rss(), "variants": stats.variants, "aligned": stats.aligned,
            "timeouts": stats.timeouts, "stage_seconds": stats.seconds, "costs": [c for _, c in variants],
            "events": events, "cases": cases}


def child_pm4py(db: str, name: str, out: str) -> dict:
    """pm4py alone: format_dataframe + conformance_diagnostics_alignments (default A*)."""
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    pm4py = _pm4py()
    model, (net, im, fm) = log_net(name)
    con = duckdb.connect(db, read_only=True)
    df = _frame(con, model)
    t0 = time.perf_counter()
    frame = pm4py.format_dataframe(df, case_id="case_id", activity_key="activity", timestamp_key="ts")
    res = pm4py.conformance_diagnostics_alignments(frame, net, im, fm, return_diagnostics_dataframe=False)
    seconds = time.perf_counter() - t0
    cases = list(dict.fromkeys(frame["case:concept:name"]))
    pq.write_table(pa.table({"case_id": cases, "fitness": [r["fitness"] if r else None for r in res]}),
                   f"{out}.parquet")
    return {"seconds": seconds, "peak_rss": _peak_rss()}


def _run(args: list[str], python: str = sys.executable, script: str = __file__) -> dict:
    env = dict(os.environ, PM4PY_SHOW_PROGRESS_BAR="False")
    proc = subprocess.run([python, script, *args], capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"child {args[:2]} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _compare(ours: str, theirs: str) -> tuple[int, int, float]:
    import duckdb

    row = duckdb.connect().execute(
        f"SELECT count(*), count(*) FILTER (WHERE abs(o.alignment_fitness - t.fitness) > 1e-9), "
        f"max(abs(o.alignment_fitness - t.fitness)) FROM '{ours}' o JOIN '{theirs}' t USING (case_id)").fetchone()
    return int(row[0]), int(row[1]), float(row[2] or 0.0)


def main() -> None:
    """Run every log and print one block per log."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", default="receipt,roadtraffic,many60,many300")
    parser.add_argument("--r4pm-python", default=None)
    parser.add_argument("--dir", default=None)
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        print(json.dumps({"pantau": child_pantau, "pm4py": child_pm4py}[kind](*rest)))
        return
    work = Path(args.dir or tempfile.mkdtemp(prefix="pantau-real-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    for name in [s for s in args.logs.split(",") if s]:
        db = work / f"{name}.duckdb"
        if not db.exists():
            load(db, name)
        ours = _run(["--child", "pantau", str(db), name, str(work / f"ours_{name}")])
        theirs = _run(["--child", "pm4py", str(db), name, str(work / f"pm4py_{name}")])
        cases, differ, diff = _compare(str(work / f"ours_{name}.parquet"), str(work / f"pm4py_{name}.parquet"))
        v = ours["variants"]
        align = ours["stage_seconds"].get("align", 0.0)
        print(f"\n{name}: {ours['cases']:,} cases, {ours['events']:,} events, {v:,} variants")
        print(f"  pantau conformance stage {ours['seconds']:.2f} s ({ours['peak_rss'] / 2**20:,.0f} MB), "
              f"alignments {align:.2f} s = {1000 * align / v:.1f} ms/variant; aligned {ours['aligned']}, "
              f"fell back {ours['timeouts']}; sub-stages {ours['stage_seconds']}")
        print(f"  pm4py alignments {theirs['seconds']:.2f} s ({theirs['peak_rss'] / 2**20:,.0f} MB) = "
              f"{1000 * theirs['seconds'] / v:.1f} ms/variant; speed-up {theirs['seconds'] / ours['seconds']:.1f}x "
              f"(stage), {theirs['seconds'] / max(align, 1e-9):.1f}x (alignments alone)")
        print(f"  per-case fitness: {cases - differ:,} of {cases:,} cases equal (max |diff| {diff:.1e})")
        if args.r4pm_python:
            pm4py = _pm4py()  # through the bridge: no licence banner on stderr
            _, (net, im, fm) = log_net(name)
            pnml = work / f"{name}.pnml"
            pm4py.write_pnml(net, im, fm, str(pnml))
            r4 = _run([str(pnml), str(work / f"ours_{name}.json"), str(work / f"r4pm_{name}.json")],
                      python=args.r4pm_python, script=str(ROOT / "bench" / "r4pm_child.py"))
            costs = json.loads((work / f"r4pm_{name}.json").read_text())["costs"]
            same = sum(1 for a, b in zip(costs, ours["costs"], strict=True) if b is not None and a == b)
            print(f"  r4pm {r4['seconds']:.2f} s = {1000 * r4['seconds'] / v:.1f} ms/variant "
                  f"({r4['states']:,} states); optimal cost equal to Pantau's on {same} of {v} variants")


if __name__ == "__main__":
    main()
