"""Functional (bit-exact) mode: a layer's integer output computed from its encoded operands.

The output is what the accelerator's datapath computes: signed
``weight_bits x activation_bits`` products summed in a two's-complement
accumulator of ``accumulator_bits`` that wraps. Each format has a Numba
kernel that walks the encoded structure the way its PE does -- CSR rows of
(value, column) pairs, CSC columns, BSR blocks, N:M groups of (value,
in-group position), bitmap bits with a running value pointer -- and
accumulates in int64 into an output the caller allocated; the int64 sums
are then wrapped to the accumulator width. Wrapping once at the end equals
wrapping after every add, because wrap-around addition is associative and
``2**accumulator_bits`` divides ``2**64``.

The reference this must equal bit for bit is
``wrap_to_bits(A.astype(int64) @ W.T.astype(int64), accumulator_bits)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from accelsim.errors import AccelsimInputError, ProblemCollector
from accelsim.sim.quantize import (check_int_operand, quantize_symmetric, random_ints, wrap_to_bits)

__all__ = ["functional_gemm", "layer_output", "LayerOutput", "wrap_to_bits", "reference_gemm"]


# ------------------------------------------------------------------ kernels
# act: (G, M, K) int64; output row r (an output channel) belongs to group r // rows_per_group.
# out: (M, R) int64, allocated (zeroed where the kernel accumulates with +=) by the caller.

@numba.njit(cache=True)
def _dense_kernel(act, rows_per_group, w, out):
    _, m_size, k_size = act.shape
    for r in range(w.shape[0]):
        g = r // rows_per_group
        for m in range(m_size):
            acc = 0
            for k in range(k_size):
                acc += act[g, m, k] * w[r, k]
            out[m, r] = acc


@numba.njit(cache=True)
def _relative_to_absolute(indptr, gaps, absolute):
    # EIE-style relative indices: position = previous position + 1 + zeros skipped.
    for line in range(indptr.shape[0] - 1):
        pos = -1
        for p in range(indptr[line], indptr[line + 1]):
            pos += 1 + gaps[p]
            absolute[p] = pos


@numba.njit(cache=True)
def _csr_kernel(act, rows_per_group, indptr, cols, vals, out):
    m_size = act.shape[1]
    for r in range(indptr.shape[0] - 1):
        g = r // rows_per_group
        start, stop = indptr[r], indptr[r + 1]
        for m in range(m_size):
            acc = 0
            for p in range(start, stop):
                acc += act[g, m, cols[p]] * vals[p]
            out[m, r] = acc


@numba.njit(cache=True)
def _csc_kernel(act, rows_per_group, indptr, rows, vals, out):
    m_size = act.shape[1]
    for k in range(indptr.shape[0] - 1):
        for p in range(indptr[k], indptr[k + 1]):
            r = rows[p]
            g = r // rows_per_group
            v = vals[p]
            for m in range(m_size):
                out[m, r] += act[g, m, k] * v


@numba.njit(cache=True)
def _bsr_kernel(act, rows_per_group, indptr, block_cols, data, n_rows, out):
    m_size, k_size = act.shape[1], act.shape[2]
    br_size, bc_size = data.shape[1], data.shape[2]
    for br in range(indptr.shape[0] - 1):
        for p in range(indptr[br], indptr[br + 1]):
            k0 = block_cols[p] * bc_size
            for i in range(br_size):
                r = br * br_size + i
                if r >= n_rows:
                    break
                g = r // rows_per_group
                for m in range(m_size):
                    acc = 0
                    for j in range(bc_size):
                        k = k0 + j
                        if k >= k_size:
                            break
                        acc += act[g, m, k] * data[p, i, j]
                    out[m, r] += acc


@numba.njit(cache=True)
def _nm_kernel(act, rows_per_group, vals, positions, m_group, out):
    m_size, k_size = act.shape[1], act.shape[2]
    rows, groups, n_keep = vals.shape
    for r in range(rows):
        g = r // rows_per_group
        for m in range(m_size):
            acc = 0
            for q in range(groups):
                base = q * m_group
                for t in range(n_keep):
                    k = base + positions[r, q, t]
                    if k < k_size:  # positions in the zero padding of a partial last group
                        acc += act[g, m, k] * vals[r, q, t]
            out[m, r] = acc


@numba.njit(cache=True)
def _bitmap_kernel(act, rows_per_group, mask, vals, out):
    m_size, k_size = act.shape[1], act.shape[2]
    start = 0
    for r in range(mask.shape[0]):
        g = r // rows_per_group
        stop = start
        for k in range(k_size):
            if mask[r, k]:
                stop += 1
        for m in range(m_size):
            p = start
            acc = 0
            for k in range(k_size):
                if mask[r, k]:
                    acc += act[g, m, k] * vals[p]
                    p += 1
            out[m, r] = acc
        start = stop


# ------------------------------------------------------------ python side
def _i64(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.int64)


def _format_name(weight) -> str:
    spec = getattr(weight, "spec", None)
    return getattr(spec, "name", type(weight).__name__)


def _index_array(tensor) -> np.ndarray:
    """Absolute minor indices decoded from the tensor's stored index codes."""
    indptr = _i64(tensor.indptr)
    if getattr(tensor, "index_mode", "absolute") == "relative":
        absolute = np.empty(tensor.indices.shape[0], dtype=np.int64)
        _relative_to_absolute(indptr, _i64(tensor.relative_indices()), absolute)
        return absolute
    return _i64(tensor.indices)


def _run_encoded(act, rows_per_group, tensor, n_rows, out) -> None:
    """Dispatch an encoded :class:`accelsim.formats.SparseTensor` to its kernel."""
    kind = tensor.spec.kind
    if kind == "dense":
        _dense_kernel(act, rows_per_group, _i64(tensor.values).reshape(n_rows, -1), out)
    elif kind == "csr":
        _csr_kernel(act, rows_per_group, _i64(tensor.indptr), _index_array(tensor), _i64(tensor.data), out)
    elif kind == "csc":
        out[...] = 0
        _csc_kernel(act, rows_per_group, _i64(tensor.indptr), _index_array(tensor), _i64(tensor.data), out)
    elif kind == "bsr":
        out[...] = 0
        _bsr_kernel(act, rows_per_group, _i64(tensor.indptr), _index_array(tensor), _i64(tensor.data),
                    n_rows, out)
    elif kind == "nm":
        _nm_kernel(act, rows_per_group, _i64(tensor.values), _i64(tensor.positions), int(tensor.m), out)
    elif kind == "bitmap":
        mask = np.ascontiguousarray(tensor.mask, dtype=np.bool_)
        _bitmap_kernel(act, rows_per_group, mask, _i64(tensor.values), out)
    else:  # pragma: no cover - formats and this dispatch are kept in step
        raise AccelsimInputError(f"functional mode has no kernel for format {kind!r}")


def _stored_values(tensor) -> np.ndarray:
    kind = tensor.spec.kind
    return tensor.data if kind in ("csr", "csc", "bsr") else tensor.values


def reference_gemm(activations, weight, accumulator_bits: int) -> np.ndarray:
    """NumPy reference: ``wrap_to_bits(A @ W.T)`` per group, in int64.

    Parameters
    ----------
    activations : (M, K) or (G, M, K) integer array
    weight : (R, K) integer array, ``R`` a multiple of ``G``
    accumulator_bits : int

    Returns
    -------
    numpy.ndarray of int64, shape (M, R)
    """
    a = np.asarray(activations, dtype=np.int64)
    w = np.asarray(weight, dtype=np.int64)
    a = a[None] if a.ndim == 2 else a
    per = w.shape[0] // a.shape[0]
    parts = [a[g] @ w[g * per:(g + 1) * per].T for g in range(a.shape[0])]
    return wrap_to_bits(np.concatenate(parts, axis=1), accumulator_bits)


def functional_gemm(activations_int, encoded_or_dense_weight_int, arch) -> np.ndarray:
    """Integer GEMM of the accelerator: ``out[m, r] = wrap(sum_k A[g(r), m, k] * W[r, k])``.

    Parameters
    ----------
    activations_int : (M, K) or (G, M, K) integer array
        Activations in ``arch.precision.activation_bits`` two's complement.
        With ``G`` groups, output row (channel) ``r`` reads group
        ``r // (R / G)`` -- grouped convolutions, attention heads.
    encoded_or_dense_weight_int : (R, K) integer array or accelsim.formats.SparseTensor
        Weight in ``arch.precision.weight_bits`` two's complement: a dense
        matrix (rows = output channels, columns = reduction), or an encoded
        tensor of integer dtype whose stored arrays are walked by the
        format's kernel (relative indices are decoded as the PE would).
    arch : accelsim.spec.ArchSpec
        Supplies the operand and accumulator widths.

    Returns
    -------
    numpy.ndarray of int64, shape (M, R)
        Each value in the signed ``accumulator_bits`` range.

    Raises
    ------
    AccelsimInputError
        For operands that are not integers, do not fit their widths, or do not
        have matching shapes (all problems listed together).
    """
    p = arch.precision
    problems = ProblemCollector()
    weight = encoded_or_dense_weight_int
    encoded = hasattr(weight, "spec") and hasattr(weight, "to_dense")
    act = check_int_operand(activations_int, p.activation_bits, "activations", problems)
    if act is not None and act.ndim not in (2, 3):
        problems.add("activations", f"array of shape {act.shape}", "a (M, K) or (G, M, K) array")
        act = None
    if encoded:
        if weight.dtype.kind not in "iub":
            problems.add("weight", f"{_format_name(weight)} tensor of dtype {weight.dtype}",
                         "an encoded integer weight (quantize before encoding)")
            w_shape = None
        else:
            check_int_operand(_stored_values(weight), p.weight_bits, "weight", problems)
            w_shape = weight.matrix_shape
    else:
        dense = check_int_operand(weight, p.weight_bits, "weight", problems)
        if dense is not None and dense.ndim != 2:
            problems.add("weight", f"array of shape {dense.shape}", "a (R, K) matrix or an encoded tensor")
            dense = None
        w_shape = None if dense is None else dense.shape
    if act is not None and w_shape is not None:
        act = act[None] if act.ndim == 2 else act
        groups, _, k_size = act.shape
        rows, cols = w_shape
        if cols != k_size:
            problems.add("weight", f"matrix of shape {w_shape}",
                         f"{k_size} columns (the reduction length K of the activations)")
        if groups < 1 or rows % groups:
            problems.add("activations", f"{groups} groups", f"a divisor of the weight's {rows} rows")
    problems.raise_if_any("invalid operands for the functional GEMM")

    act = np.ascontiguousarray(act)
    rows = w_shape[0]
    out = np.empty((act.shape[1], rows), dtype=np.int64)
    if encoded:
        _run_encoded(act, rows // act.shape[0], weight, rows, out)
    else:
        _dense_kernel(act, rows // act.shape[0], np.ascontiguousarray(dense), out)
    return wrap_to_bits(out, p.accumulator_bits)


@dataclass(frozen=True, eq=False)
class LayerOutput:
    """Result of :func:`layer_output`: the integer operands and the output (read-only arrays).

    Attributes
    ----------
    output : numpy.ndarray of int64, shape (M, groups * N)
        Column block ``g*N:(g+1)*N`` is group ``g``'s GEMM.
    activations : numpy.ndarray of int64, shape (groups, M, K)
    weight : numpy.ndarray of int64, shape (groups * N, K)
        The integer weight that was encoded.
    weight_scale : float or None
        Scale of :func:`quantize_symmetric` if the layer's weight was real,
        ``None`` if it was already integer or generated.
    format : str
        Canonical format the weight was encoded in.
    accumulator_bits : int
    """

    output: np.ndarray
    activations: np.ndarray
    weight: np.ndarray
    weight_scale: float | None
    format: str
    accumulator_bits: int

    def __post_init__(self) -> None:
        for name in ("output", "activations", "weight"):
            getattr(self, name).flags.writeable = False


def _encode_index_bits(spec, arch):
    """The arch's index width when the format is one its PE consumes natively, else minimal."""
    kind = arch.sparsity.kind
    native = ((kind == "unstructured" and spec.kind in ("csr", "csc"))
              or (kind == "block" and spec.kind == "bsr") or (kind == "nm" and spec.kind == "nm"))
    return arch.sparsity.index_bits if native else None


def layer_output(layer, arch, *, format=None, activations=None, seed: int = 0) -> LayerOutput:
    """Integer output of ``layer`` on ``arch``, computed from the encoded weight.

    Parameters
    ----------
    layer : accelsim.workload.Layer
        Its weight (real or integer) is taken as ``layer.weight_matrix()``; a
        real weight is quantised per tensor with :func:`quantize_symmetric` to
        ``weight_bits``; an integer weight must fit ``weight_bits``. A layer
        without a weight (an operand-only matmul) gets seeded random integers
        over the full ``weight_bits`` range.
    arch : accelsim.spec.ArchSpec
    format : str, optional
        Weight format for :func:`accelsim.formats.encode`; defaults to
        ``arch.sparsity.native_format``. When it is a format the PE consumes
        natively, the arch's ``index_bits`` is used (so narrow indices become
        relative, as in the hardware); otherwise minimal index widths.
        An ``nm`` format needs an N:M-sparse weight (prune it first).
    activations : integer array, optional
        ``(groups, M, K)``, or ``(M, K)`` when ``groups == 1``. If omitted,
        seeded random integers over the full ``activation_bits`` range, each
        zeroed with probability ``1 - layer.input_density`` if that is set.
    seed : int
        Seed of :func:`numpy.random.default_rng` for generated operands
        (activations are drawn first, then a missing weight).

    Returns
    -------
    LayerOutput
    """
    from accelsim.formats import encode, parse_format

    p = arch.precision
    groups, m_size, k_size = int(layer.groups), int(layer.m), int(layer.k)
    spec = parse_format(arch.sparsity.native_format if format is None else format)
    rng = np.random.default_rng(seed)
    if activations is None:
        act = random_ints(rng, (groups, m_size, k_size), p.activation_bits, layer.input_density)
    else:
        problems = ProblemCollector()
        act = check_int_operand(activations, p.activation_bits, "activations", problems)
        problems.raise_if_any(f"invalid activations for layer {layer.name!r}")
        if act.ndim == 2 and groups == 1:
            act = act[None]
        if act.shape != (groups, m_size, k_size):
            raise AccelsimInputError(
                f"invalid activations for layer {layer.name!r}", [],
                f"got shape {act.shape}; expected {(groups, m_size, k_size)} (groups, M, K)"
                + (f" or {(m_size, k_size)}" if groups == 1 else ""))

    scale = None
    if layer.weight is None:
        weight = random_ints(rng, (groups * layer.n, k_size), p.weight_bits)
    else:
        matrix = layer.weight_matrix()
        if np.asarray(matrix).dtype.kind in "iub":
            problems = ProblemCollector()
            weight = check_int_operand(matrix, p.weight_bits, f"{layer.name}.weight", problems)
            problems.raise_if_any(f"invalid integer weight for layer {layer.name!r}")
        else:
            weight, scale = quantize_symmetric(matrix, p.weight_bits)
    tensor = encode(weight, spec, value_bits=p.weight_bits, index_bits=_encode_index_bits(spec, arch))
    out = functional_gemm(act, tensor, arch)
    return LayerOutput(output=out, activations=np.ascontiguousarray(act), weight=weight,
                       weight_scale=scale, format=spec.name, accumulator_bits=p.accumulator_bits)
