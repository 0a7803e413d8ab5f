"""Read calendar override files and build the list of days off.

Days off = Indonesian national holidays and cuti bersama from the ``holidays`` package
(categories "public" and "government"), corrected by ``national.yaml`` (always) and then by
the override files a calendar names, in order. Errors name the file, the YAML line and the
field (``add[2].date``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from pantau.errors import CalendarError, did_you_mean

CALENDARS_DIR = Path(__file__).parent
NATIONAL = "national"  # the override file every calendar applies
TOP_KEYS = {"description", "add", "remove"}


@dataclass(frozen=True)
class Override:
    """One override file: days off added and holidays removed, and the file's sha256."""

    name: str
    path: str
    sha256: str
    add: dict[date, str] = field(default_factory=dict)
    remove: frozenset[date] = frozenset()


def _error(message: str, node: yaml.Node, file: str, field_name: str | None = None,
           hint: str | None = None) -> CalendarError:
    return CalendarError(message, file=file, row=node.start_mark.line + 1, field=field_name,
                         hint=hint)


def _mapping(node: yaml.Node, file: str, field_name: str | None,
             keys: set[str]) -> dict[str, yaml.Node]:
    """A mapping node's scalar values by key; unknown keys and nested values are errors."""
    if not isinstance(node, yaml.MappingNode):
        raise _error(f"expected a mapping with keys {sorted(keys)}", node, file, field_name)
    out: dict[str, yaml.Node] = {}
    for k, v in node.value:
        where = f"{field_name}.{k.value}" if field_name else str(k.value)
        if k.value not in keys:
            raise _error(f"unknown key {k.value!r}", k, file, where,
                         did_you_mean(str(k.value), sorted(keys)))
        if field_name and not isinstance(v, yaml.ScalarNode):
            raise _error("expected a single value", v, file, where)
        out[str(k.value)] = v
    return out


def _items(node: yaml.Node | None, file: str, key: str) -> list[yaml.Node]:
    if node is None or (isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null")):
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise _error(f"'{key}' must be a list", node, file, key)
    return list(node.value)


def _date(node: yaml.Node, file: str, field_name: str) -> date:
    try:
        return date.fromisoformat(str(node.value))
    except (TypeError, ValueError) as exc:
        raise _error(f"not an ISO date (YYYY-MM-DD): {node.value!r}", node, file,
                     field_name) from exc


def load_override(name_or_path: str | Path, directory: Path | None = None) -> Override:
    """Read one override file: a name in ``directory`` (default: this folder) or a path."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = (directory or CALENDARS_DIR) / f"{name_or_path}.yaml"
    file = str(path)
    if not path.is_file():
        known = sorted(p.stem for p in path.parent.glob("*.yaml"))
        raise CalendarError("calendar override file not found", file=file,
                            hint=did_you_mean(path.stem, known) if known else None)
    return parse_override(path.read_bytes(), path.stem, file)


def parse_override(raw: bytes, name: str, file: str) -> Override:
    """An override file's content (``raw``) as :class:`Override`; errors name ``file``, the
    line and the field. The same reading for a file in this folder and for the days-off
    file an agency's calendar keeps in the store."""
    try:
        root = yaml.compose(raw.decode("utf-8"), Loader=yaml.SafeLoader)
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        raise CalendarError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=file,
                            row=(mark.line + 1) if mark else None) from exc
    top = {} if root is None else _mapping(root, file, None, TOP_KEYS)
    add: dict[date, str] = {}
    for i, item in enumerate(_items(top.get("add"), file, "add"), 1):
        entry = _mapping(item, file, f"add[{i}]", {"date", "name"})
        for key in ("date", "name"):
            if key not in entry or not str(entry[key].value).strip():
                raise _error(f"'{key}' is required", item, file, f"add[{i}].{key}")
        day = _date(entry["date"], file, f"add[{i}].date")
        if day in add:
            raise _error(f"{day} is added twice", item, file, f"add[{i}].date")
        add[day] = str(entry["name"].value).strip()
    remove: set[date] = set()
    for i, item in enumerate(_items(top.get("remove"), file, "remove"), 1):
        node = item
        if isinstance(item, yaml.MappingNode):
            entry = _mapping(item, file, f"remove[{i}]", {"date", "reason"})
            if "date" not in entry:
                raise _error("'date' is required", item, file, f"remove[{i}].date")
            node = entry["date"]
        day = _date(node, file, f"remove[{i}].date")
        if day in add:
            raise _error(f"{day} is both added and removed", item, file, f"remove[{i}].date")
        remove.add(day)
    return Override(name, file, hashlib.sha256(raw).hexdigest(), add, frozenset(remove))


def overrides_for(names: Sequence[str | Path] = (), directory: Path | None = None) -> list[Override]:
    """``national.yaml`` (when present) followed by the named override files, loaded."""
    directory = directory or CALENDARS_DIR
    has_national = (directory / f"{NATIONAL}.yaml").is_file()
    national = [load_override(NATIONAL, directory)] if has_national else []
    return national + [load_override(n, directory) for n in names if str(n) != NATIONAL]


INDONESIA = "ID"


def national_holidays(years: Iterable[int], country: str = INDONESIA,
                      subdivision: str | None = None) -> dict[date, str]:
    """Public holidays in ``years`` from the ``holidays`` package (date -> name): for
    Indonesia the national holidays and cuti bersama (categories public and government, in
    Bahasa Indonesia); for another country its public holidays (of ``subdivision`` too)."""
    import holidays  # its import costs ~0.2 s: only where a calendar is built

    supported = holidays.list_supported_countries()
    if country not in supported:
        raise CalendarError(f"the holidays package knows no country '{country}'", field="country",
                            hint="an ISO 3166-1 code, " + did_you_mean(country, sorted(supported)))
    if subdivision is not None and subdivision not in supported[country]:
        raise CalendarError(f"'{subdivision}' is not a subdivision of {country} the holidays package knows",
                            field="subdivision", hint=did_you_mean(subdivision, supported[country])
                            if supported[country] else f"{country} has none: leave it out")
    if country == INDONESIA:
        found = holidays.Indonesia(years=list(years), categories=("public", "government"), language="id")
    else:
        found = holidays.country_holidays(country, subdiv=subdivision, years=list(years))
    return {d: str(n) for d, n in found.items()}


def apply_overrides(days: dict[date, str], overrides: Iterable[Override]) -> dict[date, str]:
    """A copy of ``days`` with each override's removals, then additions, applied in order."""
    days = dict(days)
    for ov in overrides:
        for d in ov.remove:
            days.pop(d, None)
        days.update(ov.add)
    return days


def holiday_dates(
    years: Iterable[int], overrides: Sequence[str | Path] = (), directory: Path | None = None
) -> dict[date, str]:
    """Days off in ``years`` (date -> name): holidays and cuti bersama, then override files."""
    return apply_overrides(national_holidays(years), overrides_for(overrides, directory))


def years_without_cuti_bersama(years: Iterable[int]) -> list[int]:
    """Years for which the package knows no cuti bersama decree (add them by override file)."""
    import holidays

    return [y for y in years if not holidays.Indonesia(years=y, categories=("government",))]
