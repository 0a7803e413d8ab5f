"""Helpers for the registry tests: a small SOP model file, a log of its cases, the CLI in-process.

The model is written by the test (not a bundled one), so the tests show what a user outside
the package does: bring a model file, add it to a store, import a log, analyse.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest

SOP_ID = "kab-contoh-izin"
STEPS = (("s01", "Menerima berkas permohonan", "Petugas Loket"),
         ("s02", "Memeriksa kelengkapan berkas", "Petugas Loket"),
         ("s03", "Menandatangani surat izin", "Kepala Dinas"))


def model_yaml(*, revision: str = "01", effective: str = "2024-01-01", waktu_s02: str = "2 Jam",
               flow: str = "[s01, s02, s03]", sop_id: str = SOP_ID, agency: str = "Dinas Contoh") -> str:
    """A small model file: three steps in two lanes; s02's Waktu and the flow can be varied."""
    steps = "\n".join(
        f"  - {{id: {sid}, \"no\": \"{n}\", name: {name}, lane: {lane}, waktu: "
        f"{waktu_s02 if sid == 's02' else '1 Hari'}}}" for n, (sid, name, lane) in enumerate(STEPS, 1))
    return (f"id: {sop_id}\ntitle: Izin Contoh\nagency: {agency}\nregion: Kabupaten Contoh\n"
            f"timezone: Asia/Jakarta\nsource: izin-contoh.docx\nrevision: \"{revision}\"\n"
            f"effective: {effective}\nlanes: [Petugas Loket, Kepala Dinas]\nsteps:\n{steps}\nflow: {flow}\n")


def write_model(folder: Path, name: str = f"{SOP_ID}.yaml", **kw: str) -> Path:
    """:func:`model_yaml` written to ``folder/name``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(model_yaml(**kw), encoding="utf-8")
    return path


def write_log(path: Path, starts: Sequence[datetime], s02_minutes: Sequence[int],
              names: Sequence[str] = tuple(s[1] for s in STEPS), prefix: str = "C") -> Path:
    """A CSV log of complete events: case i does s01 at ``starts[i]`` (local time, no zone),
    s02 ``s02_minutes[i]`` later, s03 ten minutes after that."""
    rows = []
    for i, (t0, work) in enumerate(zip(starts, s02_minutes, strict=True), start=1):
        t2 = t0 + timedelta(minutes=work)
        for name, ts in zip(names, (t0, t2, t2 + timedelta(minutes=10)), strict=True):
            rows.append((f"{prefix}{i:03d}", name, ts.isoformat(sep=" ")))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["case_id", "activity", "timestamp"])
        writer.writerows(rows)
    return path


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``pantau ARGS`` in this process as the console script does; (exit code, stdout, stderr)."""
    from pantau_cli import main

    capsys.readouterr()
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """``pantau ARGS`` through the console script's entry point, without capsys (for a
    module-scoped fixture): (exit code, stdout, stderr)."""
    from pantau_cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()
