"""``encode``: check a weight and its bit widths, then build the SparseTensor of a format."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.errors import AccelsimInputError, Problem
from accelsim.formats.base import SparseTensor
from accelsim.formats.bitmap import encode_bitmap
from accelsim.formats.bsr import encode_bsr
from accelsim.formats.compressed import encode_csc, encode_csr
from accelsim.formats.dense import encode_dense
from accelsim.formats.matrix import as_matrix, as_weight, check_bit_widths
from accelsim.formats.nm import encode_nm
from accelsim.formats.spec import FORMAT_EXAMPLES, parse_format

__all__ = ["encode", "storage_report", "StorageRow", "DEFAULT_FORMATS"]

_ENCODERS = {
    "dense": encode_dense,
    "csr": encode_csr,
    "csc": encode_csc,
    "bsr": encode_bsr,
    "nm": encode_nm,
    "bitmap": encode_bitmap,
}

#: The formats compared by :func:`storage_report` when none are given.
DEFAULT_FORMATS = ("dense", "csr", "csc", "bsr:4x4", "bitmap")


def encode(weight, fmt, value_bits: int = 8, index_bits: int | None = None) -> SparseTensor:
    """Encode a weight into a sparse hardware format.

    The weight is viewed as a matrix ``(shape[0], prod(shape[1:]))``: rows are
    output channels, columns the reduction dimension (a Linear ``(out, in)``
    as is, a conv ``(K, C, R, S)`` as ``(K, C*R*S)``, a 1-D array as one row).
    An element is zero when ``value == 0`` in IEEE terms, so ``-0.0`` is a
    zero (``torch.nn.utils.prune`` and ``w * mask`` produce it). Formats
    store only the nonzeros (plus their own explicit zeros):
    :meth:`SparseTensor.to_dense` returns every nonzero bit for bit and
    every zero as a zero, whose sign may be lost.

    Parameters
    ----------
    weight : array-like
        Any shape with at least one dimension and no empty dimension; dtype
        bool, int8..int64, uint8..uint64 or float16/32/64.
    fmt : str or FormatSpec
        ``"dense"``, ``"csr"``, ``"csc"``, ``"bsr:RxC"``, ``"nm:N:M"``,
        ``"nm:N:M:compact"`` or ``"bitmap"``. For ``bsr`` a matrix that does
        not tile into whole R x C blocks is zero-padded at its bottom/right
        edge to whole blocks. For ``nm`` the last partial group of a row is
        treated as zero-padded to M columns.
    value_bits : int
        Width of one stored value in :meth:`SparseTensor.storage_bits`
        (default 8).
    index_bits : int or None
        Width of the format's index fields: CSR column / CSC row indices, BSR
        block-column indices, N:M in-group indices (or the group code with
        ``compact``). ``None`` picks the minimal widths. For CSR/CSC/BSR a
        width narrower than the absolute indices need switches to relative
        (EIE-style) indices with explicit padding zeros; for N:M it must be at
        least ``ceil(log2 M)`` (``ceil(log2 C(M, N))`` with ``compact``).
        Dense and bitmap have no index fields and ignore it.

    Returns
    -------
    SparseTensor
        A :class:`DenseTensor`, :class:`CSRTensor`, :class:`CSCTensor`,
        :class:`BSRTensor`, :class:`NMTensor` or :class:`BitmapTensor`.

    Raises
    ------
    AccelsimInputError
        For a bad format string, weight, or bit width (all problems listed
        together), or a weight that is not N:M sparse for an ``nm`` format.
    """
    spec = parse_format(fmt)
    problems: list[Problem] = []
    try:
        arr = as_weight(weight)
    except AccelsimInputError as exc:
        problems.extend(exc.problems)
        arr = None
    check_bit_widths(value_bits, index_bits, problems)
    if spec.kind == "nm" and index_bits is not None and not problems:
        need = spec.nm_code_bits if spec.compact else spec.nm_index_bits
        what = f"ceil(log2 C({spec.m}, {spec.n}))" if spec.compact else f"ceil(log2 {spec.m})"
        if index_bits < need:
            problems.append(Problem("index_bits", index_bits,
                                    f"None or an integer >= {need} (= {what}) for {spec.name!r}"))
    if problems:
        raise AccelsimInputError(f"cannot encode weight as {spec.name!r}", problems)
    index_bits = None if index_bits is None else int(index_bits)
    matrix = as_matrix(arr)
    return _ENCODERS[spec.kind](arr, matrix, spec, int(value_bits), index_bits)


@dataclass(frozen=True)
class StorageRow:
    """Storage of one weight in one format.

    Attributes
    ----------
    format : str
    nnz, stored_values : int
    values_bits, metadata_bits, total_bits : int
    vs_dense : float
        ``total_bits`` divided by the dense format's total bits.
    """

    format: str
    nnz: int
    stored_values: int
    values_bits: int
    metadata_bits: int
    total_bits: int
    vs_dense: float


def storage_report(weight, formats=DEFAULT_FORMATS, value_bits: int = 8,
                   index_bits: int | None = None) -> tuple[StorageRow, ...]:
    """Encode ``weight`` in each format and tabulate its storage.

    Parameters
    ----------
    weight : array-like
    formats : sequence of str
        Default ``("dense", "csr", "csc", "bsr:4x4", "bitmap")``; add
        ``"nm:N:M"`` only for N:M sparse weights.
    value_bits, index_bits
        As for :func:`encode` (``index_bits`` applies to every format).

    Returns
    -------
    tuple of StorageRow
    """
    if isinstance(formats, str) or not formats:
        raise AccelsimInputError("invalid storage report request",
                                 [Problem("formats", formats, "a non-empty sequence of format strings")],
                                 FORMAT_EXAMPLES)
    arr = as_weight(weight)
    dense_bits = int(arr.size) * int(value_bits) if isinstance(value_bits, (int, np.integer)) else None
    rows = []
    for fmt in formats:
        t = encode(arr, fmt, value_bits, index_bits)
        bits = t.storage_bits()
        rows.append(StorageRow(t.format, t.nnz, t.stored_values, bits["values"], bits["metadata"],
                               bits["total"], bits["total"] / dense_bits))
    return tuple(rows)
