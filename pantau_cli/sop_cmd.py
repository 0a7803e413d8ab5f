"""``pantau sop ...``: list, check, export and import SOP models."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pantau_cli import app
from pantau_cli.options import input_file

sop_app = typer.Typer(help="SOP models: list, check, export, import.", no_args_is_help=True)
app.add_typer(sop_app, name="sop")


@sop_app.command("list")
def sop_list(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array, one object per SOP."),
) -> None:
    """List the SOP models (id, agency, lanes, steps)."""
    from sop_models import load_all

    models = load_all()
    if as_json:
        typer.echo(json.dumps([m.summary_json() for m in models], ensure_ascii=False, indent=2))
        return
    for m in models:
        typer.echo(f"{m.id}  [{m.agency}]  {m.title}")
        typer.echo(f"    lanes: {', '.join(m.lanes)}")
        typer.echo(f"    steps: {len(m.steps)}   source: {m.source}")


@sop_app.command("check")
def sop_check(
    path: list[Path] = typer.Argument(None, help="Model files to check (default: all bundled models)."),
) -> None:
    """Validate model files: one line per problem; exit 1 when any."""
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
