"""The benchmark's verdicts and its one table (rich on stdout, Markdown for the README).

Input is the results dict ``bench/run.py`` builds (also written to
``bench/results/latest.json``): ``runs`` (one per log size, each with its ``rows`` of
measurements) plus ``machine``. Pure functions: no measuring here.
"""

from __future__ import annotations

import itertools
from typing import Any

GB = 1e9
ANALYZE_TARGET_CASES = 1_000_000
ANALYZE_MAX_SECONDS = 60.0
ANALYZE_MAX_BYTES = 4 * GB
CONFORMANCE_MIN_SPEEDUP = 10.0
WHOLE_MIN_SPEEDUP = 3.0
COMPARE_CASES = 300_000
INGEST_MIN_ROWS_PER_S = 250_000  # bench/ingest_bench.py's targets (issue 10: with every check on)
INGEST_TARGET_ROWS = 1_000_000  # ... for a CSV of this many rows
INGEST_MAX_BYTES = 2 * GB
LINEAR_SLACK = 1.25  # time may grow at most 1.25x as fast as the events do
FITNESS_TOLERANCE = 1e-9

HEADERS = ("log", "measure", "wall s", "cpu s", "peak MB", "ratio", "events/s", "note")


def size_label(cases: int) -> str:
    """10000 -> '10k', 1000000 -> '1M'."""
    if cases >= 1_000_000 and cases % 1_000_000 == 0:
        return f"{cases // 1_000_000}M"
    if cases >= 1000 and cases % 1000 == 0:
        return f"{cases // 1000}k"
    return str(cases)


def _num(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:,.{digits}f}"


def _mb(x: int | None) -> str:
    return "—" if not x else f"{x / 1e6:,.0f}"


def _rate(n: int | None, seconds: float | None) -> str:
    return "—" if not n or not seconds else f"{n / seconds:,.0f}"


def table_rows(results: dict[str, Any]) -> list[list[str]]:
    """One row per (log, measure), strings ready to print."""
    out = []
    for run in results["runs"]:
        first = True
        for row in run["rows"]:
            out.append([
                run["label"] if first else "",
                row["measure"],
                _num(row.get("wall")),
                _num(row.get("cpu"), 1),
                _mb(row.get("peak_rss")),
                row.get("ratio") or "",
                _rate(row.get("events"), row.get("wall")),
                row.get("note") or "",
            ])
            first = False
    return out


def find(run: dict[str, Any], key: str) -> dict[str, Any] | None:
    """The row of ``run`` whose ``key`` matches (measures carry a stable ``key``)."""
    return next((r for r in run["rows"] if r.get("key") == key), None)


def conformance_wall(run: dict[str, Any]) -> float | None:
    """Seconds the conformance work of ``run`` took: the conformance stage plus pm4py's
    worker thread (which overlaps the mutu_baku stage, so the ratio against pm4py alone is
    not flattered by that overlap)."""
    row = find(run, "conformance_work") or find(run, "stage:conformance")
    return row.get("wall") if row else None


def growth(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Growth of analyze wall time and stage total between consecutive sizes, against events."""
    runs = [r for r in results["runs"] if r.get("in_sizes") and find(r, "analyze")]
    out = []
    for a, b in itertools.pairwise(runs):
        ev = b["log"]["events"] / a["log"]["events"]
        wall = find(b, "analyze")["wall"] / find(a, "analyze")["wall"]
        stages = find(b, "stages")["wall"] / find(a, "stages")["wall"]
        out.append({"from": a["label"], "to": b["label"], "events_x": ev, "wall_x": wall,
                    "stages_x": stages, "stages_per_event_x": stages / ev})
    return out


def _verdict(ok: bool | None) -> str:
    return "NOT MEASURED" if ok is None else ("PASS" if ok else "FAIL")


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """PASS / FAIL / NOT MEASURED for each target of the issue."""
    runs = results["runs"]
    out: list[dict[str, Any]] = []
    big = next((r for r in runs if r["log"]["cases"] >= 0.99 * ANALYZE_TARGET_CASES and find(r, "analyze")), None)
    if big:
        a = find(big, "analyze")
        out.append({"target": f"analyze 1M cases <= {ANALYZE_MAX_SECONDS:.0f} s",
                    "value": f"{a['wall']:.1f} s wall" + (f", {a['cpu']:.0f} s CPU" if a.get("cpu") else "")
                             + f" ({big['log']['cases']:,} cases, {big['log']['events']:,} events)",
                    "status": _verdict(a["wall"] <= ANALYZE_MAX_SECONDS)})
        out.append({"target": "analyze 1M cases peak memory <= 4 GB",
                    "value": f"{a['peak_rss'] / GB:.2f} GB", "status": _verdict(a["peak_rss"] <= ANALYZE_MAX_BYTES)})
    else:
        for t in ("analyze 1M cases <= 60 s", "analyze 1M cases peak memory <= 4 GB"):
            out.append({"target": t, "value": "no 1M run", "status": _verdict(None)})

    measured = [r for r in runs if r.get("equality") and find(r, "pm4py_total")]
    if measured:
        r = max(measured, key=lambda r: r["log"]["cases"])
        speedup = find(r, "pm4py_total")["wall"] / conformance_wall(r)
        each = ", ".join(f"{x['label']} {find(x, 'pm4py_total')['wall'] / conformance_wall(x):.1f}x"
                         for x in measured)
        out.append({"target": f">= {CONFORMANCE_MIN_SPEEDUP:.0f}x faster than pm4py on conformance (largest log)",
                    "value": f"{speedup:.1f}x at {r['label']} (per log: {each})",
                    "status": _verdict(speedup >= CONFORMANCE_MIN_SPEEDUP)})
        bad = [x for x in measured if not x["equality"]["equal"]]
        out.append({"target": "equal per-case fitness (alignment and token replay)",
                    "value": "; ".join(f"{x['label']}: {x['equality']['summary']}" for x in measured),
                    "status": _verdict(not bad)})
    else:
        out.append({"target": f">= {CONFORMANCE_MIN_SPEEDUP:.0f}x faster than pm4py on conformance",
                    "value": "pm4py not run", "status": _verdict(None)})

    cmp_run = next((r for r in runs if r.get("compare") and find(r, "pm4py_total")), None)
    if cmp_run:
        ratio = find(cmp_run, "pm4py_total")["wall"] / find(cmp_run, "analyze")["wall"]
        out.append({"target": f"whole pantau analyze >= {WHOLE_MIN_SPEEDUP:.0f}x faster than pm4py align+token "
                              f"({cmp_run['label']} cases)",
                    "value": f"{ratio:.2f}x (pm4py {find(cmp_run, 'pm4py_total')['wall']:.1f} s vs analyze "
                             f"{find(cmp_run, 'analyze')['wall']:.1f} s)",
                    "status": _verdict(ratio >= WHOLE_MIN_SPEEDUP)})
    else:
        out.append({"target": f"whole pantau analyze >= {WHOLE_MIN_SPEEDUP:.0f}x faster than pm4py (300k)",
                    "value": "not run", "status": _verdict(None)})

    ingested = [find(r, "ingest") for r in runs if (find(r, "ingest") or {}).get("wall")]
    if ingested:
        # the targets are set for a 1,000,000-row CSV (issue 3); other sizes are shown beside
        judged = next((i for i in ingested if i["events"] == INGEST_TARGET_ROWS),
                      max(ingested, key=lambda i: i["events"]))

        def figures(i: dict[str, Any]) -> str:
            return f"{i['events'] / i['wall']:,.0f} rows/s, {i['peak_rss'] / GB:.2f} GB ({i['events']:,} rows)"

        rate = judged["events"] / judged["wall"]
        others = [figures(i) for i in ingested if i is not judged]
        out.append({"target": f"ingest >= {INGEST_MIN_ROWS_PER_S:,} rows/s, <= 2 GB (ingest_bench's targets, "
                              f"{INGEST_TARGET_ROWS:,}-row CSV)",
                    "value": figures(judged) + (f"; also {'; '.join(others)}" if others else ""),
                    "status": _verdict(rate >= INGEST_MIN_ROWS_PER_S and judged["peak_rss"] <= INGEST_MAX_BYTES)})

    g = growth(results)
    if g:
        last = g[-1]
        out.append({"target": "cost linear in events",
                    "value": "; ".join(f"{x['from']}->{x['to']}: events x{x['events_x']:.1f}, stages x{x['stages_x']:.1f}, "
                                       f"CLI wall x{x['wall_x']:.1f}" for x in g),
                    "status": _verdict(last["stages_per_event_x"] <= LINEAR_SLACK)})
    else:
        out.append({"target": "cost linear in events", "value": "needs two sizes", "status": _verdict(None)})
    return out


def print_rich(results: dict[str, Any]) -> None:
    """The measurement table, the growth and the targets on stdout."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(150, Console().width), soft_wrap=False)
    m, code = results.get("machine", {}), results.get("code", {})
    console.print(f"machine: {m.get('cores')} cores, {m.get('mem_total', 0) / GB:.0f} GB RAM, shared; load average "
                  f"(1/5/15 min) at start {', '.join(f'{x:.2f}' for x in m.get('load', []))}, at end "
                  f"{', '.join(f'{x:.2f}' for x in m.get('load_end', []))}; code {code.get('head')} "
                  f"+ {code.get('dirty_files')} uncommitted file(s), sources {code.get('sources_sha256')}")
    table = Table(title="Pantau benchmark", show_lines=False)
    for i, h in enumerate(HEADERS):
        table.add_column(h, justify="right" if 2 <= i <= 6 else "left", overflow="fold")
    previous = None
    for row in table_rows(results):
        if row[0] and previous is not None:
            table.add_section()
        table.add_row(*row)
        previous = row
    console.print(table)
    for note in results.get("notes", []):
        console.print(f"- {note}")
    t = Table(title="Targets")
    for h in ("target", "value", "status"):
        t.add_column(h, overflow="fold")
    for x in targets(results):
        colour = {"PASS": "green", "FAIL": "red"}.get(x["status"], "yellow")
        t.add_row(x["target"], x["value"], f"[{colour}]{x['status']}[/{colour}]")
    console.print(t)


def markdown(results: dict[str, Any]) -> str:
    """The same table and targets as Markdown (for bench/README.md)."""
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "|".join("---" if i < 2 or i == 7 else "--:"
                                                                 for i in range(len(HEADERS))) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in table_rows(results)]
    lines += ["", "| target | value | status |", "|---|---|---|"]
    lines += [f"| {x['target']} | {x['value']} | **{x['status']}** |" for x in targets(results)]
    return "\n".join(lines) + "\n"
