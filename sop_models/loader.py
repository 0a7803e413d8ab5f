"""Read curated SOP model files (YAML) into :class:`~sop_models.model.SopModel` objects.

One file per SOP in ``sop_models/models/``. This module only reads and types; the rules
(unknown lanes, unreachable end, ...) are checked by :mod:`sop_models.validate`.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from pantau.errors import SopModelError, UnknownSopError, did_you_mean
from sop_models.flow import parse_flow
from sop_models.model import Conventions, ServiceStandard, SopModel, Step
from sop_models.waktu import parse_waktu

MODELS_DIR = Path(__file__).parent / "models"
SOURCES_DIR = Path(__file__).parent / "sources"

TOP_KEYS = {
    "id", "title", "agency", "region", "timezone", "sop_number", "revision", "created",
    "revised", "effective", "approved_by", "source", "legal_basis", "lanes", "steps", "flow",
    "conventions", "service_standard", "per_units", "four_eyes", "related", "equipment",
    "qualifications", "warning", "record_keeping", "organisation", "calendar_overrides", "notes",
    "reference_net", "proposals", "target_on_time",
}
STEP_KEYS = {
    "id", "no", "name", "lane", "lane_source", "lane_marks", "kelengkapan", "output",
    "keterangan", "waktu", "waktu_context", "scope", "kind",
}
REQUIRED_TOP = ("id", "title", "agency", "region", "timezone", "source", "lanes", "steps", "flow")


def model_paths(directory: Path | None = None) -> list[Path]:
    """The model files in ``directory`` (default: the bundled ones), sorted by name."""
    return sorted((directory or MODELS_DIR).glob("*.yaml"))


class _UniqueKeys:
    """YAML 1.2 booleans only (in YAML 1.1 a bare ``no:`` key, the printed step number, is
    False), and a key given twice in one mapping is an error: PyYAML would silently keep the
    last value, so a curator's second ``waktu:`` would replace the first unnoticed."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[attr-defined]
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping", seen[key].start_mark,
                    f"key '{key}' is given twice (first on line {seen[key].start_mark.line + 1})",
                    key_node.start_mark)
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc]


def model_loader(base: type) -> type:
    """The model files' loader on ``base`` (a PyYAML SafeLoader): the rules of :class:`_UniqueKeys`."""
    loader = type(f"ModelLoader_{base.__name__}", (_UniqueKeys, base), {})
    loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    return loader


# libyaml's parser where PyYAML has it (the constructor and resolvers stay Python's): the
# bundled models are read by every new store and every import's first look at its model, and
# the pure-Python parser took ~0.5 s for them (tests/test_model_yaml.py: the same mappings).
_ModelLoader = model_loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def read_yaml_text(text: str, file: str) -> dict[str, Any]:
    """Parse a model file's text into a plain mapping; YAML errors name ``file`` and the line."""
    try:
        data = yaml.load(text, Loader=_ModelLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SopModelError(
            f"not valid YAML: {getattr(exc, 'problem', exc)}",
            file=file,
            row=(mark.line + 1) if mark else None,
        ) from exc
    if not isinstance(data, dict):
        raise SopModelError("a model file must be a YAML mapping", file=file)
    return data


def read_yaml(path: Path) -> dict[str, Any]:
    """Parse one model file into a plain mapping; YAML errors name the file and line."""
    return read_yaml_text(Path(path).read_text(encoding="utf-8"), str(path))


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _as_share(value: Any, *, file: str, field: str) -> float | None:
    """A share such as ``target_on_time``: 0.9, or "90%"; None when absent."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        share = float(text[:-1].replace(",", ".")) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise SopModelError(f"'{field}' must be a share such as 0.9 or 90%, not '{text[:20]}'",
                            file=file, field=field) from None
    if not 0 < share <= 1:
        raise SopModelError(f"'{field}' must lie above 0 and at most 1 (100%), not {text}", file=file,
                            field=field, hint="0.9 (or 90%) means nine cases in ten on time")
    return share


def _as_date(value: Any, *, file: str, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise SopModelError(f"not an ISO date: {value!r}", file=file, field=field) from exc


def build_step(raw: dict[str, Any], *, file: str, conventions: Conventions) -> Step:
    """Type one ``steps:`` entry; raises naming the file and step."""
    step_id = str(raw.get("id", "?"))
    unknown = set(raw) - STEP_KEYS
    if unknown:
        bad = sorted(unknown)[0]
        raise SopModelError(
            f"step {step_id}: unknown key '{bad}'", file=file, field=bad,
            hint=did_you_mean(bad, STEP_KEYS),
        )
    for key in ("id", "name", "lane"):
        if not raw.get(key):
            raise SopModelError(f"step {step_id}: '{key}' is missing", file=file, field=key)
    waktu_text = raw.get("waktu")
    waktu = parse_waktu(
        None if waktu_text is None else str(waktu_text),
        context=raw.get("waktu_context"),
        conventions=conventions,
        file=file,
        step=step_id,
    )
    no = raw.get("no")
    return Step(
        id=step_id,
        no=None if no is None else str(no),
        name=str(raw["name"]).strip(),
        lane=str(raw["lane"]),
        lane_source=raw.get("lane_source", "inferred"),
        waktu=waktu,
        kelengkapan=_as_tuple(raw.get("kelengkapan")),
        output=raw.get("output"),
        keterangan=raw.get("keterangan"),
        lane_marks={str(k): str(v) for k, v in (raw.get("lane_marks") or {}).items()},
        scope=raw.get("scope", "case"),
        kind=raw.get("kind", "task"),
    )


def build_model(data: dict[str, Any], path: Path | str, text: str | None = None) -> SopModel:
    """Type a parsed model mapping; raises :class:`SopModelError` on the first problem."""
    file = str(path)
    unknown = set(data) - TOP_KEYS
    if unknown:
        bad = sorted(unknown)[0]
        raise SopModelError(f"unknown key '{bad}'", file=file, field=bad, hint=did_you_mean(bad, TOP_KEYS))
    for key in REQUIRED_TOP:
        if data.get(key) in (None, "", []):
            raise SopModelError(f"'{key}' is missing", file=file, field=key)
    try:
        conventions = Conventions.from_mapping(data.get("conventions"))
    except TypeError as exc:
        raise SopModelError(f"bad conventions: {exc}", file=file, field="conventions") from exc
    steps = tuple(build_step(s, file=file, conventions=conventions) for s in data["steps"])
    std = data.get("service_standard")
    service_standard = None
    if std:
        service_standard = ServiceStandard(
            waktu=parse_waktu(str(std["waktu"]), conventions=conventions, file=file, step="service_standard")
            if std.get("waktu") else None,
            biaya=std.get("biaya"),
            persyaratan=_as_tuple(std.get("persyaratan")),
            schedule=_as_tuple(std.get("schedule")),
        )
    text = text if text is not None else Path(path).read_text(encoding="utf-8")
    return SopModel(
        id=str(data["id"]),
        title=str(data["title"]),
        agency=str(data["agency"]),
        region=str(data["region"]),
        timezone=str(data["timezone"]),
        sop_number=data.get("sop_number"),
        revision=None if data.get("revision") is None else str(data.get("revision")),
        created=_as_date(data.get("created"), file=file, field="created"),
        revised=_as_date(data.get("revised"), file=file, field="revised"),
        effective=_as_date(data.get("effective"), file=file, field="effective"),
        approved_by=data.get("approved_by"),
        source=str(data["source"]),
        legal_basis=_as_tuple(data.get("legal_basis")),
        lanes=_as_tuple(data["lanes"]),
        steps=steps,
        flow=parse_flow(data["flow"], file=file),
        path=file,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        conventions=conventions,
        service_standard=service_standard,
        per_units={str(k): str(v) for k, v in (data.get("per_units") or {}).items()},
        four_eyes=tuple((str(a), str(b)) for a, b in (data.get("four_eyes") or [])),
        related=_as_tuple(data.get("related")),
        equipment=_as_tuple(data.get("equipment")),
        qualifications=_as_tuple(data.get("qualifications")),
        warning=data.get("warning"),
        record_keeping=data.get("record_keeping"),
        organisation=_as_tuple(data.get("organisation")),
        calendar_overrides=_as_tuple(data.get("calendar_overrides")),
        notes=_as_tuple(data.get("notes")),
        reference_net=None if data.get("reference_net") in (None, "") else str(data["reference_net"]),
        target_on_time=_as_share(data.get("target_on_time"), file=file, field="target_on_time"),
    )


def load_model(path: str | Path) -> SopModel:
    """Load one model file."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    return build_model(read_yaml(path), path, text)


@lru_cache(maxsize=8)
def _load_dir(directory: str) -> tuple[SopModel, ...]:
    models = tuple(load_model(p) for p in model_paths(Path(directory)))
    seen: dict[str, str] = {}
    for m in models:
        if m.id in seen:
            raise SopModelError(f"SOP id '{m.id}' is also defined in {seen[m.id]}", file=m.path, field="id")
        seen[m.id] = m.path
    return models


def load_all(directory: str | Path | None = None) -> list[SopModel]:
    """Every SOP model in ``directory`` (default: the bundled models), sorted by file name."""
    return list(_load_dir(str(directory or MODELS_DIR)))


def get_model(sop_id: str, directory: str | Path | None = None) -> SopModel:
    """The model with this id; :class:`UnknownSopError` with the known ids as a hint."""
    models = load_all(directory)
    for m in models:
        if m.id == sop_id:
            return m
    raise UnknownSopError(f"no SOP model with id '{sop_id}'", hint=did_you_mean(sop_id, [m.id for m in models]))


def source_path(model: SopModel) -> Path:
    """Where the bundled copy of the model's source document lives."""
    return SOURCES_DIR / model.source
