"""Large benchmark logs whose variants grow with the log: a simulated store copied N times in
DuckDB SQL, each copy's cases mutated (issue 16.2).

``gen_logs.replicated_store`` copies a simulated store unchanged, so a 1M log made from 100k
simulated cases has the 100k log's variants. A real log of ten million cases has many more:
people skip, swap, redo and add steps in ever new places. Here copy ``k`` of every base case
gets, with probability ``rate`` (and a second time with probability ``rate / 4``), one of
four mutations, each chosen by a hash of (case id, copy, draw), so the result is the same on
every machine and run:

- **skip**: the events of one step occurrence are left out (a skipped step);
- **swap**: one step occurrence is moved past the next one (wrong order);
- **extra**: an activity of no step is added after one occurrence, its label drawn from a pool
  of :data:`EXTRA_LABELS` x ``label_pool`` labels (unmapped activities);
- **rework**: one step occurrence is done again after the next one (rework).

The occurrence is drawn uniformly among the case's completed ones; every case is also shifted
by 0-59 minutes (its own hash), which moves some steps across office hours, a day or a
deadline. Distinct variants therefore grow with the copies, sublinearly, as in real logs: the
common paths get their mutations first, the long tail keeps adding new ones.

Written straight into the store: one ``INSERT ... SELECT`` per chunk of copies from a small
base table (the simulated events with each event's occurrence number), so nothing of the size
of the result is held in memory; DuckDB's ``memory_limit`` bounds the generator too. Case ids
are suffixed ``-m<k>`` (copy 0 keeps the original ids and events); event ids are
``5k x span + id`` for copied events, ``(5k + n) x span + id`` for draw n's redone events and
``(5k + 2 + n) x span + id`` for its added activity (span: a power of two past the base ids). ``sim_truth`` is
not copied (analyze does not read it).

Usage::

    .venv/bin/python bench/gen_mutated.py BASE.duckdb OUT.duckdb --factor 100 [--rate 0.06]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for _p in (str(ROOT), str(BENCH)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from gen_logs import LogInfo, store_counts  # noqa: E402

EXTRA_LABELS = (
    "Konfirmasi via telepon", "Koordinasi via WhatsApp", "Fotokopi berkas tambahan",
    "Cek status di aplikasi", "Menunggu tanda tangan", "Verifikasi ulang data",
    "Permintaan dokumen susulan", "Rapat koordinasi", "Input ke aplikasi lama",
    "Pengecekan lapangan",
)
DEFAULT_RATE = 0.06      # share of a copy's cases mutated (a second mutation: rate / 4)
DEFAULT_LABEL_POOL = 40  # labels per extra-activity text: "Konfirmasi via telepon (ke-7)"
CHUNK_COPIES = 10        # copies per INSERT statement

# The base: every simulated event with the number of the occurrence it belongs to (the n-th
# complete event of its case in (ts, event_id) order; a start belongs to the next complete
# of the same activity), the case's count of occurrences and the time from the occurrence's
# completion to the next one's.
_BASE = """
CREATE OR REPLACE TEMP TABLE gen_base AS
WITH c AS (
    SELECT e.*,
           CASE WHEN lifecycle = 'complete'
                THEN row_number() OVER (PARTITION BY sop_id, case_id, lifecycle ORDER BY ts, event_id) END AS c_no
    FROM events e
),
o AS (
    SELECT c.*,
           coalesce(c_no, first_value(c_no IGNORE NULLS) OVER (
               PARTITION BY sop_id, case_id, activity ORDER BY ts, lifecycle DESC, event_id
               ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING)) AS occ
    FROM c
),
n AS (
    SELECT sop_id, case_id, c_no, ts AS done_ts,
           lead(ts) OVER (PARTITION BY sop_id, case_id ORDER BY c_no) - ts AS gap_next,
           count(*) OVER (PARTITION BY sop_id, case_id) AS n_occ
    FROM o WHERE c_no IS NOT NULL
)
SELECT o.* EXCLUDE (c_no), n.gap_next, n.done_ts, coalesce(x.n_occ, 0) AS n_occ
FROM o
LEFT JOIN n ON n.sop_id = o.sop_id AND n.case_id = o.case_id AND n.c_no = o.occ
LEFT JOIN (SELECT DISTINCT sop_id, case_id, n_occ FROM n) x ON x.sop_id = o.sop_id AND x.case_id = o.case_id
"""

# Per (case, copy) of a chunk: the case's shift and two draws (kind 0 skip, 1 swap, 2 extra,
# 3 rework; pos 1..n_occ; lab: the extra activity's label). One small table per chunk (cases
# x copies rows); the events are the base joined with it.
_DRAWS = """
CREATE OR REPLACE TEMP TABLE gen_draws AS
SELECT sop_id, case_id, k, shift_min,
       CASE WHEN k > 0 AND (h1 % 100000) < {rate1} THEN ((h1 // 100000) % 4)::INTEGER END AS kind1,
       CASE WHEN n_occ > 0 THEN ((h1 // 400000) % n_occ + 1)::INTEGER END AS pos1,
       ((h1 // 40000000) % {labels})::INTEGER AS lab1,
       CASE WHEN k > 0 AND (h2 % 100000) < {rate2} THEN ((h2 // 100000) % 4)::INTEGER END AS kind2,
       CASE WHEN n_occ > 0 THEN ((h2 // 400000) % n_occ + 1)::INTEGER END AS pos2,
       ((h2 // 40000000) % {labels})::INTEGER AS lab2,
       CASE WHEN k = 0 THEN case_id ELSE case_id || '-m' || k END AS new_case_id
FROM (
    SELECT c.sop_id, c.case_id, c.n_occ, r.k,
           hash(c.sop_id, c.case_id, r.k, 1) AS h1, hash(c.sop_id, c.case_id, r.k, 2) AS h2,
           (hash(c.sop_id, c.case_id, r.k, 0) % 60)::INTEGER AS shift_min
    FROM (SELECT DISTINCT sop_id, case_id, n_occ FROM gen_base) c, range({k0}, {k1}) r(k)
)
"""


def _columns(con, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "AND table_schema = 'main' ORDER BY ordinal_position", [table]).fetchall()]


def _label_sql(lab: str) -> str:
    texts = ", ".join("'" + t.replace("'", "''") + "'" for t in EXTRA_LABELS)
    return (f"[{texts}][{lab} % {len(EXTRA_LABELS)} + 1] || ' (ke-' || ({lab} // {len(EXTRA_LABELS)} + 1) || ')'")


def _insert_sql(cols: list[str], values: dict[str, str], where: str, join: str = "") -> str:
    select = ", ".join(values.get(c, f"b.{c}") for c in cols)
    return (f"INSERT INTO events ({', '.join(cols)}) SELECT {select} "
            f"FROM gen_base b JOIN gen_draws d ON d.sop_id = b.sop_id AND d.case_id = b.case_id {join} "
            f"WHERE {where}")


def _chunk_sql(cols: list[str], span: int) -> list[str]:
    """The statements that insert one chunk's events (after :data:`_DRAWS`)."""
    shift = "to_minutes(d.shift_min)"

    def moved(n: int) -> str:  # a swapped occurrence goes just past the next one
        return (f"CASE WHEN d.kind{n} = 1 AND b.occ = d.pos{n} AND b.gap_next IS NOT NULL "
                f"THEN b.gap_next + INTERVAL 1 MINUTE ELSE INTERVAL 0 MINUTE END")

    copy = {"event_id": f"5 * d.k * {span} + b.event_id", "case_id": "d.new_case_id",
            "ts": f"b.ts + {shift} + {moved(1)} + {moved(2)}"}
    keep = "NOT coalesce((d.kind1 = 0 AND b.occ = d.pos1) OR (d.kind2 = 0 AND b.occ = d.pos2), false)"
    statements = [_insert_sql(cols, copy, keep)]
    for n in (1, 2):
        redo = {"event_id": f"(5 * d.k + {n}) * {span} + b.event_id", "case_id": "d.new_case_id",
                "ts": f"b.ts + {shift} + coalesce(b.gap_next, INTERVAL 10 MINUTE) + INTERVAL 2 MINUTE"}
        statements.append(_insert_sql(cols, redo, f"d.kind{n} = 3 AND b.occ = d.pos{n}"))
        extra = {"event_id": f"(5 * d.k + {n + 2}) * {span} + b.event_id", "case_id": "d.new_case_id",
                 "activity": _label_sql(f"d.lab{n}"), "lifecycle": "'complete'",
                 "ts": f"b.done_ts + {shift} + INTERVAL 1 MINUTE"}
        statements.append(_insert_sql(cols, extra, f"d.kind{n} = 2 AND b.occ = d.pos{n} "
                                                   "AND b.lifecycle = 'complete'"))
    return statements


def mutated_store(base: Path, path: Path, factor: int, *, rate: float = DEFAULT_RATE,
                  label_pool: int = DEFAULT_LABEL_POOL, memory_limit: str = "4GB",
                  progress=None) -> LogInfo:
    """``factor`` mutated copies of the simulated store ``base`` at ``path`` (see the module)."""
    import duckdb

    if factor < 1:
        raise ValueError(f"factor must be >= 1, got {factor}")
    for stale in (path, Path(f"{path}.wal")):
        stale.unlink(missing_ok=True)
    t0 = time.perf_counter()
    shutil.copyfile(base, path)
    con = duckdb.connect(str(path))
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute("SET preserve_insertion_order = false")
        base_cases = con.execute("SELECT count(*) FROM cases").fetchall()[0][0]
        span = int(con.execute("SELECT max(event_id) + 1 FROM events").fetchall()[0][0])
        span = 1 << (span - 1).bit_length()  # a power of two: ids stay readable in hex
        cols, case_cols = _columns(con, "events"), _columns(con, "cases")
        con.execute(_BASE)
        con.execute("CREATE TEMP TABLE gen_cases AS SELECT * FROM cases")
        con.execute("DELETE FROM events")
        con.execute("DELETE FROM cases")
        rate1, rate2 = int(rate * 100000), int(rate * 100000 / 4)
        for k0 in range(0, factor, CHUNK_COPIES):
            k1 = min(factor, k0 + CHUNK_COPIES)
            con.execute("BEGIN")
            con.execute(_DRAWS.format(rate1=rate1, rate2=rate2, labels=len(EXTRA_LABELS) * label_pool,
                                      k0=k0, k1=k1))
            for statement in _chunk_sql(cols, span):
                con.execute(statement)
            # the copies' cases, their first and last event read back from the chunk's events
            # (zone maps on event_id skip the other chunks' row groups)
            values = {c: f"c.{c}" for c in case_cols}
            values.update(case_id="t.case_id", first_ts="t.first_ts", last_ts="t.last_ts")
            con.execute(f"""
                INSERT INTO cases ({', '.join(case_cols)})
                SELECT {', '.join(values[c] for c in case_cols)}
                FROM (SELECT sop_id, case_id, min(ts) AS first_ts, max(ts) AS last_ts
                      FROM events WHERE event_id >= {5 * k0 * span} AND event_id < {5 * k1 * span}
                      GROUP BY ALL) t
                JOIN gen_draws d ON d.sop_id = t.sop_id AND d.new_case_id = t.case_id
                JOIN gen_cases c ON c.sop_id = d.sop_id AND c.case_id = d.case_id""")
            con.execute("COMMIT")
            if progress:
                progress(k1, factor)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    seconds = time.perf_counter() - t0
    n_cases, events, complete = store_counts(path)
    how = f"mutated x{factor} (rate {rate:g}) from {base_cases:,} simulated cases"
    return LogInfo(path, n_cases, events, complete, how, seconds)


def main() -> None:
    """CLI: write a mutated store."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--factor", type=int, required=True)
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE)
    parser.add_argument("--label-pool", type=int, default=DEFAULT_LABEL_POOL)
    parser.add_argument("--memory-limit", default="4GB")
    args = parser.parse_args()
    info = mutated_store(args.base, args.out, args.factor, rate=args.rate, label_pool=args.label_pool,
                         memory_limit=args.memory_limit,
                         progress=lambda d, t: print(f"copies {d}/{t}", file=sys.stderr, flush=True))
    print(info)


if __name__ == "__main__":
    main()
