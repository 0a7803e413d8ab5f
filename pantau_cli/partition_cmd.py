"""``pantau partition``: split a store into one store per agency, and gather them back."""

from __future__ import annotations

from pathlib import Path

import typer

from pantau_cli import app
from pantau_cli.options import EXISTING_DB
from pantau_cli.progress import progress_bar

partition_app = typer.Typer(help="Partition a store by agency for a distributed analysis, and gather it back.",
                            no_args_is_help=True)
app.add_typer(partition_app, name="partition")


@partition_app.command("split")
def split(
    db: Path = EXISTING_DB,
    by: str = typer.Option("agency", "--by", help="The partition key: agency (one store per agency)."),
    out: Path = typer.Option(..., "--out", metavar="DIR", help="A new or empty folder for the partition stores."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Write one full Pantau store per agency into DIR (events, cases; models, vocabularies,
    mappings, calendars, targets copied whole), with DIR/partitions.json naming them."""
    from analytics.partitions import split as split_store

    with progress_bar("split", quiet=quiet) as progress:
        parts = split_store(db, out, by=by, progress=progress)
    for p in parts:
        typer.echo(f"{p.file}: {p.agency} ({p.cases:,} cases, {p.events:,} events)")
    typer.echo(f"{len(parts)} partition(s) in {out}")


@partition_app.command("gather")
def gather(
    partitions: Path = typer.Option(..., "--partitions", metavar="DIR", help="The partition folder."),
    db: Path = typer.Option(..., "--db", help="The store to write (must not exist)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Write every partition's events and results into one new store (the national picture
    the dashboard opens); results are the single store's, run ids numbered anew."""
    from analytics.partitions import gather as gather_stores

    with progress_bar("gather", quiet=quiet) as progress:
        cases = gather_stores(partitions, db, progress=progress)
    typer.echo(f"gathered {cases:,} cases into {db}")
