"""From the engine's records to the rows of one SOP: events, cases and sim_truth.

Occurrences completing after the end of the simulated period are dropped (their cases stay
open); a few occurrences lose their start event; injected ``same_person`` deviations take the
verifier's name for the approval. Everything is columnar (numpy, then Arrow).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from event_logs.simulator.clock import WorkCalendar
from event_logs.simulator.config import SimConfig
from event_logs.simulator.engine import SopRun
from event_logs.simulator.population import CaseTable, derive_seed
from event_logs.simulator.truth import Occurrences, breach_truth
from sop_models.flow_paths import can_end_after

TS = pa.timestamp("us", tz="UTC")


@dataclass
class SopRows:
    """Arrow tables for one SOP (without event_id / import_id, which the writer adds)."""

    sop_id: str
    agency: str
    events: pa.Table
    cases: pa.Table
    truth: pa.Table


def _dict(indices: np.ndarray, values: list | pa.Array) -> pa.DictionaryArray:
    """A string column as dictionary ``values`` indexed by ``indices`` (None -> NULL)."""
    dictionary = values if isinstance(values, pa.Array) else pa.array(values, pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int32)), dictionary)


def _codes(values: list, table: dict) -> np.ndarray:
    return np.fromiter((table.setdefault(v, len(table)) for v in values), dtype=np.int32,
                       count=len(values))


def same_person(run: SopRun, case: np.ndarray, step: np.ndarray, person: np.ndarray,
                step_codes: dict[str | None, int]) -> list[tuple[int, str, str]]:
    """(case, verifying step, approving step) wherever one person completed both steps of a
    four_eyes pair: injected ones, and any the queues produced (kept rare by the engine)."""
    if not run.model.four_eyes:
        return []
    wanted = {step_codes[sid] for pair in run.model.four_eyes for sid in pair}
    rows = np.flatnonzero(np.isin(step, list(wanted)) & (person >= 0))
    who: dict[tuple[int, int], set[int]] = {}
    for r in rows.tolist():
        who.setdefault((int(case[r]), int(step[r])), set()).add(int(person[r]))
    out = []
    for c in sorted({c for c, _ in who}):
        for a, b in run.model.four_eyes:
            if who.get((c, step_codes[a]), set()) & who.get((c, step_codes[b]), set()):
                out.append((c, a, b))
    return out


def assemble(run: SopRun, table: CaseTable, names: list[str], cal: WorkCalendar, cutoff: float,
             sim: SimConfig, seed: int) -> SopRows:
    """The rows of one simulated SOP, cut at the clock minute ``cutoff``."""
    rec = run.rec
    case = np.frombuffer(rec.case, dtype=np.int64)
    pos = np.frombuffer(rec.pos, dtype=np.int64)
    s = np.rint(np.frombuffer(rec.start, dtype=np.float64) * 60.0).astype(np.int64)
    e = np.rint(np.frombuffer(rec.end, dtype=np.float64) * 60.0).astype(np.int64)
    person = np.frombuffer(rec.person, dtype=np.int64)
    keep = e <= round(cutoff * 60.0)
    order = np.lexsort((pos[keep], case[keep]))
    case, pos, s, e, person = (a[keep][order] for a in (case, pos, s, e, person))
    n = len(case)

    # per occurrence: what was done (from the case's path)
    items = [run.cases[c].plan[p] for c, p in zip(case.tolist(), pos.tolist(), strict=True)]
    step_codes: dict[str | None, int] = {None: -1}
    for sid in run.model.step_ids:
        step_codes[sid] = len(step_codes) - 1
    step = np.fromiter((step_codes[it.step_id] for it in items), dtype=np.int32, count=n)
    label_table: dict[str, int] = {}
    label = _codes([it.label for it in items], label_table)
    lane_table: dict[str | None, int] = {}
    lane = _codes([it.log_lane for it in items], lane_table)
    reentry = np.fromiter((it.reentry for it in items), dtype=bool, count=n)

    # cases: where each case's occurrences start, how many were completed
    n_cases = len(run.cases)
    counts = np.bincount(case, minlength=n_cases)
    offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
    for c, inj in table.injections.items():
        if inj.same_person and inj.same_person[1] < counts[c]:
            a, b = inj.same_person
            person[offsets[c] + b] = person[offsets[c] + a]

    rng = np.random.default_rng(derive_seed(seed, run.id, "starts"))
    has_start = (rng.random(n) >= sim.start_missing) | reentry
    su, eu = cal.start_utc(s), cal.complete_utc(e)

    # ground truth
    quantities = {}
    for name in set(run.model.per_units.values()):
        quantities[name] = np.array([c.q.get(name, 1.0) for c in run.cases], dtype=np.float64)
    occ = Occurrences(case, step, has_start, s, e, su, eu, reentry)
    step_ids = list(run.model.step_ids)
    names_of = {s_.id: s_.name for s_ in run.model.steps}
    t_case, t_kind, t_step, t_act, t_detail = [], [], [], [], []
    for c, kind, sid, number in breach_truth(occ, step_ids, run.standards, quantities, cal):
        t_case.append(c)
        t_kind.append(kind)
        t_step.append(sid)
        t_act.append(names_of[sid])
        t_detail.append(f"occurrence={number}")
    for c, a, b in same_person(run, case, step, person, step_codes):
        inj = table.injections.get(c)
        t_case.append(c)
        t_kind.append("same_person")
        t_step.append(b)
        t_act.append(names_of[b])
        t_detail.append(f"{'same_person' if inj and inj.same_person else 'incidental'}: "
                        f"{a} and {b} completed by one person")
    ends: dict[str | None, bool] = {}
    for c, inj in sorted(table.injections.items()):
        logged = int(counts[c])
        if logged == 0:
            continue
        plan = run.cases[c].plan
        last = plan[logged - 1].step_id
        if last not in ends:
            ends[last] = last is not None and can_end_after(run.model.flow, last)
        at_end = logged < len(plan) and ends[last]
        for spec in inj.truths:
            if spec.kind != "same_person" and spec.shows(logged, at_end):
                t_case.append(c)
                t_kind.append(spec.kind)
                t_step.append(spec.step_id)
                t_act.append(spec.activity)
                t_detail.append(f"{inj.recipe}: {spec.detail}")

    case_ids = pa.array(table.case_ids, pa.string())
    truth = pa.table({
        "case_id": case_ids.take(pa.array(t_case, pa.int64())),
        "sop_id": pa.array([run.id] * len(t_case), pa.string()),
        "agency": pa.array([run.model.agency] * len(t_case), pa.string()),
        "kind": pa.array(t_kind, pa.string()),
        "step_id": pa.array(t_step, pa.string()),
        "activity": pa.array(t_act, pa.string()),
        "detail": pa.array(t_detail, pa.string()),
    })

    # events: a start (when logged) then the completion of each occurrence
    per = 1 + has_start.astype(np.int64)
    occ_of = np.repeat(np.arange(n), per)
    is_start = np.zeros(len(occ_of), dtype=bool)
    first_of = np.concatenate(([0], np.cumsum(per)[:-1]))
    is_start[first_of[has_start]] = True
    ts = np.where(is_start, su[occ_of], eu[occ_of])
    # dictionary-encoded columns: 2M events of long Kegiatan labels stay small in memory
    n_events = len(occ_of)
    unit_table: dict[str, int] = {}
    unit_code = _codes(table.units, unit_table)
    ev_case = case[occ_of]
    events = pa.table({
        "case_id": _dict(ev_case, case_ids),
        "sop_id": _dict(np.zeros(n_events, np.int32), [run.id]),
        "step_id": _dict(step[occ_of] + 1, [None, *step_ids]),
        "activity": _dict(label[occ_of], list(label_table)),
        "lifecycle": _dict(is_start.astype(np.int32), ["complete", "start"]),
        "ts": pa.array(ts * 1_000_000, TS),
        "resource": _dict(np.where(person[occ_of] < 0, len(names), person[occ_of]), [*names, None]),
        "lane": _dict(lane[occ_of], list(lane_table)),
        "agency": _dict(np.zeros(n_events, np.int32), [run.model.agency]),
        "unit": _dict(unit_code[ev_case], list(unit_table)),
        "source_row": pa.array(np.arange(1, n_events + 1, dtype=np.int64)),
    })

    # cases with at least one logged event
    logged = np.flatnonzero(counts > 0)
    last = offsets[logged] + counts[logged] - 1
    first_ts = np.where(has_start[offsets[logged]], su[offsets[logged]], eu[offsets[logged]])
    idx = pa.array(logged)
    cases = pa.table({
        "case_id": case_ids.take(idx),
        "sop_id": pa.array([run.id] * len(logged), pa.string()),
        "agency": pa.array([run.model.agency] * len(logged), pa.string()),
        "unit": pa.array(table.units, pa.string()).take(idx),
        "nik_hash": pa.array(table.nik_hash, pa.string()).take(idx),
        "attributes": pa.array(table.attributes, pa.string()).take(idx),
        "first_ts": pa.array(first_ts * 1_000_000, TS),
        "last_ts": pa.array(eu[last] * 1_000_000, TS),
    })
    return SopRows(run.id, run.model.agency, events, cases, truth)
