"""The weekly digest: ``pantau digest --send`` against a real SMTP server on 127.0.0.1.

The test starts aiosmtpd (plain, and with STARTTLS on a certificate made here), points a
``pantau.toml`` at it, runs the command, and reads the message the server received: subject,
recipients, both parts, and the figures against the dashboard's queries for the same period.
Never a real mail server.
"""

from __future__ import annotations

import datetime as dt
import ssl
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from dashboard_fixture import session_db

from dashboard import fmt
from dashboard.documents import digest
from dashboard.filters import Filters
from dashboard.queries import QUERIES
from event_logs.store import open_store
from pantau import mail
from pantau.config import DigestSettings

aiosmtpd = pytest.importorskip("aiosmtpd.controller")
PANTAU = [sys.executable, "-c", "from pantau_cli import main; main()"]
AGENCY = "Dinas Kesehatan Kota Batam"


class Inbox:
    """An aiosmtpd handler keeping every message it is handed."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


@pytest.fixture(scope="module")
def late(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pipeline-built store analysed a month after its last day: open cases are late."""
    db = tmp_path_factory.mktemp("digest") / "late.duckdb"
    db.write_bytes(session_db(tmp_path_factory.getbasetemp(), "simulated").read_bytes())
    done = subprocess.run([*PANTAU, "analyze", "--db", str(db), "--as-of", "2025-02-01", "--quiet"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return db


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    port = _free_port()
    controller = aiosmtpd.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _config(path: Path, port: int, security: str = "none", extra: str = "") -> Path:
    path.write_text(f"""[digest]
host = "127.0.0.1"
port = {port}
security = "{security}"
sender = "pantau@dinkes.batam.go.id"
timeout_seconds = 10
{extra}
[digest.recipients]
"{AGENCY}" = ["kadis@dinkes.batam.go.id", "kabid@dinkes.batam.go.id"]
""", encoding="utf-8")
    return path


def test_digest_is_sent_with_both_parts_and_the_figures_of_the_period(late, smtp, tmp_path) -> None:
    inbox, port = smtp
    config = _config(tmp_path / "pantau.toml", port)
    done = subprocess.run([*PANTAU, "digest", "--db", str(late), "--agency", AGENCY, "--send",
                           "--config", str(config)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert len(inbox.messages) == 1
    sender, rcpt, raw = inbox.messages[0]
    assert sender == "pantau@dinkes.batam.go.id"
    assert rcpt == ["kadis@dinkes.batam.go.id", "kabid@dinkes.batam.go.id"]
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["Subject"].startswith("Pantau · ringkasan mingguan · Dinkes Kota Batam · ")
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    # the figures: the dashboard's queries for the same agency and the same seven days
    con = open_store(late)
    try:
        report = digest.gather_week(con, AGENCY)
        late_now = QUERIES["overview_totals"](con, Filters(agency=AGENCY))["late"].iloc[0]
        week = QUERIES["overview_totals"](con, report.period).iloc[0]
        first_late = QUERIES["open_at_risk"](con, Filters(agency=AGENCY), late_only=True).iloc[0]
        as_of = con.execute("SELECT max(as_of) FROM runs").fetchone()[0]
    finally:
        con.close()
    # the seven local days ending with the day before the as-of moment (the last imported day)
    last = (as_of.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Jakarta")) - dt.timedelta(microseconds=1)).date()
    assert report.end == last and report.start == last - dt.timedelta(days=6)
    assert late_now > 0
    for body in (text, html):
        assert f"Kasus terbuka yang terlambat sekarang: {fmt.number(late_now)}" in body
        assert first_late["case_id"] in body  # the most late case is named
        breached = f"{fmt.number(int(week['closed']) - int(week['on_time']))} dari {fmt.number(int(week['closed']))}"
        assert breached in body
    # late cases and SOPs below target come before the week's figures
    assert text.index("terlambat sekarang") < text.index("MINGGU INI")
    assert html.index("terlambat sekarang") < html.index("Minggu ini")
    assert "<script" not in html and "http" not in html


def test_starttls_is_used_and_a_server_without_it_is_refused(late, tmp_path) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    inbox = Inbox()
    port = _free_port()
    controller = aiosmtpd.Controller(inbox, hostname="127.0.0.1", port=port, tls_context=server_ctx,
                                     require_starttls=True)
    controller.start()
    try:
        settings = DigestSettings(host="127.0.0.1", port=port, security="starttls", sender="p@x.go.id",
                                  timeout_seconds=10, recipients={AGENCY: ("k@x.go.id",)})
        con = open_store(late)
        try:
            r = digest.gather_week(con, AGENCY)
        finally:
            con.close()
        msg = digest.message(r, sender="p@x.go.id", recipients=("k@x.go.id",), created=dt.datetime.now(dt.UTC))
        mail.send(msg, settings, context=client_ctx)
        assert len(inbox.messages) == 1
    finally:
        controller.stop()


def test_a_plain_server_is_refused_for_starttls(late, smtp, tmp_path) -> None:
    _inbox, port = smtp
    config = _config(tmp_path / "pantau.toml", port, security="starttls")
    done = subprocess.run([*PANTAU, "digest", "--db", str(late), "--agency", AGENCY, "--send",
                           "--config", str(config)], capture_output=True, text=True)
    assert done.returncode == 1 and "does not offer STARTTLS" in done.stderr and "Hint:" in done.stderr


def test_without_send_the_digest_is_printed_and_nothing_is_sent(late, smtp, tmp_path) -> None:
    inbox, port = smtp
    config = _config(tmp_path / "pantau.toml", port)
    eml = tmp_path / "digest.eml"
    done = subprocess.run([*PANTAU, "digest", "--db", str(late), "--agency", AGENCY, "--config", str(config),
                           "-o", str(eml), "--lang", "en"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Open cases late now" in done.stdout and inbox.messages == []
    assert message_from_bytes(eml.read_bytes(), policy=policy.default)["Subject"].startswith("Pantau · weekly digest")


@pytest.mark.parametrize(("toml", "message"), [
    ("", "no SMTP server configured"),
    ('[digest]\nhost = "127.0.0.1"\nsender = "p@x.go.id"\nuser = "kadis"\n', "no password in $PANTAU_SMTP_PASSWORD"),
    ('[digest]\nhost = "127.0.0.1"\nsender = "p@x.go.id"\n[digest.recipients]\n"Other" = ["a@b.go.id"]\n',
     "no recipients for agency"),
])
def test_what_is_missing_to_send_is_named(late, tmp_path, monkeypatch, toml, message) -> None:
    monkeypatch.delenv("PANTAU_SMTP_PASSWORD", raising=False)
    config = tmp_path / "pantau.toml"
    config.write_text(toml + ('\n[digest.recipients]\n"' + AGENCY + '" = ["k@x.go.id"]\n'
                              if "recipients" not in toml else ""), encoding="utf-8")
    done = subprocess.run([*PANTAU, "digest", "--db", str(late), "--agency", AGENCY, "--send",
                           "--config", str(config)], capture_output=True, text=True,
                          env={k: v for k, v in __import__("os").environ.items() if k != "PANTAU_SMTP_PASSWORD"})
    assert done.returncode == 1 and message in done.stderr and "Hint:" in done.stderr, done.stderr
