"""The SparseTensor value object shared by every format."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from accelsim.errors import AccelsimInputError, Problem
from accelsim.formats.matrix import is_bit_width, matrix_shape_of
from accelsim.formats.spec import FormatSpec

__all__ = ["SparseTensor", "FormatInvariantError", "Shown", "check_array"]


class Shown(str):
    """A description shown verbatim (without quotes) as a problem's value."""

    def __repr__(self) -> str:
        return str(self)


class FormatInvariantError(AccelsimInputError):
    """A sparse tensor's arrays break the invariants of its format.

    Every problem names the field, the value found and the value expected.
    """


@dataclass(frozen=True, eq=False, repr=False)
class SparseTensor:
    """An encoded weight: immutable arrays plus the bit widths chosen at encode time.

    Build one with :func:`accelsim.formats.encode`. The weight is viewed as
    a matrix ``(shape[0], prod(shape[1:]))``: rows are output channels,
    columns the reduction dimension; a 1-D weight is one row.

    Attributes
    ----------
    spec : FormatSpec
    shape : tuple of int
        Shape of the original weight; :meth:`to_dense` returns this shape.
    dtype : numpy.dtype
        Dtype of the original weight and of the stored values.
    value_bits : int
        Width of one stored value in the storage model.
    index_bits : int or None
        Width requested for the index fields (``None``: minimal widths).
    nnz : int
        Nonzero elements of the weight (``value != 0``: ``-0.0`` is a zero).
        Explicit zeros stored by a format are not counted.
    """

    spec: FormatSpec
    shape: tuple
    dtype: np.dtype
    value_bits: int
    index_bits: int | None
    nnz: int

    def __post_init__(self) -> None:
        # Freeze the arrays: keep read-only views so the caller's arrays are untouched.
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray) and value.flags.writeable:
                view = value.view()
                view.flags.writeable = False
                object.__setattr__(self, f.name, view)
        object.__setattr__(self, "shape", tuple(int(s) for s in self.shape))
        object.__setattr__(self, "dtype", np.dtype(self.dtype))

    # ----------------------------------------------------------------- views
    @property
    def format(self) -> str:
        """Canonical format string, e.g. ``"bsr:4x4"``."""
        return self.spec.name

    @property
    def matrix_shape(self) -> tuple[int, int]:
        """``(rows, cols)`` of the matrix view."""
        return matrix_shape_of(self.shape)

    @property
    def size(self) -> int:
        """Elements of the weight."""
        rows, cols = self.matrix_shape
        return rows * cols

    @property
    def density(self) -> float:
        """``nnz / size``."""
        return self.nnz / self.size

    @property
    def stored_values(self) -> int:
        """Value slots the format stores, explicit zeros included."""
        raise NotImplementedError

    def bit_widths(self):
        """Field widths in bits used by :meth:`storage_bits` (a read-only mapping)."""
        return MappingProxyType(dict(self._widths()))

    def storage_bits(self):
        """Storage cost in bits at the encode-time widths.

        Returns
        -------
        mapping
            Read-only ``{"values": int, "metadata": int, "total": int}`` with
            ``total == values + metadata``. The rules per format are in
            ``docs/formats.md``.
        """
        values, metadata = self._bit_counts()
        values, metadata = int(values), int(metadata)
        return MappingProxyType({"values": values, "metadata": metadata, "total": values + metadata})

    def to_dense(self) -> np.ndarray:
        """A new array of the original shape and dtype, equal to the encoded weight.

        Every nonzero (NaN included) comes back bit for bit. Zeros come back
        as zeros; a zero the format does not store comes back as ``+0``, so
        the sign of a ``-0.0`` is the one thing a round trip may lose.
        """
        return self._to_matrix().reshape(self.shape)

    def check(self, full: bool = False) -> None:
        """Validate the invariants of the format.

        Parameters
        ----------
        full : bool
            ``False``: cheap structural checks (array shapes, dtypes,
            pointer ends). ``True``: also scan the contents (indices in range
            and ascending, no duplicates, canonical explicit zeros, N:M counts,
            ``nnz``).

        Raises
        ------
        FormatInvariantError
            Listing every broken invariant with the value found and expected.
        """
        problems: list[Problem] = []
        rows, cols = self.matrix_shape
        if not self.shape or any(s < 1 for s in self.shape):
            problems.append(Problem("shape", self.shape, "a tuple of integers >= 1"))
        if self.dtype.kind not in "biuf" or self.dtype.itemsize not in (1, 2, 4, 8):
            problems.append(Problem("dtype", str(self.dtype), "a bool, integer or float16/32/64 dtype"))
        if not is_bit_width(self.value_bits):
            problems.append(Problem("value_bits", self.value_bits, "an integer >= 1"))
        if self.index_bits is not None and not is_bit_width(self.index_bits):
            problems.append(Problem("index_bits", self.index_bits, "None or an integer >= 1"))
        if not (0 <= self.nnz <= rows * cols):
            problems.append(Problem("nnz", self.nnz, f"an integer in [0, {rows * cols}]"))
        if not problems:
            self._check_structure(problems)
        if not problems and full:
            self._check_contents(problems)
        if problems:
            raise FormatInvariantError(f"{self.format} tensor of shape {self.shape} breaks its invariants",
                                       problems)

    # ---------------------------------------------------------- conversions
    def to_scipy(self):
        """The matrix view as a SciPy sparse array.

        ``csr`` -> ``csr_array``, ``csc`` -> ``csc_array``, ``bsr`` ->
        ``bsr_array`` when the matrix tiles into whole blocks (a ``csr_array``
        otherwise, since SciPy cannot hold a partial edge block); ``dense``,
        ``bitmap`` and ``nm`` -> ``csr_array`` of their nonzeros. SciPy has no
        float16, so float16 values are widened (exactly) to float32; pass
        ``dtype=np.float16`` to :func:`from_scipy` to come back.
        """
        from accelsim.formats.convert import to_scipy
        return to_scipy(self)

    def to_torch(self):
        """The matrix view as a torch sparse tensor (CSR, CSC for ``csc``, BSR for tiling ``bsr``).

        torch is imported only when this is called.
        """
        from accelsim.formats.convert import to_torch
        return to_torch(self)

    @classmethod
    def from_scipy(cls, obj, fmt=None, **kwargs) -> "SparseTensor":
        """Encode a SciPy sparse array; see :func:`accelsim.formats.from_scipy`."""
        from accelsim.formats.convert import from_scipy
        return from_scipy(obj, fmt, **kwargs)

    @classmethod
    def from_torch(cls, tensor, fmt=None, **kwargs) -> "SparseTensor":
        """Encode a torch tensor; see :func:`accelsim.formats.from_torch`."""
        from accelsim.formats.convert import from_torch
        return from_torch(tensor, fmt, **kwargs)

    def __repr__(self) -> str:
        bits = self.storage_bits()
        return (f"{type(self).__name__}(format={self.format!r}, shape={self.shape}, dtype={self.dtype}, "
                f"nnz={self.nnz}, stored_values={self.stored_values}, total_bits={bits['total']})")

    # ------------------------------------------------- per-format internals
    def _widths(self) -> dict:
        raise NotImplementedError

    def _bit_counts(self) -> tuple[int, int]:
        raise NotImplementedError

    def _to_matrix(self) -> np.ndarray:
        raise NotImplementedError

    def _check_structure(self, problems: list) -> None:
        raise NotImplementedError

    def _check_contents(self, problems: list) -> None:
        raise NotImplementedError


def check_array(problems, name, arr, shape=None, ndim=None, kind=None, dtype=None) -> bool:
    """Record a problem if ``arr`` is not an ndarray of the given shape/ndim/dtype kind."""
    if not isinstance(arr, np.ndarray):
        problems.append(Problem(name, type(arr).__name__, "a numpy.ndarray"))
        return False
    ok = True
    if ndim is not None and arr.ndim != ndim:
        problems.append(Problem(f"{name}.ndim", arr.ndim, str(ndim)))
        ok = False
    if shape is not None and arr.shape != tuple(shape):
        problems.append(Problem(f"{name}.shape", arr.shape, str(tuple(shape))))
        ok = False
    if kind is not None and arr.dtype.kind not in kind:
        problems.append(Problem(f"{name}.dtype", str(arr.dtype), f"dtype kind in {kind!r}"))
        ok = False
    if dtype is not None and arr.dtype != dtype:
        problems.append(Problem(f"{name}.dtype", str(arr.dtype), str(np.dtype(dtype))))
        ok = False
    return ok
