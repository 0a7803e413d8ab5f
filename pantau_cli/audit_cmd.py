"""``pantau audit verify | list``: check and read the dashboard's audit log."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer

from pantau_cli import app
from pantau_cli.options import existing_store

audit_app = typer.Typer(help="The audit log: verify its hash chain, list entries.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")

DB = typer.Option(None, "--db", help="The store whose audit log to read (the log lies beside it).",
                  callback=existing_store)
FILE = typer.Option(None, "--file", help="An audit log file (instead of the one beside --db).")
CONFIG = typer.Option(None, "--config", help="Settings file (default: $PANTAU_CONFIG or pantau.toml beside DB).")


def _path(db: Path | None, file: Path | None, config: Path | None) -> Path:
    from pantau.access import auth_setup
    from pantau.config import load_settings
    from pantau.errors import AuditError

    if file is not None:
        return file
    if db is None:
        raise AuditError("which audit log?", hint="give --db STORE (the log beside it) or --file LOG")
    return auth_setup(load_settings(config, store=db), db, mode="local").audit_file


def _since(text: str | None) -> datetime | None:
    from pantau.errors import PantauError

    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise PantauError(f"--since {text!r} is not a date", hint="e.g. 2026-11-30 or 2026-11-30T08:00+07:00") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


@audit_app.command("verify")
def verify(db: Path = DB, file: Path = FILE, config: Path = CONFIG) -> None:
    """Check every entry's hash and the chain; exit 1 naming each edited, deleted or moved entry."""
    from pantau import audit

    path = _path(db, file, config)
    result = audit.verify(path)
    if not result.ok:
        for problem in result.problems:
            typer.secho(f"Error: {problem}", err=True, fg=typer.colors.RED)
        typer.echo(f"{path}: {len(result.problems)} problem(s) in {result.entries} entries", err=True)
        raise typer.Exit(1)
    typer.echo(f"{path}: {result.entries} entries, chain intact; head sha256 {result.head}")


@audit_app.command("list")
def list_(db: Path = DB, file: Path = FILE, config: Path = CONFIG,
          user: str = typer.Option(None, "--user", help="Only this user's entries."),
          since: str = typer.Option(None, "--since", help="Only entries at or after DATE (ISO; a bare date is UTC midnight)."),
          event: str = typer.Option(None, "--event", help="Only entries of this kind (login, export, denied, ...)."),
          as_json: bool = typer.Option(False, "--json", help="The entries as JSON lines, as stored.")) -> None:
    """Print the audit log (oldest first), optionally for one user, kind or period."""
    from pantau import audit
    from pantau.errors import AuditError

    if event and event not in audit.EVENTS:
        raise AuditError(f"unknown event kind '{event}'", field="--event", hint=f"one of {list(audit.EVENTS)}")
    entries = audit.select(audit.AuditLog(_path(db, file, config)).entries(), user=user, since=_since(since),
                           event=event)
    for e in entries:
        if as_json:
            typer.echo(json.dumps(dict(e.body(), hash=e.hash), ensure_ascii=False))
        else:
            typer.echo(f"{e.seq}\t{e.time.isoformat(timespec='seconds')}\t{e.user}\t{e.role or '-'}\t{e.event}\t"
                       f"{audit.describe(e.details)}")
