"""Tests of the simulator and of single stages read events with the step each maps to.

Events keep only the label their source gave; the analysis maps labels to steps
(``event_logs.mapping.match_labels``, the store's ``activity_map``). :func:`connect_with_steps`
opens a store read-only and shadows ``events`` with a TEMP view that adds ``step_id`` and
``lane`` as that same mapping gives them for the version of each SOP in force today, so a
test can ask "which step did the simulator log" in SQL. Real code path, no copy of the rule.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from event_logs import registry
from event_logs.mapping import explicit_map, match_labels
from event_logs.store import open_store


def add_steps(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    """Shadow ``events`` on ``con`` with a view adding ``step_id`` and ``lane``; returns
    ``(sop_id, label) -> how`` (exact, normalised, map) for the mapped labels."""
    db = con.execute("SELECT current_database()").fetchall()[0][0]
    rows, how = [], {}
    for sop_id in [r[0] for r in con.execute(f'SELECT DISTINCT sop_id FROM "{db}".main.events').fetchall()]:
        try:
            model = registry.latest(con, sop_id)
        except Exception:
            continue
        labels = dict(con.execute(f'SELECT activity, count(*) FROM "{db}".main.events WHERE sop_id = ? '
                                  "GROUP BY ALL", [sop_id]).fetchall())
        found = match_labels(labels, model, explicit_map(con, sop_id))
        rows += [(sop_id, label, step, lane) for label, (step, lane) in found.steps.items()]
        how.update({(sop_id, label): h for label, h in found.how.items()})
    con.execute("CREATE OR REPLACE TEMP TABLE event_steps (sop_id VARCHAR, label VARCHAR, step_id VARCHAR, lane VARCHAR)")
    if rows:
        con.executemany("INSERT INTO event_steps VALUES (?, ?, ?, ?)", rows)
    con.execute(f"""CREATE OR REPLACE TEMP VIEW events AS
        SELECT e.*, s.step_id, s.lane FROM "{db}".main.events e
        LEFT JOIN event_steps s ON s.sop_id = e.sop_id AND s.label = e.activity""")
    return how


def connect_with_steps(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the store at ``path`` whose ``events`` carry step and lane."""
    con = open_store(path)
    add_steps(con)
    return con
