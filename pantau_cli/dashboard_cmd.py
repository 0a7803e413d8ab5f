"""``pantau dashboard``: start the Streamlit app on a database."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from pantau_cli import app


@app.command("dashboard")
def dashboard(
    db: Path = typer.Option(Path("data/demo.duckdb"), "--db", help="DuckDB database file (opened read-only)."),
    port: int = typer.Option(8501, "--port", help="HTTP port."),
    headless: bool = typer.Option(True, "--headless/--browser", help="Do not open a browser window."),
) -> None:
    """Start the dashboard (Streamlit) on DB."""
    from dashboard import app_path

    if not db.exists():
        from pantau.errors import StoreError

        raise StoreError("no such database file", file=str(db),
                         hint="build the demo with 'pantau demo' or import logs with 'pantau ingest'")
    env = dict(os.environ, PANTAU_DB=str(db.resolve()))
    args = [
        sys.executable, "-m", "streamlit", "run", str(app_path()),
        "--server.port", str(port), "--server.headless", str(headless).lower(),
        "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
    ]
    os.execvpe(sys.executable, args, env)
