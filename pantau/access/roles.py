"""Roles and what each may do: the one table the dashboard and the CLI consult.

A role grants permissions; the user's :class:`~pantau.access.scope.Scope` says on which
agencies' (and units') data. Permissions are plain strings so pages can ask
``may(role, EXPORT)`` without knowing the roles.
"""

from __future__ import annotations

from pantau.errors import UsersFileError, did_you_mean

READ = "read"              # see the agency's cases, breaches, lanes, deviations
EXPORT = "export"          # download rows (CSV/Excel) of personal case data
ACCEPT = "accept"          # accept a deviation (with a reason)
EVIDENCE = "evidence"      # write an evidence pack
UPLOAD = "upload"          # import event logs (Data page)
ANALYZE = "analyze"        # run the analysis
MODELS = "models"          # manage SOP models
MAPPINGS = "mappings"      # manage column mappings
USERS = "users"            # manage users
AUDIT = "audit"            # read the audit log in the dashboard

KEPALA_DINAS = "kepala_dinas"
INSPEKTORAT = "inspektorat"
ANALIS = "analis"
ADMIN = "admin"

PERMISSIONS: dict[str, frozenset[str]] = {
    KEPALA_DINAS: frozenset({READ, EXPORT}),
    INSPEKTORAT: frozenset({READ, EXPORT, ACCEPT, EVIDENCE}),
    ANALIS: frozenset({READ, EXPORT}),
    ADMIN: frozenset({READ, EXPORT, UPLOAD, ANALYZE, MODELS, MAPPINGS, USERS, AUDIT}),
}
ROLES: tuple[str, ...] = tuple(PERMISSIONS)
# a head sees named agencies only (never "all"); only a head's scope may name units
NAMED_AGENCIES_ONLY = frozenset({KEPALA_DINAS})
UNITS_ALLOWED = frozenset({KEPALA_DINAS})


def may(role: str, permission: str) -> bool:
    """True when ``role`` grants ``permission`` (an unknown role grants nothing)."""
    return permission in PERMISSIONS.get(role, frozenset())


def check_role(role: str) -> str:
    """``role`` when it is known; else :class:`UsersFileError` naming the roles."""
    if role not in PERMISSIONS:
        raise UsersFileError(f"unknown role '{role}'", field="role",
                             hint=f"one of {list(ROLES)}; " + did_you_mean(role, ROLES))
    return role
