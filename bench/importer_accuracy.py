"""How close the SOP importer's drafts come to the curated models (sop_models/models/).

    .venv/bin/python bench/importer_accuracy.py [--format txt|docx|pdf] [--json]

For each curated model, its source document (``sop_models/sources/``, or the Word / PDF
version in tests/fixtures/sop_docs/ with ``--format``) is drafted and compared step by step
(the drafts and the curated models have the same rows in the same order):

- step text, Waktu as printed, Waktu as read (parsed with its context: max, min, per,
  deadline day), lane: equal per step;
- decisions (``kind: decision``), program steps (``scope: program``), per-unit standards
  (``per_units`` keys), day-of-month deadlines: found / curated and false finds;
- loops: a draft loop counts when a curated loop has the same body steps (and, separately,
  the same ``returns_to``); choices: a draft xor counts when a curated xor covers the same
  steps; flow: the draft flow has the curated shape (ids and branch names aside).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sop_models import load_all  # noqa: E402
from sop_models.flow import And, Loop, Node, Seq, Skip, Task, Xor, parse_flow, step_ids, walk  # noqa: E402
from sop_models.importer import draft_model  # noqa: E402
from sop_models.loader import SOURCES_DIR  # noqa: E402
from sop_models.model import SopModel  # noqa: E402
from sop_models.waktu import parse_waktu  # noqa: E402

DOCS = ROOT / "tests" / "fixtures" / "sop_docs"


def _shape(node: Node) -> Any:
    """The flow without ids, labels and branch names (order kept: the first branch is the happy path)."""
    if isinstance(node, Task):
        return node.step
    if isinstance(node, Skip):
        return "-"
    if isinstance(node, Seq):
        return ["seq", *(_shape(c) for c in node.children)]
    if isinstance(node, And):
        return ["and", *(_shape(c) for c in node.children)]
    if isinstance(node, Xor):
        return ["xor", *(_shape(b) for _, b in node.branches)]
    return ["loop", _shape(node.body), _shape(node.redo), node.returns_to]


def _waktu(step: dict[str, Any] | Any) -> tuple:
    raw = step["waktu"] if isinstance(step, dict) else step.waktu.raw
    context = step.get("waktu_context") if isinstance(step, dict) else None
    w = parse_waktu(raw, context=context) if isinstance(step, dict) else step.waktu
    return (w.max, w.min, w.per, w.deadline_day)


def compare(model: SopModel, draft: dict[str, Any]) -> dict[str, list[int]]:
    """Counts per measure: [found, curated] (and [false finds] where it applies)."""
    steps = draft["steps"]
    assert len(steps) == len(model.steps), (model.id, len(steps), len(model.steps))
    flow = parse_flow(draft["flow"])
    out: dict[str, list[int]] = {}
    pairs = list(zip(model.steps, steps, strict=True))
    out["step text"] = [sum(c.name == d["name"] for c, d in pairs), len(pairs)]
    out["Waktu printed"] = [sum(c.waktu.raw == d["waktu"] for c, d in pairs), len(pairs)]
    out["Waktu read"] = [sum(_waktu(c) == _waktu(d) for c, d in pairs), len(pairs)]
    out["lane"] = [sum(c.lane == d["lane"] for c, d in pairs), len(pairs)]
    for name, curated_of, draft_of in (
        ("decision", lambda c: c.kind == "decision", lambda d: d.get("kind") == "decision"),
        ("program scope", lambda c: c.scope == "program", lambda d: d.get("scope") == "program"),
        ("deadline day", lambda c: c.waktu.deadline_day is not None, lambda d: _waktu(d)[3] is not None),
    ):
        cur = {c.id for c, _ in pairs if curated_of(c)}
        got = {c.id for c, d in pairs if draft_of(d)}
        if name == "deadline day":
            got = {c.id for c, d in pairs if draft_of(d) and _waktu(d)[3] == c.waktu.deadline_day}
            false = {c.id for c, d in pairs if draft_of(d) and _waktu(d)[3] != c.waktu.deadline_day}
        else:
            false = got - cur
        out[name] = [len(cur & got), len(cur), len(false)]
    units = set(model.per_units)
    found = set(draft.get("per_units") or {})
    out["per-unit"] = [len(units & found), len(units), len(found - units)]
    out["per-unit attribute"] = [sum(model.per_units[u] == (draft.get("per_units") or {}).get(u) for u in units),
                                 len(units), 0]
    for kind, cls in (("loop", Loop), ("choice", Xor)):
        cur_nodes = [n for n in walk(model.flow) if isinstance(n, cls)]
        got_nodes = [n for n in walk(flow) if isinstance(n, cls)]
        key = (lambda n: frozenset(step_ids(n.body))) if cls is Loop else (lambda n: frozenset(step_ids(n)))
        cur_keys = {key(n) for n in cur_nodes}
        hits = [n for n in got_nodes if key(n) in cur_keys]
        out[kind] = [len(hits), len(cur_nodes), len(got_nodes) - len(hits)]
        if cls is Loop:
            returns = {key(n): n.returns_to for n in cur_nodes}
            out["loop returns_to"] = [sum(returns[key(n)] == n.returns_to for n in hits), len(cur_nodes), 0]
    out["flow shape"] = [int(_shape(flow) == _shape(model.flow)), 1, 0]
    return out


def source_for(model: SopModel, fmt: str) -> Path:
    """The document the model was curated from, as text or as its Word / PDF fixture."""
    if fmt == "txt":
        return SOURCES_DIR / model.source
    return DOCS / f"{model.source.split('_')[0]}.{fmt}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--format", choices=("txt", "docx", "pdf"), default="txt")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    per_model = {m.id: compare(m, draft_model(source_for(m, args.format))) for m in load_all()}
    total: dict[str, list[int]] = {}
    for counts in per_model.values():
        for k, v in counts.items():
            total[k] = [a + b for a, b in zip(total.get(k, [0] * len(v)), v, strict=True)]
    if args.json:
        print(json.dumps({"format": args.format, "models": per_model, "total": total}, indent=1))
        return
    ids = list(per_model)
    short = [i.split("-")[0][:4] + "/" + i.split("-")[-1][:4] for i in ids]
    print(f"importer accuracy on the five seeds ({args.format}): found/curated, +false finds")
    print(f"{'measure':<20}" + "".join(f"{s:>12}" for s in short) + f"{'total':>12}")
    for k in total:
        cells = [per_model[i][k] for i in ids] + [total[k]]
        print(f"{k:<20}" + "".join(f"{_cell(v):>12}" for v in cells))


def _cell(v: list[int]) -> str:
    return f"{v[0]}/{v[1]}" + (f" +{v[2]}" if len(v) > 2 and v[2] else "")


if __name__ == "__main__":
    main()
