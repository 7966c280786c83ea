"""Block pruning: zero the R x C blocks of the weight matrix with the lowest L2 norm."""

from __future__ import annotations

import numpy as np

from accelsim.prune.arrays import lowest_k_mask, prune_count

__all__ = ["block_fits", "block_keep_mask", "block_grid"]


def block_fits(shape: tuple[int, int], rows: int, cols: int) -> bool:
    """True if ``rows x cols`` blocks tile a matrix of ``shape`` exactly."""
    return shape[0] % rows == 0 and shape[1] % cols == 0


def block_grid(shape: tuple[int, int], rows: int, cols: int) -> tuple[int, int]:
    """Number of (possibly partial) blocks along each axis."""
    return -(-shape[0] // rows), -(-shape[1] // cols)


def block_keep_mask(matrix: np.ndarray, rows: int, cols: int, sparsity: float) -> np.ndarray:
    """Keep-mask zeroing the ``round(sparsity * blocks)`` lowest-norm blocks.

    Parameters
    ----------
    matrix : numpy.ndarray, shape (N, K)
    rows, cols : int
        Block shape. If it does not divide the matrix, the edge blocks are
        partial (the matrix is zero-padded), ranked by the norm of their
        real elements; the caller decides whether that is allowed.
    sparsity : float

    Returns
    -------
    numpy.ndarray of bool, shape (N, K)
        Whole blocks are False. Blocks are ranked by Frobenius norm; ties
        are broken by block index in row-major order (lower index first).
    """
    n, k = matrix.shape
    br, bc = block_grid(matrix.shape, rows, cols)
    padded = np.zeros((br * rows, bc * cols))
    padded[:n, :k] = matrix.astype(np.float64)
    sq = (padded * padded).reshape(br, rows, bc, cols).sum(axis=(1, 3))
    pruned = lowest_k_mask(sq.ravel(), prune_count(sparsity, br * bc)).reshape(br, bc)
    keep = np.repeat(np.repeat(~pruned, rows, axis=0), cols, axis=1)
    return keep[:n, :k]
