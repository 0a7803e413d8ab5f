"""The cases of one SOP before simulation: arrival, unit, path, deviation, attributes, ids.

Personal data: each applicant gets a synthetic 16-digit NIK that is hashed at once
(HMAC-SHA256 with the fixed demo key in config) and never kept; only the hash is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import re
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from event_logs.simulator.arrivals import arrival_minutes
from event_logs.simulator.clock import WorkCalendar
from event_logs.simulator.config import SimConfig
from event_logs.simulator.deviations import DeviationInjector, Injection
from event_logs.simulator.engine import SimCase, SopRun
from event_logs.simulator.paths import PathSampler


def derive_seed(*parts: object) -> int:
    """A 64-bit seed from the run's seed and names (stable across processes, unlike hash())."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def case_prefix(sop_id: str) -> str:
    """A short case-number prefix from an SOP id ("fx-sim-model" -> "FSM")."""
    return "".join(w[0] for w in re.split(r"[-_ ]+", sop_id) if w).upper() or "CASE"


@dataclass
class CaseTable:
    """Per-case data kept beside the engine's cases (same index)."""

    case_ids: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    attributes: list[str] = field(default_factory=list)  # JSON text
    nik_hash: list[str | None] = field(default_factory=list)
    injections: dict[int, Injection] = field(default_factory=dict)


def nik_hash(rng: random.Random, region: str, key: bytes) -> str:
    """HMAC of a synthetic NIK: region, kecamatan, birth date (+40 for women), serial."""
    born = date(1940, 1, 1).toordinal() + rng.randrange(30000)
    d = date.fromordinal(born)
    day = d.day + (40 if rng.random() < 0.5 else 0)
    nik = f"{region[:4]:0>4}{rng.randint(1, 20):02d}{day:02d}{d.month:02d}{d.year % 100:02d}{rng.randint(1, 9999):04d}"
    return hmac.new(key, nik.encode("ascii"), hashlib.sha256).hexdigest()


def populate(run: SopRun, n: int, cal: WorkCalendar, first: date, last: date, sim: SimConfig,
             seed: int, deviation_rate: float) -> CaseTable:
    """Create ``n`` cases of ``run``'s SOP (into ``run.cases``); returns their table."""
    conf = run.conf
    model = run.model
    arrivals = arrival_minutes(n, cal, first, last, sim, conf,
                               np.random.default_rng(derive_seed(seed, run.id, "arrivals")))
    rng = random.Random(derive_seed(seed, run.id, "cases"))
    sampler = PathSampler(model, conf, sim)
    injector = DeviationInjector(model, sim, deviation_rate)
    kelengkapan = list(injector.kelengkapan)
    units = list(conf.units)
    unit_weights = list(conf.unit_weights or [1.0] * len(units))[: len(units)]
    unit_weights += [1.0] * (len(units) - len(unit_weights))
    per_attrs = sorted(set(model.per_units.values()))
    prefix = conf.case_prefix or case_prefix(model.id)
    numbers: dict[int, int] = {}
    table = CaseTable()
    for k, minute in enumerate(arrivals.tolist()):
        path = sampler.sample(rng)
        injection = injector.inject(path, rng)
        unit = rng.choices(units, weights=unit_weights)[0]
        attrs: dict[str, object] = {}
        if kelengkapan:
            gone = injection.missing if injection else None
            attrs["kelengkapan"] = [x for x in kelengkapan if x != gone]
        quantities: dict[str, float] = {}
        for name in per_attrs:
            value = round(conf.quantity_median * rng.lognormvariate(0.0, 0.8))
            attrs[name] = quantities[name] = max(1, min(conf.quantity_max, value))
        branches = path.branch_of()
        for xor_id, (attr, values) in conf.xor_attributes.items():
            if xor_id in branches and branches[xor_id] in values:
                attrs[attr] = values[branches[xor_id]]
        for attr, choices in conf.attribute_choices.items():
            attrs[attr] = rng.choice(choices)
        year = cal.date_of(minute).year
        numbers[year] = numbers.get(year, 0) + 1
        run.cases.append(SimCase(k, unit, path.items, quantities, minute))
        table.case_ids.append(f"{prefix}-{year}-{numbers[year]:06d}")
        table.units.append(unit)
        table.attributes.append(json.dumps(attrs, ensure_ascii=False))
        table.nik_hash.append(nik_hash(rng, conf.nik_region, sim.nik_key) if conf.has_nik else None)
        if injection is not None:
            table.injections[k] = injection
    return table
