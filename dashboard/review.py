"""The Model SOP page's review of a draft: what the reviewer changed, as fixes for the job.

Pure helpers (the store's rows in, a JSON-ready dict out); the page lays the review out and
the confirmed version is written by a job process (:func:`dashboard.jobs.start_review`), which
checks the fixes against the model (:mod:`sop_models.review`) before anything is stored.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import yaml

STEP = "id"
LANE = "lane"
WAKTU = "waktu"


def flow_text(model_text: str) -> str:
    """The ``flow:`` of a stored model file as YAML text (what the reviewer edits)."""
    data = yaml.safe_load(model_text) or {}
    return yaml.safe_dump(data.get("flow"), sort_keys=False, allow_unicode=True, width=100)


def editable_steps(steps: list[Any]) -> pd.DataFrame:
    """One row per step: id, name, lane and printed Waktu (the columns the reviewer may change)."""
    return pd.DataFrame([{STEP: s.step_id, "name": s.name, LANE: s.lane, WAKTU: s.waktu_raw or ""} for s in steps])


def fixes(before: pd.DataFrame, after: pd.DataFrame, flow_before: str, flow_after: str, *,
          revision_before: str | None, revision_after: str, effective_before: Any,
          effective_after: date | None) -> dict[str, Any]:
    """The reviewer's changes (the JSON of :class:`sop_models.review.Fixes`): lanes and Waktu
    that differ by step, the flow when it reads differently, a new revision or effective date."""
    old = before.set_index(STEP)
    new = after.set_index(STEP)
    lanes = {sid: str(new.at[sid, LANE]) for sid in new.index if str(new.at[sid, LANE]) != str(old.at[sid, LANE])}
    waktu = {sid: str(new.at[sid, WAKTU] or "").strip() for sid in new.index
             if str(new.at[sid, WAKTU] or "").strip() != str(old.at[sid, WAKTU] or "").strip()}
    try:
        same_flow = yaml.safe_load(flow_after) == yaml.safe_load(flow_before)
    except yaml.YAMLError:
        same_flow = False  # the job reports the YAML error with its line
    revision = revision_after.strip() or None
    return {"lanes": lanes, "waktu": waktu, "flow": None if same_flow else flow_after,
            "revision": revision if revision != (revision_before or None) else None,
            "effective": effective_after.isoformat() if effective_after and effective_after != effective_before else None}
