"""Activity labels -> SOP steps: the ``activity_map`` table, exact and normalised matches,
fuzzy suggestions.

The mapping is applied at analysis time, never frozen into ``events`` (which keep the label
the file gave), so a corrected mapping reaches every stored event at the next ``pantau
analyze``. Order (:func:`match_labels`): an explicit row of ``activity_map`` (``pantau map
set``/``import``, ``--activity-map`` at import, the Data page) decides; else the step's exact
name or id; else the same after :func:`~event_logs.ingest.text.norm_label`. Works on the
*distinct* labels (a few dozen, even for a million events); the result is a small label
table joined in SQL. Fuzzy matches are only ever suggested, never applied: a wrong automatic
mapping would hide a deviation.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import yaml
from rapidfuzz import fuzz, process

from event_logs.text import norm_label
from pantau.errors import IngestError
from sop_models.model import SopModel

SUGGEST_MIN_SCORE = 70  # below this a token-set match is mostly a shared common word
SUGGEST_LIMIT = 3       # suggestions per label
SHOWN_LABELS = 10       # unmapped labels a report lists one by one (the most frequent first)
MOSTLY_UNMAPPED = 0.5   # a share of events above which a log is warned about
OUT_OF_SCOPE = "-"  # the step id an activity map file gives a label that is no SOP step

_LABEL_HEADERS = {"label", "activity", "kegiatan", "aktivitas", "source", "from"}
_STEP_HEADERS = {"stepid", "step", "langkah", "to", "target"}


@dataclass
class LabelMapping:
    """The outcome for a set of distinct labels."""

    steps: dict[str, tuple[str, str]] = field(default_factory=dict)   # label -> (step_id, lane)
    how: dict[str, str] = field(default_factory=dict)                 # label -> map|exact|normalised|out_of_scope
    unmapped: dict[str, int] = field(default_factory=dict)            # label -> event count
    suggestions: dict[str, list[tuple[str, str, float]]] = field(default_factory=dict)


def _bad_step(path: Path, row: int, step_id: str, model: SopModel) -> IngestError:
    return IngestError(
        f"unknown step id '{step_id}' for SOP '{model.id}'", file=str(path), row=row, field="step_id",
        hint=f"valid step ids: {', '.join(model.step_ids)}; '-' declares the label out of scope",
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
    """Read a label -> step id file (CSV with columns label,step_id or YAML); check the ids
    (``-`` declares a label out of scope).

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
        if step_id not in valid and step_id != OUT_OF_SCOPE:
            raise _bad_step(path, row, step_id, model)
        result[label] = step_id
    return result


def match_labels(
    counts: Mapping[str, int], model: SopModel, activity_map: Mapping[str, str | None] | None = None,
) -> LabelMapping:
    """Map each distinct label (with its event count) to a step, or report it with suggestions.

    Order: ``activity_map`` (exact label, then normalised label; a value of None or
    :data:`OUT_OF_SCOPE` declares the label out of scope: known, no step, no deviation); the
    step's exact name or id; the same after :func:`norm_label`. Unmapped labels get up to
    three suggestions (rapidfuzz ``token_set_ratio`` >= SUGGEST_MIN_SCORE against the normalised step names).
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
    valid = set(model.step_ids)
    out = LabelMapping()
    for label, count in counts.items():
        key = norm_label(label)
        if label in mapped or key in mapped_norm:
            step_id = mapped[label] if label in mapped else mapped_norm[key]
            if step_id in (None, OUT_OF_SCOPE):
                out.how[label] = "out_of_scope"
                continue
            if step_id in valid:  # a mapping to a step this version lacks: matched as usual
                out.steps[label] = (step_id, model.step(step_id).lane)
                out.how[label] = "map"
                continue
        for how, step_id in (("exact", exact.get(label)), ("normalised", normalised.get(key))):
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


def unmapped_warning(sop_id: str, unmapped_labels: int, labels: int, unmapped_events: int,
                     events: int) -> str | None:
    """The warning when most of a log's events carry a label that matches no step of the SOP
    (and is not declared out of scope): the model covers a part of the process, or the log is
    another process's. None otherwise."""
    if not events or unmapped_events / events <= MOSTLY_UNMAPPED:
        return None
    return (f"{unmapped_labels:,} of {labels:,} activity labels ({unmapped_events / events:.0%} of the "
            f"events) match no step of SOP {sop_id}: map them with `pantau map set LABEL STEP_ID "
            f"--sop {sop_id}`, declare those the SOP does not cover out of scope with `pantau map set "
            f"LABEL - --sop {sop_id}`, or give --activity-map FILE")


def suggestion_lines(unmapped: Mapping[str, int], suggestions: Mapping[str, list[tuple[str, str, float]]],
                     show: Callable[[str], str] = str, limit: int = SHOWN_LABELS) -> list[str]:
    """What a report prints about unmapped labels: the ``limit`` most frequent labels that have
    a plausible step (each with at most :data:`SUGGEST_LIMIT` suggestions), then one line for
    the rest. ``show`` renders a label (e.g. redacts it)."""
    ranked = sorted(unmapped, key=lambda k: (-unmapped[k], k))
    with_steps = [k for k in ranked if suggestions.get(k)]
    lines = [f"unmapped activity '{show(k)}' ({unmapped[k]:,} events): suggestions "
             + ", ".join(f"{sid} ({score:.0f})" for sid, _name, score in suggestions[k])
             + " (use --activity-map to apply)" for k in with_steps[:limit]]
    rest = len(ranked) - len(lines)
    if rest:
        lines.append(f"{rest:,} {'more ' if lines else ''}unmapped activity label(s)"
                     f"{'' if with_steps[limit:] else ' with no plausible step'}: "
                     "each is listed with its suggestions in activity_labels after `pantau analyze`")
    return lines


# --- the activity_map table ------------------------------------------------------------------
@dataclass(frozen=True)
class MapEntry:
    """One row of ``activity_map``."""

    sop_id: str
    label: str
    step_id: str | None
    out_of_scope: bool
    source: str
    set_by: str | None
    set_at: datetime


def explicit_map(con: duckdb.DuckDBPyConnection, sop_id: str) -> dict[str, str | None]:
    """The explicit mappings of one SOP: label -> step id (None: out of scope)."""
    return dict(con.execute("SELECT label, step_id FROM activity_map WHERE sop_id = ?", [sop_id]).fetchall())


def list_mappings(con: duckdb.DuckDBPyConnection, sop_id: str | None = None) -> list[MapEntry]:
    """Every explicit mapping (of one SOP), by SOP and label."""
    rows = con.execute(
        "SELECT sop_id, label, step_id, out_of_scope, source, set_by, set_at FROM activity_map "
        "WHERE sop_id = coalesce(?, sop_id) ORDER BY sop_id, label", [sop_id]).fetchall()
    return [MapEntry(*r) for r in rows]


def _known_steps(con: duckdb.DuckDBPyConnection, sop_id: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT DISTINCT s.step_id FROM model_steps s JOIN models m USING (model_sha256) "
        "WHERE m.sop_id = ? ORDER BY 1", [sop_id]).fetchall()]


def set_mapping(con: duckdb.DuckDBPyConnection, sop_id: str, label: str, step_id: str | None, *,
                source: str, by: str | None = None) -> None:
    """Map ``label`` to ``step_id`` for ``sop_id`` (``None`` or ``'-'``: out of scope).

    The step must exist in a stored version of the SOP. Takes effect at the next analysis.
    """
    label = label.strip()
    if not label:
        raise IngestError("the activity label is empty", field="label")
    known = _known_steps(con, sop_id)
    if not known:
        raise IngestError(f"no SOP '{sop_id}' in the store", field="sop_id",
                          hint="'pantau sop list --db FILE' lists the SOPs")
    out = step_id in (None, OUT_OF_SCOPE)
    if not out and step_id not in known:
        raise IngestError(f"unknown step id '{step_id}' for SOP '{sop_id}'", field="step_id",
                          hint=f"valid step ids: {', '.join(known)}; '-' declares the label out of scope")
    con.execute("INSERT OR REPLACE INTO activity_map (sop_id, label, step_id, out_of_scope, source, set_by, "
                "set_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [sop_id, label, None if out else step_id, out, source, by, datetime.now(UTC)])


def remove_mapping(con: duckdb.DuckDBPyConnection, sop_id: str, label: str) -> bool:
    """Forget the explicit mapping of ``label``; True when there was one."""
    n = con.execute("DELETE FROM activity_map WHERE sop_id = ? AND label = ?", [sop_id, label]).fetchall()
    return bool(n and n[0][0])


def import_mappings(con: duckdb.DuckDBPyConnection, sop_id: str, path: Path, model: SopModel, *,
                    source: str = "file", by: str | None = None) -> int:
    """Store every row of an activity map file (see :func:`load_activity_map`); returns how many."""
    entries = load_activity_map(path, model)
    for label, step_id in entries.items():
        set_mapping(con, sop_id, label, step_id, source=source, by=by)
    return len(entries)
