"""Accepted deviations: an auditor's decision that a finding, or every finding a rule covers,
stays visible (marked) but leaves the rates, like Celonis' allow-list.

**The file.** Acceptances live in ``<store>.acceptances.jsonl`` beside the store (with its head
file ``<store>.acceptances.jsonl.head``), because the dashboard keeps the store itself
read-only and an auditor accepts from the dashboard. The file has the audit log's format
(:mod:`pantau.audit`): one JSON entry per line, each carrying the SHA-256 of the entry before it
and of its own content, appended under an exclusive lock. Why that and not a second DuckDB
file: appends from several dashboard sessions and the CLI need no writer lock on a database
(DuckDB allows one writing process per file, and a dashboard holding it would block
``pantau accept``); the file is append-only by construction and tamper-evident (``pantau
accept verify``); the chain code is the audit log's, already tested; DuckDB reads it directly
(``read_json``). An entry's ``details`` say the ``action`` (``accept``, ``change``,
``revoke``) and, for ``accept``, what it covers; its own ``seq`` is the acceptance id.

**Every reader sees it.** A writable open of the store copies the file into the table
``acceptance_log`` (:func:`sync`); a read-only open overlays the file's latest state on that
table (:func:`overlay`), so an acceptance made in the dashboard counts at once in every page,
notebook, export and document. A file whose chain is broken is refused
(:class:`AcceptanceError`): rates must never silently change because someone edited it.

**The rule** that says which findings an acceptance covers is written once, in the store's
view ``accepted_deviations`` (``event_logs/sql/views.sql``); ``deviation_results.accepted``
and ``case_results`` (``deviation_count``, ``conformant``) follow from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from event_logs.ingest.pii import guard_text, load_secret
from pantau import audit
from pantau.access import roles
from pantau.access.scope import Scope
from pantau.config import beside_store
from pantau.errors import AccessError, PantauError, did_you_mean

ACCEPT, CHANGE, REVOKE = "accept", "change", "revoke"
ACTIONS = (ACCEPT, CHANGE, REVOKE)
CLI_ROLE = "cli"          # an entry written by `pantau accept` (whoever may write beside the store)
FILE_TABLE = "_acceptance_file"  # the TEMP table a read-only connection reads the file into
_SUFFIX = "acceptances.jsonl"
_DETAILS = ("action VARCHAR, acceptance_id BIGINT, sop_id VARCHAR, agency VARCHAR, unit VARCHAR, "
            "case_id VARCHAR, kind VARCHAR, step_id VARCHAR, period_from DATE, period_to DATE, "
            "valid_until DATE, reason VARCHAR")
# The entries of the file as the rows of acceptance_log (the one reading of the file's format).
_READ = """
SELECT seq, "time" AS written_at, "user" AS actor, "role" AS actor_role, details.action AS action,
       coalesce(details.acceptance_id, seq) AS acceptance_id, details.sop_id, details.agency,
       details.unit, details.case_id, details.kind, details.step_id, details.period_from,
       details.period_to, details.valid_until, details.reason, hash AS entry_hash
FROM read_json({path}, format = 'newline_delimited', columns = {{
    'seq': 'BIGINT', 'time': 'TIMESTAMPTZ', 'user': 'VARCHAR', 'role': 'VARCHAR', 'event': 'VARCHAR',
    'details': 'STRUCT({details})', 'prev': 'VARCHAR', 'hash': 'VARCHAR'}})
WHERE event = 'acceptance'
"""
_EMPTY = "SELECT * FROM acceptance_log WHERE false"


class AcceptanceError(PantauError):
    """An acceptance that cannot be made, changed or read: an unknown case or kind, no reason,
    a date the wrong way round, a changed acceptances file."""


@dataclass(frozen=True)
class Target:
    """What an acceptance covers: one case's findings of ``kind`` (``case_id`` set; with its
    ``agency``) or, as a rule, every finding of ``kind`` in the SOP (narrowed by the rest)."""

    sop_id: str
    kind: str
    case_id: str | None = None
    agency: str | None = None
    unit: str | None = None
    step_id: str | None = None
    period_from: date | None = None
    period_to: date | None = None

    @property
    def is_rule(self) -> bool:
        """True for a rule (no case named)."""
        return self.case_id is None

    def details(self) -> dict[str, Any]:
        """The fields written into the accept entry (only those set)."""
        values = {"sop_id": self.sop_id, "agency": self.agency, "unit": self.unit, "case_id": self.case_id,
                  "kind": self.kind, "step_id": self.step_id,
                  "period_from": self.period_from.isoformat() if self.period_from else None,
                  "period_to": self.period_to.isoformat() if self.period_to else None}
        return {k: v for k, v in values.items() if v is not None}


def file_for(store: str | Path) -> Path:
    """The acceptances file of the store at ``store`` (beside it)."""
    return beside_store(Path(store), _SUFFIX)


def _log(store: str | Path) -> audit.AuditLog:
    return audit.AuditLog(file_for(store))


def _read_sql(path: Path) -> str:
    return _READ.format(path="'" + str(path).replace("'", "''") + "'", details=_DETAILS)


def check_file(store: str | Path) -> None:
    """Nothing when the acceptances file is absent or its chain is whole; else
    :class:`AcceptanceError` naming the first problem (an edited, deleted or moved entry)."""
    path = file_for(store)
    if not path.exists():
        return
    result = audit.verify(path)
    if not result.ok:
        raise AcceptanceError(f"the acceptances file was changed by hand: {result.problems[0]}", file=str(path),
                              hint=f"'pantau accept verify --db {Path(store).name}' lists every problem; "
                                   "restore the file (and its .head) from a backup")


def verify(store: str | Path) -> audit.Verification:
    """The acceptances file's chain checked entry by entry (:func:`pantau.audit.verify`)."""
    return audit.verify(file_for(store))


def _source(store: str | Path) -> str:
    path = file_for(store)
    check_file(store)
    return _read_sql(path) if path.exists() and path.stat().st_size else _EMPTY


def sync(con: duckdb.DuckDBPyConnection, store: str | Path) -> None:
    """Copy the acceptances file into ``acceptance_log`` (writable connections; in the caller's
    transaction). The file is the source: no file, no acceptances."""
    if not _has_table(con):
        return
    source = _source(store)
    con.execute("DELETE FROM acceptance_log")
    con.execute(f"INSERT INTO acceptance_log {source}")


def overlay(con: duckdb.DuckDBPyConnection, store: str | Path) -> None:
    """On a read-only connection: read the acceptances file's latest state into a TEMP table
    and shadow ``acceptance_log`` with it, so the store's views count an acceptance made since
    the last writable open (:mod:`event_logs.scoped` filters the same TEMP table by scope)."""
    if not _has_table(con):
        return
    con.execute(f"CREATE OR REPLACE TEMP TABLE {FILE_TABLE} AS {_source(store)}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW acceptance_log AS SELECT * FROM temp.main.{FILE_TABLE}")


def _has_table(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                            "AND schema_name = 'main' AND table_name = 'acceptance_log'").fetchall()[0][0])


def file_version(store: str | Path) -> tuple[int, int]:
    """``(size, mtime_ns)`` of the acceptances file ((0, 0) when absent): part of the dashboard's
    cache key, so a new acceptance shows at once."""
    try:
        stat = file_for(store).stat()
    except FileNotFoundError:
        return (0, 0)
    return (stat.st_size, stat.st_mtime_ns)


# --- making, changing and revoking -------------------------------------------------------------

def _text(value: str | None, what: str, *, flag: str) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise AcceptanceError(f"{what} must be given", field=flag.lstrip("-"), hint=f"pass {flag} TEXT")
    return guard_text(text, load_secret())


def _actor(by: str, role: str) -> tuple[str, str]:
    name = _text(by, "who decides", flag="--by")
    if role != CLI_ROLE and not roles.may(role, roles.ACCEPT):
        raise AccessError(f"not permitted: the role '{role}' may not accept deviations",
                          hint="only the auditor role (inspektorat) accepts deviations")
    return name, role


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[tuple]:
    return con.execute(sql, params).fetchall()


def resolve_case(con: duckdb.DuckDBPyConnection, case_id: str, *, sop_id: str | None = None,
                 agency: str | None = None) -> tuple[str, str, str | None, str]:
    """``(sop_id, agency, unit, case_id)`` of the analysed case ``case_id`` (a NIK typed as an id
    is hashed as the store hashes it). :class:`AcceptanceError` when none or several match:
    equal ids in two SOPs or agencies are two cases, and the hint names the options."""
    case_id = guard_text(case_id.strip(), load_secret())
    sql = "SELECT DISTINCT sop_id, agency, unit FROM case_checks WHERE case_id = ?"
    params: list[Any] = [case_id]
    if sop_id:
        sql, params = sql + " AND sop_id = ?", [*params, sop_id]
    if agency:
        sql, params = sql + " AND agency = ?", [*params, agency]
    found = _one(con, sql + " ORDER BY ALL", params)
    if not found:
        raise AcceptanceError(f"no analysed case '{case_id}'" + (f" of {sop_id}" if sop_id else ""), field="case",
                              hint="check the id on the Kasus page; run 'pantau analyze' after an import")
    if len(found) > 1:
        options = "; ".join(f"--sop {s} --agency '{a}'" for s, a, _u in found)
        raise AcceptanceError(f"case id '{case_id}' names {len(found)} cases", field="case",
                              hint=f"say which: {options}")
    return found[0][0], found[0][1], found[0][2], case_id


def _check_target(con: duckdb.DuckDBPyConnection, target: Target) -> None:
    sops = [r[0] for r in _one(con, "SELECT DISTINCT sop_id FROM models ORDER BY 1", [])]
    if target.sop_id not in sops:
        raise AcceptanceError(f"unknown SOP id '{target.sop_id}'", field="sop", hint=did_you_mean(target.sop_id, sops))
    kinds = [r[0] for r in _one(con, "SELECT kind FROM ref_deviation_kinds ORDER BY sort", [])]
    if target.kind not in kinds:
        raise AcceptanceError(f"unknown deviation kind '{target.kind}'", field="kind",
                              hint=did_you_mean(target.kind, kinds) or f"one of {kinds}")
    if target.step_id is not None:
        steps = [r[0] for r in _one(con, "SELECT DISTINCT s.step_id FROM model_steps s JOIN models m "
                                         "USING (model_sha256) WHERE m.sop_id = ? ORDER BY 1", [target.sop_id])]
        if target.step_id not in steps:
            raise AcceptanceError(f"the SOP {target.sop_id} has no step '{target.step_id}'", field="step",
                                  hint=did_you_mean(target.step_id, steps))
    if target.period_from and target.period_to and target.period_from > target.period_to:
        raise AcceptanceError("the period ends before it starts", field="from",
                              hint=f"--from {target.period_to} --to {target.period_from}?")
    if not target.is_rule:
        found = _one(con, "SELECT count(*) FROM deviations WHERE sop_id = ? AND agency IS NOT DISTINCT FROM ? "
                          "AND case_id = ? AND kind = ? AND (? IS NULL OR step_id = ?)",
                     [target.sop_id, target.agency, target.case_id, target.kind, target.step_id, target.step_id])
        if not found[0][0]:
            has = [r[0] for r in _one(con, "SELECT DISTINCT kind || coalesce(' ' || step_id, '') FROM deviations "
                                           "WHERE sop_id = ? AND agency IS NOT DISTINCT FROM ? AND case_id = ? "
                                           "ORDER BY 1", [target.sop_id, target.agency, target.case_id])]
            raise AcceptanceError(f"case '{target.case_id}' has no '{target.kind}' finding"
                                  + (f" at step {target.step_id}" if target.step_id else ""), field="kind",
                                  hint=f"its findings: {', '.join(has)}" if has else "the case has no deviation")


def accept(con: duckdb.DuckDBPyConnection, store: str | Path, target: Target, *, reason: str, by: str,
           role: str = CLI_ROLE, until: date | None = None, scope: Scope | None = None,
           now: datetime | None = None) -> int:
    """Accept the findings ``target`` covers, with ``reason``, by ``by`` (of ``role``) until
    ``until`` (inclusive; None: no expiry). ``con`` (any connection to the store; scoped in the
    dashboard) checks that the SOP, kind, step and case exist. A user who sees only some
    agencies (``scope``) accepts only for one of them: a rule for every agency would change other
    agencies' rates. Returns the acceptance id (its entry's ``seq``)."""
    by, role = _actor(by, role)
    if scope is not None and not scope.is_all and target.agency not in (scope.agencies or ()):
        raise AccessError("not permitted: an acceptance outside your agencies", field="agency",
                          hint="name one of your agencies: " + ", ".join(scope.agencies or ()))
    text = _text(reason, "a reason", flag="--reason")
    _check_target(con, target)
    if until is not None and until < (now or datetime.now()).date():
        raise AcceptanceError(f"--until {until} lies in the past", field="until",
                              hint="give the last day the acceptance should hold")
    check_file(store)
    details = {"action": ACCEPT, **target.details(), "reason": text,
               **({"valid_until": until.isoformat()} if until else {})}
    return _log(store).record(by, role, audit.ACCEPTANCE, details, now=now).seq


def current(con: duckdb.DuckDBPyConnection, acceptance_id: int) -> dict[str, Any]:
    """The state of one acceptance (a row of the ``acceptances`` view) as a dict;
    :class:`AcceptanceError` when there is none with this id."""
    cur = con.execute("SELECT * FROM acceptances WHERE acceptance_id = ?", [acceptance_id])
    row = cur.fetchall()
    if not row:
        raise AcceptanceError(f"no acceptance {acceptance_id}", field="id", hint="'pantau accept list' shows them")
    return dict(zip([d[0] for d in cur.description], row[0], strict=True))


def change(con: duckdb.DuckDBPyConnection, store: str | Path, acceptance_id: int, *, reason: str, by: str,
           role: str = CLI_ROLE, until: date | None = None, now: datetime | None = None) -> None:
    """Record a new reason and expiry for acceptance ``acceptance_id`` (what it covers stays:
    accept anew for another scope). ``con`` must see the file's latest state."""
    by, role = _actor(by, role)
    text = _text(reason, "a reason", flag="--reason")
    state = current(con, acceptance_id)
    if state["status"] == "revoked":
        raise AcceptanceError(f"acceptance {acceptance_id} was revoked", field="id", hint="accept the finding anew")
    check_file(store)
    details = {"action": CHANGE, "acceptance_id": acceptance_id, "reason": text,
               **({"valid_until": until.isoformat()} if until else {})}
    _log(store).record(by, role, audit.ACCEPTANCE, details, now=now)


def revoke(con: duckdb.DuckDBPyConnection, store: str | Path, acceptance_id: int, *, reason: str, by: str,
           role: str = CLI_ROLE, now: datetime | None = None) -> None:
    """Revoke acceptance ``acceptance_id``: its findings count again (the entries stay)."""
    by, role = _actor(by, role)
    text = _text(reason, "a reason", flag="--reason")
    state = current(con, acceptance_id)
    if state["status"] == "revoked":
        raise AcceptanceError(f"acceptance {acceptance_id} is already revoked", field="id")
    check_file(store)
    _log(store).record(by, role, audit.ACCEPTANCE, {"action": REVOKE, "acceptance_id": acceptance_id,
                                                   "reason": text}, now=now)
