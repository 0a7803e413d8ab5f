"""The ``[auth]`` settings made concrete for one store: mode, files, timeouts, OIDC secrets.

``pantau dashboard`` and the dashboard process both call :func:`auth_setup`, so they agree on
where the users file and the audit log are. For ``mode = "oidc"`` :func:`write_streamlit_secrets`
writes the ``[auth]`` section Streamlit's ``st.login`` reads (redirect URI, cookie secret,
client id and secret, metadata URL) to a private file beside the store, handed to Streamlit
with ``--secrets.files``: nobody writes ``.streamlit/secrets.toml`` by hand.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pantau.access.login import LockoutPolicy
from pantau.config import AuthSettings, OidcSettings, Settings, beside_store
from pantau.errors import ConfigError

MODES = ("none", "local", "oidc")
AUTH_ENV = "PANTAU_AUTH"
CLIENT_SECRET_ENV = "PANTAU_OIDC_CLIENT_SECRET"
OIDC_PROVIDER = "pantau"      # the st.login provider name (no underscores allowed)
CLAIMS = ("email", "sub")
LOOPBACK_NAMES = ("localhost",)


@dataclass(frozen=True)
class AuthSetup:
    """Everything a dashboard needs to know about logins for one store."""

    mode: str
    users_file: Path
    audit_file: Path
    idle_minutes: int
    lockout: LockoutPolicy
    oidc: OidcSettings
    settings_file: Path | None

    @property
    def enabled(self) -> bool:
        """True unless ``mode`` is ``none`` (the local demo)."""
        return self.mode != "none"


def _where(settings: Settings) -> str | None:
    return str(settings.path) if settings.path else None


def auth_setup(settings: Settings, store: str | Path, mode: str | None = None) -> AuthSetup:
    """The login setup of ``store`` under ``settings``; ``mode`` overrides ``[auth] mode``."""
    auth: AuthSettings = settings.auth
    chosen = mode or os.environ.get(AUTH_ENV) or auth.mode
    if chosen not in MODES:
        raise ConfigError(f"unknown auth mode '{chosen}'", file=_where(settings), field="auth.mode",
                          hint=f"one of {list(MODES)}")
    if auth.idle_minutes < 1 or auth.lockout_after < 1 or auth.lockout_minutes < 1:
        raise ConfigError("idle_minutes, lockout_after and lockout_minutes must be at least 1",
                          file=_where(settings), field="auth")
    if auth.oidc.match_claim not in CLAIMS:
        raise ConfigError(f"match_claim = '{auth.oidc.match_claim}' is not a claim Pantau matches",
                          file=_where(settings), field="auth.oidc.match_claim", hint=f"one of {list(CLAIMS)}")
    base = settings.path.parent if settings.path else Path.cwd()

    def file(value: str, suffix: str) -> Path:
        if not value:
            return beside_store(Path(store).resolve(), suffix)
        path = Path(value).expanduser()
        return path if path.is_absolute() else (base / path).resolve()

    return AuthSetup(chosen, file(auth.users_file, "users.json"), file(auth.audit_file, "audit.jsonl"),
                     auth.idle_minutes, LockoutPolicy(auth.lockout_after, auth.lockout_minutes), auth.oidc,
                     settings.path)


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``: addresses no other machine reaches."""
    if address in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def check_binding(setup: AuthSetup, address: str) -> None:
    """Refuse to serve every agency's data without logins on an address others can reach."""
    if not setup.enabled and not is_loopback(address):
        raise ConfigError(f"refusing to listen on {address} without logins: anyone who reaches it "
                          "would see every agency's cases", field="--address",
                          hint="use '--auth local' (accounts from 'pantau user add') or '--auth oidc', "
                               "or keep the default address 127.0.0.1")


def oidc_client_secret(oidc: OidcSettings) -> str:
    """The client secret: ``$PANTAU_OIDC_CLIENT_SECRET``, else ``[auth.oidc] client_secret``."""
    return os.environ.get(CLIENT_SECRET_ENV) or oidc.client_secret


def streamlit_secrets(setup: AuthSetup, cookie_secret: str) -> str:
    """The TOML text of the ``[auth]`` section Streamlit's ``st.login`` reads."""
    oidc = setup.oidc
    missing = [k for k, v in (("server_metadata_url", oidc.server_metadata_url), ("client_id", oidc.client_id),
                              ("client_secret", oidc_client_secret(oidc))) if not v]
    if missing:
        raise ConfigError(f"[auth.oidc] lacks {', '.join(missing)}", file=str(setup.settings_file or "pantau.toml"),
                          field="auth.oidc", hint="see docs/config.md (the client secret may also come "
                                                  f"from ${CLIENT_SECRET_ENV})")
    # JSON strings are valid TOML basic strings (same escapes), so values need no TOML writer
    values = {"redirect_uri": oidc.redirect_uri, "cookie_secret": cookie_secret}
    provider = {"client_id": oidc.client_id, "client_secret": oidc_client_secret(oidc),
                "server_metadata_url": oidc.server_metadata_url}
    lines = ["# written by 'pantau dashboard --auth oidc' from the settings file; do not edit", "[auth]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    lines += [f"[auth.{OIDC_PROVIDER}]"] + [f"{k} = {json.dumps(v)}" for k, v in provider.items()]
    lines += [f"[auth.{OIDC_PROVIDER}.client_kwargs]", f"scope = {json.dumps(oidc.scope)}"]
    return "\n".join(lines) + "\n"


def write_streamlit_secrets(setup: AuthSetup, store: str | Path) -> Path:
    """Write Streamlit's secrets for OIDC beside the store (mode 0600) and return the path.

    The cookie secret is made once and kept in that file, so logins survive a restart.
    """
    path = beside_store(Path(store).resolve(), "oidc-secrets.toml")
    cookie_secret = None
    if path.exists():
        try:
            cookie_secret = tomllib.loads(path.read_text(encoding="utf-8")).get("auth", {}).get("cookie_secret")
        except (OSError, tomllib.TOMLDecodeError):
            cookie_secret = None
    text = streamlit_secrets(setup, cookie_secret or secrets.token_urlsafe(32))
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
    return path


def prepare(setup: AuthSetup, store: str | Path) -> list[str]:
    """Check a dashboard can start with ``setup`` on ``store``; the extra ``streamlit run``
    options it needs (the OIDC secrets file). :class:`ConfigError` says what is missing."""
    if not setup.enabled:
        return []
    folder = setup.audit_file.parent
    if not os.access(folder if folder.exists() else folder.parent, os.W_OK):
        raise ConfigError("the audit log's folder is not writable", file=str(setup.audit_file),
                          hint="the dashboard records every view there; make the folder writable or set "
                               "[auth] audit_file")
    if setup.mode == "local":
        from pantau.access.users import UsersFile

        if not any(not u.disabled and u.password_hash for u in UsersFile(setup.users_file).users().values()):
            raise ConfigError("no user can log in yet", file=str(setup.users_file),
                              hint="add one: pantau user add NAME --role admin --all-agencies --db STORE")
        return []
    return ["--secrets.files", str(write_streamlit_secrets(setup, store))]
