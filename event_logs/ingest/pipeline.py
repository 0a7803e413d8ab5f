"""``ingest_file``: read, check, map and load one event-log file in one transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from event_logs.ingest import staging
from event_logs.ingest.columns import ColumnPlan, demote_field, is_weak, plan_columns
from event_logs.ingest.csvfile import ByteFacts, ByteScan
from event_logs.ingest.messages import db_error, db_error_hint, no_timestamps_error
from event_logs.ingest.pii import load_secret
from event_logs.ingest.readers import (
    check_quotes,
    cut_unbalanced_quotes,
    detect_format,
    open_source,
)
from event_logs.ingest.result import READER_FACTS, IngestResult
from event_logs.ingest.rows import create_rows, scrub_json_cells
from event_logs.ingest.staging import Fields, lit
from event_logs.ingest.timestamps import Window, resolve_zone
from event_logs.mapping import (
    LabelMapping,
    explicit_map,
    load_activity_map,
    match_labels,
    set_mapping,
)
from event_logs.registry import latest, register_model
from event_logs.store import (
    Notice,
    PendingSchema,
    next_event_id,
    next_import_id,
    open_store,
    open_store_early,
    transaction,
)
from pantau import __version__
from pantau.config import IngestSettings, load_settings
from pantau.errors import IngestError, StoreError
from sop_models.checks import require_model_ok
from sop_models.loader import get_model
from sop_models.model import SopModel

Progress = Callable[[int, int], None]
MEMORY_MB = 1536  # DuckDB's share while importing: the process stays under 2 GB
MEMORY_LIMIT = f"{MEMORY_MB}MB"
MB = 1 << 20
PROBLEM_KINDS = ("unbalanced quote", "too many fields", "missing case_id", "missing activity",
                 "missing timestamp", "unparsable timestamp", "implausible timestamp",
                 "unknown lifecycle")


def file_sha256(path: Path, scan: ByteScan | None = None) -> str:
    """sha256 of the file's bytes (hex); ``scan`` is fed the same chunks (a CSV file's byte
    scan, in the same pass: the file is read once, in the hashing thread)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            if scan is not None:
                scan.feed(chunk)
    return digest.hexdigest()


def _hash_and_scan(path: Path, fmt: str) -> tuple[str, ByteFacts | None]:
    """The file's sha256 and, for a CSV file, its byte scan (:func:`csvfile.scan_bytes`)."""
    scan = ByteScan() if fmt == "csv" else None
    digest = file_sha256(path, scan)
    return digest, scan.finish(path) if scan is not None else None


def _earlier(con: duckdb.DuckDBPyConnection, digest: str) -> IngestResult | None:
    """The earlier import of the same bytes, as a result (``already_imported=True``)."""
    row = con.execute(
        "SELECT import_id, file_name, format, rows_read, rows_loaded, rows_quarantined, rows_duplicate, "
        "mapping FROM imports WHERE sha256 = ? ORDER BY import_id LIMIT 1", [digest]).fetchall()
    if not row:
        return None
    row = row[0]
    # A reason is "kind[ 'value'][; kind...]": count each kind at the start or after "; ".
    parts = ", ".join(f"count(*) FILTER (WHERE starts_with(reason, {lit(k)}) OR contains(reason, {lit('; ' + k)}))"
                      for k in PROBLEM_KINDS)
    counts = con.execute(f"SELECT {parts} FROM quarantine WHERE import_id = ?", [row[0]]).fetchall()[0]
    reasons = {k: int(n) for k, n in zip(PROBLEM_KINDS, counts, strict=True) if n}
    mapping = json.loads(row[7]) if row[7] else {}
    return IngestResult(import_id=row[0], file_name=row[1], sha256=digest, format=row[2],
                        rows_read=row[3], rows_loaded=row[4], rows_quarantined=row[5],
                        rows_duplicate=row[6], already_imported=True, quarantine_reasons=reasons,
                        **{k: mapping[k] for k in READER_FACTS if k in mapping})


def _plan(source_names: list[str], fmt: str, file: str, *, mapping: dict[str, str] | None,
          pii_columns: Iterable[str], keep_names: bool, keep_columns: Iterable[str],
          personal: Iterable[int], no_timestamps: bool) -> ColumnPlan:
    """The column plan. A log without times is read in file order (order only) when it says
    so itself (an XES log none of whose events has ``time:timestamp``: the standard's key
    cannot be misnamed) or the user declares it (``no_timestamps``); a table without a
    recognised timestamp column is refused otherwise, for its times may sit under a name
    Pantau does not know (the hint names --map and --no-timestamps)."""
    plan = plan_columns(source_names, mapping=mapping, pii_columns=pii_columns,
                        keep_names=keep_names, keep_columns=keep_columns, personal=personal,
                        file=file, require_timestamp=fmt != "xes" and not no_timestamps)
    if no_timestamps and "timestamp" in plan.fields:
        name = plan.names[plan.fields["timestamp"]]
        raise IngestError(f"--no-timestamps, but the file has a timestamp column '{name}'",
                          file=file, field=name,
                          hint="leave out --no-timestamps: with its times the log's Mutu Baku can be measured")
    return plan


def is_order_only(plan: ColumnPlan) -> bool:
    """True for a log read without times: its events' order is the file's order."""
    return "timestamp" not in plan.fields


def _label_table(con: duckdb.DuckDBPyConnection, fields: Fields, model: SopModel,
                 activity_map: dict[str, str | None]) -> LabelMapping:
    """Match the distinct labels of the rows to load, for the import's report (the mapping
    itself is applied at analysis time: events keep the label the file gave)."""
    activity = fields.value("activity")
    counts = dict(con.execute(f"SELECT {activity}, count(*) FROM {staging.loaded_rows_sql(fields)} "
                              "GROUP BY ALL").fetchall())
    return match_labels(counts, model, activity_map)


def _write_quarantine(con: duckdb.DuckDBPyConnection, fields: Fields, import_id: int, raw_json: str) -> int:
    """Quarantine rows (raw JSON + reason), in file order; returns how many."""
    n = con.execute(f"""
        INSERT INTO quarantine (import_id, source_row, raw, reason, kind)
        SELECT {import_id}, source_row, {raw_json}, {fields.problem()}, {fields.first_kind()}
        FROM ingest_rows WHERE NOT ({fields.ok()}) ORDER BY source_row""").fetchall()[0][0]
    return int(n)


def _write_events(con: duckdb.DuckDBPyConnection, fields: Fields, import_id: int, sop_id: str,
                  attrs: list[staging.AttributeColumn]) -> int:
    """Events as the file gave them (the label, not a step: that is applied at analysis), with
    their own attributes (the columns whose values differ within a case).

    event_id = first free id + source_row - 1: increasing in file order and unique across
    imports without a sort; rows not loaded (quarantined, duplicates) leave gaps.
    """
    first = next_event_id(con)
    v = fields.value
    n = con.execute(f"""
        INSERT INTO events (event_id, case_id, sop_id, activity, lifecycle, ts, resource, agency,
                            unit, import_id, source_row, attributes)
        SELECT {first - 1} + r.source_row, {v('case_id')}, $sop, {v('activity')},
               {v('lifecycle')}, ts, {v('resource')}, {v('agency')}, {v('unit')}, {import_id},
               r.source_row, {staging.event_attributes_json(attrs)}
        FROM {staging.loaded_rows_sql(fields)}""", {"sop": sop_id}).fetchall()[0][0]
    return int(n)


# first/last times of a case new to the store come from the file's rows (tests compare with
# the plain form, every case's span read from the stored events)
SPAN_FROM_STORED_CASES_ONLY = True


def _upsert_cases(con: duckdb.DuckDBPyConnection, fields: Fields, *, import_id: int, sop_id: str,
                  attrs: list[staging.AttributeColumn]) -> None:
    """One row per case (sop_id, agency, case_id): a case id is unique only within its agency,
    so the same id under two agencies is two cases. First non-null unit/nik_hash/attributes per
    case (earlier imports win; attributes: the columns with one value per case). first_ts /
    last_ts: of a case new to the store, from the file's good rows (all its events are among
    them: a good row not loaded is a copy of one loaded); of a case stored before, recomputed
    from all its stored events (this import's included). Only the stored cases' events are
    read: reading every event of the touched cases cost ~0.5 s at a million rows."""
    v = fields.value
    # the plain form (tests: SPAN_FROM_STORED_CASES_ONLY = False) reads every case's span from the events
    stored = ("SELECT c.agency, c.case_id FROM cases c SEMI JOIN n ON n.agency = c.agency "
              "AND n.case_id = c.case_id WHERE c.sop_id = $sop") if SPAN_FROM_STORED_CASES_ONLY \
        else "SELECT agency, case_id FROM n"
    attrs = [a for a in attrs if not a.per_event]
    if attrs:
        pairs = ", ".join(f"{lit(a.key)}, arg_min({a.sql()}, source_row)" for a in attrs)
        attributes = f"json_merge_patch('{{}}', json_object({pairs}))"
    else:
        attributes = "NULL::JSON"
    con.execute(f"""
        INSERT INTO cases (case_id, sop_id, agency, unit, nik_hash, attributes, first_ts, last_ts, import_id)
        WITH n AS (
            SELECT {v('case_id')} AS case_id, {v('agency')} AS agency,
                   arg_min({v('unit')}, source_row) AS unit,
                   arg_min({v('nik_hash')}, source_row) AS nik_hash, {attributes} AS attributes,
                   min(ts) AS first_ts, max(ts) AS last_ts
            FROM ingest_rows WHERE {fields.ok()} GROUP BY 1, 2
        ), stored AS ({stored}), span AS (
            SELECT e.agency, e.case_id, min(e.ts) AS first_ts, max(e.ts) AS last_ts FROM events e
            SEMI JOIN stored s ON s.agency = e.agency AND s.case_id = e.case_id
            WHERE e.sop_id = $sop GROUP BY e.agency, e.case_id
        )
        SELECT n.case_id, $sop, n.agency, n.unit, n.nik_hash, n.attributes,
               CASE WHEN span.case_id IS NULL THEN n.first_ts ELSE span.first_ts END,
               CASE WHEN span.case_id IS NULL THEN n.last_ts ELSE span.last_ts END, {import_id}
        FROM n LEFT JOIN span USING (agency, case_id)
        ON CONFLICT (sop_id, agency, case_id) DO UPDATE SET
            unit = coalesce(cases.unit, excluded.unit),
            nik_hash = coalesce(cases.nik_hash, excluded.nik_hash),
            attributes = CASE WHEN cases.attributes IS NULL THEN excluded.attributes
                              WHEN excluded.attributes IS NULL THEN cases.attributes
                              ELSE json_merge_patch(excluded.attributes, cases.attributes) END,
            first_ts = excluded.first_ts,
            last_ts = excluded.last_ts
        """, {"sop": sop_id})


@dataclass
class _Staged:
    """A file read and checked on the connection, ready to be written."""

    rows: int
    plan: ColumnPlan
    fields: Fields
    stats: staging.RowStats
    to_load: int
    labels: LabelMapping
    details: dict[str, Any]


@dataclass(frozen=True)
class _Options:
    """How the file's columns are to be read (the caller's choices)."""

    mapping: dict[str, str] | None
    pii_columns: list[str]
    keep_names: bool
    keep_columns: list[str]
    sheet: str | None
    file_map: dict[str, str | None]  # the --activity-map file's rows (over the store's mapping)
    no_timestamps: bool = False          # --no-timestamps: the log records no times (order only)


def _stage(con: duckdb.DuckDBPyConnection, file_path: Path, fmt: str, *, model: SopModel, zone: str,
           agency: str, key: bytes, opts: _Options, limits: IngestSettings,
           facts: ByteFacts | None = None, pending: PendingSchema | None = None) -> _Staged:
    """Read, hash, parse and check the file into temporary tables; nothing is written yet.
    ``pending``: a new store's schema, made meanwhile; waited for before the first read of
    a store table (the stored events, the activity map)."""
    file = str(file_path)
    window = Window.around(datetime.now(UTC).date(), limits.earliest_year, limits.latest_years_ahead)
    source = open_source(con, file_path, fmt, opts.sheet, limits, facts)
    if source.memory_bytes:  # the Arrow table counts against the process's memory too
        con.execute(f"SET memory_limit = '{max(256, MEMORY_MB - source.memory_bytes // MB)}MB'")
    try:
        plan = _plan(source.names, fmt, file, mapping=opts.mapping, pii_columns=opts.pii_columns,
                     keep_names=opts.keep_names, keep_columns=opts.keep_columns, personal=source.personal,
                     no_timestamps=opts.no_timestamps)
        rows = create_rows(con, source, plan, key, zone, window)
        if cut_unbalanced_quotes(con, source):  # read again, each cut line a row of its own
            rows = create_rows(con, source, plan, key, zone, window)
        check_quotes(con, source, file)
        control = source.control
        json_keys = scrub_json_cells(con, plan)
        staging.fill_case_agency(con, plan)
    except duckdb.Error as exc:
        raise IngestError(f"cannot read the file: {db_error(exc)}", file=file) from exc
    finally:
        source.close()
    if rows == 0:
        raise IngestError("no data rows: the file has a header but no rows", file=file)
    if rows > limits.max_rows:
        raise IngestError(f"refused: the file holds {rows:,} rows, more than the cap of {limits.max_rows:,}",
                          file=file, hint="split the file, or raise [ingest] max_rows in pantau.toml "
                                          "(docs/config.md)")
    if "lifecycle" in plan.fields and is_weak(plan, "lifecycle") and not staging.has_lifecycle_words(con, plan):
        demote_field(plan, "lifecycle")  # a 'status' column of case statuses: an attribute
    fields = Fields(plan, agency=agency, has_extra=source.extra_sql is not None, window=window,
                    broken_rows=tuple(source.details.get("unbalanced_quote_rows", ())))
    stats = staging.row_stats(con, fields, count_control=control)
    order_only = is_order_only(plan)
    if not stats.parsed_ts and not order_only:
        raise no_timestamps_error(con, plan, file, rows)
    details = dict(source.details)
    if order_only:
        details["order_only"] = True
    if json_keys:
        details["json_keys_dropped"] = json_keys
    if control:
        details["control_rows"] = stats.control_rows
    if pending is not None:
        pending.ready()
    to_load = staging.create_skip(con, fields, model.id, good=rows - stats.bad, order_only=order_only)
    labels = _label_table(con, fields, model, {**explicit_map(con, model.id), **opts.file_map})
    return _Staged(rows, plan, fields, stats, to_load, labels, details)


def _commit(con: duckdb.DuckDBPyConnection, st: _Staged, *, file_path: Path, digest: str, fmt: str,
            sop_id: str, agency: str, options: dict[str, Any], started: datetime,
            report: Progress, file_map: dict[str, str]) -> tuple[int, int, int, int]:
    """The one transaction: quarantine, events, cases, the activity map file's rows, the
    imports row.

    Returns (import_id, loaded, quarantined, duplicate).
    """
    rows, plan, fields = st.rows, st.plan, st.fields
    duplicate = rows - st.stats.bad - st.to_load
    mapping_json = json.dumps({
        "columns": plan.used(), "pii": [plan.names[i] for i in plan.pii],
        "dropped": [plan.names[i] for i in plan.dropped],
        "attributes": [a.key for a in st.stats.attributes if not a.per_event],
        "event_attributes": [a.key for a in st.stats.attributes if a.per_event], **options, **st.details,
    }, ensure_ascii=False)
    raw_json = staging.quarantine_raw_sql(plan, fields.has_extra)
    with transaction(con):
        import_id = next_import_id(con)
        quarantined = _write_quarantine(con, fields, import_id, raw_json)
        report(quarantined + duplicate, rows)
        loaded = _write_events(con, fields, import_id, sop_id, st.stats.attributes)
        report(quarantined + duplicate + loaded, rows)
        _upsert_cases(con, fields, import_id=import_id, sop_id=sop_id, attrs=st.stats.attributes)
        for label, step_id in file_map.items():
            set_mapping(con, sop_id, label, step_id, source="file")
        if rows != loaded + quarantined + duplicate or loaded != st.to_load or quarantined != st.stats.bad:
            raise StoreError(f"internal error: {rows} rows read but {loaded} loaded + "
                             f"{quarantined} quarantined + {duplicate} duplicates", file=str(file_path))
        con.execute(
            "INSERT INTO imports (import_id, file_name, sha256, format, sop_id, agency, mapping, "
            "rows_read, rows_loaded, rows_quarantined, rows_duplicate, started, finished, "
            "pantau_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [import_id, file_path.name, digest, fmt, sop_id, agency, mapping_json,
             rows, loaded, quarantined, duplicate, started, datetime.now(UTC), __version__])
    return import_id, loaded, quarantined, duplicate


def _model_in_store(db_path: Path, sop_id: str) -> SopModel:
    """The version of ``sop_id`` new imports are checked with: the store's, or for a store
    not made yet the bundled one it will start with."""
    try:
        con = open_store(db_path) if db_path.exists() else None
    except StoreError:  # locked, older or not a store: the writable open below says which
        con = None
    if con is None:
        model = get_model(sop_id)
        require_model_ok(model)
        return model
    try:
        return latest(con, sop_id)
    finally:
        con.close()


def ingest_file(
    db_path: str | Path,
    file_path: str | Path,
    *,
    sop_id: str,
    agency: str | None = None,
    tz: str | None = None,
    mapping: dict[str, str] | None = None,
    activity_map: Path | None = None,
    pii_columns: Iterable[str] = (),
    keep_names: bool = False,
    keep_columns: Iterable[str] = (),
    sheet: str | None = None,
    progress: Progress | None = None,
    notice: Notice | None = None,
    settings: IngestSettings | None = None,
    models_dir: str | Path | None = None,
    no_timestamps: bool = False,
) -> IngestResult:
    """Import one event-log file (CSV, Excel, XES/XES.gz, Parquet) into the store at ``db_path``.

    All writes happen in one transaction: a failure or a killed process leaves the store as
    it was. A file whose sha256 is already in ``imports`` is not read again
    (``already_imported=True`` with the earlier counts). ``mapping`` is ``COLUMN -> FIELD``
    (``--map``); ``keep_columns`` are personal columns to keep (``--keep-column``; all of
    them with ``keep_names``); ``settings`` the ``[ingest]`` caps and timestamp window
    (default: the settings file in force for the store); ``models_dir`` overrides where SOP
    models are read from (tests). ``progress(done, total)`` is called per stage with
    ``total`` = rows read: ``(0, total)`` after reading and after checking, then — inside the
    transaction — after the quarantine rows are written (``done`` = quarantined + duplicates)
    and after the events are written (``done == total``, not yet committed), and once more
    after the commit. ``notice(text)`` is told when the store is busy and the import waits.
    ``no_timestamps`` (``--no-timestamps``) declares a log that records no times: its events
    load with ``ts`` NULL in file order (``order_only``), conformance runs on that order and
    Mutu Baku marks its steps not measurable; an XES log none of whose events has a
    ``time:timestamp`` is read so without being told. A log with a timestamp column keeps
    its rules: a row without a readable time is quarantined.

    Raises :class:`IngestError` (whole file refused, nothing written),
    :class:`MissingColumnError`, :class:`StoreLockedError`, :class:`UnknownSopError`.
    """
    file_path = Path(file_path)
    if not file_path.is_file():
        raise IngestError("no such file", file=str(file_path))
    started = datetime.now(UTC)
    limits = settings or load_settings(store=db_path).ingest
    fmt = detect_format(file_path)
    # the file's hash is needed once the store is open: computed meanwhile (hashlib releases
    # the GIL), so reading 200 MB overlaps loading the model and opening the store; a CSV
    # file's byte scan is made in the same pass
    hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pantau-sha256")
    hashing = hasher.submit(_hash_and_scan, file_path, fmt)
    hasher.shutdown(wait=False)
    key = load_secret()
    report = progress or (lambda _done, _total: None)

    # the model and the activity map file are checked before the store is opened for writing:
    # a file refused here leaves no trace, not even a new empty store
    given = get_model(sop_id, models_dir) if models_dir is not None else None
    model = given or _model_in_store(Path(db_path), sop_id)
    file_map = load_activity_map(Path(activity_map), model) if activity_map else {}
    agency = agency or model.agency

    # a new store's schema is made in a thread while the file is read (store.open_store_early)
    con, pending = open_store_early(db_path, notice=notice)
    try:
        if given is not None:  # a model file from elsewhere (tests): registered first
            pending.ready()
            with transaction(con):
                register_model(con, given, Path(given.path).read_text(encoding="utf-8"), origin="file")
        digest, facts = hashing.result()
        earlier = None if pending.new else _earlier(con, digest)  # a store made now holds no import
        if earlier is not None:
            if file_map:  # the mapping is news even when the file is not
                with transaction(con):
                    for label, step_id in file_map.items():
                        set_mapping(con, sop_id, label, step_id, source="file")
            return earlier
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        con.execute("SET preserve_insertion_order = true")
        con.execute("SET TimeZone = 'UTC'")  # Parquet TIMESTAMPTZ columns print as +00
        zone = resolve_zone(con, tz or model.timezone, source="--tz" if tz else f"SOP {model.id}")
        opts = _Options(mapping, list(pii_columns), keep_names, list(keep_columns), sheet, dict(file_map),
                        no_timestamps)
        st = _stage(con, file_path, fmt, model=model, zone=zone, agency=agency, key=key, opts=opts,
                    limits=limits, facts=facts, pending=pending)
        report(0, st.rows)
        options = {"timezone": zone, "keep_names": keep_names, "keep_columns": opts.keep_columns,
                   "activity_map": str(activity_map) if activity_map else None}
        import_id, loaded, quarantined, duplicate = _commit(
            con, st, file_path=file_path, digest=digest, fmt=fmt, sop_id=sop_id, agency=agency,
            options=options, started=started, report=report, file_map=file_map)
        report(st.rows, st.rows)
    except duckdb.Error as exc:  # ours are PantauErrors; anything else is the store failing
        raise StoreError(f"the import failed and was rolled back: {db_error(exc)}",
                         file=str(file_path), hint=db_error_hint(exc)) from exc
    finally:
        pending.wait()  # the schema's thread uses the database too
        con.close()
    return IngestResult(
        import_id=import_id, file_name=file_path.name, sha256=digest, format=fmt,
        rows_read=st.rows, rows_loaded=loaded, rows_quarantined=quarantined,
        rows_duplicate=duplicate, unmapped_labels=st.labels.unmapped, sop_id=sop_id,
        labels_seen=len(st.labels.how) + len(st.labels.unmapped),
        suggestions=st.labels.suggestions, quarantine_reasons=st.stats.kinds,
        columns=st.plan.used(), timezone=zone,
        **{k: st.details[k] for k in READER_FACTS if k in st.details},
    )
