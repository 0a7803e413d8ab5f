"""Sending a message by SMTP with the ``[digest]`` settings (docs/config.md).

One place that talks to a mail server: STARTTLS (refused when the server does not offer it,
so a password never travels in clear), implicit TLS, or none for a local relay; the password
comes from an environment variable, never from the settings file. Failures a user can cause
(no server configured, a wrong password, an unreachable host) are :class:`MailError` with a
hint; the password is never part of a message.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage

from pantau.config import DigestSettings
from pantau.errors import PantauError

SECURITY = ("starttls", "tls", "none")


class MailError(PantauError):
    """The digest could not be sent (settings, login, server)."""


def recipients_for(settings: DigestSettings, agency: str) -> tuple[str, ...]:
    """The addresses the agency's digest goes to; MailError when none are configured."""
    found = tuple(a for a in settings.recipients.get(agency, ()) if a.strip())
    if not found:
        raise MailError(f"no recipients for agency '{agency[:80]}'", field="digest.recipients",
                        hint=f'add "{agency[:80]}" = ["head@agency.go.id"] under [digest.recipients] in pantau.toml')
    bad = [a for a in found if "@" not in a]
    if bad:
        raise MailError(f"not an e-mail address: '{bad[0][:60]}'", field="digest.recipients")
    return found


def _check(settings: DigestSettings) -> None:
    if not settings.host:
        raise MailError("no SMTP server configured", field="digest.host",
                        hint="set host, port, security and sender under [digest] in pantau.toml (docs/config.md)")
    if settings.security not in SECURITY:
        raise MailError(f"unknown security '{settings.security[:20]}'", field="digest.security",
                        hint="use starttls, tls or none")
    if not settings.sender or "@" not in settings.sender:
        raise MailError("no sender address", field="digest.sender", hint="set sender = \"pantau@agency.go.id\"")


def send(message: EmailMessage, settings: DigestSettings, *, context: ssl.SSLContext | None = None) -> None:
    """Send ``message`` (its From/To headers decide sender and recipients) through the
    configured server. ``context``: the TLS context (default: the system's trusted CAs)."""
    _check(settings)
    password = None
    if settings.user:
        password = os.environ.get(settings.password_env)
        if not password:
            raise MailError(f"no password in ${settings.password_env}", field="digest.password_env",
                            hint=f"export {settings.password_env}=... before --send (it is never read from the file)")
    context = context or ssl.create_default_context()
    where = f"{settings.host}:{settings.port}"
    try:
        if settings.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout_seconds,
                                                  context=context)
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
        with smtp:
            if settings.security == "starttls":
                smtp.ehlo()
                if not smtp.has_extn("starttls"):
                    raise MailError(f"{where} does not offer STARTTLS", field="digest.security",
                                    hint="use security = \"tls\" (port 465), or \"none\" only for a local relay")
                smtp.starttls(context=context)
                smtp.ehlo()
            if settings.user:
                smtp.login(settings.user, password or "")
            smtp.send_message(message)
    except MailError:
        raise
    except smtplib.SMTPAuthenticationError:
        raise MailError(f"{where} refused the login of '{settings.user[:60]}'", field="digest.user",
                        hint=f"check the user and ${settings.password_env}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(f"{where} refused the recipients: {', '.join(list(exc.recipients)[:5])}",
                        field="digest.recipients") from None
    except (smtplib.SMTPException, ssl.SSLError) as exc:
        raise MailError(f"{where}: {type(exc).__name__}: {str(exc)[:200]}", field="digest.host",
                        hint="check host, port and security") from None
    except OSError as exc:  # TimeoutError included
        raise MailError(f"cannot reach {where}: {exc.strerror or exc}", field="digest.host",
                        hint="check host and port, and that this machine may reach the server") from None
