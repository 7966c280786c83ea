"""The Lagrangian path of the multiple-choice knapsack, checked against brute force."""

import itertools

import numpy as np
import pytest

from accelsim.codesign.allocate import Option, PathPlan, lagrangian_path, layer_hull, lower_envelope


def test_hull_drops_dominated_and_concave_points():
    opts = [Option("dense", 10.0, 0.0), Option("a", 8.0, 1.0), Option("b", 9.0, 2.0),   # b dominated by a
            Option("c", 7.5, 3.0),                                                     # above the a-d chord
            Option("d", 4.0, 4.0)]
    hull = layer_hull(opts)
    assert [o.candidate for o in hull] == ["dense", "a", "d"]
    # costs fall, damages rise, efficiencies (cost saved per damage) fall along the hull
    eff = [(hull[i - 1].cost - hull[i].cost) / (hull[i].damage - hull[i - 1].damage) for i in range(1, len(hull))]
    assert eff == sorted(eff, reverse=True)


def test_negative_damage_counts_as_zero_and_cheapest_wins():
    hull = layer_hull([Option("dense", 10.0, 0.0), Option("lucky", 9.0, -0.01), Option("x", 5.0, 1.0)])
    assert hull[0] == Option("lucky", 9.0, 0.0)
    assert [o.candidate for o in hull] == ["lucky", "x"]


def _brute(options_by_layer):
    names = list(options_by_layer)
    out = []
    for combo in itertools.product(*(options_by_layer[n] for n in names)):
        out.append((sum(max(0.0, o.damage) for o in combo), sum(o.cost for o in combo)))
    return out


@pytest.mark.parametrize("seed", range(8))
def test_every_path_plan_is_knapsack_optimal(seed):
    rng = np.random.default_rng(seed)
    layers = {}
    for li in range(3):
        k = int(rng.integers(2, 6))
        costs = np.sort(rng.uniform(1, 10, k))[::-1]
        layers[f"l{li}"] = [Option("dense", float(costs[0]) + 1.0, 0.0)] + [
            Option(f"c{j}", float(costs[j]), float(rng.uniform(0, 3))) for j in range(k)]
    path = lagrangian_path(layers, fmt="f", fixed_cost=2.5)
    everything = _brute(layers)
    assert path[0].damage == 0.0
    assert path[-1].cost == pytest.approx(2.5 + sum(min(o.cost for o in opts) for opts in layers.values()))
    for a, b in zip(path, path[1:]):
        assert b.cost < a.cost and b.damage >= a.damage
        assert sum(x != y for x, y in zip(a.choices, b.choices)) == 1      # one layer moves per step
    for plan in path:
        assert plan.fmt == "f"
        # Everett: no combination is cheaper at no more damage
        better = [c for d, c in everything if d <= plan.damage + 1e-12 and c + 2.5 < plan.cost - 1e-9]
        assert not better, (plan, better[:3])


def test_lower_envelope_merges_formats():
    a = [PathPlan((), "x", 10.0, 0.0), PathPlan((), "x", 6.0, 1.0), PathPlan((), "x", 3.0, 5.0)]
    b = [PathPlan((), "y", 9.0, 0.0), PathPlan((), "y", 7.0, 2.0), PathPlan((), "y", 4.0, 4.0)]
    env = lower_envelope(a + b)
    assert [(p.fmt, p.cost) for p in env] == [("y", 9.0), ("x", 6.0), ("y", 4.0), ("x", 3.0)]
