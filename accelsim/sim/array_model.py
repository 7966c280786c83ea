"""Bit-true, cycle-by-cycle models of the PE array tops for every dataflow (WS, OS, IS).

The RTL arrays (package ``rtl.arrays``) are verified against these models; the
models never import amaranth. :func:`array_support` is the one table of which
sparse mode has an array top for which dataflow (and why not, where not).

Two array structures
--------------------
*Systolic* (``SystolicArrayModel``; WS and IS): a stationary operand is loaded
one array row per cycle, a streamed operand enters each array row (row ``r``
skewed by ``r`` registers) and moves one cell right per cycle, partial sums move
one cell down per cycle and leave through ``cols - 1 - c`` deskew registers.
Latency ``rows + cols`` (input accepted in cycle ``t``, output vector valid in
cycle ``t + rows + cols - 1``); a fold of ``V`` streamed vectors after ``rows``
load cycles lasts ``2*rows + cols + V - 1`` cycles.

=========== ============================== ===================================
dataflow    stationary in cell ``(r, c)``  streamed into array row ``r``
=========== ============================== ===================================
WS          weights (+ N:M indices)        activation payload of each pixel
WS block    dense weights of ``lanes``     activations fetched at the row's
            positions of a stored block    address ``a_addr[r] = bidx*C + boff``
            column + that block column's   (the array reports it; block columns
            index ``bidx`` and offset      no column of the group stores are
            ``boff``                       never mapped)
IS          activation payload of pixel    weight payload (+ N:M indices) of
            ``c``                          each output channel
=========== ============================== ===================================

*Output stationary* (``OSArrayModel``): cell ``(r, c)`` accumulates output
(pixel ``r``, channel ``c``). All cells advance in lockstep on one beat stream:
a beat carries one payload per array row (dense: ``lanes`` activations, N:M:
the group's ``M``) and one PE beat per column (weights, indices, ``sub``).
Unstructured and block cells read their activations from the activation
*window* of their array row (``window_words`` words per row, written one word
per row per cycle: the activation-supply rule, one activation per array row per
cycle); each column streams only its own nonzeros (unstructured) or nonzero
blocks (block), a column with fewer beats pads with zero-weight beats, so a tile
lasts as long as its most loaded column. A beat is accumulated in the cycle it
is accepted (one registered stage, wrap to ``accumulator_bits``); on a ``last``
beat the ``rows x cols`` results move to result registers and drain one row per
cycle (row 0 first) through ``o_valid/o_ready/o_data``, while the next tile
accumulates. A tile of ``T`` beats accepted from cycle ``t0`` gives row ``r`` in
cycle ``t0 + T + r``: latency ``T + rows`` cycles (first beat to last row,
inclusive). A ``last`` beat is refused (``in_ready`` low) while the previous
tile still has more than the row being taken left to drain.
"""

from __future__ import annotations

from dataclasses import dataclass

from accelsim.errors import ProblemCollector
from accelsim.sim.pe_model import PEConfig, beat_sum, wrap_signed

__all__ = ["ARRAY_DATAFLOWS", "array_support", "check_array", "array_cell_config",
           "SystolicInputs", "SystolicOutputs", "SystolicArrayModel",
           "OSInputs", "OSOutputs", "OSArrayModel", "make_array_model",
           "os_tile_cycles", "systolic_fold_cycles", "block_slot_address", "block_offset_bits"]

ARRAY_DATAFLOWS = ("ws", "os", "is")

_WS_UNSTRUCTURED = (
    "a weight-stationary array of zero-skipping cells needs an activation crossbar: each cell holds "
    "a different compacted nonzero (value, index), so the cells of one array row each need a "
    "different activation of every streamed pixel, while a row receives one activation per cycle "
    "(the activation-supply rule); the RTL does not build that crossbar. Use the "
    "output-stationary array (dataflow: os), or run the layer on the dense WS array")


def array_support(kind: str, dataflow: str) -> str | None:
    """``None`` if ``kind`` has an array top for ``dataflow``, else the reason it has none."""
    if dataflow not in ARRAY_DATAFLOWS:
        return f"unknown dataflow {dataflow!r} (allowed: {', '.join(ARRAY_DATAFLOWS)})"
    if kind == "unstructured" and dataflow == "ws":
        return _WS_UNSTRUCTURED
    return None


def array_cell_config(cfg: PEConfig, dataflow: str) -> PEConfig:
    """Arithmetic of one array cell: dense cells for block WS and block/unstructured IS."""
    dense_cells = (dataflow == "ws" and cfg.kind == "block") or \
        (dataflow == "is" and cfg.kind in ("block", "unstructured"))
    if not dense_cells:
        return cfg
    return PEConfig(kind="dense", weight_bits=cfg.weight_bits, activation_bits=cfg.activation_bits,
                    accumulator_bits=cfg.accumulator_bits, lanes=cfg.lanes)


def check_array(cfg: PEConfig, dataflow: str, rows: int, cols: int) -> None:
    """Raise :class:`~accelsim.errors.AccelsimInputError` for an array that cannot be built."""
    p = ProblemCollector()
    reason = array_support(cfg.kind, dataflow)
    if reason is not None:
        p.add("dataflow", dataflow, f"not {dataflow!r} for a {cfg.kind} PE: {reason}")
    for name, v in (("rows", rows), ("cols", cols)):
        if not (isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 256):
            p.add(name, v, "an integer from 1 to 256")
    if cfg.kind == "block" and dataflow == "ws" and cfg.block_cols % cfg.lanes:
        p.add("lanes", cfg.lanes, f"a divisor of the block width {cfg.block_cols} for the block "
              "WS array (a cell row covers lanes positions of one block column)")
    p.raise_if_any(f"invalid {dataflow.upper()} array for a {cfg.kind} PE")


def block_slot_address(cfg: PEConfig, bidx: int, boff: int) -> int:
    """Address of the first activation of a block WS row holding block column ``bidx`` from offset ``boff``."""
    return bidx * cfg.block_cols + boff


def block_offset_bits(cfg: PEConfig) -> int:
    """Width of a block WS row's in-block offset register (at least 1)."""
    return max(1, (cfg.block_cols - 1).bit_length())


def systolic_fold_cycles(rows: int, cols: int, vectors: int) -> int:
    """``2*rows + cols + vectors - 1``: load, stream and drain one WS/IS fold."""
    return 2 * rows + cols + vectors - 1


def os_tile_cycles(rows: int, beats: int) -> int:
    """``max(beats, 1) + rows``: first beat to the last result row, inclusive (no stalls)."""
    return max(beats, 1) + rows


# --------------------------------------------------------------------------- systolic (WS, IS)
@dataclass(frozen=True)
class SystolicInputs:
    """Inputs of a WS/IS array during one cycle.

    ``load = (row, cells, (bidx, boff))`` writes stationary row ``row``:
    ``cells[c]`` is ``(weights, indices)`` (WS) or an activation payload (IS);
    ``bidx, boff`` are the row's block-column index and in-block offset (block
    WS, else ``(0, 0)``). ``stream[r]`` is array row
    ``r``'s payload: activations (WS) or ``(weights, indices)`` (IS).
    """

    valid: bool = False
    stream: tuple | None = None
    o_ready: bool = True
    load: tuple | None = None


@dataclass(frozen=True)
class SystolicOutputs:
    """Outputs of a WS/IS array during one cycle; ``a_addr`` only for block WS."""

    ready: bool
    o_valid: bool
    o_data: tuple
    a_addr: tuple = ()


class SystolicArrayModel:
    """``rows x cols`` systolic array with a stationary operand (WS: weights, IS: activations).

    See the module docstring for the structure and :func:`systolic_fold_cycles`
    for the timing. Block WS arrays also hold one block-column index per row and
    report the window address each row's activations come from
    (:func:`block_slot_address`), constant while the row is stationary.
    """

    def __init__(self, config: PEConfig, rows: int, cols: int, dataflow: str = "ws"):
        if dataflow not in ("ws", "is"):
            raise ValueError(f"SystolicArrayModel models WS and IS arrays, not {dataflow!r} "
                             "(OSArrayModel models OS)")
        check_array(config, dataflow, rows, cols)
        self.config, self.rows, self.cols, self.dataflow = config, rows, cols, dataflow
        self.cell_config = cell = array_cell_config(config, dataflow)
        self.block = dataflow == "ws" and config.kind == "block"
        if dataflow == "ws":
            zero = ((0,) * cell.lanes, (0,) * cell.indices_per_beat)
            self._zero_stream = (0,) * cell.acts_per_beat
        else:
            zero = (0,) * cell.acts_per_beat
            self._zero_stream = ((0,) * cell.lanes, (0,) * cell.indices_per_beat)
        self._stationary = [[zero] * cols for _ in range(rows)]
        self._bidx = [(0, 0)] * rows
        self.reset()

    def reset(self) -> None:
        """Reset the pipeline registers (stationary operands and block indices are kept)."""
        rows, cols, z = self.rows, self.cols, self._zero_stream
        self._skew = [[z] * r for r in range(rows)]
        self._flow = [[z] * cols for _ in range(rows)]
        self._psum = [[0] * cols for _ in range(rows)]
        self._deskew = [[0] * (cols - 1 - c) for c in range(cols)]
        self._valid = [False] * (rows + cols - 1)

    def a_addr(self) -> tuple:
        """Block WS: window address of each row's first activation (``()`` otherwise)."""
        if not self.block:
            return ()
        return tuple(block_slot_address(self.config, b, o) for b, o in self._bidx)

    def _bottom(self, c: int) -> int:
        d = self._deskew[c]
        return d[-1] if d else self._psum[self.rows - 1][c]

    def step(self, inputs: SystolicInputs) -> SystolicOutputs:
        """Return this cycle's outputs for ``inputs``, then advance one clock edge."""
        rows, cols, cell = self.rows, self.cols, self.cell_config
        o_valid = self._valid[-1]
        stall = o_valid and not inputs.o_ready
        out = SystolicOutputs(not stall, o_valid, tuple(self._bottom(c) for c in range(cols)),
                              self.a_addr())
        if not stall:
            stream = inputs.stream if inputs.stream is not None else (self._zero_stream,) * rows
            left = [stream[0] if r == 0 else self._skew[r][-1] for r in range(rows)]
            ws = self.dataflow == "ws"
            new_psum = [[0] * cols for _ in range(rows)]
            new_flow = [[None] * cols for _ in range(rows)]
            for r in range(rows):
                above_row = self._psum[r - 1] if r else None
                for c in range(cols):
                    x = left[r] if c == 0 else self._flow[r][c - 1]
                    s = self._stationary[r][c]
                    if ws:
                        part = beat_sum(cell, s[0], s[1], x)
                    else:
                        part = beat_sum(cell, x[0], x[1], s)
                    above = above_row[c] if above_row is not None else 0
                    new_psum[r][c] = wrap_signed(above + part, cell.accumulator_bits)
                    new_flow[r][c] = x
            for c in range(cols):
                d = self._deskew[c]
                if d:
                    self._deskew[c] = [self._psum[rows - 1][c]] + d[:-1]
            for r in range(1, rows):
                self._skew[r] = [stream[r]] + self._skew[r][:-1]
            self._psum, self._flow = new_psum, new_flow
            self._valid = [bool(inputs.valid)] + self._valid[:-1]
        if inputs.load is not None:
            row, cells, (bidx, boff) = inputs.load
            if self.dataflow == "ws":
                self._stationary[row] = [(tuple(w), tuple(i)) for w, i in cells]
            else:
                self._stationary[row] = [tuple(a) for a in cells]
            self._bidx[row] = (int(bidx), int(boff))
        return out


# --------------------------------------------------------------------------- output stationary
@dataclass(frozen=True)
class OSInputs:
    """Inputs of an OS array during one cycle.

    ``last`` is the raw ``in_last`` port value (``in_ready`` depends on it even
    without ``valid``). ``acts[r]``: array row ``r``'s payload (dense, N:M);
    ``columns[c] = (weights, indices, sub)``: column ``c``'s PE beat;
    ``act_write = (addr, values)`` writes word ``addr`` of every row's window
    (``values[r]`` into row ``r``) at the clock edge ending the cycle.
    """

    valid: bool = False
    last: bool = False
    acts: tuple | None = None
    columns: tuple | None = None
    o_ready: bool = True
    act_write: tuple | None = None


@dataclass(frozen=True)
class OSOutputs:
    """Outputs of an OS array during one cycle (``o_data`` meaningful when ``o_valid``)."""

    in_ready: bool
    o_valid: bool
    o_data: tuple


class OSArrayModel:
    """Output-stationary ``rows x cols`` array: lockstep beats, per-row windows, row-by-row drain."""

    def __init__(self, config: PEConfig, rows: int, cols: int):
        check_array(config, "os", rows, cols)
        self.config, self.rows, self.cols = config, rows, cols
        self.cell_config = config
        self._windows = [[0] * config.window_words for _ in range(rows)]
        self.reset()

    def reset(self) -> None:
        """Reset accumulators and the drain (windows keep their data, like the RTL memories)."""
        self._acc = [[0] * self.cols for _ in range(self.rows)]
        self._clear = True
        self._res = [[0] * self.cols for _ in range(self.rows)]
        self._left = 0

    @property
    def windows(self) -> tuple:
        """Current window contents, one tuple per array row."""
        return tuple(tuple(w) for w in self._windows)

    def step(self, inputs: OSInputs) -> OSOutputs:
        """Return this cycle's outputs for ``inputs``, then advance one clock edge."""
        cfg, rows, cols = self.config, self.rows, self.cols
        o_valid = self._left > 0
        take = o_valid and inputs.o_ready
        busy = self._left > 1 or (self._left == 1 and not inputs.o_ready)
        in_ready = not (inputs.last and busy)
        out = OSOutputs(in_ready, o_valid, tuple(self._res[0]))
        if take:
            self._res = self._res[1:] + [[0] * cols]
            self._left -= 1
        if inputs.valid and in_ready:
            bits = cfg.accumulator_bits
            new = []
            for r in range(rows):
                acts = inputs.acts[r] if inputs.acts else ()
                window = self._windows[r]
                row = []
                for c in range(cols):
                    w, idx, sub = inputs.columns[c]
                    base = 0 if self._clear else self._acc[r][c]
                    row.append(wrap_signed(base + beat_sum(cfg, w, idx, acts, sub, window), bits))
                new.append(row)
            self._acc = new
            self._clear = bool(inputs.last)
            if inputs.last:
                self._res = [list(row) for row in new]
                self._left = rows
        if inputs.act_write is not None:
            addr, values = inputs.act_write
            for r in range(rows):
                self._windows[r][addr] = wrap_signed(values[r], cfg.activation_bits)
        return out


def make_array_model(config: PEConfig, dataflow: str, rows: int, cols: int):
    """The Python model of the ``dataflow`` array top for ``config`` (one entry point for all)."""
    check_array(config, dataflow, rows, cols)
    if dataflow == "os":
        return OSArrayModel(config, rows, cols)
    return SystolicArrayModel(config, rows, cols, dataflow)
