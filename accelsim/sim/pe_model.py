"""Bit-true, cycle-by-cycle model of one sparse PE and of a small weight-stationary PE array.

This module is the reference the generated RTL (package ``rtl``) is verified
against, and the source of the PE timing rule used by the timing simulator.
It never imports amaranth.

The PE (``PEModel``)
--------------------
One PE has ``lanes`` signed multipliers and one accumulator. It consumes one
*beat* per cycle from a valid/ready input stream; ``last`` marks the final beat
of one output's reduction. What a beat carries depends on the sparse mode:

========== ======================================================================
dense      ``lanes`` weights and ``lanes`` activations (a partial tail is zero-padded)
nm (N:M)   N weights, N indices (``index_bits`` each) and the group's M activations;
           lane ``j`` multiplies ``w[j] * a[idx[j]]`` (an M:1 multiplexer per lane;
           an index ``>= M`` selects 0); ``lanes == N``
unstructured ``lanes`` (value, index) pairs of nonzero weights; lane ``j`` multiplies
           ``w[j] * window[idx[j]]``; unused lanes of the last beat carry weight 0
block RxC  ``lanes`` weights of one nonzero block row segment, the block-column index
           ``idx`` and the segment number ``sub``; lane ``j`` multiplies
           ``w[j] * window[idx*C + sub*lanes + j]`` if ``sub*lanes + j < C``, else 0
========== ======================================================================

``unstructured`` and ``block`` PEs read activations from a local activation
*window* (``window_words`` words, written one word per cycle through a separate
write port; not reset). A reduction longer than the window is streamed in
window-sized segments, re-loading the window between segments; ``last`` is only
set on the final beat, so the accumulator keeps accumulating across segments.

Pipeline and timing (``PIPELINE_DEPTH = 2``)
--------------------------------------------
Stage 1 registers the lane products of the accepted beat; stage 2 adds their sum
to the accumulator (cleared by the first beat of an output) and, on a ``last``
beat, loads the result register (``out_valid``/``out_data``). With no input
bubbles and no output back-pressure, if the first beat of an output is accepted
in cycle ``c0`` the result is valid in cycle ``c0 + stream_beats + PIPELINE_DEPTH - 1``,
i.e. the output occupies::

    pe_cycles = max(beats, 1) + PIPELINE_DEPTH

cycles counted inclusively from its first beat to the cycle its result is
valid, where ``beats`` is the contract's beat count (:func:`pe_beats`). An
output with no beats (unstructured ``nnz == 0``, block with no nonzero block)
still sends one empty beat (all weights 0) carrying ``last``: that is the
``max(beats, 1)``. Outputs stream back to back: the next output's first beat may
be accepted in the cycle after the previous ``last``, so ``n`` outputs take
``sum(max(beats_i, 1)) + PIPELINE_DEPTH`` cycles (:func:`pe_stream_cycles`).
Every bubble (cycle without an accepted beat) or back-pressure stall adds one
cycle. Back-pressure: the whole pipeline holds while ``out_valid and not
out_ready``; ``in_ready = not (out_valid and not out_ready)``.

Arithmetic: products are exact (``weight_bits + activation_bits`` signed); the
accumulator wraps to ``accumulator_bits`` two's complement after every add.

The array (``WSArrayModel``)
----------------------------
A ``rows x cols`` weight-stationary systolic array of *cells* that compute the
same beat sum as the PE (:func:`beat_sum`) in one registered stage; see its
docstring for the latency formula ``rows + cols``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from accelsim.errors import AccelsimInputError, Problem, ProblemCollector

__all__ = ["PIPELINE_DEPTH", "MAX_WINDOW_WORDS", "PEConfig", "Beat", "PEInputs", "PEOutputs",
           "PEModel", "pe_beats", "pe_cycles", "pe_stream_cycles", "wrap_signed", "beat_sum",
           "pack_lanes", "unpack_lanes", "ArrayInputs", "ArrayOutputs", "WSArrayModel",
           "array_latency_cycles", "array_fold_cycles", "ARRAY_KINDS"]

PIPELINE_DEPTH = 2
"""Pipeline registers of the PE after a beat is accepted: product register, accumulator/result register."""

MAX_WINDOW_WORDS = 4096
"""Largest activation window (words) of an unstructured/block PE model and RTL."""

ARRAY_KINDS = ("dense", "nm", "block")
"""Sparse modes with a weight-stationary array model/top (block cells are dense cells)."""

_KINDS = ("dense", "nm", "unstructured", "block")


def _ceil_div(a, b):
    """Ceiling division for non-negative ints or integer numpy arrays."""
    return -(-a // b)


def wrap_signed(value: int, bits: int) -> int:
    """Reduce an integer modulo ``2**bits`` into the signed range ``[-2**(bits-1), 2**(bits-1))``."""
    mask = (1 << bits) - 1
    value &= mask
    return value - (1 << bits) if value >> (bits - 1) else value


def pack_lanes(values, bits: int) -> int:
    """Pack signed integers into one unsigned integer, lane ``i`` at bits ``[i*bits, (i+1)*bits)``."""
    mask = (1 << bits) - 1
    out = 0
    for i, v in enumerate(values):
        out |= (int(v) & mask) << (i * bits)
    return out


def unpack_lanes(packed: int, bits: int, count: int, signed: bool = True) -> tuple[int, ...]:
    """Inverse of :func:`pack_lanes`."""
    mask = (1 << bits) - 1
    vals = [(packed >> (i * bits)) & mask for i in range(count)]
    if signed:
        vals = [v - (1 << bits) if v >> (bits - 1) else v for v in vals]
    return tuple(vals)


# --------------------------------------------------------------------------- timing rule
def pe_beats(kind: str, *, lanes: int = 1, k=None, m=None, nnz=None, nonzero_blocks=None,
             block_cols=None):
    """Beats needed to reduce one output (the shared contract's rule).

    Parameters
    ----------
    kind : {"dense", "nm", "unstructured", "block"}
    lanes : int
        Multipliers per PE (``n`` for N:M).
    k : int or ndarray
        Reduction length (dense, nm).
    m : int
        N:M group size (nm).
    nnz : int or ndarray
        Nonzero weights in the output's reduction row (unstructured).
    nonzero_blocks : int or ndarray
        Nonzero blocks in the output's block row (block).
    block_cols : int
        Block width ``C`` along the reduction (block).

    Returns
    -------
    int or ndarray
        dense ``ceil(k/lanes)``; nm ``ceil(k/m)``; unstructured ``ceil(nnz/lanes)``;
        block ``nonzero_blocks * ceil(block_cols/lanes)``. May be 0.
    """
    need = {"dense": ("k",), "nm": ("k", "m"), "unstructured": ("nnz",),
            "block": ("nonzero_blocks", "block_cols")}
    if kind not in need:
        raise AccelsimInputError("invalid PE kind", [Problem("kind", kind, "one of " + ", ".join(_KINDS))])
    given = {"k": k, "m": m, "nnz": nnz, "nonzero_blocks": nonzero_blocks, "block_cols": block_cols}
    problems = ProblemCollector()
    if not _is_pos_int(lanes):
        problems.add("lanes", lanes, "an integer >= 1")
    for name in need[kind]:
        if given[name] is None:
            problems.add(name, None, f"a value (required for kind {kind!r})")
    problems.raise_if_any(f"cannot compute PE beats for kind {kind!r}")
    if kind == "dense":
        return _ceil_div(k, lanes)
    if kind == "nm":
        return _ceil_div(k, m)
    if kind == "unstructured":
        return _ceil_div(nnz, lanes)
    return nonzero_blocks * _ceil_div(block_cols, lanes)


def pe_cycles(kind: str, **counts):
    """Cycles from an output's first accepted beat to its result being valid, inclusive.

    ``max(pe_beats(kind, **counts), 1) + PIPELINE_DEPTH`` (no bubbles, no
    back-pressure); accepts ints or integer numpy arrays, like :func:`pe_beats`.
    """
    beats = pe_beats(kind, **counts)
    return np.maximum(beats, 1) + PIPELINE_DEPTH if isinstance(beats, np.ndarray) \
        else max(int(beats), 1) + PIPELINE_DEPTH


def pe_stream_cycles(beats) -> int:
    """Cycles to stream several outputs back to back: ``sum(max(b, 1)) + PIPELINE_DEPTH``."""
    b = np.asarray(beats, dtype=np.int64)
    return int(np.maximum(b, 1).sum()) + PIPELINE_DEPTH if b.size else 0


def _is_pos_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1


# --------------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class PEConfig:
    """Parameters of one PE (from an :class:`~accelsim.spec.ArchSpec` via :meth:`from_arch`).

    Attributes
    ----------
    kind : {"dense", "nm", "unstructured", "block"}
    weight_bits, activation_bits, accumulator_bits : int
    lanes : int
        Multipliers (``n`` for N:M).
    n, m : int or None
        N:M parameters.
    index_bits : int or None
        Width of a stored index (nm: per-lane index; unstructured: window
        address; block: block-column index within the window).
    block_rows, block_cols : int or None
        Block shape (block).
    """

    kind: str
    weight_bits: int = 8
    activation_bits: int = 8
    accumulator_bits: int = 32
    lanes: int = 1
    n: int | None = None
    m: int | None = None
    index_bits: int | None = None
    block_rows: int | None = None
    block_cols: int | None = None

    def __post_init__(self) -> None:
        p = ProblemCollector()
        if self.kind not in _KINDS:
            p.add("kind", self.kind, "one of " + ", ".join(_KINDS))
        for name, lo, hi in (("weight_bits", 2, 32), ("activation_bits", 2, 32),
                             ("accumulator_bits", 2, 64), ("lanes", 1, 64)):
            v = getattr(self, name)
            if not (_is_pos_int(v) and lo <= v <= hi):
                p.add(name, v, f"an integer from {lo} to {hi}")
        if self.kind == "nm":
            if not (_is_pos_int(self.m) and 2 <= self.m <= 16):
                p.add("m", self.m, "an integer from 2 to 16")
            elif not (_is_pos_int(self.n) and self.n < self.m):
                p.add("n", self.n, f"an integer from 1 to {self.m - 1}")
            elif self.lanes != self.n:
                p.add("lanes", self.lanes, f"{self.n} (an N:M PE has N multipliers)")
        if self.kind in ("nm", "unstructured", "block"):
            if not (_is_pos_int(self.index_bits) and self.index_bits <= 32):
                p.add("index_bits", self.index_bits, "an integer from 1 to 32")
        if self.kind == "block":
            for name in ("block_rows", "block_cols"):
                if not _is_pos_int(getattr(self, name)):
                    p.add(name, getattr(self, name), "an integer >= 1")
        if not p and self.kind in ("unstructured", "block") and self.window_words > MAX_WINDOW_WORDS:
            allowed = ("2**index_bits <= " if self.kind == "unstructured"
                       else "2**index_bits * block_cols <= ")
            p.add("index_bits", self.index_bits,
                  f"an activation window of at most {MAX_WINDOW_WORDS} words ({allowed}"
                  f"{MAX_WINDOW_WORDS}) for the PE model and RTL")
        p.raise_if_any(f"invalid PE configuration ({self.kind})")

    @classmethod
    def from_arch(cls, arch) -> "PEConfig":
        """Build the PE configuration of an :class:`~accelsim.spec.ArchSpec`."""
        s, pr = arch.sparsity, arch.precision
        return cls(kind=s.kind, weight_bits=pr.weight_bits, activation_bits=pr.activation_bits,
                   accumulator_bits=pr.accumulator_bits, lanes=s.lanes, n=s.n, m=s.m,
                   index_bits=s.index_bits, block_rows=s.block_rows, block_cols=s.block_cols)

    @property
    def acts_per_beat(self) -> int:
        """Activations carried by a beat (dense: lanes, nm: M, window modes: 0)."""
        return {"dense": self.lanes, "nm": self.m or 0}.get(self.kind, 0)

    @property
    def indices_per_beat(self) -> int:
        """Indices carried by a beat (nm: N, unstructured: lanes, block: 1, dense: 0)."""
        return {"nm": self.lanes, "unstructured": self.lanes, "block": 1}.get(self.kind, 0)

    @property
    def beats_per_block(self) -> int:
        """Beats per nonzero block, ``ceil(block_cols / lanes)`` (block mode)."""
        return _ceil_div(self.block_cols, self.lanes) if self.kind == "block" else 0

    @property
    def sub_bits(self) -> int:
        """Width of the block segment number ``sub`` (at least 1)."""
        return max(1, math.ceil(math.log2(self.beats_per_block))) if self.kind == "block" else 0

    @property
    def window_words(self) -> int:
        """Activation window depth: ``2**index_bits`` (unstructured), ``2**index_bits * C`` (block)."""
        if self.kind == "unstructured":
            return 1 << self.index_bits
        if self.kind == "block":
            return (1 << self.index_bits) * self.block_cols
        return 0

    @property
    def window_addr_bits(self) -> int:
        """Address width of the activation window (at least 1)."""
        return max(1, math.ceil(math.log2(self.window_words))) if self.window_words else 0

    @property
    def product_bits(self) -> int:
        """Width of one exact signed product."""
        return self.weight_bits + self.activation_bits


def beat_sum(cfg: PEConfig, weights, indices=(), acts=(), sub: int = 0, window=None) -> int:
    """Exact sum of the lane products of one beat (no wrap).

    ``window`` is the activation window (sequence) for unstructured/block beats.
    """
    total = 0
    if cfg.kind == "dense":
        for w, a in zip(weights, acts):
            total += w * a
    elif cfg.kind == "nm":
        m = len(acts)
        for w, i in zip(weights, indices):
            total += w * (acts[i] if i < m else 0)
    elif cfg.kind == "unstructured":
        for w, i in zip(weights, indices):
            total += w * window[i]
    else:
        c = cfg.block_cols
        base = indices[0] * c
        for j, w in enumerate(weights):
            off = sub * cfg.lanes + j
            if off < c:
                total += w * window[base + off]
    return total


# --------------------------------------------------------------------------- the PE
@dataclass(frozen=True)
class Beat:
    """One input beat. Field use per mode: see the module docstring."""

    weights: tuple[int, ...]
    indices: tuple[int, ...] = ()
    acts: tuple[int, ...] = ()
    sub: int = 0
    last: bool = False


@dataclass(frozen=True)
class PEInputs:
    """Inputs of the PE during one cycle.

    ``beat`` is presented when ``in_valid``; ``act_write = (addr, value)`` writes
    the activation window at the clock edge ending the cycle.
    """

    in_valid: bool = False
    beat: Beat | None = None
    out_ready: bool = True
    act_write: tuple[int, int] | None = None


@dataclass(frozen=True)
class PEOutputs:
    """Outputs of the PE during one cycle (``out_data`` meaningful when ``out_valid``)."""

    in_ready: bool
    out_valid: bool
    out_data: int


@dataclass
class _PEState:
    p_valid: bool = False
    p_last: bool = False
    p_sum: int = 0
    clear: bool = True
    acc: int = 0
    out_valid: bool = False
    out_data: int = 0
    window: list = field(default_factory=list)


class PEModel:
    """Cycle-by-cycle model of one PE; call :meth:`step` once per clock cycle.

    Latency: ``pe_cycles = max(beats, 1) + PIPELINE_DEPTH`` cycles from an
    output's first accepted beat to its result being valid, inclusive (see the
    module docstring for bubbles, stalls and back-to-back outputs).
    """

    def __init__(self, config: PEConfig):
        self.config = config
        self._s = _PEState(window=[0] * config.window_words)

    def reset(self) -> None:
        """Synchronous reset: pipeline registers to their initial values (the window keeps its data)."""
        window = self._s.window
        self._s = _PEState(window=window)

    @property
    def window(self) -> tuple[int, ...]:
        """Current activation window contents."""
        return tuple(self._s.window)

    def step(self, inputs: PEInputs) -> PEOutputs:
        """Return this cycle's outputs for ``inputs``, then advance one clock edge."""
        cfg, s = self.config, self._s
        stall = s.out_valid and not inputs.out_ready
        out = PEOutputs(in_ready=not stall, out_valid=s.out_valid, out_data=s.out_data)
        if not stall:
            # stage 2: accumulate the registered products
            if s.p_valid:
                acc_next = wrap_signed((0 if s.clear else s.acc) + s.p_sum, cfg.accumulator_bits)
                s.acc = acc_next
                s.clear = s.p_last
                if s.p_last:
                    s.out_data = acc_next
            s.out_valid = s.p_valid and s.p_last
            # stage 1: register the products of the accepted beat
            if inputs.in_valid:
                b = inputs.beat
                s.p_sum = beat_sum(cfg, b.weights, b.indices, b.acts, b.sub, s.window)
                s.p_last = bool(b.last)
            s.p_valid = bool(inputs.in_valid)
        if inputs.act_write is not None:
            addr, value = inputs.act_write
            s.window[addr] = wrap_signed(value, cfg.activation_bits)
        return out


# --------------------------------------------------------------------------- the array
def array_latency_cycles(rows: int, cols: int) -> int:
    """Cycles from an input vector's acceptance to its output being valid, inclusive: ``rows + cols``."""
    return rows + cols


def array_fold_cycles(rows: int, cols: int, vectors: int) -> int:
    """Cycles of one fold without bubbles or stalls: ``rows`` (load) ``+ vectors + rows + cols - 1``."""
    return rows + vectors + rows + cols - 1


@dataclass(frozen=True)
class ArrayInputs:
    """Inputs of the array during one cycle.

    ``weight_write = (row, cells)`` writes row ``row`` of the stationary weights;
    ``cells[c] = (weights, indices)`` for column ``c`` (indices only for N:M).
    ``acts[r]`` is the activation payload of array row ``r`` (``lanes`` words,
    or ``M`` for N:M), presented when ``a_valid``.
    """

    a_valid: bool = False
    acts: tuple[tuple[int, ...], ...] | None = None
    o_ready: bool = True
    weight_write: tuple[int, tuple] | None = None


@dataclass(frozen=True)
class ArrayOutputs:
    """Outputs of the array during one cycle (``o_data`` meaningful when ``o_valid``)."""

    a_ready: bool
    o_valid: bool
    o_data: tuple[int, ...]


class WSArrayModel:
    """Weight-stationary ``rows x cols`` systolic array built from the PE's beat arithmetic.

    Cell ``(r, c)`` holds one beat's worth of stationary weights (``lanes``
    weights, plus N indices for N:M) covering reduction chunk ``r`` of output
    column ``c``. An input vector carries one activation payload per array row;
    row ``r`` is delayed by ``r`` skew registers, activations move one cell
    right per cycle and partial sums one cell down per cycle; cell ``(r, c)``
    registers ``psum_in + beat_sum`` (wrapped to ``accumulator_bits``; row 0
    starts from 0). Column ``c`` is then delayed by ``cols - 1 - c`` deskew
    registers so an output vector leaves aligned.

    Latency: an input vector accepted in cycle ``t`` gives its output vector in
    cycle ``t + rows + cols - 1``, i.e. ``array_latency_cycles = rows + cols``
    cycles inclusive. One vector per cycle is accepted. A fold (load ``rows``
    weight rows, one per cycle, then stream ``V`` vectors) lasts
    ``array_fold_cycles = 2*rows + cols + V - 1`` cycles. Back-pressure: every
    register holds while ``o_valid and not o_ready``; ``a_ready`` is the
    negation. Weight writes are not stalled.
    """

    def __init__(self, config: PEConfig, rows: int, cols: int):
        problems = ProblemCollector()
        if config.kind not in ARRAY_KINDS:
            problems.add("sparsity.kind", config.kind, "one of " + ", ".join(ARRAY_KINDS)
                         + " for the weight-stationary array (unstructured PEs have a PE top only)")
        for name, v in (("rows", rows), ("cols", cols)):
            if not (_is_pos_int(v) and v <= 256):
                problems.add(name, v, "an integer from 1 to 256")
        problems.raise_if_any("invalid array model")
        self.config, self.rows, self.cols = config, rows, cols
        self.cell_config = config if config.kind != "block" else PEConfig(
            kind="dense", weight_bits=config.weight_bits, activation_bits=config.activation_bits,
            accumulator_bits=config.accumulator_bits, lanes=config.lanes)
        self.reset()
        self._weights = [[((0,) * config.lanes, (0,) * self.cell_config.indices_per_beat)
                          for _ in range(cols)] for _ in range(rows)]

    def reset(self) -> None:
        """Reset pipeline registers (stationary weights are kept)."""
        rows, cols, ap = self.rows, self.cols, self.cell_config.acts_per_beat
        zero_act = (0,) * ap
        self._skew = [[zero_act] * r for r in range(rows)]          # skew[r][0] is newest
        self._act = [[zero_act] * cols for _ in range(rows)]         # a register of cell (r, c)
        self._psum = [[0] * cols for _ in range(rows)]
        self._deskew = [[0] * (cols - 1 - c) for c in range(cols)]
        self._valid = [False] * (rows + cols - 1)                    # valid[0] is newest

    def _bottom_output(self, c: int) -> int:
        d = self._deskew[c]
        return d[-1] if d else self._psum[self.rows - 1][c]

    def step(self, inputs: ArrayInputs) -> ArrayOutputs:
        """Return this cycle's outputs for ``inputs``, then advance one clock edge."""
        rows, cols, cfg = self.rows, self.cols, self.cell_config
        o_valid = self._valid[-1]
        stall = o_valid and not inputs.o_ready
        out = ArrayOutputs(a_ready=not stall, o_valid=o_valid,
                           o_data=tuple(self._bottom_output(c) for c in range(cols)))
        if not stall:
            acts_in = inputs.acts if inputs.acts is not None else ((0,) * cfg.acts_per_beat,) * rows
            # activation reaching cell (r, 0) this cycle: after r skew registers
            left = [acts_in[0] if r == 0 else self._skew[r][-1] for r in range(rows)]
            new_psum = [[0] * cols for _ in range(rows)]
            new_act = [[None] * cols for _ in range(rows)]
            for r in range(rows):
                for c in range(cols):
                    a = left[r] if c == 0 else self._act[r][c - 1]
                    above = 0 if r == 0 else self._psum[r - 1][c]
                    w, idx = self._weights[r][c]
                    new_psum[r][c] = wrap_signed(above + beat_sum(cfg, w, idx, a),
                                                 cfg.accumulator_bits)
                    new_act[r][c] = a
            for c in range(cols):
                d = self._deskew[c]
                if d:
                    self._deskew[c] = [self._psum[rows - 1][c]] + d[:-1]
            for r in range(1, rows):
                self._skew[r] = [acts_in[r]] + self._skew[r][:-1]
            self._psum, self._act = new_psum, new_act
            self._valid = [bool(inputs.a_valid)] + self._valid[:-1]
        if inputs.weight_write is not None:
            row, cells = inputs.weight_write
            self._weights[row] = [(tuple(w), tuple(i)) for w, i in cells]
        return out
