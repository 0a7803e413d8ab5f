"""Findings in plain words: the bottleneck sentence of each SOP.

Pure: rows of ``queries.overview.bottlenecks`` in, Markdown lines out. Data strings (SOP titles,
step names, lane names) go through ``escape`` (the pages pass :func:`dashboard.ui.plain`), the
bold markers come from the text itself.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from dashboard import fmt
from dashboard.catalog import Catalog, agency_short
from dashboard.i18n import t


def bottleneck_lines(df: pd.DataFrame, cat: Catalog, lang: str, escape: Callable[[object], str] = str) -> list[str]:
    """One sentence per SOP and agency (its rank-1 step): "**Dinkes Kota Batam · Jaminan …**:
    langkah 6 · Meminta persetujuan … (Kepala Dinas) menambah 312 jam kerja di atas Mutu Baku
    pada 134 kasus.", the SOP adding the most hours first."""
    lines = []
    for r in df[df["rank"] == 1].sort_values("excess_hours", ascending=False).itertuples(index=False):
        lines.append(t("bottleneck_callout", lang,
                       sop=escape(f"{agency_short(r.agency)} · {cat.sop_title(r.sop_id, 60)}"),
                       step=escape(cat.step_label(r.sop_id, r.step_id, 60)), lane=escape(r.lane),
                       hours=fmt.number(r.excess_hours, hour_decimals(r.excess_hours), lang), cases=fmt.number(r.cases, 0, lang)))
    return lines


def hour_decimals(hours: float) -> int:
    """Whole hours from ten up; one decimal below (a 20-minute excess reads 0,3, not 0)."""
    return 0 if abs(hours) >= 10 else 1
