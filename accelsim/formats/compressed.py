"""CSR and CSC: compressed rows/columns with absolute or EIE-style relative indices."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.errors import Problem
from accelsim.formats import _kernels
from accelsim.formats.base import Shown, SparseTensor, check_array
from accelsim.formats.matrix import min_width, nonzero_mask
from accelsim.formats.spec import FormatSpec

__all__ = ["CSRTensor", "CSCTensor", "encode_csr", "encode_csc", "index_layout", "build_structure",
           "structure_problems", "line_gaps"]


def index_layout(minor: int, index_bits: int | None) -> tuple[int, bool, int]:
    """Index width, whether indices are relative, and the longest skippable zero run.

    Absolute indices need ``min_width(minor)`` bits. A narrower ``index_bits``
    switches to relative indices (zeros skipped since the previous stored
    entry of the line), which can skip at most ``2**index_bits - 1`` zeros.

    Returns
    -------
    width : int
    relative : bool
    run_limit : int
        ``2**width - 1`` when relative, else ``minor`` (no gap is ever too long).
    """
    need = min_width(minor)
    if index_bits is None or index_bits >= need:
        return (need if index_bits is None else int(index_bits)), False, int(minor)
    width = int(index_bits)
    return width, True, (1 << width) - 1


def build_structure(mask: np.ndarray, run_limit: int) -> tuple[np.ndarray, np.ndarray]:
    """Row pointers and absolute minor indices (padding included) of a 2-D mask."""
    mask = np.ascontiguousarray(mask, dtype=np.bool_)
    major = mask.shape[0]
    counts = np.empty(major, dtype=np.int64)
    _kernels.compressed_count(mask, run_limit, counts)
    indptr = np.zeros(major + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = np.empty(int(indptr[-1]), dtype=np.int64)
    _kernels.compressed_fill(mask, run_limit, indptr, indices)
    return indptr, indices


def line_gaps(indptr: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Zeros skipped before each stored entry since the previous one of its line."""
    prev = np.empty_like(indices)
    if indices.size:
        prev[1:] = indices[:-1]
        starts = indptr[:-1][np.diff(indptr) > 0]
        prev[starts] = -1
    return indices - prev - 1


def structure_problems(problems, indptr, indices, entry_is_zero, minor, relative, run_limit,
                       line: str, names=("indptr", "indices")) -> None:
    """Full-scan checks shared by CSR, CSC and BSR.

    Checks: pointers non-decreasing, indices in ``[0, minor)`` and strictly
    ascending in each line, and that explicit zero entries are exactly the
    padding the relative-index rule requires (none for absolute indices).
    """
    ptr_name, idx_name = names
    steps = np.diff(indptr)
    bad = np.flatnonzero(steps < 0)
    if bad.size:
        i = int(bad[0])
        problems.append(Problem(f"{ptr_name}[{i + 1}]", int(indptr[i + 1]),
                                f">= {ptr_name}[{i}] = {int(indptr[i])} (pointers never decrease)"))
        return
    bad = np.flatnonzero((indices < 0) | (indices >= minor))
    if bad.size:
        k = int(bad[0])
        problems.append(Problem(f"{idx_name}[{k}]", int(indices[k]), f"an index in [0, {minor})"))
        return
    line_of = np.repeat(np.arange(indptr.size - 1), steps)
    gaps = line_gaps(indptr, indices)
    bad = np.flatnonzero(gaps < 0)
    if bad.size:
        k = int(bad[0])
        problems.append(Problem(f"{idx_name}[{k}]", int(indices[k]),
                                f"> {int(indices[k - 1])} ({idx_name} strictly ascend within {line} "
                                f"{int(line_of[k])}; no duplicates)"))
        return
    zeros = np.flatnonzero(entry_is_zero)
    if not relative:
        if zeros.size:
            k = int(zeros[0])
            problems.append(Problem(f"entry {k} ({line} {int(line_of[k])}, index {int(indices[k])})",
                                    Shown("an explicit zero"),
                                    "a nonzero (absolute indices store no zeros)"))
        return
    bad = np.flatnonzero(gaps > run_limit)
    if bad.size:
        k = int(bad[0])
        problems.append(Problem(f"entry {k} ({line} {int(line_of[k])}, index {int(indices[k])})",
                                Shown(f"a gap of {int(gaps[k])} zeros"),
                                f"at most {run_limit} zeros (the relative index width), else a padding entry"))
    last = np.zeros(indices.size, dtype=bool)
    ends = indptr[1:][steps > 0] - 1
    last[ends] = True
    needless = zeros[(gaps[zeros] != run_limit) | last[zeros]]
    if needless.size:
        k = int(needless[0])
        problems.append(Problem(f"entry {k} ({line} {int(line_of[k])}, index {int(indices[k])})",
                                Shown(f"an explicit zero after a gap of {int(gaps[k])}"),
                                f"padding only after exactly {run_limit} zeros and before a later entry "
                                f"of the same {line}"))


@dataclass(frozen=True, eq=False, repr=False)
class _Compressed(SparseTensor):
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray

    _major_axis = 0
    _line = "row"

    @property
    def _major_minor(self) -> tuple[int, int]:
        rows, cols = self.matrix_shape
        return (rows, cols) if self._major_axis == 0 else (cols, rows)

    @property
    def stored_values(self) -> int:
        """Stored entries: the nonzeros plus relative-index padding zeros."""
        return int(self.indices.size)

    @property
    def index_mode(self) -> str:
        """``"absolute"`` or ``"relative"`` (EIE-style, chosen when ``index_bits`` is too narrow)."""
        return "relative" if index_layout(self._major_minor[1], self.index_bits)[1] else "absolute"

    def relative_indices(self) -> np.ndarray:
        """Per stored entry, the zeros skipped since the previous entry of its line.

        In ``relative`` mode these are the stored index codes; each fits in
        ``bit_widths()["index"]`` bits.
        """
        return line_gaps(self.indptr, self.indices)

    def _widths(self) -> dict:
        width, _, _ = index_layout(self._major_minor[1], self.index_bits)
        return {"value": int(self.value_bits), "index": width, "pointer": min_width(self.stored_values + 1)}

    def _bit_counts(self) -> tuple[int, int]:
        w = self._widths()
        major = self._major_minor[0]
        stored = self.stored_values
        return stored * w["value"], stored * w["index"] + (major + 1) * w["pointer"]

    def _to_matrix(self) -> np.ndarray:
        out = np.zeros(self.matrix_shape, dtype=self.dtype)
        lines = np.repeat(np.arange(self._major_minor[0]), np.diff(self.indptr))
        if self._major_axis == 0:
            out[lines, self.indices] = self.data
        else:
            out[self.indices, lines] = self.data
        return out

    def _check_structure(self, problems) -> None:
        major, _ = self._major_minor
        ok = check_array(problems, "indptr", self.indptr, shape=(major + 1,), kind="iu")
        ok &= check_array(problems, "indices", self.indices, ndim=1, kind="iu")
        ok &= check_array(problems, "data", self.data, ndim=1, dtype=self.dtype)
        if not ok:
            return
        if self.data.size != self.indices.size:
            problems.append(Problem("data.size", self.data.size, f"{self.indices.size} (= indices.size)"))
        if self.indptr[0] != 0:
            problems.append(Problem("indptr[0]", int(self.indptr[0]), "0"))
        if self.indptr[-1] != self.indices.size:
            problems.append(Problem("indptr[-1]", int(self.indptr[-1]), f"{self.indices.size} (= indices.size)"))
        if self.nnz > self.indices.size:
            problems.append(Problem("nnz", self.nnz, f"<= {self.indices.size} stored entries"))

    def _check_contents(self, problems) -> None:
        major, minor = self._major_minor
        _, relative, run_limit = index_layout(minor, self.index_bits)
        is_zero = ~nonzero_mask(self.data)
        structure_problems(problems, self.indptr, self.indices, is_zero, minor, relative, run_limit,
                           self._line)
        actual = int(self.data.size - np.count_nonzero(is_zero))
        if actual != self.nnz:
            problems.append(Problem("nnz", self.nnz, f"{actual} (nonzero entries of data)"))


@dataclass(frozen=True, eq=False, repr=False)
class CSRTensor(_Compressed):
    """Compressed sparse rows of the matrix view.

    Canonical form: ``indptr`` (rows + 1 pointers into the entries),
    ``indices`` (absolute column index of each entry, strictly ascending in
    a row) and ``data`` (the values, in the weight's dtype). With absolute
    indices only nonzeros are stored. When ``index_bits`` is narrower than
    ``max(1, ceil(log2(cols)))`` the indices are relative (zeros skipped since
    the previous entry of the row, as in EIE, Han et al., ISCA 2016); a gap
    longer than ``2**index_bits - 1`` zeros is bridged by explicit padding
    zeros, each placed ``2**index_bits`` columns after its predecessor. The
    padding zeros are stored values (counted in ``stored_values`` and in the
    value bits) but not in ``nnz``.
    """

    _major_axis = 0
    _line = "row"


@dataclass(frozen=True, eq=False, repr=False)
class CSCTensor(_Compressed):
    """Compressed sparse columns of the matrix view.

    As :class:`CSRTensor` with rows and columns swapped: ``indptr`` has
    cols + 1 pointers and ``indices`` are row indices, ascending within a
    column; relative indices count zeros down a column.
    """

    _major_axis = 1
    _line = "column"


def _encode(cls, matrix, index_bits, nnz_mask):
    """Pointers, absolute indices (padding included) and gathered values of ``matrix``."""
    rows, cols = matrix.shape
    major_minor = (rows, cols) if cls._major_axis == 0 else (cols, rows)
    _, _, run_limit = index_layout(major_minor[1], index_bits)
    mask = nnz_mask if cls._major_axis == 0 else nnz_mask.T
    indptr, indices = build_structure(mask, run_limit)
    lines = np.repeat(np.arange(major_minor[0]), np.diff(indptr))
    data = matrix[lines, indices] if cls._major_axis == 0 else matrix[indices, lines]
    return indptr, indices, data


def encode_csr(arr: np.ndarray, matrix: np.ndarray, spec: FormatSpec, value_bits: int,
               index_bits: int | None) -> CSRTensor:
    """Encode a checked matrix view as CSR (see :func:`accelsim.formats.encode`)."""
    mask = nonzero_mask(matrix)
    indptr, indices, data = _encode(CSRTensor, matrix, index_bits, mask)
    return CSRTensor(spec, arr.shape, arr.dtype, int(value_bits), index_bits,
                     int(np.count_nonzero(mask)), indptr, indices, data)


def encode_csc(arr: np.ndarray, matrix: np.ndarray, spec: FormatSpec, value_bits: int,
               index_bits: int | None) -> CSCTensor:
    """Encode a checked matrix view as CSC (see :func:`accelsim.formats.encode`)."""
    mask = nonzero_mask(matrix)
    indptr, indices, data = _encode(CSCTensor, matrix, index_bits, mask)
    return CSCTensor(spec, arr.shape, arr.dtype, int(value_bits), index_bits,
                     int(np.count_nonzero(mask)), indptr, indices, data)
