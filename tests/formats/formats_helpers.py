"""Shared helpers for the format tests: random weights and an independent reference model."""

from __future__ import annotations

import math

import numpy as np

DTYPES = (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
          np.float16, np.float32, np.float64)


def bits_of(a: np.ndarray) -> np.ndarray:
    """The raw bit patterns of ``a`` as unsigned integers of its byte order (for bitwise comparisons)."""
    raw = np.dtype(f"u{a.dtype.itemsize}")
    if a.dtype.byteorder in "<>":
        raw = raw.newbyteorder(a.dtype.byteorder)
    return np.ascontiguousarray(a).view(raw)


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Same shape, dtype and bit patterns."""
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(bits_of(a), bits_of(b))


def same_up_to_zero_sign(original: np.ndarray, decoded: np.ndarray) -> bool:
    """The zero rule of docs/formats.md: nonzeros bit for bit, zeros as zeros of either sign.

    Written against the bits, independently of the code under test: an
    element of ``original`` is zero when its bits are those of +0 or -0.
    """
    if original.shape != decoded.shape or original.dtype != decoded.dtype:
        return False
    a, b = bits_of(original), bits_of(decoded)
    if original.dtype.kind == "f":
        sign = np.array(1, dtype=a.dtype) << np.array(8 * original.dtype.itemsize - 1, dtype=a.dtype)
        a_zero, b_zero = (a & ~sign) == 0, (b & ~sign) == 0
    else:
        a_zero, b_zero = a == 0, b == 0
    return bool(np.all(np.where(a_zero, b_zero, a == b)))


def random_nonzeros(rng: np.random.Generator, shape, dtype) -> np.ndarray:
    """Values of ``dtype`` that are all nonzero (never +0.0 or -0.0)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return np.ones(shape, dtype=bool)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        vals = rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
        vals[vals == 0] = 1
        return vals
    vals = (rng.standard_normal(shape) * 3).astype(dtype)
    vals[vals == 0] = 1
    return vals


def random_weight(shape, dtype, density: float, seed: int) -> np.ndarray:
    """A weight with roughly ``density`` nonzero elements (exactly 0 or all for 0.0 / 1.0).

    Float zeros are a mix of +0.0 and -0.0, as ``torch.nn.utils.prune``
    leaves them (it multiplies by the mask).
    """
    rng = np.random.default_rng(seed)
    vals = random_nonzeros(rng, shape, dtype)
    keep = rng.random(shape) < density
    if density >= 1.0:
        keep[...] = True
    zeros = np.zeros(shape, vals.dtype)
    if vals.dtype.kind == "f":
        zeros[rng.random(shape) < 0.5] = -0.0
    return np.where(keep, vals, zeros)


def matrix_view(w: np.ndarray) -> np.ndarray:
    """Reference matrix view: (shape[0], rest), a 1-D array as one row."""
    if w.ndim == 1:
        return w.reshape(1, -1)
    return w.reshape(w.shape[0], -1)


def make_nm(w: np.ndarray, n: int, m: int) -> np.ndarray:
    """Zero all but the first ``n`` nonzeros of every group of ``m`` columns of the matrix view."""
    mat = matrix_view(w).copy()
    rows, cols = mat.shape
    for r in range(rows):
        for start in range(0, cols, m):
            seen = 0
            for c in range(start, min(cols, start + m)):
                if mat[r, c] != 0:
                    seen += 1
                    if seen > n:
                        mat[r, c] = 0
    return mat.reshape(w.shape)


def ceil_log2(x: int) -> int:
    """ceil(log2(x)) for x >= 1, from math.log2 (independent of int.bit_length)."""
    return math.ceil(math.log2(x)) if x > 1 else 0


def eie_entries(nonzero_row: np.ndarray, index_bits: int | None) -> int:
    """Entries a row needs with relative indices of ``index_bits`` (EIE walk); absolute if None.

    Walk the row element by element with a zero counter: a nonzero is emitted
    and resets the counter; a zero met when the counter already equals the
    largest relative index ``2**bits - 1`` is emitted as a padding zero.
    Paddings after the last nonzero are not needed and are dropped.
    """
    nz = [bool(v) for v in nonzero_row]
    if index_bits is None:
        return sum(nz)
    limit = 2 ** index_bits - 1
    emitted = []          # True for a real nonzero, False for a padding
    zeros = 0
    for v in nz:
        if v:
            emitted.append(True)
            zeros = 0
        elif zeros == limit:
            emitted.append(False)
            zeros = 0
        else:
            zeros += 1
    while emitted and not emitted[-1]:
        emitted.pop()
    return len(emitted)


def reference_bits(w: np.ndarray, fmt: str, value_bits: int, index_bits: int | None) -> dict:
    """Storage bits computed straight from the rules in docs/formats.md."""
    mat = matrix_view(w)
    nz = mat != 0
    rows, cols = mat.shape
    kind = fmt.split(":")[0]

    def compressed(nzmat, extra_values_per_entry=1):
        major, minor = nzmat.shape
        need = max(1, ceil_log2(minor))
        relative = index_bits is not None and index_bits < need
        width = need if index_bits is None else index_bits
        stored = sum(eie_entries(nzmat[i], index_bits if relative else None) for i in range(major))
        ptr = max(1, ceil_log2(stored + 1))
        return stored, stored * extra_values_per_entry * value_bits, stored * width + (major + 1) * ptr

    if kind == "dense":
        return {"values": rows * cols * value_bits, "metadata": 0}
    if kind == "bitmap":
        return {"values": int(nz.sum()) * value_bits, "metadata": rows * cols}
    if kind == "csr":
        _, v, m = compressed(nz)
        return {"values": v, "metadata": m}
    if kind == "csc":
        _, v, m = compressed(nz.T)
        return {"values": v, "metadata": m}
    if kind == "bsr":
        r, c = (int(x) for x in fmt.split(":")[1].split("x"))
        br, bc = math.ceil(rows / r), math.ceil(cols / c)
        occupied = np.zeros((br, bc), dtype=bool)
        for i in range(br):
            for j in range(bc):
                occupied[i, j] = nz[i * r:(i + 1) * r, j * c:(j + 1) * c].any()
        _, v, m = compressed(occupied, extra_values_per_entry=r * c)
        return {"values": v, "metadata": m}
    if kind == "nm":
        parts = fmt.split(":")
        n, m = int(parts[1]), int(parts[2])
        groups = rows * math.ceil(cols / m)
        if len(parts) == 4:
            width = ceil_log2(math.comb(m, n)) if index_bits is None else index_bits
            meta = groups * width
        else:
            width = ceil_log2(m) if index_bits is None else index_bits
            meta = groups * n * width
        return {"values": groups * n * value_bits, "metadata": meta}
    raise AssertionError(fmt)
