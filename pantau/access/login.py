"""Logging in with a local account, and locking an account after repeated failures.

The lockout state is read from the audit log itself (one source of truth, nothing else to keep
in step or to reset): an account is locked while its latest ``lockout`` entry's ``until`` lies
ahead; a ``lockout`` is written when a wrong password makes ``lockout_after`` wrong passwords
within ``lockout_minutes`` since the user's last successful login or lockout. Attempts during a
lockout are recorded (reason ``locked``) but do not extend it. Reading only the last
``lockout_minutes`` of the log (backwards from its end) keeps this cheap on a long log.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pantau import audit
from pantau.access.users import User, UsersFile, normalise_name, password_matches
from pantau.errors import LoginError

UNKNOWN_USER = "?"


@dataclass(frozen=True)
class LockoutPolicy:
    """How many wrong passwords within how many minutes lock an account, and for how long."""

    after: int = 5
    minutes: int = 15


def anonymous_name(name: str) -> str:
    """A stand-in for a name that is no user (it may be a mistyped password): a short hash."""
    return hashlib.sha256(normalise_name(name).encode("utf-8")).hexdigest()[:16]


def locked_until(log: audit.AuditLog, name: str, policy: LockoutPolicy, now: datetime) -> datetime | None:
    """When the account's lockout ends, or None when it is not locked."""
    return _state(log.since(now - timedelta(minutes=policy.minutes)), name, now)[0]


def _state(recent: list[audit.Entry], name: str, now: datetime) -> tuple[datetime | None, int]:
    """(lockout end or None, wrong passwords since the last login or lockout) from ``recent``."""
    failures = 0
    for entry in reversed(recent):
        if entry.user != name:
            continue
        if entry.event == audit.LOCKOUT:
            until = datetime.fromisoformat(entry.details["until"])
            return (until if until > now else None), failures
        if entry.event == audit.LOGIN:
            return None, failures
        if entry.event == audit.LOGIN_FAILED and entry.details.get("reason") == "password":
            failures += 1
    return None, failures


def authenticate(users: UsersFile, log: audit.AuditLog, name: str, password: str, *,
                 policy: LockoutPolicy = LockoutPolicy(), now: datetime | None = None) -> User:
    """The user when ``password`` is theirs, recorded as a ``login``; else :class:`LoginError`
    (recorded as ``login_failed``, and a ``lockout`` when this failure locks the account)."""
    now = now or datetime.now(UTC)
    user = users.get(name)
    if user is None:
        password_matches(None, password)  # same time as for a real user
        log.record(UNKNOWN_USER, "", audit.LOGIN_FAILED,
                   {"reason": "unknown", "name_sha256": anonymous_name(name)}, now=now)
        raise LoginError("wrong user name or password", reason="unknown")
    recent = log.since(now - timedelta(minutes=policy.minutes))
    until, failures = _state(recent, user.name, now)
    if until is not None:
        log.record(user.name, user.role, audit.LOGIN_FAILED, {"reason": "locked"}, now=now)
        raise LoginError(f"account locked until {until.isoformat(timespec='minutes')}",
                         reason="locked", until=until)
    if user.disabled or not user.password_hash:
        password_matches(None, password)
        reason = "disabled" if user.disabled else "no_password"
        log.record(user.name, user.role, audit.LOGIN_FAILED, {"reason": reason}, now=now)
        raise LoginError("wrong user name or password", reason="disabled")
    if not password_matches(user, password):
        log.record(user.name, user.role, audit.LOGIN_FAILED, {"reason": "password"}, now=now)
        if failures + 1 >= policy.after:
            until = now + timedelta(minutes=policy.minutes)
            log.record(user.name, user.role, audit.LOCKOUT,
                       {"until": until.isoformat(), "failures": failures + 1}, now=now)
            raise LoginError(f"account locked until {until.isoformat(timespec='minutes')}",
                             reason="locked", until=until)
        raise LoginError("wrong user name or password", reason="password")
    log.record(user.name, user.role, audit.LOGIN, {"method": "password"}, now=now)
    return user
