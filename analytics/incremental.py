"""Incremental analysis (issue 16.1): what a run must recompute after new imports.

An SOP is analysed **incrementally** when its last run left a watermark (the highest import it
analysed and how many of the SOP's events it had up to it) and nothing else its results depend
on changed since: the model version in force, the mapping of the labels it saw, the working
calendar (version and first day of the install), the ``[analysis]`` settings, the Pantau and
schema versions, and no analysed event has gone. Otherwise, or with ``pantau analyze --full``,
the SOP is analysed **full**: every row of it is replaced, as before.

For an incremental SOP the run recomputes, and replaces only:

- every case touched by an event imported after the watermark (whatever its timestamp: events
  older than the last run count too), keyed (sop_id, agency, case_id): its ``step_checks``,
  ``case_checks``, ``deviations`` and ``open_cases`` rows (temp table ``run_scope_cases``);
- every other case open at the last run, whose standing moves with the new as-of: only its
  ``open_cases`` row (``run_scope_open``; :func:`analytics.open_cases.rejudge_open`), since
  nothing else depends on the as-of;
- the ``lane_stats`` and ``handovers`` rows of the (SOP, agency, unit, local month) keys that the
  touched cases' changed step occurrences reach (:mod:`analytics.lane_scope`): their old
  ``step_checks`` rows that are not among the new ones and the new ones that were not among the old (compared on every column but
  ``run_id``; ``run_scope_lanes``). Those rows are all the lane statements read, so a key whose
  rows are the same multiset as before gets the same rows again: most of a day's cases only
  add occurrences in the last month, their older ones come out as before;
- the ``bottleneck_days`` rows of the days the touched cases' rows beyond the standard were or
  are on (:func:`analytics.bottleneck_days.write_bottleneck_days`);
- ``variants`` (case counts over every case) and ``model_quality`` of every agency, with
  pm4py's precision recomputed only for an SOP x agency whose multiset of variants changed
  (``run_scope_agencies``); the others keep the precision they had.

Every result statement reads its input through these tables (``scope_sql`` renders the
filters), so a full run is the same statements with the filters ``true``. Anything a test
shows to differ from a full run on the same events is a bug here. A case recomputed although
nothing changed gets the same rows again, so the scope may be a superset, never a subset.

Runs record their kind (``runs.kind``) and, per SOP, what they recomputed and the watermark
(``runs.recomputed``; docs/schema.md).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from analytics.lane_scope import SAME_LANE_KEY
from pantau import __version__
from pantau.errors import AnalysisError
from sop_models.model import SopModel

FULL = "full"
INCREMENTAL = "incremental"


class NotIncremental(AnalysisError):
    """An incremental SOP turned out to need a full run (found only while checking it, e.g.
    pm4py's token-replay bound, which a full run applies over all of the SOP's variants)."""

    def __init__(self, sop_id: str, reason: str) -> None:
        super().__init__(f"SOP {sop_id}: {reason}", hint="the run is repeated with the SOP full")
        self.sop_id = sop_id
        self.reason = reason


@dataclass
class SopPlan:
    """How one SOP is analysed in this run."""

    kind: str
    reason: str | None = None  # why full
    watermark: int | None = None  # incremental: the last run's highest import id
    prev_events: int = 0  # incremental: the SOP's events up to the watermark
    prev_cases: int | None = None  # and its cases (None: a run before these were recorded)
    counts: dict[str, int] = field(default_factory=dict)  # what was recomputed


@dataclass
class RunPlan:
    """Each analysed SOP's :class:`SopPlan`, and the facts the next run compares with."""

    sops: dict[str, SopPlan]
    calendar_first: str | None = None
    # per SOP (events, cases, highest import id) of the store now (count_events)
    marks: dict[str, tuple[int, int, int | None]] = field(default_factory=dict)

    @property
    def incremental(self) -> list[str]:
        """The SOPs analysed incrementally."""
        return [s for s, p in self.sops.items() if p.kind == INCREMENTAL]

    @property
    def full(self) -> list[str]:
        """The SOPs analysed from all their events."""
        return [s for s, p in self.sops.items() if p.kind == FULL]

    @property
    def kind(self) -> str:
        """``incremental`` when any SOP is, else ``full`` (``runs.kind``)."""
        return INCREMENTAL if self.incremental else FULL

    def record(self, con: duckdb.DuckDBPyConnection) -> str:
        """``runs.recomputed``: per SOP its kind, why full, what was recomputed, and the
        watermark the next run starts from (:func:`count_events`, inside the run's transaction)."""
        out: dict[str, Any] = {"calendar_first": self.calendar_first, "sops": {}}
        for sop_id, p in self.sops.items():
            events, cases, import_id = self.marks.get(sop_id, (0, 0, None))
            out["sops"][sop_id] = {"kind": p.kind, "reason": p.reason, **p.counts,
                                   "import_id": import_id, "events": int(events), "all_cases": int(cases),
                                   "versions": model_versions(con, sop_id)}
        return json.dumps(out, sort_keys=True)


def model_versions(con: duckdb.DuckDBPyConnection, sop_id: str) -> list[str]:
    """The SOP's confirmed model versions with their effective dates: when a version is added
    or its date moves, the version in force may change for cases the new events do not touch
    (a model version per case start), so the SOP is analysed full."""
    return [r[0] for r in con.execute(
        "SELECT model_sha256 || '@' || coalesce(CAST(effective AS VARCHAR), '') FROM models "
        "WHERE sop_id = ? AND status = 'confirmed' ORDER BY 1", [sop_id]).fetchall()]


def _previous(con: duckdb.DuckDBPyConnection, sop_id: str) -> dict[str, Any] | None:
    rows = con.execute(
        "SELECT run_id, model_sha256[?] AS model, calendar_version, parameters::VARCHAR, pantau_version, "
        "schema_version, recomputed::VARCHAR FROM runs WHERE list_contains(sop_ids, ?) "
        "ORDER BY run_id DESC LIMIT 1", [sop_id, sop_id]).fetchall()
    if not rows:
        return None
    keys = ("run_id", "model", "calendar_version", "parameters", "pantau_version", "schema_version",
            "recomputed")
    return dict(zip(keys, rows[0], strict=True))


def plan(con: duckdb.DuckDBPyConnection, sop_ids: Sequence[str], models: Mapping[str, SopModel], *,
         parameters: str, calendar_version: str, calendar_first: str | None, schema_version: int,
         full: bool | Mapping[str, str] = False) -> RunPlan:
    """Decide for each SOP whether this run may be incremental (see the module docstring).

    ``parameters``: the run's ``[analysis]`` settings as JSON; ``full``: True for every SOP, or
    the SOPs to analyse full with the reason why. The mapping is compared later
    (:func:`check_mapping`), once the labels stage has mapped them.
    """
    forced = dict.fromkeys(sop_ids, "forced") if full is True else dict(full or {})
    settings = json.loads(parameters)
    sops: dict[str, SopPlan] = {}
    for sop_id in sop_ids:
        prev = None if sop_id in forced else _previous(con, sop_id)
        record = json.loads(prev["recomputed"]) if prev and prev["recomputed"] else {}
        mark = record.get("sops", {}).get(sop_id) or {}
        reason = None
        if sop_id in forced:
            reason = forced[sop_id]
        elif prev is None:
            reason = "no earlier run"
        elif mark.get("import_id") is None:
            reason = "no watermark"
        elif prev["model"] != models[sop_id].sha256 or mark.get("versions") != model_versions(con, sop_id):
            reason = "model version changed"
        elif con.execute("SELECT count(*) FROM run_case_versions WHERE sop_id = ?", [sop_id]).fetchall()[0][0]:
            reason = "cases judged by several model versions"
        elif prev["calendar_version"] != calendar_version or record.get("calendar_first") != calendar_first:
            reason = "calendar changed"
        elif json.loads(prev["parameters"] or "null") != settings:
            reason = "settings changed"
        elif prev["pantau_version"] != __version__ or prev["schema_version"] != schema_version:
            reason = "Pantau version changed"
        else:
            kept = con.execute("SELECT count(*) FROM events WHERE sop_id = ? AND import_id <= ?",
                               [sop_id, mark["import_id"]]).fetchall()[0][0]
            if kept != mark.get("events"):
                reason = "events removed"
        sops[sop_id] = (SopPlan(FULL, reason) if reason else
                        SopPlan(INCREMENTAL, watermark=int(mark["import_id"]), prev_events=int(mark["events"]),
                                prev_cases=mark.get("all_cases")))
    return RunPlan(sops, calendar_first)


def count_events(con: duckdb.DuckDBPyConnection, run_plan: RunPlan) -> tuple[int, int]:
    """The run's events and cases (``runs.event_count``, ``case_count``), and per SOP the
    watermark the next run starts from (``run_plan.marks``). A full SOP counts its events; an
    incremental one adds the events imported after its watermark to the counts its last run
    recorded, and the cases first created by those imports (``cases.import_id``) to its cases,
    instead of counting the distinct cases of every event of the store."""
    inc = [s for s in run_plan.incremental if run_plan.sops[s].prev_cases is not None]
    full = [s for s in run_plan.sops if s not in inc]
    for sop_id, events, cases, import_id in con.execute(
            "SELECT sop_id, count(*), count(DISTINCT (agency, case_id)), max(import_id) FROM events "
            "WHERE sop_id IN (SELECT unnest(?)) GROUP BY sop_id", [full]).fetchall():
        run_plan.marks[sop_id] = (int(events), int(cases), import_id)
    if inc:
        # (the constant bound on import_id skips older imports' row groups by their min/max)
        marks = [run_plan.sops[s].watermark for s in inc]
        new = {s: (int(n), i) for s, n, i in con.execute("""
            WITH w AS (SELECT unnest(?::VARCHAR[]) AS sop_id, unnest(?::INTEGER[]) AS import_id)
            SELECT e.sop_id, count(*), max(e.import_id)
            FROM events e JOIN w ON w.sop_id = e.sop_id AND e.import_id > w.import_id
            WHERE e.import_id > ?
            GROUP BY e.sop_id""", [inc, marks, min(marks)]).fetchall()}
        # a case is first created by the import that brought its first events (cases.import_id)
        created = {s: int(c) for s, c in con.execute("""
            WITH w AS (SELECT unnest(?::VARCHAR[]) AS sop_id, unnest(?::INTEGER[]) AS import_id)
            SELECT c.sop_id, count(*) FROM cases c JOIN w ON w.sop_id = c.sop_id AND c.import_id > w.import_id
            WHERE c.import_id > ? GROUP BY c.sop_id""", [inc, marks, min(marks)]).fetchall()}
        for sop_id in inc:
            p = run_plan.sops[sop_id]
            n, i = new.get(sop_id, (0, None))
            c = created.get(sop_id, 0)
            run_plan.marks[sop_id] = (p.prev_events + n, p.prev_cases + c, i or p.watermark)
    return (sum(m[0] for m in run_plan.marks.values()), sum(m[1] for m in run_plan.marks.values()))


def check_mapping(con: duckdb.DuckDBPyConnection, run_plan: RunPlan,
                  labels: Sequence[tuple[str, str, int, str | None, str | None, str | None]]) -> None:
    """An incremental SOP becomes full when a label its last run saw now maps elsewhere
    (``activity_labels`` still holds that run's mapping; ``labels`` is this run's, as
    :mod:`analytics.labels` computes it: sop_id, label, events, step_id, how, suggestions)."""
    now = {(s, label): (step, how) for s, label, _n, step, how, _sugg in labels}
    for sop_id in run_plan.incremental:
        for label, step, how in con.execute(
                "SELECT label, step_id, how FROM activity_labels WHERE sop_id = ?", [sop_id]).fetchall():
            if now.get((sop_id, label), (step, how)) != (step, how):
                run_plan.sops[sop_id] = SopPlan(FULL, "mapping changed")
                break


# -- the scope tables ---------------------------------------------------------------------

_SAME_CASE = "c.sop_id = {a}.sop_id AND c.agency IS NOT DISTINCT FROM {a}.agency AND c.case_id = {a}.case_id"

PER_CASE_TABLES = ("step_checks", "case_checks", "deviations", "open_cases")



def install_scope(con: duckdb.DuckDBPyConnection, run_plan: RunPlan) -> None:
    """Create the scope tables and snapshot what the incremental SOPs' stored rows say before
    they are replaced: ``run_scope_full(sop_id)``, ``run_scope_incremental(sop_id)``,
    ``run_scope_cases(sop_id, agency, case_id)``, ``run_scope_case_events`` and
    ``run_scope_case_rows`` (the events and the ``cases`` rows of those cases),
    ``run_prev_case_variant``, ``run_prev_variants``, ``run_prev_quality`` and ``run_prev_steps``
    (the cases' old step occurrences, for :func:`analytics.lane_scope.delete_lane_keys`).
    Needs the calendar and :func:`analytics.standards.install_standards`."""
    con.execute("CREATE OR REPLACE TEMP TABLE run_scope_full AS SELECT unnest(?::VARCHAR[]) AS sop_id",
                [run_plan.full])
    marks = [(s, run_plan.sops[s].watermark) for s in run_plan.incremental]
    con.execute("CREATE OR REPLACE TEMP TABLE run_scope_incremental AS "
                "SELECT unnest(?::VARCHAR[]) AS sop_id, unnest(?::INTEGER[]) AS import_id",
                [[m[0] for m in marks], [m[1] for m in marks]])
    # the incremental SOPs of the current pass (analytics.revisions: mutu_baku_sops is the pass's)
    con.execute("CREATE OR REPLACE TEMP VIEW run_pass_incremental AS SELECT * FROM run_scope_incremental "
                "WHERE sop_id IN (SELECT sop_id FROM mutu_baku_sops)")
    # the cases with new events (every result row replaced) and the open ones without any
    # (their step_checks, case_checks and deviations are what the last run wrote, since the
    # as-of moves only open_cases: rejudge_open re-measures them)
    # (a constant lower bound on import_id: DuckDB skips older imports' row groups by min/max)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE run_scope_cases AS
        SELECT DISTINCT e.sop_id, e.agency, e.case_id
        FROM events e JOIN run_scope_incremental w ON w.sop_id = e.sop_id AND e.import_id > w.import_id
        WHERE e.import_id > {min((m[1] for m in marks), default=0)};
        CREATE OR REPLACE TEMP TABLE run_scope_open AS
        SELECT c.sop_id, c.agency, c.case_id
        FROM case_checks c JOIN run_scope_incremental w ON w.sop_id = c.sop_id
        WHERE c.is_open
        EXCEPT
        SELECT * FROM run_scope_cases""")
    # both sets' events in one pass over the store's key columns, then fetched by rowid and split
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE run_scope_both_events AS
        SELECT x.* FROM events x WHERE x.rowid IN (
            SELECT e.rowid FROM events e
            WHERE e.sop_id IN (SELECT sop_id FROM run_scope_incremental)
              AND EXISTS (SELECT 1 FROM (SELECT * FROM run_scope_cases UNION ALL SELECT * FROM run_scope_open) c
                          WHERE {_SAME_CASE.format(a='e')}));
        CREATE OR REPLACE TEMP TABLE run_scope_case_events AS
        SELECT e.* FROM run_scope_both_events e SEMI JOIN run_scope_cases c ON {_SAME_CASE.format(a='e')};
        CREATE OR REPLACE TEMP TABLE run_scope_open_events AS
        SELECT e.* FROM run_scope_both_events e SEMI JOIN run_scope_open c ON {_SAME_CASE.format(a='e')};
        DROP TABLE run_scope_both_events""")
    # the scope's rows of cases, taken out first: a filter on their attributes (Kelengkapan)
    # would otherwise be pushed below the join and parse every case's JSON
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE run_scope_case_rows AS
        SELECT x.* FROM cases x WHERE x.rowid IN (
            SELECT y.rowid FROM cases y SEMI JOIN run_scope_cases c ON {_SAME_CASE.format(a='y')})""")
    in_scope = f"EXISTS (SELECT 1 FROM run_scope_cases c WHERE {_SAME_CASE.format(a='x')})"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE run_prev_case_variant AS
        SELECT x.sop_id, x.agency, x.case_id, x.variant_id FROM case_checks x WHERE {in_scope};
        CREATE OR REPLACE TEMP TABLE run_prev_variants AS
        SELECT * FROM variants WHERE sop_id IN (SELECT sop_id FROM run_scope_incremental);
        CREATE OR REPLACE TEMP TABLE run_prev_quality AS
        SELECT * FROM model_quality WHERE sop_id IN (SELECT sop_id FROM run_scope_incremental)""")
    # the step occurrences of the cases with new events as the last run wrote them, for the
    # lane keys (delete_lane_keys: only those of changed rows). An open case without new events
    # gets no step_checks rows anew (they do not depend on the as-of, only open_cases does), so
    # it moves no lane key, however many months its occurrences span
    # (found by their key columns, then fetched by rowid: 0.4 CPU s at 1M cases, not 1.6)
    con.execute("CREATE OR REPLACE TEMP TABLE run_prev_steps AS SELECT x.* EXCLUDE (run_id) FROM step_checks x "
                f"WHERE x.rowid IN (SELECT y.rowid FROM step_checks y SEMI JOIN run_scope_cases c ON {_SAME_CASE.format(a='y')})")


def has_new_events(run_plan: RunPlan) -> bool:
    """Whether a case is likely to be checked, known before the scope is built: an SOP is
    analysed full, or an incremental one has events imported after its watermark (its mark,
    from :func:`count_events`, moved past it)."""
    return bool(run_plan.full) or any(
        run_plan.marks.get(s, (0, 0, None))[2] != run_plan.sops[s].watermark for s in run_plan.incremental)


def has_new_cases(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether an incremental SOP has a case with new events (``run_scope_cases``)."""
    return bool(con.execute("SELECT count(*) FROM (SELECT 1 FROM run_scope_cases LIMIT 1)").fetchall()[0][0])


def delete_replaced(con: duckdb.DuckDBPyConnection, run_plan: RunPlan, tables: Sequence[str]) -> None:
    """Delete the rows this run replaces: every row of a full SOP; of an incremental SOP the
    rows of the scope's cases in the per-case tables, and all of ``variants``,
    ``model_quality`` and ``activity_labels`` (rebuilt whole from the snapshots). The lane
    tables are done by :func:`analytics.lane_scope.delete_lane_keys` once the new step
    occurrences are known, ``bottleneck_days`` by its writer
    (:func:`analytics.bottleneck_days.write_bottleneck_days`: the days those rows are on)."""
    sops = list(run_plan.sops)
    for table in tables:
        if table in ("lane_stats", "handovers", "bottleneck_days"):
            con.execute(f"DELETE FROM {table} WHERE sop_id IN (SELECT unnest(?))", [run_plan.full])
        elif table in PER_CASE_TABLES:
            con.execute(f"DELETE FROM {table} WHERE sop_id IN (SELECT unnest(?))", [run_plan.full])
            if run_plan.incremental:
                con.execute(f"DELETE FROM {table} x USING run_scope_cases c WHERE {_SAME_CASE.format(a='x')}")
            if run_plan.incremental and table == "open_cases":
                con.execute(f"DELETE FROM {table} x USING run_scope_open c WHERE {_SAME_CASE.format(a='x')}")
        else:
            con.execute(f"DELETE FROM {table} WHERE sop_id IN (SELECT unnest(?))", [sops])


def install_agencies(con: duckdb.DuckDBPyConnection) -> None:
    """``run_scope_agencies(sop_id, agency)``: the incremental SOPs' agencies whose multiset of
    variants changed (a scope case with another variant than before, or new, or gone): only
    their precision is recomputed. Needs ``conformance_case_variant``."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE run_scope_agencies AS
        SELECT DISTINCT coalesce(n.sop_id, o.sop_id) AS sop_id,
               CASE WHEN n.sop_id IS NULL THEN o.agency ELSE n.agency END AS agency
        FROM (SELECT * FROM conformance_case_variant
              WHERE sop_id IN (SELECT sop_id FROM run_pass_incremental)) n
        FULL JOIN (SELECT * FROM run_prev_case_variant
                   WHERE sop_id IN (SELECT sop_id FROM run_pass_incremental)) o
            ON o.sop_id = n.sop_id AND o.agency IS NOT DISTINCT FROM n.agency AND o.case_id = n.case_id
        WHERE o.variant_id IS DISTINCT FROM n.variant_id""")


def scope_sql(kind: str, alias: str, incremental: bool) -> str:
    """The filter a result statement applies for the run's scope (``true`` in a full run).

    ``events``: the events a run reads (a relation); ``case_rows``: the rows of ``cases`` it
    reads (a relation); ``cases``: a row of a case table
    ``alias``; ``lane_keys``: a ``lane_stats`` row ``alias`` of a recomputed key (both after
    :func:`analytics.lane_scope.delete_lane_keys`).
    """
    if kind == "events":
        return ("(SELECT * FROM events WHERE sop_id IN (SELECT sop_id FROM run_scope_full) "
                "UNION ALL SELECT * FROM run_scope_case_events)") if incremental else "events"
    if kind == "pass_events":  # this pass's events (staging/run_scope.sql), in the scope
        return ("(SELECT * FROM run_scope_events WHERE sop_id IN (SELECT sop_id FROM run_scope_full) "
                "UNION ALL SELECT * FROM run_scope_case_events "
                "WHERE sop_id IN (SELECT sop_id FROM mutu_baku_sops))") if incremental else "run_scope_events"
    if kind == "case_rows":  # the rows of the cases table a run reads (a relation)
        return ("(SELECT * FROM cases WHERE sop_id IN (SELECT sop_id FROM run_scope_full) "
                "UNION ALL SELECT * FROM run_scope_case_rows)") if incremental else "cases"
    if not incremental:
        return "true"
    full = f"{alias}.sop_id IN (SELECT sop_id FROM run_scope_full)"
    if kind == "cases":
        return f"({full} OR EXISTS (SELECT 1 FROM run_scope_cases c WHERE {_SAME_CASE.format(a=alias)}))"
    key = SAME_LANE_KEY.format(a=alias)
    if kind == "lane_keys":
        return f"({full} OR EXISTS (SELECT 1 FROM run_scope_lanes k WHERE {key} AND k.month = {alias}.month))"
    raise ValueError(kind)


def count(con: duckdb.DuckDBPyConnection, run_plan: RunPlan) -> None:
    """Record per incremental SOP how many cases, lane keys and agencies were recomputed."""
    if not run_plan.incremental:
        return
    for name, table in (("cases", "run_scope_cases"), ("open_rejudged", "run_scope_open"),
                        ("lane_keys", "run_scope_lanes"),
                        ("agencies", "run_scope_agencies")):
        for sop_id, n in con.execute(f"SELECT sop_id, count(*) FROM {table} GROUP BY sop_id").fetchall():
            if sop_id in run_plan.sops and run_plan.sops[sop_id].kind == INCREMENTAL:
                run_plan.sops[sop_id].counts[name] = int(n)
    for sop_id in run_plan.incremental:
        for name in ("cases", "open_rejudged", "lane_keys", "agencies"):
            run_plan.sops[sop_id].counts.setdefault(name, 0)


def differences(db_a: str | Path, db_b: str | Path, tables: Sequence[str] | None = None,
                ignored: Collection[str] = ("run_id",)) -> dict[str, tuple[int, int]]:
    """The tables (by default the result tables) whose rows differ between two stores, the
    ``ignored`` columns (run ids) left out: per table (rows only in ``db_a``, rows only in
    ``db_b``), by EXCEPT ALL both ways. Empty when an incremental run gave what a full run
    gives (the check of tests/test_incremental.py and bench/incremental_bench.py)."""
    from analytics.run import RESULT_TABLES

    out: dict[str, tuple[int, int]] = {}
    con = duckdb.connect(str(db_a), read_only=True)
    try:
        con.execute("ATTACH ? AS other (READ_ONLY)", [str(db_b)])
        for table in tables or RESULT_TABLES:
            cols = ", ".join(f'"{c}"' for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_catalog = current_database() "
                "AND table_schema = 'main' AND table_name = ? ORDER BY ordinal_position", [table]).fetchall()
                if c not in ignored)
            a, b = (con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM {x} EXCEPT ALL SELECT {cols} FROM {y})")
                    .fetchall()[0][0] for x, y in ((table, f"other.{table}"), (f"other.{table}", table)))
            if a or b:
                out[table] = (int(a), int(b))
    finally:
        con.close()
    return out
