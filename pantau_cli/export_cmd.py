"""``pantau export deviations|breaches|late``: the auditor's files, as the pages make them."""

from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path

import typer

from pantau_cli import app

KINDS = ("deviations", "breaches", "late")


def _day(text: str | None, option: str) -> date | None:
    from pantau.errors import PantauError

    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PantauError(f"{option} '{text[:20]}' is not a date", field=option, hint="give YYYY-MM-DD") from None


@app.command("export")
def export_cmd(
    kind: str = typer.Argument(..., help="deviations, breaches or late (open cases late now)."),
    db: Path = typer.Option(..., "--db", help="DuckDB database file."),
    out: Path = typer.Option(..., "-o", "--output", help="File to write."),
    fmt: str = typer.Option("csv", "--format", help="csv or xlsx (with metadata and column sheets)."),
    sop: str = typer.Option(None, "--sop", help="Only this SOP."),
    agency: str = typer.Option(None, "--agency", help="Only this agency."),
    unit: str = typer.Option(None, "--unit", help="Only this service unit."),
    start: str = typer.Option(None, "--from", help="First day (YYYY-MM-DD): case start; breaches: step completion."),
    end: str = typer.Option(None, "--to", help="Last day (YYYY-MM-DD), inclusive."),
    kinds: list[str] = typer.Option(None, "--kind", help="deviations: only this kind (repeatable)."),
    cases: str = typer.Option("all", "--cases", help="deviations: closed, open (judged so far) or all."),
    config: Path = typer.Option(None, "--config", help="Settings file (default: $PANTAU_CONFIG or pantau.toml beside DB)."),
) -> None:
    """Write deviations, breaches or late open cases with run id, as-of, SOP number and
    revision, model checksum and local timestamps on every row; recorded in the audit log."""
    import hashlib

    from dashboard.export_files import FORMATS, make
    from dashboard.filters import Filters
    from dashboard.queries.exports import CASE_SCOPES
    from event_logs.store import open_store
    from pantau import audit
    from pantau.access import auth_setup
    from pantau.config import load_settings
    from pantau.errors import PantauError, StoreError, did_you_mean

    if kind not in KINDS:
        raise PantauError(f"unknown export '{kind}'", field="kind", hint=did_you_mean(kind, list(KINDS)))
    if fmt not in FORMATS:
        raise PantauError(f"unknown format '{fmt}'", field="--format", hint="csv or xlsx")
    if cases not in CASE_SCOPES:
        raise PantauError(f"--cases '{cases}'", field="--cases", hint="closed, open or all")
    if kind != "deviations" and (kinds or cases != "all"):
        raise PantauError("--kind and --cases apply to deviations only", field="--kind",
                          hint="leave them out for breaches and late cases")
    first, last = _day(start, "--from"), _day(end, "--to")
    if first and last and first > last:
        raise PantauError(f"--from {first} is after --to {last}", field="--from", hint="swap them")
    if not db.exists():
        raise StoreError("no such database file", file=str(db),
                         hint="create one with 'pantau init --db FILE' or 'pantau ingest'")
    f = Filters(agency or None, sop or None, unit or None, first, last)
    params = {"kinds": tuple(sorted(kinds or ())), "scope": cases} if kind == "deviations" else {}
    con = open_store(db)
    try:
        body, rows = make(con, kind, fmt, f, db_name=db.name, **params)
    finally:
        con.close()
    out.write_bytes(body)
    setup = auth_setup(load_settings(config, store=db), db, mode="local")
    audit.AuditLog(setup.audit_file).record(getpass.getuser(), "cli", audit.EXPORT, {
        "kind": kind, "file": out.name, "rows": rows, "sha256": hashlib.sha256(body).hexdigest(),
        "filters": {k: str(v) for k, v in {"agency": agency, "sop": sop, "unit": unit, "from": first, "to": last,
                                           **params}.items() if v}})
    typer.echo(f"{out}: {rows:,} {kind} row(s)")
