"""How long the monthly report of one agency-month takes (target: <= 5 s at 1M cases).

    .venv/bin/python bench/report_bench.py --db FILE [--agency NAME] [--month YYYY-MM] [--repeat 3]

The agency defaults to the one with the most cases and the month to its last full month. Each
repeat opens a fresh read-only connection (a first visitor: nothing cached) and times, wall and
CPU (user+sys of this process, since the machine is shared), the three stages the CLI and the
Ringkasan download run: gathering the figures through the dashboard's queries, laying out the
HTML, printing the PDF (WeasyPrint). Build the 1M store once with
``pantau demo --db FILE --cases 1000000`` (bench/README.md). Prints a Markdown table and writes
``bench/results/report.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "report.json"
TARGET_S = 5.0  # issue 15: one agency-month at 1M cases


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def _pages(pdf: bytes) -> int | None:
    """The PDF's page count (poppler's pdfinfo), None without it."""
    import re
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        try:
            info = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return None
    found = re.search(r"Pages:\s+(\d+)", info)
    return int(found.group(1)) if found else None


def _pick(db: Path) -> tuple[str, str]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        agency, last = con.execute("""SELECT agency, max(first_day) FROM case_checks GROUP BY agency
                                      ORDER BY count(*) DESC, agency LIMIT 1""").fetchone()
    finally:
        con.close()
    month = (last.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    return agency, month


def measure(db: Path, agency: str, month: str, repeat: int) -> dict:
    """Wall and CPU seconds per stage, each repeat on a fresh connection."""
    from dashboard.documents import monthly, monthly_html
    from event_logs.store import open_store

    start, end = monthly.month_bounds(month)
    runs = []
    for _ in range(repeat):
        stages = {}
        w, c = time.perf_counter(), _cpu()
        con = open_store(db)
        try:
            report = monthly.gather(con, agency, start, end, "id")
        finally:
            con.close()
        stages["gather"] = (time.perf_counter() - w, _cpu() - c)
        created = datetime.now(UTC)
        w, c = time.perf_counter(), _cpu()
        html = monthly_html.to_html(report, created)
        stages["html"] = (time.perf_counter() - w, _cpu() - c)
        w, c = time.perf_counter(), _cpu()
        pdf = monthly_html.to_pdf_bytes(report, created)
        stages["pdf"] = (time.perf_counter() - w, _cpu() - c)
        runs.append({"stages": stages, "html_bytes": len(html), "pdf_bytes": len(pdf),
                     "pages": _pages(pdf)})
    summary = {}
    for stage in ("gather", "html", "pdf"):
        summary[stage] = {"wall_s": round(statistics.median(r["stages"][stage][0] for r in runs), 3),
                          "cpu_s": round(statistics.median(r["stages"][stage][1] for r in runs), 3)}
    total = [sum(r["stages"][s][0] for s in r["stages"]) for r in runs]
    return {"db": str(db), "agency": agency, "month": month, "repeat": repeat, "stages": summary,
            "total_wall_s": round(statistics.median(total), 3), "total_wall_max_s": round(max(total), 3),
            "target_s": TARGET_S, "pages": runs[-1]["pages"], "pdf_bytes": runs[-1]["pdf_bytes"]}


def main() -> int:
    """Measure, print and save."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--agency")
    parser.add_argument("--month")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    agency, month = _pick(args.db)
    result = measure(args.db, args.agency or agency, args.month or month, args.repeat)
    import duckdb

    con = duckdb.connect(str(args.db), read_only=True)
    result["cases"] = con.execute("SELECT count(*) FROM case_checks").fetchone()[0]
    con.close()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{result['cases']:,} cases; {result['agency']}, {result['month']}: "
          f"{result['pages']} A4 pages, {result['pdf_bytes']:,} bytes")
    print("\n| stage | wall (s) | CPU user+sys (s) |\n|---|---:|---:|")
    for stage, v in result["stages"].items():
        print(f"| {stage} | {v['wall_s']:.2f} | {v['cpu_s']:.2f} |")
    print(f"| total (median of {args.repeat}) | {result['total_wall_s']:.2f} | |")
    return 0 if result["total_wall_s"] <= TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
