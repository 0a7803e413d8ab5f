"""The SOP registry's operations on versions: add one from a user's file, address it,
confirm it, save a reviewed one, check the stored ones.

A version is one row of ``models`` (its key: the sha256 of its model-file text). Versions are
addressed by their No. Revisi or by a prefix of their sha256 (:func:`resolve`), and numbered
1, 2, ... per SOP in the order they were added (what ``pantau sop list`` shows). A version
read from an SOP document is a **draft** until someone confirms it (:func:`confirm`, or
:func:`save_review` with the reviewer's fixes); analysis uses confirmed versions only (the
``models_in_force`` macro). Every path that stores or confirms a version checks it first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from event_logs.registry import CONFIRMED, DRAFT, load_model, register_model
from pantau.errors import SopModelError, UnknownSopError, did_you_mean
from sop_models.intake import read_model_file
from sop_models.review import Fixes, revise

REVIEW = "review"  # models.origin of a version saved by a review
_MIN_PREFIX = 4


@dataclass(frozen=True)
class Version:
    """One stored version, as ``pantau sop list`` shows it."""

    number: int
    model_sha256: str
    sop_id: str
    title: str
    agency: str
    sop_number: str | None
    revision: str | None
    effective: date | None
    status: str
    origin: str
    added_at: datetime
    added_by: str | None
    confirmed_at: datetime | None
    confirmed_by: str | None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (dates as ISO text)."""
        out = dict(self.__dict__)
        for key in ("effective", "added_at", "confirmed_at"):
            out[key] = out[key].isoformat() if out[key] is not None else None
        return out


def listed(con: duckdb.DuckDBPyConnection, sop_id: str | None = None) -> list[Version]:
    """Every stored version (of one SOP), by SOP then number."""
    rows = con.execute("""
        SELECT row_number() OVER (PARTITION BY sop_id ORDER BY added_at, model_sha256)::INTEGER,
               model_sha256, sop_id, title, agency, sop_number, revision, effective, status, origin,
               added_at, added_by, confirmed_at, confirmed_by
        FROM models WHERE sop_id = coalesce(?, sop_id)
        ORDER BY sop_id, 1""", [sop_id]).fetchall()
    return [Version(*r) for r in rows]


def resolve(con: duckdb.DuckDBPyConnection, sop_id: str, version: str | None = None) -> Version:
    """The version of ``sop_id`` named by ``version``: its No. Revisi, or a prefix (at least
    4 hex digits) of its sha256; None: the only version, else the latest added.

    Raises :class:`UnknownSopError` (no such SOP or version) or :class:`SopModelError` (a
    revision or prefix that names several), with the versions as a hint.
    """
    found = listed(con, sop_id)
    if not found:
        known = sorted({v.sop_id for v in listed(con)})
        raise UnknownSopError(f"no SOP model with id '{sop_id}' in the store", hint=did_you_mean(sop_id, known))
    if version is None:
        return found[-1]
    wanted = version.strip()
    by_revision = [v for v in found if v.revision is not None and v.revision == wanted]
    by_sha = [v for v in found if len(wanted) >= _MIN_PREFIX and v.model_sha256.startswith(wanted.lower())]
    hits = by_revision or by_sha
    if len(hits) == 1:
        return hits[0]
    shown = "; ".join(f"{v.model_sha256[:12]} (rev. {v.revision or '-'}, {v.status})" for v in found)
    if not hits:
        raise UnknownSopError(f"SOP '{sop_id}' has no version '{wanted}'",
                              hint=f"give a No. Revisi or a sha256 prefix of one of: {shown}")
    raise SopModelError(f"'{wanted}' names {len(hits)} versions of SOP '{sop_id}'",
                        hint=f"give a longer sha256 prefix: {shown}")


def add_file(con: duckdb.DuckDBPyConnection, path: str | Path, *, by: str | None = None,
             times: str | Path | None = None, identity: dict[str, str] | None = None,
             confirm: bool = False) -> tuple[Version, bool]:
    """Add the model in ``path`` (:func:`sop_models.intake.read_model_file`) as a version;
    returns it and whether it is new (a file whose text is stored already adds nothing).

    It is stored as a draft, or confirmed by ``by`` at once with ``confirm`` (never for an SOP
    document: a draft read from a document must be reviewed). The caller owns the transaction.
    """
    read = read_model_file(path, times=times, identity=identity)
    if confirm and read.draft_only:
        raise SopModelError("a model read from an SOP document is a draft: it cannot be confirmed as it is added",
                            file=str(path), hint="add it, review it, then 'pantau sop confirm ID --version V --by NAME'")
    if confirm and not by:
        raise SopModelError("confirming needs the reviewer's name", field="by", hint="add --by NAME")
    known = con.execute("SELECT count(*) FROM models WHERE model_sha256 = ?", [read.model.sha256]).fetchall()[0][0]
    if not known:
        register_model(con, read.model, read.text, origin=read.origin, status=CONFIRMED if confirm else DRAFT,
                       by=by, document_text=read.document_text)
    return _by_sha(con, read.model.sha256), not known


def confirm(con: duckdb.DuckDBPyConnection, sop_id: str, version: str | None, *, by: str) -> Version:
    """Confirm a stored version (checked first): from now on analysis may use it. Confirming a
    confirmed version changes nothing. The caller owns the transaction."""
    if not by or not by.strip():
        raise SopModelError("confirming needs the reviewer's name", field="by", hint="add --by NAME")
    v = resolve(con, sop_id, version)
    load_model(con, v.model_sha256)  # refuses a version that fails the checks
    if v.status != CONFIRMED:
        con.execute("UPDATE models SET status = ?, confirmed_at = ?, confirmed_by = ? WHERE model_sha256 = ?",
                    [CONFIRMED, datetime.now(UTC), by.strip(), v.model_sha256])
    return _by_sha(con, v.model_sha256)


def save_review(con: duckdb.DuckDBPyConnection, sop_id: str, version: str | None, fixes: Fixes, *,
                by: str) -> Version:
    """Confirm a version with the reviewer's ``fixes``: without fixes the version itself is
    confirmed; with fixes they make a new version (origin ``review``), confirmed by ``by``,
    and the draft stays a draft. The caller owns the transaction."""
    if fixes.empty:
        return confirm(con, sop_id, version, by=by)
    if not by or not by.strip():
        raise SopModelError("confirming needs the reviewer's name", field="by")
    v = resolve(con, sop_id, version)
    text = con.execute("SELECT model_text FROM models WHERE model_sha256 = ?", [v.model_sha256]).fetchall()[0][0]
    name = f"store:{sop_id}@{v.model_sha256[:12]}"
    new_text, model = revise(text, fixes, name=name, reviewer=by.strip(), when=datetime.now(UTC).date())
    document = con.execute("SELECT content FROM model_artifacts WHERE model_sha256 = ? AND kind = 'document_text'",
                           [v.model_sha256]).fetchall()
    register_model(con, model, new_text, origin=REVIEW, status=CONFIRMED, by=by.strip(),
                   document_text=document[0][0] if document else None)
    return _by_sha(con, model.sha256)


def check_stored(con: duckdb.DuckDBPyConnection, sop_id: str | None = None,
                 version: str | None = None) -> list[str]:
    """Problems of stored versions (all, one SOP's, or one), by the rules of ``pantau sop
    check`` (:func:`sop_models.validate.check_model_text`), one line each."""
    from sop_models.validate import check_model_text

    chosen = [resolve(con, sop_id, version)] if sop_id and version else listed(con, sop_id)
    if sop_id and not chosen:
        resolve(con, sop_id)  # raises with the known SOPs
    problems: list[str] = []
    for v in chosen:
        text = con.execute("SELECT model_text FROM models WHERE model_sha256 = ?", [v.model_sha256]).fetchall()[0][0]
        problems += check_model_text(text, f"store:{v.sop_id}@{v.model_sha256[:12]}")
    return problems


def _by_sha(con: duckdb.DuckDBPyConnection, sha: str) -> Version:
    sop_id = con.execute("SELECT sop_id FROM models WHERE model_sha256 = ?", [sha]).fetchall()[0][0]
    return next(v for v in listed(con, sop_id) if v.model_sha256 == sha)
