"""Activity labels -> SOP steps: exact, normalised, then an explicit map file; fuzzy suggestions.

Works on the *distinct* labels of a file (a few dozen, even for a million rows); the
result is a small label table the pipeline joins in SQL. Fuzzy matches are only ever
suggested (reported to the user), never applied: a wrong automatic mapping would hide a
deviation.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from event_logs.ingest.text import norm_label
from pantau.errors import IngestError
from sop_models.model import SopModel

SUGGEST_MIN_SCORE = 60
SUGGEST_LIMIT = 3

_LABEL_HEADERS = {"label", "activity", "kegiatan", "aktivitas", "source", "from"}
_STEP_HEADERS = {"stepid", "step", "langkah", "to", "target"}


@dataclass
class LabelMapping:
    """The outcome for a set of distinct labels."""

    steps: dict[str, tuple[str, str]] = field(default_factory=dict)   # label -> (step_id, lane)
    how: dict[str, str] = field(default_factory=dict)                 # label -> exact|normalised|map
    unmapped: dict[str, int] = field(default_factory=dict)            # label -> event count
    suggestions: dict[str, list[tuple[str, str, float]]] = field(default_factory=dict)


def _bad_step(path: Path, row: int, step_id: str, model: SopModel) -> IngestError:
    return IngestError(
        f"unknown step id '{step_id}' for SOP '{model.id}'", file=str(path), row=row, field="step_id",
        hint=f"valid step ids: {', '.join(model.step_ids)}",
    )


def _read_csv_map(path: Path, text: str) -> list[tuple[int, str, str]]:
    sample = text.splitlines()[0] if text.strip() else ""
    delimiter = max((",", ";", "\t"), key=sample.count)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    out: list[tuple[int, str, str]] = []
    for number, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if number == 1 and len(cells) >= 2 and cells[0].lower().replace("_", "") in _LABEL_HEADERS \
                and cells[1].lower().replace("_", "") in _STEP_HEADERS:
            continue
        if len(cells) < 2 or not cells[0] or not cells[1]:
            raise IngestError("expected two columns: label, step_id", file=str(path), row=number)
        out.append((number, cells[0], cells[1]))
    return out


def _read_yaml_map(path: Path, text: str) -> list[tuple[int, str, str]]:
    try:
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise IngestError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=str(path),
                          row=(mark.line + 1) if mark else None) from exc
    out: list[tuple[int, str, str]] = []
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out.append((key.start_mark.line + 1, str(key.value).strip(), str(value.value).strip()))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            pairs = {k.value: v.value for k, v in getattr(item, "value", [])} \
                if isinstance(item, yaml.MappingNode) else {}
            label, step = pairs.get("label"), pairs.get("step_id", pairs.get("step"))
            if not label or not step:
                raise IngestError("each item needs 'label' and 'step_id'", file=str(path),
                                  row=item.start_mark.line + 1)
            out.append((item.start_mark.line + 1, str(label).strip(), str(step).strip()))
    elif node is not None:
        raise IngestError("expected a mapping 'label: step_id' or a list of {label, step_id}",
                          file=str(path))
    return out


def load_activity_map(path: Path, model: SopModel) -> dict[str, str]:
    """Read a label -> step id file (CSV with columns label,step_id or YAML); check the ids.

    An unknown step id raises :class:`IngestError` naming the file, the row and the valid ids.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestError(f"cannot read the activity map: {exc}", file=str(path)) from exc
    suffix = path.suffix.lower()
    entries = _read_yaml_map(path, text) if suffix in (".yaml", ".yml") else _read_csv_map(path, text)
    valid = set(model.step_ids)
    result: dict[str, str] = {}
    for row, label, step_id in entries:
        if step_id not in valid:
            raise _bad_step(path, row, step_id, model)
        result[label] = step_id
    return result


def match_labels(
    counts: Mapping[str, int], model: SopModel, activity_map: Mapping[str, str] | None = None,
) -> LabelMapping:
    """Map each distinct label (with its event count) to a step, or report it with suggestions.

    Order: exact step name or id; the same after :func:`norm_label`; then ``activity_map``
    (exact label, then normalised label). Unmapped labels get up to three suggestions
    (rapidfuzz ``token_set_ratio`` >= 60 against the normalised step names).
    """
    exact: dict[str, str] = {}
    normalised: dict[str, str] = {}
    for step in model.steps:  # document order: the first step wins a tie
        exact.setdefault(step.name, step.id)
        exact.setdefault(step.id, step.id)
        normalised.setdefault(norm_label(step.name), step.id)
        normalised.setdefault(norm_label(step.id), step.id)
    mapped = dict(activity_map or {})
    mapped_norm = {norm_label(k): v for k, v in mapped.items()}
    choices = {s.id: norm_label(s.name) for s in model.steps}
    out = LabelMapping()
    for label, count in counts.items():
        key = norm_label(label)
        for how, step_id in (("exact", exact.get(label)), ("normalised", normalised.get(key)),
                             ("map", mapped.get(label) or mapped_norm.get(key))):
            if step_id:
                out.steps[label] = (step_id, model.step(step_id).lane)
                out.how[label] = how
                break
        else:
            out.unmapped[label] = int(count)
            found = process.extract(key, choices, scorer=fuzz.token_set_ratio,
                                    limit=SUGGEST_LIMIT, score_cutoff=SUGGEST_MIN_SCORE)
            out.suggestions[label] = [
                (step_id, model.step(step_id).name, round(float(score), 1))
                for _choice, score, step_id in sorted(found, key=lambda f: -f[1])
            ]
    return out
