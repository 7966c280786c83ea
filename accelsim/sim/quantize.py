"""Integer helpers of the functional mode: symmetric quantisation, two's-complement wrap, ranges.

Conventions (also in ``docs/energy.md``, appendix "number conventions of the functional mode"):

* A ``b``-bit signed operand holds the two's-complement range
  ``[-2**(b-1), 2**(b-1) - 1]`` (:func:`int_range`); the hardware accepts all of it.
* :func:`quantize_symmetric` maps real numbers to the *symmetric* range
  ``[-(2**(b-1) - 1), 2**(b-1) - 1]`` with one scale per tensor,
  ``scale = max|x| / (2**(b-1) - 1)``, ``q = clip(round_half_even(x / scale))``.
  The most negative code ``-2**(b-1)`` is never produced, so negation never
  overflows and zero maps to zero exactly (pruned weights stay pruned).
* :func:`wrap_to_bits` reduces integers modulo ``2**bits`` into the signed
  range, which is what a ``bits``-wide two's-complement accumulator does.
"""

from __future__ import annotations

import numbers

import numpy as np

from accelsim.errors import AccelsimInputError, ProblemCollector

__all__ = ["quantize_symmetric", "dequantize", "wrap_to_bits", "int_range", "symmetric_max",
           "random_ints", "check_int_operand"]


def _check_bits(bits, name: str, minimum: int, maximum: int) -> None:
    if not isinstance(bits, numbers.Integral) or isinstance(bits, bool) or not minimum <= bits <= maximum:
        raise AccelsimInputError(f"invalid bit width: {name} must be an integer from {minimum} to "
                                 f"{maximum}, not {bits!r}")


def int_range(bits: int) -> tuple[int, int]:
    """Two's-complement range of a ``bits``-wide signed integer: ``(-2**(bits-1), 2**(bits-1) - 1)``."""
    _check_bits(bits, "bits", 1, 64)
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def symmetric_max(bits: int) -> int:
    """Largest code of the symmetric range, ``2**(bits-1) - 1``."""
    _check_bits(bits, "bits", 2, 64)
    return (1 << (bits - 1)) - 1


def quantize_symmetric(x, bits: int) -> tuple[np.ndarray, float]:
    """Per-tensor symmetric quantisation to signed ``bits``-bit integers.

    Parameters
    ----------
    x : array-like of real numbers
        Finite values (bool, integer or float dtype).
    bits : int
        Target width, 2 to 32.

    Returns
    -------
    q : numpy.ndarray of int64
        ``clip(rint(x / scale), -qmax, qmax)`` with ``qmax = 2**(bits-1) - 1``;
        ``numpy.rint`` rounds half to even. Same shape as ``x``.
    scale : float
        ``max|x| / qmax``, so ``q * scale`` approximates ``x`` and the largest
        magnitude maps to ``+-qmax``. If ``x`` is empty, all zeros, or so
        small that this scale would be subnormal (``max|x| < qmax * 2.2e-308``),
        ``q`` is all zeros and ``scale`` is 1.0.

    Raises
    ------
    AccelsimInputError
        If ``bits`` is out of range or ``x`` holds NaN/inf or non-numbers.
    """
    _check_bits(bits, "bits", 2, 32)
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise AccelsimInputError(f"cannot quantize an array of dtype {arr.dtype}: expected real numbers")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise AccelsimInputError(f"cannot quantize: {bad} value(s) are NaN or infinite")
    qmax = symmetric_max(bits)
    amax = float(np.max(np.abs(arr))) if arr.size else 0.0
    scale = amax / qmax
    if scale < np.finfo(np.float64).tiny:   # all zeros, or so small that the scale is subnormal
        return np.zeros(arr.shape, dtype=np.int64), 1.0
    q = np.clip(np.rint(arr / scale), -qmax, qmax).astype(np.int64)
    return q, scale


def dequantize(q, scale: float) -> np.ndarray:
    """Real values ``q * scale`` (float64) of quantised integers."""
    return np.asarray(q, dtype=np.float64) * float(scale)


def wrap_to_bits(x, bits: int):
    """Reduce integers modulo ``2**bits`` into the signed range (two's-complement wrap).

    Parameters
    ----------
    x : int or array-like of integers
        A Python/NumPy integer (any size) or an integer array. Arrays are
        taken modulo ``2**64`` first (int64/uint64 arithmetic), which does not
        change the result since ``2**bits`` divides ``2**64``.
    bits : int
        Width, 1 to 64.

    Returns
    -------
    int or numpy.ndarray of int64
        A Python int for a scalar input, else a new int64 array of the same
        shape, each value in ``[-2**(bits-1), 2**(bits-1) - 1]`` and congruent
        to the input modulo ``2**bits``.
    """
    _check_bits(bits, "bits", 1, 64)
    if isinstance(x, numbers.Integral) and not isinstance(x, bool):
        mod = 1 << bits
        v = int(x) & (mod - 1)
        return v - mod if v >= mod >> 1 else v
    arr = np.asarray(x)
    if arr.dtype.kind not in "iub":
        raise AccelsimInputError(f"wrap_to_bits needs integers, not an array of dtype {arr.dtype}")
    shift = 64 - bits
    u = arr.astype(np.int64).view(np.uint64) << np.uint64(shift)
    return u.view(np.int64) >> np.int64(shift)


def random_ints(rng: np.random.Generator, shape, bits: int, density: float | None = None) -> np.ndarray:
    """Seeded random signed integers over the whole ``bits``-bit two's-complement range.

    Parameters
    ----------
    rng : numpy.random.Generator
    shape : tuple of int
    bits : int
    density : float or None
        If given, each element is then kept with probability ``density`` and
        set to 0 otherwise (a second draw from ``rng``).

    Returns
    -------
    numpy.ndarray of int64
    """
    lo, hi = int_range(bits)
    values = rng.integers(lo, hi, size=shape, endpoint=True, dtype=np.int64)
    if density is not None:
        values[rng.random(size=shape) >= density] = 0
    return values


def check_int_operand(values, bits: int, name: str, problems: ProblemCollector) -> np.ndarray | None:
    """Check that ``values`` are integers within the ``bits``-bit signed range; return them as int64.

    Records a problem (naming ``name``, the offending value and the range) and
    returns ``None`` if they are not.
    """
    arr = np.asarray(values)
    if arr.dtype.kind not in "iub":
        problems.add(name, f"array of dtype {arr.dtype}",
                     f"integers (quantize real values first, e.g. with quantize_symmetric(x, {bits}))")
        return None
    lo, hi = int_range(bits)
    if arr.size:
        amin, amax = int(arr.min()), int(arr.max())
        if amin < lo or amax > hi:
            bad = amin if amin < lo else amax
            problems.add(name, bad, f"integers in [{lo}, {hi}] ({bits}-bit two's complement)")
            return None
    return arr.astype(np.int64)
