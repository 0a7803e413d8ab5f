"""Where a case can be in an SOP's flow: first steps, last steps, the step expected next.

Pure functions over the block-structured flow tree of :mod:`sop_models.flow`. They answer
the questions the Mutu Baku stage asks of a case from its last completed step alone:
can the case end here (``end_steps``), which step comes next on the happy path
(``happy_next``), and which occurrences start a new iteration of a loop (``start_steps``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sop_models.flow import And, Loop, Node, Seq, Skip, Task, Xor

END = ""  # the option "the flow may end here" among the options that can follow a step


def _first(node: Node) -> tuple[list[str], bool]:
    """Steps that can come first in ``node`` (happy path first) and whether it can be empty."""
    if isinstance(node, Task):
        return [node.step], False
    if isinstance(node, Skip):
        return [], True
    if isinstance(node, Seq):
        out: list[str] = []
        for child in node.children:
            steps, empty = _first(child)
            out += [s for s in steps if s not in out]
            if not empty:
                return out, False
        return out, True
    if isinstance(node, Xor):
        out, empty = [], False
        for _, child in node.branches:
            steps, child_empty = _first(child)
            out += [s for s in steps if s not in out]
            empty = empty or child_empty
        return out, empty
    if isinstance(node, And):
        out, empty = [], True
        for child in node.children:
            steps, child_empty = _first(child)
            out += [s for s in steps if s not in out]
            empty = empty and child_empty
        return out, empty
    steps, empty = _first(node.body)  # Loop: the body always runs once
    return steps, empty


def start_steps(node: Node) -> set[str]:
    """The steps a run of ``node`` can begin with."""
    return set(_first(node)[0])


def end_steps(node: Node) -> set[str]:
    """The steps a run of ``node`` can finish with (the last step of some complete path)."""
    return _last(node)[0]


def _last(node: Node) -> tuple[set[str], bool]:
    if isinstance(node, Task):
        return {node.step}, False
    if isinstance(node, Skip):
        return set(), True
    if isinstance(node, Seq):
        out: set[str] = set()
        for child in reversed(node.children):
            steps, empty = _last(child)
            out |= steps
            if not empty:
                return out, False
        return out, True
    if isinstance(node, Xor):
        results = [_last(child) for _, child in node.branches]
        return set().union(*(r[0] for r in results)), any(r[1] for r in results)
    if isinstance(node, And):  # any child may be the one to finish last
        results = [_last(child) for child in node.children]
        return set().union(*(r[0] for r in results)), all(r[1] for r in results)
    return _last(node.body)  # Loop: every exit is after a body


def _contains(node: Node, step: str) -> bool:
    if isinstance(node, Task):
        return node.step == step
    if isinstance(node, Seq | And):
        return any(_contains(c, step) for c in node.children)
    if isinstance(node, Xor):
        return any(_contains(c, step) for _, c in node.branches)
    if isinstance(node, Loop):
        return _contains(node.body, step) or _contains(node.redo, step)
    return False


def _options(first: tuple[list[str], bool]) -> list[str]:
    steps, empty = first
    return steps + ([END] if empty else [])


def _follow(node: Node, step: str) -> list[str]:
    """What can come directly after ``step`` inside ``node``: step ids, and END when ``node``
    may be finished; in preference order (happy path first). [] when ``step`` is not in it."""
    if isinstance(node, Task):
        return [END] if node.step == step else []
    if isinstance(node, Seq):
        for i, child in enumerate(node.children):
            if _contains(child, step):
                rest = Seq(node.children[i + 1:]) if i + 1 < len(node.children) else Skip()
                return _splice(_follow(child, step), _options(_first(rest)))
        return []
    if isinstance(node, Xor):
        for _, child in node.branches:
            if _contains(child, step):
                return _follow(child, step)
        return []
    if isinstance(node, And):
        for i, child in enumerate(node.children):
            if _contains(child, step):
                others = [c for j, c in enumerate(node.children) if j != i]
                tail: list[str] = []
                for other in others:  # interleaving: any other branch may continue
                    tail += [s for s in _first(other)[0] if s not in tail]
                return _splice(_follow(child, step), [*tail, END])
        return []
    if isinstance(node, Loop):
        if _contains(node.body, step):
            # leaving the loop is the happy path; repeating starts the redo (or the body)
            redo_first, redo_empty = _first(node.redo)
            again = redo_first + (_first(node.body)[0] if redo_empty else [])
            return _splice(_follow(node.body, step), [END, *again])
        if _contains(node.redo, step):
            return _splice(_follow(node.redo, step), _first(node.body)[0])
    return []


def _splice(options: list[str], after_end: list[str]) -> list[str]:
    """Replace END in ``options`` by ``after_end`` (what follows the finished block)."""
    out: list[str] = []
    for option in options:
        for s in (after_end if option == END else [option]):
            if s not in out:
                out.append(s)
    return out


def can_end_after(node: Node, step: str) -> bool:
    """True when a case whose last completed step is ``step`` may have finished the flow."""
    return END in _follow(node, step)


def happy_next(node: Node, step: str | None) -> str | None:
    """The step expected after ``step`` on the happy path (first branch, loops left).

    ``None`` for ``step`` means nothing is done yet: the flow's first happy step. Returns
    None when the flow's happy continuation is to end, or ``step`` is not in the flow.
    """
    options = _options(_first(node)) if step is None else _follow(node, step)
    return options[0] if options and options[0] != END else None


@dataclass(frozen=True)
class LoopPause:
    """A loop whose repeat sends the file back to the applicant (``returns_to``).

    An occurrence of one of ``first_steps`` directly after one of ``last_steps`` starts a
    new iteration; the time in between is the applicant's, not the agency's.
    """

    loop_id: str
    first_steps: frozenset[str]
    last_steps: frozenset[str]


def paused_loops(node: Node) -> list[LoopPause]:
    """The loops of ``node`` with ``returns_to`` set, in tree order."""
    from sop_models.flow import walk

    out = []
    for n in walk(node):
        if isinstance(n, Loop) and n.returns_to:
            # with a redo part the iteration boundary is the redo's end; the model has none
            last = end_steps(n.redo) if not isinstance(n.redo, Skip) else end_steps(n.body)
            out.append(LoopPause(n.id, frozenset(start_steps(n.body)), frozenset(last)))
    return out
