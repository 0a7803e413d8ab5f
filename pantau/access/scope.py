"""Whose data a user sees: a set of agencies (or all), optionally narrowed to units.

A :class:`Scope` is a plain, hashable value: it goes into cache keys, and the store layer
(:mod:`event_logs.scoped`) turns it into filtered views on a connection.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """``agencies`` None means every agency; ``units`` empty means every unit of them."""

    agencies: tuple[str, ...] | None = None
    units: tuple[str, ...] = ()

    @classmethod
    def of(cls, agencies: Iterable[str] | None, units: Iterable[str] = ()) -> Scope:
        """A scope with its names sorted and de-duplicated (equal scopes compare equal)."""
        return cls(None if agencies is None else tuple(sorted(set(agencies))), tuple(sorted(set(units))))

    @property
    def is_all(self) -> bool:
        """True when nothing is held back: every agency, every unit."""
        return self.agencies is None and not self.units

    def allows_agency(self, agency: str | None) -> bool:
        """True when rows of ``agency`` may be shown (some of its units may still be held back)."""
        return self.agencies is None or agency in self.agencies

    def allows(self, agency: str | None, unit: str | None = None) -> bool:
        """True when a row of ``agency`` and ``unit`` lies in the scope."""
        return self.allows_agency(agency) and (not self.units or unit in self.units)

    def describe(self) -> str:
        """A short text for messages and the audit log."""
        agencies = "all agencies" if self.agencies is None else ", ".join(self.agencies) or "no agency"
        return agencies + (f" (units: {', '.join(self.units)})" if self.units else "")


ALL = Scope()
