"""One exception tree for all of Pantau.

Every error a user can cause is a :class:`PantauError`: it carries a message, the place
it happened (file, row, field, when known) and a hint. Shells translate it at the edge:
the CLI prints ``Error: ...`` and exits 1; a dashboard page shows ``st.error``.
"""

from __future__ import annotations

from collections.abc import Iterable


class PantauError(Exception):
    """Base of every error Pantau raises on purpose."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        file: str | None = None,
        row: int | str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.file = file
        self.row = row
        self.field = field

    @property
    def where(self) -> str:
        """``file:row: field`` prefix, or an empty string when the place is unknown."""
        parts = []
        if self.file:
            parts.append(str(self.file))
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f"\nHint: {self.hint}"
        return text


def did_you_mean(wanted: str, choices: Iterable[str], limit: int = 5) -> str:
    """A hint naming the closest ``choices`` to ``wanted`` (or all of them, when few)."""
    import difflib

    choices = list(choices)
    close = difflib.get_close_matches(wanted, choices, n=limit, cutoff=0.5)
    shown = close or choices[:limit]
    return f"did you mean one of these: {shown}"


# --- settings ---------------------------------------------------------------------------
class ConfigError(PantauError):
    """The settings file (pantau.toml) cannot be read or holds an unknown or wrong setting."""


# --- SOP models ---------------------------------------------------------------------------
class SopModelError(PantauError):
    """A SOP model file or SOP document is wrong or cannot be read."""


class WaktuParseError(SopModelError):
    """A printed Waktu (time standard) could not be parsed."""


class ModelValidationError(SopModelError):
    """One or more model files break the model rules; ``problems`` holds one line each."""

    def __init__(self, problems: list[str], *, hint: str | None = None) -> None:
        super().__init__(f"{len(problems)} problem(s) in SOP model files:\n" + "\n".join(problems), hint=hint)
        self.problems = problems


class UnknownSopError(SopModelError):
    """An SOP id that no model file defines."""


# --- event-log store ------------------------------------------------------------------------
class StoreError(PantauError):
    """The DuckDB store cannot be opened, read or written."""


class StoreLockedError(StoreError):
    """Another process holds the DuckDB file: ``holder`` is 'reader' (a read-only reader),
    'writer', or None when unknown; ``pid`` the holder's process id when known."""

    holder: str | None = None
    pid: int | None = None


class SchemaVersionError(StoreError):
    """The database was written by an incompatible Pantau version."""


class IngestError(StoreError):
    """An input file cannot be imported at all (the whole file is refused)."""


class MissingColumnError(IngestError):
    """A required column is neither mapped nor recognised."""


# --- analytics ------------------------------------------------------------------------------
class AnalysisError(PantauError):
    """Analysis could not run (no events, no model, inconsistent results)."""


class CalendarError(AnalysisError):
    """The working calendar cannot answer (out of range, bad override file)."""


# --- access and audit -----------------------------------------------------------------------
class AccessError(PantauError):
    """The user may not see or do this (outside their role or their agencies)."""


class LoginError(AccessError):
    """A login was refused: unknown user, wrong password, disabled or locked account.

    ``reason`` is one of ``unknown``, ``password``, ``disabled``, ``locked``; ``until`` the end
    of a lockout (for ``locked``).
    """

    def __init__(self, message: str, *, reason: str, until: object = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reason = reason
        self.until = until


class UsersFileError(PantauError):
    """The users file cannot be read or written, or a user record is wrong."""


class AuditError(PantauError):
    """The audit log cannot be written or read (a dashboard then refuses to show data)."""
