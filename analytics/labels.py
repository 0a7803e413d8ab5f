"""Labels stage of ``pantau analyze``: every activity label of the analysed events mapped to
a step of the model version it is checked against, at analysis time.

Events keep the label the source file gave; the mapping (the store's ``activity_map`` plus
exact and normalised matches, :func:`event_logs.mapping.match_labels`) is applied here, so a
corrected mapping reaches every stored event at the next run. Writes this run's
``activity_labels`` rows (what each label was mapped to, and suggestions for the unmapped
ones) and leaves on the connection:

- ``run_labels(sop_id, label, step_id, in_case)`` (:func:`analytics.standards.install_labels`);
- ``run_events``: a temp view of the analysed SOPs' events that are part of a case, with the
  ``step_id`` their label maps to (NULL when unmapped; ``sql/staging/run_events.sql``).
  Every later stage reads events through it, so the mapping rule is applied in one place;
- ``case_kelengkapan``: the documents each case lacks (``sql/intermediate/kelengkapan.sql``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import duckdb
import pyarrow as pa

from analytics import sql_files
from analytics.incremental import scope_sql
from analytics.standards import install_labels
from event_logs.mapping import explicit_map, match_labels
from sop_models.model import SopModel

Labels = list[tuple[str, str, int, str | None, str | None, str | None]]


def label_counts(con: duckdb.DuckDBPyConnection, sop_ids: Sequence[str],
                 watermarks: Mapping[str, int] | None = None) -> dict[str, dict[str, int]]:
    """Per SOP the events of each label (``run_scope_events``). An SOP of ``watermarks``
    (analysed incrementally from that import on, :mod:`analytics.incremental`: the same events
    up to it as its last run, all of them judged by one version) adds the events imported
    after it to the counts its last run stored in ``activity_labels``, instead of counting
    over every event of the store. (The constant lower bound on ``import_id`` lets DuckDB skip
    the row groups of older imports by their min/max; a join condition alone reads them all.)"""
    marks = {s: int(i) for s, i in (watermarks or {}).items() if s in sop_ids}
    counts: dict[str, dict[str, int]] = {}
    rows = con.execute(
        "SELECT sop_id, activity, count(*) FROM run_scope_events WHERE sop_id IN (SELECT unnest(?)) "
        "GROUP BY ALL", [[s for s in sop_ids if s not in marks]]).fetchall()
    if marks:
        rows += con.execute("""
            WITH w AS (SELECT unnest(?::VARCHAR[]) AS sop_id, unnest(?::INTEGER[]) AS import_id)
            SELECT sop_id, label, sum(n)::BIGINT FROM (
                SELECT sop_id, label, events AS n FROM activity_labels WHERE sop_id IN (SELECT sop_id FROM w)
                UNION ALL
                SELECT e.sop_id, e.activity, count(*) FROM events e JOIN w ON w.sop_id = e.sop_id
                WHERE e.import_id > w.import_id AND e.import_id > ? GROUP BY ALL)
            GROUP BY ALL""", [list(marks), list(marks.values()), min(marks.values())]).fetchall()
    for sop_id, label, n in sorted(rows):
        counts.setdefault(sop_id, {})[label] = int(n)
    return counts


def mapping(con: duckdb.DuckDBPyConnection, models: dict[str, SopModel],
            watermarks: Mapping[str, int] | None = None
            ) -> tuple[list[tuple[str, str, str | None, bool]], Labels]:
    """``run_labels`` rows and, per distinct label of the SOPs' events, (sop_id, label, events,
    step_id, how, suggestions JSON). ``watermarks``: see :func:`label_counts`."""
    counts = label_counts(con, list(models), watermarks)
    rows: list[tuple[str, str, str | None, bool]] = []
    labels: list[tuple[str, str, int, str | None, str | None, str | None]] = []
    for sop_id, model in models.items():
        scope = {s.id: s.scope for s in model.steps}
        found = match_labels(counts.get(sop_id, {}), model, explicit_map(con, sop_id))
        for label, n in counts.get(sop_id, {}).items():
            how = found.how.get(label)
            step_id = found.steps[label][0] if label in found.steps else None
            if how == "out_of_scope":
                rows.append((sop_id, label, None, False))
            elif step_id is not None:
                rows.append((sop_id, label, step_id, scope[step_id] == "case"))
            suggestions = found.suggestions.get(label)
            labels.append((sop_id, label, n, step_id, how, None if suggestions is None else
                           json.dumps([[s, score] for s, _name, score in suggestions])))
    return rows, labels


def map_labels(con: duckdb.DuckDBPyConnection, run_id: int, models: dict[str, SopModel]) -> int:
    """Map the distinct labels of ``models``' events, write this run's ``activity_labels``
    rows; returns how many labels stayed unmapped.

    Needs :func:`analytics.standards.install_standards` first (``mutu_baku_sops``).
    """
    rows, labels = mapping(con, models)
    write_labels(con, run_id, models, rows, labels)
    return sum(1 for label in labels if label[4] is None)


def write_labels(con: duckdb.DuckDBPyConnection, run_id: int, models: dict[str, SopModel],
                 rows: list[tuple[str, str, str | None, bool]], labels: Labels, *,
                 incremental: bool = False) -> None:
    """Write this run's ``activity_labels`` rows and leave ``run_labels``, ``run_events`` and
    ``case_kelengkapan`` on the connection (see the module docstring); ``incremental``: they
    hold only the run's scope (:mod:`analytics.incremental`, whose tables must exist)."""
    install_labels(con, rows, list(models))
    sql_files.run(con, "intermediate/kelengkapan.sql", cases=scope_sql("case_rows", "c", incremental))
    if labels:
        # one INSERT from an Arrow table: executemany costs ~1 ms a row, and a log with
        # thousands of distinct labels (free-text activities) has thousands of rows
        columns = list(zip(*labels, strict=True))
        table = pa.table({
            "sop_id": pa.array(columns[0], pa.string()),
            "model_sha256": pa.array([models[sop].sha256 for sop in columns[0]], pa.string()),
            "label": pa.array(columns[1], pa.string()), "events": pa.array(columns[2], pa.int64()),
            "step_id": pa.array(columns[3], pa.string()), "how": pa.array(columns[4], pa.string()),
            "suggestions": pa.array(columns[5], pa.string())})
        con.register("activity_labels_arrow", table)
        try:
            con.execute("INSERT INTO activity_labels (run_id, sop_id, model_sha256, label, events, step_id, "
                        "how, suggestions) SELECT ?, * FROM activity_labels_arrow", [run_id])
        finally:
            con.unregister("activity_labels_arrow")
    sql_files.run(con, "staging/run_events.sql", events=scope_sql("pass_events", "e", incremental))


def ensure_labels(con: duckdb.DuckDBPyConnection, models: dict[str, SopModel]) -> None:
    """Make sure ``run_labels``, ``run_events`` and ``case_kelengkapan`` exist on this
    connection for ``models`` (a stage run on its own, e.g. in a test): the labels are mapped
    again, nothing is written. Needs :func:`analytics.standards.install_standards` first."""
    present = {r[0] for r in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE view_name = 'run_events'").fetchall()}
    if present and set(models) <= {r[0] for r in con.execute("SELECT sop_id FROM run_labels_sops").fetchall()}:
        return
    install_labels(con, mapping(con, models)[0], list(models))
    sql_files.run(con, "intermediate/kelengkapan.sql", cases=scope_sql("case_rows", "c", False))
    sql_files.run(con, "staging/run_events.sql", events=scope_sql("pass_events", "e", False))
