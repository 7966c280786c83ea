"""Sparse hardware formats: encode weights, count their storage bits, convert to SciPy/torch.

``encode(weight, "csr")`` views a weight as a matrix (rows = output
channels, columns = reduction dimension) and returns an immutable
:class:`SparseTensor`. Formats: ``dense``, ``csr``, ``csc``, ``bsr:RxC``,
``nm:N:M`` (``nm:N:M:compact``) and ``bitmap``; their bit-cost rules are in
``docs/formats.md``.
"""

from accelsim.formats.base import FormatInvariantError, SparseTensor
from accelsim.formats.bitmap import BitmapTensor
from accelsim.formats.bsr import BSRTensor
from accelsim.formats.compressed import CSCTensor, CSRTensor
from accelsim.formats.convert import from_scipy, from_torch
from accelsim.formats.dense import DenseTensor
from accelsim.formats.encode import DEFAULT_FORMATS, StorageRow, encode, storage_report
from accelsim.formats.nm import NMTensor, nm_codes, nm_positions_from_codes
from accelsim.formats.spec import FORMAT_KINDS, FormatSpec, parse_format

__all__ = [
    "encode", "parse_format", "FormatSpec", "FORMAT_KINDS", "SparseTensor", "FormatInvariantError",
    "DenseTensor", "CSRTensor", "CSCTensor", "BSRTensor", "NMTensor", "BitmapTensor",
    "from_scipy", "from_torch", "storage_report", "StorageRow", "DEFAULT_FORMATS",
    "nm_codes", "nm_positions_from_codes",
]
