"""What an import did (returned by :func:`event_logs.ingest.ingest_file`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class IngestResult:
    """Counts and findings of one import.

    ``rows_read == rows_loaded + rows_quarantined + rows_duplicate`` always.
    ``quarantine_reasons`` counts quarantined rows per problem kind ("missing case_id",
    "unparsable timestamp", ...); a row with two problems counts under both.
    ``unmapped_labels`` counts loaded events per activity label that matched no SOP step;
    ``suggestions`` gives each such label up to three ``(step_id, step_name, score)``
    candidates, never applied (use an activity map file to apply them).
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

    def summary_line(self) -> str:
        """One line for the CLI, e.g. ``imported 980 rows: 950 loaded, 20 quarantined, 10 duplicates (import 3)``."""
        counts = (f"{self.rows_read:,} rows: {self.rows_loaded:,} loaded, "
                  f"{self.rows_quarantined:,} quarantined, {self.rows_duplicate:,} duplicates")
        if self.already_imported:
            return f"{self.file_name} was already imported (import {self.import_id}, {counts}); nothing changed"
        return f"imported {counts} (import {self.import_id})"
