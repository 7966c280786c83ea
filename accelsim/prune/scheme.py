"""Pruning schemes: frozen descriptions parsed from strings such as ``nm:2:4``."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from accelsim.errors import AccelsimInputError, Problem, ProblemCollector
from accelsim.limits import current as current_limits, limit_problem
from accelsim.numbers import parse_float, parse_int

__all__ = [
    "UnstructuredScheme",
    "NMScheme",
    "BlockScheme",
    "ChannelScheme",
    "KernelScheme",
    "PruneScheme",
    "parse_scheme",
    "SCHEME_FORMS",
    "MAX_NM_M",
]

#: Largest group size M accepted by ``nm:N:M``.
MAX_NM_M = 16

#: The accepted forms, one line each with an example (shown in error hints).
SCHEME_FORMS = (
    ("unstructured:S[:global]", "unstructured:0.9"),
    ("nm:N:M", "nm:2:4"),
    ("block:RxC:S[:pad]", "block:4x4:0.5"),
    ("channel:S[:l1|l2][:shrink]", "channel:0.25:l2:shrink"),
    ("kernel:S", "kernel:0.5"),
)

_KINDS = tuple(form.split(":", 1)[0] for form, _ in SCHEME_FORMS)


def _forms_hint() -> str:
    width = max(len(form) for form, _ in SCHEME_FORMS)
    lines = ["pruning schemes (options in brackets, S = target sparsity in [0, 1)):"]
    lines += [f"  {form.ljust(width)}  e.g. {example}" for form, example in SCHEME_FORMS]
    return "\n".join(lines)


def _format_sparsity(s: float) -> str:
    return np.format_float_positional(s, trim="-")


def _check_sparsity(field: str, value, problems: ProblemCollector) -> None:
    ok = (isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
          and math.isfinite(float(value)) and 0.0 <= float(value) < 1.0)
    if not ok:
        problems.add(field, value, "a number S with 0 <= S < 1")


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _raise(problems: ProblemCollector, what: str) -> None:
    problems.raise_if_any(f"invalid pruning scheme {what}", _forms_hint())


@dataclass(frozen=True)
class UnstructuredScheme:
    """Magnitude pruning of individual weights (``unstructured:S[:global]``).

    Attributes
    ----------
    sparsity : float
        Fraction of weights to zero, ``0 <= S < 1``.
    global_threshold : bool
        One magnitude threshold across all layers of a workload instead of
        ``round(S * size)`` zeros in every layer.
    """

    sparsity: float
    global_threshold: bool = False

    def __post_init__(self) -> None:
        problems = ProblemCollector()
        _check_sparsity("unstructured.sparsity", self.sparsity, problems)
        _raise(problems, repr(f"unstructured:{self.sparsity}"))
        object.__setattr__(self, "sparsity", float(self.sparsity))
        object.__setattr__(self, "global_threshold", bool(self.global_threshold))

    @property
    def kind(self) -> str:
        """Scheme name, ``"unstructured"``."""
        return "unstructured"

    @property
    def target_sparsity(self) -> float:
        """Fraction of weights the scheme aims to zero."""
        return self.sparsity

    @property
    def name(self) -> str:
        """Canonical string, e.g. ``unstructured:0.9:global``."""
        suffix = ":global" if self.global_threshold else ""
        return f"unstructured:{_format_sparsity(self.sparsity)}{suffix}"


@dataclass(frozen=True)
class NMScheme:
    """N:M structured sparsity along the reduction dimension (``nm:N:M``).

    Attributes
    ----------
    n : int
        Weights kept per group, ``1 <= N < M``.
    m : int
        Group size, ``2 <= M <= 16``.
    """

    n: int
    m: int

    def __post_init__(self) -> None:
        problems = ProblemCollector()
        _check_nm(self.n, self.m, problems)
        _raise(problems, repr(f"nm:{self.n}:{self.m}"))
        object.__setattr__(self, "n", int(self.n))
        object.__setattr__(self, "m", int(self.m))

    @property
    def kind(self) -> str:
        """Scheme name, ``"nm"``."""
        return "nm"

    @property
    def target_sparsity(self) -> float:
        """``1 - N / M``."""
        return 1.0 - self.n / self.m

    @property
    def name(self) -> str:
        """Canonical string, e.g. ``nm:2:4``."""
        return f"nm:{self.n}:{self.m}"


def _check_nm(n, m, problems: ProblemCollector) -> None:
    m_ok = _is_int(m) and 2 <= m <= MAX_NM_M
    if not _is_int(n) or n < 1:
        problems.add("nm.n", n, "an integer N with 1 <= N < M")
    elif m_ok and n >= m:
        problems.add("nm.n", n, f"an integer N with 1 <= N < M = {m}")
    if not m_ok:
        problems.add("nm.m", m, f"an integer M with 2 <= M <= {MAX_NM_M}")


@dataclass(frozen=True)
class BlockScheme:
    """Block pruning of the weight matrix by L2 norm (``block:RxC:S[:pad]``).

    Attributes
    ----------
    rows, cols : int
        Block shape on the ``(out channels, reduction)`` weight matrix.
    sparsity : float
        Fraction of blocks to zero, ``0 <= S < 1``.
    pad : bool
        Allow matrices the block does not divide: edge blocks are partial.
    """

    rows: int
    cols: int
    sparsity: float
    pad: bool = False

    def __post_init__(self) -> None:
        problems = ProblemCollector()
        if not (_is_int(self.rows) and _is_int(self.cols) and self.rows >= 1 and self.cols >= 1):
            problems.add("block.shape", f"{self.rows}x{self.cols}",
                         "RxC with positive integers R and C, e.g. 4x4")
        elif self.rows * self.cols > current_limits().max_block_elements:
            problems.problems.append(limit_problem("max_block_elements", "block.shape",
                                                   f"{self.rows}x{self.cols}", "elements per block"))
        _check_sparsity("block.sparsity", self.sparsity, problems)
        _raise(problems, repr(f"block:{self.rows}x{self.cols}:{self.sparsity}"))
        object.__setattr__(self, "rows", int(self.rows))
        object.__setattr__(self, "cols", int(self.cols))
        object.__setattr__(self, "sparsity", float(self.sparsity))
        object.__setattr__(self, "pad", bool(self.pad))

    @property
    def kind(self) -> str:
        """Scheme name, ``"block"``."""
        return "block"

    @property
    def target_sparsity(self) -> float:
        """Fraction of blocks the scheme aims to zero."""
        return self.sparsity

    @property
    def name(self) -> str:
        """Canonical string, e.g. ``block:4x4:0.5:pad``."""
        suffix = ":pad" if self.pad else ""
        return f"block:{self.rows}x{self.cols}:{_format_sparsity(self.sparsity)}{suffix}"


@dataclass(frozen=True)
class ChannelScheme:
    """Output-channel (filter / neuron) pruning (``channel:S[:l1|l2][:shrink]``).

    Attributes
    ----------
    sparsity : float
        Fraction of output channels to remove, ``0 <= S < 1``.
    norm : {"l1", "l2"}
        Norm of a channel's weights used to rank channels.
    shrink : bool
        Physically remove the channels (and the consumer's inputs) instead
        of zeroing them.
    """

    sparsity: float
    norm: str = "l1"
    shrink: bool = False

    def __post_init__(self) -> None:
        problems = ProblemCollector()
        _check_sparsity("channel.sparsity", self.sparsity, problems)
        if self.norm not in ("l1", "l2"):
            problems.add("channel.norm", self.norm, "one of l1, l2")
        _raise(problems, repr(f"channel:{self.sparsity}:{self.norm}"))
        object.__setattr__(self, "sparsity", float(self.sparsity))
        object.__setattr__(self, "shrink", bool(self.shrink))

    @property
    def kind(self) -> str:
        """Scheme name, ``"channel"``."""
        return "channel"

    @property
    def target_sparsity(self) -> float:
        """Fraction of channels the scheme aims to remove."""
        return self.sparsity

    @property
    def name(self) -> str:
        """Canonical string, e.g. ``channel:0.5:l2:shrink`` (``l1`` is implied)."""
        text = f"channel:{_format_sparsity(self.sparsity)}"
        if self.norm != "l1":
            text += f":{self.norm}"
        if self.shrink:
            text += ":shrink"
        return text


@dataclass(frozen=True)
class KernelScheme:
    """Kernel-tap pruning of convolutions with R*S > 1 (``kernel:S``).

    Attributes
    ----------
    sparsity : float
        Fraction of the R*S taps to zero in every filter, ``0 <= S < 1``.
    """

    sparsity: float

    def __post_init__(self) -> None:
        problems = ProblemCollector()
        _check_sparsity("kernel.sparsity", self.sparsity, problems)
        _raise(problems, repr(f"kernel:{self.sparsity}"))
        object.__setattr__(self, "sparsity", float(self.sparsity))

    @property
    def kind(self) -> str:
        """Scheme name, ``"kernel"``."""
        return "kernel"

    @property
    def target_sparsity(self) -> float:
        """Fraction of taps the scheme aims to zero."""
        return self.sparsity

    @property
    def name(self) -> str:
        """Canonical string, e.g. ``kernel:0.5``."""
        return f"kernel:{_format_sparsity(self.sparsity)}"


PruneScheme = UnstructuredScheme | NMScheme | BlockScheme | ChannelScheme | KernelScheme
_SCHEME_TYPES = (UnstructuredScheme, NMScheme, BlockScheme, ChannelScheme, KernelScheme)


# ---------------------------------------------------------------- parsing
def _parse_sparsity(text: str, field: str, problems: ProblemCollector):
    body = text[:-1].strip() if text.endswith("%") else text
    value = parse_float(body)
    if value is None:
        problems.add(field, text, "a number S with 0 <= S < 1 (or a percentage such as 90%)")
        return None
    if text.endswith("%"):
        value /= 100.0
    if not (math.isfinite(value) and 0.0 <= value < 1.0):
        problems.add(field, text, "a number S with 0 <= S < 1 (or a percentage such as 90%)")
        return None
    return value


def _parse_int(text: str, field: str, allowed: str, problems: ProblemCollector):
    value = parse_int(text)
    if value is None:
        problems.add(field, text if len(text) <= 40 else text[:37] + "...", allowed)
    return value


def _arity(kind: str, text: str, fields: list[str], required: int,
           problems: ProblemCollector) -> bool:
    if len(fields) < required:
        form, example = SCHEME_FORMS[_KINDS.index(kind)]
        problems.add(kind, text, f"{form}, e.g. {example}")
        return False
    return True


def _options(kind: str, given: list[str], allowed: tuple[str, ...],
             problems: ProblemCollector) -> set[str]:
    seen = set()
    for opt in given:
        if not opt:                       # "nm:2:4:" -- an empty trailing field is ignored
            continue
        if opt in allowed:
            seen.add(opt)
        else:
            what = "one of " + ", ".join(allowed) if allowed else "no options"
            problems.add(f"{kind}.option", opt, what)
    return seen


def parse_scheme(scheme) -> PruneScheme:
    """Parse a pruning scheme string (or pass a parsed scheme through).

    Fields are separated by colons; whitespace around fields and the case of
    names and options are ignored. Sparsities may be written as fractions
    (``0.9``) or percentages (``90%``). A bare ``N:M`` (``2:4``) means
    ``nm:N:M``.

    Parameters
    ----------
    scheme : str or scheme object
        One of the forms in :data:`SCHEME_FORMS`.

    Returns
    -------
    UnstructuredScheme, NMScheme, BlockScheme, ChannelScheme or KernelScheme
        Frozen; ``.name`` is the canonical string.

    Raises
    ------
    AccelsimInputError
        Listing every bad field, its value and what is allowed.
    """
    if isinstance(scheme, _SCHEME_TYPES):
        return scheme
    if not isinstance(scheme, str):
        raise AccelsimInputError(
            "invalid pruning scheme",
            [Problem("scheme", scheme, "a scheme string such as 'nm:2:4' or an object from parse_scheme")],
            _forms_hint())
    text = scheme.strip()
    fields = [f.strip() for f in text.split(":")]
    kind = fields[0].lower()
    problems = ProblemCollector()
    if len(fields) == 2 and parse_int(fields[0]) is not None and parse_int(fields[1]) is not None:
        kind, fields = "nm", ["nm", *fields]
    if kind not in _KINDS:
        problems.add("scheme", fields[0], "one of " + ", ".join(_KINDS))
        _raise(problems, repr(scheme))
    args = fields[1:]
    if kind == "unstructured":
        result = _parse_unstructured(text, args, problems)
    elif kind == "nm":
        result = _parse_nm(text, args, problems)
    elif kind == "block":
        result = _parse_block(text, args, problems)
    elif kind == "channel":
        result = _parse_channel(text, args, problems)
    else:
        result = _parse_kernel(text, args, problems)
    _raise(problems, repr(scheme))
    return result


def _parse_unstructured(text, args, problems):
    if not _arity("unstructured", text, args, 1, problems):
        return None
    s = _parse_sparsity(args[0], "unstructured.sparsity", problems)
    opts = _options("unstructured", [a.lower() for a in args[1:]], ("global",), problems)
    return None if problems else UnstructuredScheme(s, "global" in opts)


def _parse_nm(text, args, problems):
    if not _arity("nm", text, args, 2, problems):
        return None
    n = _parse_int(args[0], "nm.n", "an integer N with 1 <= N < M", problems)
    m = _parse_int(args[1], "nm.m", f"an integer M with 2 <= M <= {MAX_NM_M}", problems)
    _options("nm", [a.lower() for a in args[2:]], (), problems)
    if n is not None and m is not None:
        _check_nm(n, m, problems)
    return None if problems else NMScheme(n, m)


def _parse_block(text, args, problems):
    if not _arity("block", text, args, 2, problems):
        return None
    parts = args[0].lower().split("x")
    rows = cols = None
    if len(parts) == 2:
        rows, cols = parse_int(parts[0]), parse_int(parts[1])
        if rows is None or cols is None:
            rows = cols = None
    if rows is None or rows < 1 or cols < 1:
        problems.add("block.shape", args[0], "RxC with positive integers R and C, e.g. 4x4")
    elif rows * cols > current_limits().max_block_elements:
        problems.problems.append(limit_problem("max_block_elements", "block.shape", args[0],
                                               "elements per block"))
    s = _parse_sparsity(args[1], "block.sparsity", problems)
    opts = _options("block", [a.lower() for a in args[2:]], ("pad",), problems)
    return None if problems else BlockScheme(rows, cols, s, "pad" in opts)


def _parse_channel(text, args, problems):
    if not _arity("channel", text, args, 1, problems):
        return None
    s = _parse_sparsity(args[0], "channel.sparsity", problems)
    given = [a.lower() for a in args[1:]]
    opts = _options("channel", given, ("l1", "l2", "shrink"), problems)
    norms = sorted(opts & {"l1", "l2"})
    if len(norms) > 1:
        problems.add("channel.norm", ":".join(norms), "only one of l1, l2")
    norm = norms[0] if len(norms) == 1 else "l1"
    return None if problems else ChannelScheme(s, norm, "shrink" in opts)


def _parse_kernel(text, args, problems):
    if not _arity("kernel", text, args, 1, problems):
        return None
    s = _parse_sparsity(args[0], "kernel.sparsity", problems)
    _options("kernel", [a.lower() for a in args[1:]], (), problems)
    return None if problems else KernelScheme(s)
