"""Run one measurement in a child process: wall seconds and the child's peak RSS.

The wall clock spans process start to exit (interpreter start and imports included),
and the peak RSS is the child's own ``ru_maxrss`` from ``wait4`` (the kernel's high-water
mark of that process: DuckDB's, numpy's and Python's memory together).

Why a launcher: on Linux a child's ``ru_maxrss`` starts from the high-water mark of the
process it was forked from (the kernel carries the parent's mm peak over the exec). The
benchmark's own process grows to a GB while it simulates logs, so its direct children
would all report at least that. The child is therefore started by this module run as a
small launcher process (``python bench/measure.py RESULT -- CMD...``, ~10 MB), which times
it and writes its ``wall``/``peak_rss`` to RESULT. Output goes to files, not pipes, so a
chatty child cannot block on a full pipe while we wait.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measured:
    """One child run."""

    wall: float          # seconds, process start to exit
    peak_rss: int        # bytes (ru_maxrss of the child)
    cpu: float           # user + system CPU seconds of the child (less sensitive to other load)
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        """The child's last stdout line as JSON (children print their figures last)."""
        lines = [ln for ln in self.stdout.strip().splitlines() if ln.startswith("{")]
        if not lines:
            raise RuntimeError(f"child printed no JSON (exit {self.returncode}): {self.stderr[-2000:]}")
        return json.loads(lines[-1])


def _spawn_and_wait(cmd: list[str], **popen: object) -> tuple[float, int, float, int]:
    """(wall seconds, peak RSS bytes, CPU seconds, exit code) of ``cmd``, from ``wait4``."""
    import signal

    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, **popen)  # type: ignore[call-overload]
    # a stopped benchmark (SIGTERM) must not leave the measured child running
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:
        proc.terminate()  # a launcher passes this on to its child
        proc.wait()
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
    return wall, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime, proc.returncode


def run_measured(cmd: list[str], *, cwd: Path, env: dict[str, str]) -> Measured:
    """Run ``cmd`` to completion through the launcher; its wall time and peak RSS."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err, \
            tempfile.NamedTemporaryFile("r", suffix=".json") as res:
        launcher = [sys.executable, str(Path(__file__).resolve()), res.name, "--", *cmd]
        *_, code = _spawn_and_wait(launcher, cwd=cwd, env=env, stdout=out, stderr=err, text=True)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
        figures = json.loads(Path(res.name).read_text() or "{}")
        if code and not figures:
            raise RuntimeError(f"launcher failed (exit {code}): {stderr[-2000:]}")
        return Measured(figures["wall"], figures["peak_rss"], figures["cpu"], figures["returncode"], stdout, stderr)


def load_average() -> tuple[float, float, float]:
    """The 1, 5 and 15 minute load averages (other users of the shared cores show up here)."""
    return os.getloadavg()


def machine() -> dict:
    """Cores, memory and load, for the record."""
    mem_total = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_total = int(line.split()[1]) * 1024
    return {"cores": os.cpu_count(), "mem_total": mem_total, "load": list(load_average())}


def _launch() -> None:
    """Launcher: ``measure.py RESULT -- CMD...`` runs CMD (inheriting stdio), writes its figures to RESULT."""
    result, sep, *cmd = sys.argv[1:]
    if sep != "--" or not cmd:
        sys.exit("usage: measure.py RESULT -- CMD...")
    wall, peak, cpu, code = _spawn_and_wait(cmd)
    Path(result).write_text(json.dumps({"wall": wall, "peak_rss": peak, "cpu": cpu, "returncode": code}))


if __name__ == "__main__":
    _launch()
