"""Allocation of per-layer candidates: the Lagrangian path of a multiple-choice knapsack.

Every layer ``l`` offers options ``i`` with a simulated cost ``c_li`` (energy,
cycles, or a linearised energy-delay product) and a predicted accuracy cost
``d_li`` (the validation-loss increase when only that layer is pruned). A
plan picks one option per layer; its predicted cost is ``sum c`` (exact: the
simulator adds layers up) and its predicted damage ``sum d`` (the usual
first-order, layer-additive sensitivity model).

Minimising ``sum c + mu * sum d`` separates into one choice per layer. As the
multiplier ``mu`` falls from infinity to 0, each layer walks along the lower
convex hull of its ``(d, c)`` points, from its least damaging option to its
cheapest; the segments of all layers, merged in order of decreasing
efficiency ``-delta c / delta d`` (cost saved per unit of damage), give a
sequence of plans, each one layer step cheaper than the last. Every plan on
it is optimal for the knapsack "least cost for at most this damage" at its
own damage (Everett's theorem), and the sequence is short (the sum of the
hull sizes), so the search can bisect along it with real fine-tuning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Option", "PathPlan", "layer_hull", "lagrangian_path", "lower_envelope"]


@dataclass(frozen=True)
class Option:
    """One candidate of one layer: its scheme, simulated ``cost`` and predicted ``damage``."""

    candidate: str
    cost: float
    damage: float


@dataclass(frozen=True)
class PathPlan:
    """A plan on the path: ``choices`` as ``((layer, candidate), ...)`` in layer order."""

    choices: tuple
    fmt: object
    cost: float
    damage: float

    def as_dict(self) -> dict:
        """``{layer: candidate}``."""
        return dict(self.choices)


def layer_hull(options) -> list[Option]:
    """Lower-left convex hull of one layer's options, least damaging first.

    Damage below zero (a one-shot pruning that happens to lower the loss) is
    treated as zero. Among equal damage the cheaper option wins; ties of both
    go to the earlier option, so the result is deterministic.
    """
    pts = sorted(((max(0.0, o.damage), o.cost, i, o) for i, o in enumerate(options)),
                 key=lambda t: (t[0], t[1], t[2]))
    frontier = []                      # strictly decreasing cost as damage grows
    for d, c, _, o in pts:
        if not frontier or c < frontier[-1][1]:
            frontier.append((d, c, o))
    hull = []
    for d, c, o in frontier:           # keep convex (efficiencies decreasing)
        while len(hull) >= 2:
            (d1, c1, _), (d2, c2, _) = hull[-2], hull[-1]
            # drop the middle point if it lies on or above the segment from hull[-2] to (d, c)
            if (c2 - c1) * (d - d1) >= (c - c1) * (d2 - d1):
                hull.pop()
            else:
                break
        hull.append((d, c, o))
    return [Option(o.candidate, c, d) for d, c, o in hull]


def lagrangian_path(options_by_layer: dict, fmt=None, fixed_cost: float = 0.0) -> list[PathPlan]:
    """Plans on the Lagrangian path, from least damage to least cost.

    Parameters
    ----------
    options_by_layer : dict of str -> sequence of Option
        In layer order (dict order is kept).
    fmt : object
        Carried into every :class:`PathPlan`.
    fixed_cost : float
        Cost of layers that no plan changes, added to every plan.

    Returns
    -------
    list of PathPlan
        The first is each layer's least damaging option; each next plan moves
        one layer one hull step, in order of decreasing efficiency (ties: layer
        order, then hull order). Costs and damages are summed in layer order.
    """
    hulls = {name: layer_hull(opts) for name, opts in options_by_layer.items()}
    order = list(hulls)
    segments = []
    for li, name in enumerate(order):
        hull = hulls[name]
        for j in range(1, len(hull)):
            dd = hull[j].damage - hull[j - 1].damage
            dc = hull[j - 1].cost - hull[j].cost
            eff = math.inf if dd <= 0 else dc / dd
            segments.append((-eff, li, j, name))
    segments.sort(key=lambda s: (s[0], s[1], s[2]))
    position = {name: 0 for name in order}

    def plan() -> PathPlan:
        cost = fixed_cost + sum(hulls[n][position[n]].cost for n in order)
        damage = sum(hulls[n][position[n]].damage for n in order)
        return PathPlan(tuple((n, hulls[n][position[n]].candidate) for n in order), fmt, cost, damage)

    path = [plan()]
    for _, _, j, name in segments:
        position[name] = j
        path.append(plan())
    return path


def lower_envelope(plans) -> list[PathPlan]:
    """Plans not dominated in (damage, cost), by increasing damage (and decreasing cost).

    Used to merge the paths of several weight formats into one. Ties keep the
    first plan given.
    """
    ranked = sorted(enumerate(plans), key=lambda t: (t[1].damage, t[1].cost, t[0]))
    out = []
    for _, p in ranked:
        if not out or p.cost < out[-1].cost:
            out.append(p)
    return out
