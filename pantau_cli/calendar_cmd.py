"""``pantau calendar ...``: each agency's working calendar (country holidays, office hours,
working days, regional days off), kept in the store."""

from __future__ import annotations

import getpass
from pathlib import Path

import typer

from pantau_cli import app
from pantau_cli.options import EXISTING_DB, input_file, notice

calendar_app = typer.Typer(help="Working calendars per agency: set, list, unset.", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")
DB = EXISTING_DB


@calendar_app.command("set")
def calendar_set(
    agency: str = typer.Argument(..., help="The agency, as its cases name it (cases.agency)."),
    db: Path = DB,
    country: str = typer.Option("ID", "--country", help="ISO 3166-1 code of the country whose public holidays apply."),
    subdivision: str = typer.Option(None, "--subdivision", help="Its province or state code (the holidays package's)."),
    office_hours: str = typer.Option("08:00-16:00", "--office-hours", help="Local office hours, HH:MM-HH:MM."),
    workdays: str = typer.Option("mon-fri", "--workdays", help="Working days: mon-fri, or mon,tue,wed,thu,sat."),
    days_off: Path = typer.Option(None, "--days-off", callback=input_file,
                                  help="Regional days off: an override file (add / remove, YAML)."),
    by: str = typer.Option(None, "--by", help="Who sets it (default: the login name)."),
) -> None:
    """Give an agency its own working calendar; used from the next 'pantau analyze' on."""
    from analytics.calendars.agency import set_calendar
    from event_logs.store import open_store, transaction
    from pantau.errors import CalendarError

    opening, sep, closing = office_hours.partition("-")
    if not sep:
        raise CalendarError(f"--office-hours expects HH:MM-HH:MM, got {office_hours!r}", field="office_hours",
                            hint="e.g. --office-hours 07:30-16:00")
    con = open_store(db, read_only=False, notice=notice)
    try:
        with transaction(con):
            row = set_calendar(con, agency, country=country, subdivision=subdivision, office_open=opening.strip(),
                               office_close=closing.strip(), workdays=workdays, days_off=days_off,
                               by=by or getpass.getuser())
    finally:
        con.close()
    typer.echo(f"{row.agency}: holidays of {row.country}{'-' + row.subdivision if row.subdivision else ''}, "
               f"{row.office_open}-{row.office_close} on days {','.join(map(str, row.workdays))}"
               + (f", days off from {row.days_off_name}" if row.days_off_name else ""))


@calendar_app.command("list")
def calendar_list(db: Path = DB) -> None:
    """List the agencies with their own calendar (the others use their SOP's default)."""
    from analytics.calendars.agency import calendars
    from event_logs.store import open_store

    con = open_store(db, read_only=False, notice=notice)
    try:
        rows = calendars(con)
    finally:
        con.close()
    if not rows:
        typer.echo("no agency has its own calendar: every SOP's default (Indonesia, 08:00-16:00 Mon-Fri) applies")
    for r in rows:
        typer.echo(f"{r.agency}  {r.country}{'-' + r.subdivision if r.subdivision else ''}  "
                   f"{r.office_open}-{r.office_close}  days {','.join(map(str, r.workdays))}  "
                   f"days off: {r.days_off_name or '-'}  (set by {r.set_by or '-'} at {r.set_at:%Y-%m-%d %H:%M})")


@calendar_app.command("unset")
def calendar_unset(agency: str = typer.Argument(..., help="The agency."), db: Path = DB) -> None:
    """Forget an agency's own calendar: it goes back to its SOP's default."""
    from analytics.calendars.agency import remove_calendar
    from event_logs.store import open_store, transaction

    con = open_store(db, read_only=False, notice=notice)
    try:
        with transaction(con):
            found = remove_calendar(con, agency)
    finally:
        con.close()
    typer.echo(f"{agency}: " + ("back to its SOP's default calendar" if found else "had no calendar of its own"))
