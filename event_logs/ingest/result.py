"""What an import did (returned by :func:`event_logs.ingest.ingest_file`)."""

from __future__ import annotations

from dataclasses import dataclass, field

# Facts the reader reports besides the rows, kept in imports.mapping under these keys too.
READER_FACTS = ("skipped_rows", "recoded_lines", "control_rows", "unbalanced_quote_rows", "order_only")


@dataclass
class IngestResult:
    """Counts and findings of one import.

    ``rows_read == rows_loaded + rows_quarantined + rows_duplicate`` always.
    ``quarantine_reasons`` counts quarantined rows per problem kind ("missing case_id",
    "unparsable timestamp", ...); a row with two problems counts under both.
    ``unmapped_labels`` counts loaded events per activity label that matched no SOP step;
    ``suggestions`` gives each such label up to three ``(step_id, step_name, score)``
    candidates, never applied (use an activity map file to apply them).
    Reader facts: ``skipped_rows`` blank lines, empty sheet rows, XES events outside any trace (not
    rows, not in ``rows_read``); ``recoded_lines`` lines of a UTF-8 file that were not UTF-8
    and were decoded as cp1252 one by one; ``control_rows`` rows control characters were
    removed from; ``unbalanced_quote_rows`` the rows whose quote did not close on their line
    (quarantined; the lines after each are read as rows). ``order_only``: the log has no
    times; its events are in file order and its Mutu Baku is not measurable.
    """

    import_id: int
    file_name: str
    sha256: str
    format: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_duplicate: int
    already_imported: bool = False
    unmapped_labels: dict[str, int] = field(default_factory=dict)
    suggestions: dict[str, list[tuple[str, str, float]]] = field(default_factory=dict)
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)  # field -> source column used
    timezone: str | None = None  # zone given to naive timestamps
    skipped_rows: int = 0
    recoded_lines: int = 0
    control_rows: int = 0
    unbalanced_quote_rows: list[int] = field(default_factory=list)
    order_only: bool = False
    sop_id: str | None = None
    labels_seen: int = 0  # distinct activity labels among the loaded rows

    def warnings(self) -> list[str]:
        """What the user must look at although the import succeeded (e.g. most labels unmapped)."""
        from event_logs.mapping import unmapped_warning

        found = unmapped_warning(self.sop_id or "?", len(self.unmapped_labels), self.labels_seen,
                                 sum(self.unmapped_labels.values()), self.rows_loaded)
        return [found] if found else []

    def label_lines(self, show=str) -> list[str]:
        """The unmapped labels worth printing, with their plausible steps (a bounded list)."""
        from event_logs.mapping import suggestion_lines

        return suggestion_lines(self.unmapped_labels, self.suggestions, show)

    def notes(self) -> list[str]:
        """The reader facts worth telling, one phrase each (empty when none)."""
        out = []
        if self.order_only:
            out.append("no timestamps: events in file order, conformance only (Mutu Baku not measurable)")
        if self.skipped_rows:
            out.append(f"{self.skipped_rows:,} empty rows skipped" if self.format != "xes"
                       else f"{self.skipped_rows:,} events outside any trace skipped")
        if self.recoded_lines:
            out.append(f"{self.recoded_lines:,} lines were not UTF-8 and were read as cp1252")
        if self.control_rows:
            out.append(f"control characters removed from {self.control_rows:,} rows")
        if self.unbalanced_quote_rows:
            shown = ", ".join(map(str, self.unbalanced_quote_rows[:10]))
            more = " …" if len(self.unbalanced_quote_rows) > 10 else ""
            out.append(f"unbalanced quote in rows {shown}{more} (quarantined; the lines after "
                       "them read as rows)")
        return out

    def summary_line(self) -> str:
        """One line for the CLI, e.g. ``imported 980 rows: 950 loaded, 20 quarantined, 10 duplicates (import 3)``."""
        counts = (f"{self.rows_read:,} rows: {self.rows_loaded:,} loaded, "
                  f"{self.rows_quarantined:,} quarantined, {self.rows_duplicate:,} duplicates")
        if self.already_imported:
            return f"{self.file_name} was already imported (import {self.import_id}, {counts}); nothing changed"
        notes = "; ".join(self.notes())
        return f"imported {counts} (import {self.import_id})" + (f"; {notes}" if notes else "")
