"""``pantau dashboard``: start the Streamlit app on a database, with or without logins."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from pantau_cli import app
from pantau_cli.options import existing_store


@app.command("dashboard")
def dashboard(
    db: Path = typer.Option(Path("data/demo.duckdb"), "--db", help="DuckDB database file (opened read-only)."),
    port: int = typer.Option(8501, "--port", help="HTTP port."),
    headless: bool = typer.Option(True, "--headless/--browser", help="Do not open a browser window."),
    auth: str = typer.Option(None, "--auth", help="none (local demo, 127.0.0.1 only), local (accounts from "
                                                  "'pantau user add') or oidc; default: [auth] mode."),
    address: str = typer.Option("127.0.0.1", "--address", help="Address to listen on (another than 127.0.0.1 "
                                                               "needs --auth local or oidc)."),
    config: Path = typer.Option(None, "--config", help="Settings file (default: $PANTAU_CONFIG or pantau.toml beside DB)."),
) -> None:
    """Start the dashboard (Streamlit) on DB."""
    from dashboard import app_path
    from pantau.access.setup import AUTH_ENV, auth_setup, check_binding, prepare
    from pantau.config import CONFIG_ENV, load_settings

    existing_store(db)
    setup = auth_setup(load_settings(config, store=db), db, mode=auth)
    check_binding(setup, address)
    extra = prepare(setup, db)
    env = dict(os.environ, PANTAU_DB=str(db.resolve()), **{AUTH_ENV: setup.mode})
    if config is not None:
        env[CONFIG_ENV] = str(config.resolve())
    args = [
        sys.executable, "-m", "streamlit", "run", str(app_path()),
        "--server.port", str(port), "--server.address", address, "--server.headless", str(headless).lower(),
        "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer", *extra,
    ]
    typer.echo(f"Pantau dashboard on http://{address}:{port} · logins: {setup.mode}"
               + (" — only this computer can open it (no logins)" if not setup.enabled else
                  f" · users: {setup.users_file} · audit log: {setup.audit_file}"), err=True)
    os.execvpe(sys.executable, args, env)
