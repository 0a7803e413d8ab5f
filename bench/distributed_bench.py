"""The 1M-case store as agency partitions on a 2-worker Dask LocalCluster against the single run
(issue 16.4).

Steps, each a ``pantau`` command in a fresh child process (``measure.py``: wall, CPU = user +
system of the child and every process it waited for, i.e. the Dask workers too, and the
largest single process's peak RSS), while a sampler thread adds up the RSS of every process
below this one every 0.2 s (the workers run at once, so their sum is the machine's peak):

1. ``pantau partition split --db STORE --by agency --out DIR/parts`` (the store is only read);
2. ``pantau analyze --db DIR/single.duckdb --full`` on a copy of the store (the single run);
3. ``pantau analyze --partitions DIR/parts --local-workers N --full`` (the distributed run);
4. ``pantau partition gather --partitions DIR/parts --db DIR/gathered.duckdb``;

then every result table of the single and the gathered store is compared with EXCEPT ALL both
ways, run ids left out (``analytics.incremental.differences``). Run it under the heavy-run lock
on a shared machine, and read the CPU figures beside the wall times.

Usage::

    .venv/bin/python bench/distributed_bench.py [--store data/bench-dashboard-1000000.duckdb]
        [--dir /work/bigdata/dist] [--workers 2] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for _p in (str(ROOT), str(BENCH)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from measure import load_average, run_measured  # noqa: E402


class TreeRss:
    """The highest sum of RSS over this process's descendants while running."""

    def __init__(self, every: float = 0.2) -> None:
        self.every, self.peak, self._stop = every, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):  # a process that ended meanwhile
                    total += child.memory_info().rss
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _step(*args: str) -> dict:
    env = {**os.environ, "PM4PY_SHOW_PROGRESS_BAR": "False"}
    load = load_average()
    with TreeRss() as tree:
        m = run_measured([str(Path(sys.executable).parent / "pantau"), *args, "--quiet"], cwd=ROOT, env=env)
    if m.returncode:
        raise SystemExit(f"pantau {args[0]} failed: {m.stderr[-3000:]}")
    return {"wall": round(m.wall, 2), "cpu": round(m.cpu, 2), "peak_process_gb": round(m.peak_rss / 1e9, 2),
            "peak_tree_gb": round(tree.peak / 1e9, 2), "load_at_start": load,
            "out": m.stdout.strip().splitlines()[-6:]}


def main() -> None:
    """CLI: split, single run, distributed run, gather, compare; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=ROOT / "data" / "bench-dashboard-1000000.duckdb")
    parser.add_argument("--dir", type=Path, default=Path("/work/bigdata/dist"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the stores written")
    args = parser.parse_args()
    from analytics.incremental import differences

    work = args.dir
    for name in ("parts", "single.duckdb", "gathered.duckdb"):
        target = work / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    work.mkdir(parents=True, exist_ok=True)
    single, parts, gathered = work / "single.duckdb", work / "parts", work / "gathered.duckdb"
    out: dict = {"store": str(args.store), "workers": args.workers, "cpus": os.cpu_count()}
    out["split"] = _step("partition", "split", "--db", str(args.store), "--by", "agency", "--out", str(parts))
    t = time.perf_counter()
    shutil.copyfile(args.store, single)
    out["copy_seconds"] = round(time.perf_counter() - t, 2)
    out["single"] = _step("analyze", "--db", str(single), "--full")
    out["distributed"] = _step("analyze", "--partitions", str(parts), "--local-workers", str(args.workers), "--full")
    out["gather"] = _step("partition", "gather", "--partitions", str(parts), "--db", str(gathered))
    t = time.perf_counter()
    diff = differences(single, gathered)
    out["compare_seconds"] = round(time.perf_counter() - t, 2)
    out["differences"], out["identical"] = diff, not diff
    out["wall_ratio"] = round(out["distributed"]["wall"] / out["single"]["wall"], 3)
    out["cpu_ratio"] = round(out["distributed"]["cpu"] / out["single"]["cpu"], 3)
    out["sizes_gb"] = {p.name: round(p.stat().st_size / 1e9, 2) for p in [single, gathered, *sorted(parts.glob("*.duckdb"))]}
    print(json.dumps(out, indent=2, ensure_ascii=False))
    if not args.keep:
        shutil.rmtree(parts)
        single.unlink()
        gathered.unlink()


if __name__ == "__main__":
    main()
