"""XES (and XES.gz) -> flat columns, parsed safely.

defusedxml refuses entity declarations and external references, so an XXE payload
(``<!ENTITY x SYSTEM "file:///etc/...">``) raises instead of reading local files; the
file is refused whole. Trace attributes become ``case:<key>`` columns (case attributes),
event attributes keep their key (``concept:name``, ``time:timestamp``, ...). Nested
attributes (lists, containers) and ``<global>`` defaults are ignored: a global default
timestamp would invent times the log never recorded.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import IO

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse

from pantau.errors import IngestError

ATTRIBUTE_TAGS = frozenset({"string", "date", "int", "float", "boolean", "id"})


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _open(path: Path) -> IO[bytes]:
    with path.open("rb") as probe:
        magic = probe.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else path.open("rb")


def read_xes(path: Path) -> tuple[list[str], dict[str, list[str | None]], int]:
    """Parse ``path`` into ``(column names, column -> values, traces)``; one row per event.

    Column ``source_row`` is not included: row ``i`` is the ``i``-th event in file order.
    """
    columns: dict[str, list[str | None]] = {}
    rows = 0
    traces = 0
    stack: list[str] = []
    trace_attrs: dict[str, str] = {}
    trace_events: list[dict[str, str]] = []
    event_attrs: dict[str, str] = {}

    def add_row(values: dict[str, str]) -> None:
        nonlocal rows
        for key in values.keys() - columns.keys():
            columns[key] = [None] * rows
        for key, column in columns.items():
            column.append(values.get(key))
        rows += 1

    try:
        with _open(path) as stream:
            for kind, elem in iterparse(stream, events=("start", "end"), forbid_dtd=False,
                                        forbid_entities=True, forbid_external=True):
                tag = _local(elem.tag)
                if kind == "start":
                    stack.append(tag)
                    if tag == "trace":
                        trace_attrs, trace_events = {}, []
                    elif tag == "event":
                        event_attrs = {}
                    continue
                stack.pop()
                parent = stack[-1] if stack else None
                if tag in ATTRIBUTE_TAGS and elem.get("key") is not None:
                    target = event_attrs if parent == "event" else trace_attrs if parent == "trace" else None
                    if target is not None:
                        target.setdefault(elem.get("key"), elem.get("value"))
                elif tag == "event":
                    if parent == "trace":
                        trace_events.append(event_attrs)
                    elem.clear()
                elif tag == "trace":
                    traces += 1
                    case = {f"case:{k}": v for k, v in trace_attrs.items()}
                    for event in trace_events:
                        add_row({**case, **event})
                    elem.clear()
    except DefusedXmlException as exc:
        raise IngestError(
            f"refused: the XES file declares an entity or DTD ({type(exc).__name__}); Pantau never "
            "expands XML entities (they can read local files)", file=str(path),
            hint="export the log again without a DOCTYPE/ENTITY declaration",
        ) from exc
    except ParseError as exc:
        raise IngestError(f"not well-formed XML: {exc}", file=str(path)) from exc
    except (OSError, EOFError) as exc:
        raise IngestError(f"cannot read the XES file: {exc}", file=str(path)) from exc
    # Event keys first, then case attributes, each in first-seen order.
    order = [k for k in columns if not k.startswith("case:")] + [k for k in columns if k.startswith("case:")]
    return order, {k: columns[k] for k in order}, traces
