"""One auto-scaled unit per table column group or plot axis: energy, time, bytes, throughput.

A report picks the unit of a quantity once for a whole table (or axis) from
the largest value it shows, so every number in it is read in the same unit:
``pick_unit([3.1e9, 2.4e10], ENERGY)`` is ``("mJ", 1e9)`` and both values are
then written in mJ (3.1 and 24.0). Values are kept in their base unit
(pJ, s, bytes, ops/s) everywhere else; only the report's text is scaled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Quantity", "ENERGY", "TIME", "BYTES", "THROUGHPUT", "pick_unit", "format_number",
           "format_scaled", "MICRO"]

MICRO = "\u00b5"  # the micro sign, as in "µJ" and "µs"


@dataclass(frozen=True)
class Quantity:
    """A physical quantity and its units, smallest first.

    Attributes
    ----------
    name : str
        What is measured (``"energy"``).
    base : str
        The unit values are given in (``"pJ"``).
    units : tuple of (str, float)
        ``(unit, size in base units)``, ascending.
    """

    name: str
    base: str
    units: tuple

    def unit_names(self) -> tuple[str, ...]:
        """The unit symbols, smallest first."""
        return tuple(u for u, _ in self.units)


ENERGY = Quantity("energy", "pJ", (("pJ", 1.0), ("nJ", 1e3), (MICRO + "J", 1e6), ("mJ", 1e9), ("J", 1e12)))
TIME = Quantity("time", "s", (("ns", 1e-9), (MICRO + "s", 1e-6), ("ms", 1e-3), ("s", 1.0)))
BYTES = Quantity("bytes", "B", (("B", 1.0), ("KiB", 2.0**10), ("MiB", 2.0**20), ("GiB", 2.0**30), ("TiB", 2.0**40)))
THROUGHPUT = Quantity("throughput", "ops/s", (("ops/s", 1.0), ("kOPS", 1e3), ("MOPS", 1e6), ("GOPS", 1e9),
                                              ("TOPS", 1e12), ("POPS", 1e15)))


def pick_unit(values, quantity: Quantity) -> tuple[str, float]:
    """The largest unit of ``quantity`` not larger than the largest ``|value|``.

    ``None``, NaN and infinite values are ignored; with nothing left (or only
    zeros) the smallest unit is returned. The result scales every value of
    one table or axis: ``value / size``.

    Returns
    -------
    (str, float)
        Unit symbol and its size in base units.
    """
    finite = [abs(float(v)) for v in values if v is not None and math.isfinite(float(v))]
    peak = max(finite, default=0.0)
    chosen = quantity.units[0]
    for unit in quantity.units:
        if unit[1] <= peak:
            chosen = unit
    return chosen


def format_number(value, digits: int = 3) -> str:
    """A number with ``digits`` significant digits, in fixed point (no exponent), thousands separated.

    ``None`` and non-finite values give ``"-"``. Integers' digits are all kept
    (``format_number(34899337) == "34,899,337"``).
    """
    if value is None:
        return "-"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    v = float(value)
    if not math.isfinite(v):
        return "-"
    if v == 0.0:
        return "0"
    magnitude = math.floor(math.log10(abs(v)))
    decimals = min(max(0, digits - 1 - magnitude), 9)
    text = f"{v:,.{decimals}f}"
    return "0" if text in ("-0", "-0.0") else text


def format_scaled(value, size: float, digits: int = 3) -> str:
    """``value / size`` with :func:`format_number` (``None`` gives ``"-"``)."""
    if value is None:
        return "-"
    return format_number(float(value) / size, digits)
