"""What the alignment tie-breaks cost (issue 16.3): A/B in CPU seconds on many-variant logs.

Pantau's alignments (``analytics/alignment.py``) minimise a tuple: the deviating moves N, then
four tie-breaks (fewer log moves, model moves on steps the trace has, lower step ids, log
moves on later events), packed into one integer. ``Aligner(..., tie_break=False)`` minimises N
alone. This script aligns every distinct variant of each log both ways, alternating A and B
per log in the same process (same load), and reports the CPU seconds (``time.process_time``)
and whether N is equal on every variant. The logs are ``real_logs_bench.py``'s: the WABO
receipt log against its BPMN and the generated many-variant logs (every case its own variant).
BPIC15 is not on this machine.

Usage::

    PM4PY_SHOW_PROGRESS_BAR=False .venv/bin/python bench/tiebreak_bench.py [--logs receipt,many60] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from real_logs_bench import _events, log_net  # noqa: E402


def _variants(name: str) -> list[list[str]]:
    df = _events(name).sort_values(["case_id", "ts"], kind="stable")
    seen: dict[tuple[str, ...], None] = {}
    for _, group in df.groupby("case_id", sort=True):
        seen.setdefault(tuple(group["activity"]), None)
    return [list(v) for v in seen]


def measure(name: str, repeat: int) -> dict:
    """A/B CPU seconds of aligning every variant of log ``name``."""
    from analytics import pm4py_bridge as bridge
    from analytics.alignment import Aligner
    from analytics.state_space import build

    _, net = log_net(name)
    space = build(bridge.plain_net(*net))
    variants = _variants(name)
    cpu: dict[str, list[float]] = {"tie_break": [], "no_tie_break": []}
    costs: dict[str, list[float | None]] = {}
    for _ in range(repeat):
        for label, tie in (("tie_break", True), ("no_tie_break", False)):
            aligner = Aligner(space, tie_break=tie)
            t = time.process_time()
            found = [aligner.align(v, max_seconds=30.0) for v in variants]
            cpu[label].append(round(time.process_time() - t, 3))
            costs[label] = [a.cost for a in found]
    equal = sum(1 for a, b in zip(costs["tie_break"], costs["no_tie_break"], strict=True) if a == b)
    best = {k: min(v) for k, v in cpu.items()}
    return {"log": name, "variants": len(variants), "cpu_s": cpu,
            "ratio_tie_break_over_none": round(best["tie_break"] / max(best["no_tie_break"], 1e-9), 2),
            "equal_cost_variants": equal,
            "timeouts": {k: sum(1 for c in v if c is None) for k, v in costs.items()}}


def main() -> None:
    """CLI: one JSON object per log."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", default="receipt,many60")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    for name in args.logs.split(","):
        print(json.dumps(measure(name, args.repeat)), flush=True)


if __name__ == "__main__":
    main()
