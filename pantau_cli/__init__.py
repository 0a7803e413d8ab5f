"""The ``pantau`` command: a thin shell over the library.

Every command only parses options and calls package functions; library errors
(:class:`pantau.errors.PantauError`) are printed as ``Error: ...`` and exit with status 1.
"""

from __future__ import annotations

import os
import sys

import typer

from pantau import __version__
from pantau.errors import PantauError

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")

app = typer.Typer(
    name="pantau",
    help="Pantau: SOP process models, event logs and Mutu Baku compliance for JKN services.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pantau {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Pantau: SOP process models, event logs and Mutu Baku compliance for JKN services."""


# Command groups register themselves on `app` when imported.
from pantau_cli import analyze_cmd, audit_cmd, dashboard_cmd, data_cmd, sop_cmd, user_cmd  # noqa: E402, F401


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script: runs the app, turning PantauError into exit 1."""
    try:
        app(args=argv, prog_name="pantau")
    except PantauError as exc:
        typer.secho(f"Error: {exc}", err=True, fg=typer.colors.RED)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.secho("Interrupted.", err=True)
        sys.exit(130)
