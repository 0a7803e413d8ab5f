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
from pantau_cli import (  # noqa: E402, F401
    accept_cmd,
    analyze_cmd,
    audit_cmd,
    calendar_cmd,
    dashboard_cmd,
    data_cmd,
    evidence_cmd,
    export_cmd,
    map_cmd,
    partition_cmd,
    report_cmd,
    sop_cmd,
    target_cmd,
    user_cmd,
)


def _unexpected(exc: BaseException) -> PantauError | None:
    """A PantauError for failures a user can cause that reach the shell unwrapped (the store
    failing on a full disk, a folder without write permission); None for real bugs."""
    import duckdb

    from event_logs.ingest.messages import db_error, db_error_hint, safe_text

    if isinstance(exc, duckdb.Error):
        return PantauError(f"the database failed: {db_error(exc)}",
                           hint=db_error_hint(exc) or "nothing was changed; run the command again, "
                           "and report it if it fails the same way")
    if isinstance(exc, MemoryError):  # pyarrow's ArrowMemoryError is one too
        return PantauError("not enough memory for this file",
                           hint="lower [ingest] max_decompressed_mb / max_rows in pantau.toml so such "
                                "files are refused early, or split the file (docs/config.md)")
    if isinstance(exc, OSError):
        where = exc.filename if isinstance(exc.filename, str) else None
        full = exc.errno == 28  # ENOSPC
        return PantauError(safe_text(exc.strerror or type(exc).__name__), file=where,
                           hint="free disk space, then run the command again" if full else
                           "check that the file exists and that this user may read and write there")
    return None


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script: runs the app, turning PantauError (and failures a
    user can cause: a full disk, no permission) into ``Error: ... Hint: ...`` and exit 1."""
    try:
        app(args=argv, prog_name="pantau")
    except PantauError as exc:
        typer.secho(f"Error: {exc}", err=True, fg=typer.colors.RED)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.secho("Interrupted.", err=True)
        sys.exit(130)
    except Exception as exc:
        error = _unexpected(exc)
        if error is None:
            raise
        typer.secho(f"Error: {error}", err=True, fg=typer.colors.RED)
        sys.exit(1)
