"""``make bench``: ingest, every analyze stage, pm4py alone and a DuckDB floor, at 10k / 100k / 1M cases.

Usage::

    .venv/bin/python bench/run.py [--sizes 10000,100000,1000000] [--compare-cases 300000]
                                  [--skip-pm4py] [--skip-ingest] [--profile] [--quick] [--dir DIR] [--keep]
                                  [--results FILE]

For each size, ascending, on a log from the real SOP models (see ``bench/gen_logs.py``:
simulated up to 100k cases, larger logs replicate a simulated 100k-case store in SQL), each
measurement in its own child process (wall clock from process start to exit; peak memory =
that child's ``ru_maxrss``):

- ``ingest``: ``ingest_file`` on a CSV of ~10 rows per case from bench/ingest_bench.py's
  generator (its child script, reused), in-process seconds as ingest_bench reports them;
- ``pantau analyze``: the CLI, ``.venv/bin/pantau analyze --db DB --quiet`` on a copy of the
  store; per-stage seconds read back from ``runs.stage_seconds``;
- ``duckdb floor``: ``string_agg(step_id ORDER BY ts) GROUP BY case_id``, then GROUP BY the
  sequence (query time);
- ``pm4py``: ``format_dataframe`` + ``conformance_diagnostics_alignments`` + token replay per
  SOP on the same traces (bench/children.py), per-case fitness compared with ``case_checks``.
  Skipped where the estimate from the previous pm4py run passes ``--pm4py-limit`` seconds.

The ``--compare-cases`` log (default 300k) runs analyze, floor and pm4py (always) for the
"whole analyze vs pm4py" target. ``--quick``: 10k only, no comparison log (a smoke run).
Prints one table and the targets; writes bench/results/latest.json and latest.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for _p in (str(ROOT), str(BENCH)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import gen_logs  # noqa: E402
import report  # noqa: E402
from measure import machine, run_measured  # noqa: E402

SIMULATE_MAX = 300_000  # logs up to this size are simulated (300k cases: ~37 s)
REPLICATE_BASE = 100_000  # larger ones copy the simulated store of this size
RESULTS = BENCH / "results"
PYTHON = sys.executable


def _pantau() -> str:
    exe = Path(PYTHON).parent / "pantau"
    return str(exe) if exe.exists() else shutil.which("pantau") or "pantau"


class Bench:
    """One benchmark session: work directory, environment, logs made so far."""

    def __init__(self, work: Path, seed: int, keep: bool) -> None:
        self.work = work
        self.seed = seed
        self.keep = keep
        self.env = {**os.environ, "PM4PY_SHOW_PROGRESS_BAR": "False",
                    "PANTAU_KEY_FILE": str(work / "bench.key")}
        self.base: gen_logs.LogInfo | None = None
        self.pm4py_rate: tuple[float, str] | None = None  # seconds per complete event, from which run

    # --- logs ---------------------------------------------------------------------------
    def log(self, cases: int) -> gen_logs.LogInfo:
        """The store for ``cases``: simulated, or replicated from the simulated base."""
        label = report.size_label(cases)
        if cases <= SIMULATE_MAX:
            info = gen_logs.simulated_store(self.work / f"log-{label}.duckdb", cases, self.seed)
            if cases == REPLICATE_BASE:
                self.base = info
            return info
        if self.base is None:
            self.base = gen_logs.simulated_store(
                self.work / f"log-{report.size_label(REPLICATE_BASE)}.duckdb", REPLICATE_BASE, self.seed)
        factor = max(1, round(cases / self.base.cases))
        return gen_logs.replicated_store(self.base, self.work / f"log-{label}.duckdb", factor)

    # --- measurements -------------------------------------------------------------------
    def ingest(self, cases: int, per_case: int) -> dict[str, Any]:
        """ingest_file on a generated CSV of ``per_case * cases`` rows (ingest_bench's child)."""
        import ingest_bench

        label = report.size_label(cases)
        rows = per_case * cases
        csv_path, db = self.work / f"ingest-{label}.csv", self.work / f"ingest-{label}.duckdb"
        gen_logs.ingest_csv(csv_path, rows)
        m = run_measured([PYTHON, "-c", ingest_bench.CHILD, str(db), str(csv_path), gen_logs.INGEST_SOP],
                         cwd=ROOT, env=self.env)
        self._drop(csv_path, db, Path(f"{db}.wal"))
        if m.returncode:
            return {"key": "ingest", "measure": "ingest (ingest_file, CSV)", "note": _failed(m)}
        j = m.json()
        return {"key": "ingest", "measure": f"ingest (ingest_file, {rows / 1e6:g}M-row CSV)",
                "wall": j["seconds"], "peak_rss": m.peak_rss, "cpu": m.cpu, "events": rows,
                "note": f"process {m.wall:.1f} s; {j['summary']}"}

    def analyze(self, log: gen_logs.LogInfo, run_db: Path) -> list[dict[str, Any]]:
        """``pantau analyze`` (CLI) on a copy of the store; whole run plus one row per stage."""
        import duckdb

        shutil.copyfile(log.path, run_db)
        m = run_measured([_pantau(), "analyze", "--db", str(run_db), "--quiet"], cwd=ROOT, env=self.env)
        if m.returncode:
            return [{"key": "analyze", "measure": "pantau analyze (CLI)", "note": _failed(m)}]
        con = duckdb.connect(str(run_db), read_only=True)
        try:
            stages, timeouts = con.execute(
                "SELECT stage_seconds, alignment_timeouts FROM runs ORDER BY run_id DESC LIMIT 1").fetchall()[0]
        finally:
            con.close()
        # pm4py's per-variant work runs in a worker thread during mutu_baku: not a stage of
        # its own in the wall time, but part of what conformance costs
        worker = stages.pop("conformance_pm4py", None)
        total = sum(stages.values())
        rows = [{"key": "analyze", "measure": "pantau analyze (CLI, process start incl.)", "wall": m.wall,
                 "peak_rss": m.peak_rss, "cpu": m.cpu, "events": log.events,
                 "note": f"{timeouts} alignment timeout(s)" if timeouts else ""},
                {"key": "stages", "measure": "  stages total (in-process)", "wall": total, "events": log.events,
                 "note": f"process start, imports, open/close: {m.wall - total:.1f} s"}]
        slowest = max(stages, key=stages.get)
        for name, seconds in stages.items():
            rows.append({"key": f"stage:{name}", "measure": f"  stage {name}", "wall": seconds, "events": log.events,
                         "note": f"{seconds / total:.0%} of stages" + (" (slowest)" if name == slowest else "")})
        if "conformance" in stages:
            work = stages["conformance"] + (worker or 0.0)
            rows.append({"key": "conformance_work", "measure": "  conformance work (stage + pm4py worker)",
                         "wall": work, "events": log.events,
                         "note": f"pm4py worker thread {worker:.2f} s, overlapping mutu_baku" if worker else ""})
        return rows

    def floor(self, run_db: Path, conformance: float | None) -> dict[str, Any]:
        """The bare DuckDB variant query on the analysed store."""
        m = run_measured([PYTHON, str(BENCH / "children.py"), "floor", str(run_db)], cwd=ROOT, env=self.env)
        if m.returncode:
            return {"key": "floor", "measure": "duckdb floor", "note": _failed(m)}
        j = m.json()
        ratio = f"conf {conformance / j['seconds']:.0f}x floor" if conformance else ""
        return {"key": "floor", "measure": "duckdb floor (string_agg per case, GROUP BY seq)",
                "wall": j["seconds"], "peak_rss": m.peak_rss, "cpu": m.cpu, "events": None, "ratio": ratio,
                "note": f"{j['variants']:,} variants over all events; process {m.wall:.1f} s"}

    def pm4py(self, log: gen_logs.LogInfo, run_db: Path, label: str, conformance: float | None,
              analyze: float | None) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """pm4py alone on the same traces; rows and the fitness comparison with case_checks."""
        out = self.work / f"pm4py-{label}.parquet"
        m = run_measured([PYTHON, str(BENCH / "children.py"), "pm4py", str(run_db), str(out)],
                         cwd=ROOT, env=self.env)
        if m.returncode:
            return [{"key": "pm4py_total", "measure": "pm4py alone", "note": _failed(m)}], None
        j = m.json()
        s = j["seconds"]
        total = s["format"] + s["alignments"] + s["token_replay"]
        self.pm4py_rate = (total / max(j["events"], 1), label)
        equality = compare_fitness(run_db, out)
        self._drop(out)
        ratio = " · ".join(x for x in (
            f"{total / conformance:.1f}x conf" if conformance else "",
            f"{total / analyze:.2f}x analyze" if analyze else "") if x)
        n = j["events"]
        rows = [
            {"key": "pm4py_format", "measure": "  pm4py format_dataframe", "wall": s["format"], "events": n},
            {"key": "pm4py_align", "measure": "  pm4py conformance_diagnostics_alignments", "wall": s["alignments"],
             "events": n},
            {"key": "pm4py_token", "measure": "  pm4py token-based replay", "wall": s["token_replay"], "events": n},
            {"key": "pm4py_total", "measure": "pm4py alone: format + alignments + token replay", "wall": total,
             "peak_rss": m.peak_rss, "cpu": m.cpu, "events": n, "ratio": ratio,
             "note": f"{n:,} complete events; not timed: import pm4py {j['import_seconds']:.1f} s, "
                     f"frame load {j['load_seconds']:.1f} s; {equality['summary']}"},
        ]
        return rows, equality

    def pm4py_estimate(self, log: gen_logs.LogInfo) -> tuple[float, str] | None:
        """Estimated pm4py seconds for ``log`` (linear in complete events) and the run it is based on."""
        if self.pm4py_rate is None:
            return None
        rate, label = self.pm4py_rate
        return rate * log.complete_events, label

    def profile(self, log: gen_logs.LogInfo, label: str) -> dict[str, Any]:
        """bench/profile_analyze.py on a copy of ``log`` (in its own process)."""
        db = self.work / "profile.duckdb"
        shutil.copyfile(log.path, db)
        m = run_measured([PYTHON, str(BENCH / "profile_analyze.py"), str(db)], cwd=ROOT, env=self.env)
        self._drop(db, Path(f"{db}.wal"))
        if m.returncode:
            return {"error": _failed(m)}
        return {**m.json(), "process_wall": m.wall, "peak_rss": m.peak_rss, "label": label}

    def _drop(self, *paths: Path) -> None:
        if not self.keep:
            for p in paths:
                p.unlink(missing_ok=True)


def _failed(m: Any) -> str:
    lines = [ln.strip() for ln in m.stderr.splitlines() if ln.strip() and set(ln.strip()) != {"^"}]
    return f"FAILED (exit {m.returncode}): " + " | ".join(lines[-6:])[-600:]


def compare_fitness(run_db: Path, parquet: Path) -> dict[str, Any]:
    """Per-case alignment and token fitness: Pantau's case_checks vs pm4py's, over the cases both checked."""
    import duckdb

    con = duckdb.connect(str(run_db), read_only=True)
    try:
        row = con.execute(f"""
            WITH k AS (SELECT * FROM case_checks WHERE run_id = (SELECT max(run_id) FROM runs)),
            j AS (SELECT k.alignment_status, k.alignment_fitness AS ka, k.token_fitness AS kt,
                         p.case_id AS pcase, p.alignment_fitness AS pa, p.token_fitness AS pt
                  FROM k LEFT JOIN read_parquet(?) p USING (sop_id, case_id))
            SELECT count(*), count(pcase),
                   count(*) FILTER (WHERE alignment_status <> 'aligned'),
                   coalesce(max(abs(pa - ka)) FILTER (WHERE alignment_status = 'aligned'), 0),
                   count(*) FILTER (WHERE pcase IS NOT NULL AND alignment_status = 'aligned'
                                    AND (pa IS NULL OR abs(pa - ka) > {report.FITNESS_TOLERANCE})),
                   coalesce(max(abs(pt - kt)), 0),
                   count(*) FILTER (WHERE pcase IS NOT NULL AND abs(pt - kt) > {report.FITNESS_TOLERANCE}),
                   (SELECT count(*) FROM read_parquet(?) ANTI JOIN k USING (sop_id, case_id))
            FROM j""", [str(parquet), str(parquet)]).fetchall()[0]
    finally:
        con.close()
    keys = ("pantau_cases", "both", "fallback", "align_max_diff", "align_differ", "token_max_diff",
            "token_differ", "pm4py_only")
    eq = {k: (float(v) if "diff" in k else int(v)) for k, v in zip(keys, row, strict=True)}
    eq["equal"] = eq["align_differ"] == 0 and eq["token_differ"] == 0 and eq["pm4py_only"] == 0
    eq["summary"] = (f"fitness equal on {eq['both']:,} cases" if eq["equal"] else
                     f"alignment fitness differs on {eq['align_differ']:,} (max {eq['align_max_diff']:.3g}), "
                     f"token on {eq['token_differ']:,} (max {eq['token_max_diff']:.3g})")
    if eq["fallback"]:
        eq["summary"] += f"; {eq['fallback']:,} fallback case(s) not compared"
    if eq["pantau_cases"] != eq["both"]:
        eq["summary"] += f"; {eq['pantau_cases'] - eq['both']:,} case(s) without complete events (pantau only)"
    return eq


def code_state() -> dict[str, Any]:
    """Which code was measured: git HEAD, uncommitted files, and a digest of analytics/ and event_logs/."""
    import hashlib
    import subprocess

    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()

    digest = hashlib.sha256()
    for path in sorted([*ROOT.glob("analytics/**/*.py"), *ROOT.glob("analytics/sql/*.sql"),
                        *ROOT.glob("event_logs/**/*.py"), *ROOT.glob("event_logs/sql/*.sql")]):
        digest.update(path.relative_to(ROOT).as_posix().encode() + path.read_bytes())
    return {"head": git("rev-parse", "--short", "HEAD"), "dirty_files": len(git("status", "--porcelain").splitlines()),
            "sources_sha256": digest.hexdigest()[:16]}


def _write(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    tmp.replace(path)


def run_size(bench: Bench, cases: int, *, in_sizes: bool, compare: bool, args: argparse.Namespace,
             results: dict[str, Any]) -> dict[str, Any]:
    """Every measurement for one log size."""
    label = report.size_label(cases)
    load_before = os.getloadavg()[0]
    code_before = code_state()["sources_sha256"]
    log = bench.log(cases)
    run: dict[str, Any] = {"label": label, "in_sizes": in_sizes, "compare": compare, "rows": [],
                           "log": {**dataclasses.asdict(log), "path": str(log.path)}}
    print(f"[{label}] log: {log.cases:,} cases, {log.events:,} events ({log.how}, {log.seconds:.1f} s)",
          file=sys.stderr, flush=True)
    if in_sizes and not args.skip_ingest:
        run["rows"].append(bench.ingest(cases, args.ingest_rows_per_case))
        print(f"[{label}] ingest done", file=sys.stderr, flush=True)
    run_db = bench.work / f"analyze-{label}.duckdb"
    run["rows"] += bench.analyze(log, run_db)
    conf = report.conformance_wall(run)
    whole = (report.find(run, "analyze") or {}).get("wall")
    print(f"[{label}] analyze done: {whole or 0:.1f} s", file=sys.stderr, flush=True)
    run["rows"].append(bench.floor(run_db, conf))
    if not args.skip_pm4py and conf:
        estimate = bench.pm4py_estimate(log)
        if estimate and estimate[0] > args.pm4py_limit and not compare:
            run["rows"].append({"key": "pm4py_skipped", "measure": "pm4py alone",
                                "note": f"skipped: estimated {estimate[0]:.0f} s > {args.pm4py_limit:.0f} s "
                                        f"(from the {estimate[1]} run)"})
        else:
            rows, run["equality"] = bench.pm4py(log, run_db, label, conf, whole)
            run["rows"] += rows
            print(f"[{label}] pm4py done", file=sys.stderr, flush=True)
    bench._drop(run_db, Path(f"{run_db}.wal"))
    run["load"] = [load_before, os.getloadavg()[0]]
    run["code"] = [code_before, code_state()["sources_sha256"]]
    changed = "; SOURCES CHANGED during this log's measurements" if run["code"][0] != run["code"][1] else ""
    results["notes"].append(f"{label}: {log.how} ({log.cases:,} cases, {log.events:,} events, "
                            f"{log.complete_events:,} complete); made in {log.seconds:.1f} s; "
                            f"load average (1 min) {run['load'][0]:.2f} before, {run['load'][1]:.2f} after{changed}")
    return run


def _print_profile(profile: dict[str, Any]) -> None:
    if "error" in profile:
        print(f"\nprofile: {profile['error']}")
        return
    print(f"\nProfile of analyze at {profile['label']} (in-process, every SQL statement timed; "
          f"wall {profile['wall']:.1f} s, SQL {profile['sql_seconds']:.1f} s):")
    print("  stages: " + ", ".join(f"{k} {v:.1f}" for k, v in profile["stage_seconds"].items()))
    sub = dict(profile["conformance_seconds"])
    if "total" in sub:
        sub["other (pm4py import)"] = sub["total"] - sum(v for k, v in sub.items() if k != "total")
    print("  conformance sub-stages: " + ", ".join(f"{k} {v:.1f}" for k, v in sub.items()))
    print("  SQL by caller: " + ", ".join(f"{k} {v:.1f}" for k, v in list(profile["sql_by_caller"].items())[:6]))
    for s in profile["top_statements"][:8]:
        print(f"  {s['seconds']:7.2f} s  {s['caller']:<32} {s['sql'][:90]}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="10000,100000,1000000", help="cases per log, comma-separated")
    p.add_argument("--compare-cases", type=int, default=report.COMPARE_CASES,
                   help="log for the whole-analyze vs pm4py comparison (0: none)")
    p.add_argument("--skip-pm4py", action="store_true", help="do not run pm4py alone")
    p.add_argument("--skip-ingest", action="store_true", help="do not time ingest")
    p.add_argument("--profile", action="store_true", help="also profile analyze on the largest log")
    p.add_argument("--quick", action="store_true", help="10k cases only, no comparison log (smoke run)")
    p.add_argument("--pm4py-limit", type=float, default=900.0, help="skip pm4py when estimated above (s)")
    p.add_argument("--ingest-rows-per-case", type=int, default=10)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--dir", type=Path, default=None, help="work directory (default: a temp dir, removed)")
    p.add_argument("--keep", action="store_true", help="keep the generated files")
    p.add_argument("--results", type=Path, default=RESULTS / "latest.json",
                   help="JSON file to write (the Markdown table goes next to it, .md)")
    args = p.parse_args(argv)
    args.sizes = [10_000] if args.quick else sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s})
    if args.quick:
        args.compare_cases = 0
    return args


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark, print the table and targets, write bench/results/latest.{json,md}."""
    args = parse_args(argv)
    work = args.dir or Path(tempfile.mkdtemp(prefix="pantau-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    bench = Bench(work, args.seed, args.keep)
    results: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "code": code_state(),
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "runs": [], "notes": [],
    }
    plan = sorted(set(args.sizes) | ({args.compare_cases} if args.compare_cases else set()))
    t0 = time.perf_counter()
    try:
        for cases in plan:
            results["runs"].append(run_size(bench, cases, in_sizes=cases in args.sizes,
                                            compare=cases == args.compare_cases, args=args, results=results))
            _write(results, args.results)
        if args.profile and results["runs"]:
            largest = max((r for r in results["runs"] if r["in_sizes"]), key=lambda r: r["log"]["cases"])
            log = gen_logs.LogInfo(**{**largest["log"], "path": Path(largest["log"]["path"])})
            results["profile"] = bench.profile(log, largest["label"])
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(work, ignore_errors=True)
    results["seconds"] = time.perf_counter() - t0
    results["machine"]["load_end"] = list(os.getloadavg())
    results["growth"] = report.growth(results)
    results["targets"] = report.targets(results)
    _write(results, args.results)
    args.results.with_suffix(".md").write_text(report.markdown(results), encoding="utf-8")
    report.print_rich(results)
    for g in results["growth"]:
        print(f"growth {g['from']} -> {g['to']}: events x{g['events_x']:.2f}, analyze wall x{g['wall_x']:.2f}, "
              f"stages x{g['stages_x']:.2f} (per event x{g['stages_per_event_x']:.2f})")
    if "profile" in results:
        _print_profile(results["profile"])
    print(f"\nbenchmark took {results['seconds'] / 60:.1f} min; results in {args.results}")


if __name__ == "__main__":
    main()
