"""Kernel (receptive-field tap) pruning of convolution filters."""

from __future__ import annotations

import numpy as np

from accelsim.prune.arrays import prune_count

__all__ = ["kernel_taps", "kernel_keep_mask"]


def kernel_taps(shape: tuple) -> int:
    """Number of spatial taps of a conv weight ``(K, C, *spatial)``; 1 for 2-D weights."""
    return int(np.prod(shape[2:], dtype=np.int64)) if len(shape) >= 3 else 1


def kernel_keep_mask(weight: np.ndarray, sparsity: float) -> np.ndarray:
    """Keep-mask zeroing the lowest ``round(S * taps)`` taps of every filter.

    Parameters
    ----------
    weight : numpy.ndarray, shape (K, C, *spatial)
        Conv weight, e.g. ``(K, C/groups, R, S)``; ``taps = prod(spatial)``.
    sparsity : float

    Returns
    -------
    numpy.ndarray of bool, same shape as ``weight``
        For each filter ``k`` the taps ``t`` are ranked by the L2 norm of
        ``w[k, :, t]`` over input channels; the lowest ``round(S * taps)``
        are zeroed across all input channels. Every filter gets its own
        pattern but the same number of taps. Ties: lower tap index
        (row-major ``r * S + s``) is pruned first.
    """
    k_out, c = weight.shape[0], weight.shape[1]
    taps = kernel_taps(weight.shape)
    w = weight.astype(np.float64).reshape(k_out, c, taps)
    score = (w * w).sum(axis=1)                     # (K, taps), squared L2 norm
    count = prune_count(sparsity, taps)
    order = np.argsort(score, axis=1, kind="stable")
    keep_taps = np.ones((k_out, taps), dtype=bool)
    np.put_along_axis(keep_taps, order[:, :count], False, axis=1)
    keep = np.broadcast_to(keep_taps[:, None, :], (k_out, c, taps))
    return keep.reshape(weight.shape).copy()
