"""Shared array helpers for pruning: input checks, matrix view, magnitudes, counts."""

from __future__ import annotations

import numpy as np

from accelsim.errors import AccelsimInputError, Problem

__all__ = ["check_weight", "matrix_shape", "magnitude", "prune_count", "lowest_k_mask", "apply_keep_mask"]


def check_weight(weight, field: str = "weight") -> np.ndarray:
    """Return ``weight`` as an ndarray after checking it can be pruned.

    Parameters
    ----------
    weight : numpy.ndarray
        Real integer or floating array with at least one dimension and one
        element, without NaN.
    field : str
        Name used in error messages, e.g. ``"conv1.weight"``.

    Raises
    ------
    AccelsimInputError
        For non-arrays, non-numeric dtypes (bool, complex, str, object),
        0-d or empty arrays, and NaN values.
    """
    if not isinstance(weight, np.ndarray):
        raise AccelsimInputError(
            f"cannot prune {field}",
            [Problem(field, type(weight).__name__, "a numpy.ndarray, a Layer or a Workload")])
    if weight.dtype.kind not in "iuf":
        raise AccelsimInputError(
            f"cannot prune {field}",
            [Problem(f"{field}.dtype", str(weight.dtype),
                     "a real integer or floating dtype, e.g. float32 or int8")])
    if weight.ndim == 0 or weight.size == 0:
        raise AccelsimInputError(
            f"cannot prune {field}",
            [Problem(f"{field}.shape", weight.shape,
                     "an array with at least one dimension and at least one element")])
    if weight.dtype.kind == "f" and np.isnan(weight).any():
        raise AccelsimInputError(
            f"cannot prune {field}",
            [Problem(field, "an array containing NaN", "finite or infinite numbers, no NaN")])
    return weight


def matrix_shape(shape: tuple) -> tuple[int, int]:
    """``(rows, reduction)`` view of a weight shape.

    Rows are output channels (the first axis); the remaining axes, flattened
    in C order, are the reduction dimension. A 1-D array is one row.
    """
    if len(shape) == 1:
        return 1, int(shape[0])
    rows = int(shape[0])
    return rows, int(np.prod(shape[1:], dtype=np.int64))


def magnitude(weight: np.ndarray) -> np.ndarray:
    """``|weight|`` as float64 (no int8 ``abs(-128)`` overflow).

    float64 holds every value of float16/32/64 and of integers up to 2**53
    exactly, so ranking by it is exact for every practical weight.
    """
    return np.abs(weight.astype(np.float64))


def prune_count(sparsity: float, total: int) -> int:
    """Number of units to zero: ``round(sparsity * total)``.

    Python's ``round`` (ties to even), e.g. 0.5 of 9 taps -> 4.
    """
    return int(round(sparsity * total))


def lowest_k_mask(score: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of the ``k`` lowest entries of a 1-D ``score``.

    Ties are broken by index: among equal scores the lower index is taken
    first, exactly as a stable ascending sort would. Runs in linear time.
    """
    n = score.size
    mask = np.zeros(n, dtype=bool)
    if k <= 0:
        return mask
    if k >= n:
        mask[:] = True
        return mask
    kth = np.partition(score, k - 1)[k - 1]
    below = score < kth
    need = k - int(np.count_nonzero(below))
    ties = np.flatnonzero(score == kth)[:need]
    mask |= below
    mask[ties] = True
    return mask


def apply_keep_mask(weight: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Copy of ``weight`` (same shape and dtype) with entries where ``keep`` is False set to 0.

    Zeros are assigned, never multiplied, and every zero of the result is
    ``+0.0`` (a ``-0.0`` already in ``weight`` is rewritten), so pruning
    never leaves a ``-0.0`` behind.
    """
    out = np.array(weight, copy=True)
    out[~keep.reshape(weight.shape) | (out == 0)] = 0
    return out
