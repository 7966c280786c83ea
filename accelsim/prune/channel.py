"""Channel (filter / neuron) pruning: rank output channels by norm, mask or remove them."""

from __future__ import annotations

import numpy as np

from accelsim.errors import AccelsimInputError, Problem
from accelsim.prune.arrays import check_weight, lowest_k_mask, matrix_shape, prune_count
from accelsim.prune.scheme import ChannelScheme

__all__ = ["channel_norms", "channel_keep_rows", "shrink_count", "shrink_channels"]


def channel_norms(matrix: np.ndarray, norm: str) -> np.ndarray:
    """Per-row L1 (sum of ``|w|``) or L2 norm of a ``(rows, K)`` matrix, as float64."""
    w = matrix.astype(np.float64)
    if norm == "l1":
        return np.abs(w).sum(axis=1)
    return np.sqrt((w * w).sum(axis=1))


def channel_keep_rows(matrix: np.ndarray, count: int, norm: str) -> np.ndarray:
    """Boolean per-row keep vector removing the ``count`` lowest-norm rows.

    Ties are broken by row index (the lower row is removed first).
    """
    return ~lowest_k_mask(channel_norms(matrix, norm), count)


def shrink_count(sparsity: float, rows: int) -> int:
    """Channels to remove when shrinking: ``round(S * rows)``, at most ``rows - 1``.

    A layer needs at least one output channel, so one is always kept.
    """
    return min(prune_count(sparsity, rows), rows - 1)


def shrink_channels(weight, consumer_weight, sparsity: float, norm: str = "l1"):
    """Remove the lowest-norm output channels of ``weight`` and the matching consumer inputs.

    Parameters
    ----------
    weight : numpy.ndarray
        Producer weight, output channels first: Linear ``(out, in)`` or conv
        ``(K, C, R, S)`` / ``(K, C, L)``.
    consumer_weight : numpy.ndarray or None
        Weight of the layer reading the producer's output, input channels on
        axis 1: Linear ``(out2, K)``, conv ``(K2, K, R, S)``. A 2-D consumer
        with ``q * K`` columns reads a flattened ``(K, h, w)`` output (NCHW
        flatten, ``q = h*w``): channel ``c`` owns columns ``c*q .. c*q+q-1``.
        Grouped / depthwise consumers are not supported here (use a Workload).
    sparsity : float
        ``0 <= S < 1``; ``round(S * K)`` channels are removed, at most ``K - 1``.
    norm : {"l1", "l2"}
        How channels (rows of ``weight.reshape(K, -1)``) are ranked; ties
        remove the lower index first.

    Returns
    -------
    w : numpy.ndarray
        ``weight`` with only the kept channels (same dtype).
    consumer_w : numpy.ndarray or None
        ``consumer_weight`` with only the kept input channels.
    kept_indices : numpy.ndarray of int64
        Original indices of the kept channels, ascending.
    """
    scheme = ChannelScheme(sparsity, norm, shrink=True)
    weight = check_weight(weight, "weight")
    if weight.ndim < 2:
        raise AccelsimInputError(
            "cannot shrink channels of weight",
            [Problem("weight.shape", weight.shape,
                     "an array with output channels on axis 0 and at least 2 dimensions")])
    rows = weight.shape[0]
    matrix = weight.reshape(matrix_shape(weight.shape))
    keep = channel_keep_rows(matrix, shrink_count(scheme.sparsity, rows), scheme.norm)
    kept = np.flatnonzero(keep).astype(np.int64)
    new_w = weight[kept]
    if consumer_weight is None:
        return new_w, None, kept
    consumer_weight = check_weight(consumer_weight, "consumer_weight")
    cols = consumer_weight.shape[1] if consumer_weight.ndim >= 2 else None
    if cols == rows:
        return new_w, consumer_weight[:, kept], kept
    if consumer_weight.ndim == 2 and cols % rows == 0:
        q = cols // rows
        col_idx = (kept[:, None] * q + np.arange(q)[None, :]).ravel()
        return new_w, consumer_weight[:, col_idx], kept
    raise AccelsimInputError(
        "cannot shrink channels: the consumer does not read the producer's output",
        [Problem("consumer_weight.shape", consumer_weight.shape,
                 f"input channels on axis 1 equal to the producer's {rows} output channels "
                 f"(or, for a 2-D consumer, a multiple of {rows} columns: a flattened output)")])
