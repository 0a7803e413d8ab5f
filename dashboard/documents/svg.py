"""Static charts for printed documents, drawn as SVG text: no browser, no plotting library.

Why not plotly: its static export (kaleido) needs Chrome, which a CLI run or CI cannot count
on; matplotlib would add a large dependency and ~0.5 s of import to every report for two
simple charts. These are a few lines of SVG that WeasyPrint prints as vectors (sharp at any
zoom), byte-identical for the same figures. Every text passes :func:`render.escape`.
"""

from __future__ import annotations

from dashboard import fmt, theme
from dashboard.documents.render import escape

WIDTH, LINE_H, BAR_H, LEFT, BOTTOM = 680, 110, 42, 44, 20
LINE_COLOR, BAR_COLOR, TARGET_COLOR, GRID = "#1d3557", "#90a4ae", theme.BAD, "#dddddd"


def _text(x: float, y: float, text: str, *, size: float = 9, anchor: str = "middle",
          color: str = "#333") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'fill="{color}">{escape(text)}</text>')


def trend(months: list[str], shares: list[float | None], cases: list[int], target: float | None,
          lang: str, *, share_title: str, cases_title: str, target_label: str) -> str:
    """On-time share per month (a line, with the target dashed) above cases started (bars)."""
    n = max(len(months), 1)
    step = (WIDTH - LEFT - 10) / n
    top = 16
    height = top + LINE_H + 18 + BAR_H + BOTTOM
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
             f'width="100%" font-family="DejaVu Sans, sans-serif">',
             _text(LEFT, 10, share_title, anchor="start", size=9.5, color="#111")]

    def y_share(v: float) -> float:
        return top + LINE_H * (1 - v)

    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = y_share(tick)
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - 10}" y2="{y:.1f}" stroke="{GRID}" '
                     'stroke-width="0.7"/>')
        parts.append(_text(LEFT - 4, y + 3, fmt.percent(tick, 0, lang), anchor="end", size=8))
    if target is not None:
        y = y_share(target)
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - 10}" y2="{y:.1f}" '
                     f'stroke="{TARGET_COLOR}" stroke-width="1.2" stroke-dasharray="5,3"/>')
        parts.append(_text(WIDTH - 12, y - 3, f"{target_label} {fmt.percent(target, 0, lang)}",
                           anchor="end", size=8, color=TARGET_COLOR))
    points = [(LEFT + step * (i + 0.5), y_share(v)) for i, v in enumerate(shares) if v is not None]
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{LINE_COLOR}" stroke-width="1.8"/>')
    for (x, y), v in zip(points, [v for v in shares if v is not None], strict=True):
        colour = LINE_COLOR if target is None or v >= target else TARGET_COLOR
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.6" fill="{colour}"/>')
        parts.append(_text(x, y - 5, fmt.percent(v, 0, lang), size=7, color=colour))
    base = top + LINE_H + 18 + BAR_H
    parts.append(_text(LEFT, top + LINE_H + 14, cases_title, anchor="start", size=9.5, color="#111"))
    most = max([c for c in cases if c] or [1])
    for i, c in enumerate(cases):
        h = BAR_H * 0.85 * (c or 0) / most
        x = LEFT + step * i + step * 0.15
        parts.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
                     f'fill="{BAR_COLOR}"/>')
        parts.append(_text(x + step * 0.35, base - h - 2, fmt.number(c or 0, 0, lang), size=7))
    for i, label in enumerate(months):
        parts.append(_text(LEFT + step * (i + 0.5), base + 13, label, size=8))
    parts.append("</svg>")
    return "".join(parts)


def bar(share: float | None, *, colour: str = LINE_COLOR, width_mm: float = 28) -> str:
    """A small horizontal bar for a share in [0, 1], to sit in a table cell."""
    value = 0.0 if share is None else max(0.0, min(1.0, float(share)))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 8" width="{width_mm}mm" '
            f'height="2.4mm"><rect x="0" y="0" width="100" height="8" fill="#eeeeee"/>'
            f'<rect x="0" y="0" width="{value * 100:.1f}" height="8" fill="{colour}"/></svg>')
