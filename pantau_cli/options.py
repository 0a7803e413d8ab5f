"""Options several commands share: the store (that must exist, or may be created), input files,
and the notice a command prints when the store is busy and it waits.

A typo in ``--db`` must not create an empty database and then report that it holds no events:
every command but those that create a store (``init``, ``ingest``, ``simulate``, ``demo``,
``sop add``) takes :data:`EXISTING_DB`, which refuses a missing file with ``Error: … / Hint: …``. Input files are
checked the same way (:func:`input_file`), not with typer's own boxed usage error.
"""

from __future__ import annotations

from pathlib import Path

import typer

from pantau.errors import PantauError, StoreError

_CREATE_HINT = ("create one with 'pantau init --db FILE', or import a log into it with 'pantau ingest FILE "
                "--db FILE --sop ID' ('pantau simulate' and 'pantau demo' build one with simulated cases)")


def existing_store(db: Path | None) -> Path | None:
    """``db`` when it is a file; :class:`StoreError` naming it (and how to make one) when not."""
    if db is None:
        return None
    if not db.exists():
        raise StoreError("no such database file", file=str(db), hint=_CREATE_HINT)
    if not db.is_file():
        raise StoreError("this is a folder, not a database file", file=str(db),
                         hint="give the database file itself, e.g. --db data/pantau.duckdb")
    return db


def input_file(path: Path | None) -> Path | None:
    """``path`` when it is a readable file; :class:`PantauError` with a hint when not."""
    if path is None:
        return None
    if not path.exists():
        raise PantauError("no such file", file=str(path),
                          hint="check the path and the file name (quote names with spaces)")
    if not path.is_file():
        raise PantauError("this is a folder, not a file", file=str(path), hint="give the file itself")
    return path


def notice(text: str) -> None:
    """A library notice (e.g. "the database is in use by …; waiting up to 30 s") on stderr."""
    typer.echo(f"Note: {text}", err=True)


EXISTING_DB = typer.Option(..., "--db", help="DuckDB database file (must exist).", callback=existing_store)
NEW_OR_EXISTING_DB = typer.Option(..., "--db", help="DuckDB database file (created when missing).")
