"""Issue 14.1, 14.3, 14.9: the model registry in a store, through the command a user types.

``pantau sop add`` adds a version (model file, SOP document, BPMN/PNML), ``list``/``show``
address versions by revision or sha256 prefix, ``confirm`` makes a draft usable, ``check``
validates stored versions; every path that uses a model refuses one the checks refuse.
"""

from __future__ import annotations

import os

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")

import hashlib
import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from registry_helpers import SOP_ID, cli, model_yaml, write_log, write_model

from event_logs import versions
from event_logs.registry import load_model, register_model
from event_logs.store import open_store, transaction
from pantau.errors import ModelValidationError, SopModelError, UnknownSopError
from sop_models.checks import check_model
from sop_models.loader import build_model, load_all, read_yaml_text

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "tests" / "fixtures" / "sop_docs"
REFERENCE = ROOT / "tests" / "fixtures" / "reference_models"


def _rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_a_new_store_starts_with_the_bundled_models(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.duckdb"
    assert cli(["init", "--db", str(db)], capsys)[0] == 0  # 'sop list' reads a store, never creates one
    code, out, _ = cli(["sop", "list", "--db", str(db), "--json"], capsys)
    assert code == 0
    listed = json.loads(out)
    bundled = {m.id: hashlib.sha256(Path(m.path).read_bytes()).hexdigest() for m in load_all()}
    assert {v["sop_id"]: v["model_sha256"] for v in listed} == bundled
    assert {(v["status"], v["origin"], v["number"]) for v in listed} == {("confirmed", "bundled", 1)}


def test_a_document_is_added_as_a_draft_and_confirmed_by_name(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.duckdb"
    code, out, err = cli(["sop", "add", str(DOCS / "000.docx"), "--db", str(db), "--id", "batam-baru",
                          "--by", "ina"], capsys)
    assert code == 0, err
    assert "draft" in out and "pantau sop confirm batam-baru" in err
    (sha, status, origin, added_by, confirmed_by), = _rows(
        db, "SELECT model_sha256, status, origin, added_by, confirmed_by FROM models WHERE sop_id = 'batam-baru'")
    assert (status, origin, added_by, confirmed_by) == ("draft", "document", "ina", None)
    # the document's text is kept for the review, beside the draft
    (doc,), = _rows(db, "SELECT content FROM model_artifacts WHERE model_sha256 = ? AND kind = 'document_text'", [sha])
    assert "Menerima Dokumen Pendukung" in doc and "\t" in doc
    # a document's draft cannot skip the review
    code, _, err = cli(["sop", "add", str(DOCS / "001.docx"), "--db", str(db), "--by", "ina", "--confirm"], capsys)
    assert code == 1 and err.startswith("Error: ") and "Hint: " in err
    # the listing names the version by number, revision, effective date, status, sha256 prefix
    code, out, _ = cli(["sop", "list", "--db", str(db)], capsys)
    line = next(x for x in out.splitlines() if sha[:12] in x)
    assert "#1" in line and "rev. 04" in line and "2023-06-19" in line and "draft" in line and "ina" in line
    # addressed by its revision, confirmed by name; the audit log beside the store says so
    code, out, err = cli(["sop", "confirm", "batam-baru", "--version", "04", "--by", "budi", "--db", str(db)], capsys)
    assert code == 0, err
    (status, confirmed_by, confirmed_at), = _rows(
        db, "SELECT status, confirmed_by, confirmed_at FROM models WHERE model_sha256 = ?", [sha])
    assert (status, confirmed_by) == ("confirmed", "budi") and confirmed_at is not None
    entries = [json.loads(x) for x in (tmp_path / "s.audit.jsonl").read_text().splitlines()]
    assert [(e["event"], e["details"]["action"], e["details"]["sha256"]) for e in entries] == [
        ("model_change", "add", sha), ("model_change", "confirm", sha)]
    assert entries[1]["user"] == "budi"


def test_versions_are_addressed_by_revision_or_sha256_prefix(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    first = write_model(tmp_path / "a", revision="01")
    second = write_model(tmp_path / "b", revision="02", effective="2024-06-01", waktu_s02="1 Jam")
    con = open_store(db, read_only=False)
    try:
        with transaction(con):
            v1, new1 = versions.add_file(con, first, by="ina", confirm=True)
            v2, new2 = versions.add_file(con, second, by="ina")
            again, new3 = versions.add_file(con, second, by="ina")
        assert (new1, new2, new3) == (True, True, False) and again == v2
        assert (v1.number, v2.number) == (1, 2)
        assert versions.resolve(con, SOP_ID, "01") == v1
        assert versions.resolve(con, SOP_ID, v2.model_sha256[:6]) == v2
        assert versions.resolve(con, SOP_ID, v2.model_sha256[:6].upper()) == v2
        assert versions.resolve(con, SOP_ID) == v2  # none given: the latest added
        with pytest.raises(UnknownSopError, match="no version '03'") as err:
            versions.resolve(con, SOP_ID, "03")
        assert v1.model_sha256[:12] in err.value.hint and v2.model_sha256[:12] in err.value.hint
        with pytest.raises(UnknownSopError, match="no SOP model"):
            versions.resolve(con, "kab-contoh-izn", None)
        # a revision that names two versions is refused, with the prefixes to choose from
        third = write_model(tmp_path / "c", revision="02", effective="2024-06-01", waktu_s02="3 Jam")
        with transaction(con):
            versions.add_file(con, third, by="ina")
        with pytest.raises(SopModelError, match="names 2 versions"):
            versions.resolve(con, SOP_ID, "02")
    finally:
        con.close()


def test_sop_show_prints_the_waktu_as_printed_and_as_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.duckdb"
    path = write_model(tmp_path / "m", waktu_s02="2 Jam")
    assert cli(["sop", "add", str(path), "--db", str(db), "--by", "ina"], capsys)[0] == 0
    code, out, _ = cli(["sop", "show", SOP_ID, "--version", "01", "--db", str(db)], capsys)
    assert code == 0
    line = out.splitlines()[out.splitlines().index(next(x for x in out.splitlines() if x.strip().startswith("s02"))) + 1]
    assert "2 Jam" in line and '"value": 2' in line and '"unit": "hour"' in line and '"working"' in line
    code, out, _ = cli(["sop", "show", SOP_ID, "--db", str(db), "--yaml"], capsys)
    assert out.rstrip("\n") == path.read_text(encoding="utf-8").rstrip("\n")


def test_a_bpmn_model_with_time_standards_is_added(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.duckdb"
    times = tmp_path / "times.csv"
    times.write_text("task,waktu\nT02 Check confirmation of receipt,2 Hari\n", encoding="utf-8")
    code, _, err = cli(["sop", "add", str(REFERENCE / "receipt.bpmn"), "--times", str(times), "--db", str(db),
                          "--id", "wabo-receipt", "--agency", "Gemeente X", "--region", "NL",
                          "--timezone", "Europe/Amsterdam", "--by", "ina", "--confirm"], capsys)
    assert code == 0, err
    (origin, status, agency, tz), = _rows(db, "SELECT origin, status, agency, timezone FROM models "
                                               "WHERE sop_id = 'wabo-receipt'")
    assert (origin, status, agency, tz) == ("bpmn", "confirmed", "Gemeente X", "Europe/Amsterdam")
    raw = _rows(db, "SELECT name, waktu_raw, max_value, max_unit FROM model_steps s JOIN models m USING "
                    "(model_sha256) WHERE m.sop_id = 'wabo-receipt' AND waktu_raw IS NOT NULL")
    assert raw == [("T02 Check confirmation of receipt", "2 Hari", 2.0, "day")]


FLOW_ID_TWICE = """[s01, {xor: {id: x21, branches: {a: s02, b: []}}}, {xor: {id: x21, branches: {a: s03, b: []}}}]"""


def test_a_model_the_checks_refuse_is_never_added(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.duckdb"
    path = write_model(tmp_path / "m", flow=FLOW_ID_TWICE)
    code, _, err = cli(["sop", "add", str(path), "--db", str(db), "--by", "ina"], capsys)
    assert code == 1 and err.startswith("Error: ") and "\nHint: " in err
    assert "flow node id 'x21' is used 2 times" in err and "Traceback" not in err
    assert _rows(db, "SELECT count(*) FROM models WHERE sop_id = ?", [SOP_ID]) == [(0,)]


def _plant(db: Path, text: str) -> str:
    """Store a version as an older Pantau could have: without today's checks."""
    model = build_model(read_yaml_text(text, "planted"), "planted", text)
    con = open_store(db, read_only=False)
    try:
        with transaction(con):
            return register_model(con, model, text, origin="file", check=False, by="old")
    finally:
        con.close()


def test_every_path_refuses_a_stored_model_the_checks_refuse(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """The WABO receipt model was ingested and analysed silently although 'sop check' refused
    it (a flow node id used 6 times): ingest, analyze, simulate, confirm and check now refuse."""
    db = tmp_path / "s.duckdb"
    sha = _plant(db, model_yaml(flow=FLOW_ID_TWICE))
    log = write_log(tmp_path / "log.csv", [datetime(2024, 3, 4, 9)], [30])
    for args in (["ingest", str(log), "--db", str(db), "--sop", SOP_ID, "-q"],
                 ["analyze", "--db", str(db), "--sop", SOP_ID, "-q"],
                 ["sop", "confirm", SOP_ID, "--version", sha[:8], "--by", "ina", "--db", str(db)]):
        code, _, err = cli(args, capsys)
        assert code == 1, (args, err)
        assert err.startswith("Error: ") and "flow node id 'x21' is used 2 times" in err and "\nHint: " in err, err
    assert _rows(db, "SELECT count(*) FROM events") == [(0,)]
    code, out, _ = cli(["sop", "check", "--db", str(db), "--sop", SOP_ID], capsys)
    assert code == 1 and f"store:{SOP_ID}@{sha[:12]}: flow node id 'x21' is used 2 times" in out
    con = open_store(db, read_only=False)
    try:
        with pytest.raises(ModelValidationError):
            load_model(con, sha)
        assert load_model(con, sha, check=False).id == SOP_ID  # 'sop show' still shows it
    finally:
        con.close()
    from event_logs.simulator import simulate

    bad = build_model(read_yaml_text(model_yaml(flow=FLOW_ID_TWICE), "bad"), "bad", model_yaml(flow=FLOW_ID_TWICE))
    with pytest.raises(ModelValidationError, match="x21"):
        simulate(tmp_path / "sim.duckdb", cases=5, seed=1, models=[bad])


def test_steps_of_one_model_need_distinct_names(tmp_path: Path) -> None:
    text = model_yaml().replace("Menandatangani surat izin", "Menerima  berkas permohonan.")
    model = build_model(read_yaml_text(text, "m"), "m", text)
    assert check_model(model) == ["m: step s01: its name reads like the name of step s03: activity labels are "
                                  "matched to step names, so each step needs a distinct name"]
    assert check_model(build_model(read_yaml_text(model_yaml(), "m"), "m", model_yaml())) == []


def test_a_draft_is_not_used_by_analyze_until_confirmed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.duckdb"
    v1 = write_model(tmp_path / "a", revision="01", effective="2024-01-01", waktu_s02="2 Jam")
    v2 = write_model(tmp_path / "b", revision="02", effective="2024-01-01", waktu_s02="1 Jam")
    assert cli(["sop", "add", str(v1), "--db", str(db), "--by", "ina", "--confirm"], capsys)[0] == 0
    log = write_log(tmp_path / "log.csv", [datetime(2024, 3, 4, 9), datetime(2024, 3, 5, 9)], [90, 30])
    assert cli(["ingest", str(log), "--db", str(db), "--sop", SOP_ID, "-q"], capsys)[0] == 0
    assert cli(["sop", "add", str(v2), "--db", str(db), "--by", "ina"], capsys)[0] == 0
    sha1, sha2 = (hashlib.sha256(p.read_bytes()).hexdigest() for p in (v1, v2))

    def judged() -> tuple[set[str], list[tuple]]:
        assert cli(["analyze", "--db", str(db), "--sop", SOP_ID, "-q"], capsys)[0] == 0
        used = {r[0] for r in _rows(db, "SELECT model_sha256 FROM case_checks WHERE sop_id = ?", [SOP_ID])}
        return used, _rows(db, "SELECT case_id, status FROM step_checks WHERE sop_id = ? AND step_id = 's02' "
                               "ORDER BY case_id", [SOP_ID])

    # the draft (same effective date, added later) is not used: the 90 minutes are within 2 Jam
    assert judged() == ({sha1}, [("C001", "ok"), ("C002", "ok")])
    assert cli(["sop", "confirm", SOP_ID, "--version", "02", "--by", "budi", "--db", str(db)], capsys)[0] == 0
    assert judged() == ({sha2}, [("C001", "breach"), ("C002", "ok")])
