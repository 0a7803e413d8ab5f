"""XES (and XES.gz) -> an Arrow table of text columns, streamed and parsed safely.

defusedxml refuses entity declarations and external references, so an XXE payload
(``<!ENTITY x SYSTEM "file:///etc/...">``) raises instead of reading local files; the
file is refused whole. Trace attributes become ``case:<key>`` columns (case attributes),
event attributes keep their key (``concept:name``, ``time:timestamp``, ...). Nested
attributes (lists, containers) and ``<global>`` defaults are ignored: a global default
timestamp would invent times the log never recorded.

Streamed: events go into Arrow arrays every :data:`BATCH` events, so Python holds one batch
of strings at a time; a column that repeats its values (labels, resources, lifecycle) is
dictionary-encoded, so a 1 GB log holds a few hundred MB of Arrow memory. The bytes parsed (inflated, for .gz) are counted as they are read and
the import is refused past ``max_bytes``, as it is past ``max_rows`` events: a 4 MB .xes.gz
that inflates to gigabytes stops at the cap instead of filling memory.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pyarrow as pa
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse

from pantau.errors import IngestError

ATTRIBUTE_TAGS = frozenset({"string", "date", "int", "float", "boolean", "id"})
BATCH = 50_000
_CAP_HINT = "raise [ingest] {key} in pantau.toml (docs/config.md), or split the log"


class _TooBig(Exception):
    """The inflated stream passed the byte cap."""


class _Counted:
    """A binary stream that counts the bytes read and stops past ``cap``."""

    def __init__(self, stream: IO[bytes], cap: int | None) -> None:
        self.stream, self.cap, self.count = stream, cap, 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.count += len(data)
        if self.cap is not None and self.count > self.cap:
            raise _TooBig
        return data


@dataclass
class XesLog:
    """The parsed log: column names (event keys first, then ``case:`` keys), one text
    column ``c<i>`` per name plus ``source_row`` (the event's place in the file), traces."""

    names: list[str]
    table: pa.Table
    traces: int
    skipped: int = 0  # events outside any trace: no case, so no row (counted, not read)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _open(path: Path) -> IO[bytes]:
    with path.open("rb") as probe:
        magic = probe.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else path.open("rb")


class _Columns:
    """Rows gathered into Arrow record batches of up to BATCH rows."""

    def __init__(self, max_rows: int | None) -> None:
        self.keys: dict[str, None] = {}   # every key, first-seen order
        self.current: dict[str, list[str | None]] = {}
        self.pending = 0
        self.rows = 0
        self.max_rows = max_rows
        self.tables: list[pa.Table] = []
        self.encode: dict[str, bool] = {}  # per key, decided on its first batch

    def add(self, values: dict[str, str]) -> None:
        if self.max_rows is not None and self.rows >= self.max_rows:
            raise _TooMany
        for key in [k for k in values if k not in self.current]:  # file order, not a set's (hash seed)
            self.keys.setdefault(key)
            self.current[key] = [None] * self.pending
        for key, column in self.current.items():
            column.append(values.get(key))
        self.pending += 1
        self.rows += 1
        if self.pending >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            arrays = {}
            for key, values in self.current.items():
                array = pa.array(values, pa.string())
                if key not in self.encode:
                    self.encode[key] = len(set(values)) * 4 < len(values)
                arrays[key] = array.dictionary_encode() if self.encode[key] else array
            self.tables.append(pa.table(arrays))
        self.current, self.pending = {}, 0

    def table(self) -> tuple[list[str], pa.Table]:
        self.flush()
        order = [k for k in self.keys if not k.startswith("case:")] + [k for k in self.keys if k.startswith("case:")]
        if not self.tables:
            return order, pa.table({"source_row": pa.array([], pa.int64())})
        # a key first seen late gets nulls in earlier batches: make its type the same everywhere
        kinds = {k: pa.dictionary(pa.int32(), pa.string()) if self.encode.get(k) else pa.string() for k in order}
        aligned = [pa.table({k: t.column(k).cast(kinds[k]) if k in t.column_names
                             else pa.nulls(t.num_rows, kinds[k]) for k in order}) for t in self.tables]
        self.tables.clear()
        whole = pa.concat_tables(aligned)
        aligned.clear()
        self.tables.clear()
        columns = {f"c{i}": whole.column(k) for i, k in enumerate(order)}
        columns["source_row"] = pa.array(range(1, whole.num_rows + 1), pa.int64())
        return order, pa.table(columns)


class _TooMany(Exception):
    """More events than the row cap."""


def read_xes(path: Path, *, max_bytes: int | None = None, max_rows: int | None = None) -> XesLog:
    """Parse ``path`` into an :class:`XesLog`; one row per event, in file order.

    Raises :class:`IngestError` for entity declarations, malformed XML, a damaged gzip stream,
    and a log past ``max_bytes`` (parsed bytes) or ``max_rows`` (events).
    """
    file = str(path)
    if max_bytes is not None and path.stat().st_size > max_bytes and not file.lower().endswith(".gz"):
        raise IngestError(f"refused: the XES file is {path.stat().st_size / (1 << 20):,.0f} MB, more than "
                          f"the cap of {max_bytes / (1 << 20):,.0f} MB", file=file,
                          hint=_CAP_HINT.format(key="max_decompressed_mb"))
    out = _Columns(max_rows)
    traces = skipped = 0
    stack: list[str] = []
    trace_attrs: dict[str, str] = {}
    trace_events: list[dict[str, str]] = []
    event_attrs: dict[str, str] = {}
    try:
        with _open(path) as raw:
            stream = _Counted(raw, max_bytes)
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
                    else:
                        skipped += 1
                    elem.clear()
                elif tag == "trace":
                    traces += 1
                    case = {f"case:{k}": v for k, v in trace_attrs.items()}
                    for event in trace_events:
                        out.add({**case, **event})
                    trace_events = []
                    elem.clear()
                elif tag == "log":
                    elem.clear()
    except _TooBig as exc:
        raise IngestError(f"refused: the XES log inflates to more than {max_bytes / (1 << 20):,.0f} MB, "
                          "the cap (nothing was imported)", file=file,
                          hint=_CAP_HINT.format(key="max_decompressed_mb")) from exc
    except _TooMany as exc:
        raise IngestError(f"refused: the XES log holds more than {max_rows:,} events, the cap "
                          "(nothing was imported)", file=file, hint=_CAP_HINT.format(key="max_rows")) from exc
    except DefusedXmlException as exc:
        raise IngestError(
            f"refused: the XES file declares an entity or DTD ({type(exc).__name__}); Pantau never "
            "expands XML entities (they can read local files)", file=file,
            hint="export the log again without a DOCTYPE/ENTITY declaration",
        ) from exc
    except ParseError as exc:
        raise IngestError(f"not well-formed XML (line {exc.position[0]}, column {exc.position[1]})",
                          file=file) from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise IngestError(f"cannot read the XES file: it is damaged or cut short "
                          f"({type(exc).__name__})", file=file) from exc
    names, table = out.table()
    return XesLog(names, table, traces, skipped)
