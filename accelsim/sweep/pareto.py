"""Pareto front of design points over several minimised objectives."""

from __future__ import annotations

import numpy as np

__all__ = ["pareto_mask"]


def pareto_mask(values) -> np.ndarray:
    """Which rows of ``values`` are not dominated (every column minimised).

    Row ``a`` dominates row ``b`` if ``a <= b`` in every column and ``a < b``
    in at least one. Identical rows do not dominate each other (both stay on
    the front).

    Parameters
    ----------
    values : array_like, shape (n, d)
        Finite numbers.

    Returns
    -------
    numpy.ndarray of bool, shape (n,)

    Notes
    -----
    The rows are visited in lexicographic order; a row can only be dominated
    by one visited before it, and only the front found so far needs checking
    (a dominated row is dominated by some front row too), so the cost is
    ``O(n log n + n * front size * d)``.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2:
        raise ValueError(f"values must be 2-D (points x objectives), not shape {v.shape}")
    if not np.isfinite(v).all():
        raise ValueError("values must be finite")
    n = v.shape[0]
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return mask
    order = np.lexsort(v.T[::-1])
    front = np.empty((0, v.shape[1]))
    for i in order:
        row = v[i]
        if front.shape[0]:
            le = (front <= row).all(axis=1)
            lt = (front < row).any(axis=1)
            if (le & lt).any():
                continue
        mask[i] = True
        front = np.vstack([front, row])
    return mask
