"""N:M structured sparsity: N kept values per group of M along the reduction dimension."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from accelsim.errors import AccelsimInputError, Problem
from accelsim.formats import _kernels
from accelsim.formats.base import Shown, SparseTensor, check_array
from accelsim.formats.matrix import nonzero_mask
from accelsim.formats.spec import FormatSpec

__all__ = ["NMTensor", "encode_nm", "nm_codes", "nm_positions_from_codes"]

_MAX_LISTED = 5


def _flat_index(positions: np.ndarray, m: int) -> np.ndarray:
    """Flat index into a ``(rows, groups, M)`` array of every kept position ``(rows, groups, N)``."""
    rows, groups, _ = positions.shape
    base = (np.arange(rows * groups, dtype=np.int64) * m).reshape(rows, groups, 1)
    return base + positions


def _binomials(m: int) -> np.ndarray:
    """Table ``T[p, i] = C(p, i)`` for ``0 <= p < m``, ``0 <= i <= m``."""
    return np.array([[math.comb(p, i) for i in range(m + 1)] for p in range(m)], dtype=np.int64)


def nm_codes(positions: np.ndarray, m: int) -> np.ndarray:
    """Combinatorial (combinadic) code of each group's kept positions.

    For ascending positions ``p_0 < ... < p_{N-1}`` the code is
    ``sum_i C(p_i, i + 1)``, a bijection onto ``0 .. C(M, N) - 1`` (the rank
    of the set in colexicographic order).

    Parameters
    ----------
    positions : integer array (..., N)
    m : int

    Returns
    -------
    numpy.ndarray of uint16, shape ``positions.shape[:-1]``
    """
    n = positions.shape[-1]
    table = _binomials(m)
    codes = np.zeros(positions.shape[:-1], dtype=np.int64)
    for i in range(n):
        codes += table[positions[..., i].astype(np.intp), i + 1]
    return codes.astype(np.uint16)


def nm_positions_from_codes(codes: np.ndarray, n: int, m: int) -> np.ndarray:
    """Invert :func:`nm_codes`: ascending positions ``(..., N)`` as uint8."""
    table = _binomials(m)
    rest = codes.astype(np.int64)
    out = np.zeros(codes.shape + (n,), dtype=np.uint8)
    for i in range(n - 1, -1, -1):
        # Largest p with C(p, i + 1) <= rest.
        col = table[:, i + 1]
        p = np.searchsorted(col, rest, side="right") - 1
        out[..., i] = p
        rest = rest - col[p]
    return out


@dataclass(frozen=True, eq=False, repr=False)
class NMTensor(SparseTensor):
    """N:M structured sparsity along the columns (reduction dimension) of each row.

    Each row is cut into ``groups = ceil(cols / M)`` groups of M consecutive
    columns; a last partial group is treated as zero-padded to M. Every group
    stores exactly N values and their in-group positions.

    Canonical form: ``values`` ``(rows, groups, N)`` in the weight's dtype and
    ``positions`` ``(rows, groups, N)`` uint8 in ``0 .. M-1``, strictly
    ascending. The kept positions are the group's nonzeros plus, if it has
    fewer than N, its lowest zero positions, stored as explicit zeros
    (possibly in the padding of a partial group). With ``compact`` the
    positions are costed as one code per group (:meth:`codes`).
    """

    values: np.ndarray
    positions: np.ndarray

    @property
    def n(self) -> int:
        """N, values kept per group."""
        return self.spec.n

    @property
    def m(self) -> int:
        """M, group size."""
        return self.spec.m

    @property
    def groups_per_row(self) -> int:
        """``ceil(cols / M)``."""
        return -(-self.matrix_shape[1] // self.m)

    @property
    def groups(self) -> int:
        """Groups in the whole matrix, ``rows * ceil(cols / M)``."""
        return self.matrix_shape[0] * self.groups_per_row

    @property
    def stored_values(self) -> int:
        """``groups * N``."""
        return self.groups * self.n

    def codes(self) -> np.ndarray:
        """Compact code per group ``(rows, groups_per_row)``; see :func:`nm_codes`."""
        return nm_codes(self.positions, self.m)

    def _widths(self) -> dict:
        minimal = self.spec.nm_code_bits if self.spec.compact else self.spec.nm_index_bits
        width = minimal if self.index_bits is None else int(self.index_bits)
        return {"value": int(self.value_bits), "index": width}

    def _bit_counts(self) -> tuple[int, int]:
        w = self._widths()
        per_group = w["index"] if self.spec.compact else self.n * w["index"]
        return self.stored_values * w["value"], self.groups * per_group

    def _to_matrix(self) -> np.ndarray:
        rows, cols = self.matrix_shape
        g = self.groups_per_row
        out = np.zeros((rows, g, self.m), dtype=self.dtype)
        out.reshape(-1)[_flat_index(self.positions, self.m)] = self.values
        return np.ascontiguousarray(out.reshape(rows, g * self.m)[:, :cols])

    def _check_structure(self, problems) -> None:
        shape = (self.matrix_shape[0], self.groups_per_row, self.n)
        check_array(problems, "values", self.values, shape=shape, dtype=self.dtype)
        check_array(problems, "positions", self.positions, shape=shape, kind="iu")

    def _check_contents(self, problems) -> None:
        rows, cols = self.matrix_shape
        pos = self.positions.astype(np.int64)
        bad = np.argwhere((pos < 0) | (pos >= self.m))
        if bad.size:
            r, g, k = (int(v) for v in bad[0])
            problems.append(Problem(f"positions[{r}, {g}, {k}]", int(pos[r, g, k]), f"a position in [0, {self.m})"))
            return
        if self.n > 1:
            bad = np.argwhere(np.diff(pos, axis=2) <= 0)
            if bad.size:
                r, g, k = (int(v) for v in bad[0])
                problems.append(Problem(f"positions[{r}, {g}]", pos[r, g].tolist(),
                                        "strictly ascending positions (no duplicates)"))
                return
        nz = nonzero_mask(self.values)
        col = np.arange(self.groups_per_row)[None, :, None] * self.m + pos
        bad = np.argwhere(nz & (col >= cols))
        if bad.size:
            r, g, k = (int(v) for v in bad[0])
            problems.append(Problem(f"values[{r}, {g}, {k}]", Shown("a nonzero"),
                                    f"0 (column {int(col[r, g, k])} lies in the padding beyond {cols} columns)"))
        # Canonical explicit zeros: the lowest zero positions of the group.
        mask3 = np.zeros((rows, self.groups_per_row, self.m), dtype=np.bool_)
        mask3.reshape(-1)[_flat_index(pos, self.m)] = nz
        counts = nz.sum(axis=2).astype(np.int64)
        groups = rows * self.groups_per_row
        expected = np.empty((groups, self.n), dtype=np.uint8)
        _kernels.nm_select(mask3.reshape(-1), self.m, counts.reshape(-1), self.n, expected,
                           np.empty((groups, self.n), dtype=np.int64))
        expected = expected.reshape(pos.shape)
        bad = np.argwhere(np.any(expected != pos, axis=2))
        if bad.size:
            r, g = (int(v) for v in bad[0])
            problems.append(Problem(f"positions[{r}, {g}]", pos[r, g].tolist(),
                                    f"{expected[r, g].tolist()} (the nonzeros, then the lowest zero positions)"))
        actual = int(np.count_nonzero(nz))
        if actual != self.nnz:
            problems.append(Problem("nnz", self.nnz, f"{actual} (nonzero entries of values)"))


def _violation_error(counts: np.ndarray, spec: FormatSpec, cols: int) -> AccelsimInputError:
    n, m = spec.n, spec.m
    bad = np.argwhere(counts > n)
    problems = []
    for r, g in bad[:_MAX_LISTED]:
        r, g = int(r), int(g)
        first, last = g * m, min(cols, (g + 1) * m) - 1
        problems.append(Problem(f"weight row {r}, group {g} (columns {first}-{last})",
                                Shown(f"{int(counts[r, g])} nonzeros"), f"at most {n} nonzeros per group of {m}"))
    listed = f" (the first {len(problems)} are listed)" if len(bad) > len(problems) else ""
    hint = (f"{len(bad)} of {counts.size} groups have more than {n} nonzeros{listed}. "
            f"Prune the weight with the 'nm:{n}:{m}' scheme first (accelsim.prune), then encode it.")
    return AccelsimInputError(f"weight is not {n}:{m} sparse; cannot encode as {spec.name!r}", problems, hint)


def encode_nm(arr: np.ndarray, matrix: np.ndarray, spec: FormatSpec, value_bits: int,
              index_bits: int | None) -> NMTensor:
    """Encode a checked matrix view as N:M (see :func:`accelsim.formats.encode`).

    Raises
    ------
    AccelsimInputError
        If a group holds more than N nonzeros.
    """
    n, m = spec.n, spec.m
    rows, cols = matrix.shape
    g = -(-cols // m)
    if g * m != cols:
        padded = np.zeros((rows, g * m), dtype=matrix.dtype)
        padded[:, :cols] = matrix
        matrix = padded
    flat_matrix = matrix.reshape(-1)
    mask = nonzero_mask(flat_matrix)
    counts = np.empty(rows * g, dtype=np.int64)
    _kernels.nm_count(mask, m, counts)
    if np.any(counts > n):
        raise _violation_error(counts.reshape(rows, g), spec, cols)
    positions = np.empty((rows * g, n), dtype=np.uint8)
    flat = np.empty((rows * g, n), dtype=np.int64)
    _kernels.nm_select(mask, m, counts, n, positions, flat)
    values = flat_matrix[flat].reshape(rows, g, n)
    positions = positions.reshape(rows, g, n)
    return NMTensor(spec, arr.shape, arr.dtype, int(value_bits), index_bits,
                    int(counts.sum()), values, positions)
