"""Bitmap: one presence bit per element plus the nonzero values in row-major order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.errors import Problem
from accelsim.formats.base import Shown, SparseTensor, check_array
from accelsim.formats.matrix import nonzero_mask
from accelsim.formats.spec import FormatSpec

__all__ = ["BitmapTensor", "encode_bitmap"]


@dataclass(frozen=True, eq=False, repr=False)
class BitmapTensor(SparseTensor):
    """A presence bitmap over the matrix view and the nonzero values.

    Canonical form: ``mask`` ``(rows, cols)`` bool, True where the element is
    nonzero, and ``values`` 1-D, the nonzeros in row-major order in the
    weight's dtype. The storage model counts the mask as packed bits, one per
    element (:meth:`packed_mask` gives them); the object holds it as bools.
    """

    mask: np.ndarray
    values: np.ndarray

    @property
    def stored_values(self) -> int:
        """The nonzeros: ``nnz``."""
        return int(self.values.size)

    def packed_mask(self) -> np.ndarray:
        """The mask packed 8 elements per byte, row-major, MSB first (``numpy.packbits``)."""
        return np.packbits(self.mask.reshape(-1))

    def _widths(self) -> dict:
        return {"value": int(self.value_bits), "mask": 1}

    def _bit_counts(self) -> tuple[int, int]:
        return self.stored_values * int(self.value_bits), self.size

    def _to_matrix(self) -> np.ndarray:
        out = np.zeros(self.matrix_shape, dtype=self.dtype)
        out[self.mask] = self.values
        return out

    def _check_structure(self, problems) -> None:
        ok = check_array(problems, "mask", self.mask, shape=self.matrix_shape, dtype=np.bool_)
        ok &= check_array(problems, "values", self.values, ndim=1, dtype=self.dtype)
        if ok:
            set_bits = int(np.count_nonzero(self.mask))  # the bitmap's "pointer end"
            if set_bits != self.values.size:
                problems.append(Problem("values.size", self.values.size, f"{set_bits} (set bits of mask)"))

    def _check_contents(self, problems) -> None:
        set_bits = int(self.values.size)
        zeros = np.flatnonzero(~nonzero_mask(self.values))
        if zeros.size:
            problems.append(Problem(f"values[{int(zeros[0])}]", Shown("an explicit zero"),
                                    "a nonzero (a clear mask bit encodes a zero)"))
        actual = set_bits - int(zeros.size)
        if actual != self.nnz:
            problems.append(Problem("nnz", self.nnz, f"{actual} (nonzero entries of values)"))


def encode_bitmap(arr: np.ndarray, matrix: np.ndarray, spec: FormatSpec, value_bits: int,
                  index_bits: int | None) -> BitmapTensor:
    """Encode a checked matrix view as a bitmap (see :func:`accelsim.formats.encode`)."""
    mask = nonzero_mask(matrix)
    values = matrix[mask]
    return BitmapTensor(spec, arr.shape, arr.dtype, int(value_bits), index_bits, int(values.size), mask, values)
