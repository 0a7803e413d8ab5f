"""Each partition's analysis as a task on Dask distributed (issue 16.4).

A partition folder (:mod:`analytics.partitions`) holds one full store per agency. Each store's
``analyze`` is independent of the others' except for two things a run of the whole store shares
over every agency, which are therefore computed once, over all partitions, and handed to each
task (:func:`analytics.partitions.national_span`): the moment open cases are judged at (the end
of the nation's last imported day) and the range the working calendars are installed over. With
them, the gathered results equal the single store's row for row.

Why Dask distributed and not Ray: its wheels are pure Python (Ray ships a large native runtime);
a ``LocalCluster`` of worker processes runs in-process for tests and on one machine; the same
``Client`` API drives a cluster of many machines started with ``dask-scheduler`` and
``dask-worker`` (docs/scale.md); it is a well-kept library (NumFOCUS, monthly releases) whose
``submit``/``as_completed`` is all this needs. A task is one partition's ``analyze``: it reads
and writes that partition's file only, where the worker runs, so partitions must lie on a
filesystem every worker sees at the same path.

A task that fails (a broken partition file, an error of the analysis, a worker that died and
was retried) is reported as an :class:`~pantau.errors.AnalysisError` naming its partition once
every other task has finished (their runs are committed: each is its own transaction); a run
that outlives ``timeout`` is one too, naming the partitions still running.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from analytics.partitions import Partition, national_span, read_manifest
from analytics.run import RunResult
from pantau.errors import AnalysisError, PantauError

ProgressFn = Callable[[int, int], None]


@dataclass
class PartitionRun:
    """One partition's analysis: the partition and what its run did."""

    partition: Partition
    result: RunResult


def analyze_partition(path: str, as_of: datetime | None, first: datetime | None, last: datetime | None,
                      full: bool = False) -> RunResult:
    """The task a worker runs: ``analyze`` of the partition store at ``path``, judging open
    cases at ``as_of`` with the calendars installed over ``first``..``last`` (the nation's; all
    None when no event of the nation has a time, as a single run then decides)."""
    import os

    os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")
    from analytics.run import analyze

    return analyze(path, as_of=as_of, calendar_span=(first, last), full=full)


@contextlib.contextmanager
def connect(scheduler: str | None = None, local_workers: int | None = None) -> Iterator[Any]:
    """A ``distributed.Client``: of the scheduler at ``scheduler`` (``tcp://host:8786``), else of
    a ``LocalCluster`` of ``local_workers`` worker processes (one thread each) that listens on
    127.0.0.1 only, without its web dashboard. Both are closed on leaving."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=30)
        except (OSError, TimeoutError) as exc:
            raise AnalysisError(f"cannot reach the Dask scheduler at {scheduler} ({exc})", field="scheduler",
                                hint="start it with 'dask-scheduler' (and workers with 'dask-worker "
                                     "tcp://HOST:8786'), or use --local-workers N on this machine") from None
        try:
            yield client
        finally:
            client.close()
        return
    workers = local_workers or 2
    if workers < 1:
        raise AnalysisError("--local-workers must be at least 1", field="local_workers", hint="e.g. --local-workers 2")
    # silence_logs: the workers' shutdown notes are not the user's business (no output from
    # library code); errors still reach the log
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        yield client


def _failure(part: Partition, folder: Path, exc: BaseException) -> str:
    text = exc.message if isinstance(exc, PantauError) else f"{type(exc).__name__}: {exc}"
    return f"partition '{part.agency}' ({part.path(folder)}): {text.splitlines()[0] if text else ''}"


def analyze_partitions(
    folder: str | Path,
    *,
    client: Any | None = None,
    scheduler: str | None = None,
    local_workers: int | None = None,
    as_of: datetime | str | None = None,
    full: bool = False,
    timeout: float | None = None,
    progress: ProgressFn | None = None,
) -> list[PartitionRun]:
    """Analyse every partition of ``folder`` as one task each on a Dask cluster: ``client``
    when given, else the scheduler at ``scheduler``, else a ``LocalCluster`` of
    ``local_workers`` processes (:func:`connect`). Returns the runs in the manifest's order;
    ``progress(done, total)`` is told as partitions finish. ``as_of`` and ``full`` as in
    :func:`analytics.analyze`. A failed partition, or tasks still running after ``timeout``
    seconds, raise :class:`AnalysisError` naming them.
    """
    folder = Path(folder)
    parts = read_manifest(folder)
    span = national_span(folder, as_of)
    if client is None:
        with connect(scheduler, local_workers) as own:
            return _run(own, folder, parts, span, full, timeout, progress)
    return _run(client, folder, parts, span, full, timeout, progress)


def _run(client: Any, folder: Path, parts: list[Partition], span: Any, full: bool,
         timeout: float | None, progress: ProgressFn | None) -> list[PartitionRun]:
    from distributed import as_completed

    futures = {
        client.submit(analyze_partition, str(p.path(folder).resolve()), span.as_of, span.first, span.last,
                      full, key=f"pantau-analyze-{p.file}-{uuid.uuid4().hex[:8]}", pure=False): p
        for p in parts
    }
    results: dict[str, RunResult] = {}
    failed: list[str] = []
    done = 0
    try:
        for future in as_completed(futures, timeout=timeout):
            part = futures[future]
            if future.status == "error":
                failed.append(_failure(part, folder, future.exception()))
            else:
                results[part.file] = future.result()
            done += 1
            if progress:
                progress(done, len(parts))
    except TimeoutError:
        running = [p.agency for f, p in futures.items() if p.file not in results and not f.done()]
        for f in futures:
            f.cancel()
        raise AnalysisError(f"the analysis of {len(running)} partition(s) did not finish within {timeout:g} s: "
                            f"{', '.join(running)}", hint="the other partitions' runs are committed; look "
                            "at the workers' logs, then run the command again") from None
    if failed:
        raise AnalysisError(f"{len(failed)} of {len(parts)} partition(s) failed: " + "; ".join(failed),
                            hint="the other partitions' runs are committed; fix the named partition "
                                 "(or split the store again) and run the command again")
    return [PartitionRun(p, results[p.file]) for p in parts]
