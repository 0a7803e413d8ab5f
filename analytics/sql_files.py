"""The analysis SQL files and the small runner that applies them.

Files live in ``analytics/sql/`` by layer, as dbt's jaffle_shop lays SQL out: ``staging/``
(the store's tables as the analysis reads them), ``intermediate/`` (per-case and
per-occurrence facts), ``rules/`` (each rule used by more than one result, as a macro),
``results/`` (the result tables) and ``calendar/``. Each file starts with a comment saying
what it does and a header the runner checks::

    -- inputs: run_events, mutu_baku_sops, macro work_clock_local
    -- output: step_checks
    -- placeholders: run_id, occurrences

``inputs`` must exist on the connection before the file runs (tables, views, ``macro``
names; ``(none)`` for none); ``output`` is what it creates or fills (``(relation)`` for a
fragment other files embed); every ``{name}`` in the text must be a declared placeholder
and given a value, and nothing else is substituted (DuckDB's ``{'key': value}`` struct
literals are left alone). A missing input is an :class:`~pantau.errors.AnalysisError`
naming the file, instead of a binder error deep in a statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import duckdb

from pantau.errors import AnalysisError

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_HEADER = re.compile(r"^--\s*(inputs|output|placeholders):\s*(.*)$", re.M)


@dataclass(frozen=True)
class SqlFile:
    """One analysis SQL file and its declared header."""

    name: str
    text: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    placeholders: tuple[str, ...]

    def render(self, **values: Any) -> str:
        """The text with every placeholder replaced by ``values``' text."""
        missing = set(self.placeholders) - set(values)
        extra = set(values) - set(self.placeholders)
        if missing or extra:
            raise AnalysisError(f"{self.name}: placeholders {sorted(missing)} not given, "
                                f"{sorted(extra)} not declared", file=self.name)
        return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), self.text)


def _names(value: str) -> tuple[str, ...]:
    value = value.strip()
    if value in ("", "(none)"):
        return ()
    return tuple(v.strip() for v in value.split(",") if v.strip())


@cache
def sql_file(name: str) -> SqlFile:
    """The file ``analytics/sql/<name>`` with its header (cached: files do not change)."""
    text = files("analytics").joinpath("sql", *name.split("/")).read_text(encoding="utf-8")
    header = {key: _names(value) for key, value in _HEADER.findall(text)}
    if "inputs" not in header or "output" not in header:
        raise AnalysisError(f"{name} has no '-- inputs:' / '-- output:' header", file=name)
    used = tuple(dict.fromkeys(_PLACEHOLDER.findall(text)))
    declared = header.get("placeholders", ())
    if set(used) != set(declared):
        raise AnalysisError(f"{name}: placeholders used {sorted(used)} but declared {sorted(declared)}",
                            file=name)
    return SqlFile(name, text, header["inputs"], header["output"], declared)


def _missing(con: duckdb.DuckDBPyConnection, names: tuple[str, ...]) -> list[str]:
    relations = {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views()").fetchall()}
    functions = {r[0] for r in con.execute("SELECT function_name FROM duckdb_functions()").fetchall()}
    out = []
    for name in names:
        if name.startswith("macro "):
            if name[6:] not in functions:
                out.append(name)
        elif name not in relations:
            out.append(name)
    return out


def literal(text: str) -> str:
    """``text`` as a SQL string literal, for a value a file's placeholder takes inline."""
    return "'" + text.replace("'", "''") + "'"


def render(name: str, **values: Any) -> str:
    """The text of ``name`` with its placeholders filled (for fragments embedded elsewhere)."""
    return sql_file(name).render(**values)


def run(con: duckdb.DuckDBPyConnection, name: str, **values: Any) -> None:
    """Check ``name``'s inputs on ``con``, fill its placeholders and execute it."""
    f = sql_file(name)
    missing = _missing(con, f.inputs)
    if missing:
        raise AnalysisError(f"{name} needs {missing}, which this connection lacks", file=name,
                            hint="run the stages of analytics.analyze in order (see analytics/run.py)")
    con.execute(f.render(**values))
