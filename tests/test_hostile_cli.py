"""Issue 10, errors not tracebacks: every hostile case a user can cause ends in
``Error: ... / Hint: ...`` and exit 1 — a broken .xlsx, no key and no writable home, a CSV
line past DuckDB's limit, analyze on a full disk — and CR-only files simply import."""

# ruff: noqa: F811  (fixtures imported from conftest_ingest are parameters of the same name)

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest_ingest import ROOT, key_file  # noqa: F401

sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "hostile"))
import make_corpus as corpus

CORPUS = corpus.HERE
SOP = corpus.SOP
PANTAU = [sys.executable, "-c", "from pantau_cli import main; main()"]


def _run(args: list[str], env: dict[str, str], **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PANTAU, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False, **kw)


@pytest.fixture
def env(key_file: Path) -> dict[str, str]:
    out = {**os.environ, "PANTAU_KEY_FILE": str(key_file), "PM4PY_SHOW_PROGRESS_BAR": "False"}
    out.pop("PANTAU_SECRET", None)
    return out


def _is_error(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("Error: ") and "\nHint: " in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_cr_only_line_ends_import(tmp_path: Path, env: dict[str, str]) -> None:
    done = _run(["ingest", str(CORPUS / "cr_only.csv"), "--db", str(tmp_path / "s.duckdb"), "--sop", SOP, "-q"], env)
    assert done.returncode == 0, done.stderr
    assert "2 loaded" in done.stdout


def test_a_broken_xlsx_is_an_error(tmp_path: Path, env: dict[str, str]) -> None:
    done = _run(["ingest", str(CORPUS / "broken.xlsx"), "--db", str(tmp_path / "s.duckdb"), "--sop", SOP, "-q"], env)
    _is_error(done)
    assert "damaged" in done.stderr and "site-packages" not in done.stderr


def test_no_key_and_no_writable_home_is_an_error(tmp_path: Path, env: dict[str, str]) -> None:
    env = {k: v for k, v in env.items() if k != "PANTAU_KEY_FILE"}
    env["HOME"] = "/proc"  # no folder can be made there, not even by root
    done = _run(["ingest", str(CORPUS / "cr_only.csv"), "--db", str(tmp_path / "s.duckdb"), "--sop", SOP, "-q"], env)
    _is_error(done)
    assert "HMAC key file" in done.stderr and "PANTAU_SECRET" in done.stderr


def test_a_line_past_the_csv_limit_is_an_error_without_its_text(tmp_path: Path, env: dict[str, str]) -> None:
    path = corpus.write_large(tmp_path)
    done = _run(["ingest", str(path), "--db", str(tmp_path / "s.duckdb"), "--sop", SOP, "-q"], env)
    assert done.returncode == 1 and done.stderr.startswith("Error: ") and "Traceback" not in done.stderr
    assert len(done.stderr) < 600 and corpus.NIKS[0] not in done.stderr and corpus.NAMES[0] not in done.stderr


def _file_size_limit(size: int):
    def limit() -> None:  # a full disk, as a process sees it: writes past `size` fail
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return limit


@pytest.mark.slow
def test_analyze_on_a_full_disk_is_an_error(tmp_path: Path, env: dict[str, str]) -> None:
    db = tmp_path / "s.duckdb"
    assert _run(["simulate", "--db", str(db), "--cases", "150", "--seed", "2", "--sop", SOP, "-q"], env).returncode == 0
    before = tmp_path / "before.duckdb"
    shutil.copyfile(db, before)
    done = _run(["analyze", "--db", str(db), "-q"], env, preexec_fn=_file_size_limit(50_000))
    _is_error(done)
    assert "free space" in done.stderr
    # nothing was changed: the store opens and holds no run
    again = _run(["analyze", "--db", str(db), "-q"], env)
    assert again.returncode == 0 and "analysis run 1" in again.stdout, again.stderr


def test_memory_and_disk_failures_become_errors_with_hints() -> None:
    import duckdb
    import pyarrow as pa

    from pantau_cli import _unexpected

    memory = _unexpected(pa.ArrowMemoryError("malloc of size 1073741824 failed"))
    assert memory is not None and "max_decompressed_mb" in (memory.hint or "")
    disk = _unexpected(duckdb.IOException("Could not write file \"/srv/x.duckdb.wal\": No space left on device"))
    assert disk is not None and "free space" in (disk.hint or "") and "/srv" not in str(disk)
    assert _unexpected(ZeroDivisionError()) is None  # a bug stays a traceback
