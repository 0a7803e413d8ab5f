"""The activity table: header, lanes, rows (Permenpan-RB 35/2012 layout).

Header row 1 holds NO, KEGIATAN (or URAIAN KEGIATAN), PELAKSANA, MUTU BAKU, KET(ERANGAN);
header row 2 names the lanes then KELENGKAPAN, WAKTU, OUTPUT. Data rows are read by
position: No, Kegiatan, one cell per lane, then Kelengkapan, Waktu, Output, Keterangan in
consecutive columns. Some documents print header row 2 shifted (an empty cell between WAKTU
and OUTPUT) while the data rows are not, so the header's own OUTPUT position is not used.

The table may continue over pages with the header printed again (skipped). It ends at a
blank line followed by anything that is neither a repeated header nor a row of this table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sop_models.importer.lanes import infer_lane, is_lane_heading, printed_lane
from sop_models.importer.text import Row, cell_at, cells, clean, is_blank, split_items

_NO = re.compile(r"^(?:no|nomor|nomer)\.?$", re.IGNORECASE)
_KEGIATAN = re.compile(r"\bkegiatan\b|^uraian$|^aktivitas$", re.IGNORECASE)
_PELAKSANA = re.compile(r"\bpelaksana\b", re.IGNORECASE)
_KELENGKAPAN = re.compile(r"^kelengkapan\b|^persyaratan\b", re.IGNORECASE)
_WAKTU = re.compile(r"^waktu\b", re.IGNORECASE)
_OUTPUT = re.compile(r"^output\b|^keluaran\b|^hasil\b", re.IGNORECASE)
TIME_PHRASE = re.compile(
    r"\btanggal\s+\d{1,2}\b|\bsetiap\s+(?:tanggal|hari|minggu|bulan|awal\s+bulan|akhir\s+bulan)"
    r"|\b\d+\s*[x×]\s*24\s*jam|\b\d+\s*(?:\(\w+\)\s*)?(?:menit|jam|hari|minggu|bulan)\b"
    r"|\bhari\s+kerja\b|\bhari\s+yang\s+sama\b|\bpaling\s+(?:lama|cepat|lambat)\b"
    r"|\btidak\s+boleh\s+lebih\s+dari\b|\bselambat-lambatnya\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Header:
    """Where the activity table starts and which column holds what."""

    line: int
    width: int
    no_col: int
    kegiatan_col: int
    lanes: tuple[tuple[int, str], ...]
    printed_output_col: int | None

    @property
    def kelengkapan_col(self) -> int:
        """First column after the lanes."""
        return self.lanes[-1][0] + 1

    @property
    def lane_names(self) -> list[str]:
        """Lane names as printed, left to right."""
        return [name for _, name in self.lanes]


@dataclass
class Table:
    """Steps (model-file mappings, ids not yet assigned), end line and what was noticed."""

    header: Header
    steps: list[dict] = field(default_factory=list)
    end: int = 0
    notes: list[str] = field(default_factory=list)


def _col(found: list[tuple[int, str]], pattern: re.Pattern[str]) -> int | None:
    return next((i for i, t in found if pattern.search(t)), None)


def match_header(rows: list[Row], i: int) -> Header | None:
    """The header starting at line ``i`` (two rows), or None."""
    if i + 1 >= len(rows):
        return None
    first = cells(rows[i])
    no_col, keg_col = _col(first, _NO), _col(first, _KEGIATAN)
    if no_col is None or keg_col is None or _col(first, _PELAKSANA) is None:
        return None
    second = cells(rows[i + 1])
    kel_col, waktu_col = _col(second, _KELENGKAPAN), _col(second, _WAKTU)
    if kel_col is None or waktu_col is None:
        return None
    lanes = tuple((c, t) for c, t in second if keg_col < c < kel_col)
    if not lanes:
        return None
    return Header(
        line=i,
        width=max(len(rows[i]), len(rows[i + 1])),
        no_col=no_col,
        kegiatan_col=keg_col,
        lanes=lanes,
        printed_output_col=_col(second, _OUTPUT),
    )


def find_header(rows: list[Row]) -> Header | None:
    """The first activity-table header in the document."""
    return next((h for i in range(len(rows)) if (h := match_header(rows, i))), None)


def _same_header(rows: list[Row], i: int, header: Header) -> bool:
    again = match_header(rows, i)
    return again is not None and again.lane_names == header.lane_names


def _is_table_row(row: Row, header: Header) -> bool:
    """A row of this table: as wide (trailing empty cells aside) with some Kegiatan/lane text."""
    width = len(row)
    while width > 0 and not row[width - 1].strip():
        width -= 1
    return header.kelengkapan_col < len(row) and width <= header.width and bool(
        cell_at(row, header.kegiatan_col) or any(cell_at(row, c) for c, _ in header.lanes)
    )


def read_table(rows: list[Row], header: Header) -> Table:
    """Every data row of the table, in document order."""
    table = Table(header=header)
    repeats: list[int] = []
    i = header.line + 2
    while i < len(rows):
        if is_blank(rows[i]):
            j = i
            while j < len(rows) and is_blank(rows[j]):
                j += 1
            if j < len(rows) and (_same_header(rows, j, header) or _is_table_row(rows[j], header)):
                i = j
                continue
            break
        if _same_header(rows, i, header):
            repeats.append(i + 1)
            i += 2
            continue
        if not _is_table_row(rows[i], header):
            break
        _read_row(table, rows[i], i + 1)
        i += 1
    table.end = i
    if repeats:
        table.notes.append(
            f"activity table header repeated {len(repeats)} more time(s) (lines "
            f"{', '.join(map(str, repeats))}): skipped"
        )
    _shift_note(table)
    return table


def _shift_note(table: Table) -> None:
    h = table.header
    expected = h.kelengkapan_col + 2
    if h.printed_output_col is not None and h.printed_output_col != expected:
        table.notes.append(
            f"header row 2 prints OUTPUT in column {h.printed_output_col + 1} but data rows hold "
            f"it in column {expected + 1}: read Kelengkapan, Waktu, Output, Keterangan by position"
        )


def _read_row(table: Table, row: Row, line: int) -> None:
    h = table.header
    lanes = h.lane_names
    name = cell_at(row, h.kegiatan_col)
    k = h.kelengkapan_col
    marks = {lane: clean(row[c]) for c, lane in h.lanes if cell_at(row, c)}
    if not name:
        if cells(row):
            table.notes.append(f"line {line}: a row without Kegiatan text was skipped")
        return
    rest = [cell_at(row, c) for c in range(k, k + 4)]
    if is_lane_heading(name, lanes) and not any(rest):
        table.notes.append(
            f"line {line}: row {name!r} names only a lane: read as a section heading, not a step"
        )
        return
    no = cell_at(row, h.no_col).rstrip(".") or None
    lane = printed_lane(marks)
    previous = table.steps[-1]["name"] if table.steps else None
    waktu_context = name if TIME_PHRASE.search(name) else None
    table.steps.append(
        {
            "id": None,
            "no": no,
            "name": name,
            "lane": lane or infer_lane(name, lanes, previous),
            "lane_source": "printed" if lane else "inferred",
            "lane_marks": marks,
            "kelengkapan": split_items(rest[0]),
            "output": rest[2] or None,
            "keterangan": rest[3] or None,
            "waktu": rest[1] or None,
            "waktu_context": waktu_context,
        }
    )
