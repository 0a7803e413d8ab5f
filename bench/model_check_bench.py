"""How long checking a model takes: ``validate.check_model_file`` (``pantau sop check``) and
``checks.check_model`` (what ingest/analyze call), on the curated models, the WABO receipt
model imported from BPMN and a generated 100-step block model (nested seq/xor/and/loop).

    .venv/bin/python bench/model_check_bench.py

Each figure is one in-process run after pm4py is imported once (its import, 2-4 s, is paid
by whichever check comes first in a fresh process and is reported separately). Before this
benchmark's change, ``pantau sop check`` ran pm4py's WOFLAN on every flow: 477-565 s on the
receipt model (issue 14).
"""

from __future__ import annotations

import os

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")

import random
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sop_models.checks import check_model  # noqa: E402
from sop_models.flow import And, Loop, Node, Seq, Task, Xor, flow_data  # noqa: E402
from sop_models.loader import load_model, model_paths  # noqa: E402
from sop_models.reference import model_from_bpmn, reference_yaml  # noqa: E402
from sop_models.validate import check_model_file  # noqa: E402

FIX = ROOT / "tests" / "fixtures" / "reference_models"


def block_flow(rng: random.Random, steps: list[str], n: list[int]) -> Node:
    """A random nested seq/xor/and/loop tree over ``steps`` (each once)."""
    if len(steps) == 1:
        return Task(steps[0])
    cut = rng.randint(1, len(steps) - 1)
    a, b = block_flow(rng, steps[:cut], n), block_flow(rng, steps[cut:], n)
    n[0] += 1
    kind = rng.choice(["seq", "xor", "and", "loop"])
    if kind == "seq":
        return Seq((a, b))
    if kind == "xor":
        return Xor(f"x{n[0]}", (("a", a), ("b", b)))
    if kind == "and":
        return And((a, b))
    return Loop(f"l{n[0]}", a, b)


def _hundred_steps(folder: Path) -> Path:
    names = [f"s{i:03d}" for i in range(1, 101)]
    data = {"id": "generated-100", "title": "Generated", "agency": "-", "region": "-",
            "timezone": "Asia/Jakarta", "source": "000_41f6d9e0ae68eb16.txt", "lanes": ["P"],
            "steps": [{"id": s, "name": s, "lane": "P"} for s in names],
            "flow": flow_data(block_flow(random.Random(100), names, [0]))}
    path = folder / "generated-100.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _timed(what: str, fn: Callable[[], object]) -> tuple[str, float, object]:
    started = time.perf_counter()
    result = fn()
    return what, time.perf_counter() - started, result


def main() -> None:
    warnings.simplefilter("ignore")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        from sop_models.builders import _pm4py

        _pm4py()  # imported from a module, not __main__: no licence banner

        rows.append(("import pm4py", time.perf_counter() - started, ""))
        name, sec, data = _timed("model_from_bpmn(receipt.bpmn)", lambda: model_from_bpmn(FIX / "receipt.bpmn"))
        rows.append((name, sec, f"{len(data['steps'])} steps"))
        (folder / "receipt.bpmn").write_bytes((FIX / "receipt.bpmn").read_bytes())
        receipt = folder / f"{data['id']}.yaml"
        receipt.write_text(reference_yaml(data), encoding="utf-8")
        targets = [("receipt (BPMN import)", receipt), ("generated 100 steps", _hundred_steps(folder))]
        targets += [(p.stem, p) for p in model_paths()]
        for label, path in targets:
            name, sec, problems = _timed(f"check_model_file: {label}", lambda p=path: check_model_file(p))
            rows.append((name, sec, f"{len(problems)} problems"))
            model = load_model(path)
            name, sec, problems = _timed(f"check_model: {label}", lambda m=model: check_model(m))
            rows.append((name, sec, f"{len(problems)} problems"))
    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}}  seconds  result")
    for what, sec, result in rows:
        print(f"{what:<{width}}  {sec:7.3f}  {result}")


if __name__ == "__main__":
    main()
