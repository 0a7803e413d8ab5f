"""Query results as tables for people: translated headers, id-ID numbers, humanised times.

Pure functions ``DataFrame -> DataFrame`` (strings ready to show). Ids the user may click
through (``case_id``) stay as they are.
"""

from __future__ import annotations

import pandas as pd

from dashboard import fmt
from dashboard.i18n import t
from dashboard.models_info import agency_short, sop_path, sop_title, step_calendar, step_label
from sop_models import SopModel


def _pct(values: pd.Series, lang: str, decimals: int = 1) -> list[str]:
    return [fmt.percent(None if pd.isna(v) else float(v), decimals, lang) for v in values]


def _num(values: pd.Series, lang: str, decimals: int = 0) -> list[str]:
    return [fmt.number(None if pd.isna(v) else float(v), decimals, lang) for v in values]


def _moments(values: pd.Series, lang: str, tz: str = "Asia/Jakarta") -> list[str]:
    stamps = pd.to_datetime(values, utc=True).dt.tz_convert(tz)
    return [fmt.moment(v, lang) if not pd.isna(v) else "–" for v in stamps]


def overview(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Per agency and SOP: the headline numbers."""
    return pd.DataFrame({
        t("agency", lang): [agency_short(a) for a in df["agency"]],
        t("sop", lang): [sop_title(s, 48) for s in df["sop_id"]],
        t("cases", lang): _num(df["cases"], lang),
        t("closed", lang): _num(df["closed"], lang),
        t("share_on_time", lang): _pct(df["on_time_share"], lang),
        t("share_conformant", lang): _pct(df["conformant_share"], lang),
        t("median_throughput", lang): [fmt.hours(v, lang) for v in df["median_throughput_hours"]],
        t("service_standard", lang): [fmt.standard(v, u, "calendar", lang) if not pd.isna(v) else "–"
                                      for v, u in zip(df["service_std_max"], df["service_std_unit"], strict=True)],
        t("within_service_standard", lang): _pct(df["within_service_share"], lang),
        t("open_late", lang): _num(df["late"], lang),
        t("open_at_risk", lang): _num(df["at_risk"], lang),
    })


def open_cases(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Open cases late or at risk, with the time remaining (negative: overdue)."""
    return pd.DataFrame({
        t("case", lang): df["case_id"],
        t("agency", lang): [agency_short(a) for a in df["agency"]],
        t("unit", lang): df["unit"].fillna("–"),
        t("current_step", lang): [step_label(s, x, 44) for s, x in zip(df["sop_id"], df["current_step"], strict=True)],
        t("lane", lang): df["current_lane"].fillna("–"),
        t("since", lang): _moments(df["since_ts"], lang),
        t("time_remaining", lang): [fmt.in_unit(r, u, step_calendar(s, x), lang) for r, u, s, x in zip(
            df["remaining"], df["std_unit"], df["sop_id"], df["current_step"], strict=True)],
        t("status", lang): [t(f"open_status_{s}", lang) for s in df["status"]],
    })


def steps(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Per step: occurrences, violations by status and the breach rate."""
    return pd.DataFrame({
        t("step", lang): [f"{step_label(s, x, 50)}" for s, x in zip(df["sop_id"], df["step_id"], strict=True)],
        t("sop", lang): df["sop_id"],
        t("lane", lang): df["lane"].fillna("–"),
        t("step_occurrences", lang): _num(df["occurrences"], lang),
        t("status_breach", lang): _num(df["breach"], lang),
        t("status_deadline_missed", lang): _num(df["deadline_missed"], lang),
        t("status_too_fast", lang): _num(df["too_fast"], lang),
        t("breach_rate", lang): _pct(df["breach_rate"], lang),
    })


def overruns(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Per breached step: how far over its standard, in the standard's unit."""
    def amounts(column: str) -> list[str]:
        return [fmt.in_unit(v, u, c, lang) for v, u, c in zip(df[column], df["std_unit"], df["std_calendar"], strict=True)]

    return pd.DataFrame({
        t("step", lang): [step_label(s, x, 50) for s, x in zip(df["sop_id"], df["step_id"], strict=True)],
        t("status_breach", lang): _num(df["n"], lang),
        t("median_overrun", lang): amounts("median_overrun"),
        t("p90_overrun", lang): amounts("p90_overrun"),
        t("max_overrun", lang): amounts("max_overrun"),
    })


def worst(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The worst cases: violations and the largest overrun as a multiple of the standard."""
    return pd.DataFrame({
        t("case", lang): df["case_id"],
        t("agency", lang): [agency_short(a) for a in df["agency"]],
        t("unit", lang): df["unit"].fillna("–"),
        t("violations", lang): _num(df["violations"], lang),
        t("worst_step", lang): [step_label(s, x, 44) for s, x in zip(df["sop_id"], df["worst_step"], strict=True)],
        t("worst_ratio", lang): [f"{fmt.number(v, 1, lang)}×" if not pd.isna(v) else "–" for v in df["worst_ratio"]],
        t("last_violation", lang): _moments(df["last_violation_ts"], lang),
    })


def lanes(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Per lane: waiting and processing medians (working time), breach rate."""
    return pd.DataFrame({
        t("lane", lang): df["lane"],
        t("agency", lang): [agency_short(a) for a in df["agency"]],
        t("step_occurrences", lang): _num(df["step_occurrences"], lang),
        t("waiting", lang): [fmt.working_minutes(v, lang) for v in df["waiting_wm"]],
        t("processing", lang): [fmt.working_minutes(v, lang) for v in df["processing_wm"]],
        t("waiting_p90", lang): [fmt.working_minutes(v, lang) for v in df["waiting_p90_wm"]],
        t("breach_rate", lang): _pct(df["breach_rate"], lang),
    })


def fitness(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Per agency and SOP: fitness, share conformant, precision."""
    return pd.DataFrame({
        t("agency", lang): [agency_short(a) for a in df["agency"]],
        t("sop", lang): [sop_title(s, 48) for s in df["sop_id"]],
        t("closed", lang): _num(df["cases"], lang),
        t("fitness", lang): _num(df["fitness"], lang, 3),
        t("share_conformant", lang): _pct(df["conformant_share"], lang),
        t("precision", lang): _num(df["precision"], lang, 3),
        t("deviations", lang): _num(df["deviations"], lang),
    })


def variant_labels(df: pd.DataFrame, lang: str) -> list[str]:
    """``Varian 1``, ``Varian 2 (jalur SOP)``..."""
    return [f"{t('variant', lang)} {i}" + (f" ({t('sop_path', lang)})" if p else "")
            for i, p in enumerate(df["is_sop_path"], start=1)]


def variants(df: pd.DataFrame, sop_id: str, lang: str) -> pd.DataFrame:
    """Variants against the SOP path: steps missing from it, steps it does not have."""
    path = sop_path(sop_id)
    missing, extra = [], []
    for acts in df["activities"]:
        acts = list(acts) if acts is not None and not isinstance(acts, float) else []
        missing.append(", ".join(s for s in path if s not in acts) or "–")
        extra.append(", ".join(dict.fromkeys(a for a in acts if a not in path)) or "–")
    return pd.DataFrame({
        t("variant", lang): variant_labels(df, lang),
        t("cases", lang): _num(df["cases"], lang),
        t("share", lang): _pct(df["share"], lang),
        t("fitness", lang): _num(df["alignment_fitness"], lang, 3),
        t("missing_vs_sop", lang): missing,
        t("extra_vs_sop", lang): extra,
        t("sequence", lang): [" → ".join(list(a)) if a is not None and not isinstance(a, float) else "–"
                              for a in df["activities"]],
    })


def deviating(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Deviating cases: kinds, number of deviations, fitness."""
    return pd.DataFrame({
        t("case", lang): df["case_id"],
        t("sop", lang): df["sop_id"],
        t("agency", lang): [agency_short(a) for a in df["agency"]],
        t("unit", lang): df["unit"].fillna("–"),
        t("started", lang): _moments(df["first_ts"], lang),
        t("fitness", lang): _num(df["alignment_fitness"], lang, 3),
        t("deviations", lang): _num(df["deviations"], lang),
        t("kinds", lang): [", ".join(t(f"kind_{k.strip()}", lang) for k in str(x).split(",")) for x in df["kinds"]],
    })


def imports(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Import history."""
    return pd.DataFrame({
        "#": df["import_id"],
        t("file", lang): df["file_name"],
        t("format", lang): df["format"],
        t("sop", lang): df["sop_id"],
        t("rows_read", lang): _num(df["rows_read"], lang),
        t("rows_loaded", lang): _num(df["rows_loaded"], lang),
        t("rows_quarantined", lang): _num(df["rows_quarantined"], lang),
        t("rows_duplicate", lang): _num(df["rows_duplicate"], lang),
        t("imported_at", lang): _moments(df["finished"], lang),
    })


def model_steps(model: SopModel, lang: str) -> pd.DataFrame:
    """The SOP's steps with their Mutu Baku (Kelengkapan, Waktu, Output)."""
    rows = []
    for s in model.steps:
        w = s.waktu
        bound = fmt.standard(w.max.value, w.max.unit, w.max.calendar, lang) if w.max else "–"
        if w.min:
            bound = f"{t('at_least', lang)} {fmt.standard(w.min.value, w.min.unit, w.min.calendar, lang)}" + (
                f"; {t('at_most', lang)} {bound}" if w.max else "")
        if w.per:
            bound += f" / {w.per}"
        if w.deadline_day:
            bound += f"; {t('deadline_day', lang, day=w.deadline_day)}"
        rows.append({
            t("no", lang): s.no or "–", "id": s.id, t("activity", lang): s.name, t("lane", lang): s.lane,
            t("waktu_printed", lang): w.raw or "–", t("standard", lang): bound,
            t("kelengkapan", lang): "; ".join(s.kelengkapan) or "–", t("output", lang): s.output or "–",
            t("scope", lang): t(f"scope_{s.scope}", lang),
        })
    return pd.DataFrame(rows)
