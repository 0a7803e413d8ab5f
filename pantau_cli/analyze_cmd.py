"""``pantau analyze``: Mutu Baku checks, conformance and lanes into the store (or into every
partition of a partition folder, as tasks on a Dask cluster)."""

from __future__ import annotations

from pathlib import Path

import typer

from pantau.errors import PantauError
from pantau_cli import app
from pantau_cli.options import existing_store, notice
from pantau_cli.progress import progress_bar


@app.command("analyze")
def analyze(
    db: Path = typer.Option(None, "--db", help="DuckDB database file (must exist); or give --partitions.",
                            callback=existing_store),
    sop: list[str] = typer.Option(None, "--sop", help="SOP id (repeatable; default: every SOP with events)."),
    as_of: str = typer.Option(None, "--as-of", metavar="DATE|TIMESTAMP",
                              help="Judge open cases at this moment: YYYY-MM-DD (the end of that local "
                                   "day) or an ISO timestamp with offset. Default: the end of the last "
                                   "imported day."),
    full: bool = typer.Option(False, "--full", help="Recompute every case, not only what the events "
                                                       "imported since the last run can change."),
    partitions: Path = typer.Option(None, "--partitions", metavar="DIR",
                                    help="Analyse every partition store of this folder ('pantau partition "
                                         "split'), one Dask task each, instead of --db."),
    scheduler: str = typer.Option(None, "--scheduler", metavar="ADDRESS",
                                  help="With --partitions: the Dask scheduler to run the tasks on "
                                       "(tcp://HOST:8786). Default: a local cluster."),
    local_workers: int = typer.Option(None, "--local-workers", min=1,
                                      help="With --partitions and no --scheduler: worker processes of the "
                                           "local cluster (default 2), listening on 127.0.0.1 only."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Compute every result table for the SOPs, replacing their previous results in one transaction.

    By default a run is incremental where it can be: an SOP analysed before, with the same model
    version, mapping, calendar and settings, recomputes only the cases touched by events imported
    since (and every open case), the lane months they reach and the model quality they change.
    """
    if (db is None) == (partitions is None):
        raise PantauError("give either --db (one store) or --partitions (a partition folder)",
                          hint="'pantau analyze --db FILE', or 'pantau analyze --partitions DIR --local-workers 2'")
    if partitions is None:
        if scheduler or local_workers:
            raise PantauError("--scheduler and --local-workers go with --partitions",
                              hint="split the store first: 'pantau partition split --db DB --by agency --out DIR'")
        from analytics import analyze as run_analysis

        with progress_bar("analyze", quiet=quiet) as progress:
            result = run_analysis(db, sop_ids=list(sop) if sop else None, progress=progress, as_of=as_of,
                                  notice=notice, full=full)
        typer.echo(result.summary_line())
        for warning in result.warnings:
            typer.echo(f"Warning: {warning}", err=True)
        return
    if sop:
        raise PantauError("--sop does not go with --partitions: every partition is analysed whole",
                          hint="analyse one partition with 'pantau analyze --db DIR/FILE --sop ID'")
    if scheduler and local_workers:
        raise PantauError("give --scheduler or --local-workers, not both",
                          hint="--scheduler for a running cluster, --local-workers for one on this machine")
    from analytics.distributed import analyze_partitions

    with progress_bar("analyze partitions", quiet=quiet) as progress:
        runs = analyze_partitions(partitions, scheduler=scheduler, local_workers=local_workers,
                                  as_of=as_of, full=full, progress=progress)
    for run in runs:
        typer.echo(f"{run.partition.agency}: {run.result.summary_line()}")
        for warning in run.result.warnings:
            typer.echo(f"Warning: {run.partition.agency}: {warning}", err=True)
    typer.echo(f"{len(runs)} partition(s) analysed: "
               f"{sum(r.result.case_count for r in runs):,} cases, {sum(r.result.event_count for r in runs):,} events")
