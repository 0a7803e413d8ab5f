"""Plotly figures: pure functions ``DataFrame -> Figure``, no Streamlit, no SQL.

Names, vocabulary labels and colours come from the store's :class:`~dashboard.catalog.Catalog`
(one colour per lane, agency, status, deviation kind), so the same lane or status has the same
colour on every page. Numbers follow the language (``layout.separators``); month axes are
labelled with :func:`dashboard.fmt.month_label`.

Plotly reads a few HTML tags in any text it draws (``<a href>``, ``<b>``, ``<br>``...), data
included (axis categories, legend names, hover values): every figure leaves through
:func:`_layout`, which makes the data's text inert (:func:`inert_text`), so a lane or a case
id holding ``<a href="http://…">`` is drawn as typed and links nowhere.
"""

from __future__ import annotations

import copy
import functools
import math
import textwrap
from datetime import date
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import fmt, theme
from dashboard.catalog import Catalog, agency_short
from dashboard.i18n import t

PANEL_GAP = 0.1          # share of the width between two side-by-side panels
WIP_TOP = 8              # lanes drawn on the WIP chart; the others summed as one line
LABEL_WIDTH = 26         # characters per line of a long category label (lane, step)
# A line break our code puts into a label: data text is made inert (``<br>`` typed in data is
# drawn as typed), so code breaks lines with this character, which leaves as ``<br>``.
LINE_BREAK = "\u2028"


def wrap(text: str, width: int = LABEL_WIDTH, lines: int = 2) -> str:
    """A long axis label on at most ``lines`` lines (:data:`LINE_BREAK`), so it takes less of
    the width."""
    parts = textwrap.wrap(str(text), width) or [""]
    if len(parts) > lines:
        parts = [*parts[:lines - 1], textwrap.shorten(" ".join(parts[lines - 1:]), width, placeholder=" …")]
    return LINE_BREAK.join(parts)
# trace attributes that carry data Plotly draws as text (hovertemplate is ours, never data)
_DATA_TEXT = ("x", "y", "text", "customdata", "name", "labels", "hovertext")
_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def inert_text(value: Any) -> Any:
    """Strings (inside lists and arrays too) with ``& < >`` as entities: Plotly draws
    ``&lt;b&gt;`` as ``<b>``, never as a tag; :data:`LINE_BREAK` becomes ``<br>``; other values
    as they are."""
    if isinstance(value, str):
        return value.translate(_HTML).replace(LINE_BREAK, "<br>")
    if isinstance(value, list | tuple) or (hasattr(value, "dtype") and value.dtype == object):
        return [inert_text(v) for v in value]
    return value


def _inert(fig: go.Figure) -> go.Figure:
    for trace in fig.data:
        for attr in _DATA_TEXT:
            value = getattr(trace, attr, None) if attr in trace else None
            if value is not None:
                trace[attr] = inert_text(value)
    for axis in ("xaxis", "yaxis"):
        for name in [k for k in fig.layout if k.startswith(axis)]:
            if fig.layout[name].categoryarray is not None:  # must name the categories as drawn
                fig.layout[name].categoryarray = inert_text(list(fig.layout[name].categoryarray))
    return fig


def _base_layout(lang: str, height: int, legend: bool) -> dict[str, Any]:
    return {"height": height, "separators": theme.plotly_separators(lang),
            "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
            "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0}, "showlegend": legend,
            "hoverlabel": {"namelength": -1}}


def _layout(fig: go.Figure, lang: str, height: int = 380, legend: bool = True) -> go.Figure:
    _inert(fig)
    fig.update_layout(**_base_layout(lang, height, legend))
    return fig


def _text_values(value: Any) -> Any:
    """A column as Plotly stores it before it is made inert: text as a list, numbers as they are."""
    if isinstance(value, pd.Series | pd.Index):
        return list(value) if value.dtype == object or pd.api.types.is_string_dtype(value) else value
    return value


def _merge(into: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """``update`` merged into ``into`` as ``Figure.update_layout`` does (nested dicts key by key)."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value
    return into


def _figure(traces: list[dict[str, Any]], layout: dict[str, Any], lang: str, height: int = 380,
            legend: bool = True, after: dict[str, Any] | None = None) -> go.Figure:
    """The figure of ``traces`` (dicts with their ``type``) and ``layout``, built in one go: the
    same figure as adding each trace and updating the layout step by step, then :func:`_layout`
    (data text inert, the common layout, then ``after``), for a fraction of the time (Plotly
    validates every property once instead of on each update)."""
    for trace in traces:
        for attr in _DATA_TEXT:
            if trace.get(attr) is not None:
                trace[attr] = inert_text(_text_values(trace[attr]))
    for name, axis in layout.items():
        if name.startswith(("xaxis", "yaxis")) and axis.get("categoryarray") is not None:
            axis["categoryarray"] = inert_text(list(axis["categoryarray"]))
    _merge(layout, _base_layout(lang, height, legend))
    _merge(layout, after or {})
    return go.Figure(data=traces, layout=layout)


@functools.lru_cache(maxsize=64)
def _grid(rows: int, cols: int, titles: tuple[str, ...], **options: Any) -> tuple[dict[str, Any], dict]:
    """``make_subplots(rows, cols, subplot_titles=titles, **options)`` once per process: its
    layout (axes, domains, titles; no template) and each cell's axis pair ``(x, y)``."""
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles,
                        **{k: list(v) if isinstance(v, tuple) else v for k, v in options.items()})
    cells = {}
    for r in range(1, rows + 1):
        for c in range(1, cols + 1):
            fig.add_scatter(row=r, col=c)
            cells[r, c] = (fig.data[-1].xaxis, fig.data[-1].yaxis)
    layout = fig.to_dict()["layout"]
    layout.pop("template", None)
    return layout, cells


def _subplots(rows: int, cols: int, titles: tuple[str, ...], **options: Any) -> tuple[dict[str, Any], dict]:
    """A fresh copy of :func:`_grid`'s layout (the figure's to change) and the cells' axes."""
    layout, cells = _grid(rows, cols, tuple(titles), **options)
    return copy.deepcopy(layout), cells


def _axis(ref: str) -> str:
    """``x2`` -> ``xaxis2``: the layout key of a trace's axis reference."""
    return f"{ref[0]}axis{ref[1:]}"


def _months(values: pd.Series, lang: str) -> list[str]:
    return [fmt.month_label(pd.Timestamp(v), lang) for v in values]


def _sop_label(row: pd.Series, cat: Catalog) -> str:
    return f"{agency_short(row['agency'])} · {cat.sop_title(row['sop_id'], 34)}"


def paired_shares(df: pd.DataFrame, columns: tuple[str, str], titles: tuple[str, str], cat: Catalog,
                  lang: str, percent: tuple[bool, bool] = (True, True),
                  counts: tuple[tuple[str, str] | None, tuple[str, str] | None] = (None, None)) -> go.Figure:
    """Agencies side by side: two horizontal bar panels of values in [0, 1] (shares, or a
    fitness when ``percent`` is False for that panel), one bar per agency and SOP; a share
    with ``counts`` (its numerator and denominator columns) reads ``72% (134 dari 186)``."""
    df = df.sort_values(["agency", "sop_id"], ascending=False)
    labels = [_sop_label(r, cat) for _, r in df.iterrows()]
    colours = [cat.sop_color(s) for s in df["sop_id"]]  # two SOPs of one agency differ
    # a wide gap: the left panel's "100%" and the right panel's "0%" must not touch
    layout, cells = _subplots(1, 2, titles, shared_yaxes=True, horizontal_spacing=PANEL_GAP)
    traces = []
    for i, column in enumerate(columns, start=1):
        values = df[column].astype(float)
        text = [fmt.percent(v, 0, lang) if percent[i - 1] else fmt.number(v, 3, lang) for v in values]
        if counts[i - 1] is not None:
            n, of = counts[i - 1]
            text = [f"{x} ({fmt.count_of(a, b, lang)})" for x, a, b in zip(text, df[n], df[of], strict=True)]
        x, y = cells[1, i]
        traces.append({"type": "bar", "x": values, "y": labels, "orientation": "h", "marker": {"color": colours},
                       "name": titles[i - 1], "text": text, "textposition": "auto",
                       "hovertemplate": "%{y}: %{text}<extra></extra>", "xaxis": x, "yaxis": y})
        layout[_axis(x)] |= {"range": [0, 1], "tickformat": ".0%" if percent[i - 1] else ".1f"}
    return _figure(traces, layout, lang, height=120 + 34 * len(df), legend=False)


def trend(df: pd.DataFrame, cat: Catalog, lang: str, incomplete: date | None = None) -> go.Figure:
    """Monthly trend by month of completion, one line per agency and SOP: the share within
    Mutu Baku (with its counts) against the SOP's target (dashed; one grey line when every
    target is the same), above the cases closed per month; the month the as-of falls in, when
    not over, is shaded "incomplete"."""
    layout, cells = _subplots(2, 1, (t("share_on_time", lang), t("cases_closed_in_month", lang)),
                              shared_xaxes=True, row_heights=(0.64, 0.36), vertical_spacing=0.08)
    (x1, y1), (x2, y2) = cells[1, 1], cells[2, 1]
    months = sorted(df["month"].unique())
    order = _months(pd.Series(months), lang)
    symbols = ("circle", "diamond", "square", "triangle-up", "x")
    same_target = df["target"].nunique() <= 1
    traces = []
    for k, ((agency, sop), rows) in enumerate(df.groupby(["agency", "sop_id"], sort=True)):
        rows = rows.sort_values("month")
        x = _months(rows["month"], lang)
        colour = cat.agency_color(agency)
        name = f"{agency_short(agency)} · {cat.sop_title(sop, 28)}"
        counts = [fmt.count_of(n, of, lang) for n, of in zip(rows["on_time"], rows["closed"], strict=True)]
        traces.append({"type": "scatter", "x": x, "y": rows["on_time_share"], "mode": "lines+markers", "name": name,
                       "line": {"color": colour}, "marker": {"symbol": symbols[k % len(symbols)], "size": 7},
                       "legendgroup": name, "customdata": counts, "xaxis": x1, "yaxis": y1,
                       "hovertemplate": "%{x}: %{y:.1%} (%{customdata})<extra>" + name + "</extra>"})
        if not same_target:
            traces.append({"type": "scatter", "x": x, "y": rows["target"], "mode": "lines",
                           "line": {"color": colour, "dash": "dash", "width": 1},
                           "name": t("target_line", lang, share=fmt.percent(rows["target"].iloc[-1], 0, lang)),
                           "legendgroup": name, "showlegend": False, "xaxis": x1, "yaxis": y1,
                           "hovertemplate": "%{x}: %{y:.0%}<extra>" + t("target", lang) + " · " + name + "</extra>"})
        traces.append({"type": "bar", "x": x, "y": rows["closed"], "marker": {"color": colour}, "name": name,
                       "legendgroup": name, "showlegend": False, "xaxis": x2, "yaxis": y2,
                       "hovertemplate": "%{x}: %{y}<extra>" + name + "</extra>"})
    if same_target and len(df):
        share = float(df["target"].iloc[0])
        traces.append({"type": "scatter", "x": order, "y": [share] * len(order), "mode": "lines",
                       "line": {"color": theme.TARGET_COLOR, "dash": "dash", "width": 2},
                       "name": t("target_line", lang, share=fmt.percent(share, 0, lang)),
                       "hovertemplate": "%{y:.0%}<extra>" + t("target", lang) + "</extra>", "xaxis": x1, "yaxis": y1})
    if incomplete is not None and pd.Timestamp(incomplete) in {pd.Timestamp(m) for m in months}:
        at = [pd.Timestamp(m) for m in months].index(pd.Timestamp(incomplete))
        layout["shapes"] = [{"type": "rect", "x0": at - 0.5, "x1": at + 0.5, "xref": x, "y0": 0, "y1": 1,
                             "yref": f"{y} domain", "fillcolor": theme.UNKNOWN_COLOR, "opacity": 0.15,
                             "line": {"width": 0}} for x, y in ((x1, y1), (x2, y2))]
        layout["annotations"].append({"x": order[at], "y": 1.0, "xref": x1, "yref": f"{y1} domain",
                                      "text": t("incomplete_month", lang), "showarrow": False,
                                      "yanchor": "bottom", "font": {"size": 11}})
    layout["barmode"] = "stack"
    layout[_axis(y1)] |= {"range": [0, 1.05], "tickformat": ".0%"}
    for ref in (x1, x2):
        layout[_axis(ref)] |= {"categoryorder": "array", "categoryarray": order}
    return _figure(traces, layout, lang, height=520, after={"margin": {"t": 110}, "legend": {"y": 1.12}})


def breaches_by_step(df: pd.DataFrame, labels: list[str], cat: Catalog, lang: str, top: int = 15) -> go.Figure:
    """Stacked horizontal bars: violations per step, coloured by status (the statuses that
    count as violations in the store's vocabulary)."""
    df = df.assign(label=labels).loc[lambda d: d["violations"] > 0].nlargest(top, "violations").iloc[::-1]
    fig = go.Figure()
    for status in cat.keys("step_status", "is_violation"):
        name = cat.label("step_status", status, lang)
        fig.add_bar(x=[(m or {}).get(status, 0) for m in df["statuses"]], y=df["label"], orientation="h",
                    name=name, marker_color=cat.color("step_status", status),
                    hovertemplate="%{y}: %{x}<extra>" + name + "</extra>")
    fig.update_layout(barmode="stack", xaxis_title=t("step_occurrences", lang))
    fig.update_yaxes(automargin=True, tickfont={"size": 10})
    fig.update_xaxes(automargin=True)
    lines = max((str(label).count(LINE_BREAK) + 1 for label in df["label"]), default=1)
    return _layout(fig, lang, height=140 + (28 if lines == 1 else 40) * len(df))


def breach_rate_by_lane(df: pd.DataFrame, cat: Catalog, lang: str) -> go.Figure:
    """Horizontal bars: the breach rate per lane (lane colours), with its counts."""
    df = df.sort_values("breach_rate")
    # lane on one line, agency on the next: long "lane (agency)" labels squashed the bars
    labels = [f"{wrap(lane, LABEL_WIDTH, 1)}{LINE_BREAK}({agency_short(a)})"
              for lane, a in zip(df["lane"], df["agency"], strict=True)]
    fig = go.Figure(go.Bar(
        x=df["breach_rate"], y=labels, orientation="h", hovertext=list(df["lane"]),
        marker_color=[cat.lane_color(x) for x in df["lane"]],
        text=[f"{fmt.percent(v, 1, lang)} ({fmt.count_of(n, j, lang)})"
              for v, n, j in zip(df["breach_rate"], df["violations"], df["judged"], strict=True)],
        textposition="outside", cliponaxis=False, hovertemplate="%{y}: %{text}<extra></extra>",
    ))
    # room right of the longest bar for its label ("5,6% (13 dari 232)")
    top = float(df["breach_rate"].max()) if len(df) and df["breach_rate"].notna().any() else 0.0
    fig.update_xaxes(tickformat=".0%", title=t("breach_rate", lang), range=[0, max(top * 2.2, 0.01)],
                     nticks=5, automargin=True)
    fig.update_yaxes(automargin=True, tickfont={"size": 10})
    return _layout(fig, lang, height=140 + 36 * len(df), legend=False)


def overrun_histogram(df: pd.DataFrame, bin_labels: list[str], cat: Catalog, lang: str) -> go.Figure:
    """How far over their standard breached steps ran (elapsed / standard, binned)."""
    counts = dict(zip(df["bin"].astype(int), df["n"], strict=True))
    y = [counts.get(i, 0) for i in range(len(bin_labels))]
    fig = go.Figure(go.Bar(x=bin_labels, y=y, marker_color=cat.color("step_status", "breach"),
                           hovertemplate="%{x}: %{y}<extra></extra>"))
    fig.update_layout(xaxis_title=t("overrun_ratio", lang), yaxis_title=t("step_occurrences", lang))
    fig.update_xaxes(tickangle=0, tickfont={"size": 10}, automargin=True)  # short labels, level
    return _layout(fig, lang, height=330, legend=False)


def waiting_vs_processing(df: pd.DataFrame, cat: Catalog, lang: str) -> go.Figure:
    """Per lane: median waiting (hatched) and processing (solid) in working hours."""
    df = df.assign(total=df["waiting_wm"].fillna(0) + df["processing_wm"].fillna(0)).sort_values("total")
    labels = [f"{lane} ({agency_short(a)})" for lane, a in zip(df["lane"], df["agency"], strict=True)]
    colours = [cat.lane_color(x) for x in df["lane"]]
    days = [cat.day_minutes(s) for s in df["sop_id"]]
    fig = go.Figure()
    for column, key, pattern, opacity in (("waiting_wm", "waiting", "/", theme.WAITING_OPACITY),
                                          ("processing_wm", "processing", "", 1.0)):
        minutes = df[column]
        fig.add_bar(x=minutes / 60, y=labels, orientation="h", name=t(key, lang),
                    marker={"color": colours, "opacity": opacity, "pattern": {"shape": pattern}},
                    customdata=[fmt.working_minutes(v, lang, day_minutes=d) for v, d in zip(minutes, days, strict=True)],
                    hovertemplate="%{y}: %{customdata}<extra>" + t(key, lang) + "</extra>")
    fig.update_layout(barmode="stack", xaxis_title=t("working_hours", lang))
    return _layout(fig, lang, height=150 + 30 * len(df))


def wip_over_time(df: pd.DataFrame, cat: Catalog, lang: str) -> go.Figure:
    """Average work in progress per month, one line per lane (and agency)."""
    fig = go.Figure()
    order = _months(pd.Series(sorted(df["month"].unique())), lang)
    # markers as well as lines: a period of one month has one point per lane (a line of one
    # point draws nothing)
    mode = "lines+markers" if len(order) <= 3 else "lines"
    for name, colour, rows in wip_series(df, cat, lang):
        fig.add_scatter(x=_months(rows["month"], lang), y=rows["avg_wip"], mode=mode, name=name,
                        line_color=colour)
    fig.update_xaxes(categoryorder="array", categoryarray=order)
    fig.update_yaxes(title=t("avg_wip", lang))
    _layout(fig, lang, height=420)
    fig.update_layout(legend={"orientation": "v", "x": 1.02, "y": 1, "yanchor": "top"})
    return fig


def wip_series(df: pd.DataFrame, cat: Catalog, lang: str,
               top: int = WIP_TOP) -> list[tuple[str, str, pd.DataFrame]]:
    """(name, colour, monthly rows) per line of the WIP chart: the ``top`` lanes (and agencies)
    with the most work in progress, then one grey line summing all the others."""
    weight = df.groupby(["agency", "lane"])["avg_wip"].mean().sort_values(ascending=False)
    keep = list(weight.index[:top])
    out = []
    for agency, lane in keep:
        rows = df[(df["agency"] == agency) & (df["lane"] == lane)].sort_values("month")
        out.append((f"{lane} ({agency_short(agency)})", cat.lane_color(lane), rows))
    rest = df[~df.set_index(["agency", "lane"]).index.isin(keep)]
    if len(rest):
        rows = rest.groupby("month", as_index=False)["avg_wip"].sum().sort_values("month")
        n = len(weight) - len(keep)
        out.append((t("wip_others", lang, n=n), theme.OTHER_PATH_COLOR, rows))
    return out


def handover_heatmap(df: pd.DataFrame, cat: Catalog, lang: str) -> go.Figure:
    """Handovers between lanes: rows hand over to columns; colour = count."""
    many = df["agency"].nunique() > 1

    def name(lane: str, agency: str) -> str:
        return f"{lane} ({agency_short(agency)})" if many else lane

    df = df.assign(src=[name(a, b) for a, b in zip(df["from_lane"], df["agency"], strict=True)],
                   dst=[name(a, b) for a, b in zip(df["to_lane"], df["agency"], strict=True)])
    lanes = sorted(set(df["src"]) | set(df["dst"]))
    counts = df.pivot_table(index="src", columns="dst", values="n", aggfunc="sum").reindex(index=lanes, columns=lanes)
    delays = df.pivot_table(index="src", columns="dst", values="delay_wm", aggfunc="mean").reindex(index=lanes, columns=lanes)
    day_minutes = cat.day_minutes(df["sop_id"].iloc[0]) if len(df) else None
    text = [[fmt.working_minutes(v, lang, day_minutes=day_minutes) if not pd.isna(v) else "" for v in row]
            for row in delays.to_numpy()]
    fig = go.Figure(go.Heatmap(
        z=counts.to_numpy(dtype=float), x=lanes, y=lanes, colorscale="Blues", customdata=text,
        hovertemplate=t("from", lang) + " %{y}<br>" + t("to", lang) + " %{x}<br>n = %{z}<br>"
        + t("median_delay", lang) + ": %{customdata}<extra></extra>",
        texttemplate="%{z}", colorbar={"title": "n"},
        zmin=0,  # the scale starts at no handover, not at the smallest count
    ))
    fig.update_layout(xaxis_title=t("to_lane", lang), yaxis_title=t("from_lane", lang))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, lang, height=180 + 42 * len(lanes), legend=False)


def deviation_kinds(df: pd.DataFrame, cat: Catalog, lang: str) -> go.Figure:
    """Horizontal bars: deviations per kind (cases in the hover)."""
    df = df.sort_values("n")
    names = [cat.label("deviation_kinds", k, lang) for k in df["kind"]]
    fig = go.Figure(go.Bar(
        x=df["n"], y=names, orientation="h", marker_color=[cat.color("deviation_kinds", k) for k in df["kind"]],
        customdata=df["cases"], hovertemplate="%{y}: %{x} (" + t("cases", lang) + ": %{customdata})<extra></extra>",
    ))
    fig.update_xaxes(title=t("deviations", lang))
    return _layout(fig, lang, height=120 + 32 * len(df), legend=False)


def variants(df: pd.DataFrame, labels: list[str], lang: str) -> go.Figure:
    """Cases per variant; the SOP path green, variants of cases still running light blue
    (judged so far), others grey."""
    opened = df["is_open"] if "is_open" in df else [False] * len(df)
    colours = [theme.OPEN_PATH_COLOR if o else theme.SOP_PATH_COLOR if p else theme.OTHER_PATH_COLOR
               for p, o in zip(df["is_sop_path"], opened, strict=True)]
    fig = go.Figure(go.Bar(
        x=df["cases"][::-1], y=labels[::-1], orientation="h", marker_color=colours[::-1],
        text=[fmt.percent(v, 1, lang) for v in df["share"][::-1]], textposition="auto",
        hovertemplate="%{y}: %{x} (%{text})<extra></extra>",
    ))
    fig.update_xaxes(title=t("cases", lang))
    return _layout(fig, lang, height=120 + 28 * len(df), legend=False)


def case_gantt(segments: pd.DataFrame, order: list[tuple[str, str]], cat: Catalog, lang: str) -> go.Figure:
    """One case's timeline: a row per SOP step grouped by lane, waiting then work, by status.

    ``segments``: label, lane, kind (waiting | work), start, end, status, hover; ``order`` the
    (lane, step label) rows top to bottom: steps of the SOP the case never did stay as empty
    rows, so gaps against the SOP are visible.
    """
    fig = go.Figure()
    rows = order[::-1]
    # an invisible trace fixes every row and its order on the two-level (lane, step) axis
    fig.add_scatter(x=[segments["start"].min()] * len(rows) if len(segments) else [None] * len(rows),
                    y=[[r[0] for r in rows], [r[1] for r in rows]], mode="markers",
                    marker={"opacity": 0}, showlegend=False, hoverinfo="skip")
    for kind in ("waiting", "work"):
        part = segments[segments["kind"] == kind]
        for status, group in part.groupby("status", sort=False):
            ms = (group["end"] - group["start"]).dt.total_seconds() * 1000
            name = t("waiting", lang) if kind == "waiting" else cat.label("step_status", status, lang)
            fig.add_bar(
                base=group["start"], x=ms, y=[list(group["lane"].fillna("–")), list(group["label"])],
                orientation="h", name=name,
                marker={"color": cat.color("step_status", status) if kind == "work" else theme.UNKNOWN_COLOR,
                        "opacity": theme.WAITING_OPACITY if kind == "waiting" else 1.0,
                        "pattern": {"shape": "/" if kind == "waiting" else ""}},
                customdata=group["hover"], hovertemplate="%{y}<br>%{customdata}<extra></extra>",
                legendgroup=name, showlegend=not any(tr.name == name for tr in fig.data),
            )
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(type="date", tickformat="%d/%m %H:%M")
    return _layout(fig, lang, height=max(240, 100 + 28 * len(order)))


def ratio_label(lo: float, hi: float, lang: str) -> str:
    """``1–1,25×`` / ``≥ 10×`` for an overrun bin."""
    def short(v: float) -> str:  # 1 -> "1", 1.25 -> "1,25", 1.5 -> "1,5": short tick labels
        text = fmt.number(v, 2, lang)
        return text.rstrip("0").rstrip(",.") if ("," in text or "." in text) else text

    if math.isinf(hi):
        return f"≥ {short(lo)}×"
    return f"{short(lo)}–{short(hi)}×"
