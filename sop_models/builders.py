"""An SOP model as pm4py objects (process tree, Petri net, BPMN).

The process tree maps the block-structured flow (:mod:`sop_models.flow`) one to one, so
every net derived here is a sound workflow net. Transition labels are step ids by default,
because the event store maps activities to step ids. Program-scope steps (done once per
period, not per case) are not in the flow and so not in any of these objects.

pm4py is imported lazily (importing it costs seconds; the lane graph in
:mod:`sop_models.lane_graph`, used by the BPMN XML and DOT exports, needs none of it). Results are cached per ``(model.id,
model.sha256)``; models are immutable, and callers must not mutate the returned objects.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pantau.errors import SopModelError
from sop_models.flow import And, Loop, Node, Seq, Skip, Task, Xor, check_flow_steps
from sop_models.model import SopModel

LabelKind = Literal["id", "name"]

_CACHE: dict[tuple[str, ...], Any] = {}


def _pm4py() -> Any:
    # The variable is read once, when pm4py is first imported; keep its tqdm bars off
    # unless the caller chose otherwise.
    os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")
    import pm4py

    return pm4py


def _cached(model: SopModel, key: str, make: Callable[[], Any]) -> Any:
    full = (model.id, model.sha256, key)
    if full not in _CACHE:
        _CACHE[full] = make()
    return _CACHE[full]


# --- pm4py objects ------------------------------------------------------------------------
def flow_to_tree(flow: Node, label_of: Callable[[str], str] | None = None) -> Any:
    """A pm4py ``ProcessTree`` for a flow tree; leaves are labelled ``label_of(step_id)``.

    Skip becomes a tau leaf; Loop becomes ``*(body, redo)`` (pm4py: do ``body``, then
    ``redo`` and ``body`` again any number of times).
    """
    _pm4py()
    from pm4py.objects.process_tree.obj import Operator, ProcessTree

    label = label_of or (lambda sid: sid)

    def build(node: Node, parent: Any) -> Any:
        if isinstance(node, Task):
            return ProcessTree(parent=parent, label=label(node.step))
        if isinstance(node, Skip):
            return ProcessTree(parent=parent)
        if isinstance(node, Seq):
            op, kids = Operator.SEQUENCE, list(node.children)
        elif isinstance(node, And):
            op, kids = Operator.PARALLEL, list(node.children)
        elif isinstance(node, Xor):
            op, kids = Operator.XOR, [branch for _, branch in node.branches]
        elif isinstance(node, Loop):
            op, kids = Operator.LOOP, [node.body, node.redo]
        else:  # pragma: no cover - Node is a closed union
            raise TypeError(f"not a flow node: {node!r}")
        tree = ProcessTree(operator=op, parent=parent)
        for kid in kids:
            tree.children.append(build(kid, tree))
        return tree

    return build(flow, None)


def flow_to_petri_net(flow: Node, label_of: Callable[[str], str] | None = None) -> tuple[Any, Any, Any]:
    """``(net, im, fm)`` for a flow tree, via pm4py's process-tree converter (not cached)."""
    return _pm4py().convert_to_petri_net(flow_to_tree(flow, label_of))


def _labeller(model: SopModel, labels: LabelKind) -> Callable[[str], str]:
    if labels == "id":
        return lambda sid: sid
    if labels == "name":
        names = {s.id: s.name for s in model.steps}
        return lambda sid: names[sid]
    raise SopModelError(f"unknown label kind '{labels}'", hint="use 'id' or 'name'")


def process_tree(model: SopModel, *, labels: LabelKind = "id") -> Any:
    """The model's flow as a pm4py ``ProcessTree``, leaves labelled by step id or name."""
    check_flow_steps(model)
    label_of = _labeller(model, labels)
    return _cached(model, f"tree:{labels}", lambda: flow_to_tree(model.flow, label_of))


def petri_net(model: SopModel, labels: LabelKind = "id") -> tuple[Any, Any, Any]:
    """``(net, initial_marking, final_marking)``; visible labels are step ids (or names).

    Silent transitions (skips, loop and choice plumbing) have the label None. A model with
    a kept ``reference_net`` (an imported net that is not block-structured) returns that
    net: it, not the flow, is then the model.
    """
    check_flow_steps(model)
    label_of = _labeller(model, labels)
    if model.reference_net is not None:
        return _cached(model, f"petri:{labels}", lambda: _kept_net(model, label_of))

    def make() -> tuple[Any, Any, Any]:
        # A fresh tree: the converter must not share nodes with the cached tree.
        net, im, fm = flow_to_petri_net(model.flow, label_of)
        net.name = model.id
        return net, im, fm

    return _cached(model, f"petri:{labels}", make)


def _kept_net(model: SopModel, label_of: Callable[[str], str]) -> tuple[Any, Any, Any]:
    net, im, fm = net_from_pnml(model.reference_net or "", file=model.path, field="reference_net")
    for t in net.transitions:
        if t.label is not None:
            t.label = label_of(t.label)
    net.name = model.id
    return net, im, fm


def net_from_pnml(text: str, *, file: str = "<pnml>", field: str | None = None) -> tuple[Any, Any, Any]:
    """``(net, im, fm)`` from PNML text; :class:`SopModelError` naming ``file`` if unreadable."""
    _pm4py()
    from pm4py.objects.petri_net.importer.variants import pnml as pnml_importer

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            net, im, fm = pnml_importer.import_net_from_string(text.encode("utf-8"))
    except Exception as exc:  # lxml and pm4py raise many kinds on a broken file
        raise SopModelError(f"cannot read the Petri net (PNML): {exc}", file=file, field=field) from exc
    return net, im, fm


def pnml_text(net: Any, im: Any, fm: Any) -> str:
    """PNML text of ``(net, im, fm)`` (pm4py's exporter, as UTF-8 text)."""
    _pm4py()
    from pm4py.objects.petri_net.exporter.variants import pnml

    text = pnml.export_petri_as_string(net, im, fm)
    return text.decode("utf-8") if isinstance(text, bytes) else str(text)


def soundness(net: Any, im: Any, fm: Any) -> tuple[bool, str | None]:
    """Whether ``(net, im, fm)`` is a sound workflow net, and pm4py's reason when it is not.

    Uses pm4py's WOFLAN check; in pm4py 2.7 ``check_soundness`` returns ``(bool,
    diagnostics)``, older versions a bare bool: both are accepted.
    """
    pm4py = _pm4py()
    try:
        with warnings.catch_warnings():
            # deprecation of check_soundness and scipy's linprog notes: not the user's business
            warnings.simplefilter("ignore")
            result = pm4py.analysis.check_soundness(net, im, fm)
    except Exception as exc:  # WOFLAN raises on some malformed nets; that is "not sound" too
        return False, f"the soundness check failed: {exc}"
    if isinstance(result, tuple):
        ok, diagnostics = bool(result[0]), result[1] if len(result) > 1 else {}
    else:
        ok, diagnostics = bool(result), {}
    if ok:
        return True, None
    messages: list[str] = []
    for key, value in (diagnostics or {}).items():
        if str(getattr(key, "value", key)) == "diagnostic_messages" and isinstance(value, list):
            messages = [str(v) for v in value]
    return False, (messages[-1] if messages else "not a sound workflow net")


def bpmn(model: SopModel) -> Any:
    """pm4py's BPMN object for the flow (no lanes: use :func:`sop_models.export.to_bpmn_xml`)."""
    check_flow_steps(model)
    return _cached(model, "bpmn", lambda: _pm4py().convert_to_bpmn(flow_to_tree(model.flow)))


# --- reading reference models (BPMN, PNML) --------------------------------------------------
def read_bpmn_tasks(path: str) -> tuple[Any, list[tuple[str, str]]]:
    """pm4py's BPMN graph of a file and its tasks as ``(task id, name)`` in file order.

    Raises :class:`SopModelError` naming the file when pm4py cannot read it.
    """
    pm4py = _pm4py()
    from pm4py.objects.bpmn.obj import BPMN

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            graph = pm4py.read_bpmn(str(path))
    except Exception as exc:  # lxml/pm4py raise many kinds on a broken file
        raise SopModelError(f"cannot read the BPMN file: {exc}", file=str(path),
                            hint="export it as BPMN 2.0 XML from the modelling tool") from exc
    tasks = [n for n in graph.get_nodes() if isinstance(n, BPMN.Task)]
    return graph, [(str(n.get_id()), str(n.get_name() or "")) for n in tasks]


def bpmn_graph_net(graph: Any, label_of_task: dict[str, str]) -> tuple[Any, Any, Any]:
    """``(net, im, fm)`` of a pm4py BPMN graph whose task ``i`` is labelled ``label_of_task[i]``.

    The labels are set on the graph's tasks first (pm4py labels a transition with its
    task's name), so tasks that share a name stay apart.
    """
    pm4py = _pm4py()
    from pm4py.objects.bpmn.obj import BPMN

    for node in graph.get_nodes():
        if isinstance(node, BPMN.Task):
            node.set_name(label_of_task[str(node.get_id())])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pm4py.convert_to_petri_net(graph)


def read_pnml_file(path: str) -> tuple[Any, Any, Any]:
    """``(net, im, fm)`` of a PNML file; :class:`SopModelError` naming the file if unreadable."""
    return net_from_pnml(Path(path).read_text(encoding="utf-8"), file=str(path))


def tree_of_net(net: Any, im: Any, fm: Any) -> Any | None:
    """pm4py's process tree of a block-structured workflow net, or None when it is not one.

    pm4py's converter reduces the net block by block; it gives up (raises) on a net that
    no sequence of block reductions empties, which is what "not block-structured" means.
    """
    pm4py = _pm4py()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pm4py.convert_to_process_tree(net, im, fm)
    except Exception:  # pm4py raises ValueError/Exception variants when reduction fails
        return None
