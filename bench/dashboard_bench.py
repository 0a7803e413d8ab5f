"""How fast the dashboard's pages are on a database of 1,000,000 cases.

    .venv/bin/python bench/dashboard_bench.py [--db FILE] [--cases 1000000] [--build-only]

Without ``--db`` it builds the database with ``tests/dashboard_fixture.build_results_db``:
result tables generated set-based in DuckDB at the requested scale over the five real SOP
models (not the simulator + analyze, which take far longer at a million cases; the tables, their
sizes and their shapes are what the dashboard reads). With ``--db`` it measures any store.

Measured, per page:
- the page's queries called directly on a fresh read-only connection (a cache miss: what a
  first visitor after a new analysis run waits for), and through ``dashboard.data.load`` once
  warm (a cache hit);
- the whole page rendered by Streamlit's AppTest (script + queries + figures), cold (cache
  cleared) and warm, after one untimed run of every page (the process's imports done once and
  the scripts compiled once, as in a server that has shown any page);
- with ``--browser``: the page's **first view** in headless Chromium — a fresh ``streamlit run``
  server per page, warmed by one session on the audit-log page (imports, the sidebar's shared
  queries), then a new browser session opens the page: the time from navigation start to the
  last change of the page's DOM once the script has finished (Streamlit idle, no skeleton,
  1.5 s without a change), and the server's CPU seconds (user+sys) for that view.
Results go to stdout as a Markdown table and to ``bench/results/dashboard.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from dashboard import app_path, data, queries  # noqa: E402
from dashboard.filters import Filters  # noqa: E402

OUT = ROOT / "bench" / "results" / "dashboard.json"


def page_queries(con) -> dict[str, list[tuple[str, Filters, dict]]]:
    """The queries each page runs with the default view (all agencies, SOPs, the whole period)."""
    f = Filters()
    sop = con.execute("SELECT sop_id FROM case_checks GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    case_id, case_sop, case_agency = con.execute(
        "SELECT case_id, sop_id, agency FROM case_checks ORDER BY breach_count DESC, case_id, agency "
        "LIMIT 1").fetchone()
    one = {"sop_id": case_sop, "agency": case_agency, "case_id": case_id}
    return {
        "sidebar": [("filter_options", f, {})],
        "ringkasan": [("overview_totals", f, {}), ("overview_by_sop", f, {}), ("monthly_trend", f, {}),
                      ("unit_league", f, {}), ("open_at_risk", f, {})],
        "pelanggaran": [("breach_counts", f, {}), ("overrun_bins", f, {}),
                        ("overrun_by_step", f, {}), ("worst_cases", f, {})],
        "lane": [("lane_summary", f, {}), ("lane_wip", f, {}), ("handover_matrix", f, {}),
                 ("process_nodes", f.with_sop(sop), {}), ("process_arcs", f.with_sop(sop), {})],
        "deviasi": [("fitness_by_agency", f, {}), ("deviation_kinds", f, {}),
                    ("variants_for_sop", f.with_sop(sop), {}), ("deviating_cases", f, {"kinds": ()})],
        "kasus": [("case_candidates", f, {}), ("case_summary", Filters(), one), ("case_open", Filters(), one),
                  ("case_steps", Filters(), one), ("case_deviations", Filters(), one),
                  ("case_trace", Filters(), one), ("case_events", Filters(), one)],
        "data": [("imports", f, {}), ("quarantine_imports", f, {})],
        "_export": [("deviation_export", f, {"kinds": ()})],
    }, (case_id, case_sop, case_agency)


def time_queries(db: Path, repeats: int = 3) -> dict[str, dict[str, float]]:
    """Cold (direct, fresh connection each time; median of ``repeats``) and cached seconds per page."""
    with data.connection(db) as con:
        plan, _case = page_queries(con)
    out: dict[str, dict[str, float]] = {}
    for page, items in plan.items():
        cold = []
        for _ in range(repeats):
            t = time.perf_counter()
            with data.connection(db) as c:  # one fresh connection per page, as in the app
                for name, f, kw in items:
                    queries.QUERIES[name](c, f, **kw)
            cold.append(time.perf_counter() - t)
        state = data.read_state(db)
        for name, f, kw in items:
            data.load(state, name, f, **kw)  # warm
        t = time.perf_counter()
        state = data.read_state(db)  # every rerun reads the version (one short connection)
        for name, f, kw in items:
            data.load(state, name, f, **kw)
        out[page] = {"cold_s": round(statistics.median(cold), 3), "cached_s": round(time.perf_counter() - t, 4),
                     "queries": len(items)}
    return out


def time_pages(db: Path) -> dict[str, dict[str, float]]:
    """Whole page runs in AppTest: cold cache, then warm."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["PANTAU_DB"] = str(db)
    with data.connection(db) as con:
        _plan, (case_id, case_sop, case_agency) = page_queries(con)
    from streamlit.components.v2.component_manager import BidiComponentManager

    # A server scans the installed packages for custom components once, at start
    # (streamlit.runtime.Runtime); AppTest does it for every new AppTest (0.5-1 CPU-s here):
    # every AppTest of this bench shares one scan, so a page's time is the page's
    components = BidiComponentManager()
    components.discover_and_register_components(start_file_watching=False)
    # A server compiles each script once (its Runtime's one ScriptCache: app.py and every page,
    # with Streamlit's "magic" AST pass); every AppTest makes new caches and recompiles both
    # scripts on each run (~0.1 s). Every AppTest of this bench shares one cache, as a server does
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    scripts = ScriptCache()
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: scripts

    def app(page: str, params: dict) -> AppTest:
        at = AppTest.from_file(str(app_path()), default_timeout=300)
        at._bidi_component_manager = components  # shared scan, see above
        at.query_params = dict(params)
        if page != "ringkasan":
            at.switch_page(f"views/{page}.py")
        return at

    results = {}
    pages = ("ringkasan", "pelanggaran", "lane", "deviasi", "kasus", "model", "data")
    for page in pages:  # one untimed run of every page first: imports are once per process
        app(page, {}).run()
    for page in pages:
        results[page] = _time_page(app, st, page, case_id, case_sop, case_agency)
    return results


def _time_page(app, st, page: str, case_id: str, case_sop: str, case_agency: str) -> dict[str, float]:
    """One page in AppTest: cold (cache cleared), then warm; wall and CPU seconds."""
    params = {"case": case_id, "sop": case_sop, "agency": case_agency} if page == "kasus" else {}
    timings, cpu = [], []
    for _ in range(2):  # cold, warm
        at = app(page, params)
        if not timings:
            st.cache_data.clear()
        t, c = time.perf_counter(), time.process_time()
        at.run()
        timings.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        problems = [e.value for e in at.exception] + [e.value for e in at.error]
        if problems:
            raise RuntimeError(f"{page}: {problems}")
    return {"cold_s": round(timings[0], 3), "warm_s": round(timings[1], 3),
            "cold_cpu_s": round(cpu[0], 3), "warm_cpu_s": round(cpu[1], 3)}


# performance.now() of the page's last DOM change (milliseconds from its navigation start)
_WATCH_DOM = """window.__lastChange = 0;
new MutationObserver(() => { window.__lastChange = performance.now(); })
    .observe(document, {subtree: true, childList: true, characterData: true, attributes: true});"""


def _server_cpu() -> float:
    """User+sys CPU seconds of this process's ``streamlit run`` children (the bench's server)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmd = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and b"streamlit" in cmd:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _first_view(drv, browser, url: str, title: str) -> tuple[float, float]:
    context = browser.new_context(viewport={"width": drv.WIDTH, "height": 900}, locale="id-ID")
    try:
        page = context.new_page()
        page.add_init_script(_WATCH_DOM)
        cpu = _server_cpu()
        page.goto(url)
        page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=300_000)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            busy = page.locator('[data-testid="stStatusWidget"], [data-testid="stSkeleton"]').count() > 0
            quiet_ms = page.evaluate("performance.now() - window.__lastChange")
            if not busy and quiet_ms > 1500:
                break
            page.wait_for_timeout(100)
        else:
            raise TimeoutError(f"{url} kept changing")
        if drv.errors_on(page):
            raise RuntimeError(f"{url}: {drv.errors_on(page)}")
        return page.evaluate("window.__lastChange") / 1000, _server_cpu() - cpu
    finally:
        context.close()


def time_browser(db: Path) -> dict[str, dict[str, float]]:
    """Each page's first view in headless Chromium on a server of its own (see the module's doc)."""
    import importlib.util

    from playwright.sync_api import sync_playwright

    # the driver of the tree whose dashboard is measured (it serves that tree's app.py)
    spec = importlib.util.spec_from_file_location("screenshots", app_path().parents[1] / "scripts" / "screenshots.py")
    drv = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(drv)
    with data.connection(db) as con:
        _plan, (case_id, case_sop, case_agency) = page_queries(con)
    results = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=drv.CHROMIUM, args=drv.CHROMIUM_ARGS)
        try:
            for slug, (title, _en) in drv.PAGES.items():
                if slug == "audit":
                    continue
                query = "?" + urlencode({"case": case_id, "sop": case_sop, "agency": case_agency}) \
                    if slug == "kasus" else ""
                with drv.serve(db, timeout=120) as base:
                    _first_view(drv, browser, f"{base}/audit", drv.PAGES["audit"][0])  # warm the process
                    wall, cpu = _first_view(drv, browser, f"{base}/{'' if slug == 'ringkasan' else slug}{query}",
                                            title)
                    again, again_cpu = _first_view(drv, browser, f"{base}/{'' if slug == 'ringkasan' else slug}"
                                                   f"{query}", title)
                results[slug] = {"first_view_s": round(wall, 3), "first_view_server_cpu_s": round(cpu, 2),
                                 "cached_view_s": round(again, 3), "cached_view_server_cpu_s": round(again_cpu, 2)}
        finally:
            browser.close()
    return results


def table_sizes(db: Path) -> dict[str, int]:
    """Row counts of the tables the dashboard reads."""
    with data.connection(db) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("case_checks", "step_checks", "deviations", "variants", "lane_stats", "handovers",
                          "open_cases")}


def main() -> int:
    """Build (or take) the database, measure, print and save."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--browser", action="store_true", help="also each page's first view in Chromium")
    parser.add_argument("--only-browser", action="store_true", help="only the Chromium first views")
    args = parser.parse_args()
    db = args.db
    built = None
    if db is None:
        from dashboard_fixture import build_results_db

        db = ROOT / "data" / f"bench-dashboard-{args.cases}.duckdb"
        if not db.exists():
            t = time.perf_counter()
            tmp = db.with_name(db.name + ".building")
            tmp.unlink(missing_ok=True)
            build_results_db(tmp, cases=args.cases)
            tmp.rename(db)
            built = round(time.perf_counter() - t, 1)
    if args.build_only:
        print(f"{db}: built in {built} s" if built else f"{db} exists")
        return 0
    report = {"db": str(db), "size_mb": round(db.stat().st_size / 1e6), "built_s": built,
              "load_average_at_start": Path("/proc/loadavg").read_text().split()[:3], "tables": table_sizes(db)}
    if not args.only_browser:
        report |= {"queries": time_queries(db), "pages": time_pages(db)}
    if args.browser or args.only_browser:
        report["browser"] = time_browser(db)
    report["load_average_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2) + "\n")
    print(f"database {db} ({report['size_mb']} MB): " + ", ".join(f"{k} {v:,}" for k, v in report["tables"].items()))
    print(f"load average {report['load_average_at_start']} -> {report['load_average_at_end']}")
    nan = float("nan")
    print("\n| page | queries | queries cold (s) | queries cached (s) | AppTest cold s (CPU) | AppTest warm s (CPU) "
          "| Chromium first view s (server CPU) | Chromium cached view s (server CPU) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for page in dict.fromkeys([*report.get("queries", {}), *report.get("browser", {})]):
        q, p, b = (report.get(k, {}).get(page, {}) for k in ("queries", "pages", "browser"))
        print(f"| {page} | {q.get('queries', '')} | {q.get('cold_s', nan):.3f} | {q.get('cached_s', nan):.4f} | "
              f"{p.get('cold_s', nan):.2f} ({p.get('cold_cpu_s', nan):.2f}) | "
              f"{p.get('warm_s', nan):.2f} ({p.get('warm_cpu_s', nan):.2f}) | "
              f"{b.get('first_view_s', nan):.2f} ({b.get('first_view_server_cpu_s', nan):.2f}) | "
              f"{b.get('cached_view_s', nan):.2f} ({b.get('cached_view_server_cpu_s', nan):.2f}) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
