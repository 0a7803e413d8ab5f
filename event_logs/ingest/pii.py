"""Personal data: which columns hold it, the HMAC key, and HMAC-SHA256 as a DuckDB expression.

NIK / KK / KTP numbers are replaced by ``HMAC-SHA256(key, value)`` (hex) before a row is
materialised anywhere in DuckDB; name columns are dropped. The key lives outside the
database: ``PANTAU_SECRET`` (the key text itself) or a key file created on first use with
mode 0600 (``PANTAU_KEY_FILE``, default ``~/.config/pantau/secret.key``). Keep the key: the
same NIK hashes to the same ``nik_hash`` only under the same key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import stat
from pathlib import Path

from event_logs.ingest.text import norm_name
from pantau.errors import IngestError

SECRET_ENV = "PANTAU_SECRET"
KEY_FILE_ENV = "PANTAU_KEY_FILE"
DEFAULT_KEY_FILE = Path("~/.config/pantau/secret.key")

# Normalised names (see columns.norm_name) of identity-number columns, hashed by default.
_ID_WORDS = r"(nik|nokk|nomorkk|nokartukeluarga|nomorkartukeluarga|noktp|nomorktp|ktp|kk|nomorinduk(kependudukan)?)"
_ID_OWNERS = r"(pemohon|peserta|pasien|wbs|kepalakeluarga|kepala|anggota)?"
PII_NAME_RE = re.compile(f"^{_ID_WORDS}{_ID_OWNERS}$")
# The NIK itself (goes to cases.nik_hash): nik*, ktp numbers (a KTP number is the NIK).
NIK_NAME_RE = re.compile(f"^(nik|noktp|nomorktp|ktp|nomorinduk(kependudukan)?){_ID_OWNERS}$")
# Name columns: dropped unless keep_names.
NAME_COLUMNS = frozenset(
    {"nama", "name", "namapemohon", "namapeserta", "namalengkap", "fullname", "namapasien",
     "namawbs", "namakepalakeluarga"}
)
# A value of exactly 16 digits looks like a NIK or KK number wherever it appears; inside
# free text ("NIK ayah 3171...") a run of 16 or more digits is removed. Digits may be grouped
# by single spaces, dots or hyphens, as NIKs are often written ("3171 0112 0385 0001",
# "3171.01.120385.0001"): a phone number (10-13 digits) or a date-time stays below 16.
_DIGIT_RUN = r"[0-9](?:[ .\-]?[0-9])"
NIK_VALUE_RE = r"\s*" + _DIGIT_RUN + r"{15}\s*"
NIK_RUN_RE = _DIGIT_RUN + r"{15,}"
ID_NUMBER_RE = r"\s*" + _DIGIT_RUN + r"*\s*"
REDACTED = "[number removed]"


def is_pii_column(name: str) -> bool:
    """True for columns hashed by default (NIK, KK, KTP numbers)."""
    return bool(PII_NAME_RE.match(norm_name(name)))


def is_nik_column(name: str) -> bool:
    """True for a column holding the person's NIK (its hash becomes ``cases.nik_hash``)."""
    return bool(NIK_NAME_RE.match(norm_name(name)))


def is_name_column(name: str) -> bool:
    """True for columns holding a person's name (dropped unless ``keep_names``)."""
    return norm_name(name) in NAME_COLUMNS


def key_file_path() -> Path:
    """Where the HMAC key file lives (``PANTAU_KEY_FILE`` or the default)."""
    return Path(os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE).expanduser()


def load_secret() -> bytes:
    """The HMAC key: ``PANTAU_SECRET``, else the key file (created with mode 0600 when missing)."""
    env = os.environ.get(SECRET_ENV)
    if env:
        return env.encode("utf-8")
    path = key_file_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        # O_EXCL: two first imports at once must not overwrite each other's key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise IngestError(
            "the HMAC key file can be read by other users", file=str(path),
            hint=f"run 'chmod 600 {path}' (the key protects the hashed NIKs)",
        )
    key = path.read_text(encoding="ascii").strip()
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


def _digits_sql(expr: str) -> str:
    return f"regexp_replace({expr}, '[^0-9]', '', 'g')"


def id_digits_sql(expr: str) -> str:
    """An identity number as its digits alone ("3171 0112-0385.0001" -> "3171011203850001"),
    so the same NIK hashes the same however it was written; other text is left as it is."""
    return (f"CASE WHEN regexp_full_match({expr}, '{ID_NUMBER_RE}') "
            f"THEN {_digits_sql(expr)} ELSE {expr} END")


def guard_nik_value_sql(expr: str, key: bytes) -> str:
    """Protect NIK/KK numbers in a column not named as personal data: a whole value of 16
    digits (grouped or not) is hashed as its digits (still linkable), longer digit runs and
    runs inside text are redacted."""
    return (
        f"CASE WHEN NOT regexp_matches({expr}, '{NIK_RUN_RE}') THEN {expr} "
        f"WHEN regexp_full_match({expr}, '{NIK_VALUE_RE}') THEN {hmac_sql(_digits_sql(expr), key)} "
        f"ELSE regexp_replace({expr}, '{NIK_RUN_RE}', '{REDACTED}', 'g') END"
    )
