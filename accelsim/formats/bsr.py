"""BSR: block sparse rows of R x C blocks over the matrix view."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.errors import Problem
from accelsim.formats import _kernels
from accelsim.formats.base import Shown, SparseTensor, check_array
from accelsim.formats.compressed import build_structure, index_layout, line_gaps, structure_problems
from accelsim.formats.matrix import min_width, nonzero_mask
from accelsim.formats.spec import FormatSpec

__all__ = ["BSRTensor", "encode_bsr", "block_grid"]


def block_grid(matrix_shape, block_shape) -> tuple[int, int]:
    """Block rows and block columns, ``ceil(rows / R)`` and ``ceil(cols / C)``."""
    (rows, cols), (r, c) = matrix_shape, block_shape
    return -(-rows // r), -(-cols // c)


def _padded(matrix: np.ndarray, grid, block_shape) -> np.ndarray:
    """``matrix`` zero-padded to whole blocks, viewed as ``(BR, R, BC, C)``."""
    (br, bc), (r, c) = grid, block_shape
    rows, cols = matrix.shape
    if (rows, cols) != (br * r, bc * c):
        padded = np.zeros((br * r, bc * c), dtype=matrix.dtype)
        padded[:rows, :cols] = matrix
        matrix = padded
    return matrix.reshape(br, r, bc, c)


@dataclass(frozen=True, eq=False, repr=False)
class BSRTensor(SparseTensor):
    """Block sparse rows: R x C blocks of the matrix view, stored when any element is nonzero.

    If the matrix does not tile into whole blocks, it is zero-padded at the
    bottom and right edge to ``ceil(rows/R) * R`` by ``ceil(cols/C) * C``;
    edge blocks are stored whole (their padding counts as stored zeros).

    Canonical form: ``indptr`` (block rows + 1 pointers), ``indices`` (block
    column of each stored block, strictly ascending within a block row) and
    ``data`` of shape ``(stored_blocks, R, C)`` in the weight's dtype. Block
    indices are absolute unless ``index_bits`` is narrower than
    ``max(1, ceil(log2(block_cols)))``; then they are relative (zero blocks
    skipped since the previous stored block of the block row) and a longer
    gap is bridged by all-zero padding blocks, as CSR does with zeros.
    """

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray

    @property
    def block_shape(self) -> tuple[int, int]:
        """``(R, C)``."""
        return self.spec.block_shape

    @property
    def block_grid(self) -> tuple[int, int]:
        """``(block_rows, block_cols)`` of the zero-padded matrix."""
        return block_grid(self.matrix_shape, self.block_shape)

    @property
    def stored_blocks(self) -> int:
        """Blocks stored (nonzero blocks plus relative-index padding blocks)."""
        return int(self.indices.size)

    @property
    def stored_values(self) -> int:
        """``stored_blocks * R * C``."""
        r, c = self.block_shape
        return self.stored_blocks * r * c

    @property
    def index_mode(self) -> str:
        """``"absolute"`` or ``"relative"`` block column indices."""
        return "relative" if index_layout(self.block_grid[1], self.index_bits)[1] else "absolute"

    def relative_indices(self) -> np.ndarray:
        """Per stored block, the zero blocks skipped since the previous block of its block row."""
        return line_gaps(self.indptr, self.indices)

    def _widths(self) -> dict:
        width, _, _ = index_layout(self.block_grid[1], self.index_bits)
        return {"value": int(self.value_bits), "index": width, "pointer": min_width(self.stored_blocks + 1)}

    def _bit_counts(self) -> tuple[int, int]:
        w = self._widths()
        return (self.stored_values * w["value"],
                self.stored_blocks * w["index"] + (self.block_grid[0] + 1) * w["pointer"])

    def _to_matrix(self) -> np.ndarray:
        (br, bc), (r, c) = self.block_grid, self.block_shape
        rows, cols = self.matrix_shape
        out = np.zeros((br, r, bc, c), dtype=self.dtype)
        lines = np.repeat(np.arange(br), np.diff(self.indptr))
        out[lines, :, self.indices, :] = self.data
        return np.ascontiguousarray(out.reshape(br * r, bc * c)[:rows, :cols])

    def _check_structure(self, problems) -> None:
        br, _ = self.block_grid
        r, c = self.block_shape
        ok = check_array(problems, "indptr", self.indptr, shape=(br + 1,), kind="iu")
        ok &= check_array(problems, "indices", self.indices, ndim=1, kind="iu")
        ok &= check_array(problems, "data", self.data, ndim=3, dtype=self.dtype)
        if not ok:
            return
        if self.data.shape != (self.indices.size, r, c):
            problems.append(Problem("data.shape", self.data.shape, f"{(self.indices.size, r, c)} "
                                    "(stored blocks, R, C)"))
        if self.indptr[0] != 0:
            problems.append(Problem("indptr[0]", int(self.indptr[0]), "0"))
        if self.indptr[-1] != self.indices.size:
            problems.append(Problem("indptr[-1]", int(self.indptr[-1]), f"{self.indices.size} (= indices.size)"))

    def _check_contents(self, problems) -> None:
        (br, bc), (r, c) = self.block_grid, self.block_shape
        rows, cols = self.matrix_shape
        _, relative, run_limit = index_layout(bc, self.index_bits)
        nz = nonzero_mask(self.data)
        block_is_zero = ~nz.any(axis=(1, 2))
        structure_problems(problems, self.indptr, self.indices, block_is_zero, bc, relative, run_limit,
                           "block row")
        if problems:
            return
        # Edge padding (outside the matrix) must hold zeros.
        lines = np.repeat(np.arange(br), np.diff(self.indptr))
        row_out = (lines[:, None] * r + np.arange(r)[None, :]) >= rows          # (k, R)
        col_out = (self.indices[:, None] * c + np.arange(c)[None, :]) >= cols   # (k, C)
        outside = row_out[:, :, None] | col_out[:, None, :]
        bad = np.argwhere(nz & outside)
        if bad.size:
            k, i, j = (int(v) for v in bad[0])
            problems.append(Problem(f"data[{k}, {i}, {j}]", Shown("a nonzero"),
                                    f"0 (element lies in the zero padding outside the {rows}x{cols} matrix)"))
        actual = int(np.count_nonzero(nz))
        if actual != self.nnz:
            problems.append(Problem("nnz", self.nnz, f"{actual} (nonzero elements of data)"))


def encode_bsr(arr: np.ndarray, matrix: np.ndarray, spec: FormatSpec, value_bits: int,
               index_bits: int | None) -> BSRTensor:
    """Encode a checked matrix view as BSR (see :func:`accelsim.formats.encode`)."""
    block = spec.block_shape
    grid = block_grid(matrix.shape, block)
    mask = nonzero_mask(matrix)
    occupied = np.zeros(grid, dtype=np.bool_)
    _kernels.block_occupancy(mask, block[0], block[1], occupied)
    _, _, run_limit = index_layout(grid[1], index_bits)
    indptr, indices = build_structure(occupied, run_limit)
    lines = np.repeat(np.arange(grid[0]), np.diff(indptr))
    data = _padded(matrix, grid, block)[lines, :, indices, :]
    return BSRTensor(spec, arr.shape, arr.dtype, int(value_bits), index_bits,
                     int(np.count_nonzero(mask)), indptr, indices, data)
