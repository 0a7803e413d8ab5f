"""``pantau report`` (the monthly report of one agency) and ``pantau digest`` (its weekly email)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from pantau_cli import app
from pantau_cli.options import EXISTING_DB

DB_OPTION = EXISTING_DB  # the analysed store; a missing file is Error/Hint before anything runs
AGENCY_OPTION = typer.Option(..., "--agency", help="The agency (instansi), as in the store.")
LANG_OPTION = typer.Option("id", "--lang", help="id (Bahasa Indonesia) or en.")


def _open(db: Path):
    from event_logs.store import open_store

    return open_store(db)


def _lang(lang: str) -> str:
    from pantau.errors import PantauError

    if lang not in ("id", "en"):
        raise PantauError(f"unknown language '{lang[:10]}'", field="lang", hint="use --lang id or --lang en")
    return lang


@app.command("report")
def report(
    db: Path = DB_OPTION,
    agency: str = AGENCY_OPTION,
    month: str = typer.Option(..., "--month", help="The month, YYYY-MM (local days of each SOP)."),
    format: str = typer.Option("pdf", "--format", help="pdf or html."),
    output: Path = typer.Option(..., "-o", "--output", help="The file to write."),
    lang: str = LANG_OPTION,
) -> None:
    """Write the monthly report of one agency (1-3 A4 pages): headline counts against target,
    the 12-month trend, the worst steps and lanes, units, open cases late now, deviations."""
    from dashboard.documents import monthly, monthly_html
    from pantau.errors import PantauError

    if format not in ("pdf", "html"):
        raise PantauError(f"unknown format '{format[:10]}'", field="format", hint="use --format pdf or --format html")
    start, end = monthly.month_bounds(month)
    con = _open(db)
    try:
        r = monthly.gather(con, agency, start, end, _lang(lang))
    finally:
        con.close()
    created = datetime.now(UTC)
    body = (monthly_html.to_pdf_bytes(r, created) if format == "pdf"
            else monthly_html.to_html(r, created).encode("utf-8"))
    output.write_bytes(body)
    typer.echo(f"{output}: {monthly_html.title(r)} ({len(body):,} bytes, run {r.run_id})")


@app.command("digest")
def digest(
    db: Path = DB_OPTION,
    agency: str = AGENCY_OPTION,
    send: bool = typer.Option(False, "--send", help="Send it by SMTP ([digest] in pantau.toml)."),
    days: int = typer.Option(7, "--days", help="The period: the last N local days up to the as-of."),
    output: Path = typer.Option(None, "-o", "--output", help="Write the message (.eml) here."),
    config: Path = typer.Option(None, "--config", help="Settings file (default: $PANTAU_CONFIG or pantau.toml beside DB)."),
    lang: str = LANG_OPTION,
) -> None:
    """The weekly digest of one agency as a short email (text and HTML): late open cases and
    SOPs below target first. Prints the text; --send mails it to the agency's recipients."""
    from dashboard.documents import digest as digest_doc
    from pantau import mail
    from pantau.config import load_settings

    settings = load_settings(config, store=db).digest
    con = _open(db)
    try:
        r = digest_doc.gather_week(con, agency, days=days, lang=_lang(lang))
    finally:
        con.close()
    recipients = mail.recipients_for(settings, agency) if send else tuple(settings.recipients.get(agency, ()))
    message = digest_doc.message(r, sender=settings.sender or "pantau@localhost", recipients=recipients,
                                 created=datetime.now(UTC))
    if output is not None:
        output.write_bytes(bytes(message))
    if send:
        mail.send(message, settings)
        typer.echo(f"sent to {', '.join(recipients)}: {message['Subject']}")
    else:
        typer.echo(digest_doc.text_part(message))
