"""``pantau user add | list | disable | enable | passwd``: the dashboard's users file."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

import typer

from pantau_cli import app
from pantau_cli.options import existing_store

user_app = typer.Typer(help="Dashboard users: add, list, disable, enable, passwd.", no_args_is_help=True)
app.add_typer(user_app, name="user")

DB = typer.Option(..., "--db", help="The store the users belong to (the users file lies beside it).",
                  callback=existing_store)
CONFIG = typer.Option(None, "--config", help="Settings file (default: $PANTAU_CONFIG or pantau.toml beside DB).")
STDIN = typer.Option(False, "--password-stdin", help="Read the password from standard input (one line).")


def _files(db: Path, config: Path | None):
    from pantau.access import UsersFile, auth_setup
    from pantau.audit import AuditLog
    from pantau.config import load_settings

    setup = auth_setup(load_settings(config, store=db), db, mode="local")
    return UsersFile(setup.users_file), AuditLog(setup.audit_file)


def _password(from_stdin: bool) -> str:
    from pantau.access import hash_password

    if from_stdin:
        text = sys.stdin.readline().rstrip("\r\n")
    else:
        text = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return hash_password(text)


def _record(audit, action: str, target: str, **details: object) -> None:
    from pantau.audit import USER_CHANGE

    audit.record(getpass.getuser(), "cli", USER_CHANGE, {"action": action, "target": target, **details})


@user_app.command("add")
def add(
    name: str = typer.Argument(..., help="User name (letters, digits, . _ @ -)."),
    role: str = typer.Option(..., "--role", help="kepala_dinas, inspektorat, analis or admin."),
    agency: list[str] = typer.Option(None, "--agency", help="An agency the user sees (repeat for more)."),
    all_agencies: bool = typer.Option(False, "--all-agencies", help="The user sees every agency (not for kepala_dinas)."),
    unit: list[str] = typer.Option(None, "--unit", help="Limit a kepala_dinas to this service unit (repeat for more)."),
    email: str = typer.Option(None, "--email", help="E-mail the OIDC provider vouches for (match_claim = email)."),
    subject: str = typer.Option(None, "--subject", help="Subject (sub) the OIDC provider gives (match_claim = sub)."),
    password_stdin: bool = STDIN,
    no_password: bool = typer.Option(False, "--no-password", help="No local password: the user logs in through OIDC only."),
    db: Path = DB,
    config: Path = CONFIG,
) -> None:
    """Add a user with a role and the agencies (and units) they see; asks for the password."""
    from dataclasses import replace

    from event_logs.scoped import known_agencies
    from pantau.access.users import check_agencies, make_user
    from pantau.errors import UsersFileError

    if all_agencies and agency:
        raise UsersFileError("--agency and --all-agencies exclude each other", field="agency")
    if not all_agencies:
        check_agencies(list(agency or []), known_agencies(db))
    user = make_user(name, role, None if all_agencies else list(agency or []), list(unit or []),
                     email=email, subject=subject)
    if not no_password:
        user = replace(user, password_hash=_password(password_stdin))
    elif not (email or subject):
        raise UsersFileError("a user without a password needs --email or --subject to log in through OIDC",
                             field="password")
    users, audit = _files(db, config)
    users.add(user)
    _record(audit, "add", user.name, role=user.role, scope=user.scope.describe(), email=bool(user.email))
    typer.echo(f"added {user.name} ({user.role}; {user.scope.describe()}) to {users.path}")


@user_app.command("list")
def list_(db: Path = DB, config: Path = CONFIG,
          as_json: bool = typer.Option(False, "--json", help="One JSON object per user (no hashes).")) -> None:
    """List the users with their role, scope and how they log in."""
    users, _audit = _files(db, config)
    for user in users.users().values():
        if as_json:
            record = user.to_json()
            record["password_hash"] = bool(record["password_hash"])
            typer.echo(json.dumps(record, ensure_ascii=False))
            continue
        login = ", ".join(x for x in ("password" if user.password_hash else "", user.email or "",
                                       f"sub={user.subject}" if user.subject else "") if x)
        state = "disabled" if user.disabled else "active"
        typer.echo(f"{user.name}\t{user.role}\t{user.scope.describe()}\t{login or '-'}\t{state}")


def _set_disabled(name: str, disabled: bool, db: Path, config: Path | None) -> None:
    users, audit = _files(db, config)
    user = users.update(name, disabled=disabled)
    _record(audit, "disable" if disabled else "enable", user.name)
    typer.echo(f"{user.name}: {'disabled' if disabled else 'enabled'}")


@user_app.command("disable")
def disable(name: str = typer.Argument(...), db: Path = DB, config: Path = CONFIG) -> None:
    """Disable a user: their next click in the dashboard ends their session."""
    _set_disabled(name, True, db, config)


@user_app.command("enable")
def enable(name: str = typer.Argument(...), db: Path = DB, config: Path = CONFIG) -> None:
    """Enable a disabled user again."""
    _set_disabled(name, False, db, config)


@user_app.command("passwd")
def passwd(name: str = typer.Argument(...), password_stdin: bool = STDIN, db: Path = DB,
           config: Path = CONFIG) -> None:
    """Set a user's password (asks for it twice, or reads one line with --password-stdin)."""
    users, audit = _files(db, config)
    if users.get(name) is None:
        users.update(name)  # raises "no user" with the hint
    user = users.update(name, password_hash=_password(password_stdin))
    _record(audit, "passwd", user.name)
    typer.echo(f"{user.name}: password changed")
