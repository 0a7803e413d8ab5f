"""A full ``analyze`` of one store in this process, each stage's end printed as it happens.

Usage (the figures of bench/README.md's 10M and memory-cap sections)::

    /usr/bin/time -v .venv/bin/python bench/full_run.py STORE.duckdb

The store's ``pantau.toml`` (``[analysis] memory_limit``) applies, as for ``pantau analyze
--full``; ``/usr/bin/time -v`` gives the wall time, the CPU seconds and the peak RSS. The last
line is the run's result (stage seconds, counts).
"""

from __future__ import annotations

import sys
import time

from analytics import analyze


def main() -> None:
    """CLI: analyse ``sys.argv[1]`` full and print each stage's end."""
    t0 = time.time()

    def progress(done: int, total: int) -> None:
        print(f"{time.strftime('%H:%M:%S')} +{time.time() - t0:7.1f}s stage {done}/{total} done", flush=True)

    print(analyze(sys.argv[1], full=True, progress=progress), flush=True)


if __name__ == "__main__":
    main()
