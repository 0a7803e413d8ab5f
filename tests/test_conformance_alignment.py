"""The alignment engine (analytics.alignment) against brute force and against pm4py.

Small nets, every trace up to a length over their alphabet plus a foreign symbol: the
optimal full and prefix costs found by the A* search equal those of enumerating the
nets' runs (tests/alignment_reference.py); the full costs equal pm4py's; the moves
returned are a real alignment of the trace with a run (or a run's prefix) of the net.
"""

from __future__ import annotations

import itertools
import os
import random

os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")

import pytest
from alignment_reference import brute_force, drained, pm4py_cost, runs

from analytics import pm4py_bridge as bridge
from analytics.alignment import Aligner, fitness_of
from analytics.state_space import PlainNet, build

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

TREES = {
    "choice": "->( 'a', X( 'b', 'c' ), 'd' )",
    "loop": "->( 'a', *( 'b', 'c' ), 'd' )",
    "parallel": "->( +( 'a', ->( 'b', 'c' ) ), 'd' )",
    "optional-loop": "->( X( 'a', tau ), *( +( 'b', 'c' ), tau ), X( 'd', ->( 'e', 'a' ) ) )",
}
# p0 -a-> p1 -c-> end; p0 -b-> p2, a dead end: "b" is no prefix of a complete run
DEAD_END = PlainNet(places=4, labels=("a", "b", "c"), pre=(((0, 1),), ((0, 1),), ((1, 1),)),
                    post=(((1, 1),), ((2, 1),), ((3, 1),)), initial=((0, 1),), final=((3, 1),))
# not safe: a puts two tokens on p1, b moves one at a time, c takes two: the language is "abbc"
TWO_TOKENS = PlainNet(places=4, labels=("a", "b", "c"), pre=(((0, 1),), ((1, 1),), ((2, 2),)),
                      post=(((1, 2),), ((2, 1),), ((3, 1),)), initial=((0, 1),), final=((3, 1),))


def _tree_net(text: str):
    import pm4py

    return pm4py.convert_to_petri_net(pm4py.parse_process_tree(text))


def _traces(alphabet: list[str], max_len: int, sample: int, seed: int) -> list[list[str]]:
    every = [list(t) for n in range(max_len + 1) for t in itertools.product([*alphabet, "?:x"], repeat=n)]
    rng = random.Random(seed)
    return every if len(every) <= sample else rng.sample(every, sample)


def _check_moves(moves, trace, words) -> None:
    """The log side of ``moves`` is the trace; their model side is one of ``words``."""
    assert [m.symbol for m in moves if m.kind != "model"] == list(trace)
    assert [m.position for m in moves if m.kind != "model"] == list(range(1, len(trace) + 1))
    assert tuple(m.symbol for m in moves if m.kind != "log") in words


def _against_brute_force(plain: PlainNet, traces: list[list[str]], max_visible: int, *, partial: bool = False):
    space = build(plain, max_states=1 if partial else 200_000)
    assert space.complete is not partial
    aligner = Aligner(space)
    full_words, prefix_words = runs(plain, max_visible)
    checked = 0
    for trace in traces:
        want_full, want_prefix = brute_force(trace, full_words, prefix_words)
        full = aligner.align(trace, max_seconds=10)
        prefix = aligner.align(trace, prefix=True, max_seconds=10)
        assert (full.cost, prefix.cost) == (want_full, want_prefix), trace
        _check_moves(full.moves, trace, full_words)
        _check_moves(prefix.moves, trace, prefix_words)
        assert prefix.moves == () or prefix.moves[-1].kind != "model"  # nothing still to come is charged
        checked += 1
    return aligner, checked


@pytest.mark.parametrize("name", sorted(TREES))
def test_costs_equal_brute_force_and_pm4py_on_small_trees(name: str) -> None:
    net, im, fm = _tree_net(TREES[name])
    plain = bridge.plain_net(net, im, fm)
    alphabet = sorted({lb for lb in plain.labels if lb is not None})
    traces = _traces(alphabet, 4, 120, seed=len(name))
    # bound on the model side of an optimal alignment: len(trace) + cost <= 2 * 4 + shortest run
    aligner, checked = _against_brute_force(plain, traces, max_visible=2 * 4 + 4)
    assert checked == len(traces) >= 60
    for trace in traces[:40]:
        assert aligner.align(trace).cost == pm4py_cost(net, im, fm, trace), trace
        # the prefix cost is pm4py's full cost on the drained net (reference construction)
        assert aligner.align(trace, prefix=True).cost == pm4py_cost(*drained(net, im, fm), trace), trace


def test_partial_state_space_gives_the_same_costs() -> None:
    # a state space expanded on demand (as for a net with too many markings to list) has
    # weaker bounds, but the search stays exact
    net, im, fm = _tree_net(TREES["optional-loop"])
    plain = bridge.plain_net(net, im, fm)
    traces = _traces(["a", "b", "c", "d", "e"], 3, 80, seed=3)
    _, checked = _against_brute_force(plain, traces, max_visible=10, partial=True)
    assert checked == 80


def test_prefix_never_ends_in_a_dead_marking() -> None:
    aligner, _ = _against_brute_force(DEAD_END, _traces(["a", "b", "c"], 3, 100, seed=1), max_visible=8)
    assert aligner.align(["b"], prefix=True).cost == 1  # b leads nowhere: a log move
    assert aligner.align(["a"], prefix=True).cost == 0


def test_nets_with_two_tokens_on_a_place() -> None:
    aligner, _ = _against_brute_force(TWO_TOKENS, _traces(["a", "b", "c"], 4, 150, seed=2), max_visible=10)
    assert not aligner.space.safe
    assert aligner.align(["a", "b", "b", "c"]).cost == 0
    assert aligner.align(["a", "b", "c"]).cost == 1


def test_fitness_is_pm4py_formula_and_prefix_fitness_uses_it_too() -> None:
    net, im, fm = _tree_net(TREES["choice"])
    aligner = Aligner(build(bridge.plain_net(net, im, fm)))
    assert aligner.shortest == 3
    full = aligner.align(["a", "d", "x"])  # b|c skipped, x foreign: 2 deviations over 3 + 3
    assert full.fitness == fitness_of(2, 3, 3) == pytest.approx(1 - 2 / 6)
    prefix = aligner.align(["a", "x"], prefix=True)  # only the foreign x so far
    assert (prefix.cost, prefix.fitness) == (1, pytest.approx(1 - 1 / 5))
    assert aligner.align([], prefix=True).fitness == 1.0
