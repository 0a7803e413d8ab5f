"""Query results as tables for people: translated headers, id-ID numbers, humanised times.

Pure functions ``DataFrame -> DataFrame`` (strings ready to show); names, standards and
vocabulary labels come from the store's :class:`~dashboard.catalog.Catalog`. Ids the user may
click through (``case_id``) stay as they are.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard import fmt, theme
from dashboard.catalog import Catalog, ModelInfo, agency_short
from dashboard.i18n import t
from pantau.units import ZONE_NAMES


def _pct(values: pd.Series, lang: str, decimals: int = 1) -> list[str]:
    return [fmt.percent(None if pd.isna(v) else float(v), decimals, lang) for v in values]


def _num(values: pd.Series, lang: str, decimals: int = 0) -> list[str]:
    return [fmt.number(None if pd.isna(v) else float(v), decimals, lang) for v in values]


def _moments(values: pd.Series, lang: str, zones: list[str] | str) -> list[str]:
    """Each instant in its SOP's zone (a list, one zone per row, or one zone for all)."""
    stamps = pd.Series(pd.to_datetime(values, utc=True).array)  # positions 0..n-1
    if isinstance(zones, str):
        zones = [zones] * len(stamps)
    out = ["–"] * len(stamps)
    by_zone: dict[str, list[int]] = {}
    for i, zone in enumerate(zones):
        by_zone.setdefault(zone, []).append(i)
    for zone, rows in by_zone.items():  # one conversion per zone, not one per row
        for i, v in zip(rows, stamps.iloc[rows].dt.tz_convert(zone), strict=True):
            if not pd.isna(v):
                out[i] = fmt.moment(v, lang)
    return out


def _zones(df: pd.DataFrame, cat: Catalog) -> list[str]:
    return [cat.timezone(s) for s in df["sop_id"]]


def overview(df: pd.DataFrame, cat: Catalog, lang: str) -> pd.io.formats.style.Styler:
    """Per agency and SOP: the headline numbers, each share with the counts behind it; the
    share within Mutu Baku is green when it meets the SOP's target (column ``target``), red
    below it."""
    on_time = t("share_on_time", lang)
    # What a head reads first comes first, within a 1440 px page's main column (MAIN_COLUMN_PX): cases, the share within Mutu Baku against its target, the open cases
    # late; the rest scrolls sideways, the agency pinned.
    out = pd.DataFrame({
        t("agency", lang): [agency_short(a) for a in df["agency"]],
        t("sop", lang): [cat.sop_title(s, 36) for s in df["sop_id"]],
        t("cases", lang): _num(df["cases"], lang),
        # the on-time share is over the closed cases measured (a log without times is not)
        on_time: [rate_with_counts(r, n, of, lang) for r, n, of in zip(df["on_time_share"], df["on_time"],
                                                                       df["closed_measured"], strict=True)],
        t("target", lang): _pct(df["target"], lang, 0),
        t("open_late", lang): [fmt.count_of(n, of, lang) for n, of in zip(df["late"], df["open"], strict=True)],
        t("share_conformant", lang): [rate_with_counts(r, n, of, lang) for r, n, of in
                                      zip(df["conformant_share"], df["conformant"], df["closed"], strict=True)],
        t("median_throughput", lang): [fmt.hours(v, lang) for v in df["median_throughput_hours"]],
        t("service_standard", lang): [fmt.standard(v, u, "calendar", lang) if not pd.isna(v) else "–"
                                      for v, u in zip(df["service_std_max"], df["service_std_unit"], strict=True)],
        t("within_service_standard", lang): [rate_with_counts(r, n, of, lang) for r, n, of in
                                             zip(df["within_service_share"], df["within_service"],
                                                 df["service_judged"], strict=True)],
        t("closed", lang): _num(df["closed"], lang),
        t("scope_choice_open", lang): _num(df["open"], lang),
        t("open_at_risk", lang): _num(df["at_risk"], lang),
    })
    return against_target(out, on_time, df["on_time_share"], df["target"])


def meets_target(share: object, target: object) -> bool | None:
    """The one reading of a share against its target: met when at or above it; None when either
    is unknown (every table colours by this)."""
    if share is None or target is None or pd.isna(share) or pd.isna(target):
        return None
    return float(share) >= float(target)


def against_target(shown: pd.DataFrame, column: str, shares: pd.Series, targets: pd.Series
                   ) -> pd.io.formats.style.Styler:
    """``shown`` with ``column`` coloured: green where the share meets its target, red below."""
    met = [meets_target(v, g) for v, g in zip(shares, targets, strict=True)]
    fills = ["" if m is None else f"background-color: {theme.MEETS_TARGET_FILL if m else theme.BELOW_TARGET_FILL}"
             for m in met]
    return shown.style.apply(lambda _col: fills, subset=[column])


def open_cases(df: pd.DataFrame, cat: Catalog, lang: str) -> pd.DataFrame:
    """Open cases late or at risk, with the time remaining (negative: overdue)."""
    zones = _zones(df, cat)
    return pd.DataFrame({
        t("case", lang): df["case_id"],
        t("agency", lang): [agency_short(a) for a in df["agency"]],
        t("unit", lang): df["unit"].fillna("–"),
        t("current_step", lang): [cat.step_label(s, x, 44) for s, x in zip(df["sop_id"], df["current_step"], strict=True)],
        t("lane", lang): df["current_lane"].fillna("–"),
        t("since", lang): _moments(df["since_ts"], lang, zones),
        t("time_remaining", lang): [_with_date(_remaining(r, u, s, x, cat, lang), when, late, lang)
                                    for r, u, s, x, when, late in
                                    zip(df["remaining"], df["std_unit"], df["sop_id"], df["current_step"],
                                        _moments(df["deadline_ts"], lang, zones), df["status"] == "late",
                                        strict=True)],
        t("overdue", lang): [fmt.hours(h, lang) if not pd.isna(h) and h > 0 else "–" for h in df["overdue_hours"]],
        t("status", lang): [cat.label("open_status", s, lang) for s in df["status"]],
    })


# The main column of a 1440 px page beside the sidebar (measured in Chromium): a table's leading
# columns, what a head reads first, fit in it.
MAIN_COLUMN_PX = 980
TEXT_COLUMN_PX = 260  # the widest a text column is set to (longer values end in "…", hover shows them)


def header_px(text: str) -> int:
    """About how many pixels a header's text takes in the data grid (14 px sans, padding)."""
    return int(7.6 * len(str(text))) + 32


def column_px(header: str, values: pd.Series) -> int:
    """A column's width: its whole header, and for text its longest value up to
    :data:`TEXT_COLUMN_PX` (names of units and SOPs were cut to a dozen letters)."""
    width = header_px(header)
    if len(values) and (values.dtype == object or pd.api.types.is_string_dtype(values)):
        longest = int(values.astype(str).str.len().max())
        width = max(width, min(int(7.2 * longest) + 24, TEXT_COLUMN_PX))
    return width


def units(df: pd.DataFrame, cat: Catalog, lang: str) -> pd.DataFrame:
    """The league table of service units: numbers stay numbers (so the grid sorts them); the
    display strings are set by :func:`units_style`."""
    return pd.DataFrame({
        t("unit", lang): df["unit"].fillna("–"),
        t("sop", lang): [cat.sop_tag(s) for s in df["sop_id"]],
        t("cases", lang): df["cases"].astype("int64"),
        t("share_on_time", lang): df["on_time_share"].astype("float64"),
        t("on_time_count", lang): [fmt.count_of(n, c, lang)
                                   for n, c in zip(df["on_time"], df["closed_measured"], strict=True)],
        t("target", lang): df["target"].astype("float64"),
        t("median_throughput", lang): df["median_throughput_hours"].astype("float64"),
        t("open_late", lang): df["late"].astype("int64"),
    })


def units_style(shown: pd.DataFrame, lang: str) -> Any:
    """The league table styled: id-ID numbers and durations, the on-time share green when at or
    above its target and red below (the sort still uses the numbers)."""
    share, target = t("share_on_time", lang), t("target", lang)
    css = {True: f"background-color: {theme.GOOD}22; color: {theme.GOOD}",
           False: f"background-color: {theme.BAD}22; color: {theme.BAD}", None: ""}
    # the share column only, in one pass (a row-wise apply builds a Series per row)
    fills = [css[meets_target(v, g)] for v, g in zip(shown[share], shown[target], strict=True)]
    return shown.style.apply(lambda _col: fills, subset=[share]).format({
        share: lambda v: fmt.percent(None if pd.isna(v) else float(v), 1, lang),
        target: lambda v: fmt.percent(None if pd.isna(v) else float(v), 0, lang),
        t("median_throughput", lang): lambda v: fmt.hours(None if pd.isna(v) else float(v), lang),
        t("cases", lang): lambda v: fmt.number(v, 0, lang),
        t("open_late", lang): lambda v: fmt.number(v, 0, lang),
    })


def remaining_with_date(remaining: float | None, unit: str | None, sop_id: str, step_id: str | None,
                        deadline: object, late: bool, cat: Catalog, lang: str) -> str:
    """``-4 hari 3 jam (terlambat sejak 27 Des 2024 16.00)`` / ``1 hari (tenggat 3 Jan 2025 16.00)``:
    the time left on an open case's step and the moment it is (or was) due, in the SOP's zone."""
    amount = _remaining(remaining, unit, sop_id, step_id, cat, lang)
    if deadline is None or pd.isna(deadline):
        return amount
    return _with_date(amount, fmt.moment(pd.Timestamp(deadline).tz_convert(cat.timezone(sop_id)), lang), late, lang)


def _remaining(remaining: float | None, unit: str | None, sop_id: str, step_id: str | None, cat: Catalog,
               lang: str) -> str:
    return fmt.in_unit(remaining, unit, cat.step_calendar(sop_id, step_id), lang, day_minutes=cat.day_minutes(sop_id))


def _with_date(amount: str, when: str, late: bool, lang: str) -> str:
    """The amount and the deadline's moment (``–``: no deadline, the amount alone)."""
    if when == "–":
        return amount
    return f"{amount} ({t('late_since' if late else 'due_at', lang, moment=when)})"


def rate_with_counts(rate: float | None, n: int | float | None, of: int | float | None, lang: str) -> str:
    """``12,5 % (25 dari 200)``: a rate with the counts behind it."""
    if rate is None or pd.isna(rate):
        return "–"
    return f"{fmt.percent(float(rate), 1, lang)} ({fmt.count_of(n, of, lang)})"


def steps(df: pd.DataFrame, cat: Catalog, lang: str) -> pd.DataFrame:
    """Per step: occurrences, violations by status and the breach rate (with its counts)."""
    shown = cat.keys("step_status", "is_violation")
    out = {
        t("step", lang): [cat.step_label(s, x, 50) for s, x in zip(df["sop_id"], df["step_id"], strict=True)],
        t("sop", lang): [cat.sop_title(s, 40) for s in df["sop_id"]],
        t("lane", lang): df["lane"].fillna("–"),
        t("step_occurrences", lang): _num(df["occurrences"], lang),
    }
    for status in shown:
        out[cat.label("step_status", status, lang)] = _num(
            pd.Series([(m or {}).get(status, 0) for m in df["statuses"]], dtype="float64"), lang)
    out[t("breach_rate", lang)] = [rate_with_counts(r, v, j, lang) for r, v, j in
                                  zip(df["breach_rate"], df["violations"], df["judged"], strict=True)]
    return pd.DataFrame(out)


def overruns(df: pd.DataFrame, cat: Catalog, lang: str) -> pd.DataFrame:
    """Per breached step: how far over its standard, in the standard's unit."""
    def amounts(column: str) -> list[str]:
        return [fmt.in_unit(v, u, c, lang, day_minutes=cat.day_minutes(s)) for v, u, c, s
                in zip(df[column], df["std_unit"], df["std_calendar"], df["sop_id"], strict=True)]

    return pd.DataFrame({
        t("step", lang): [cat.step_label(s, x, 50) for s, x in zip(df["sop_id"], df["step_id"], strict=True)],
        cat.label("step_status", "breach", lang): _num(df["n"], lang),
        t("median_overrun", lang): amounts("median_overrun"),
        t("p90_overrun", lang): amounts("p90_overrun"),
        t("max_overrun", lang): amounts("max_overrun"),
    })


def worst(df: pd.DataFrame, cat: Catalog, lang: str) -> pd.DataFrame:
    """The worst cases: violations and the largest overrun as a multiple of the standard."""
    return pd.DataFrame({
        t("case", lang): df["case_id"],
        t("agency", lang): [agency_short(a) for a in df["agency"]],
        t("unit", lang): df["unit"].fillna("–"),
        t("violations", lang): _num(df["violations"], lang),
        t("worst_step", lang): [cat.step_label(s, x, 44) for s, x in zip(df["sop_id"], df["worst_step"], strict=True)],
        t("worst_ratio", lang): [f"{fmt.number(v, 1, lang)}×" if not pd.isna(v) else "–" for v in df["worst_ratio"]],
        t("last_violation", lang): _moments(df["last_violation_ts"], lang, _zones(df, cat)),
    })


def lanes(df: pd.DataFrame, cat: Catalog, lang: str) -> pd.DataFrame:
    """Per lane: waiting and processing medians (working time), breach rate with its counts."""
    days = [cat.day_minutes(s) for s in df["sop_id"]]

    def working(column: str) -> list[str]:
        return [fmt.working_minutes(v, lang, day_minutes=d) for v, d in zip(df[column], days, strict=True)]

    return pd.DataFrame({
        t("lane", lang): df["lane"],
        t("agency", lang): [agency_short(a) for a in df["agency"]],
        t("step_occurrences", lang): _num(df["step_occurrences"], lang),
        t("waiting", lang): working("waiting_wm"),
        t("processing", lang): working("processing_wm"),
        t("waiting_p90", lang): working("waiting_p90_wm"),
        t("breach_rate", lang): [rate_with_counts(r, v, j, lang) for r, v, j in
                                 zip(df["breach_rate"], df["violations"], df["judged"], strict=True)],
    })


def fitness(df: pd.DataFrame, cat: Catalog, lang: str) -> pd.DataFrame:
    """Per agency and SOP (the cases of one scope): fitness, share conformant with its counts,
    precision, deviations."""
    return pd.DataFrame({
        t("agency", lang): [agency_short(a) for a in df["agency"]],
        t("sop", lang): [cat.sop_title(s, 48) for s in df["sop_id"]],
        t("cases", lang): _num(df["cases"], lang),
        t("fitness", lang): _num(df["fitness"], lang, 3),
        t("share_conformant", lang): [rate_with_counts(r, n, of, lang) for r, n, of in
                                      zip(df["conformant_share"], df["conformant"], df["cases"], strict=True)],
        t("precision", lang): _num(df["precision"], lang, 3),
        t("deviations", lang): _num(df["deviations"], lang),
    })


def variant_labels(df: pd.DataFrame, lang: str) -> list[str]:
    """``Varian 1``, ``Varian 2 (jalur SOP)``, ``Varian 3 (masih berjalan · sesuai sejauh ini)``:
    a variant of cases still running is judged so far, never shown as a deviating one."""
    opened = df["is_open"] if "is_open" in df else pd.Series(False, index=df.index)
    labels = []
    for i, (path, is_open) in enumerate(zip(df["is_sop_path"], opened, strict=True), start=1):
        if is_open:
            mark = t("variant_open", lang) + " · " + t("so_far_conformant" if path else "so_far_deviating", lang)
        else:
            mark = t("sop_path", lang) if path else ""
        labels.append(f"{t('variant', lang)} {i}" + (f" ({mark})" if mark else ""))
    return labels


def _missing(acts: list[str], path: list[str], is_open: bool) -> str:
    """Main-path steps the variant lacks; for a variant still running only those before the
    furthest main-path step it reached (the later ones may still come)."""
    if is_open:
        reached = [path.index(a) for a in acts if a in path]
        path = path[:max(reached) + 1] if reached else []
    return ", ".join(s for s in path if s not in acts) or "–"


def variants(df: pd.DataFrame, sop_id: str, cat: Catalog, lang: str) -> pd.DataFrame:
    """Variants against the SOP path: steps missing from it (so far, for a variant still
    running), steps it does not have."""
    path = cat.main_path(sop_id)
    opened = df["is_open"] if "is_open" in df else pd.Series(False, index=df.index)
    missing, extra = [], []
    for acts, is_open in zip(df["activities"], opened, strict=True):
        acts = list(acts) if acts is not None and not isinstance(acts, float) else []
        missing.append(_missing(acts, path, bool(is_open)))
        extra.append(", ".join(dict.fromkeys(a for a in acts if a not in path)) or "–")
    return pd.DataFrame({
        t("variant", lang): variant_labels(df, lang),
        t("cases", lang): _num(df["cases"], lang),
        t("share", lang): _pct(df["share"], lang),
        t("fitness", lang): [fmt.number(None if pd.isna(v) else float(v), 3, lang)
                             + (f" ({t('variant_open', lang)})" if o else "")
                             for v, o in zip(df["alignment_fitness"], opened, strict=True)],
        t("missing_vs_sop", lang): missing,
        t("extra_vs_sop", lang): extra,
        t("sequence", lang): [" → ".join(list(a)) if a is not None and not isinstance(a, float) else "–"
                              for a in df["activities"]],
    })


def deviating(df: pd.DataFrame, cat: Catalog, lang: str) -> pd.DataFrame:
    """Deviating cases: kinds, number of deviations, fitness."""
    return pd.DataFrame({
        t("case", lang): df["case_id"],
        t("sop", lang): [cat.sop_title(s, 40) for s in df["sop_id"]],
        t("agency", lang): [agency_short(a) for a in df["agency"]],
        t("unit", lang): df["unit"].fillna("–"),
        t("started", lang): _moments(df["first_ts"], lang, _zones(df, cat)),
        t("status", lang): [t("running_so_far" if o else "closed", lang) for o in df["is_open"]],
        t("fitness", lang): _num(df["alignment_fitness"], lang, 3),
        t("deviations", lang): _num(df["deviations"], lang),
        t("accepted_col", lang): _num(df["accepted"], lang),
        t("kinds", lang): [", ".join(cat.label("deviation_kinds", k, lang) for k in kinds) for kinds in df["kinds"]],
    })


def acceptances(df: pd.DataFrame, cat: Catalog, lang: str) -> pd.DataFrame:
    """Acceptances: what each covers, why, by whom, until when, its status and findings now."""
    def covers(r: pd.Series) -> str:
        step = cat.step_label(r["sop_id"], r["step_id"], 40) if isinstance(r["step_id"], str) else t("accept_every_step", lang)
        where = (f"{t('case', lang)} {r['case_id']}" if isinstance(r["case_id"], str) else
                 f"{t('acc_rule', lang)}: {agency_short(r['agency']) if isinstance(r['agency'], str) else t('accept_every_agency', lang)}")
        return f"{cat.label('deviation_kinds', r['kind'], lang)} · {step} · {where}"

    return pd.DataFrame({
        "#": df["acceptance_id"],
        t("status", lang): [cat.label("acceptance_status", s, lang) for s in df["status"]],
        t("acc_findings", lang): _num(df["findings"], lang),
        t("acc_covers", lang): [covers(r) for _, r in df.iterrows()],
        t("acc_by", lang): df["accepted_by"],
        t("acc_until", lang): [fmt.day(d, lang) if not pd.isna(d) else "–" for d in df["valid_until"]],
        t("reason", lang): df["reason"],
    })


def imports(df: pd.DataFrame, cat: Catalog, lang: str) -> pd.DataFrame:
    """Import history; imports of SOPs in different zones share one column, so each time
    names its zone (``2 Des 2026 14.31 WITA``)."""
    zones = _zones(df, cat)
    finished = [m if m == "–" else f"{m} {ZONE_NAMES.get(z, z)}"
                for m, z in zip(_moments(df["finished"], lang, zones), zones, strict=True)]
    return pd.DataFrame({
        "#": df["import_id"],
        t("file", lang): df["file_name"],
        t("format", lang): df["format"],
        t("sop", lang): [cat.sop_tag(s) for s in df["sop_id"]],  # a head's name for it, not its id
        t("rows_read", lang): _num(df["rows_read"], lang),
        t("rows_loaded", lang): _num(df["rows_loaded"], lang),
        t("rows_quarantined", lang): _num(df["rows_quarantined"], lang),
        t("rows_duplicate", lang): _num(df["rows_duplicate"], lang),
        t("imported_at", lang): finished,
    })


def model_versions(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The SOP's confirmed versions: revision, the days in force, the cases each judged."""
    def day(v: object, empty: str) -> str:
        return empty if v is None or pd.isna(v) else fmt.day(pd.Timestamp(v).date(), lang)

    return pd.DataFrame({
        t("revision", lang): [r if isinstance(r, str) and r else "–" for r in df["revision"]],
        t("in_force_from", lang): [day(v, t("from_start", lang)) for v in df["in_force_from"]],
        t("in_force_until", lang): [day(v, t("still_in_force", lang)) for v in df["in_force_until"]],
        t("cases_judged", lang): _num(df["cases"], lang),
        t("checksum", lang): [sha[:12] for sha in df["model_sha256"]],
    })


def model_steps(model: ModelInfo, lang: str) -> pd.DataFrame:
    """The SOP's steps with their Mutu Baku (Kelengkapan, Waktu, Output)."""
    rows = []
    for s in model.steps:
        bound = fmt.standard(s.max_value, s.max_unit, s.max_calendar, lang) if s.max_value is not None else "–"
        if s.min_value is not None:
            bound = f"{t('at_least', lang)} {fmt.standard(s.min_value, s.min_unit, s.min_calendar, lang)}" + (
                f"; {t('at_most', lang)} {bound}" if s.max_value is not None else "")
        if s.per_unit:
            bound += f" / {s.per_unit}"
        if s.deadline_day:
            bound += f"; {t('deadline_day', lang, day=s.deadline_day)}"
        rows.append({
            t("no", lang): s.printed_no or "–", "id": s.step_id, t("activity", lang): s.name,
            t("lane", lang): s.lane, t("waktu_printed", lang): s.waktu_raw or "–", t("standard", lang): bound,
            t("kelengkapan", lang): "; ".join(s.kelengkapan) or "–", t("output", lang): s.output or "–",
            t("scope", lang): t(f"scope_{s.scope}", lang),
        })
    return pd.DataFrame(rows)
