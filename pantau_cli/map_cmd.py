"""``pantau map ...``: the activity mapping (source labels -> SOP steps) in the store."""

from __future__ import annotations

from pathlib import Path

import typer

from pantau_cli import app
from pantau_cli.options import EXISTING_DB, input_file, notice

DB_OPTION = EXISTING_DB
map_app = typer.Typer(help="Activity labels -> SOP steps: set, list, import, unset.", no_args_is_help=True)
app.add_typer(map_app, name="map")


def _store(db: Path, *, write: bool = True):
    from event_logs.store import open_store

    # a write waits (saying so) for readers to close the file; a read does not lock writers out
    return open_store(db, read_only=not write, notice=notice)


@map_app.command("set")
def map_set(
    label: str = typer.Argument(..., help="The activity label as the source files write it."),
    step_id: str = typer.Argument(..., help="The SOP step it is ('s03'), or '-' for out of scope."),
    db: Path = DB_OPTION,
    sop: str = typer.Option(..., "--sop", help="SOP id."),
    by: str = typer.Option(None, "--by", help="Who decided it (recorded)."),
) -> None:
    """Map LABEL to STEP_ID for an SOP; it takes effect at the next 'pantau analyze'."""
    from event_logs.mapping import set_mapping
    from event_logs.store import transaction

    con = _store(db)
    try:
        with transaction(con):
            set_mapping(con, sop, label, step_id, source="cli", by=by)
    finally:
        con.close()
    what = "out of scope" if step_id == "-" else step_id
    typer.echo(f"{sop}: {label!r} -> {what} (takes effect at the next 'pantau analyze')")


@map_app.command("unset")
def map_unset(
    label: str = typer.Argument(..., help="The activity label."),
    db: Path = DB_OPTION,
    sop: str = typer.Option(..., "--sop", help="SOP id."),
) -> None:
    """Forget the mapping of LABEL (exact and normalised step names still match)."""
    from event_logs.mapping import remove_mapping
    from event_logs.store import transaction
    from pantau.errors import PantauError

    con = _store(db)
    try:
        with transaction(con):
            found = remove_mapping(con, sop, label)
    finally:
        con.close()
    if not found:
        raise PantauError(f"no mapping of {label!r} for SOP '{sop}'", hint="'pantau map list' shows them")
    typer.echo(f"{sop}: {label!r} unmapped")


@map_app.command("list")
def map_list(
    db: Path = DB_OPTION,
    sop: str = typer.Option(None, "--sop", help="Only this SOP."),
) -> None:
    """List the mappings: SOP, label, step (or '-' for out of scope), where it came from."""
    from event_logs.mapping import list_mappings

    con = _store(db, write=False)
    try:
        entries = list_mappings(con, sop)
    finally:
        con.close()
    for e in entries:
        typer.echo(f"{e.sop_id}\t{e.label}\t{e.step_id or '-'}\t{e.source}\t{e.set_by or ''}\t"
                   f"{e.set_at:%Y-%m-%d %H:%M}")
    if not entries:
        typer.echo("no mappings (labels match SOP steps by their exact and normalised names)", err=True)


@map_app.command("import")
def map_import(
    file: Path = typer.Argument(..., callback=input_file, help="CSV (label,step_id) or YAML (label: step_id)."),
    db: Path = DB_OPTION,
    sop: str = typer.Option(..., "--sop", help="SOP id."),
    by: str = typer.Option(None, "--by", help="Who decided it (recorded)."),
) -> None:
    """Store every row of an activity map file; they take effect at the next analysis."""
    from event_logs.mapping import import_mappings
    from event_logs.registry import latest
    from event_logs.store import transaction

    con = _store(db)
    try:
        with transaction(con):
            n = import_mappings(con, sop, file, latest(con, sop), source="file", by=by)
    finally:
        con.close()
    typer.echo(f"{sop}: {n} mapping(s) stored from {file.name} (takes effect at the next 'pantau analyze')")
