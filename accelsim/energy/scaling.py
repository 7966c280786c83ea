"""Scaling rules that turn an energy table's points into the energy at any width or size.

Each rule interpolates between the table's points and extrapolates beyond
them by a stated physical rule; every rule is continuous and non-decreasing
when the table's points are (the loader checks that they are). The rules and
their basis are documented in ``docs/energy.md``.

* :func:`multiplier_pj` -- array multiplier: energy grows with the partial
  product count ``a_bits * b_bits``. Between table points, a power law in the
  effective width ``sqrt(a_bits * b_bits)`` (straight line in log-log);
  outside, quadratic in the effective width from the nearest point.
* :func:`adder_pj` -- ripple/prefix adder: linear in bits. Between points,
  linear interpolation; outside, proportional to bits from the nearest point.
* :func:`sram_access_pj` -- SRAM access energy: between points, linear in
  ``log2(size)``; outside, proportional to ``sqrt(size)`` from the nearest point
  (bit-line and word-line length grow with the side of the array; Horowitz's
  8 KB -> 32 KB points are exactly this ratio, 4x size -> 2x energy).
"""

from __future__ import annotations

import math

__all__ = ["multiplier_pj", "adder_pj", "sram_access_pj", "effective_multiplier_bits"]


def effective_multiplier_bits(a_bits: float, b_bits: float) -> float:
    """Square-multiplier width with the same partial-product count: ``sqrt(a_bits * b_bits)``."""
    return math.sqrt(float(a_bits) * float(b_bits))


def _bracket(points, x):
    """Return ``(lo, hi)`` points around ``x``; ``None`` for the missing side outside the range.

    A point exactly at ``x`` comes back as ``(point, point)`` so the rules return it unchanged.
    """
    for point in points:
        if point[0] == x:
            return point, point
    if x <= points[0][0]:
        return None, points[0]
    if x >= points[-1][0]:
        return points[-1], None
    for left, right in zip(points, points[1:]):
        if left[0] <= x <= right[0]:
            return left, right
    raise AssertionError("unreachable: points are sorted")  # pragma: no cover


def multiplier_pj(points, a_bits: float, b_bits: float | None = None) -> float:
    """Energy of one ``a_bits x b_bits`` integer multiply.

    Parameters
    ----------
    points : sequence of (bits, pJ)
        Square-multiplier energies, sorted by bits, values non-decreasing.
    a_bits, b_bits : float
        Operand widths; ``b_bits`` defaults to ``a_bits``.

    Returns
    -------
    float
        Energy in pJ. At a table width it is the table value exactly.
    """
    b_bits = a_bits if b_bits is None else b_bits
    x = effective_multiplier_bits(a_bits, b_bits)
    lo, hi = _bracket(points, x)
    if lo is None or hi is None:
        end = hi if lo is None else lo
        return float(end[1]) * (x / end[0]) ** 2
    if hi[0] == lo[0]:
        return float(lo[1])
    t = (math.log(x) - math.log(lo[0])) / (math.log(hi[0]) - math.log(lo[0]))
    return math.exp(math.log(lo[1]) + t * (math.log(hi[1]) - math.log(lo[1])))


def adder_pj(points, bits: float) -> float:
    """Energy of one ``bits``-wide integer add.

    Parameters
    ----------
    points : sequence of (bits, pJ)
        Adder energies sorted by bits, values non-decreasing.
    bits : float

    Returns
    -------
    float
        Energy in pJ: linear interpolation between points, proportional to
        ``bits`` beyond the first and last point.
    """
    lo, hi = _bracket(points, bits)
    if lo is None:
        return float(hi[1]) * bits / hi[0]
    if hi is None:
        return float(lo[1]) * bits / lo[0]
    if hi[0] == lo[0]:
        return float(lo[1])
    t = (bits - lo[0]) / (hi[0] - lo[0])
    return float(lo[1]) + t * (float(hi[1]) - float(lo[1]))


def sram_access_pj(points, size_kib: float) -> float:
    """Energy of one SRAM access of the table's access width for an SRAM of ``size_kib``.

    Parameters
    ----------
    points : sequence of (size_kib, pJ)
        Access energies sorted by size, values non-decreasing.
    size_kib : float
        Capacity of the SRAM in KiB (> 0).

    Returns
    -------
    float
        Energy in pJ per access: linear in ``log2(size)`` between points,
        ``E_end * sqrt(size / size_end)`` beyond the first and last point.
    """
    lo, hi = _bracket(points, size_kib)
    if lo is None:
        return float(hi[1]) * math.sqrt(size_kib / hi[0])
    if hi is None:
        return float(lo[1]) * math.sqrt(size_kib / lo[0])
    if hi[0] == lo[0]:
        return float(lo[1])
    t = (math.log2(size_kib) - math.log2(lo[0])) / (math.log2(hi[0]) - math.log2(lo[0]))
    return float(lo[1]) + t * (float(hi[1]) - float(lo[1]))
