"""The fast forms of the ingest checks give the store the plain forms give (issue 10's speed).

Two rules are computed in a cheaper way than their plain statement:

* ``row_holds`` (may a row's text hold a NIK or phone number?): the plain form runs
  ``pii.HOLDS_RE`` on every row; the fast one once per distinct value of each column,
  a row tested by membership (``rows.row_holds_sql``).
* day-first timestamps: the plain form is ``try_strptime(text, DAY_FIRST_FORMATS)``; the fast
  one tries only the formats whose separators the text has (``timestamps.day_first_sql``).
* the CSV scan: the plain form is DuckDB's serial reader numbering rows as it reads; the fast
  one the parallel reader, rows numbered by the order they were stored in (``rows.PARALLEL_CSV``).
* trimming: the plain form is ``trim`` on every value; the fast one only where an end is a
  space or the value is not ASCII (``rows.trim_sql``).
* the events' own attributes: the plain form is a JSON merge patch that drops null members;
  the fast one writes the object without them (``staging.event_attributes_json``).
* full-row copies: the plain form numbers every good row among those equal in all its values; the fast one
  groups by a hash of them and compares values only where hashes are shared
  (``staging.copies_sql``).
* attribute column kinds (int/dot/comma/text): the plain form casts every value to each
  numeric type before the regexes; the fast one runs the regexes only on columns whose every
  value starts with a sign or digit (``staging.attribute_kinds``).
* a case's first/last time: the plain form reads them from the stored events of every case
  the file touches; the fast one only for cases stored before, a new case's from the file's
  rows (``pipeline.SPAN_FROM_STORED_CASES_ONLY``). Files that add earlier and later events
  to stored cases, and copies of stored events, are among the imports.

Each test imports the same files twice, once with the plain forms swapped in, and finds the
same events, cases, quarantine and imports rows (EXCEPT ALL both ways, tests/store_compare.py).
"""

# ruff: noqa: F811  (fixtures imported from conftest_ingest are parameters of the same name)

from __future__ import annotations

import csv
import sys
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest_ingest import ROOT, key_file, query  # noqa: F401
from store_compare import differences, row_counts

from event_logs.ingest import ingest_file, pipeline, rows, staging, timestamps
from event_logs.ingest.pii import HOLDS_RE, sql_re
from event_logs.ingest.source import literal
from event_logs.ingest.timestamps import DAY_FIRST_FORMATS, timestamp_sql

sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "hostile"))
sys.path.insert(0, str(ROOT / "bench"))
import make_corpus as corpus
from ingest_bench import generate

SOP = corpus.SOP
CORPUS_FILES = ["pii_everywhere.csv", "pii_trace.xes", "pii_nested.parquet", "implausible_time.csv",
                "unbalanced_quote.csv", "mixed_encoding.csv", "control_chars.csv", "stale_dimension.xlsx",
                "formula_cells.csv", "markup_labels.csv"]


def plain_row_holds(text: list[str]) -> str:
    """The plain form: HOLDS_RE over the row's text fields (chr(31) between them)."""
    if not text:
        return "false"
    return f"coalesce(regexp_matches(concat_ws(chr(31), {', '.join(text)}), '{sql_re(HOLDS_RE)}'), false)"


def plain_day_first(text: str) -> str:
    """The plain form: strptime with the whole list of formats."""
    return f"try_strptime({text}, [{', '.join(literal(f) for f in DAY_FIRST_FORMATS)}])"


def plain_event_attributes(attrs: list[staging.AttributeColumn]) -> str:
    """The plain form: every attribute into one object, null members dropped by a merge patch."""
    own = [a for a in attrs if a.per_event]
    if not own:
        return "NULL::JSON"
    pairs = ", ".join(f"{literal(a.key)}, {a.sql()}" for a in own)
    return f"nullif(json_merge_patch('{{}}', json_object({pairs}))::VARCHAR, '{{}}')::JSON"


def plain_copies(fields: staging.Fields) -> str:
    """The plain form: every good row numbered among the rows equal to it in all its values."""
    exprs = ", ".join(f"{expr} AS k_{name}" for name, expr in fields.row().items())
    keys = ", ".join(f"k_{name}" for name in fields.row())
    return (f"SELECT source_row FROM (SELECT source_row, row_number() OVER (PARTITION BY {keys} ORDER BY source_row) "
            f"AS nth FROM (SELECT source_row, {exprs} FROM ingest_rows WHERE {fields.ok()})) WHERE nth > 1")


def plain_attribute_kinds(con: duckdb.DuckDBPyConnection, counts: dict[int, tuple[int, int, int]]) -> dict[int, str]:
    """The plain form: a numeric kind is a candidate where every value casts to it, then its regex decides."""
    if not counts:
        return {}
    casts = [f"count(c{i}), count(try_cast(c{i} AS BIGINT)), count(try_cast(c{i} AS DOUBLE)), "
             f"count(try_cast(replace(replace(c{i}, '.', ''), ',', '.') AS DOUBLE)), "
             f"count(*) FILTER (WHERE contains(c{i}, ','))" for i in counts]
    row = con.execute(f"SELECT {', '.join(casts)} FROM ingest_rows").fetchall()[0]
    totals, checks = {}, []
    for n, i in enumerate(counts):
        total, bigints, doubles, commas, with_comma = row[5 * n: 5 * n + 5]
        totals[i] = total
        checks += [(i, k) for k, hits in (("int", bigints), ("dot", doubles), ("comma", commas))
                   if total and hits == total and (k != "comma" or with_comma)]
    sql = ", ".join(f"count(*) FILTER (WHERE regexp_full_match(c{i}, '{staging._KIND_RE[k]}'))" for i, k in checks)
    full = dict(zip(checks, con.execute(f"SELECT {sql} FROM ingest_rows").fetchall()[0], strict=True)) if checks else {}
    return {i: next((k for k in ("int", "dot", "comma") if full.get((i, k)) == totals[i]), "text") for i in counts}


def write_around(path: Path, bench: Path, cases: int = 40) -> Path:
    """Events of the first ``cases`` cases of ``bench`` before and after their own (a stored
    case's span widens both ways), each written twice (copies in the file), plus each case's
    first row again (a copy of a stored event) and new cases; then ``cases`` more stored cases
    with one later event only, and ``cases`` more with one earlier event only (the span keeps
    the stored first, resp. last, time)."""
    with bench.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        first: dict[str, list[str]] = {}
        for row in reader:
            if row[0] and "31/31" not in row[2] and row[0] not in first and len(first) < 3 * cases:
                first[row[0]] = row
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(header)
        for n, (case, row) in enumerate(first.items()):
            if n >= cases:
                day = "2026-02-01 10:00:00" if n < 2 * cases else "2023-07-01 10:00:00"
                out.writerow([case, corpus.STEPS[1], day, *row[3:]])
                continue
            out.writerow(row)  # stored already
            for day, step in (("2023-06-01 08:00:00", corpus.STEPS[0]), ("2026-01-05 09:30:00", corpus.STEPS[-1])):
                again = [case, step, day, *row[3:]]
                out.writerow(again)
                out.writerow(again)
            out.writerow([f"NEW-{n:03d}", corpus.STEPS[0], "2024-02-01 10:00:00", *row[3:]])
            out.writerow([f"NEW-{n:03d}", corpus.STEPS[1], "2024-02-03 10:00:00", *row[3:]])
    return path


def _times(i: int) -> str:
    """Every way of writing a time the reader knows, and ways it does not."""
    t = datetime(2024, 3, 5, 8, 0) + timedelta(minutes=37 * i)
    written = [t.strftime(f) for f in DAY_FIRST_FORMATS]
    written += [t.isoformat(sep=" "), t.strftime("%Y-%m-%dT%H:%M:%S+07:00"), t.strftime("%Y-%m-%d"),
                str(int(t.timestamp())), f"{45356 + i % 300}.25", f"{45356 + i % 300},5",
                "31/31/2024 25:00", "2024-03-05T09:15:00+99:99", "0001-01-01", "infinity", "epoch",
                "5/3/2024 9:15", " 05-03-2024  09.15", "05/03/-2024 09:15", "2024/13/05", "abc"]
    return written[i % len(written)]


def write_mixed(path: Path, rows_wanted: int = 900) -> Path:
    """A CSV whose rows hold NIKs and phone numbers in every text column (plain, grouped,
    inside text), every timestamp format, lifecycle words and surplus fields."""
    steps = corpus.STEPS
    niks, phones = corpus.NIKS + corpus.GROUPED_NIKS, corpus.PHONES
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["no_registrasi", "kegiatan", "tanggal", "status", "petugas", "kelurahan", "nik",
                      "nama", "jumlah_wbs", "keterangan", "biaya", "nilai", "kode/\"x\""])
        for i in range(rows_wanted):
            case = [f"REG-{i // 6:05d}", niks[i % len(niks)], phones[i % len(phones)]][(i // 6) % 3 if i % 5 == 0 else 0]
            activity = steps[i % len(steps)] if i % 7 else f"Verifikasi NIK {niks[i % len(niks)]}"
            resource = f"Petugas {i % 9}" if i % 11 else f"Petugas hp {phones[i % len(phones)]}"
            unit = f"Kelurahan {i % 4}" if i % 13 else f"Kelurahan {niks[i % len(niks)]}"
            status = ["selesai", "start", "mulai", "", "complete", "entah"][i % 6]
            name = corpus.NAMES[i % len(corpus.NAMES)]
            note = [f"catatan {i}", f"nomor {niks[i % len(niks)]} di teks", name, f"wa {phones[i % 4]}"][i % 4]
            row = [case, activity, _times(i), status, resource, unit, corpus.NIKS[i % 8], name, str(i % 5 + 1), note,
                   f"{i % 7}.{i % 10}5", f"1.{i % 1000:03d},{i % 10}" if i % 3 else "", f"K-{i % 4}" if i % 2 else ""]
            if i % 17 == 0:
                row.append(f"lebih {niks[i % len(niks)]}")  # a surplus field
            out.writerow(row)
    return path


def write_multiline(path: Path, rows_wanted: int = 400) -> Path:
    """Quoted values with line breaks (the parallel reader refuses them), short and long rows."""
    steps = corpus.STEPS
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["no_registrasi", "kegiatan", "tanggal", "keterangan"])
        for i in range(rows_wanted):
            row = [f"ML-{i // 4:04d}", steps[i % len(steps)], _times(i), f"baris {i}\nlanjut" if i % 50 == 0 else "x"]
            out.writerow(row[:3] if i % 31 == 0 else [*row, "lebih"] if i % 37 == 0 else row)
    return path


def _import_all(db: Path, files: list[Path]) -> None:
    for path in files:
        ingest_file(db, path, sop_id=SOP)


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    bench = tmp_path / "bench.csv"
    from sop_models.loader import get_model

    labels = [s.name for s in get_model(SOP).steps]
    generate(bench, 3000, labels)
    longer = tmp_path / "bench_longer.csv"  # the same rows and more: its cases were stored
    generate(longer, 4200, labels)
    return [write_mixed(tmp_path / "mixed.csv"), bench, write_multiline(tmp_path / "multiline.csv"),
            *(corpus.HERE / n for n in CORPUS_FILES), longer, write_around(tmp_path / "around.csv", bench)]


def test_fast_checks_store_what_the_plain_checks_store(tmp_path: Path, key_file: Path, files: list[Path],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    fast, plain = tmp_path / "fast.duckdb", tmp_path / "plain.duckdb"
    _import_all(fast, files)
    monkeypatch.setattr(rows, "row_holds_sql", plain_row_holds)
    monkeypatch.setattr(timestamps, "day_first_sql", plain_day_first)
    monkeypatch.setattr(staging, "event_attributes_json", plain_event_attributes)
    monkeypatch.setattr(rows, "trim_sql", lambda expr: f"trim({expr})")
    monkeypatch.setattr(rows, "PARALLEL_CSV", False)
    monkeypatch.setattr(staging, "copies_sql", plain_copies)
    monkeypatch.setattr(pipeline, "SPAN_FROM_STORED_CASES_ONLY", False)
    monkeypatch.setattr(staging, "attribute_kinds", plain_attribute_kinds)
    _import_all(plain, files)
    counted = row_counts(fast)
    assert counted["imports"] == len(files) and counted["events"] > 3000 and counted["quarantine"] > 100
    kinds = query(fast, "SELECT count(DISTINCT json_keys(attributes)) FILTER (WHERE len(json_keys(attributes)) > 1), "
                        "count(*) FILTER (WHERE len(json_keys(attributes)) = 1) FROM events")[0]
    assert kinds[0] > 1 and kinds[1] > 1000  # objects of several members and of one
    spans = query(fast, "SELECT count(*) FILTER (WHERE c.first_ts < TIMESTAMPTZ '2023-12-31' "
                        "AND c.last_ts > TIMESTAMPTZ '2026-01-01'), count(*) FILTER (WHERE e.n IS NULL "
                        "OR c.first_ts IS DISTINCT FROM e.f OR c.last_ts IS DISTINCT FROM e.l) FROM cases c "
                        "LEFT JOIN (SELECT sop_id, agency, case_id, min(ts) AS f, max(ts) AS l, count(*) AS n "
                        "FROM events GROUP BY ALL) e USING (sop_id, agency, case_id)")[0]
    assert spans == (40, 0)  # stored cases widened both ways; every span is its events'
    assert query(fast, "SELECT rows_loaded, rows_duplicate FROM imports WHERE file_name = 'around.csv'") == [(240, 120)]
    assert differences(fast, plain) == {}


def test_rows_whose_hashes_collide_are_told_apart_by_their_values(tmp_path: Path, key_file: Path, files: list[Path],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A hash of three values makes almost every row collide: the copies found are still exactly
    the plain form's (the values decide, the hash only narrows where to look)."""
    fast, plain = tmp_path / "fast.duckdb", tmp_path / "plain.duckdb"
    chosen = [f for f in files if f.name in ("bench.csv", "mixed.csv", "bench_longer.csv", "around.csv")]
    monkeypatch.setattr(staging, "row_hash_sql", lambda values: f"hash({values[0]}) % 3")
    _import_all(fast, chosen)
    monkeypatch.setattr(staging, "copies_sql", plain_copies)
    _import_all(plain, chosen)
    assert query(fast, "SELECT sum(rows_duplicate) FROM imports")[0][0] > 100
    assert differences(fast, plain) == {}


def test_every_time_text_reads_as_with_the_whole_list_of_formats(monkeypatch: pytest.MonkeyPatch) -> None:
    values = [_times(i) for i in range(400)]
    values += [v.replace(" ", "  ") for v in values] + [v + " " for v in values] + ["", "/", "1/2/3", "1.2.3 4.5"]
    fast = timestamp_sql("v", "Asia/Jakarta")
    monkeypatch.setattr(timestamps, "day_first_sql", plain_day_first)
    plain = timestamp_sql("v", "Asia/Jakarta")
    assert fast != plain
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE t AS SELECT unnest(?) AS v", [values])
        read, differ = con.execute(f"SELECT count({fast}), count(*) FILTER (WHERE {fast} IS DISTINCT FROM {plain}) "
                                   "FROM t").fetchall()[0]
    finally:
        con.close()
    assert read > len(values) // 2  # most values are times the reader knows
    assert differ == 0


def test_trim_is_skipped_only_where_it_changes_nothing() -> None:
    con = duckdb.connect()
    try:  # every code point at the start and at the end, beside spaces and letters
        con.execute("CREATE TABLE t AS SELECT chr(a::INT) || m || chr(b::INT) AS v FROM range(1, 70000) r(a), "
                    "(VALUES ('x'), (' '), (''), ('a b')) s(m), (VALUES (32), (120), (160), (12288)) e(b) "
                    "WHERE a NOT BETWEEN 55296 AND 57343")
        total, differ = con.execute(f"SELECT count(*), count(*) FILTER (WHERE trim(v) IS DISTINCT FROM "
                                    f"{rows.trim_sql('v')}) FROM t").fetchall()[0]
    finally:
        con.close()
    assert total > 1_000_000 and differ == 0


NUMBERS = ["0", "7", "-3", "+12", "007", "1.5", "-0.25", "1.234", "1.234,5", "12,5", "1.234.567", "1.234.567,89",
           "123456789012345", "1234567890123456", "1e5", "inf", "nan", "0x10", "1_000", "1,2,3", ".5", "5.",
           "+", "-", "12 3", "٣", "1.5e3", "3171011203850012", "-1.234,00", "00,5"]


def test_attribute_kinds_are_the_plain_kinds() -> None:
    """Every column of one or two of these values (and a NULL) gets the kind the plain form gives."""
    import itertools

    columns = [list(c) for n in (1, 2) for c in itertools.combinations([*NUMBERS, "abc"], n)]
    names = [f"c{i}" for i in range(len(columns))]
    cells = [[c[r] if r < len(c) else None for c in columns] for r in range(3)]
    con = duckdb.connect()
    try:
        con.execute(f"CREATE TABLE ingest_rows ({', '.join(f'{n} VARCHAR' for n in names)})")
        con.executemany(f"INSERT INTO ingest_rows VALUES ({', '.join('?' for _ in names)})", cells)
        parts = [p for n in names for p in staging.numeric_counts(n)]
        row = con.execute(f"SELECT {', '.join(parts)} FROM ingest_rows").fetchall()[0]
        counts = {i: tuple(row[3 * i: 3 * i + 3]) for i in range(len(names))}
        fast = staging.attribute_kinds(con, counts)
        plain = plain_attribute_kinds(con, counts)
    finally:
        con.close()
    assert len(fast) == len(columns) > 400 and set(fast.values()) == {"int", "dot", "comma", "text"}
    assert fast == plain
