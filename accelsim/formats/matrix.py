"""The matrix view of a weight, its nonzero mask, and bit-width helpers."""

from __future__ import annotations

import math

import numpy as np

from accelsim.errors import AccelsimInputError, Problem

__all__ = ["SUPPORTED_DTYPES", "as_weight", "matrix_shape_of", "as_matrix", "nonzero_mask",
           "min_width", "check_bit_widths", "is_bit_width"]

SUPPORTED_DTYPES = "bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float16, float32, float64"


def as_weight(weight, name: str = "weight") -> np.ndarray:
    """Return ``weight`` as a NumPy array after checking it can be encoded.

    Accepts any array-like (including a CPU torch tensor). Rejects 0-d
    arrays, arrays with an empty dimension, and dtypes other than bool,
    signed/unsigned integers of 1-8 bytes and float16/32/64.

    Raises
    ------
    AccelsimInputError
    """
    try:
        arr = np.asarray(weight)
    except Exception as exc:  # e.g. a torch tensor on GPU, ragged lists
        raise AccelsimInputError(f"cannot read {name} as an array", [
            Problem(name, type(weight).__name__, "a NumPy array or array-like of numbers")],
            f"NumPy said: {exc}") from None
    problems = []
    if arr.ndim == 0:
        problems.append(Problem(f"{name}.shape", arr.shape,
                                "at least one dimension (a 1-D array is viewed as one row)"))
    elif 0 in arr.shape:
        problems.append(Problem(f"{name}.shape", arr.shape, "every dimension >= 1"))
    if arr.dtype.kind not in "biuf" or arr.dtype.itemsize not in (1, 2, 4, 8):
        problems.append(Problem(f"{name}.dtype", str(arr.dtype), SUPPORTED_DTYPES))
    if problems:
        raise AccelsimInputError(f"cannot encode {name}", problems)
    return arr


def matrix_shape_of(shape) -> tuple[int, int]:
    """Matrix view ``(shape[0], prod(shape[1:]))``; a 1-D shape ``(n,)`` is ``(1, n)``."""
    shape = tuple(int(s) for s in shape)
    if len(shape) == 1:
        return (1, shape[0])
    return (shape[0], math.prod(shape[1:]))


def as_matrix(arr: np.ndarray) -> np.ndarray:
    """The 2-D C-contiguous matrix view of ``arr`` (a view when ``arr`` is contiguous)."""
    return np.ascontiguousarray(arr.reshape(matrix_shape_of(arr.shape)))


def nonzero_mask(values: np.ndarray) -> np.ndarray:
    """Mask of the nonzero elements: ``values != 0`` in IEEE terms.

    This is the zero test of every format (and of pruning and the
    simulator): ``-0.0`` is a zero, like ``+0.0``, so a weight pruned with
    ``w * mask`` (which turns pruned negative weights into ``-0.0``) is as
    sparse as one pruned by assignment. NaN is not zero. Formats store only
    nonzeros (plus their own explicit zeros), so the sign of a zero is the
    one thing a round trip may lose.
    """
    return np.asarray(values) != 0


def min_width(count: int) -> int:
    """Bits to tell ``count`` values apart: ``max(1, ceil(log2(count)))``."""
    return max(1, (int(count) - 1).bit_length())


def is_bit_width(value) -> bool:
    """True for a Python or NumPy integer >= 1 (bool excluded)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)) and value >= 1


def check_bit_widths(value_bits, index_bits, problems) -> None:
    """Record problems for bad ``value_bits`` / ``index_bits`` arguments."""
    if not is_bit_width(value_bits):
        problems.append(Problem("value_bits", value_bits, "an integer >= 1"))
    if index_bits is not None and not is_bit_width(index_bits):
        problems.append(Problem("index_bits", index_bits, "None (minimal widths) or an integer >= 1"))
