"""What logins cost a page: the page's queries with and without a user's scope, plus the
per-run work a login adds (the users-file read, the audit entry for the page view).

    .venv/bin/python bench/auth_bench.py [--db FILE | --cases N] [--repeats 5]

Without ``--db`` it builds a store with ``tests/dashboard_fixture.build_results_db`` (as
``bench/dashboard_bench.py`` does; the lead's 1M-case store is ``--db
data/bench-dashboard-1000000.duckdb``). For each page (the query plan of
``bench/dashboard_bench.page_queries``) and a fresh connection per page view, as the app does:

- ``none``: no logins, the Batam head's view chosen with the agency filter (``?agency=``);
- ``head``: logged in as that head: a connection scoped to Batam (TEMP VIEW shadows), no filter,
  plus the users-file read and one audit append per view;
- ``admin``: an administrator who sees every agency (no shadows) against ``none`` unfiltered.

Medians and minimums of ``--repeats`` interleaved runs, to stdout as a Markdown table and to
``bench/results/auth.json``. Target: ``head`` and ``admin`` within 10 % of their ``none``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from dashboard_bench import page_queries  # noqa: E402

from dashboard import queries  # noqa: E402
from dashboard.filters import Filters  # noqa: E402
from event_logs.scoped import open_scoped  # noqa: E402
from pantau import audit  # noqa: E402
from pantau.access import UsersFile, make_user  # noqa: E402
from pantau.access.scope import ALL, Scope  # noqa: E402

OUT = ROOT / "bench" / "results" / "auth.json"
BATAM = "Dinas Kesehatan Kota Batam"


def _with_filter(items: list, agency: str | None) -> list:
    return [(name, Filters(agency, f.sop_id, f.unit, f.start, f.end) if agency else f, kw) for name, f, kw in items]


def _view(db: Path, scope: Scope, items: list, login: tuple[UsersFile, audit.AuditLog] | None) -> float:
    t = time.perf_counter()
    if login is not None:
        users, log = login
        user = users.get("budi")
        log.record(user.name, user.role, audit.PAGE_VIEW, {"page": "bench", "filters": {}})
    con = open_scoped(str(db), scope)
    try:
        for name, f, kw in items:
            queries.QUERIES[name](con, f, **kw)
    finally:
        con.close()
    return time.perf_counter() - t


def measure(db: Path, repeats: int) -> dict:
    """Seconds per page view in each mode (medians), and the ratios."""
    head = Scope.of([BATAM])
    con = open_scoped(str(db), head)
    try:
        plan, _case = page_queries(con)  # a Batam SOP and a Batam case, so every mode shows the same
    finally:
        con.close()
    work = Path(tempfile.mkdtemp(prefix="pantau-auth-bench-"))
    users = UsersFile(work / "bench.users.json")
    users.add(make_user("budi", "kepala_dinas", [BATAM]))
    login = (users, audit.AuditLog(work / "bench.audit.jsonl"))
    out: dict[str, dict] = {}
    for page, items in plan.items():
        runs = {"none_batam": [], "head": [], "none_all": [], "admin": []}
        for _ in range(repeats):  # interleaved, so drift hits every mode alike
            runs["none_batam"].append(_view(db, ALL, _with_filter(items, BATAM), None))
            runs["head"].append(_view(db, head, items, login))
            runs["none_all"].append(_view(db, ALL, items, None))
            runs["admin"].append(_view(db, ALL, items, login))
        # the fastest run is the cost without the other processes on the machine; the median
        # is what a user waits for on it
        med = {k: statistics.median(v) for k, v in runs.items()}
        low = {k: min(v) for k, v in runs.items()}
        out[page] = {**{k: round(v, 4) for k, v in med.items()},
                     **{f"{k}_min": round(v, 4) for k, v in low.items()},
                     "head_vs_none": round(med["head"] / med["none_batam"], 3),
                     "admin_vs_none": round(med["admin"] / med["none_all"], 3),
                     "head_vs_none_min": round(low["head"] / low["none_batam"], 3),
                     "admin_vs_none_min": round(low["admin"] / low["none_all"], 3)}
    t = time.perf_counter()
    for _ in range(200):
        login[1].record("budi", "kepala_dinas", audit.PAGE_VIEW, {"page": "bench"})
    out["_audit_append_ms"] = round((time.perf_counter() - t) / 200 * 1000, 3)
    return out


def main() -> int:
    """Build (or take) the store, measure, print and save."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    db = args.db
    if db is None:
        from dashboard_fixture import build_results_db

        db = ROOT / "data" / f"bench-dashboard-{args.cases}.duckdb"
        if not db.exists():
            tmp = db.with_name(db.name + ".building")
            tmp.unlink(missing_ok=True)
            build_results_db(tmp, cases=args.cases)
            tmp.rename(db)
    report = {"db": str(db), "size_mb": round(db.stat().st_size / 1e6), "pages": measure(db, args.repeats)}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2) + "\n")
    pages = report["pages"]
    print(f"database {db} ({report['size_mb']} MB); audit append {pages['_audit_append_ms']} ms")
    print("\nmedian (min) seconds per page view")
    print("\n| page | none + ?agency | head, scoped | ratio | none, all | admin | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for page, r in pages.items():
        if not page.startswith("_"):
            cells = [f"{r[k]:.4f} ({r[k + '_min']:.4f})" for k in ("none_batam", "head")]
            cells.append(f"{r['head_vs_none']:.2f} ({r['head_vs_none_min']:.2f})")
            cells += [f"{r[k]:.4f} ({r[k + '_min']:.4f})" for k in ("none_all", "admin")]
            cells.append(f"{r['admin_vs_none']:.2f} ({r['admin_vs_none_min']:.2f})")
            print(f"| {page} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
