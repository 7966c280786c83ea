"""Unstructured magnitude pruning, per layer or with one global threshold."""

from __future__ import annotations

import numpy as np

from accelsim.prune.arrays import lowest_k_mask, magnitude, prune_count

__all__ = ["unstructured_keep_mask", "global_unstructured_keep_masks"]


def unstructured_keep_mask(weight: np.ndarray, sparsity: float) -> np.ndarray:
    """Keep-mask zeroing the ``round(sparsity * size)`` smallest ``|w|``.

    Parameters
    ----------
    weight : numpy.ndarray
        Any shape (checked by the caller).
    sparsity : float
        ``0 <= sparsity < 1``.

    Returns
    -------
    numpy.ndarray of bool
        Same shape as ``weight``; False where the weight is pruned. Among
        equal magnitudes the lower flat (C-order) index is pruned first.
    """
    k = prune_count(sparsity, weight.size)
    pruned = lowest_k_mask(magnitude(weight).ravel(), k)
    return ~pruned.reshape(weight.shape)


def global_unstructured_keep_masks(weights, sparsity: float) -> list[np.ndarray]:
    """Keep-masks from one magnitude threshold over several weights.

    Exactly ``round(sparsity * total)`` weights are zeroed overall, where
    ``total`` is the summed size. The weights are ranked as if flattened
    and concatenated in the given order, so ties are broken by (position in
    ``weights``, flat index).

    Parameters
    ----------
    weights : sequence of numpy.ndarray
    sparsity : float

    Returns
    -------
    list of numpy.ndarray of bool
        One mask per weight, in order, each of its weight's shape.
    """
    weights = list(weights)
    if not weights:
        return []
    flat = np.concatenate([magnitude(w).ravel() for w in weights])
    pruned = lowest_k_mask(flat, prune_count(sparsity, flat.size))
    masks, start = [], 0
    for w in weights:
        masks.append(~pruned[start:start + w.size].reshape(w.shape))
        start += w.size
    return masks
