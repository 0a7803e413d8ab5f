"""Which source column is the case id, the activity, the timestamp...: ``--map`` and common names.

Names are compared normalised (:func:`norm_name`: lower case, letters and digits only), so
``No Registrasi``, ``no_registrasi`` and ``NO-REGISTRASI`` are the same name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from event_logs.fields import ALIASES, FIELDS, REQUIRED, WEAK_ALIASES
from event_logs.ingest.pii import is_id_column, is_nik_column, is_personal_column, redact
from event_logs.ingest.text import norm_name
from pantau.errors import IngestError, MissingColumnError, did_you_mean


@dataclass
class ColumnPlan:
    """What each source column (by index into ``names``) becomes."""

    names: list[str]
    fields: dict[str, int]                   # field -> column index
    recognised: dict[str, bool]              # field -> True when found by name (not --map)
    pii: list[int] = field(default_factory=list)      # identity numbers: hashed
    nik: int | None = None                   # the first NIK column (its hash -> cases.nik_hash)
    niks: list[int] = field(default_factory=list)     # every NIK column (event, trace, nested)
    dropped: list[int] = field(default_factory=list)  # personal columns, not kept at all
    attributes: list[int] = field(default_factory=list)  # -> cases.attributes

    def used(self) -> dict[str, str]:
        """``field -> column name`` as recorded in ``imports.mapping``."""
        return {f: self.names[i] for f, i in self.fields.items()}


_DATA_LIKE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{9,}")


def shown_names(names: Sequence[str]) -> str:
    """The header as a message may show it; a first line that holds data (a date, a long
    number: the file has no header) is described, not shown, for its values may be personal."""
    if any(redact(n) != n or _DATA_LIKE.search(n) for n in names):
        return f"{len(names)} columns (the first line looks like data, not a header: not shown)"
    return str(list(names))


def _known(names: Sequence[str]) -> Sequence[str]:
    return names if not shown_names(names).endswith("not shown)") else []


def _find_column(names: Sequence[str], wanted: str) -> int | None:
    if wanted in names:
        return names.index(wanted)
    key = norm_name(wanted)
    for i, name in enumerate(names):
        if norm_name(name) == key:
            return i
    return None


def _missing_hint(field_name: str, names: Sequence[str], delimiter_note: str | None) -> str:
    shown = ", ".join(ALIASES[field_name])
    hint = f"map it with --map 'COLUMN={field_name}' (recognised names: {shown})"
    if field_name == "timestamp":
        hint += ("; a log that records no times at all: --no-timestamps (read in file order: "
                 "conformance only, Mutu Baku not measurable)")
    if shown_names(names).endswith("not shown)"):
        hint = f"add a header line (the columns' names) as the first line; or {hint}"
    if delimiter_note:
        hint = f"{delimiter_note}; or {hint}"
    return hint


def _odd_delimiter(names: Sequence[str]) -> str | None:
    """A note when a one-column header looks like it is split by a character we do not read."""
    if len(names) != 1:
        return None
    for char in ("|", ":", "^", "~", "#"):
        if names[0].count(char) >= 2:
            return (f"the header looks separated by '{char}', but Pantau reads comma, semicolon "
                    "or tab separated files: save it with one of those delimiters")
    return None


def plan_columns(
    names: Sequence[str],
    *,
    mapping: Mapping[str, str] | None,
    pii_columns: Iterable[str] = (),
    keep_names: bool = False,
    keep_columns: Iterable[str] = (),
    personal: Iterable[int] = (),
    file: str | None = None,
    require_timestamp: bool = True,
) -> ColumnPlan:
    """Assign columns to fields; raise :class:`MissingColumnError` naming what the file has.

    ``mapping`` is ``COLUMN -> FIELD`` (``--map``); other fields are recognised by name.
    Columns named in ``pii_columns`` or named like NIK/KK/KTP numbers are hashed (never
    attributes); personal columns (:func:`~event_logs.ingest.pii.is_personal_column`, and the
    indices in ``personal`` a reader found to hold personal fields) are dropped unless named
    in ``keep_columns``, ``keep_names`` (keep them all) or mapped to a field.
    """
    names = list(names)
    fields: dict[str, int] = {}
    recognised: dict[str, bool] = {}
    for column, field_name in (mapping or {}).items():
        if field_name not in FIELDS:
            raise IngestError(f"--map {column}={field_name}: unknown field '{field_name}'",
                              file=file, hint=f"fields are: {', '.join(FIELDS)}; "
                              + did_you_mean(field_name, FIELDS))
        index = _find_column(names, column)
        if index is None:
            raise MissingColumnError(
                f"--map names a column the file does not have: '{column}' (columns: {shown_names(names)})",
                file=file, field=column, hint=did_you_mean(column, _known(names)),
            )
        if field_name in fields:
            raise IngestError(f"--map gives two columns for '{field_name}'", file=file, field=field_name)
        if index in fields.values():
            raise IngestError(f"--map gives column '{names[index]}' two fields", file=file, field=column)
        fields[field_name] = index
        recognised[field_name] = False
    normalised = [norm_name(n) for n in names]
    for field_name in FIELDS:
        if field_name in fields:
            continue
        for alias in ALIASES[field_name]:
            key = norm_name(alias)
            hit = next((i for i, n in enumerate(normalised) if n == key and i not in fields.values()), None)
            if hit is not None:
                fields[field_name] = hit
                recognised[field_name] = True
                break
    required = REQUIRED if require_timestamp else tuple(f for f in REQUIRED if f != "timestamp")
    missing = [f for f in required if f not in fields]
    if missing:
        raise MissingColumnError(
            f"no {' / '.join(missing)} column; the file has the columns {shown_names(names)}",
            file=file, field=missing[0], hint=_missing_hint(missing[0], names, _odd_delimiter(names)),
        )

    plan = ColumnPlan(names=names, fields=fields, recognised=recognised)
    wanted_pii = _indices(names, pii_columns, "--pii", file)
    kept = _indices(names, keep_columns, "--keep-column", file)
    nested = set(personal)
    for i, name in enumerate(names):
        if i in wanted_pii or is_id_column(name):
            plan.pii.append(i)
            if is_nik_column(name):
                plan.niks.append(i)
        elif (is_personal_column(name) or i in nested) and not keep_names and i not in kept \
                and i not in fields.values():
            plan.dropped.append(i)
        elif i not in fields.values():
            plan.attributes.append(i)
    plan.nik = plan.niks[0] if plan.niks else None
    return plan


def _indices(names: list[str], columns: Iterable[str], option: str, file: str | None) -> set[int]:
    found: set[int] = set()
    for column in columns:
        index = _find_column(names, column)
        if index is None:
            raise MissingColumnError(
                f"{option} names a column the file does not have: '{column}' (columns: {shown_names(names)})",
                file=file, field=column, hint=did_you_mean(column, _known(names)),
            )
        found.add(index)
    return found


def demote_field(plan: ColumnPlan, field_name: str) -> None:
    """Turn a recognised field's column back into a case attribute (see WEAK_ALIASES)."""
    index = plan.fields.pop(field_name)
    plan.recognised.pop(field_name, None)
    if index not in plan.pii:
        plan.attributes.append(index)
        plan.attributes.sort()


def is_weak(plan: ColumnPlan, field_name: str) -> bool:
    """True when ``field_name`` was recognised through a weak alias (e.g. 'status')."""
    if not plan.recognised.get(field_name):
        return False
    return norm_name(plan.names[plan.fields[field_name]]) in {
        norm_name(a) for a in WEAK_ALIASES.get(field_name, ())
    }
