"""The XES standard lifecycle model (IEEE 1849, the "standard" transactional model of the
lifecycle extension) as Pantau reads it: every transition an event can carry, the words a
source file may use for one, and what each means for a step's time (docs/mutu-baku.md,
"Lifecycle transitions").

An event keeps its transition (``events.lifecycle``); only ``start`` and ``complete`` open and
close a step occurrence. The others are kept (never quarantined) and shown: ``schedule``,
``assign`` and ``reassign`` fall in the step's waiting time (enabled -> start), ``suspend`` /
``resume`` inside its processing time, and the aborts, withdrawals and skips end an activity
instance without completing it (no step occurrence, no place in the conformance trace).
"""

from __future__ import annotations

# transition -> the part of a step's time it belongs to (as docs/mutu-baku.md explains)
TRANSITIONS: dict[str, str] = {
    "schedule": "waiting",
    "assign": "waiting",
    "reassign": "waiting",
    "start": "opens",
    "suspend": "paused",
    "resume": "working",
    "complete": "closes",
    "ate_abort": "ends",
    "pi_abort": "ends",
    "withdraw": "ends",
    "autoskip": "ends",
    "manualskip": "ends",
}
# other words for a transition, as exports write them (lower case; the transition's own name
# is always recognised, in any case)
SYNONYMS: dict[str, tuple[str, ...]] = {
    "complete": ("completed", "selesai", "end", "ended", "finish", "finished", "done"),
    "start": ("started", "mulai", "dimulai", "begin"),
    "schedule": ("scheduled",),
    "assign": ("assigned",),
    "reassign": ("reassigned",),
    "suspend": ("suspended",),
    "resume": ("resumed",),
    "withdraw": ("withdrawn",),
}
# the transitions that take part in step occurrences (a start, then its completion)
OCCURRENCE: tuple[str, ...] = ("start", "complete")


def words() -> dict[str, str]:
    """Every recognised word (lower case) -> its standard transition."""
    out = {t: t for t in TRANSITIONS}
    for transition, names in SYNONYMS.items():
        out.update(dict.fromkeys(names, transition))
    return out
