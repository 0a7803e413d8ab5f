"""Conformance stage of ``pantau analyze``: variants, alignments, deviations, model quality.

Work is split by where it is cheap:

- DuckDB computes each case's trace and its variant (``sql/intermediate/case_variants.sql``,
  ``sql/conformance_variants.sql``);
  the case -> variant mapping never leaves DuckDB.
- :mod:`analytics.alignment` aligns each *distinct variant* once against the SOP's Petri
  net (a full alignment, or a prefix alignment for a variant that stops where the flow
  cannot end: an open case is judged "so far"), most frequent variants first, within a time
  budget per variant and in total; a variant out of time falls back to token replay. pm4py
  (through :mod:`analytics.pm4py_bridge`) token-replays every variant and computes precision.
- Python turns each variant's alignment into deviations (:mod:`analytics.conformance_rules`).
- DuckDB expands variant results to cases, adds ``same_person`` and ``missing_kelengkapan``
  and writes ``variants``, ``deviations``, ``model_quality`` and the staging table
  ``conformance_cases`` (``sql/conformance_deviations.sql``, ``sql/conformance_results.sql``).

:func:`run_conformance` does it all; :func:`prepare_conformance` (DuckDB),
:func:`check_conformance` (Python and pm4py only, no connection: it may run in another thread) and
:func:`write_conformance` (DuckDB) are its three parts, for a caller that overlaps the pm4py
part with other SQL (``analytics.run``). The caller owns the transaction: nothing here
begins or commits one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

import duckdb
import pyarrow as pa

from analytics import conformance_rules as rules
from analytics import conformance_scope as scope
from analytics import sql_files
from analytics.alignment import Aligner
from analytics.incremental import NotIncremental
from analytics.labels import ensure_labels
from analytics.standards import install_standards, sop_filters
from analytics.state_space import build as build_state_space
from pantau.config import AnalysisSettings
from pantau.errors import AnalysisError
from sop_models.model import SopModel

ProgressFn = Callable[[int, int], None]
PRECISION_REPEAT_CAP = 50  # each variant enters the precision log at most this many times
PRECISION_MAX_TRACES = 2000  # ... and holds at most this many traces (most frequent variants first)
# pm4py's token replay costs about a microsecond per event x transition of the net: bounds on
# that work (pm4py_bridge.replay_work) keep token replay and precision to seconds on logs with
# thousands of long variants and nets of hundreds of transitions (bench/README.md)
TOKEN_REPLAY_MAX_WORK = 10_000_000  # token replay per SOP: fallback variants first, then by frequency
PRECISION_MAX_WORK = 4_000_000  # distinct prefixes replayed for precision per SOP x agency
ALIGNED = "aligned"
FALLBACK = "token_replay_fallback"
SEP = "\x1f"  # trace symbol separator in the SQL (chr(31))

# Temp tables this stage creates; all but conformance_cases are dropped when it is done.
_SCRATCH = (
    "conformance_sops", "conformance_steps", "conformance_four_eyes",
    "conformance_kelengkapan", "conformance_run", "conformance_case_variant",
    "conformance_variant_counts", "conformance_variant_results", "conformance_variant_devs",
    "conformance_case_devs", "conformance_precision", "conformance_all_case_variant",
    "conformance_all_variants",
)


@dataclass
class ConformanceStats:
    """What the conformance stage did: counts and wall seconds per sub-stage."""

    cases: int = 0
    variants: int = 0
    aligned: int = 0
    timeouts: int = 0  # variants that ran out of alignment time and fell back to token replay
    deviations: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def _sql(name: str) -> str:
    return files("analytics").joinpath("sql", name).read_text(encoding="utf-8")


def _run_script(con: duckdb.DuckDBPyConnection, name: str) -> None:
    # DuckDB runs a parameterless multi-statement script in one call; inputs travel in
    # temp tables instead of parameters for that reason.
    con.execute(_sql(name))


def _load(con: duckdb.DuckDBPyConnection, name: str, schema: pa.Schema, rows: Sequence[tuple]) -> None:
    """Replace temp table ``name`` by ``rows`` (tuples in ``schema`` order)."""
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
    table = pa.Table.from_arrays([pa.array(list(c), type=f.type) for c, f in zip(columns, schema, strict=True)],
                                 schema=schema)
    view = f"{name}_arrow"
    con.register(view, table)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {view}")
    finally:
        con.unregister(view)


def _schema(**cols: pa.DataType) -> pa.Schema:
    return pa.schema(list(cols.items()))


S = pa.string()


def _load_model_tables(con: duckdb.DuckDBPyConnection, run_id: int, sop_ids: list[str],
                       models: Mapping[str, SopModel]) -> None:
    steps, pairs, docs = [], [], []
    for sop_id in sop_ids:
        model = models[sop_id]
        by_id = {s.id: s for s in model.steps}
        steps += [(sop_id, s.id, s.name, s.lane) for s in model.steps]
        for a, b in model.four_eyes:
            if a in by_id and b in by_id:
                pairs.append((sop_id, a, b, rules.step_label(by_id[a], "id"), rules.step_label(by_id[b], "id"),
                              rules.step_label(by_id[a], "en"), rules.step_label(by_id[b], "en")))
        first = model.case_steps[0] if model.case_steps else None
        if first is not None and first.kelengkapan:
            docs.append((sop_id, first.id, list(first.kelengkapan),
                         rules.step_label(first, "id"), rules.step_label(first, "en")))
    _load(con, "conformance_sops", _schema(sop_id=S), [(s,) for s in sop_ids])
    _load(con, "conformance_run", _schema(run_id=pa.int32()), [(run_id,)])
    _load(con, "conformance_steps", _schema(sop_id=S, step_id=S, name=S, lane=S), steps)
    _load(con, "conformance_four_eyes", _schema(sop_id=S, step_a=S, step_b=S, label_a_id=S, label_b_id=S,
                                                label_a_en=S, label_b_en=S), pairs)
    _load(con, "conformance_kelengkapan", _schema(sop_id=S, step_id=S, items=pa.list_(S),
                                                  label_id=S, label_en=S), docs)


def _symbols(seq: str) -> list[str]:
    return seq.split(SEP) if seq else []


@dataclass
class _Budget:
    per_variant: float
    total: float
    used: float = 0.0

    def next_limit(self) -> float:
        return min(self.per_variant, self.total - self.used)


def _check_variants(
    sop_id: str,
    model: SopModel,
    ctx: Any,
    aligner: Any,
    variants: list[tuple[str, str, int]],
    budget: _Budget,
    stats: ConformanceStats,
    tick: Callable[[], None],
) -> tuple[list[tuple], list[tuple]]:
    """Align and replay each variant of one SOP; rows for the variant results and deviations.

    A variant whose trace stops where the flow cannot end (:func:`rules.is_open`) is aligned
    as a prefix (:mod:`analytics.alignment`): its fitness, cost and ``is_sop_path`` say
    "so far", and steps that may still come are not deviations.
    """
    from analytics import pm4py_bridge as bridge  # pm4py costs seconds to import: only when needed

    t = time.perf_counter()
    xors = rules.xor_branches(model.flow)
    labels = bridge.visible_labels(ctx.net)
    results, devs = [], []
    aligned: dict[str, Any] = {}
    for variant_id, seq, _count in variants:
        limit = budget.next_limit()
        if limit > 0:
            symbols = _symbols(seq)
            ali = aligner.align(symbols, prefix=rules.is_open(symbols, model.flow), max_seconds=limit)
            budget.used += ali.seconds
            if not ali.timed_out:
                aligned[variant_id] = ali
        tick()
    stats.seconds["align"] = stats.seconds.get("align", 0.0) + time.perf_counter() - t

    t = time.perf_counter()
    token = _token_fitness(ctx, variants, aligned)
    stats.seconds["token_replay"] = stats.seconds.get("token_replay", 0.0) + time.perf_counter() - t

    for (variant_id, seq, _count), tok in zip(variants, token, strict=True):
        symbols = _symbols(seq)
        is_open = rules.is_open(symbols, model.flow)
        ali = aligned.get(variant_id)
        if ali is not None:
            stats.aligned += 1
            results.append((sop_id, variant_id, ali.fitness, tok, ALIGNED, ali.cost, ali.cost == 0, is_open))
            found = rules.classify(ali.moves, model, xors, ali.still_possible)
        else:
            stats.timeouts += 1
            # pm4py's token replay ignores activities the net lacks: not a fit for us; and
            # it counts the tokens an open case has still to move: no verdict "so far"
            fits = None if is_open or tok is None else tok == 1.0 and set(symbols) <= labels
            results.append((sop_id, variant_id, None, tok, FALLBACK, None, fits, is_open))
            found = rules.unmapped_only(symbols)
        devs += [(sop_id, variant_id, d.kind, d.step_id, d.position, d.explanation_id, d.explanation_en,
                  d.after) for d in found]
    return results, devs


def _token_fitness(ctx: Any, variants: list[tuple[str, str, int]], aligned: Mapping[str, Any]) -> list[float | None]:
    """pm4py's token fitness per variant, within :data:`TOKEN_REPLAY_MAX_WORK`: the variants
    without an alignment first (their fitness falls back to it), then the most frequent;
    None for the variants past the bound."""
    from analytics import pm4py_bridge as bridge

    order = sorted(range(len(variants)), key=lambda i: (variants[i][0] in aligned, i))
    chosen, work = [], 0
    for i in order:
        cost = bridge.replay_work(ctx, len(_symbols(variants[i][1])))
        if chosen and work + cost > TOKEN_REPLAY_MAX_WORK:
            break
        chosen.append(i)
        work += cost
    chosen.sort()
    out: list[float | None] = [None] * len(variants)
    for i, tok in zip(chosen, bridge.token_fitness(ctx, [_symbols(variants[i][1]) for i in chosen]), strict=True):
        out[i] = tok
    return out


@dataclass
class ConformanceWork:
    """The conformance stage's input once DuckDB has found the variants: plain Python
    objects, so :func:`check_conformance` can run without the connection (in another
    thread while DuckDB works on something else)."""

    sop_ids: list[str]
    models: Mapping[str, SopModel]
    nets: Mapping[str, tuple[Any, Any, Any]] | None  # None: built from the models when checked
    rows: list[tuple[str, str, str, int]]  # (sop_id, variant_id, seq, case_count), most frequent first
    precision_groups: dict[tuple[str, str | None], list[tuple[list[str], int]]]
    stats: ConformanceStats
    incremental: bool = False  # an incremental run (analytics.incremental)
    # per incremental SOP: the events of its variants this run does not check (kept from the
    # last run), which a full run's token-replay bound would count too
    other_events: dict[str, int] = field(default_factory=dict)
    # per recomputed SOP x agency of an incremental SOP: its variant log at the last run and
    # the precision stored for it (kept when pm4py would replay the same traces)
    previous_precision: dict[tuple[str, str | None], tuple[list[tuple[list[str], int]], float | None]] = \
        field(default_factory=dict)


@dataclass
class ConformanceChecked:
    """The verdicts per variant: rows for the variant results, deviations and precision."""

    results: list[tuple] = field(default_factory=list)
    devs: list[tuple] = field(default_factory=list)
    precision: list[tuple] = field(default_factory=list)


class Cancelled(AnalysisError):
    """The caller asked :func:`check_conformance` to stop (another stage failed)."""


def warm_up() -> None:
    """Import pm4py and the net builders (about a second): a caller with a spare thread
    runs this while DuckDB works, so that :func:`check_conformance` starts at once."""
    from analytics import pm4py_bridge  # noqa: F401
    from sop_models import builders  # noqa: F401


def _nets(work: ConformanceWork) -> Mapping[str, tuple[Any, Any, Any]]:
    from sop_models.builders import petri_net

    given = work.nets or {}
    return {s: given[s] if s in given else petri_net(work.models[s], labels="id") for s in work.sop_ids}


def prepare_conformance(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    sop_ids: list[str],
    *,
    models: dict[str, SopModel],
    nets: Mapping[str, tuple[Any, Any, Any]] | None = None,
    incremental: bool = False,
) -> ConformanceWork:
    """First part of :func:`run_conformance`, in DuckDB: each case's trace and variant
    (temp tables on ``con``) and the distinct variants to check. ``incremental``: the run's
    events are its scope's (:mod:`analytics.incremental`): the variants of the recomputed
    cases are checked, precision is recomputed for the agencies whose variants changed."""
    missing = [s for s in sop_ids if s not in models]
    if missing:
        raise AnalysisError(f"no SOP model given for {missing}", hint="pass models={sop_id: SopModel}")
    stats = ConformanceStats()
    t = time.perf_counter()
    install_standards(con, {s: models[s] for s in sop_ids})
    ensure_labels(con, {s: models[s] for s in sop_ids})
    _load_model_tables(con, run_id, sop_ids, models)
    for i, sop_filter in enumerate(sop_filters(con, ["e.sop_id"], split=not incremental)):
        traces = sql_files.render("intermediate/case_variants.sql", sop_filter=sop_filter)
        con.execute(("INSERT INTO conformance_case_variant " if i else
                     "CREATE OR REPLACE TEMP TABLE conformance_case_variant AS ") + traces)
    _run_script(con, "conformance_variants.sql")
    rows = [(s, v, seq, int(n)) for s, v, seq, n in con.execute(
        "SELECT sop_id, variant_id, seq, case_count FROM conformance_variant_counts "
        "ORDER BY sop_id, case_count DESC, variant_id"
    ).fetchall()]
    stats.variants = len(rows)
    stats.cases = sum(r[3] for r in rows)
    seqs = {(s, v): _symbols(seq) for s, v, seq, _ in rows}
    other = scope.install_all_cases(con, seqs, incremental)
    groups = scope.precision_groups(con, seqs, incremental)
    previous = scope.previous_precision(con, seqs) if incremental else {}
    stats.seconds["variants"] = time.perf_counter() - t
    return ConformanceWork(list(sop_ids), models, nets, rows, groups, stats, incremental, other, previous)


def check_conformance(
    work: ConformanceWork,
    *,
    max_align_seconds_per_variant: float = AnalysisSettings.align_seconds_per_variant,
    max_align_seconds_total: float = AnalysisSettings.align_seconds_total,
    progress: ProgressFn | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ConformanceChecked:
    """Second part of :func:`run_conformance`: per variant an alignment and pm4py's token
    replay, and pm4py's precision per SOP x agency. Touches no database; raises :class:`Cancelled` between
    variants once ``cancelled()`` is true."""
    stats, done = work.stats, 0
    # nothing to check (an incremental run without new events): every verdict is the last
    # run's, and pm4py is not even imported
    if not work.rows and not work.precision_groups:
        return ConformanceChecked()
    from analytics import pm4py_bridge as bridge  # pm4py costs seconds to import: only here

    def tick() -> None:
        nonlocal done
        done += 1
        if cancelled is not None and cancelled():
            raise Cancelled("conformance check stopped")
        if progress:
            progress(done, stats.variants)

    t = time.perf_counter()
    nets = _nets(work)
    contexts = {s: bridge.prepare_net(*nets[s]) for s in work.sop_ids}
    for sop_id, kept in work.other_events.items():
        # a full run bounds token replay over all of the SOP's variants: past the bound its
        # choice of variants cannot be repeated on a part of them
        events = kept + sum(len(_symbols(r[2])) for r in work.rows if r[0] == sop_id)
        if bridge.replay_work(contexts[sop_id], events) > TOKEN_REPLAY_MAX_WORK:
            raise NotIncremental(sop_id, "its variants pass the token-replay bound")
    aligners = {s: Aligner(build_state_space(bridge.plain_net(*nets[s]))) for s in work.sop_ids
                if any(r[0] == s for r in work.rows)}
    stats.seconds["align"] = time.perf_counter() - t
    budget = _Budget(max_align_seconds_per_variant, max_align_seconds_total)
    checked = ConformanceChecked()
    for sop_id in work.sop_ids:
        variants = [(v, seq, n) for s, v, seq, n in work.rows if s == sop_id]
        if variants:
            r, d = _check_variants(sop_id, work.models[sop_id], contexts[sop_id], aligners[sop_id],
                                   variants, budget, stats, tick)
            checked.results += r
            checked.devs += d
    t = time.perf_counter()
    bounds = {"repeat_cap": PRECISION_REPEAT_CAP, "max_traces": PRECISION_MAX_TRACES,
              "max_work": PRECISION_MAX_WORK}

    def precision(sop_id: str, agency: str | None, log: list[tuple[list[str], int]]) -> float | None:
        ctx = contexts[sop_id]
        before = work.previous_precision.get((sop_id, agency))
        if before is not None and bridge.precision_log(ctx, before[0], **bounds) == bridge.precision_log(
                ctx, log, **bounds):
            return before[1]  # the same traces replayed: the same precision
        return bridge.precision(ctx, log, **bounds)

    checked.precision = [
        (sop_id, agency, precision(sop_id, agency, log))
        for (sop_id, agency), log in sorted(work.precision_groups.items(),
                                            key=lambda kv: (kv[0][0], kv[0][1] or ""))
    ]
    stats.seconds["precision"] = time.perf_counter() - t
    return checked


def write_conformance(con: duckdb.DuckDBPyConnection, work: ConformanceWork,
                      checked: ConformanceChecked) -> ConformanceStats:
    """Last part of :func:`run_conformance`, in DuckDB: variant results expanded to cases,
    deviations, model quality; returns the stage's statistics."""
    stats = work.stats
    t = time.perf_counter()
    _load(con, "conformance_variant_results", _schema(
        sop_id=S, variant_id=S, alignment_fitness=pa.float64(), token_fitness=pa.float64(),
        alignment_status=S, cost=pa.float64(), is_sop_path=pa.bool_(), is_open=pa.bool_()),
        checked.results)
    _load(con, "conformance_variant_devs", _schema(
        sop_id=S, variant_id=S, kind=S, step_id=S, position=pa.int32(), explanation_id=S,
        explanation_en=S, after_position=pa.int32()), checked.devs)
    _run_script(con, "conformance_deviations.sql")
    scope.install_all_variants(con, work.incremental)
    stats.seconds["deviations"] = time.perf_counter() - t

    t = time.perf_counter()
    _load(con, "conformance_precision", _schema(sop_id=S, agency=S, precision=pa.float64()),
          checked.precision)
    if work.incremental:  # the agencies whose variants did not change keep their precision
        con.execute("""
            INSERT INTO conformance_precision
            SELECT q.sop_id, q.agency, q.precision FROM run_prev_quality q
            WHERE q.sop_id IN (SELECT sop_id FROM run_pass_incremental) AND NOT EXISTS (SELECT 1 FROM run_scope_agencies a
                              WHERE a.sop_id = q.sop_id AND a.agency IS NOT DISTINCT FROM q.agency)""")
    _run_script(con, "conformance_results.sql")
    stats.deviations = int(con.execute("SELECT count(*) FROM conformance_case_devs").fetchall()[0][0])
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE temporary").fetchall()}
    for name in _SCRATCH:
        con.execute(f"DROP {'VIEW' if name in views else 'TABLE'} IF EXISTS {name}")
    stats.seconds["write"] = time.perf_counter() - t
    stats.seconds = {k: round(v, 3) for k, v in stats.seconds.items()}
    return stats


def run_conformance(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    sop_ids: list[str],
    *,
    models: dict[str, SopModel],
    max_align_seconds_per_variant: float = AnalysisSettings.align_seconds_per_variant,
    max_align_seconds_total: float = AnalysisSettings.align_seconds_total,
    progress: ProgressFn | None = None,
    nets: Mapping[str, tuple[Any, Any, Any]] | None = None,
) -> ConformanceStats:
    """Check the events of ``sop_ids`` against their models and write the results.

    Inserts rows tagged ``run_id`` into ``variants``, ``deviations`` and ``model_quality``
    (the caller deleted older rows for these SOPs in its transaction) and creates or
    replaces the temp table ``conformance_cases(case_id, sop_id, agency, variant_id,
    alignment_fitness, alignment_status, token_fitness, conformant, deviation_count)`` on
    ``con`` for the case_checks builder. Alignments run once per distinct variant, most
    frequent first, each bounded by ``max_align_seconds_per_variant`` and all together by
    ``max_align_seconds_total``; a variant out of time is marked ``token_replay_fallback``
    (counted in ``timeouts``) and only its unmapped activities are reported as deviations.
    ``nets`` overrides ``sop_models.builders.petri_net(model)`` per SOP (e.g. a net imported
    from BPMN); its visible labels must be the events' step ids. ``progress(done, total)``
    is called after each variant. The same as :func:`prepare_conformance`,
    :func:`check_conformance` and :func:`write_conformance` in a row.
    """
    started = time.perf_counter()
    work = prepare_conformance(con, run_id, sop_ids, models=models, nets=nets)
    checked = check_conformance(work, max_align_seconds_per_variant=max_align_seconds_per_variant,
                                max_align_seconds_total=max_align_seconds_total, progress=progress)
    stats = write_conformance(con, work, checked)
    stats.seconds["total"] = round(time.perf_counter() - started, 3)
    return stats
