"""A many-variant log against a random block-structured model: every case its own variant.

Usage::

    .venv/bin/python bench/gen_many_variants.py --activities 60 --cases 1200 --seed 7 --out DIR

Real public-sector logs (building permits, BPIC15) have thousands of variants where nearly
every case is its own; the simulator's logs have a few hundred. This makes such a log from
a seed, without data from outside: a random process tree over ``--activities`` activities
(sequences, exclusive choices, small parallel blocks, loops; built as :mod:`sop_models.flow`
nodes, so its net comes from ``sop_models.builders``), runs of it with random choices, and
noise on most runs (a swapped pair, a dropped step, an inserted activity of the model, a
doubled step; one to four of them). Runs are drawn until ``--cases`` distinct traces exist;
each is one case. ``--out`` gets ``traces.csv`` (case_id, activity, position) and
``model.json`` (the flow as nested lists) for inspection; the benchmark imports the
functions instead.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sop_models.flow import And, Loop, Node, Seq, Skip, Task, Xor  # noqa: E402


def random_flow(activities: int, seed: int) -> Node:
    """A random block-structured flow over activities ``a001``, ``a002``, ... (all used once)."""
    rng = random.Random(seed)
    names = [f"a{i:03d}" for i in range(1, activities + 1)]
    counter = iter(range(10**6))

    def block(items: list[str], depth: int) -> Node:
        if len(items) == 1:
            return Task(items[0])
        roll = rng.random()
        if depth > 5 or len(items) <= 2 or roll < 0.45:
            kind = "seq"
        elif roll < 0.70:
            kind = "xor"
        elif roll < 0.82 and len(items) <= 8:
            kind = "and"  # small parallel blocks only: their interleavings multiply the markings
        elif roll < 0.95:
            kind = "loop"
        else:
            kind = "seq"
        if kind == "loop":
            cut = max(1, len(items) - max(1, len(items) // 4))
            return Loop(f"l{next(counter)}", block(items[:cut], depth + 1),
                        block(items[cut:], depth + 1) if cut < len(items) else Skip())
        parts = rng.randint(2, min(4, len(items)))
        cuts = sorted(rng.sample(range(1, len(items)), parts - 1))
        chunks = [items[a:b] for a, b in zip([0, *cuts], [*cuts, len(items)], strict=True)]
        children = tuple(block(c, depth + 1) for c in chunks)
        if kind == "xor":
            branches = [(f"b{j}", c) for j, c in enumerate(children)]
            if rng.random() < 0.3:
                branches.append((f"b{len(branches)}", Skip()))
            return Xor(f"x{next(counter)}", tuple(branches))
        if kind == "and":
            return And(children)
        return Seq(children)

    return block(names, 0)


def playout(node: Node, rng: random.Random) -> list[str]:
    """One random run of ``node``: a branch per choice, any interleaving, loops redone 0-2 times."""
    if isinstance(node, Task):
        return [node.step]
    if isinstance(node, Skip):
        return []
    if isinstance(node, Seq):
        return [s for c in node.children for s in playout(c, rng)]
    if isinstance(node, Xor):
        return playout(rng.choice(node.branches)[1], rng)
    if isinstance(node, And):
        runs = [playout(c, rng) for c in node.children]
        out: list[str] = []
        while any(runs):
            run = rng.choice([r for r in runs if r])
            out.append(run.pop(0))
        return out
    assert isinstance(node, Loop)
    out = playout(node.body, rng)
    for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
        out += playout(node.redo, rng) + playout(node.body, rng)
    return out


def noisy(trace: list[str], alphabet: list[str], rng: random.Random) -> list[str]:
    """``trace`` with one to four random edits (swap, drop, insert, double) on 80% of runs."""
    t = list(trace)
    if rng.random() < 0.2:
        return t
    for _ in range(rng.randint(1, 4)):
        edit = rng.random()
        if edit < 0.3 and len(t) > 1:
            j = rng.randrange(len(t) - 1)
            t[j], t[j + 1] = t[j + 1], t[j]
        elif edit < 0.55 and len(t) > 1:
            del t[rng.randrange(len(t))]
        elif edit < 0.8:
            t.insert(rng.randrange(len(t) + 1), rng.choice(alphabet))
        elif t:
            j = rng.randrange(len(t))
            t.insert(j, t[j])
    return t


def many_variant_log(flow: Node, cases: int, seed: int) -> list[list[str]]:
    """``cases`` distinct traces of ``flow`` (most with noise), in the order drawn."""
    from sop_models.flow import step_ids

    rng = random.Random(seed)
    alphabet = sorted(set(step_ids(flow)))
    seen: set[tuple[str, ...]] = set()
    out: list[list[str]] = []
    tries = 0
    while len(out) < cases and tries < cases * 50:
        tries += 1
        trace = tuple(noisy(playout(flow, rng), alphabet, rng))
        if trace and trace not in seen:
            seen.add(trace)
            out.append(list(trace))
    return out


def _as_data(node: Node) -> object:
    if isinstance(node, Task):
        return node.step
    if isinstance(node, Skip):
        return []
    if isinstance(node, Seq):
        return [_as_data(c) for c in node.children]
    if isinstance(node, Xor):
        return {"xor": [_as_data(b) for _, b in node.branches]}
    if isinstance(node, And):
        return {"and": [_as_data(c) for c in node.children]}
    assert isinstance(node, Loop)
    return {"loop": {"body": _as_data(node.body), "redo": _as_data(node.redo)}}


def main() -> None:
    """Write traces.csv and model.json for one seed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=60)
    parser.add_argument("--cases", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    flow = random_flow(args.activities, args.seed)
    traces = many_variant_log(flow, args.cases, args.seed)
    (out / "model.json").write_text(json.dumps(_as_data(flow)), encoding="utf-8")
    with (out / "traces.csv").open("w", encoding="utf-8") as f:
        f.write("case_id,activity,position\n")
        for i, trace in enumerate(traces):
            for j, activity in enumerate(trace, start=1):
                f.write(f"c{i:05d},{activity},{j}\n")
    print(f"{len(traces)} cases/variants, {sum(map(len, traces))} events -> {out}")


if __name__ == "__main__":
    main()
