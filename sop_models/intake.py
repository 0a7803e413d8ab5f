"""Any file a user brings as an SOP model, read into one model-file text.

The registry (``pantau sop add``) stores a model version as the text of a model file
(``sop_models/README.md``). This module turns what a user has into that text:

- a **model file** (``.yaml``/``.yml``): its text exactly as given (its sha256 is the version);
- an **SOP document** (``.docx``, ``.pdf``, ``.txt`` extracted text): the importer's draft
  (:mod:`sop_models.importer`), with its proposals marked; always a draft, never confirmed on
  adding: someone must review it first. The document's text (its rows of cells) comes along
  so a reviewer can read it beside the draft;
- a **process model** (BPMN 2.0 with or without lanes, PNML; optional time standards per
  task in a side file): the reference model of :mod:`sop_models.reference`.

Identity fields the document or process model does not give (agency, region, time zone, the
SOP id) can be given by the caller; a process model has none of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pantau.errors import SopModelError
from sop_models.checks import require_model_ok
from sop_models.importer import draft_model
from sop_models.importer.documents import SUFFIXES as DOCUMENT_SUFFIXES
from sop_models.importer.documents import read_rows
from sop_models.importer.proposals import comment_proposals
from sop_models.loader import build_model, read_yaml_text
from sop_models.model import SopModel
from sop_models.reference import model_from_process_file

MODEL_SUFFIXES = (".yaml", ".yml")
PROCESS_SUFFIXES = (".bpmn", ".pnml")
IDENTITY_FIELDS = ("id", "agency", "region", "timezone", "title")
_HEAD = {
    "document": "# DRAFT SOP model read from the document {source} by `pantau sop add`: review it\n"
                "# (lanes, Waktu, the flow and every '# USULAN' proposal), then confirm it.\n",
    "bpmn": "# SOP model read from the BPMN 2.0 model {source} by `pantau sop add`.\n",
    "pnml": "# SOP model read from the Petri net {source} by `pantau sop add`.\n",
}


@dataclass(frozen=True)
class ModelFile:
    """A model read from a user's file: the model-file text the store keeps, the typed model,
    where it came from (``origin``: file | document | bpmn | pnml), whether it may only be
    stored as a draft, and the document's own text for the review (documents only)."""

    text: str
    model: SopModel
    origin: str
    draft_only: bool
    document_text: str | None = None


def read_model_file(path: str | Path, *, times: str | Path | None = None,
                    identity: dict[str, str] | None = None) -> ModelFile:
    """Read ``path`` as a model version (see the module docstring) and check it
    (:func:`~sop_models.checks.require_model_ok`).

    ``times`` is the time-standard side file of a BPMN/PNML model; ``identity`` sets
    :data:`IDENTITY_FIELDS` of a drafted or imported model (a model file is stored as
    written: edit the file instead). Raises :class:`SopModelError` naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise SopModelError("no such file", file=str(path))
    suffix = path.suffix.lower()
    given = {k: v for k, v in (identity or {}).items() if v not in (None, "")}
    unknown = sorted(set(given) - set(IDENTITY_FIELDS))
    if unknown:
        raise SopModelError(f"cannot set '{unknown[0]}' of a model", field=unknown[0],
                            hint=f"one of {list(IDENTITY_FIELDS)}")
    if times is not None and suffix not in PROCESS_SUFFIXES:
        raise SopModelError("time standards per task are read only with a BPMN or PNML model",
                            file=str(times), hint="put the Waktu of a model file's steps in the file itself")
    document_text = None
    if suffix in MODEL_SUFFIXES:
        if given:
            raise SopModelError(f"a model file is stored as written: '{sorted(given)[0]}' cannot be set",
                                file=str(path), hint="edit the model file itself")
        text, origin = path.read_text(encoding="utf-8"), "file"
    elif suffix in DOCUMENT_SUFFIXES:
        data = draft_model(path)
        rows, _notes = read_rows(path)
        document_text = "\n".join("\t".join(cells) for cells in rows)
        text, origin = _render(data, given, "document"), "document"
    elif suffix in PROCESS_SUFFIXES:
        data = model_from_process_file(path, times, sop_id=given.get("id"))
        origin = suffix.lstrip(".")
        text = _render(data, given, origin)
    else:
        raise SopModelError(f"cannot read an SOP model from a '{suffix or path.name}' file", file=str(path),
                            hint="give a model file (.yaml), an SOP document (.docx, .pdf, .txt) "
                                 "or a process model (.bpmn, .pnml)")
    model = build_model(read_yaml_text(text, str(path)), str(path), text)
    require_model_ok(model)
    return ModelFile(text, model, origin, origin == "document", document_text)


def _render(data: dict[str, Any], given: dict[str, str], origin: str) -> str:
    """A drafted or imported mapping with the caller's identity fields, as model-file YAML."""
    data.update(given)
    if given:
        data["notes"] = [n for n in data.get("notes") or []
                         if not n.startswith("agency, region and timezone are placeholders")]
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    if data.get("proposals"):
        body = comment_proposals(body, data["proposals"])
    return _HEAD[origin].format(source=data.get("source")) + body
