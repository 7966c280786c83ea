"""Strict parsing of numbers written as text (option values, scheme strings, CSV and .cfg cells).

Python's ``int()`` and ``float()`` accept far more than a user means by a
number: Unicode digits (``int("٣") == 3``), superscripts that then fail
(``"²"``), underscores (``"1_000"``), ``"nan"`` and ``"inf"``. Here a number is
ASCII only: an optional sign, decimal digits, and for reals an optional
fraction and exponent. Integers are at most :data:`MAX_INT_DIGITS` digits
long, so no text reaches Python's 4,300-digit conversion limit.
"""

from __future__ import annotations

import argparse
import math
import re

__all__ = ["parse_int", "parse_float", "int_option", "float_option", "MAX_INT_DIGITS"]

#: Longest integer accepted (an int64 has 19 digits).
MAX_INT_DIGITS = 30

_INT = re.compile(r"[+-]?[0-9]{1,%d}" % MAX_INT_DIGITS)
_FLOAT = re.compile(r"[+-]?(?:[0-9]{1,400}(?:\.[0-9]{0,400})?|\.[0-9]{1,400})(?:[eE][+-]?[0-9]{1,4})?")


def parse_int(text):
    """``text`` as an int if it is an ASCII integer (blanks around it allowed), else None."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not _INT.fullmatch(text):
        return None
    return int(text)


def parse_float(text):
    """``text`` as a finite float if it is an ASCII decimal number, else None (``nan``, ``inf`` too)."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not _FLOAT.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def _range_text(minimum, maximum) -> str:
    if minimum is None:
        return f"<= {maximum:,}"
    if maximum is None:
        return f">= {minimum:,}" if isinstance(minimum, int) else f">= {minimum:g}"
    if isinstance(minimum, int) and isinstance(maximum, int):
        return f"from {minimum:,} to {maximum:,}"
    return f"from {minimum:g} to {maximum:g}"


def int_option(minimum: int | None, maximum: int | None = None):
    """An argparse ``type=``: an ASCII integer in ``[minimum, maximum]`` (None: unbounded); the error
    shows the range."""
    def convert(text):
        value = parse_int(text)
        if (value is None or (minimum is not None and value < minimum)
                or (maximum is not None and value > maximum)):
            raise argparse.ArgumentTypeError(
                f"expected an integer {_range_text(minimum, maximum)}; got {text!r}")
        return value
    convert.__name__ = "integer"
    return convert


def float_option(minimum: float, maximum: float | None = None, *, inclusive_min: bool = True):
    """An argparse ``type=``: a finite ASCII number in the range; the error shows the range."""
    def convert(text):
        value = parse_float(text)
        low_ok = value is not None and (value >= minimum if inclusive_min else value > minimum)
        if not low_ok or (maximum is not None and value > maximum):
            shown = _range_text(minimum, maximum) if inclusive_min else (
                f"> {minimum:g}" + (f" and <= {maximum:g}" if maximum is not None else ""))
            raise argparse.ArgumentTypeError(f"expected a number {shown}; got {text!r}")
        return value
    convert.__name__ = "number"
    return convert
