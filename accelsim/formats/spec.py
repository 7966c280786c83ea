"""Sparse format names: parse strings such as ``"bsr:4x4"`` into frozen specs."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from accelsim.errors import AccelsimInputError, Problem
from accelsim.limits import current as current_limits, limit_problem

__all__ = ["FormatSpec", "parse_format", "FORMAT_KINDS", "MAX_NM_M", "ALLOWED_FORMATS",
           "FORMAT_EXAMPLES"]

#: Format families, in the order they are listed to the user.
FORMAT_KINDS = ("dense", "csr", "csc", "bsr", "nm", "bitmap")

#: Largest group size M of an N:M format (4-bit in-group indices).
MAX_NM_M = 16

ALLOWED_FORMATS = "one of dense, csr, csc, bitmap, bsr:RxC, nm:N:M, nm:N:M:compact"
FORMAT_EXAMPLES = "examples: 'dense', 'csr', 'csc', 'bitmap', 'bsr:4x4', 'nm:2:4', 'nm:2:4:compact'"

_SIMPLE = ("dense", "csr", "csc", "bitmap")
_BLOCK_ALLOWED = "RxC with integers R >= 1 and C >= 1, e.g. 4x4"
_M_ALLOWED = f"an integer with 2 <= M <= {MAX_NM_M}"


@dataclass(frozen=True)
class FormatSpec:
    """A validated sparse format.

    Build it with :func:`parse_format`; constructing it directly validates the
    same way.

    Attributes
    ----------
    kind : {"dense", "csr", "csc", "bsr", "nm", "bitmap"}
    block_shape : tuple of int or None
        ``(R, C)`` for ``bsr``: blocks of R rows by C columns of the matrix view.
    n, m : int or None
        For ``nm``: at most ``n`` nonzeros in every group of ``m`` consecutive
        columns (reduction dimension) of a row.
    compact : bool
        For ``nm``: one combinatorial code per group instead of one index per
        kept value.
    """

    kind: str
    block_shape: tuple[int, int] | None = None
    n: int | None = None
    m: int | None = None
    compact: bool = False

    def __post_init__(self) -> None:
        problems = _spec_problems(self.kind, self.block_shape, self.n, self.m, self.compact)
        if problems:
            raise AccelsimInputError(f"invalid sparse format {self._raw_name()!r}", problems,
                                     FORMAT_EXAMPLES)
        if self.block_shape is not None:
            object.__setattr__(self, "block_shape", (int(self.block_shape[0]), int(self.block_shape[1])))

    def _raw_name(self) -> str:
        if self.kind == "bsr" and self.block_shape is not None:
            return f"bsr:{self.block_shape[0]}x{self.block_shape[1]}"
        if self.kind == "nm":
            return f"nm:{self.n}:{self.m}" + (":compact" if self.compact else "")
        return str(self.kind)

    @property
    def name(self) -> str:
        """Canonical format string, e.g. ``"bsr:4x4"`` or ``"nm:2:4:compact"``."""
        return self._raw_name()

    @property
    def nm_index_bits(self) -> int:
        """Minimal width of one in-group index, ``ceil(log2 M)`` (``nm`` only)."""
        return (self.m - 1).bit_length()

    @property
    def nm_code_bits(self) -> int:
        """Minimal width of one compact group code, ``ceil(log2 C(M, N))`` (``nm`` only)."""
        return max(1, (math.comb(self.m, self.n) - 1).bit_length())

    def __str__(self) -> str:
        return self.name


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _spec_problems(kind, block_shape, n, m, compact) -> list[Problem]:
    problems: list[Problem] = []
    if kind not in FORMAT_KINDS:
        return [Problem("format", kind, ALLOWED_FORMATS)]
    if kind == "bsr":
        ok = (isinstance(block_shape, tuple) and len(block_shape) == 2
              and all(_is_int(v) and v >= 1 for v in block_shape))
        if not ok:
            problems.append(Problem("format.block", block_shape, _BLOCK_ALLOWED))
        elif block_shape[0] * block_shape[1] > current_limits().max_block_elements:
            problems.append(limit_problem("max_block_elements", "format.block",
                                          f"{block_shape[0]}x{block_shape[1]}", "elements per block"))
    elif block_shape is not None:
        problems.append(Problem("format.block", block_shape, f"None for format {kind!r}"))
    if kind == "nm":
        m_ok = _is_int(m) and 2 <= m <= MAX_NM_M
        if not m_ok:
            problems.append(Problem("format.M", m, _M_ALLOWED))
        if not _is_int(n) or n < 1 or (_is_int(m) and n >= m):
            here = f" (here M = {m})" if _is_int(m) else ""
            problems.append(Problem("format.N", n, f"an integer with 1 <= N < M{here}"))
    elif n is not None or m is not None or compact:
        problems.append(Problem("format", f"{kind} with n={n}, m={m}, compact={compact}",
                                f"n, m and compact only for format 'nm'"))
    return problems


def _parse_int(text: str):
    """ASCII digits -> int; anything else (``'²'``, ``'٣'``) is returned as text and then refused."""
    return int(text) if _DIGITS.fullmatch(text) else text


_DIGITS = re.compile(r"[0-9]{1,18}")


def parse_format(fmt) -> FormatSpec:
    """Parse a format string into a :class:`FormatSpec`.

    Parameters
    ----------
    fmt : str or FormatSpec
        ``"dense"``, ``"csr"``, ``"csc"``, ``"bitmap"``, ``"bsr:RxC"`` (e.g.
        ``"bsr:4x4"``), ``"nm:N:M"`` (e.g. ``"nm:2:4"``) or
        ``"nm:N:M:compact"``. Case and surrounding blanks are ignored. A
        :class:`FormatSpec` is returned unchanged.

    Returns
    -------
    FormatSpec

    Raises
    ------
    AccelsimInputError
        For an unknown name or bad parameters (N >= M, M outside 2..16, a
        block that is not ``RxC`` with positive integers), listing what is
        allowed.
    """
    if isinstance(fmt, FormatSpec):
        return fmt
    if not isinstance(fmt, str):
        raise AccelsimInputError("invalid sparse format", [Problem("format", fmt, "a string, " + ALLOWED_FORMATS)],
                                 FORMAT_EXAMPLES)
    text = fmt.strip().lower()
    parts = text.split(":")
    kind = parts[0]
    summary = f"invalid sparse format {fmt!r}"
    problems: list[Problem] = []
    if kind in _SIMPLE:
        if len(parts) != 1:
            problems.append(Problem("format", fmt, f"{kind!r} without parameters"))
        else:
            return FormatSpec(kind)
    elif kind == "bsr":
        if len(parts) != 2:
            problems.append(Problem("format", fmt, "bsr:RxC with the block shape, e.g. bsr:4x4"))
        else:
            dims = parts[1].split("x")
            if len(dims) != 2 or not all(_DIGITS.fullmatch(d) and int(d) >= 1 for d in dims):
                problems.append(Problem("format.block", parts[1], _BLOCK_ALLOWED))
            else:
                return FormatSpec("bsr", block_shape=(int(dims[0]), int(dims[1])))
    elif kind == "nm":
        if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] != "compact"):
            problems.append(Problem("format", fmt, "nm:N:M or nm:N:M:compact, e.g. nm:2:4"))
        else:
            n, m = _parse_int(parts[1]), _parse_int(parts[2])
            compact = len(parts) == 4
            problems = _spec_problems("nm", None, n, m, compact)
            if not problems:
                return FormatSpec("nm", n=n, m=m, compact=compact)
    else:
        problems.append(Problem("format", fmt, ALLOWED_FORMATS))
    raise AccelsimInputError(summary, problems, FORMAT_EXAMPLES)
