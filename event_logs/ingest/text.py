"""Kept for imports inside ``event_logs.ingest``: the text normalisation lives in
:mod:`event_logs.text` (the activity mapping uses it too)."""

from event_logs.text import norm_label, norm_name

__all__ = ["norm_label", "norm_name"]
