"""The audit log: who saw and did what, in an append-only file chained entry to entry.

One JSON object per line (JSONL) in a writable file beside the store (the store itself stays
read-only for the dashboard). Each entry holds ``seq`` (1, 2, ...), ``time`` (UTC), ``user``,
``role``, ``event`` (one of :data:`EVENTS`), ``details``, ``prev`` — the ``hash`` of the
entry before it (:data:`GENESIS` for the first) — and ``hash``, the SHA-256 of its own
canonical JSON without ``hash``. So an edited entry no longer matches its hash, and a deleted
or moved one breaks the chain of ``prev``/``seq``: :func:`verify` names the entry.

Deleting the *last* entries leaves a valid shorter chain; a head file beside the log
(``<log>.head``: the last ``seq`` and ``hash``) catches that unless it is edited too. Someone
who may write both files can rewrite the whole chain: the head hash printed by ``pantau audit
verify`` is what an auditor writes down (or sends elsewhere) to anchor it.

Appends take an exclusive ``flock`` on the log, so the dashboard's sessions and the CLI may
write at once. Details must hold no raw personal data: callers pass hashed case ids and
redacted free text (the dashboard does, through :mod:`dashboard.auth`).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pantau.errors import AuditError

GENESIS = "0" * 64
LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOCKOUT = "lockout"
LOGOUT = "logout"
SESSION_EXPIRED = "session_expired"
PAGE_VIEW = "page_view"
CASE_VIEW = "case_view"
EXPORT = "export"
DENIED = "denied"
ACCEPTANCE = "acceptance"
EVIDENCE_PACK = "evidence_pack"
UPLOAD = "upload"
ANALYSIS_RUN = "analysis_run"
USER_CHANGE = "user_change"
MODEL_CHANGE = "model_change"  # an SOP model version added, confirmed or reviewed
EVENTS: tuple[str, ...] = (LOGIN, LOGIN_FAILED, LOCKOUT, LOGOUT, SESSION_EXPIRED, PAGE_VIEW,
                           CASE_VIEW, EXPORT, DENIED, ACCEPTANCE, EVIDENCE_PACK, UPLOAD,
                           ANALYSIS_RUN, USER_CHANGE, MODEL_CHANGE)
_BLOCK = 1 << 16


@dataclass(frozen=True)
class Entry:
    """One line of the log."""

    seq: int
    time: datetime
    user: str
    role: str
    event: str
    details: dict[str, Any]
    prev: str
    hash: str

    def body(self) -> dict[str, Any]:
        """The hashed fields (everything but ``hash``), as written."""
        return {"seq": self.seq, "time": self.time.isoformat(), "user": self.user, "role": self.role,
                "event": self.event, "details": self.details, "prev": self.prev}


@dataclass
class Verification:
    """What :func:`verify` found: entries read, the last hash, and one line per problem."""

    entries: int = 0
    head: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the chain is whole."""
        return not self.problems


def content_hash(body: dict[str, Any]) -> str:
    """SHA-256 (hex) of an entry's canonical JSON (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _line(entry: Entry) -> bytes:
    obj = dict(entry.body(), hash=entry.hash)
    return (json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")


def _parse(raw: bytes, *, file: str, line: int) -> Entry:
    try:
        obj = json.loads(raw)
        return Entry(int(obj["seq"]), datetime.fromisoformat(obj["time"]), str(obj["user"]),
                     str(obj["role"]), str(obj["event"]), dict(obj["details"]), str(obj["prev"]),
                     str(obj["hash"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise AuditError(f"entry on line {line} is not a readable audit entry ({exc})", file=file,
                         row=line, hint="run 'pantau audit verify' to see what was changed") from exc


def _lines_backwards(fh: Any) -> Iterator[bytes]:
    """The file's lines from the last to the first, read in blocks from the end."""
    fh.seek(0, os.SEEK_END)
    position = fh.tell()
    rest = b""
    while position > 0:
        step = min(_BLOCK, position)
        position -= step
        fh.seek(position)
        chunk = fh.read(step) + rest
        lines = chunk.split(b"\n")
        rest = lines[0]
        for raw in reversed(lines[1:]):
            if raw.strip():
                yield raw
    if rest.strip():
        yield rest


class AuditLog:
    """The log at ``path`` (created on the first :meth:`record`)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def head_path(self) -> Path:
        """The head file: the last entry's ``seq`` and ``hash``."""
        return self.path.with_name(self.path.name + ".head")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[Any]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o640)
        except OSError as exc:
            raise AuditError(f"cannot open the audit log for writing: {exc.strerror}", file=str(self.path),
                             hint="the folder beside the store must be writable by the dashboard") from exc
        with os.fdopen(fd, "r+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield fh
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def record(self, user: str, role: str, event: str, details: dict[str, Any] | None = None,
               *, now: datetime | None = None) -> Entry:
        """Append one entry (chained to the last) and return it; :class:`AuditError` when the
        log cannot be written or its last entry cannot be read."""
        if event not in EVENTS:
            raise AuditError(f"unknown audit event '{event}'", field="event", hint=f"one of {list(EVENTS)}")
        when = (now or datetime.now(UTC)).astimezone(UTC)
        plain = json.loads(json.dumps(details or {}, default=str, ensure_ascii=False))
        with self._locked() as fh:
            last = next(_lines_backwards(fh), None)
            prev_seq, prev_hash = 0, GENESIS
            if last is not None:
                before = _parse(last, file=str(self.path), line=-1)
                prev_seq, prev_hash = before.seq, before.hash
            body = {"seq": prev_seq + 1, "time": when.isoformat(), "user": user, "role": role,
                    "event": event, "details": plain, "prev": prev_hash}
            entry = Entry(prev_seq + 1, when, user, role, event, plain, prev_hash, content_hash(body))
            try:
                fh.write(_line(entry))
                fh.flush()
                os.fsync(fh.fileno())
                self._write_head(entry)
            except OSError as exc:
                raise AuditError(f"cannot write the audit log: {exc.strerror}", file=str(self.path)) from exc
        return entry

    def _write_head(self, entry: Entry) -> None:
        tmp = self.head_path.with_name(self.head_path.name + ".tmp")
        tmp.write_text(json.dumps({"seq": entry.seq, "hash": entry.hash}) + "\n", encoding="utf-8")
        os.replace(tmp, self.head_path)

    def entries(self) -> Iterator[Entry]:
        """Every entry, oldest first (:class:`AuditError` on a line that is not an entry)."""
        if not self.path.exists():
            return
        with open(self.path, "rb") as fh:
            for number, raw in enumerate(fh, start=1):
                if raw.strip():
                    yield _parse(raw, file=str(self.path), line=number)

    def since(self, start: datetime) -> list[Entry]:
        """Entries written at or after ``start``, oldest first, read backwards from the end
        (cheap however long the log is: the lockout and idle checks use it)."""
        if not self.path.exists():
            return []
        found: list[Entry] = []
        with open(self.path, "rb") as fh:
            for raw in _lines_backwards(fh):
                entry = _parse(raw, file=str(self.path), line=-1)
                if entry.time < start:
                    break
                found.append(entry)
        return found[::-1]


def select(entries: Iterator[Entry] | list[Entry], *, user: str | None = None, since: datetime | None = None,
           event: str | None = None) -> list[Entry]:
    """The entries of ``user``, at or after ``since``, of kind ``event`` (each optional)."""
    return [e for e in entries if (user is None or e.user == user) and (since is None or e.time >= since)
            and (event is None or e.event == event)]


def verify(path: str | Path) -> Verification:
    """Check the whole chain of the log at ``path``: every entry's hash, ``seq`` and ``prev``,
    and the head file. Each problem names the entry (by ``seq``) and its line."""
    log = AuditLog(path)
    result = Verification()
    if not log.path.exists():
        result.problems.append(f"{log.path}: no audit log")
        return result
    expected_seq, prev_hash = 1, GENESIS
    with open(log.path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                entry = _parse(raw, file=str(log.path), line=number)
            except AuditError as exc:
                result.problems.append(f"line {number}: {exc.message}")
                expected_seq += 1
                continue
            result.entries += 1
            where = f"entry {entry.seq} (line {number})"
            if content_hash(entry.body()) != entry.hash:
                result.problems.append(f"{where}: changed after it was written (its hash does not match its content)")
            if entry.seq != expected_seq or entry.prev != prev_hash:
                what = (f"expected entry {expected_seq} here" if entry.seq != expected_seq
                        else "its 'prev' is not the hash of the entry before it")
                result.problems.append(f"{where}: the chain is broken ({what}): an entry before it was "
                                       "deleted, inserted or moved")
            expected_seq, prev_hash = entry.seq + 1, entry.hash
    result.head = prev_hash
    _check_head(log, expected_seq - 1, prev_hash, result)
    return result


def _check_head(log: AuditLog, last_seq: int, last_hash: str, result: Verification) -> None:
    if not log.head_path.exists():
        result.problems.append(f"{log.head_path}: the head file is missing (entries at the end may have been removed)")
        return
    try:
        head = json.loads(log.head_path.read_text(encoding="utf-8"))
        seq, digest = int(head["seq"]), str(head["hash"])
    except (ValueError, KeyError, TypeError, OSError):
        result.problems.append(f"{log.head_path}: the head file is not readable")
        return
    if (seq, digest) != (last_seq, last_hash):
        result.problems.append(f"the log ends at entry {last_seq} but the head file names entry {seq}: "
                               "entries at the end were removed, or the head file was changed")


def describe(details: dict[str, Any]) -> str:
    """``details`` on one line (``key=value`` pairs, nested filters inline)."""
    parts = []
    for key, value in details.items():
        if isinstance(value, dict):
            value = "{" + ", ".join(f"{k}={v}" for k, v in value.items()) + "}"
        parts.append(f"{key}={value}")
    return ", ".join(parts)
