"""Fixtures and helpers for the ingest tests (imported explicitly by tests/test_ingest*.py).

The SOP model is a real one (``batam-dinkes-integrasi-jkn`` from sop_models/models) when it
loads; otherwise a small model of the same shape is written to tmp_path, so these tests
do not wait for the curated models. Tests derive labels from the model's steps, never
from hard-coded step names.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from sop_models.loader import get_model, load_model
from sop_models.model import SopModel

ROOT = Path(__file__).resolve().parents[1]
REAL_SOP = "batam-dinkes-integrasi-jkn"

FALLBACK_YAML = """\
id: {id}
title: Integrasi Peserta JKN (ingest test model)
agency: Dinas Kesehatan Kota Batam
region: Kota Batam
timezone: {timezone}
source: 000_41f6d9e0ae68eb16.txt
lanes: [Petugas Pelayanan Bantuan, Kepala Dinas, BPJS Kesehatan]
steps:
  - {{id: s01, name: Menerima Dokumen Pendukung dari Pemohon Bantuan, lane: Petugas Pelayanan Bantuan, waktu: 5 Menit}}
  - {{id: s02, name: "Melakukan verifikasi dokumen, jika tidak sesuai, dikembalikan ke pemohon", lane: Petugas Pelayanan Bantuan, waktu: 20 Menit}}
  - {{id: s03, name: Memasukkan data secara online atau manual, lane: Petugas Pelayanan Bantuan, waktu: 15 Menit}}
  - {{id: s04, name: Meminta persetujuan pimpinan, lane: Kepala Dinas, waktu: 2 Hari}}
  - {{id: s05, name: Menerima feedback dari BPJS Kesehatan terkait keberhasilan proses integrasi, lane: BPJS Kesehatan, waktu: 10 Hari}}
flow: [s01, s02, s03, s04, s05]
"""


@dataclass(frozen=True)
class Sop:
    """The SOP a test imports into: its id, where its model lives, the model itself."""

    id: str
    models_dir: Path | None
    model: SopModel

    def kw(self) -> dict[str, Any]:
        """Keyword arguments for ingest_file."""
        return {"sop_id": self.id, "models_dir": self.models_dir}


def write_model(directory: Path, sop_id: str, timezone: str) -> Sop:
    """A small model file in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{sop_id}.yaml"
    path.write_text(FALLBACK_YAML.format(id=sop_id, timezone=timezone), encoding="utf-8")
    return Sop(sop_id, directory, load_model(path))


@pytest.fixture
def sop(tmp_path: Path) -> Sop:
    """The real Batam integration SOP (WIB) if its model loads, else a stand-in in tmp_path."""
    try:
        model = get_model(REAL_SOP)
    except Exception:  # the curated models may be mid-edit; the stand-in keeps tests honest
        return write_model(tmp_path / "models", "ingest-test", "Asia/Jakarta")
    if len(model.steps) < 3 or model.timezone != "Asia/Jakarta":
        return write_model(tmp_path / "models", "ingest-test", "Asia/Jakarta")
    return Sop(model.id, None, model)


@pytest.fixture(autouse=True)
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch the user's key file: PANTAU_KEY_FILE points into tmp_path."""
    path = tmp_path / "keys" / "secret.key"
    monkeypatch.setenv("PANTAU_KEY_FILE", str(path))
    return path


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], *,
              delimiter: str = ",", encoding: str = "utf-8") -> Path:
    """A CSV written by the csv module (quoting as a spreadsheet would)."""
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def query(db: Path, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` on the store (read-only connection, closed again)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def query_steps(db: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` where ``events`` also carry the step and lane each label maps to."""
    from event_steps import connect_with_steps

    con = connect_with_steps(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def counts(db: Path) -> dict[str, int]:
    """Row counts of the four tables an import writes."""
    return {t: query(db, f"SELECT count(*) FROM {t}")[0][0]
            for t in ("imports", "events", "cases", "quarantine")}


def run_python(code: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start ``python -c code args`` from the repo root (stdout piped, line-buffered)."""
    return subprocess.Popen([sys.executable, "-u", "-c", code, *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
