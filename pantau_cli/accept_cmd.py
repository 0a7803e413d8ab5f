"""``pantau accept ...``: accept a deviation (one finding, or a rule), list, change, revoke,
verify the acceptances file. The library (:mod:`event_logs.acceptances`) does the work."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer

from pantau_cli import app

accept_app = typer.Typer(
    help="Accepted deviations: accept one finding (--case) or a rule (--sop without --case); "
         "list, change, revoke, verify.")
app.add_typer(accept_app, name="accept")

DB = typer.Option(..., "--db", help="DuckDB database file (the acceptances file lies beside it).")


def _date(text: str | None, flag: str) -> date | None:
    from pantau.errors import PantauError

    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PantauError(f"{flag} {text[:20]!r} is not a date", field=flag.lstrip("-"),
                          hint="write it as YYYY-MM-DD, e.g. 2025-06-30") from None


def _reader(db: Path):
    from event_logs.store import open_store

    return open_store(db)  # read-only: it sees the acceptances file's latest state


@accept_app.callback(invoke_without_command=True)
def accept(
    ctx: typer.Context,
    db: Path = typer.Option(None, "--db", help="DuckDB database file (the acceptances file lies beside it)."),
    case: str = typer.Option(None, "--case", help="Accept this case's finding(s) of --kind."),
    sop: str = typer.Option(None, "--sop", help="SOP id (a rule needs it; with --case it picks among equal ids)."),
    agency: str = typer.Option(None, "--agency", help="Only this agency (with --case: the case's agency)."),
    unit: str = typer.Option(None, "--unit", help="Only this service unit (a rule)."),
    kind: str = typer.Option(None, "--kind", help="Deviation kind (skipped_step, rework, ...)."),
    step: str = typer.Option(None, "--step", help="Only findings at this SOP step (step id)."),
    period_from: str = typer.Option(None, "--from", help="Only cases starting on or after this day (YYYY-MM-DD)."),
    period_to: str = typer.Option(None, "--to", help="Only cases starting on or before this day (YYYY-MM-DD)."),
    reason: str = typer.Option(None, "--reason", help="Why the deviation is accepted (recorded)."),
    by: str = typer.Option(None, "--by", help="Who accepts it (recorded)."),
    until: str = typer.Option(None, "--until", help="Last day it holds (YYYY-MM-DD; default: no expiry)."),
) -> None:
    """Accept a deviation: it stays visible, marked, but leaves the deviation counts and the
    share conformant. One finding: --case ID --kind KIND [--step S]; a rule: --sop ID --kind KIND
    [--step S] [--agency A] [--unit U] [--from D --to D]. Always with --reason and --by."""
    if ctx.invoked_subcommand:
        return
    from event_logs import acceptances
    from pantau.errors import PantauError

    if db is None or kind is None:
        raise PantauError("accept needs --db and --kind (and --case, or --sop for a rule)",
                          hint="pantau accept --db DB --case ID --kind KIND --reason TEXT --by NAME; "
                               "see also 'pantau accept list|change|revoke|verify'")
    if case is None and sop is None:
        raise PantauError("accept what?", field="case", hint="give --case ID (one finding) or --sop ID (a rule)")
    if case is not None and (unit or period_from or period_to):
        raise PantauError("--unit, --from and --to narrow a rule, not one case", field="case",
                          hint="drop --case to accept a rule, or drop them")
    con = _reader(db)
    try:
        if case is not None:
            sop_id, case_agency, _unit, case_id = acceptances.resolve_case(con, case, sop_id=sop, agency=agency)
            target = acceptances.Target(sop_id=sop_id, kind=kind, case_id=case_id, agency=case_agency, step_id=step)
        else:
            target = acceptances.Target(sop_id=sop, kind=kind, agency=agency, unit=unit, step_id=step,
                                        period_from=_date(period_from, "--from"), period_to=_date(period_to, "--to"))
        number = acceptances.accept(con, db, target, reason=reason or "", by=by or "", until=_date(until, "--until"))
    finally:
        con.close()
    con = _reader(db)
    try:
        covered = con.execute("SELECT count(*) FROM accepted_deviations WHERE acceptance_id = ?",
                              [number]).fetchall()[0][0]
    finally:
        con.close()
    typer.echo(f"acceptance {number}: {covered} finding(s) accepted"
               + (f" until {until}" if until else "") + f" (recorded in {acceptances.file_for(db).name})")


def _covers(r: dict) -> str:
    if r["case_id"]:
        return f"case {r['case_id']} ({r['agency']})"
    parts = [f"{k}={r[k]}" for k in ("agency", "unit", "period_from", "period_to") if r[k]]
    return "rule: " + (", ".join(parts) if parts else "every agency")


@accept_app.command("list")
def accept_list(
    db: Path = DB,
    every: bool = typer.Option(False, "--all", help="Also revoked and expired acceptances."),
    as_json: bool = typer.Option(False, "--json", help="JSON lines instead of a table."),
) -> None:
    """The acceptances (in force; --all: every one), each with the findings it covers now."""
    con = _reader(db)
    try:
        cur = con.execute(f"""
            SELECT a.*, (SELECT count(*) FROM accepted_deviations x WHERE x.acceptance_id = a.acceptance_id)
                   AS findings
            FROM acceptances a JOIN ref_acceptance_status s ON s.status = a.status
            {'' if every else 'WHERE s.in_force'} ORDER BY a.acceptance_id""")
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()
    if as_json:
        for r in rows:
            typer.echo(json.dumps(r, default=str, ensure_ascii=False, sort_keys=True))
        return
    if not rows:
        typer.echo("no acceptances" + ("" if every else " in force (--all shows revoked and expired ones)"))
        return
    for r in rows:
        scope = _covers(r)
        step = f" step {r['step_id']}" if r["step_id"] else ""
        until = f" until {r['valid_until']}" if r["valid_until"] else ""
        typer.echo(f"{r['acceptance_id']}\t{r['status']}\t{r['sop_id']}\t{r['kind']}{step}\t{scope}\t"
                   f"{r['findings']} finding(s)\t{r['accepted_by']} {r['accepted_at']:%Y-%m-%d}{until}\t{r['reason']}")


@accept_app.command("change")
def accept_change(
    acceptance_id: int = typer.Argument(..., help="The acceptance's number (pantau accept list)."),
    db: Path = DB,
    reason: str = typer.Option(..., "--reason", help="The reason now (recorded)."),
    by: str = typer.Option(..., "--by", help="Who changes it (recorded)."),
    until: str = typer.Option(None, "--until", help="The last day it holds now (default: no expiry)."),
) -> None:
    """Give an acceptance a new reason and expiry (what it covers stays; the old entry stays)."""
    from event_logs import acceptances

    con = _reader(db)
    try:
        acceptances.change(con, db, acceptance_id, reason=reason, by=by, until=_date(until, "--until"))
    finally:
        con.close()
    typer.echo(f"acceptance {acceptance_id} changed" + (f": holds until {until}" if until else ": no expiry"))


@accept_app.command("revoke")
def accept_revoke(
    acceptance_id: int = typer.Argument(..., help="The acceptance's number (pantau accept list)."),
    db: Path = DB,
    reason: str = typer.Option(..., "--reason", help="Why it is revoked (recorded)."),
    by: str = typer.Option(..., "--by", help="Who revokes it (recorded)."),
) -> None:
    """Revoke an acceptance: its findings count again (every entry stays in the file)."""
    from event_logs import acceptances

    con = _reader(db)
    try:
        acceptances.revoke(con, db, acceptance_id, reason=reason, by=by)
    finally:
        con.close()
    typer.echo(f"acceptance {acceptance_id} revoked: its findings count again")


@accept_app.command("verify")
def accept_verify(db: Path = DB) -> None:
    """Check the acceptances file's hash chain; exit 1 naming each edited, deleted or moved entry."""
    from event_logs import acceptances

    path = acceptances.file_for(db)
    if not path.exists():
        typer.echo(f"{path}: no acceptances file (nothing accepted yet)")
        return
    result = acceptances.verify(db)
    if not result.ok:
        for problem in result.problems:
            typer.secho(f"Error: {problem}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1)
    typer.echo(f"{path}: {result.entries} entries, chain intact; head sha256 {result.head}")
