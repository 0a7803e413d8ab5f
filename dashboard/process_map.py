"""The discovered process map of one SOP as Graphviz DOT (drawn by ``st.graphviz_chart``).

Nodes are the SOP's steps, grouped in one cluster per lane (Pelaksana) in the model's lane
order, with the number of occurrences and the median duration; arcs are directly-follows
relations observed in ``step_checks`` with their frequency and median time. Nodes and arcs
are coloured by breach rate (green < 5% <= amber < 15% <= red < 30% <= dark red), arc width
grows with frequency. Steps of the SOP never observed are drawn dashed. Pure: DataFrames in,
text out; ``st.graphviz_chart`` renders DOT in the browser, no Graphviz binary needed.
"""

from __future__ import annotations

import math
import textwrap

import pandas as pd

from dashboard import fmt, theme
from dashboard.catalog import Catalog, ModelInfo
from dashboard.i18n import t

START, END = "__start__", "__end__"
WIDE_STEPS = 6  # case steps drawn left to right; more are drawn top to bottom


def _q(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _label(*lines: str) -> str:
    # DOT's own line break is the two characters backslash-n inside a quoted string
    return '"' + "\\n".join(str(x).replace("\\", "\\\\").replace('"', '\\"') for x in lines) + '"'


def _width(n: float, top: float) -> float:
    if top <= 0 or n <= 0:
        return 1.0
    return round(1.0 + 4.0 * math.log1p(n) / math.log1p(top), 2)


def process_map_dot(model: ModelInfo, nodes: pd.DataFrame, arcs: pd.DataFrame, cat: Catalog, lang: str,
                    min_share: float = 0.0) -> str:
    """DOT source of the process map; ``min_share`` hides arcs rarer than that share of cases."""
    stats = {r.step_id: r for r in nodes.itertuples(index=False)}
    starts = arcs.loc[arcs["src"] == START, "n"].sum() if len(arcs) else 0
    if min_share > 0 and starts:
        arcs = arcs[arcs["n"] >= min_share * starts]
    seen = set(stats)
    # left to right fits a short SOP; a long one drawn so is scaled down until unreadable at
    # 1440 px, top to bottom keeps its text size (the page scrolls instead)
    direction = "LR" if len(model.case_steps) <= WIDE_STEPS else "TB"
    lines = [
        f"digraph {_q(model.sop_id)} {{",
        f'  graph [rankdir={direction}, fontname="Helvetica", fontsize=10, nodesep=0.45, ranksep=0.5, forcelabels=true];',
        '  node [fontname="Helvetica", fontsize=9, shape=box, style="rounded,filled"];',
        '  edge [fontname="Helvetica", fontsize=8, arrowsize=0.7];',
        f'  {_q(START)} [shape=circle, label="", width=0.25, fillcolor="#2e7d32", color="#2e7d32"];',
        f'  {_q(END)} [shape=doublecircle, label="", width=0.2, fillcolor="#424242", color="#424242"];',
    ]
    lanes = list(model.lanes) + sorted({s.lane for s in model.case_steps} - set(model.lanes))
    for i, lane in enumerate(lanes):
        steps = [s for s in model.case_steps if s.lane == lane]
        if not steps:
            continue
        colour = cat.lane_color(lane)
        lines.append(f"  subgraph cluster_{i} {{")
        lines.append(f'    label={_q(lane)}; style="rounded"; color="{colour}"; fontcolor="{colour}"; penwidth=1.5;')
        for step in steps:
            name = textwrap.wrap(step.name, 26)[:3]
            if step.step_id in stats:
                r = stats[step.step_id]
                rate = theme.rate_color(r.breach_rate)
                facts = (f"n = {fmt.number(r.n, 0, lang)} · {fmt.duration(r.median_min, lang)}",
                         f"{t('breach_rate', lang)} {fmt.percent(r.breach_rate, 0, lang)}")
                attrs = f'fillcolor="{rate}22", color="{rate}", penwidth=2'
            else:
                facts = (t("not_observed", lang),)
                attrs = 'fillcolor="#ffffff", color="#9e9e9e", style="rounded,dashed"'
            lines.append(f"    {_q(step.step_id)} [label={_label(step.printed_no or step.step_id, *name, *facts)}, {attrs}];")
        lines.append("  }")
    top = float(arcs["n"].max()) if len(arcs) else 0.0
    pairs = {(r.src, r.dst): r.n for r in arcs.itertuples(index=False)}
    for r in arcs.itertuples(index=False):
        if r.src not in seen | {START} or r.dst not in seen | {END}:
            continue  # an arc to a step not drawn (unmapped or program-scope): left out
        colour = theme.rate_color(r.breach_rate) if r.dst != END else "#616161"
        text = fmt.number(r.n, 0, lang)
        if r.dst != END and not pd.isna(r.median_min):
            text += f"\\n{fmt.duration(r.median_min, lang)}"
        # two arcs between the same steps (s04 -> s05 and back) run side by side: mid-way labels
        # are drawn over each other. Each leaves from its own side of the nodes (the more
        # frequent on the left, the rarer on the right) with an external label, which Graphviz
        # places after the layout where it overlaps no node and no other label.
        back = pairs.get((r.dst, r.src))
        where, extra = "label", ""
        if back is not None and r.src != r.dst:
            side = "e" if (r.n, r.src) < (back, r.dst) else "w"
            where, extra = "xlabel", f", tailport={side}, headport={side}"
        lines.append(f'  {_q(r.src)} -> {_q(r.dst)} [{where}="{text}", color="{colour}", '
                     f'fontcolor="{colour}", penwidth={_width(r.n, top)}{extra}];')
    lines.append("}")
    return "\n".join(lines)
