"""Conversions between SparseTensor and SciPy / PyTorch sparse objects.

Conversions work on the matrix view ``(shape[0], prod(shape[1:]))``. Going
to SciPy or torch keeps the format's own arrays (explicit padding zeros
included); coming back re-encodes the content, so the result is in canonical
form. torch is imported only inside the torch functions.
"""

from __future__ import annotations

import warnings

import numpy as np

from accelsim.errors import AccelsimInputError, Problem
from accelsim.formats.base import SparseTensor
from accelsim.formats.matrix import SUPPORTED_DTYPES, matrix_shape_of

__all__ = ["to_scipy", "to_torch", "from_scipy", "from_torch"]


def _native(arr: np.ndarray) -> np.ndarray:
    """A writable native-byte-order copy (SciPy and torch keep references)."""
    return np.array(arr, dtype=arr.dtype.newbyteorder("="))


def _parts(t: SparseTensor):
    """``(kind, arrays)`` to hand to SciPy/torch: the format's own arrays when they map, else CSR."""
    from accelsim.formats.encode import encode

    if t.spec.kind in ("csr", "csc"):
        return t.spec.kind, (t.indptr, t.indices, t.data)
    if t.spec.kind == "bsr":
        rows, cols = t.matrix_shape
        r, c = t.block_shape
        if rows % r == 0 and cols % c == 0:
            return "bsr", (t.indptr, t.indices, t.data)
    csr = encode(t._to_matrix(), "csr")
    return "csr", (csr.indptr, csr.indices, csr.data)


def to_scipy(t: SparseTensor):
    """The matrix view of ``t`` as a SciPy sparse array (see :meth:`SparseTensor.to_scipy`)."""
    import scipy.sparse as sp

    kind, (indptr, indices, data) = _parts(t)
    data = _native(data)
    if data.dtype == np.float16:
        data = data.astype(np.float32)
    args = (data, _native(indices), _native(indptr))
    if kind == "csr":
        return sp.csr_array(args, shape=t.matrix_shape)
    if kind == "csc":
        return sp.csc_array(args, shape=t.matrix_shape)
    return sp.bsr_array(args, shape=t.matrix_shape, blocksize=t.block_shape)


def to_torch(t: SparseTensor):
    """The matrix view of ``t`` as a torch sparse tensor (see :meth:`SparseTensor.to_torch`)."""
    import torch

    kind, (indptr, indices, data) = _parts(t)
    ptr = torch.from_numpy(_native(indptr))
    idx = torch.from_numpy(_native(indices))
    values = torch.from_numpy(_native(data))
    build = {"csr": torch.sparse_csr_tensor, "csc": torch.sparse_csc_tensor, "bsr": torch.sparse_bsr_tensor}[kind]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Ss]parse.*support is in beta.*")
        return build(ptr, idx, values, size=t.matrix_shape, check_invariants=True)


def _finish(dense: np.ndarray, fmt, value_bits, index_bits, shape, dtype, source: str) -> SparseTensor:
    from accelsim.formats.encode import encode

    if dtype is not None:
        dense = dense.astype(dtype)
    if shape is not None:
        shape = tuple(int(s) for s in shape)
        if len(shape) == 0 or matrix_shape_of(shape) != matrix_shape_of(dense.shape):
            raise AccelsimInputError(f"cannot reshape the {source}", [
                Problem("shape", shape, f"a shape whose matrix view is {matrix_shape_of(dense.shape)}")])
        dense = dense.reshape(shape)
    return encode(dense, fmt, value_bits, index_bits)


def _scatter_compressed(shape, indptr, indices, data, major_axis: int) -> np.ndarray:
    out = np.zeros(shape, dtype=data.dtype)
    lines = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))
    if major_axis == 0:
        out[lines, indices] = data
    else:
        out[indices, lines] = data
    return out


def _scatter_bsr(shape, blocksize, indptr, indices, data) -> np.ndarray:
    (rows, cols), (r, c) = shape, blocksize
    out = np.zeros((rows // r, r, cols // c, c), dtype=data.dtype)
    lines = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))
    out[lines, :, indices, :] = data
    return out.reshape(rows, cols)


def from_scipy(obj, fmt=None, *, value_bits: int = 8, index_bits: int | None = None, shape=None,
               dtype=None) -> SparseTensor:
    """Encode a SciPy sparse array or matrix.

    Parameters
    ----------
    obj : scipy.sparse array or matrix (2-D)
        Duplicates are summed (SciPy's meaning); stored explicit zeros are
        dropped by the re-encoding.
    fmt : str, optional
        Target format. Default: ``csr`` for CSR and anything that is not CSC
        or BSR, ``csc`` for CSC, ``bsr:RxC`` for BSR with its block size.
    value_bits, index_bits
        As for :func:`accelsim.formats.encode`.
    shape : tuple of int, optional
        Original weight shape to restore (its matrix view must equal
        ``obj.shape``), e.g. a conv's ``(K, C, R, S)``.
    dtype : numpy dtype, optional
        Cast the values, e.g. ``numpy.float16`` after :meth:`SparseTensor.to_scipy`
        widened them to float32.

    Returns
    -------
    SparseTensor
    """
    import scipy.sparse as sp

    if not sp.issparse(obj) or len(obj.shape) != 2:
        raise AccelsimInputError("cannot convert from SciPy", [
            Problem("obj", type(obj).__name__, "a 2-D scipy.sparse array or matrix")])
    if obj.format == "bsr":
        bsr = obj if obj.has_canonical_format else obj.copy()
        bsr.sum_duplicates()
        dense = _scatter_bsr(bsr.shape, bsr.blocksize, bsr.indptr, bsr.indices, bsr.data)
        default = f"bsr:{bsr.blocksize[0]}x{bsr.blocksize[1]}"
    else:
        major = 1 if obj.format == "csc" else 0
        comp = obj.tocsc() if major else obj.tocsr()
        if not comp.has_canonical_format:
            comp = comp.copy()
            comp.sum_duplicates()
        dense = _scatter_compressed(comp.shape, comp.indptr, comp.indices, comp.data, major)
        default = "csc" if major else "csr"
    return _finish(dense, default if fmt is None else fmt, value_bits, index_bits, shape, dtype, "SciPy array")


def _torch_to_numpy(tensor, torch) -> np.ndarray:
    table = {torch.bool: np.bool_, torch.int8: np.int8, torch.int16: np.int16, torch.int32: np.int32,
             torch.int64: np.int64, torch.uint8: np.uint8, torch.float16: np.float16,
             torch.float32: np.float32, torch.float64: np.float64}
    for name, np_type in (("uint16", np.uint16), ("uint32", np.uint32), ("uint64", np.uint64)):
        if hasattr(torch, name):
            table[getattr(torch, name)] = np_type
    if tensor.dtype not in table:
        raise AccelsimInputError("cannot convert from torch", [
            Problem("tensor.dtype", str(tensor.dtype), SUPPORTED_DTYPES)],
            "convert first, e.g. tensor.float() for bfloat16")
    return tensor.detach().cpu().resolve_conj().resolve_neg().numpy().copy()


def from_torch(tensor, fmt=None, *, value_bits: int = 8, index_bits: int | None = None, shape=None,
               dtype=None) -> SparseTensor:
    """Encode a torch tensor (strided, or sparse COO/CSR/CSC/BSR).

    The tensor is read through its component tensors, never densified by
    torch, so dtypes torch cannot densify (uint16/32/64) work too.

    Parameters
    ----------
    tensor : torch.Tensor
    fmt : str, optional
        Default: ``dense`` for a strided tensor, ``csr`` for CSR and COO,
        ``csc`` for CSC, ``bsr:RxC`` for BSR.
    value_bits, index_bits, shape, dtype
        As for :func:`from_scipy`.

    Returns
    -------
    SparseTensor
    """
    import torch

    if not isinstance(tensor, torch.Tensor):
        raise AccelsimInputError("cannot convert from torch", [
            Problem("tensor", type(tensor).__name__, "a torch.Tensor")])
    layout = tensor.layout
    compressed = {torch.sparse_csr: ("csr", 0), torch.sparse_csc: ("csc", 1)}
    if layout == torch.strided:
        dense, default = _torch_to_numpy(tensor, torch), "dense"
    elif layout in compressed or layout == torch.sparse_bsr:
        if tensor.dim() != 2:
            raise AccelsimInputError("cannot convert from torch", [
                Problem("tensor.shape", tuple(tensor.shape), "2-D (batched or hybrid sparse tensors are not supported)")])
        size = tuple(int(s) for s in tensor.shape)
        if layout == torch.sparse_bsr:
            values = _torch_to_numpy(tensor.values(), torch)
            dense = _scatter_bsr(size, values.shape[1:], tensor.crow_indices().numpy(),
                                 tensor.col_indices().numpy(), values)
            default = f"bsr:{values.shape[1]}x{values.shape[2]}"
        else:
            default, major = compressed[layout]
            ptr = tensor.crow_indices() if major == 0 else tensor.ccol_indices()
            idx = tensor.col_indices() if major == 0 else tensor.row_indices()
            dense = _scatter_compressed(size, ptr.numpy(), idx.numpy(),
                                        _torch_to_numpy(tensor.values(), torch), major)
    elif layout == torch.sparse_coo:
        coo = tensor.coalesce()
        values = _torch_to_numpy(coo.values(), torch)
        dense = np.zeros(tuple(int(s) for s in coo.shape), dtype=values.dtype)
        dense[tuple(coo.indices().numpy())] = values
        default = "csr"
    else:
        raise AccelsimInputError("cannot convert from torch", [
            Problem("tensor.layout", str(layout), "torch.strided, sparse_coo, sparse_csr, sparse_csc or sparse_bsr")])
    return _finish(dense, default if fmt is None else fmt, value_bits, index_bits, shape, dtype, "torch tensor")
