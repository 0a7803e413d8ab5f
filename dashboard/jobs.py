"""Upload jobs for the Data page: ingest + analyze without blocking or corrupting readers.

Why a copy and a swap
---------------------
DuckDB lets one process open a file for writing, or many processes open it read-only, never
both: analysts keep notebooks open on the database (read-only, as ``open_store`` does), other
dashboard sessions read it, so an upload cannot write the live file in place — and must not
lock it for minutes while it analyses. So an upload never writes the live file at all:

1. **Snapshot.** Open the live file read-only (a shared lock: when a writer holds the file this
   fails at once with :class:`~pantau.errors.StoreLockedError`, whose hint says what to do)
   and, while that connection is open so no writer can start, copy it to a temporary file in
   the same directory (so the final rename is atomic), noting the file's identity (inode, size,
   modification time).
2. **Work on the copy, in another process.** ``python -m dashboard.jobs upload ...`` (started
   by :func:`start_upload`) ingests the uploaded file into the copy and re-analyses that SOP
   there (``analytics.analyze(copy, sop_ids=[sop])``). The dashboard process never imports
   ``analytics``, readers of the live file see nothing half-done, and a crash or a killed job
   leaves the live file untouched (the temporary file is removed).
3. **Swap.** Take a shared POSIX lock on the live file (the lock DuckDB uses: it fails if a
   writer holds the file, and stops a writer from starting while we swap; readers are not
   affected), check the file is still the one copied (otherwise another writer changed it
   meanwhile and swapping would lose its work: refuse, and say to upload again) and that no
   write-ahead log is pending, then ``os.replace(copy, live)``. Readers holding the old file
   keep reading the old version until they close it (POSIX keeps an unlinked inode alive);
   every new connection — the dashboard opens one per query batch — sees the new file.

Costs: one copy of the database per upload (a few seconds per GB) and twice its disk space
while the job runs. Two concurrent uploads: the second to finish refuses to swap.

Protocol: the job prints one JSON object per line on stdout — ``{"event": "progress",
"stage": "copy"|"ingest"|"analyze"|"swap", "done": d, "total": t}``, then ``{"event": "done",
...}`` or ``{"event": "error", "type": ..., "message": ..., "hint": ...}`` — and exits 0 or 1.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from event_logs.store import open_store
from pantau import errors
from pantau.errors import PantauError, StoreError, StoreLockedError

StageProgress = Callable[[str, int, int], None]
FileId = tuple[int, int, int]
STAGES = ("copy", "ingest", "analyze", "swap")
# share of the progress bar each stage fills
STAGE_SPAN = {"copy": (0.0, 0.1), "ingest": (0.1, 0.45), "analyze": (0.45, 0.97), "swap": (0.97, 1.0)}
_SWAP_HINT = "the upload was not applied; upload the file again"


def file_id(path: Path) -> FileId:
    """Identity of the file at ``path`` now: inode, size, modification time."""
    st = path.stat()
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def work_path(live: Path) -> Path:
    """The temporary copy next to the live file (same filesystem: the rename is atomic)."""
    return live.with_name(f".{live.name}.upload-{os.getpid()}")


def _remove(path: Path) -> None:
    for p in (path, Path(str(path) + ".wal")):
        p.unlink(missing_ok=True)


def snapshot(live: Path, work: Path) -> FileId:
    """Copy ``live`` to ``work`` under a read-only connection; the live file's identity."""
    con = open_store(live)  # raises StoreLockedError when a writer holds the file
    try:
        ident = file_id(live)
        shutil.copyfile(live, work)
        return ident
    finally:
        con.close()


@contextlib.contextmanager
def _shared_lock(live: Path) -> Iterator[None]:
    with open(live, "rb") as fh:
        try:
            fcntl.lockf(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as exc:
            raise StoreLockedError("the database is being written by another process", file=str(live),
                                   hint="wait for that process (a 'pantau' command or a notebook "
                                        "connected without read_only=True) to finish; " + _SWAP_HINT) from exc
        try:
            yield
        finally:
            fcntl.lockf(fh, fcntl.LOCK_UN)


def swap(work: Path, live: Path, expected: FileId) -> None:
    """Atomically replace ``live`` by ``work`` if ``live`` is still the file that was copied."""
    with _shared_lock(live):
        if file_id(live) != expected:
            raise StoreError("the database was changed by another process while the upload was "
                             "being processed", file=str(live), hint=_SWAP_HINT)
        if Path(str(live) + ".wal").exists():
            raise StoreLockedError("the database has unfinished writes (a .wal file)", file=str(live),
                                   hint="let the writing process finish, or open the database once "
                                        "with 'pantau init --db FILE' to recover it; " + _SWAP_HINT)
        os.replace(work, live)


def run_upload(db: Path, file: Path, *, sop_id: str, agency: str | None = None, tz: str | None = None,
               mapping: dict[str, str] | None = None, pii_columns: tuple[str, ...] = (),
               keep_columns: tuple[str, ...] = (),
               progress: StageProgress | None = None) -> dict[str, Any]:
    """Snapshot, ingest + analyze on the copy, swap. Runs inside the job process.

    ``keep_columns``: personal columns to keep (``pantau ingest --keep-column``). The outcome
    holds the import's and the run's counts (the page words them in the user's language)."""
    from analytics import analyze
    from analytics.run import STAGES as RUN_STAGES
    from event_logs.ingest import ingest_file

    def report(stage: str) -> Callable[[int, int], None]:
        return lambda done, total: progress(stage, done, total) if progress else None

    db = Path(db).resolve()
    work = work_path(db)
    _remove(work)
    try:
        expected = snapshot(db, work)
        report("copy")(1, 1)
        result = ingest_file(work, file, sop_id=sop_id, agency=agency, tz=tz, mapping=mapping or None,
                             pii_columns=list(pii_columns), keep_columns=list(keep_columns),
                             progress=report("ingest"))
        outcome: dict[str, Any] = {
            "ingest": result.summary_line(), "import_id": result.import_id, "file_name": result.file_name,
            "already_imported": result.already_imported, "rows_read": result.rows_read,
            "rows_loaded": result.rows_loaded, "rows_quarantined": result.rows_quarantined,
            "rows_duplicate": result.rows_duplicate, "skipped_rows": result.skipped_rows,
            "recoded_lines": result.recoded_lines, "control_rows": result.control_rows,
            "unbalanced_quote_rows": result.unbalanced_quote_rows, "unmapped": result.unmapped_labels,
            "quarantine_reasons": result.quarantine_reasons, "run_id": None}
        if result.already_imported or result.rows_loaded == 0:
            outcome["changed"] = False
            return outcome
        run = analyze(work, sop_ids=[sop_id], progress=report("analyze"))
        outcome.update(run_id=run.run_id, analyze=run.summary_line(), changed=True, cases=run.case_count,
                       events=run.event_count, sops=len(run.sop_ids),
                       seconds=round(sum(v for k, v in run.stage_seconds.items() if k in RUN_STAGES), 1),
                       fallbacks=run.alignment_timeouts)
        swap(work, db, expected)
        report("swap")(1, 1)
        return outcome
    finally:
        _remove(work)


def run_review(db: Path, *, sop_id: str, version: str, fixes: dict[str, Any], by: str) -> dict[str, Any]:
    """Snapshot, save the reviewed version confirmed by ``by`` on the copy
    (:func:`event_logs.versions.save_review`, which checks it), swap. Runs inside the job process."""
    from event_logs import versions
    from event_logs.store import transaction
    from sop_models.review import Fixes

    db = Path(db).resolve()
    work = work_path(db)
    _remove(work)
    try:
        expected = snapshot(db, work)
        con = open_store(work, read_only=False)
        try:
            with transaction(con):
                v = versions.save_review(con, sop_id, version, Fixes.from_json(fixes), by=by)
        finally:
            con.close()
        swap(work, db, expected)
        return {"sop": v.sop_id, "sha256": v.model_sha256, "number": v.number, "revision": v.revision,
                "status": v.status, "origin": v.origin}
    finally:
        _remove(work)


def _emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, default=str) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    """``python -m dashboard.jobs upload --db DB --file F --sop ID [--options JSON]`` or
    ``python -m dashboard.jobs review --db DB --sop ID --version SHA --options JSON`` (fixes, by)."""
    parser = argparse.ArgumentParser(prog="python -m dashboard.jobs")
    parser.add_argument("command", choices=["upload", "review"])
    parser.add_argument("--db", required=True, type=Path)
    parser.add_argument("--file", type=Path)
    parser.add_argument("--sop", required=True)
    parser.add_argument("--version")
    parser.add_argument("--options", default="{}",
                        help="JSON: agency, tz, mapping, pii_columns, keep_columns | fixes, by")
    args = parser.parse_args(argv)
    opts = json.loads(args.options)
    try:
        if args.command == "review":
            outcome = run_review(args.db, sop_id=args.sop, version=args.version, fixes=opts.get("fixes") or {},
                                 by=opts.get("by") or "")
        else:
            outcome = run_upload(
                args.db, args.file, sop_id=args.sop, agency=opts.get("agency"), tz=opts.get("tz"),
                mapping=opts.get("mapping"), pii_columns=tuple(opts.get("pii_columns") or ()),
                keep_columns=tuple(opts.get("keep_columns") or ()),
                progress=lambda stage, done, total: _emit(
                    {"event": "progress", "stage": stage, "done": done, "total": total}),
            )
    except PantauError as exc:
        _emit({"event": "error", "type": type(exc).__name__, "message": exc.message,
               "hint": exc.hint, "file": exc.file, "row": exc.row, "field": exc.field})
        return 1
    except Exception as exc:  # a bug: still a message, never a hung progress bar
        _emit({"event": "error", "type": "PantauError", "message": f"{type(exc).__name__}: {exc}",
               "hint": "see the dashboard's console for details"})
        raise
    _emit({"event": "done", **outcome})
    return 0


def overall(stage: str, done: int, total: int) -> float:
    """Progress of the whole job in [0, 1] from one stage's ``done``/``total``."""
    lo, hi = STAGE_SPAN.get(stage, (0.0, 1.0))
    share = min(max(done / total, 0.0), 1.0) if total else 1.0
    return lo + (hi - lo) * share


def job_error(event: dict[str, Any]) -> PantauError:
    """The :class:`PantauError` a job's ``error`` event describes (same class when known)."""
    cls = getattr(errors, str(event.get("type")), PantauError)
    if not (isinstance(cls, type) and issubclass(cls, PantauError)):
        cls = PantauError
    kwargs = {k: event.get(k) for k in ("hint", "file", "row", "field")}
    for base in cls.__mro__:  # a subclass with another signature: the nearest base that takes these
        if issubclass(base, PantauError):
            try:
                return base(event.get("message") or "the job failed", **kwargs)
            except TypeError:
                continue
    return PantauError(event.get("message") or "the job failed", **kwargs)


def start_upload(db: Path, file: Path, *, sop_id: str, agency: str | None = None, tz: str | None = None,
                 mapping: dict[str, str] | None = None, pii_columns: tuple[str, ...] = (),
                 keep_columns: tuple[str, ...] = ()) -> Iterator[dict[str, Any]]:
    """Run the upload job in a separate process; yield its progress events, return at "done".

    Raises the job's :class:`PantauError` (same class when known) on failure. If the caller
    stops listening, the job still finishes (and swaps) on its own.
    """
    options = {"agency": agency, "tz": tz, "mapping": mapping or {}, "pii_columns": list(pii_columns),
               "keep_columns": list(keep_columns)}
    yield from _job(["upload", "--db", str(db), "--file", str(file), "--sop", sop_id, "--options", json.dumps(options)])


def start_review(db: Path, *, sop_id: str, version: str, fixes: dict[str, Any], by: str) -> dict[str, Any]:
    """Save a reviewed, confirmed version of a draft in a separate process (the page never
    writes the store); returns the job's "done" event. Raises the job's :class:`PantauError`
    (a fix the model checks refuse names the step and field)."""
    args = ["review", "--db", str(db), "--sop", sop_id, "--version", version,
            "--options", json.dumps({"fixes": fixes, "by": by})]
    return [e for e in _job(args) if e.get("event") == "done"][-1]


def _job(args: list[str]) -> Iterator[dict[str, Any]]:
    env = dict(os.environ, PM4PY_SHOW_PROGRESS_BAR="False", PYTHONUNBUFFERED="1")
    with tempfile.TemporaryFile(mode="w+") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "dashboard.jobs", *args],
                                stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
        final: dict[str, Any] | None = None
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue  # a library printing on stdout
            if event.get("event") in ("done", "error"):
                final = event
            yield event
        proc.wait()
        if final is None or final.get("event") == "error":
            if final is None:
                stderr.seek(0)
                tail = stderr.read()[-2000:]
                final = {"message": f"the job stopped (exit {proc.returncode}): {tail.strip()}"}
            raise job_error(final)


if __name__ == "__main__":
    raise SystemExit(main())
