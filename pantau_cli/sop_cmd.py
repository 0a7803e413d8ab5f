"""``pantau sop ...``: SOP models — the registry in a store (add, list, show, confirm, check)
and model files (export, import)."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import typer

from pantau_cli import app
from pantau_cli.options import EXISTING_DB, NEW_OR_EXISTING_DB, existing_store, input_file, notice

sop_app = typer.Typer(help="SOP models: add, list, show, confirm, check, export, import.", no_args_is_help=True)
app.add_typer(sop_app, name="sop")

DB = typer.Option(None, "--db", help="The store whose SOP models to use (default: the bundled model files).",
                  callback=existing_store)
VERSION = typer.Option(None, "--version", "-v", help="No. Revisi or sha256 prefix (default: the latest added).")


def _record(db: Path, action: str, version: object, by: str | None) -> None:
    """An audit entry for a change of the store's models (the audit log beside the store)."""
    from pantau.access import auth_setup
    from pantau.audit import MODEL_CHANGE, AuditLog
    from pantau.config import load_settings

    setup = auth_setup(load_settings(store=db), db, mode="local")
    AuditLog(setup.audit_file).record(by or getpass.getuser(), "cli", MODEL_CHANGE, {
        "action": action, "sop": version.sop_id, "sha256": version.model_sha256,
        "revision": version.revision, "status": version.status})


def _line(v: object) -> str:
    def day(x: object) -> str:
        return x.isoformat()[:16].replace("T", " ") if x is not None else "-"

    confirmed = f"confirmed by {v.confirmed_by or '-'} at {day(v.confirmed_at)}" if v.status == "confirmed" else v.status
    return (f"  #{v.number}  {v.model_sha256[:12]}  rev. {v.revision or '-':<4} effective {day(v.effective):<10}  "
            f"{confirmed}; added by {v.added_by or '-'} at {day(v.added_at)} ({v.origin})")


@sop_app.command("list")
def sop_list(
    db: Path = DB,
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array, one object per SOP (per version with --db)."),
) -> None:
    """List the SOP models: with --db every SOP and version in the store, else the bundled files."""
    if db is not None:
        from event_logs import versions
        from event_logs.store import open_store

        con = open_store(db, read_only=False, notice=notice)
        try:
            found = versions.listed(con)
        finally:
            con.close()
        if as_json:
            typer.echo(json.dumps([v.to_json() for v in found], ensure_ascii=False, indent=2))
            return
        for sop_id in dict.fromkeys(v.sop_id for v in found):
            mine = [v for v in found if v.sop_id == sop_id]
            typer.echo(f"{sop_id}  [{mine[-1].agency}]  {mine[-1].title}  (No. {mine[-1].sop_number or '-'})")
            for v in mine:
                typer.echo(_line(v))
        return
    from sop_models import load_all

    models = load_all()
    if as_json:
        typer.echo(json.dumps([m.summary_json() for m in models], ensure_ascii=False, indent=2))
        return
    for m in models:
        typer.echo(f"{m.id}  [{m.agency}]  {m.title}")
        typer.echo(f"    lanes: {', '.join(m.lanes)}")
        typer.echo(f"    steps: {len(m.steps)}   source: {m.source}")


@sop_app.command("add")
def sop_add(
    file: Path = typer.Argument(..., callback=input_file,
                                help="Model file (.yaml), SOP document (.docx, .pdf, .txt) or process model (.bpmn, .pnml)."),
    db: Path = NEW_OR_EXISTING_DB,  # adding a model to a new store creates it
    by: str = typer.Option(None, "--by", help="Who adds it (default: the login name)."),
    times: Path = typer.Option(None, "--times", callback=input_file, help="BPMN/PNML only: time standards per task (YAML 'task: waktu' or CSV task,waktu)."),
    sop_id: str = typer.Option(None, "--id", help="SOP id of a drafted or imported model."),
    agency: str = typer.Option(None, "--agency", help="Agency of a drafted or imported model."),
    region: str = typer.Option(None, "--region", help="Region of a drafted or imported model."),
    timezone: str = typer.Option(None, "--timezone", help="IANA zone of a drafted or imported model."),
    confirm: bool = typer.Option(False, "--confirm", help="Confirm it at once (needs --by; never a document's draft)."),
) -> None:
    """Add a model version to the store, checked; a draft until confirmed (or --confirm)."""
    from event_logs import versions
    from event_logs.store import open_store, transaction

    identity = {"id": sop_id, "agency": agency, "region": region, "timezone": timezone}
    con = open_store(db, read_only=False, notice=notice)
    try:
        with transaction(con):
            v, new = versions.add_file(con, file, by=by or getpass.getuser(), times=times, identity=identity,
                                       confirm=confirm)
    finally:
        con.close()
    if new:
        _record(db, "add", v, by)
    typer.echo(("added " if new else "already stored: ") + f"{v.sop_id} version #{v.number} {v.model_sha256[:12]} "
               f"(rev. {v.revision or '-'}, {v.status})")
    if v.status != "confirmed":
        typer.echo(f"Review it ('pantau sop show {v.sop_id} --version {v.model_sha256[:12]} --db {db}'), then "
                   f"'pantau sop confirm {v.sop_id} --version {v.model_sha256[:12]} --by NAME --db {db}'.", err=True)


@sop_app.command("confirm")
def sop_confirm(
    sop_id: str = typer.Argument(..., help="SOP id (see 'pantau sop list --db DB')."),
    version: str = VERSION,
    by: str = typer.Option(..., "--by", help="Who reviewed and confirms it."),
    db: Path = EXISTING_DB,
) -> None:
    """Confirm a reviewed version: from the next 'pantau analyze' on it is used."""
    from event_logs import versions
    from event_logs.store import open_store, transaction

    con = open_store(db, read_only=False, notice=notice)
    try:
        with transaction(con):
            v = versions.confirm(con, sop_id, version, by=by)
    finally:
        con.close()
    _record(db, "confirm", v, by)
    typer.echo(f"confirmed {v.sop_id} version #{v.number} {v.model_sha256[:12]} (rev. {v.revision or '-'}) by {by}")


@sop_app.command("show")
def sop_show(
    sop_id: str = typer.Argument(..., help="SOP id (see 'pantau sop list --db DB')."),
    version: str = VERSION,
    db: Path = EXISTING_DB,
    as_yaml: bool = typer.Option(False, "--yaml", help="Print the stored model file itself."),
) -> None:
    """Show one stored version: identity, lanes, steps with their Waktu (printed and read), flow."""
    from event_logs import versions
    from event_logs.registry import load_model
    from event_logs.store import open_store

    con = open_store(db, read_only=False, notice=notice)
    try:
        v = versions.resolve(con, sop_id, version)
        text = con.execute("SELECT model_text FROM models WHERE model_sha256 = ?", [v.model_sha256]).fetchall()[0][0]
        model = load_model(con, v.model_sha256, check=False)  # show even what the checks refuse
    finally:
        con.close()
    if as_yaml:
        typer.echo(text)
        return
    from sop_models.checks import check_model
    from sop_models.flow import flow_data

    typer.echo(f"{v.sop_id}  version #{v.number}  sha256 {v.model_sha256}")
    typer.echo(f"  {model.title} — {model.agency}, {model.region} ({model.timezone})")
    typer.echo(f"  No. {model.sop_number or '-'}  rev. {model.revision or '-'}  effective "
               f"{model.effective or '-'}  status {v.status}  origin {v.origin}")
    typer.echo(f"  lanes: {' | '.join(model.lanes)}")
    for s in model.steps:
        parsed = {k: x for k, x in s.waktu.to_json().items() if k != "raw" and x is not None}
        typer.echo(f"  {s.id} [{s.lane}{'' if s.scope == 'case' else ', ' + s.scope}] {s.name}")
        typer.echo(f"      Waktu: {s.waktu.raw or '-'}  ->  {json.dumps(parsed, ensure_ascii=False) if parsed else 'no standard'}")
    typer.echo("  flow: " + json.dumps(flow_data(model.flow), ensure_ascii=False))
    for line in check_model(model):
        typer.secho(f"  problem: {line}", err=True, fg=typer.colors.RED)


@sop_app.command("check")
def sop_check(
    path: list[Path] = typer.Argument(None, help="Model files to check (default: all bundled models)."),
    db: Path = typer.Option(None, "--db", help="Check the versions stored in this database instead.",
                            callback=existing_store),
    sop_id: str = typer.Option(None, "--sop", help="With --db: only this SOP's versions."),
    version: str = typer.Option(None, "--version", "-v", help="With --db and --sop: only this version."),
) -> None:
    """Validate model files (or a store's versions): one line per problem; exit 1 when any."""
    if db is not None:
        from event_logs import versions
        from event_logs.store import open_store

        con = open_store(db, read_only=False, notice=notice)
        try:
            problems = versions.check_stored(con, sop_id, version)
        finally:
            con.close()
    else:
        from sop_models.validate import check_models

        problems = check_models(list(path) if path else None)
    for line in problems:
        typer.echo(line)
    if problems:
        typer.secho(f"{len(problems)} problem(s) found.", err=True, fg=typer.colors.RED)
        raise typer.Exit(1)
    typer.echo("All SOP models are valid.")


@sop_app.command("export")
def sop_export(
    sop_id: str = typer.Argument(..., help="SOP id (see 'pantau sop list')."),
    fmt: str = typer.Option("bpmn", "--format", "-f", help="bpmn | pnml | dot"),
    output: Path = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
) -> None:
    """Export an SOP model as BPMN 2.0 XML (with lanes), PNML or Graphviz DOT."""
    from sop_models import get_model
    from sop_models.export import export

    text = export(get_model(sop_id), fmt)
    if output:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)
    else:
        typer.echo(text)


@sop_app.command("import")
def sop_import(
    file: Path = typer.Argument(..., callback=input_file, help="SOP document as extracted text."),
    output: Path = typer.Option(None, "--output", "-o", help="Write the draft model here instead of stdout."),
) -> None:
    """Read an SOP document (tab-separated text) and print a draft model file (YAML)."""
    from sop_models.importer import draft_yaml

    text = draft_yaml(file)
    if output:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)
    else:
        typer.echo(text)
