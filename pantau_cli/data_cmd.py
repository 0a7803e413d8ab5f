"""``pantau init | ingest | simulate | demo``: the event-log store."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import typer

from pantau_cli import app
from pantau_cli.options import NEW_OR_EXISTING_DB, input_file, notice
from pantau_cli.progress import progress_bar

DB_OPTION = NEW_OR_EXISTING_DB


@app.command("init")
def init(db: Path = DB_OPTION) -> None:
    """Create the store (or migrate it to the current schema)."""
    from event_logs.store import init_store

    version = init_store(db, notice=notice)
    typer.echo(f"{db}: schema version {version}")


def _parse_map(items: list[str]) -> dict[str, str]:
    from pantau.errors import PantauError

    mapping: dict[str, str] = {}
    for item in items or []:
        column, sep, field = item.rpartition("=")
        if not sep or not column or not field:
            raise PantauError(f"--map expects COLUMN=FIELD, got {item!r}",
                              hint="e.g. --map 'No Registrasi=case_id' (quote names with spaces)")
        mapping[column] = field.strip()
    return mapping


@app.command("ingest")
def ingest(
    file: Path = typer.Argument(..., callback=input_file, help="CSV, Excel, XES(.gz) or Parquet file."),
    db: Path = DB_OPTION,
    sop: str = typer.Option(..., "--sop", help="SOP id the log belongs to."),
    agency: str = typer.Option(None, "--agency", help="Agency name (default: the SOP's agency)."),
    tz: str = typer.Option(None, "--tz", help="Zone for naive timestamps (default: the SOP's zone)."),
    map_: list[str] = typer.Option(None, "--map", help="COLUMN=FIELD (case_id, activity, timestamp, resource, lifecycle, unit, agency)."),
    activity_map: Path = typer.Option(None, "--activity-map", callback=input_file, help="CSV/YAML: label -> step id."),
    pii: list[str] = typer.Option(None, "--pii", help="Column holding personal data (hashed); NIK/KK columns always are."),
    keep_names: bool = typer.Option(False, "--keep-names", help="Keep every personal column (names, phone, address; dropped by default)."),
    keep_column: list[str] = typer.Option(None, "--keep-column", help="A personal column to keep (repeatable); phone numbers in it are still masked."),
    sheet: str = typer.Option(None, "--sheet", help="Excel sheet (default: the first)."),
    no_timestamps: bool = typer.Option(False, "--no-timestamps", help="The log records no times: read it in file order (conformance only; Mutu Baku not measurable)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Import an event log into the store; bad rows go to quarantine with their reason."""
    from event_logs.ingest import ingest_file
    from event_logs.ingest.pii import redact

    with progress_bar(f"ingest {file.name}", quiet=quiet) as progress:
        result = ingest_file(
            db, file, sop_id=sop, agency=agency, tz=tz, mapping=_parse_map(map_),
            activity_map=activity_map, pii_columns=list(pii or []), keep_names=keep_names,
            keep_columns=list(keep_column or []), sheet=sheet, progress=progress, notice=notice,
            no_timestamps=no_timestamps,
        )
    for line in result.label_lines(redact):
        typer.echo(line, err=True)
    typer.echo(result.summary_line())
    for warning in result.warnings():
        typer.echo(f"Warning: {warning}", err=True)


@app.command("simulate")
def simulate(
    db: Path = DB_OPTION,
    cases: int = typer.Option(..., "--cases", min=1, help="Number of cases over all selected SOPs."),
    seed: int = typer.Option(1, "--seed", help="Random seed (same seed, same log)."),
    start: str = typer.Option(None, "--start", help="First arrival date (YYYY-MM-DD)."),
    end: str = typer.Option(None, "--end", help="Last arrival date (YYYY-MM-DD)."),
    sop: list[str] = typer.Option(None, "--sop", help="SOP id (repeatable; default: all)."),
    deviation_rate: float = typer.Option(0.12, "--deviation-rate", min=0.0, max=1.0,
                                         help="Share of cases given one injected deviation."),
    replace: bool = typer.Option(False, "--replace", help="Delete earlier simulations of these SOPs first."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Simulate realistic case logs from the SOP models into the store."""
    from event_logs.simulator import simulate as run_simulation

    with progress_bar("simulate", quiet=quiet) as progress:
        result = run_simulation(
            db, cases=cases, seed=seed,
            start=date.fromisoformat(start) if start else None,
            end=date.fromisoformat(end) if end else None,
            sop_ids=list(sop) if sop else None, deviation_rate=deviation_rate, replace=replace,
            progress=progress, notice=notice,
        )
    typer.echo(f"simulated {result.cases:,} cases, {result.events:,} events, "
               f"{result.truth_rows:,} ground-truth rows in {result.seconds:.1f} s")


@app.command("demo")
def demo(
    db: Path = typer.Option(Path("data/demo.duckdb"), "--db", help="Demo database to build."),
    cases: int = typer.Option(20000, "--cases", min=1, help="Number of simulated cases."),
    seed: int = typer.Option(7, "--seed", help="Random seed."),
    force: bool = typer.Option(False, "--force", help="Rebuild even when the file exists."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Build the demo database (simulate + analyze) unless it exists; atomic (temp file + rename)."""
    from analytics import analyze as run_analysis
    from event_logs.simulator import simulate as run_simulation

    if db.exists() and not force:
        typer.echo(f"{db} exists; use --force to rebuild")
        return
    db.parent.mkdir(parents=True, exist_ok=True)
    tmp = db.with_name(db.name + ".building")
    for leftover in (tmp, Path(str(tmp) + ".wal")):
        leftover.unlink(missing_ok=True)
    with progress_bar("simulate", quiet=quiet) as progress:
        sim = run_simulation(tmp, cases=cases, seed=seed, progress=progress)
    with progress_bar("analyze", quiet=quiet) as progress:
        run = run_analysis(tmp, progress=progress)
    os.replace(tmp, db)
    typer.echo(f"{db}: {sim.cases:,} cases, {sim.events:,} events, analysis run {run.run_id}")
