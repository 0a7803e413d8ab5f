"""The HMAC key that personal identifiers are hashed with, and HMAC-SHA256 in Python and SQL.

The key lives outside the database: ``PANTAU_SECRET`` (the key text itself) or a key file
created on first use with mode 0600 (``PANTAU_KEY_FILE``, default
``~/.config/pantau/secret.key``). Keep the key: the same NIK hashes to the same ``nik_hash``
only under the same key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from pantau.errors import IngestError

SECRET_ENV = "PANTAU_SECRET"
KEY_FILE_ENV = "PANTAU_KEY_FILE"
DEFAULT_KEY_FILE = Path("~/.config/pantau/secret.key")
_NO_KEY_HINT = (f"set {SECRET_ENV} to a long random text (keep it: the same NIK hashes the same "
                f"way only under the same key), or point {KEY_FILE_ENV} to a file in a writable folder")


def key_file_path() -> Path:
    """Where the HMAC key file lives (``PANTAU_KEY_FILE`` or the default)."""
    return Path(os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE).expanduser()


def _create_key_file(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # O_EXCL: two first imports at once must not overwrite each other's key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise IngestError(f"cannot create the HMAC key file ({exc.strerror or exc})",
                          file=str(path), hint=_NO_KEY_HINT) from exc
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")


def load_secret() -> bytes:
    """The HMAC key: ``PANTAU_SECRET``, else the key file (created with mode 0600 when missing)."""
    env = os.environ.get(SECRET_ENV)
    if env:
        return env.encode("utf-8")
    path = key_file_path()
    _create_key_file(path)
    try:
        mode = path.stat().st_mode
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestError(f"cannot read the HMAC key file ({getattr(exc, 'strerror', None) or exc})",
                          file=str(path), hint=_NO_KEY_HINT) from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise IngestError(
            "the HMAC key file can be read by other users", file=str(path),
            hint=f"run 'chmod 600 {path}' (the key protects the hashed NIKs)",
        )
    if not key:
        raise IngestError("the HMAC key file is empty", file=str(path),
                          hint=f"delete it to have a new key made, or set {SECRET_ENV}")
    return key.encode("ascii")


def hmac_hex(value: str, key: bytes) -> str:
    """HMAC-SHA256 of ``value`` (UTF-8) as lowercase hex; the reference for :func:`hmac_sql`."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def hmac_sql(expr: str, key: bytes) -> str:
    """A DuckDB expression computing ``hmac_hex(expr)`` (RFC 2104 over ``sha256``).

    Computed inside DuckDB so a million NIKs hash in one vectorised pass; the key pads are
    literals in the query text only (never stored). NULL stays NULL.
    """
    block = hashlib.sha256(key).digest() if len(key) > 64 else key
    block = block.ljust(64, b"\0")
    ipad = bytes(b ^ 0x36 for b in block).hex()
    opad = bytes(b ^ 0x5C for b in block).hex()
    return (
        f"sha256(from_hex('{opad}') || from_hex(sha256(from_hex('{ipad}') || encode({expr}))))"
    )
