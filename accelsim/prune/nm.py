"""N:M structured pruning along the reduction dimension."""

from __future__ import annotations

import numpy as np

from accelsim.prune.arrays import magnitude

__all__ = ["nm_keep_mask"]


def nm_keep_mask(matrix: np.ndarray, n: int, m: int) -> np.ndarray:
    """Keep-mask with at most ``n`` of every ``m`` consecutive columns per row.

    Parameters
    ----------
    matrix : numpy.ndarray, shape (rows, K)
        Weight matrix, the reduction dimension along the columns.
    n, m : int
        ``1 <= n < m`` (checked by the scheme).

    Returns
    -------
    numpy.ndarray of bool, shape (rows, K)
        In each group ``[g*m, (g+1)*m)`` of a row the ``n`` largest ``|w|``
        are kept; among equal magnitudes the lower column is pruned first
        (stable ascending order). A trailing partial group of ``L < m``
        columns is treated as zero-padded to ``m`` with the padding ranked
        below every real element, so it keeps ``min(n, L)`` real elements.
    """
    rows, k = matrix.shape
    groups = -(-k // m)
    mag = np.full((rows, groups * m), -1.0)
    mag[:, :k] = magnitude(matrix)
    mag = mag.reshape(rows, groups, m)
    order = np.argsort(mag, axis=-1, kind="stable")
    keep = np.ones((rows, groups, m), dtype=bool)
    np.put_along_axis(keep, order[..., : m - n], False, axis=-1)
    return keep.reshape(rows, groups * m)[:, :k]
