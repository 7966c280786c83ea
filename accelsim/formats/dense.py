"""Dense: every element stored, no metadata (the baseline of every comparison)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.errors import Problem
from accelsim.formats.base import SparseTensor, check_array
from accelsim.formats.matrix import nonzero_mask
from accelsim.formats.spec import FormatSpec

__all__ = ["DenseTensor", "encode_dense"]


@dataclass(frozen=True, eq=False, repr=False)
class DenseTensor(SparseTensor):
    """The matrix view stored whole.

    Canonical form: ``values`` ``(rows, cols)`` in the weight's dtype (a
    private copy).
    """

    values: np.ndarray

    @property
    def stored_values(self) -> int:
        """Every element: ``rows * cols``."""
        return self.size

    def _widths(self) -> dict:
        return {"value": int(self.value_bits)}

    def _bit_counts(self) -> tuple[int, int]:
        return self.size * int(self.value_bits), 0

    def _to_matrix(self) -> np.ndarray:
        return self.values.copy()

    def _check_structure(self, problems) -> None:
        check_array(problems, "values", self.values, shape=self.matrix_shape, dtype=self.dtype)

    def _check_contents(self, problems) -> None:
        actual = int(np.count_nonzero(nonzero_mask(self.values)))
        if actual != self.nnz:
            problems.append(Problem("nnz", self.nnz, f"{actual} (nonzero elements of values)"))


def encode_dense(arr: np.ndarray, matrix: np.ndarray, spec: FormatSpec, value_bits: int,
                 index_bits: int | None) -> DenseTensor:
    """Store a checked matrix view whole (see :func:`accelsim.formats.encode`)."""
    values = np.array(matrix, copy=True, order="C")
    return DenseTensor(spec, arr.shape, arr.dtype, int(value_bits), index_bits,
                       int(np.count_nonzero(nonzero_mask(values))), values)
