"""Pantau's settings file: one TOML file, documented in ``docs/config.md``.

Which file: ``--config FILE`` where a command offers it, else ``$PANTAU_CONFIG``, else
``pantau.toml`` in the store's folder when present; no file means every default. Each
``[section]`` is a frozen dataclass below; a key the section does not know, or a value of
the wrong type, is a :class:`~pantau.errors.ConfigError` naming the file and the key.

Files that must stay writable while the store is read-only (the users file, the audit log,
accepted deviations) live beside the store by default: :func:`beside_store`.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

from pantau.errors import ConfigError, did_you_mean

CONFIG_ENV = "PANTAU_CONFIG"
CONFIG_NAME = "pantau.toml"


@dataclass(frozen=True)
class IngestSettings:
    """``[ingest]``: the bounds an import is held to (see docs/config.md)."""

    max_decompressed_mb: int = 2048      # a compressed file (.xes.gz, .xlsx) may inflate to this
    max_rows: int = 20_000_000           # rows (events) one file may hold
    earliest_year: int = 1990            # timestamps before 1 January of this year are implausible
    latest_years_ahead: int = 1          # ... and so are those more than this many years after today


@dataclass(frozen=True)
class AnalysisSettings:
    """``[analysis]``: resource bounds of ``pantau analyze``."""

    memory_limit: str = "3GB"                  # DuckDB's buffer cap during a run (spills beyond)
    align_seconds_per_variant: float = 2.0     # one variant's alignment; beyond: token replay
    align_seconds_total: float = 300.0         # all alignments of one run together
    at_risk_share: float = 0.8                 # an open case on track is at risk past this share of its time


@dataclass(frozen=True)
class OidcSettings:
    """``[auth.oidc]``: the agency's OpenID Connect provider, for ``mode = "oidc"``."""

    label: str = "SSO"                         # shown on the login button ("Masuk dengan SSO")
    server_metadata_url: str = ""              # the provider's .well-known/openid-configuration
    client_id: str = ""
    client_secret: str = ""                    # or $PANTAU_OIDC_CLIENT_SECRET (preferred)
    redirect_uri: str = "http://localhost:{port}/oauth2callback"
    match_claim: str = "email"                 # "email" or "sub": which claim names the user
    scope: str = "openid email profile"


@dataclass(frozen=True)
class AuthSettings:
    """``[auth]``: who may log in to the dashboard and what is recorded (docs/config.md)."""

    mode: str = "none"                 # none | local | oidc (``pantau dashboard --auth``)
    idle_minutes: int = 30             # a session without activity for this long ends
    users_file: str = ""               # "" = beside the store: <store>.users.json
    audit_file: str = ""               # "" = beside the store: <store>.audit.jsonl
    lockout_after: int = 5             # failed logins within lockout_minutes that lock an account
    lockout_minutes: int = 15          # ... and for how long it stays locked
    oidc: OidcSettings = field(default_factory=OidcSettings)


@dataclass(frozen=True)
class DigestSettings:
    """``[digest]``: the SMTP server the weekly digest is sent through, and who gets it
    (``pantau digest --send``; docs/config.md)."""

    host: str = ""                             # the SMTP server; "" = not configured
    port: int = 587
    security: str = "starttls"                 # starttls | tls (implicit, port 465) | none
    user: str = ""                             # "" = no login
    password_env: str = "PANTAU_SMTP_PASSWORD"  # the environment variable holding the password
    sender: str = ""                           # the From address
    timeout_seconds: float = 30.0
    # [digest.recipients]: "agency name" = ["head@agency.go.id", ...]
    recipients: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """The whole settings file; ``path`` is where it was read from (None: defaults)."""

    ingest: IngestSettings = field(default_factory=IngestSettings)
    analysis: AnalysisSettings = field(default_factory=AnalysisSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    path: Path | None = None


def _section(cls: type, raw: Any, *, file: str, name: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"[{name}] must be a table of keys", file=file, field=name)
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise ConfigError(f"[{name}] has no setting '{key}'", file=file, field=f"{name}.{key}",
                              hint=did_you_mean(key, sorted(known)))
        wanted = hints[key]
        if dataclasses.is_dataclass(wanted):
            value = _section(wanted, value, file=file, name=f"{name}.{key}")
        elif not _fits(value, wanted):
            raise ConfigError(f"[{name}] {key} = {value!r} is not {_type_name(wanted)}", file=file,
                              field=f"{name}.{key}", hint=f"the default is {getattr(cls(), key)!r}")
        values[key] = _coerce(value, wanted)
    return cls(**values)


def _options(wanted: Any) -> tuple[Any, ...]:
    """The types a setting may have: the members of a union, else the one type (``dict[str,
    tuple[str, ...]]`` is one type, not two)."""
    if typing.get_origin(wanted) in (typing.Union, types.UnionType):
        return typing.get_args(wanted)
    return (wanted,)


def _coerce(value: Any, wanted: Any) -> Any:
    options = _options(wanted)
    if float in options and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if Path in options and isinstance(value, str):
        return Path(value)
    if any(getattr(o, "__origin__", None) is tuple for o in options) and isinstance(value, list):
        return tuple(value)
    if any(getattr(o, "__origin__", None) is dict for o in options) and isinstance(value, dict):
        return {str(k): tuple(v) if isinstance(v, list) else v for k, v in value.items()}
    return value


def _fits(value: Any, wanted: Any) -> bool:
    options = _options(wanted)
    for option in options:
        if option is type(None) and value is None:
            return True
        if option is float and isinstance(value, int | float) and not isinstance(value, bool):
            return True
        if option is Path and isinstance(value, str):
            return True
        origin = getattr(option, "__origin__", None)
        if origin in (list, tuple) and isinstance(value, list):
            return True
        if origin is dict and isinstance(value, dict):
            # a table of lists of strings ([digest.recipients])
            return all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in value.values())
        if isinstance(option, type) and isinstance(value, option) and not (
                option is int and isinstance(value, bool)):
            return True
    return False


def _type_name(wanted: Any) -> str:
    options = _options(wanted)
    return " or ".join(getattr(o, "__name__", str(o)) for o in options if o is not type(None))


def config_path(explicit: str | Path | None = None, store: str | Path | None = None) -> Path | None:
    """The settings file in force: ``explicit``, ``$PANTAU_CONFIG``, or ``pantau.toml`` beside
    ``store`` when it exists; None when there is none."""
    if explicit:
        return Path(explicit)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    if store is not None:
        candidate = Path(store).resolve().parent / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_settings(explicit: str | Path | None = None, store: str | Path | None = None) -> Settings:
    """Read the settings in force (see :func:`config_path`); every default when there is no file."""
    path = config_path(explicit, store)
    if path is None:
        return Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError("no such settings file", file=str(path),
                          hint=f"create it (docs/config.md) or unset {CONFIG_ENV}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the settings file: {exc}", file=str(path)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=str(path),
                          hint="see docs/config.md for the format") from exc
    sections = {f.name: f for f in fields(Settings) if f.name != "path"}
    values: dict[str, Any] = {}
    hints = get_type_hints(Settings)
    for name, value in raw.items():
        if name not in sections:
            raise ConfigError(f"unknown section [{name}]", file=str(path), field=name,
                              hint=did_you_mean(name, sorted(sections)))
        values[name] = _section(hints[name], value, file=str(path), name=name)
    return Settings(**values, path=path)


def beside_store(store: str | Path, suffix: str) -> Path:
    """A file next to the store named after it: ``data/x.duckdb`` + ``audit.jsonl`` ->
    ``data/x.audit.jsonl``."""
    store = Path(store)
    return store.with_name(f"{store.stem}.{suffix}")
