"""Align variants with r4pm (Rust bindings of the process_mining crate), for the comparison.

Usage: ``PYTHON bench/r4pm_child.py NET.pnml VARIANTS.json OUT.json`` with a Python that has
``r4pm`` installed, e.g. a separate venv: installing r4pm next to pm4py makes pm4py's
``read_xes`` use it, and it then needs polars. Prints one JSON line: seconds, states visited.
VARIANTS.json is a list of traces; OUT.json gets the optimal cost (deviating moves) of each and
the cost of the empty trace (the shortest run), with unit costs for log and model moves and
free silent moves, i.e. pm4py's deviation count.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    """Align every variant of VARIANTS.json against NET.pnml; write the costs."""
    import r4pm
    from r4pm.bindings.conformance.case_centric import alignments

    pnml, variants_file, out = sys.argv[1:4]
    net = r4pm.petri_net.import_pnml(pnml)
    with open(variants_file, encoding="utf-8") as f:
        variants = json.load(f)
    options = {"cost_fn": {"log_move_cost": 1, "model_move_cost": 1, "silent_move_cost": 0,
                           "sync_move_cost": 0}}
    started = time.perf_counter()
    shortest = alignments.align_empty_trace(net, options)["cost"]
    costs, states = [], 0
    for trace in variants:
        result = alignments.align_trace(net, trace, options)
        costs.append(result["cost"])
        states += result["states_visited"]
    seconds = time.perf_counter() - started
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"costs": costs, "shortest": shortest}, f)
    print(json.dumps({"seconds": seconds, "states": states}))


if __name__ == "__main__":
    main()
