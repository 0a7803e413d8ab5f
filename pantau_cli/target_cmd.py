"""``pantau target ...``: the on-time share an agency aims at for an SOP."""

from __future__ import annotations

from pathlib import Path

import typer

from pantau_cli import app
from pantau_cli.options import EXISTING_DB, notice

DB_OPTION = EXISTING_DB
target_app = typer.Typer(help="On-time targets per SOP (and agency): set, unset, list.", no_args_is_help=True)
app.add_typer(target_app, name="target")


def _store(db: Path, *, write: bool):
    from event_logs.store import open_store

    # the option refused a missing file; a writer waiting for readers says so once
    return open_store(db, read_only=not write, notice=notice)


def _share(text: str) -> float:
    from pantau.errors import PantauError

    value = text.strip()
    try:
        return float(value[:-1].replace(",", ".")) / 100 if value.endswith("%") else float(value.replace(",", "."))
    except ValueError:
        raise PantauError(f"'{value[:20]}' is not a share", field="share", hint="give 0.9 or 90%") from None


@target_app.command("set")
def target_set(
    share: str = typer.Argument(..., help="The on-time share aimed at: 0.9 or 90%."),
    db: Path = DB_OPTION,
    sop: str = typer.Option(..., "--sop", help="SOP id."),
    agency: str = typer.Option(None, "--agency", help="Only for this agency (default: every agency)."),
    by: str = typer.Option(..., "--by", help="Who sets it (recorded)."),
    reason: str = typer.Option(None, "--reason", help="Why (recorded)."),
) -> None:
    """Set the on-time target of an SOP (for one agency, or all); pages use it at once."""
    from event_logs.store import transaction
    from event_logs.targets import set_target

    con = _store(db, write=True)
    try:
        with transaction(con):
            set_target(con, sop, _share(share), by=by, agency=agency, reason=reason)
    finally:
        con.close()
    typer.echo(f"target for {sop}{' / ' + agency if agency else ''}: {_share(share):.0%}")


@target_app.command("unset")
def target_unset(
    db: Path = DB_OPTION,
    sop: str = typer.Option(..., "--sop", help="SOP id."),
    agency: str = typer.Option(None, "--agency", help="The agency's own target (default: the SOP's)."),
    by: str = typer.Option(..., "--by", help="Who removes it (recorded)."),
    reason: str = typer.Option(None, "--reason", help="Why (recorded)."),
) -> None:
    """Remove a target set with 'target set': the SOP's, the model's or the 90 % default applies."""
    from event_logs.store import transaction
    from event_logs.targets import unset_target

    con = _store(db, write=True)
    try:
        with transaction(con):
            unset_target(con, sop, by=by, agency=agency, reason=reason)
    finally:
        con.close()
    typer.echo(f"target for {sop}{' / ' + agency if agency else ''} removed")


@target_app.command("list")
def target_list(db: Path = DB_OPTION) -> None:
    """The target in force for every SOP and agency, and where it comes from."""
    from event_logs.targets import targets

    con = _store(db, write=False)
    try:
        rows = targets(con)
    finally:
        con.close()
    for r in rows.itertuples():
        typer.echo(f"{r.sop_id}\t{r.agency if isinstance(r.agency, str) else '(every agency)'}\t{r.target_on_time:.0%}\t{r.source}")
