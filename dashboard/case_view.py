"""One case for people: timeline segments, the step table and the alignment, from result rows.

Pure functions over the rows of ``step_checks``, ``deviations`` and the case's variant, with
names and labels from the store's catalog in the case's own model version; the Kasus page
lays them out. Times are shown in the SOP's own zone (WIB/WITA).
"""

from __future__ import annotations

import json

import pandas as pd

from dashboard import fmt
from dashboard.catalog import Catalog, ModelInfo
from dashboard.i18n import t


def _local(series: pd.Series, tz: str) -> pd.Series:
    values = pd.to_datetime(series, utc=True)
    return values.dt.tz_convert(tz)


def step_order(model: ModelInfo | None, steps: pd.DataFrame, cat: Catalog) -> list[tuple[str, str]]:
    """Timeline rows ``(lane, step label)``: the SOP's case steps grouped by lane (lanes in the
    model's order, steps in document order), then any other step the case did."""
    lanes: dict[str, str] = {}
    if model is not None:
        for s in sorted(model.case_steps, key=lambda s: (_lane_rank(model, s.lane), s.step_no)):
            lanes[s.step_id] = s.lane
    for sid, lane in zip(steps["step_id"], steps["lane"], strict=True):
        if isinstance(sid, str) and sid not in lanes:
            lanes[sid] = lane if isinstance(lane, str) else "–"
    sha = model.model_sha256 if model else None
    sop = model.sop_id if model else None
    return [(lane, cat.step_label(sop, sid, 40, sha)) for sid, lane in lanes.items()]


def _lane_rank(model: ModelInfo, lane: str) -> int:
    return model.lanes.index(lane) if lane in model.lanes else len(model.lanes)


def gantt_segments(steps: pd.DataFrame, model: ModelInfo, cat: Catalog, lang: str) -> pd.DataFrame:
    """Bars for the timeline: waiting (enabled -> start) and work (start or enabled -> complete)."""
    rows = []
    tz = model.timezone
    enabled, start, complete = (_local(steps[c], tz) for c in ("enabled_ts", "start_ts", "complete_ts"))
    for i, r in enumerate(steps.itertuples(index=False)):
        label = cat.step_label(model.sop_id, r.step_id, 40, model.model_sha256)
        begin = start.iloc[i] if not pd.isna(start.iloc[i]) else enabled.iloc[i]
        hover = (f"{t('status', lang)}: {cat.label('step_status', r.status, lang)} · "
                 f"{fmt.moment(enabled.iloc[i], lang)} → {fmt.moment(complete.iloc[i], lang)}")
        if not pd.isna(start.iloc[i]) and start.iloc[i] > enabled.iloc[i]:
            rows.append({"label": label, "lane": r.lane, "kind": "waiting", "start": enabled.iloc[i],
                         "end": start.iloc[i], "status": r.status, "hover": hover})
        if pd.isna(begin) or pd.isna(complete.iloc[i]):
            continue
        rows.append({"label": label, "lane": r.lane, "kind": "work", "start": begin,
                     "end": max(complete.iloc[i], begin), "status": r.status, "hover": hover})
    return pd.DataFrame(rows, columns=["label", "lane", "kind", "start", "end", "status", "hover"])


def step_table(steps: pd.DataFrame, model: ModelInfo, cat: Catalog, lang: str) -> pd.DataFrame:
    """Each step occurrence with its Mutu Baku: standard, time taken, status, overrun."""
    complete = _local(steps["complete_ts"], model.timezone)
    day_minutes = model.day_minutes
    # the step's verdict beside it (status, standard, time taken, overrun), then who and when:
    # at 1440 px the verdict was scrolled out of sight
    out = pd.DataFrame({
        t("step", lang): [cat.step_label(model.sop_id, s, 60, model.model_sha256) for s in steps["step_id"]],
        t("status", lang): [cat.label("step_status", s, lang) for s in steps["status"]],
        t("standard", lang): [fmt.standard(v, u, c, lang) if not pd.isna(v) else "–"
                              for v, u, c in zip(steps["std_max"], steps["std_unit"], steps["std_calendar"], strict=True)],
        t("time_taken", lang): [fmt.in_unit(e, u, c, lang, day_minutes=day_minutes) for e, u, c
                                in zip(steps["elapsed"], steps["std_unit"], steps["std_calendar"], strict=True)],
        t("overrun", lang): [fmt.in_unit(o, u, c, lang, day_minutes=day_minutes) if s == "breach" else "–"
                             for o, u, c, s in zip(steps["overrun"], steps["std_unit"], steps["std_calendar"],
                                                   steps["status"], strict=True)],
        t("occurrence", lang): [str(int(o)) for o in steps["occurrence"]],
        t("lane", lang): steps["lane"],
        t("resource", lang): steps["resource"].fillna("–"),
        t("completed", lang): [fmt.moment(x, lang) if not pd.isna(x) else "–" for x in complete],
    })
    return out


def event_table(events: pd.DataFrame, model: ModelInfo, lang: str) -> pd.DataFrame:
    """The case's events as imported: local time ("–" when the log has none), activity label,
    lifecycle, resource, unit and the event's own attributes as ``key: value`` pairs."""
    when = _local(events["ts"], model.timezone)
    return pd.DataFrame({
        t("event_time", lang): [fmt.moment(x, lang) if not pd.isna(x) else "–" for x in when],
        t("activity", lang): events["activity"],
        t("lifecycle", lang): events["lifecycle"],
        t("resource", lang): events["resource"].fillna("–"),
        t("unit", lang): events["unit"].fillna("–"),
        t("event_attributes", lang): [_pairs(a) for a in events["attributes"]],
    })


def _pairs(attributes: str | None) -> str:
    if attributes is None or pd.isna(attributes):
        return ""
    return "; ".join(f"{k}: {v}" for k, v in json.loads(attributes).items())


def alignment_rows(trace: list[str], deviations: pd.DataFrame, model: ModelInfo, cat: Catalog,
                   lang: str) -> pd.DataFrame:
    """The case's trace against the SOP: one row per event (synchronous or log-only move)
    plus one per skipped step (model-only move), each with the deviation that explains it.

    ``trace`` is the variant's activity list (step ids, or labels of unmapped activities);
    deviations carry their 1-based ``position`` in it (NULL for skipped steps, which are
    placed where the alignment put them, after trace position ``after_position``; a result of
    a run before schema version 14 has none: after the last trace position of an earlier SOP
    step).
    """
    by_position: dict[int, list[str]] = {}
    skipped: list[pd.Series] = []
    for _, d in deviations.iterrows():
        if pd.isna(d["position"]):
            if d["kind"] == "skipped_step":
                skipped.append(d)
            continue
        by_position.setdefault(int(d["position"]), []).append(d["kind"])
    rows = []
    sop, sha = model.sop_id, model.model_sha256
    for pos, item in enumerate(trace, start=1):
        kinds = by_position.get(pos, [])
        known = cat.is_step(sop, item, sha)
        # same_person is about who did it, not where: the event still matches the model
        sync = known and not [k for k in kinds if k != "same_person"]
        label = cat.step_label(sop, item, 50, sha) if known else f"“{item}”"
        rows.append({"pos": pos, "trace": label, "sop": label if sync else "–",
                     "move": t("move_sync" if sync else "move_log", lang),
                     "deviation": ", ".join(cat.label("deviation_kinds", k, lang) for k in kinds) or "–"})
    order = cat.case_steps(sop, sha)
    for d in skipped:
        sid = d["step_id"]
        after = d.get("after_position")
        if after is None or pd.isna(after):
            before = [i for i, item in enumerate(trace, start=1)
                      if item in order and sid in order and order.index(item) < order.index(sid)]
            after = max(before) if before else 0
        rows.append({"pos": int(after) + 0.5, "trace": "–",
                     "sop": cat.step_label(sop, sid, 50, sha), "move": t("move_model", lang),
                     "deviation": cat.label("deviation_kinds", "skipped_step", lang)})
    table = pd.DataFrame(rows, columns=["pos", "trace", "sop", "move", "deviation"]).sort_values("pos", kind="stable")
    table["pos"] = [str(int(p)) if float(p).is_integer() else "–" for p in table["pos"]]
    return table.rename(columns={"pos": "#", "trace": t("trace", lang), "sop": t("sop_step", lang),
                                 "move": t("move", lang), "deviation": t("deviation", lang)})


def explanations(deviations: pd.DataFrame, model: ModelInfo, cat: Catalog, lang: str) -> pd.DataFrame:
    """Deviations explained in one line each, in the chosen language; accepted ones marked
    with their acceptance."""
    column = "explanation_en" if lang == "en" else "explanation_id"
    # the mark next to the kind: the explanation is long, and the last column falls off a laptop screen
    return pd.DataFrame({
        t("kind", lang): [cat.label("deviation_kinds", k, lang) for k in deviations["kind"]],
        t("accepted_col", lang): [t("accepted_mark", lang, id=int(i)) if a else "–"
                                  for a, i in zip(deviations["accepted"].fillna(False), deviations["acceptance_id"],
                                                  strict=True)],
        t("step", lang): [cat.step_label(model.sop_id, s, 50, model.model_sha256) if isinstance(s, str) else (a or "–")
                          for s, a in zip(deviations["step_id"], deviations["activity"], strict=True)],
        t("position", lang): ["–" if pd.isna(p) else str(int(p)) for p in deviations["position"]],
        t("explanation", lang): deviations[column],
    })
