"""Issue 14 "Done when": a user with only the README, a Word SOP and an Excel log gets a reviewed
model, an analysis and the dashboard for their agency, without touching the package.

The test runs the commands of the README's "Bring your own SOP" section exactly as printed
there (read from README.md, in their order) through the console script's entry point, on a
generated ``.docx`` (tests/fixtures/sop_docs/000.docx, the Batam integration SOP as a Word file)
and an Excel log written here with openpyxl; then Streamlit's AppTest opens the dashboard on
the store. Whether each case is on time follows from how the log is built (below), not from
a run's output.
"""

from __future__ import annotations

import os

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")

import re
import shlex
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import typer.main
from dashboard_fixture import open_page, store_rows
from openpyxl import Workbook
from registry_helpers import run_cli

from dashboard import fmt
from dashboard.catalog import agency_short
from pantau_cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCX = ROOT / "tests" / "fixtures" / "sop_docs" / "000.docx"
AGENCY = "Dinas Kesehatan Kota Uji"
# The draft's step names (the Kegiatan column of 000.docx), as an export would print them.
LABELS = ("Menerima Dokumen Pendukung dari Pemohon Bantuan",
          "Melakukan verifikasi dokumen, jika tidak sesuai, dikembalikan ke pemohon",
          "Mengarahkan pemohon untuk mengisi form permohonan",
          "Memberikan nomor resi dan menyerahkan resi jaminan bantuan kepada pemohon bantuan",
          "Memasukkan data secara online atau manual, jika dalam kondisi sakit dapat diaktifkan "
          "secara langsung selama masa berlaku status UHC")
# Working days of July 2024 without a holiday in Indonesia: one case starts on each at 08:30.
DAYS = [date(2024, 7, d) for d in (1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 15, 16)]
# The verification (s02, Mutu Baku 20 Menit) takes 40 minutes in every third case, 15 in the
# others; the other steps stay within their 5 / 5 / 15 minutes.
SLOW = {i for i in range(len(DAYS)) if i % 3 == 0}


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert match, f"README.md has no section '## {title}'"
    return match.group(1)


def _commands(text: str) -> list[str]:
    """The ``pantau ...`` lines of the sh blocks in ``text``, in order."""
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    return [line.split("  #")[0].strip() for b in blocks for line in b.splitlines()
            if line.strip().startswith("pantau ")]


def write_excel_log(path: Path) -> Path:
    """The agency's export: one sheet, its own column names, Excel date-times (local, no zone)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Permohonan"
    ws.append(["No Permohonan", "Kegiatan", "Waktu", "Petugas"])
    for i, day in enumerate(DAYS):
        t = datetime.combine(day, datetime.min.time()) + timedelta(hours=8, minutes=30)
        for label, minutes in zip(LABELS, (0, 40 if i in SLOW else 15, 4, 4, 10), strict=True):
            t += timedelta(minutes=minutes)
            ws.append([f"REG-{i + 1:03d}", label, t, "loket-1"])
    wb.save(path)
    return path



@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's commands run in a fresh folder holding only sop.docx and log.xlsx."""
    folder = tmp_path_factory.mktemp("byo")
    shutil.copy(DOCX, folder / "sop.docx")
    write_excel_log(folder / "log.xlsx")
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        commands = _commands(_section("Bring your own SOP"))
        assert [c.split()[1:3] for c in commands] == [
            ["sop", "add"], ["sop", "show"], ["sop", "confirm"], ["ingest", "log.xlsx"],
            ["analyze", "--db"], ["dashboard", "--db"]]
        for line in commands[:-1]:  # the last one serves the dashboard: AppTest opens it below
            code, out, err = run_cli(shlex.split(line)[1:])
            assert code == 0, (line, out, err)
            assert "Traceback" not in err
    finally:
        os.chdir(cwd)
    db = folder / shlex.split(commands[-1])[-1]
    assert db.exists()
    return db


def test_the_readme_commands_give_a_confirmed_model_and_an_analysis(store: Path) -> None:
    (sop_id, status, origin, added_by, confirmed_by, revision), = store_rows(store, """
        SELECT sop_id, status, origin, added_by, confirmed_by, revision FROM models
        WHERE agency = 'Dinas Kesehatan Kota Uji'""")
    assert (sop_id, status, origin, added_by, confirmed_by, revision) == (
        "kota-uji-integrasi", "confirmed", "document", "ina", "budi", "04")
    # every event of the Excel file is loaded, and every case analysed for this agency
    assert store_rows(store, "SELECT count(*), count(DISTINCT case_id) FROM events") == [(5 * len(DAYS), len(DAYS))]
    assert store_rows(store, "SELECT DISTINCT agency, sop_id FROM case_checks") == [(AGENCY, sop_id)]
    breaches = store_rows(store, "SELECT case_id, step_id FROM step_checks WHERE status = 'breach' ORDER BY 1")
    assert breaches == [(f"REG-{i + 1:03d}", "s02") for i in sorted(SLOW)]
    assert store_rows(store, "SELECT count(*) FILTER (WHERE conformant), count(*) FILTER (WHERE is_open) "
                     "FROM case_checks") == [(len(DAYS), 0)]



def test_the_dashboard_shows_the_agencys_results(monkeypatch: pytest.MonkeyPatch, store: Path) -> None:
    at = open_page(monkeypatch, store, "ringkasan")
    shown = {m.label: m.value for m in at.metric}
    assert shown["Kasus"] == fmt.number(len(DAYS))
    assert shown["Tepat Mutu Baku"] == fmt.percent((len(DAYS) - len(SLOW)) / len(DAYS))
    assert shown["Sesuai alur SOP"] == fmt.percent(1.0)
    table = at.dataframe[0].value
    assert list(table["Instansi"]) == [agency_short(AGENCY)]  # the only agency with data
    # the agency filter offers the agency, and not the bundled SOPs' agencies (they have no data)
    assert at.selectbox(key="agency").options == [AGENCY]

    slow = f"REG-{min(SLOW) + 1:03d}"
    at = open_page(monkeypatch, store, "kasus", {"case": slow})
    assert any(agency_short(AGENCY) in m.value for m in at.markdown)
    assert {m.label: m.value for m in at.metric}["Pelanggaran"] == fmt.number(1)


def _cli_tree() -> dict[str, set[str]]:
    """Every ``pantau ...`` command path and its long options."""
    found: dict[str, set[str]] = {}

    def walk(group: object, prefix: str) -> None:
        if hasattr(group, "commands"):
            for name, cmd in group.commands.items():
                walk(cmd, f"{prefix} {name}")
        else:
            found[prefix] = {o for p in group.params for o in p.opts if o.startswith("--")}

    walk(typer.main.get_command(app), "pantau")
    return found


def test_every_command_in_the_readme_exists_with_its_options() -> None:
    tree = _cli_tree()
    lines = _commands(README)
    assert len(lines) > 15
    for line in lines:
        words = shlex.split(line)
        path = next((" ".join(words[:n]) for n in (3, 2) if " ".join(words[:n]) in tree), None)
        assert path, f"README.md: '{line}' is not a pantau command"
        unknown = {w for w in words if w.startswith("--")} - tree[path]
        assert not unknown, f"README.md: '{line}': {path} has no option {sorted(unknown)}"
