"""The Pareto front against a brute-force check (random data with ties, and a real sweep)."""

from __future__ import annotations

import numpy as np
import pytest

from accelsim.sweep.pareto import pareto_mask


def _brute_force(values) -> list[bool]:
    """Not dominated: no other row is <= everywhere and < somewhere (a direct double loop)."""
    out = []
    for i, a in enumerate(values):
        dominated = False
        for j, b in enumerate(values):
            if i != j and all(y <= x for x, y in zip(a, b)) and any(y < x for x, y in zip(a, b)):
                dominated = True
                break
        out.append(not dominated)
    return out


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("dims", [1, 2, 3, 4])
def test_pareto_mask_matches_brute_force_with_ties_and_duplicates(seed, dims):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 6, size=(120, dims)).astype(float)    # few distinct values: many ties
    values[7] = values[3]                                            # an exact duplicate
    assert pareto_mask(values).tolist() == _brute_force(values.tolist())


def test_pareto_mask_of_continuous_values_matches_brute_force():
    values = np.random.default_rng(42).random((300, 3))
    assert pareto_mask(values).tolist() == _brute_force(values.tolist())


def test_pareto_mask_edge_cases():
    assert pareto_mask(np.empty((0, 2))).tolist() == []
    assert pareto_mask([[1.0, 2.0]]).tolist() == [True]
    assert pareto_mask([[1, 1], [1, 1], [2, 2]]).tolist() == [True, True, False]
    with pytest.raises(ValueError):
        pareto_mask([1.0, 2.0])
    with pytest.raises(ValueError):
        pareto_mask([[np.nan, 1.0]])
