"""``pantau evidence ...``: write an evidence pack (per finding, case, or SOP × agency × period)
and verify a copy. The documents are made by :mod:`dashboard.documents.evidence`."""

from __future__ import annotations

import calendar
from datetime import date
from pathlib import Path

import typer

from pantau_cli import app

evidence_app = typer.Typer(
    help="Evidence packs for audit reports: --case ID [--kind K --step S] or --sop ID --agency A "
         "--period YYYY-MM; 'verify FILE' checks a copy.")
app.add_typer(evidence_app, name="evidence")


def _period(text: str | None, start: str | None, end: str | None) -> tuple[date, date]:
    from pantau.errors import PantauError

    try:
        if text:
            year, month = (int(x) for x in text.strip().split("-"))
            return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        if start and end:
            return date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise PantauError(f"'{text or start or end}' is not a month or a day", field="period",
                          hint="--period 2024-11, or --from 2024-11-01 --to 2024-11-30") from None
    raise PantauError("which period?", field="period", hint="--period 2024-11, or --from DAY --to DAY")


@evidence_app.callback(invoke_without_command=True)
def evidence(
    ctx: typer.Context,
    db: Path = typer.Option(None, "--db", help="DuckDB database file."),
    case: str = typer.Option(None, "--case", help="The pack of this case."),
    sop: str = typer.Option(None, "--sop", help="SOP id (a period pack needs it; with --case: among equal ids)."),
    agency: str = typer.Option(None, "--agency", help="Agency (a period pack needs it; with --case: among equal ids)."),
    kind: str = typer.Option(None, "--kind", help="With --case: the pack of this finding only."),
    step: str = typer.Option(None, "--step", help="With --case --kind: the finding at this step."),
    period: str = typer.Option(None, "--period", help="The month of the cases' first day (YYYY-MM)."),
    period_from: str = typer.Option(None, "--from", help="Or the first day (YYYY-MM-DD) ..."),
    period_to: str = typer.Option(None, "--to", help="... and the last day (YYYY-MM-DD)."),
    fmt: str = typer.Option("both", "--format", help="html, pdf or both."),
    out: Path = typer.Option(None, "-o", "--output", help="File name (default: the pack's name, here)."),
) -> None:
    """Write an evidence pack: the findings and the rules applied in words, the case's events
    (event id, import file, source row, local time), the Mutu Baku per step, the alignment, the
    SOP identity, calendar version, run id and as-of, any acceptance, and a manifest with the
    sha256 of its content."""
    if ctx.invoked_subcommand:
        return
    from dashboard.documents import evidence as packs
    from event_logs import acceptances
    from event_logs.store import open_store
    from pantau.errors import PantauError

    if db is None or (case is None and sop is None):
        raise PantauError("evidence needs --db and --case ID, or --sop ID --agency A --period YYYY-MM",
                          hint="pantau evidence --db DB --case ID; see also 'pantau evidence verify FILE'")
    con = open_store(db)
    try:
        if case is not None:
            sop_id, case_agency, _unit, case_id = acceptances.resolve_case(con, case, sop_id=sop, agency=agency)
            pack = packs.case_pack(con, sop_id, case_id, agency=case_agency, kind=kind, step_id=step)
        else:
            if not agency:
                raise PantauError("a period pack is of one agency", field="agency", hint="add --agency NAME")
            start, end = _period(period, period_from, period_to)
            pack = packs.period_pack(con, sop, agency, start, end)
    finally:
        con.close()
    written = packs.write(pack, out or Path(pack.name), fmt)
    for path in written:
        typer.echo(str(path))
    typer.echo(f"content sha256 {pack.manifest['content_sha256']}")


@evidence_app.command("verify")
def verify(
    file: Path = typer.Argument(..., help="An evidence pack (.html; a .pdf with its .manifest.json beside it)."),
    sha256: str = typer.Option(None, "--sha256", help="The content sha256 noted in the report: must match too."),
) -> None:
    """Check a copy of an evidence pack against its manifest; exit 1 when a byte was changed."""
    from dashboard.documents.manifest import verify_file
    from pantau.errors import PantauError

    if not file.exists():
        raise PantauError("no such file", file=str(file))
    check = verify_file(file, sha256)
    if not check.ok:
        for problem in check.problems:
            typer.secho(f"Error: {problem}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1)
    typer.echo(f"{file}: intact; content sha256 {check.manifest.get('content_sha256')} "
               f"(run {check.manifest.get('run_id')}, created {check.manifest.get('created')})")
