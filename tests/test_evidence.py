"""Evidence packs (issue 12.5): made twice from the same run, a pack is byte-identical apart from
its creation time; its manifest verifies, and fails on any changed byte (HTML by the manifest
inside it, PDF by the manifest file beside it); the PDF's text holds the case's event ids; an
acceptance is in the pack; no personal value of the hostile corpus reaches a pack raw."""

from __future__ import annotations

import calendar
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from access_browser import ROOT, pantau

from dashboard.documents import evidence as packs
from dashboard.documents import manifest as seal
from event_logs import acceptances
from event_logs.store import open_store

sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "hostile"))
import make_corpus as corpus

T1 = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
T2 = datetime(2025, 3, 9, 17, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def store(analysed_db: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple]:
    """A copy of the analysed store with one case's finding accepted: (path, (sop, agency, case, kind))."""
    db = tmp_path_factory.mktemp("evidence") / "store.duckdb"
    shutil.copyfile(analysed_db, db)
    con = open_store(db)
    try:
        sop, agency, case, kind = con.execute("""
            SELECT d.sop_id, d.agency, d.case_id, min(d.kind) FROM deviations d
            JOIN case_checks c USING (sop_id, agency, case_id) WHERE NOT coalesce(c.is_open, false)
            GROUP BY ALL HAVING count(DISTINCT d.kind) >= 2 ORDER BY ALL LIMIT 1""").fetchall()[0]
        acceptances.accept(con, db, acceptances.Target(sop_id=sop, kind=kind, case_id=case, agency=agency),
                           reason="Berkas susulan diterima Inspektorat", by="Inspektur Pembantu II")
    finally:
        con.close()
    return db, (sop, agency, case, kind)


def _case_pack(db: Path, sop: str, agency: str, case: str, created: datetime, **kw) -> packs.Pack:
    con = open_store(db)
    try:
        return packs.case_pack(con, sop, case, agency=agency, created=created, **kw)
    finally:
        con.close()


def _events(db: Path, sop: str, agency: str, case: str) -> list[int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT event_id FROM events WHERE sop_id = ? AND agency = ? AND case_id = ? "
                                          "ORDER BY event_id", [sop, agency, case]).fetchall()]
    finally:
        con.close()


def test_the_same_run_gives_the_same_pack_apart_from_its_creation_time(store) -> None:
    db, (sop, agency, case, _kind) = store
    one, two = _case_pack(db, sop, agency, case, T1), _case_pack(db, sop, agency, case, T2)
    assert one.html != two.html
    assert one.manifest["content_sha256"] == two.manifest["content_sha256"]
    stamp = {T1.isoformat(): "CREATED", T2.isoformat(): "CREATED"}

    def without_time(text: str) -> str:
        for value, mark in stamp.items():
            text = text.replace(value, mark)
        return text

    assert without_time(one.html) == without_time(two.html)
    assert one.html.count(T1.isoformat()) >= 2  # the meta and the manifest: nothing else changes
    # a period pack too
    month = _first_month(db, sop, agency)
    con = open_store(db)
    try:
        p1, p2 = (packs.period_pack(con, sop, agency, *month, created=t) for t in (T1, T2))
    finally:
        con.close()
    assert without_time(p1.html) == without_time(p2.html)


def _first_month(db: Path, sop: str, agency: str) -> tuple:
    con = duckdb.connect(str(db), read_only=True)
    try:
        day = con.execute("SELECT min(first_day) FROM case_checks WHERE sop_id = ? AND agency = ?",
                          [sop, agency]).fetchall()[0][0]
    finally:
        con.close()
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def test_the_pack_says_what_the_store_holds(store) -> None:
    db, (sop, agency, case, kind) = store
    pack = _case_pack(db, sop, agency, case, T1)
    con = duckdb.connect(str(db), read_only=True)
    try:
        run_id, model = con.execute("SELECT run_id, model_sha256 FROM case_checks WHERE sop_id = ? AND agency = ? "
                                    "AND case_id = ?", [sop, agency, case]).fetchall()[0]
        as_of = con.execute("SELECT as_of FROM runs WHERE run_id = ?", [run_id]).fetchall()[0][0]
        calendar_version = con.execute("SELECT calendar_version FROM runs WHERE run_id = ?", [run_id]).fetchall()[0][0]
    finally:
        con.close()
    events = _events(db, sop, agency, case)
    assert pack.manifest["event_ids"] == events and pack.manifest["run_id"] == run_id
    assert pack.manifest["model_sha256"] == model
    for text in (case, model, str(calendar_version), "Berkas susulan diterima Inspektorat", "Inspektur Pembantu II"):
        assert text in pack.html, text
    assert as_of is not None and pack.manifest["as_of"]
    # the finding's own pack holds only that kind
    finding = _case_pack(db, sop, agency, case, T1, kind=kind)
    assert finding.kind == "finding" and finding.manifest["subject"]["kind"] == kind
    assert finding.manifest["content_sha256"] != pack.manifest["content_sha256"]


def test_the_manifest_verifies_and_fails_on_a_changed_byte(store, tmp_path: Path) -> None:
    db, (sop, agency, case, _kind) = store
    pack = _case_pack(db, sop, agency, case, T1)
    html_file, pdf_file, side = packs.write(pack, tmp_path / "pack", "both")
    assert side == seal.sidecar_for(html_file)
    assert seal.verify_file(html_file).ok and seal.verify_file(pdf_file).ok
    assert seal.verify_file(html_file, pack.manifest["content_sha256"]).ok
    assert not seal.verify_file(html_file, "0" * 64).ok
    # one byte of an event id changed in the HTML
    text = html_file.read_text(encoding="utf-8")
    event = str(pack.manifest["event_ids"][0])
    at = text.index(f">{event}<") + 1
    changed = text[:at] + ("9" if text[at] != "9" else "8") + text[at + 1:]
    bad = tmp_path / "bad.html"
    bad.write_text(changed, encoding="utf-8")
    check = seal.verify_file(bad)
    assert not check.ok and "the content was changed" in check.problems[0]
    # the creation time changed, the manifest JSON changed
    bad.write_text(text.replace(T1.isoformat(), T2.isoformat(), 1), encoding="utf-8")
    assert not seal.verify_file(bad).ok
    bad.write_text(text.replace('"run_id":', '"run_id":1', 1), encoding="utf-8")
    assert not seal.verify_file(bad).ok
    # one byte of the PDF
    data = bytearray(pdf_file.read_bytes())
    data[len(data) // 2] ^= 1
    pdf_file.write_bytes(bytes(data))
    assert "the file was changed" in seal.verify_file(pdf_file).problems[0]
    # and through the CLI: exit 0 for the copy, 1 for the changed one, naming the problem
    ok = pantau("evidence", "verify", str(html_file))
    assert ok.returncode == 0 and pack.manifest["content_sha256"] in ok.stdout
    bad.write_text(changed, encoding="utf-8")
    no = pantau("evidence", "verify", str(bad))
    assert no.returncode == 1 and "the content was changed" in no.stderr


def test_the_pdf_text_holds_the_event_ids_and_the_cli_writes_both(store, tmp_path: Path) -> None:
    db, (sop, agency, case, _kind) = store
    done = pantau("evidence", "--db", str(db), "--case", case, "--sop", sop, "--agency", agency,
                  "-o", str(tmp_path / "cli"))
    assert done.returncode == 0, done.stderr
    pdf = tmp_path / "cli.pdf"
    assert (tmp_path / "cli.html").is_file() and (tmp_path / "cli.manifest.json").is_file()
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert [e for e in _events(db, sop, agency, case) if str(e) not in text] == []
    assert case in text and "sha256" in text
    assert pantau("evidence", "verify", str(pdf)).returncode == 0


def test_no_personal_value_reaches_a_pack(tmp_path: Path) -> None:
    from analytics import analyze
    from event_logs.ingest import ingest_file

    db = tmp_path / "pii.duckdb"
    ingest_file(db, corpus.HERE / "pii_everywhere.csv", sop_id=corpus.SOP)
    analyze(db)
    con = open_store(db)
    try:
        cases = con.execute("SELECT sop_id, agency, case_id FROM case_checks ORDER BY ALL").fetchall()
        found = con.execute("SELECT sop_id, agency, case_id, kind FROM deviations ORDER BY ALL LIMIT 1").fetchall()
        assert found  # a reason typed with a NIK in it keeps no NIK
        sop, agency, case, kind = found[0]
        acceptances.accept(con, db, acceptances.Target(sop_id=sop, kind=kind, case_id=case, agency=agency),
                           reason=f"pemohon NIK {corpus.NIKS[0]} melengkapi", by="auditor")
    finally:
        con.close()
    assert cases
    blobs = []
    for sop, agency, case in cases:
        pack = _case_pack(db, sop, agency, case, T1)
        blobs.append(pack.html)
        pdf = tmp_path / "p.pdf"
        pdf.write_bytes(pack.pdf())
        blobs.append(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout)
    con = open_store(db)
    try:
        day = con.execute("SELECT min(first_day), max(first_day) FROM case_checks").fetchall()[0]
        blobs.append(packs.period_pack(con, cases[0][0], cases[0][1], *day, created=T1).html)
    finally:
        con.close()
    blob = "\n".join(blobs)
    assert [v for v in corpus.PERSONAL_VALUES if v in blob] == []
