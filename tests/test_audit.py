"""The audit log: append-only, hash-chained; verify names an edited, deleted or moved entry.

Files are real JSONL files in tmp_path, changed the way someone with a text editor would.
"""

from __future__ import annotations

import itertools
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pantau import audit
from pantau.errors import AuditError
from pantau_cli import main


def _log(tmp_path: Path, n: int = 6) -> audit.AuditLog:
    log = audit.AuditLog(tmp_path / "x.audit.jsonl")
    start = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    for i in range(n):
        log.record(f"user{i % 2}", "analis", audit.PAGE_VIEW, {"page": "ringkasan", "filters": {"agency": "A"}},
                   now=start + timedelta(minutes=i))
    return log


def _lines(log: audit.AuditLog) -> list[str]:
    return log.path.read_text(encoding="utf-8").splitlines(keepends=True)


def test_entries_chain_to_each_other_and_verify(tmp_path) -> None:
    log = _log(tmp_path)
    entries = list(log.entries())
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5, 6]
    assert entries[0].prev == audit.GENESIS
    assert all(b.prev == a.hash for a, b in itertools.pairwise(entries))
    assert all(audit.content_hash(e.body()) == e.hash for e in entries)
    result = audit.verify(log.path)
    assert result.ok and result.entries == 6 and result.head == entries[-1].hash


def test_an_edited_entry_is_named(tmp_path) -> None:
    log = _log(tmp_path)
    lines = _lines(log)
    lines[2] = lines[2].replace('"user0"', '"user9"')
    log.path.write_text("".join(lines), encoding="utf-8")
    result = audit.verify(log.path)
    assert not result.ok
    assert any(p.startswith("entry 3 (line 3): changed after it was written") for p in result.problems)


def test_a_deleted_entry_is_named(tmp_path) -> None:
    log = _log(tmp_path)
    lines = _lines(log)
    del lines[3]
    log.path.write_text("".join(lines), encoding="utf-8")
    result = audit.verify(log.path)
    assert any("entry 5 (line 4): the chain is broken" in p for p in result.problems), result.problems


def test_reordered_entries_are_named(tmp_path) -> None:
    log = _log(tmp_path)
    lines = _lines(log)
    lines[1], lines[2] = lines[2], lines[1]
    log.path.write_text("".join(lines), encoding="utf-8")
    result = audit.verify(log.path)
    assert any(p.startswith("entry 3 (line 2): the chain is broken") for p in result.problems), result.problems


def test_entries_removed_at_the_end_are_caught_by_the_head_file(tmp_path) -> None:
    log = _log(tmp_path)
    log.path.write_text("".join(_lines(log)[:-2]), encoding="utf-8")
    result = audit.verify(log.path)
    assert result.problems == ["the log ends at entry 4 but the head file names entry 6: entries at the end "
                               "were removed, or the head file was changed"]


def test_an_edit_with_a_recomputed_hash_still_breaks_the_chain(tmp_path) -> None:
    log = _log(tmp_path)
    lines = _lines(log)
    obj = json.loads(lines[1])
    obj["details"]["page"] = "kasus"
    body = {k: v for k, v in obj.items() if k != "hash"}
    obj["hash"] = audit.content_hash(body)
    lines[1] = json.dumps(obj, sort_keys=True, separators=(",", ":")) + "\n"
    log.path.write_text("".join(lines), encoding="utf-8")
    result = audit.verify(log.path)
    assert any(p.startswith("entry 3 (line 3): the chain is broken") for p in result.problems), result.problems


def test_concurrent_writers_keep_one_chain(tmp_path) -> None:
    log = audit.AuditLog(tmp_path / "c.audit.jsonl")
    threads = [threading.Thread(target=lambda i=i: [log.record(f"u{i}", "analis", audit.PAGE_VIEW, {"n": k})
                                                     for k in range(25)]) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = audit.verify(log.path)
    assert result.ok and result.entries == 100


def test_since_reads_backwards_only_what_it_needs(tmp_path) -> None:
    log = _log(tmp_path, n=6)
    start = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert [e.seq for e in log.since(start + timedelta(minutes=4))] == [5, 6]
    assert log.since(start + timedelta(hours=1)) == []


def test_unknown_events_and_an_unreadable_last_entry_are_refused(tmp_path) -> None:
    log = _log(tmp_path, n=2)
    with pytest.raises(AuditError, match="unknown audit event"):
        log.record("u", "r", "coffee")
    with log.path.open("a", encoding="utf-8") as fh:
        fh.write("not json\n")
    with pytest.raises(AuditError, match="pantau audit verify"):
        log.record("u", "r", audit.LOGIN)


def run(args: list[str]) -> int:
    """``pantau ARGS`` in this process; its exit status."""
    try:
        main(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_cli_verify_exits_1_naming_the_entry_and_list_filters(tmp_path, capsys) -> None:
    log = _log(tmp_path)
    assert run(["audit", "verify", "--file", str(log.path)]) == 0
    assert "6 entries, chain intact" in capsys.readouterr().out
    assert run(["audit", "list", "--file", str(log.path), "--user", "user1", "--since",
                "2026-11-30T08:02+00:00"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in out] == ["4", "6"]
    lines = _lines(log)
    lines[4] = lines[4].replace('"ringkasan"', '"deviasi"')
    log.path.write_text("".join(lines), encoding="utf-8")
    assert run(["audit", "verify", "--file", str(log.path)]) == 1
    assert "entry 5 (line 5): changed after it was written" in capsys.readouterr().err
