"""``pantau analyze``: Mutu Baku checks, conformance and lanes into the store."""

from __future__ import annotations

from pathlib import Path

import typer

from pantau_cli import app
from pantau_cli.options import EXISTING_DB, notice
from pantau_cli.progress import progress_bar


@app.command("analyze")
def analyze(
    db: Path = EXISTING_DB,
    sop: list[str] = typer.Option(None, "--sop", help="SOP id (repeatable; default: every SOP with events)."),
    as_of: str = typer.Option(None, "--as-of", metavar="DATE|TIMESTAMP",
                              help="Judge open cases at this moment: YYYY-MM-DD (the end of that local "
                                   "day) or an ISO timestamp with offset. Default: the end of the last "
                                   "imported day."),
    full: bool = typer.Option(False, "--full", help="Recompute every case, not only what the events "
                                                       "imported since the last run can change."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Compute every result table for the SOPs, replacing their previous results in one transaction.

    By default a run is incremental where it can be: an SOP analysed before, with the same model
    version, mapping, calendar and settings, recomputes only the cases touched by events imported
    since (and every open case), the lane months they reach and the model quality they change.
    """
    from analytics import analyze as run_analysis

    with progress_bar("analyze", quiet=quiet) as progress:
        result = run_analysis(db, sop_ids=list(sop) if sop else None, progress=progress, as_of=as_of,
                              notice=notice, full=full)
    typer.echo(result.summary_line())
    for warning in result.warnings:
        typer.echo(f"Warning: {warning}", err=True)
