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
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Compute every result table for the SOPs, replacing their previous results in one transaction."""
    from analytics import analyze as run_analysis

    with progress_bar("analyze", quiet=quiet) as progress:
        result = run_analysis(db, sop_ids=list(sop) if sop else None, progress=progress, as_of=as_of,
                              notice=notice)
    typer.echo(result.summary_line())
    for warning in result.warnings:
        typer.echo(f"Warning: {warning}", err=True)
