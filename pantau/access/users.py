"""The users file: Pantau's user records, beside the store (``<store>.users.json``).

Each record names a user, their role, their scope (agencies or all, optionally units) and how
they log in: an argon2id password hash (local accounts), and/or the e-mail or subject an
OpenID Connect provider vouches for. The file is JSON, written whole to a temporary file and
renamed (a reader never sees half a file), mode 0600, under an exclusive lock so two
``pantau user`` commands cannot lose each other's change. Only ``pantau user`` writes it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pantau.access.roles import NAMED_AGENCIES_ONLY, UNITS_ALLOWED, check_role
from pantau.access.scope import Scope
from pantau.errors import UsersFileError, did_you_mean

FORMAT = "pantau-users"
VERSION = 1
ALL_AGENCIES = "*"
MIN_PASSWORD = 8
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
_HASHER = PasswordHasher()  # argon2id, the library's current recommended parameters


@cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so an unknown name takes as long as a
    known one. Made on first use, not on import: every writable store open imports this
    module (acceptances) and one argon2id hash costs ~0.5 s of CPU."""
    return _HASHER.hash("pantau: no such user")


@dataclass(frozen=True)
class User:
    """One user record. ``agencies`` None: every agency."""

    name: str
    role: str
    agencies: tuple[str, ...] | None
    units: tuple[str, ...] = ()
    email: str | None = None
    subject: str | None = None
    password_hash: str | None = None
    disabled: bool = False
    created: str = ""
    changed: str = ""

    @property
    def scope(self) -> Scope:
        """Whose data the user sees."""
        return Scope.of(self.agencies, self.units)

    def to_json(self) -> dict[str, Any]:
        """The record as stored (``agencies`` ``"*"`` for all)."""
        out = asdict(self)
        out["agencies"] = ALL_AGENCIES if self.agencies is None else list(self.agencies)
        out["units"] = list(self.units)
        return out


def normalise_name(name: str) -> str:
    """User names are compared in lower case, without surrounding spaces."""
    return name.strip().lower()


def make_user(name: str, role: str, agencies: list[str] | None, units: list[str] = (), *,
              email: str | None = None, subject: str | None = None) -> User:
    """A checked new record (no password yet). :class:`UsersFileError` says what is wrong."""
    name = normalise_name(name)
    if not NAME_RE.match(name):
        raise UsersFileError(f"'{name}' is not a usable user name", field="name",
                             hint="letters, digits and . _ @ - only, at most 64 characters")
    check_role(role)
    if agencies is not None:
        agencies = sorted({a.strip() for a in agencies if a.strip()})
        if not agencies:
            raise UsersFileError("no agency given", field="agency",
                                 hint="name one or more with --agency, or --all-agencies")
    if agencies is None and role in NAMED_AGENCIES_ONLY:
        raise UsersFileError(f"a {role} sees named agencies only, not all", field="agency",
                             hint="name the agency (or agencies) with --agency")
    units = sorted({u.strip() for u in units if u.strip()})
    if units and role not in UNITS_ALLOWED:
        raise UsersFileError(f"only a {' or '.join(sorted(UNITS_ALLOWED))} may be limited to units",
                             field="unit", hint="leave out --unit for this role")
    now = _now()
    return User(name, role, None if agencies is None else tuple(agencies), tuple(units),
                email=email.strip().lower() if email else None, subject=subject or None,
                created=now, changed=now)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (:class:`UsersFileError` when it is too short)."""
    if len(password) < MIN_PASSWORD:
        raise UsersFileError(f"the password is shorter than {MIN_PASSWORD} characters", field="password",
                             hint="choose a longer one (a phrase of a few words is easy to remember)")
    return _HASHER.hash(password)


def password_matches(user: User | None, password: str) -> bool:
    """True when ``password`` is the user's; takes as long for an unknown user or no hash."""
    dummy = _dummy_hash()
    digest = user.password_hash if user is not None and user.password_hash else dummy
    try:
        ok = _HASHER.verify(digest, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and digest is not dummy


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _record(raw: Any, file: str, index: int) -> User:
    try:
        agencies = raw["agencies"]
        return User(name=str(raw["name"]), role=check_role(str(raw["role"])),
                    agencies=None if agencies == ALL_AGENCIES else tuple(str(a) for a in agencies),
                    units=tuple(str(u) for u in raw.get("units") or ()), email=raw.get("email"),
                    subject=raw.get("subject"), password_hash=raw.get("password_hash"),
                    disabled=bool(raw.get("disabled", False)), created=str(raw.get("created", "")),
                    changed=str(raw.get("changed", "")))
    except (KeyError, TypeError, UsersFileError) as exc:
        raise UsersFileError(f"user record {index + 1} is not valid ({exc})", file=file, row=index + 1,
                             hint="fix it with 'pantau user' commands, not by hand") from exc


class UsersFile:
    """The users file at ``path``; reads are cheap to repeat (cached by the file's identity)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._cache: tuple[tuple[int, int, int], dict[str, User]] | None = None

    def _identity(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def users(self) -> dict[str, User]:
        """name -> record (empty when the file does not exist yet)."""
        ident = self._identity()
        if ident is None:
            return {}
        if self._cache is not None and self._cache[0] == ident:
            return self._cache[1]
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsersFileError(f"cannot read the users file: {exc}", file=str(self.path)) from exc
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise UsersFileError("not a Pantau users file", file=str(self.path),
                                 hint="create users with 'pantau user add'")
        if int(raw.get("version", 0)) > VERSION:
            raise UsersFileError("the users file was written by a newer Pantau", file=str(self.path),
                                 hint="upgrade Pantau")
        found = {u.name: u for u in (_record(r, str(self.path), i) for i, r in enumerate(raw.get("users") or []))}
        self._cache = (ident, found)
        return found

    def get(self, name: str) -> User | None:
        """The record of ``name`` (case-insensitive), or None."""
        return self.users().get(normalise_name(name))

    def by_claim(self, claim: str, value: str | None) -> User | None:
        """The record whose ``email`` (claim ``email``) or ``subject`` (claim ``sub``) is ``value``."""
        if not value:
            return None
        if claim == "email":
            value = value.strip().lower()
        attr = "email" if claim == "email" else "subject"
        matches = [u for u in self.users().values() if getattr(u, attr) == value]
        return matches[0] if len(matches) == 1 else None

    @contextlib.contextmanager
    def _editing(self) -> Iterator[dict[str, User]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = self.path.with_name(self.path.name + ".lock")
        with open(lock, "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                self._cache = None
                users = dict(self.users())
                yield users
                self._write(users)
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _write(self, users: dict[str, User]) -> None:
        body = {"format": FORMAT, "version": VERSION,
                "users": [u.to_json() for u in sorted(users.values(), key=lambda u: u.name)]}
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(body, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        self._cache = None

    def add(self, user: User) -> User:
        """Store a new record (:class:`UsersFileError` when the name or identity is taken)."""
        with self._editing() as users:
            if user.name in users:
                raise UsersFileError(f"user '{user.name}' already exists", file=str(self.path),
                                     hint="choose another name, or change it with 'pantau user passwd'")
            for other in users.values():
                if user.email and other.email == user.email:
                    raise UsersFileError(f"e-mail {user.email} already belongs to '{other.name}'",
                                         file=str(self.path), field="email")
                if user.subject and other.subject == user.subject:
                    raise UsersFileError(f"subject {user.subject} already belongs to '{other.name}'",
                                         file=str(self.path), field="subject")
            users[user.name] = user
        return user

    def update(self, name: str, **changes: Any) -> User:
        """Change fields of an existing record (``changed`` is set to now)."""
        with self._editing() as users:
            current = users.get(normalise_name(name))
            if current is None:
                raise UsersFileError(f"no user '{normalise_name(name)}'", file=str(self.path),
                                     hint="see 'pantau user list'")
            users[current.name] = replace(current, **changes, changed=_now())
            return users[current.name]


def check_agencies(names: list[str], known: set[str]) -> None:
    """:class:`UsersFileError` for a name that is no known agency (a typo would give a user
    who silently sees nothing)."""
    for name in names:
        if name not in known:
            raise UsersFileError(f"unknown agency '{name}'", field="agency",
                                 hint=did_you_mean(name, sorted(known)) + " (agencies of the SOP models "
                                      "and of the store; import the agency's first log before naming it)")
