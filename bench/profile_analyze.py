"""Where ``pantau analyze`` spends its time: seconds per SQL statement and per conformance sub-stage.

Usage::

    .venv/bin/python bench/profile_analyze.py DB [--top 15] [--cprofile]

Runs ``analytics.run.analyze`` in this process on ``DB`` (it writes a run: use a copy)
with the store connection wrapped so that every ``execute`` is timed and attributed to
the calling function (a multi-statement script statement by statement), and with the
conformance stage's own sub-stage seconds (variants, align, token replay, deviations,
precision, write) captured. A statement's ``cpu`` is the process's user + system CPU seconds
(every DuckDB thread) less what the pm4py worker thread spent meanwhile (``worker_cpu``, read
from /proc per thread), so the SQL that overlaps pm4py's checks is not charged with them;
``worker_cpu_seconds`` is the worker's own CPU for the variant checks. ``--cprofile`` adds the
Python hot spots (cumulative) under cProfile, which slows Python-heavy code somewhat.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _cpu() -> float:
    """User + system CPU seconds of this process so far (every thread: DuckDB's and pm4py's)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


_TICK = os.sysconf("SC_CLK_TCK")


def _worker_cpu() -> float:
    """CPU seconds so far of the run's pm4py worker thread (0 before it starts): statements
    run while it checks variants, and the process CPU of a statement would count its work."""
    import threading

    total = 0.0
    for t in threading.enumerate():
        if t.name.startswith("pantau-pm4py") and t.native_id:
            try:
                fields = Path(f"/proc/self/task/{t.native_id}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime
    return total


def _label(sql: str) -> str:
    """A short name for a statement: a script's first comment line, else its first 100 chars."""
    text = sql.strip()
    if text.startswith("--"):
        return text.splitlines()[0][:100]
    return re.sub(r"\s+", " ", text)[:100]


class TimedConnection:
    """A DuckDB connection whose ``execute``/``executemany`` calls are timed; the rest passes through."""

    def __init__(self, con: Any, log: list[tuple[str, str, float, float, float]],
                 explain: re.Pattern[str] | None = None) -> None:
        self._con = con
        self._log = log
        self._explain = explain

    def _timed(self, method: str, sql: str, *args: Any) -> Any:
        caller = sys._getframe(2).f_code
        where = f"{Path(caller.co_filename).stem}.{caller.co_name}"
        parts = self._statements(sql) if method == "execute" and not args else [sql]
        result = None
        for i, part in enumerate(parts):
            t, c, w = time.perf_counter(), _cpu(), _worker_cpu()
            if self._explain is not None and method == "execute" and self._explain.search(part):
                # EXPLAIN ANALYZE runs the statement too (its plan with per-operator times)
                plan = self._con.execute("EXPLAIN ANALYZE " + part, *args).fetchall()
                print(f"== {where}: {_label(part)}\n" + "\n".join(str(r[-1]) for r in plan), file=sys.stderr)
                result = None
            else:
                result = getattr(self._con, method)(part, *args)
            label = _label(sql) + (f" [statement {i + 1}: {_label(part)[:60]}]" if len(parts) > 1 else "")
            worker = _worker_cpu() - w
            self._log.append((where, label, time.perf_counter() - t, _cpu() - c - worker, worker))
        return result

    def _statements(self, sql: str) -> list[str]:
        """A parameterless script split into its statements (timed one by one), else [sql]."""
        try:
            parts = [s.query for s in self._con.extract_statements(sql)]
        except Exception:  # anything DuckDB cannot split runs as one
            return [sql]
        return parts if len(parts) > 1 else [sql]

    def execute(self, sql: str, *args: Any) -> Any:
        """Timed ``execute``."""
        return self._timed("execute", sql, *args)

    def executemany(self, sql: str, *args: Any) -> Any:
        """Timed ``executemany``."""
        return self._timed("executemany", sql, *args)

    def close(self) -> None:
        """Timed ``close`` (DuckDB checkpoints the WAL into the file when it closes)."""
        t, c = time.perf_counter(), _cpu()
        self._con.close()
        self._log.append(("store.close", "close (checkpoint)", time.perf_counter() - t, _cpu() - c, 0.0))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


_worker_total = [0.0]  # CPU seconds of the worker's variant checks (check_conformance)


def profile(db: str, top: int = 15, use_cprofile: bool = False, *, full: bool = False,
            explain: str | None = None) -> dict:
    """Run analyze on ``db`` with timing hooks; the figures as a dict. Statements matching the
    regular expression ``explain`` run under EXPLAIN ANALYZE, their plans printed to stderr."""
    import event_logs.store as store
    from analytics import conformance, run

    log: list[tuple[str, str, float, float, float]] = []
    sub: dict[str, float] = {}
    open_store = store.open_store
    write_conformance = conformance.write_conformance

    def timed_open(*args: Any, **kwargs: Any) -> Any:
        # opening (migrations, the contract refreshed from files) and closing (DuckDB
        # checkpoints the WAL there) are outside every stage: timed as statements too
        t, c = time.perf_counter(), _cpu()
        con = open_store(*args, **kwargs)
        log.append(("store.open_store", "open_store (connect, migrate, refresh the contract)",
                    time.perf_counter() - t, _cpu() - c, 0.0))
        return TimedConnection(con, log, re.compile(explain) if explain else None)

    def captured(*args: Any, **kwargs: Any) -> Any:
        stats = write_conformance(*args, **kwargs)  # the stats of all three parts
        sub.update(stats.seconds)
        return stats

    check_conformance = conformance.check_conformance

    def worker_timed(*args: Any, **kwargs: Any) -> Any:
        c = time.thread_time()
        try:
            return check_conformance(*args, **kwargs)
        finally:
            _worker_total[0] += time.thread_time() - c

    _worker_total[0] = 0.0
    store.open_store = timed_open
    conformance.write_conformance = captured
    conformance.check_conformance = worker_timed
    profiler = None
    if use_cprofile:
        import cProfile

        profiler = cProfile.Profile()
    t0, c0 = time.perf_counter(), _cpu()
    if profiler:
        profiler.enable()
    result = run.analyze(db, full=full)
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    by_caller: dict[str, float] = defaultdict(float)
    for where, _, seconds, _cpu_s, _w in log:
        by_caller[where] += seconds
    out = {
        "wall": wall,
        "cpu": cpu,
        "load": list(os.getloadavg()),
        "stage_seconds": result.stage_seconds,
        "conformance_seconds": sub,
        "sql_seconds": sum(r[2] for r in log),
        "sql_cpu_seconds": sum(r[3] for r in log),  # without the pm4py worker's CPU meanwhile
        "worker_cpu_seconds": _worker_total[0],
        "sql_by_caller": dict(sorted(by_caller.items(), key=lambda kv: -kv[1])),
        "top_statements": [{"caller": w, "sql": label, "seconds": round(s, 3), "cpu": round(c, 3),
                            "worker_cpu": round(k, 3)}
                           for w, label, s, c, k in sorted(log, key=lambda r: -r[3])[:top]],
    }
    if profiler:
        import io
        import pstats

        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).sort_stats("cumulative").print_stats(25)
        out["cprofile"] = buf.getvalue()
    return out


def main() -> None:
    """CLI: profile one analyze run and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--full", action="store_true", help="a full run (default: what analyze would do)")
    parser.add_argument("--explain", metavar="REGEX",
                        help="run the statements matching REGEX under EXPLAIN ANALYZE (plans on stderr)")
    args = parser.parse_args()
    print(json.dumps(profile(args.db, args.top, args.cprofile, full=args.full, explain=args.explain)))


if __name__ == "__main__":
    main()
