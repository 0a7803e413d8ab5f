"""On-time targets: the share of cases within Mutu Baku an agency aims at for an SOP.

Kept append-only in the store's ``targets`` table (who set it, when, why); the rule that picks
the target in force is the store's macro ``on_time_target(sop, agency)``
(``event_logs/sql/views.sql``): an agency's own target, else the SOP's, else the model
version's ``target_on_time``, else 90 %.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pandas as pd

from event_logs import registry
from pantau.errors import PantauError, did_you_mean


class TargetError(PantauError):
    """A target that cannot be set: an unknown SOP, a share out of range."""


def _check(con: duckdb.DuckDBPyConnection, sop_id: str, share: float | None) -> None:
    known = registry.sop_ids(con)
    if sop_id not in known:
        raise TargetError(f"unknown SOP id '{sop_id}'", field="sop", hint=did_you_mean(sop_id, known))
    if share is not None and not 0 < share <= 1:
        raise TargetError(f"a target must lie above 0 and at most 1, not {share}", field="share",
                          hint="0.9 means nine cases in ten within Mutu Baku")


def set_target(con: duckdb.DuckDBPyConnection, sop_id: str, share: float, *, by: str,
               agency: str | None = None, reason: str | None = None) -> None:
    """Set the on-time target of ``sop_id`` (for ``agency``, or every agency) to ``share``."""
    _check(con, sop_id, share)
    _append(con, sop_id, agency, share, by, reason)


def unset_target(con: duckdb.DuckDBPyConnection, sop_id: str, *, by: str, agency: str | None = None,
                 reason: str | None = None) -> None:
    """Remove the target set for ``sop_id`` (and ``agency``): the next rule applies again."""
    _check(con, sop_id, None)
    _append(con, sop_id, agency, None, by, reason)


def _append(con: duckdb.DuckDBPyConnection, sop_id: str, agency: str | None, share: float | None,
            by: str, reason: str | None) -> None:
    if not by.strip():
        raise TargetError("who sets the target must be named", field="by", hint="pass --by NAME")
    con.execute("INSERT INTO targets VALUES (?, ?, ?, ?, ?, ?)",
                [sop_id, agency or None, share, by.strip(), datetime.now(UTC), reason])


def targets(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The target in force for every SOP × agency with analysed cases (and every SOP the store
    holds a model of, for all agencies), with where it comes from."""
    return con.execute("""
        WITH pairs AS (
            SELECT DISTINCT sop_id, agency FROM case_checks
            UNION SELECT DISTINCT sop_id, NULL FROM models)
        SELECT sop_id, agency, on_time_target(sop_id, agency) AS target_on_time,
               on_time_target_source(sop_id, agency) AS source
        FROM pairs ORDER BY sop_id, agency NULLS FIRST""").df()


def history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every target ever set or removed, newest first (the append-only record)."""
    return con.execute("SELECT * FROM targets ORDER BY set_at DESC").df()
