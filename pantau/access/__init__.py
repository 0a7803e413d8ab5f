"""Who may see what: roles, scopes, the users file, local logins and the auth settings.

The shared base for the dashboard and the CLI (imports nothing of the other packages):
:mod:`~pantau.access.roles` (what each role may do), :mod:`~pantau.access.scope` (whose data),
:mod:`~pantau.access.users` (the users file, argon2id hashes), :mod:`~pantau.access.login`
(local login with lockout, read from the audit log) and :mod:`~pantau.access.setup` (the
``[auth]`` settings for one store, Streamlit's OIDC secrets).
"""

from pantau.access.login import LockoutPolicy, authenticate, locked_until
from pantau.access.roles import PERMISSIONS, ROLES, may
from pantau.access.scope import ALL, Scope
from pantau.access.setup import AuthSetup, auth_setup, check_binding, is_loopback
from pantau.access.users import User, UsersFile, hash_password, make_user

__all__ = ["ALL", "PERMISSIONS", "ROLES", "AuthSetup", "LockoutPolicy", "Scope", "User", "UsersFile",
           "auth_setup", "authenticate", "check_binding", "hash_password", "is_loopback", "locked_until",
           "make_user", "may"]
