"""Two stores after the same imports hold the same rows: events, cases, quarantine, imports
compared with EXCEPT ALL both ways, ignoring what differs between two runs of one import
(import ids, the run's start/finish times and the Pantau version).

Used by tests/test_ingest_equivalence.py, and as a script to compare this tree's ingest with
another tree's (the branch's code against main's) on any files::

    PYTHONPATH=. python tests/store_compare.py --base /work/main FILE [FILE ...]

Each file is imported into a fresh store by each tree (a child process with that tree first
on PYTHONPATH, both under the same HMAC key), and the stores are compared. Exit 1 on any
difference.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

from analytics import incremental

TABLES = ("events", "cases", "quarantine", "imports")
# What two runs of one import may differ in; everything else must be equal.
IGNORED = {"import_id", "started", "finished", "pantau_version"}


def differences(a: Path, b: Path) -> dict[str, tuple[int, int]]:
    """Per table: (rows only in ``a``, rows only in ``b``), multisets; tables that agree are
    left out, so an empty dict means the stores hold the same rows."""
    return incremental.differences(a, b, TABLES, ignored=IGNORED)


def row_counts(db: Path) -> dict[str, int]:
    """Rows per compared table (a comparison of two empty stores proves nothing)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]) for t in TABLES}
    finally:
        con.close()


_CHILD = r"""
import sys
from event_logs.ingest import ingest_file
from pantau.errors import PantauError
db, sop, *files = sys.argv[1:]
for f in files:
    try:
        ingest_file(db, f, sop_id=sop)
    except PantauError as exc:  # a refused file is part of the result: both trees must refuse it
        print(f"refused {f}: {type(exc).__name__}")
"""


def ingest_with(tree: Path, db: Path, files: list[Path], sop: str, key_file: Path) -> str:
    """Import ``files`` into ``db`` with the code of ``tree``; returns what the child printed."""
    env = {**os.environ, "PYTHONPATH": str(tree), "PANTAU_KEY_FILE": str(key_file),
           "PM4PY_SHOW_PROGRESS_BAR": "False"}
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(db), sop, *map(str, files)], cwd=tree,
                          env=env, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-2000:])
    return proc.stdout


def main() -> None:
    """Import each file with both trees and compare the stores (one store per file)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the other tree (e.g. /work/main)")
    parser.add_argument("--sop", default="batam-dinkes-integrasi-jkn")
    parser.add_argument("files", type=Path, nargs="+")
    args = parser.parse_args()
    here = Path(__file__).resolve().parents[1]
    failed = False
    with tempfile.TemporaryDirectory(prefix="pantau-compare-") as tmp:
        key = Path(tmp) / "secret.key"
        for n, path in enumerate(args.files):
            dbs = [Path(tmp) / f"{n}-base.duckdb", Path(tmp) / f"{n}-here.duckdb"]
            said = [ingest_with(tree.resolve(), db, [path.resolve()], args.sop, key)
                    for tree, db in zip((args.base, here), dbs, strict=True)]
            if not all(db.exists() for db in dbs):
                same = said[0] == said[1]
                print(f"{path.name}: {'same refusal' if same else 'DIFFERENT: ' + repr(said)}")
                failed |= not same
                continue
            diff = differences(*dbs)
            print(f"{path.name}: {row_counts(dbs[1])} -> {'same rows' if not diff else 'DIFFERENT ' + str(diff)}")
            failed |= bool(diff) or said[0] != said[1]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
