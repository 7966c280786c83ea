"""Fast reference of the systolic (WS and IS) arrays: a Numba driver + model writing packed port words.

:class:`accelsim.sim.array_model.SystolicArrayModel` (pure Python, one
object per register) stays the specification; this module computes the same
registers with flat integer arrays, so a whole layer (millions of cycles) can
be checked against the RTL. ``tests/rtl/test_rtl_fast_reference.py`` (WS) and
``tests/rtl/test_rtl_fast_is.py`` (IS) replay the inputs this module drives
through the Python model and require the same outputs in every cycle.

One kernel serves both dataflows (:func:`systolic_word_trace`): per fold the
driver writes the ``rows`` stationary rows (WS weights + N:M indices, IS
activations), one per cycle, streams the fold's vectors (WS activations, IS
one output channel's weights + indices), holding a vector until ``*_ready``,
and waits until the fold's last output vector is taken. It inserts a bubble
before a vector with probability ``bubble`` and drives ``o_ready`` low with
probability ``stall`` (per fold, cycled like
:data:`~accelsim.rtl.trace.DEFAULT_PATTERNS`). Flat out (both 0) a fold of
``V`` vectors lasts :func:`~accelsim.sim.array_model.systolic_fold_cycles`
``= 2*rows + cols + V - 1`` cycles; :func:`fold_batch_trace` runs WS folds
that way by default. Inputs that are not in use carry seeded random garbage (the array
computes on streamed garbage; a correct design never lets it reach a valid
output).

Port data are packed as in the RTL (element ``i`` at bits
``[i*width, (i+1)*width)``) into 32-bit words, the layout of the Verilator
harness (:func:`accelsim.rtl.verilator.harness_source`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from accelsim.errors import AccelsimInputError
from accelsim.sim.pe_model import PEConfig, WSArrayModel

__all__ = ["ArrayFoldBatch", "WordTrace", "fold_batch_trace", "systolic_word_trace",
           "systolic_cycle_estimate", "pack_words", "unpack_words", "word_count"]


def word_count(bits: int) -> int:
    """32-bit words holding ``bits`` bits (at least one)."""
    return max(1, (bits + 31) // 32)


@numba.njit(cache=True)
def _pack_kernel(lanes, bits, out):
    mask = (np.uint64(1) << np.uint64(bits)) - np.uint64(1) if bits < 64 else ~np.uint64(0)
    n_cycles, n_lanes = lanes.shape
    for c in range(n_cycles):
        for i in range(n_lanes):
            v = np.uint64(lanes[c, i]) & mask
            off = i * bits
            done = 0
            while done < bits:
                w = (off + done) >> 5
                s = (off + done) & 31
                take = min(32 - s, bits - done)
                chunk = (v >> np.uint64(done)) & ((np.uint64(1) << np.uint64(take)) - np.uint64(1))
                out[c, w] |= np.uint32(chunk << np.uint64(s))
                done += take


@numba.njit(cache=True)
def _unpack_kernel(words, bits, count, out):
    n_cycles = words.shape[0]
    for c in range(n_cycles):
        for i in range(count):
            off = i * bits
            v = np.uint64(0)
            done = 0
            while done < bits:
                w = (off + done) >> 5
                s = (off + done) & 31
                take = min(32 - s, bits - done)
                chunk = (np.uint64(words[c, w]) >> np.uint64(s)) & \
                    ((np.uint64(1) << np.uint64(take)) - np.uint64(1))
                v |= chunk << np.uint64(done)
                done += take
            if bits < 64 and (v >> np.uint64(bits - 1)) & np.uint64(1):
                v |= ~((np.uint64(1) << np.uint64(bits)) - np.uint64(1))
            out[c, i] = np.int64(v)


def pack_words(lanes: np.ndarray, bits: int, total_bits: int | None = None) -> np.ndarray:
    """Pack ``(cycles, L)`` signed lanes of ``bits`` each into ``(cycles, words)`` uint32 words.

    ``total_bits`` is the port width (default ``L * bits``).
    """
    lanes = np.ascontiguousarray(lanes, dtype=np.int64)
    if lanes.ndim == 1:
        lanes = lanes[:, None]
    total = lanes.shape[1] * bits if total_bits is None else total_bits
    out = np.zeros((lanes.shape[0], word_count(total)), dtype=np.uint32)
    _pack_kernel(lanes, int(bits), out)
    return out


def unpack_words(words: np.ndarray, bits: int, count: int) -> np.ndarray:
    """Inverse of :func:`pack_words`: ``(cycles, count)`` signed int64 lanes."""
    out = np.empty((words.shape[0], count), dtype=np.int64)
    _unpack_kernel(np.ascontiguousarray(words, dtype=np.uint32), int(bits), int(count), out)
    return out


@dataclass(frozen=True)
class ArrayFoldBatch:
    """Folds to run one after another.

    Attributes
    ----------
    weights : ndarray (F, rows, cols, lanes) int64
        Stationary weights of each cell (N:M: the N stored values).
    indices : ndarray (F, rows, cols, N) int64
        N:M in-group indices (``N = 0`` for dense cells).
    acts : ndarray (KC, V, rows, P) int64
        Input vectors of each reduction chunk (``P`` = M for N:M, else lanes).
    fold_chunk : ndarray (F,) int64
        Reduction chunk of each fold (its vectors are ``acts[fold_chunk[f]]``).
    bidx, boff : ndarray (F, rows) int64 or None
        Block WS arrays: each row's block-column index and in-block offset.
    """

    weights: np.ndarray
    indices: np.ndarray
    acts: np.ndarray
    fold_chunk: np.ndarray
    bidx: np.ndarray | None = None
    boff: np.ndarray | None = None


@dataclass(frozen=True)
class WordTrace:
    """A run of folds: input and expected output port words per cycle.

    ``inputs[name]`` / ``expected[name]`` are ``(cycles, words)`` uint32 arrays;
    ``valid_cycles`` are the cycles whose ``o_data`` is compared (expected
    ``o_valid``), ``taken_cycles`` those where an output vector is taken
    (``o_valid`` and ``o_ready``; the valid cycles when flat out),
    ``out_vectors`` the model's output vectors taken, in order (signed,
    ``accumulator_bits``) and ``fold_cycles`` the cycles of each fold.
    """

    inputs: dict
    expected: dict
    widths: dict
    valid_cycles: np.ndarray
    out_vectors: np.ndarray
    fold_cycles: np.ndarray
    taken_cycles: np.ndarray

    @property
    def cycles(self) -> int:
        """Cycles in the trace."""
        return int(self.fold_cycles.sum())


@numba.njit(cache=True)
def _next(state):
    """xorshift64* step on ``state[0]``; returns 64 random bits."""
    x = state[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[0] = x
    return x * np.uint64(0x2545F4914F6CDD1D)


@numba.njit(cache=True)
def _bits(state, bits):
    """``bits`` random bits as an unsigned int64."""
    return np.int64(_next(state) >> np.uint64(64 - bits))


@numba.njit(cache=True)
def _signed(state, bits):
    """A random ``bits``-bit two's-complement value."""
    v = _bits(state, bits)
    return v - (np.int64(1) << bits) if v >> (bits - 1) else v


@numba.njit(cache=True)
def _uniform(state):
    """A random float in [0, 1)."""
    return np.float64(_next(state) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@numba.njit(cache=True)
def _seeded_state(seed):
    """xorshift64* state for ``seed`` (never zero)."""
    rs = np.empty(1, dtype=np.uint64)
    rs[0] = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(0x2545F4914F6CDD1D)
    for _ in range(4):
        _next(rs)
    return rs


@numba.njit(cache=True)
def _garbage(state, g):
    """Random garbage of ``g`` bits: signed for ``g > 0``, unsigned ``-g`` bits for ``g < 0``."""
    return _signed(state, g) if g > 0 else _bits(state, -g)


@numba.njit(cache=True)
def _systolic_kernel(is_flow, nm, m_group, acc_bits, lanes, row_bits,
                     st_sets, fold_st, flow, fold_v0, fold_v1, st_garbage, fl_garbage,
                     block, block_cols, bidx_bits, boff_bits, bidx, boff, bubble, stall, seed,
                     ld_we, ld_row, ld_data, ld_bidx, ld_boff, s_valid, s_data, o_ready,
                     e_ready, e_valid, e_data, a_addr, fold_end):
    # One driver + model of the WS (is_flow = 0) and IS (is_flow = 1) systolic array.
    # Stationary payload of a cell: WS [lanes weights | N indices], IS [activations];
    # streamed payload of a row: WS [activations], IS [lanes weights | N indices].
    # Fold f loads st_sets[fold_st[f]] (one row per cycle), then streams the vectors
    # flow[fold_v0[f]:fold_v1[f]] (a bubble before a vector with probability bubble[f % P]),
    # o_ready is low with probability stall[f % P]; the fold ends in the cycle its last output
    # vector is taken (fold_end[f] = cycles so far). Unused inputs carry seeded garbage
    # (st_garbage / fl_garbage: bits per payload element, > 0 signed, < 0 unsigned). Block WS
    # (block = 1) rows also hold bidx/boff and report a_addr. Returns the cycles written, or -1
    # if the per-cycle arrays (all preallocated by the caller) are too short.
    rs = _seeded_state(seed)
    cap = ld_we.shape[0]
    n_folds = fold_st.shape[0]
    rows, cols, n_st = st_sets.shape[1], st_sets.shape[2], st_sets.shape[3]
    n_fl = flow.shape[2]
    n_pat = bubble.shape[0]
    shift = 64 - acc_bits
    st = np.zeros((rows, cols, n_st), dtype=np.int64)
    fl = np.zeros((rows, cols, n_fl), dtype=np.int64)
    new_fl = np.zeros((rows, cols, n_fl), dtype=np.int64)
    psum = np.zeros((rows, cols), dtype=np.int64)
    new_psum = np.zeros((rows, cols), dtype=np.int64)
    skew = np.zeros((rows, max(rows - 1, 1), n_fl), dtype=np.int64)   # skew[r, 0] newest
    deskew = np.zeros((cols, max(cols - 1, 1)), dtype=np.int64)      # deskew[c, 0] newest
    depth = rows + cols - 1
    valid = np.zeros(depth, dtype=np.int64)                          # valid[0] newest
    x_in = np.zeros((rows, n_fl), dtype=np.int64)
    left = np.zeros((rows, n_fl), dtype=np.int64)
    b_reg = np.zeros((rows, 2), dtype=np.int64)
    cyc = 0
    for f in range(n_folds):
        pat = f % n_pat
        s_idx = fold_st[f]
        v, v_end = fold_v0[f], fold_v1[f]
        want = v_end - v
        got = 0
        t = 0
        presenting = False
        while got < want:
            if cyc >= cap:
                return -1
            # ---------------------------------------------------------- drive this cycle's inputs
            # (an input not in use carries garbage)
            ready = True if stall[pat] == 0.0 else _uniform(rs) >= stall[pat]
            o_ready[cyc] = 1 if ready else 0
            loading = t < rows
            ld_we[cyc] = 1 if loading else 0
            if loading:
                ld_row[cyc] = t
                for c in range(cols):
                    for p in range(n_st):
                        ld_data[cyc, c * n_st + p] = st_sets[s_idx, t, c, p]
                if block:
                    ld_bidx[cyc] = bidx[f, t]
                    ld_boff[cyc] = boff[f, t]
            else:
                ld_row[cyc] = _bits(rs, row_bits)
                for c in range(cols):
                    for p in range(n_st):
                        ld_data[cyc, c * n_st + p] = _garbage(rs, st_garbage[p])
                if block:
                    ld_bidx[cyc] = _bits(rs, bidx_bits)
                    ld_boff[cyc] = _bits(rs, boff_bits)
            streaming = not loading and v < v_end and \
                (presenting or bubble[pat] == 0.0 or _uniform(rs) >= bubble[pat])
            if streaming:
                presenting = True
                for r in range(rows):
                    for p in range(n_fl):
                        x_in[r, p] = flow[v, r, p]
            else:
                for r in range(rows):
                    for p in range(n_fl):
                        x_in[r, p] = _garbage(rs, fl_garbage[p])
            s_valid[cyc] = 1 if streaming else 0
            for r in range(rows):
                for p in range(n_fl):
                    s_data[cyc, r * n_fl + p] = x_in[r, p]
                if block:
                    a_addr[cyc, r] = b_reg[r, 0] * block_cols + b_reg[r, 1]
            # ---------------------------------------------------------- outputs of this cycle
            o_valid = valid[depth - 1] == 1
            hold = o_valid and not ready
            e_ready[cyc] = 0 if hold else 1
            e_valid[cyc] = 1 if o_valid else 0
            for c in range(cols):
                e_data[cyc, c] = deskew[c, cols - 2 - c] if c < cols - 1 else psum[rows - 1, c]
            # ---------------------------------------------------------- clock edge
            if not hold:
                for r in range(rows):
                    for p in range(n_fl):
                        left[r, p] = x_in[0, p] if r == 0 else skew[r, r - 1, p]
                for r in range(rows):
                    for c in range(cols):
                        s = np.int64(0)
                        for j in range(lanes):
                            if is_flow:
                                wv = left[r, j] if c == 0 else fl[r, c - 1, j]
                                if nm:
                                    k = left[r, lanes + j] if c == 0 else fl[r, c - 1, lanes + j]
                                    a = st[r, c, k] if k < m_group else 0
                                else:
                                    a = st[r, c, j]
                            else:
                                wv = st[r, c, j]
                                k = st[r, c, lanes + j] if nm else j
                                a = 0
                                if k < m_group or not nm:
                                    a = left[r, k] if c == 0 else fl[r, c - 1, k]
                            s += wv * a
                        above = psum[r - 1, c] if r > 0 else 0
                        new_psum[r, c] = ((above + s) << shift) >> shift
                        for p in range(n_fl):
                            new_fl[r, c, p] = left[r, p] if c == 0 else fl[r, c - 1, p]
                for c in range(cols - 1):
                    for k in range(cols - 2 - c, 0, -1):
                        deskew[c, k] = deskew[c, k - 1]
                    deskew[c, 0] = psum[rows - 1, c]
                for r in range(1, rows):
                    for k in range(r - 1, 0, -1):
                        for p in range(n_fl):
                            skew[r, k, p] = skew[r, k - 1, p]
                    for p in range(n_fl):
                        skew[r, 0, p] = x_in[r, p]
                for r in range(rows):
                    for c in range(cols):
                        psum[r, c] = new_psum[r, c]
                        for p in range(n_fl):
                            fl[r, c, p] = new_fl[r, c, p]
                for k in range(depth - 1, 0, -1):
                    valid[k] = valid[k - 1]
                valid[0] = 1 if streaming else 0
                if streaming:
                    v += 1
                    presenting = False
            if loading:
                for c in range(cols):
                    for p in range(n_st):
                        st[t, c, p] = st_sets[s_idx, t, c, p]
                if block:
                    b_reg[t, 0] = bidx[f, t]
                    b_reg[t, 1] = boff[f, t]
                t += 1
            if o_valid and ready:
                got += 1
            cyc += 1
        fold_end[f] = cyc
    return cyc


def systolic_cycle_estimate(rows: int, cols: int, vectors, bubble, stall) -> np.ndarray:
    """Expected cycles of each fold (a small margin over) with ``vectors[f]`` vectors, patterns cycled.

    Flat out a fold lasts ``2*rows + cols + V - 1`` cycles; bubbles stretch it
    by ``1 / (1 - bubble)`` and back-pressure by ``1 / (1 - stall)``.
    """
    vectors = np.asarray(vectors, dtype=np.int64)
    pat = np.arange(vectors.size) % len(bubble)
    stretch = 1.0 / ((1.0 - np.asarray(bubble, dtype=np.float64)[pat])
                     * (1.0 - np.asarray(stall, dtype=np.float64)[pat]))
    return (2 * rows + cols + vectors) * stretch * 1.15


def systolic_word_trace(cfg: PEConfig, dataflow: str, rows: int, cols: int, stationary, fold_st,
                        flow, fold_v0, fold_v1, *, bidx=None, boff=None, bubble=(0.0,),
                        stall=(0.0,), seed: int = 0) -> WordTrace:
    """Drive folds through the fast WS/IS array model; return the packed port words.

    Parameters
    ----------
    cfg : PEConfig
        The PE configuration (the array's cells: :func:`~accelsim.sim.array_model.array_cell_config`).
    dataflow : {"ws", "is"}
    rows, cols : int
    stationary : ndarray (S, rows, cols, P) int64
        Stationary payload sets: WS ``lanes`` weights then N indices per cell, IS
        ``acts_per_beat`` activations per cell.
    fold_st : ndarray (F,) int64
        Stationary set each fold loads.
    flow : ndarray (T, rows, Q) int64
        Streamed vectors: WS ``acts_per_beat`` activations per row, IS ``lanes``
        weights then N indices per row.
    fold_v0, fold_v1 : ndarray (F,) int64
        Fold ``f`` streams ``flow[fold_v0[f]:fold_v1[f]]`` (at least one vector).
    bidx, boff : ndarray (F, rows) int64, optional
        Block WS arrays: each fold's row block-column indices and offsets.
    bubble, stall : sequence of float
        Fold ``f``'s probability of a bubble before a vector and of ``o_ready``
        low in a cycle are ``bubble[f % len]`` and ``stall[f % len]``.
    seed : int
        Seed of the garbage and the bubbles.

    Returns
    -------
    WordTrace
        Ports of :func:`accelsim.rtl.arrays.array_signature_members`.

    Raises
    ------
    AccelsimInputError
        If the payloads do not fit the array's cells or a fold streams nothing.
    """
    from accelsim.rtl.arrays import array_signature_members, stream_port_names
    from accelsim.rtl.trace import _width
    from accelsim.sim.array_model import array_cell_config, check_array

    if dataflow not in ("ws", "is"):
        raise AccelsimInputError(f"the fast systolic model runs WS and IS arrays, not {dataflow!r}")
    check_array(cfg, dataflow, rows, cols)
    cell = array_cell_config(cfg, dataflow)
    members = array_signature_members(cfg, dataflow, rows, cols)
    widths = {n: _width(mem) for n, mem in members.items()}
    ws = dataflow == "ws"
    block = ws and cfg.kind == "block"
    lanes, per = cell.lanes, cell.acts_per_beat
    n_idx = cell.lanes if cell.kind == "nm" else 0
    ibits = cell.index_bits or 1
    w_g, i_g = [cell.weight_bits] * lanes, [-ibits] * n_idx
    st_g, fl_g = (w_g + i_g, [cell.activation_bits] * per) if ws else \
        ([cell.activation_bits] * per, w_g + i_g)
    stationary = np.ascontiguousarray(stationary, dtype=np.int64)
    flow = np.ascontiguousarray(flow, dtype=np.int64)
    fold_st, fold_v0, fold_v1 = (np.ascontiguousarray(x, dtype=np.int64)
                                 for x in (fold_st, fold_v0, fold_v1))
    f = fold_st.size
    if stationary.ndim != 4 or stationary.shape[1:] != (rows, cols, len(st_g)) or flow.ndim != 3 \
            or flow.shape[1:] != (rows, len(fl_g)):
        raise AccelsimInputError(f"stationary payloads {stationary.shape} / streamed vectors "
                                 f"{flow.shape} do not fit a {rows}x{cols} {dataflow.upper()} array "
                                 f"of {cell.kind} cells (payloads of {len(st_g)} / {len(fl_g)})")
    if f == 0 or fold_v0.size != f or fold_v1.size != f or np.any(fold_v1 <= fold_v0) \
            or fold_v0.min() < 0 or fold_v1.max() > flow.shape[0] or fold_st.min() < 0 \
            or fold_st.max() >= stationary.shape[0]:
        raise AccelsimInputError("every fold needs a stationary set and at least one streamed "
                                 "vector within the arrays given")
    z = np.zeros((1, 1), dtype=np.int64)
    if block:
        if bidx is None or boff is None or np.shape(bidx) != (f, rows) or np.shape(boff) != (f, rows):
            raise AccelsimInputError("a block WS fold batch needs bidx and boff of shape (folds, rows)")
        bidx = np.ascontiguousarray(bidx, dtype=np.int64)
        boff = np.ascontiguousarray(boff, dtype=np.int64)
    else:
        bidx = boff = z
    bub = np.ascontiguousarray(np.atleast_1d(bubble), dtype=np.float64)
    stl = np.ascontiguousarray(np.atleast_1d(stall), dtype=np.float64)
    if bub.size != stl.size or bub.size == 0 or np.any((bub < 0) | (bub >= 1)) \
            or np.any((stl < 0) | (stl >= 1)):
        raise AccelsimInputError("bubble and stall need the same number of probabilities in [0, 1)")
    cap = int(systolic_cycle_estimate(rows, cols, fold_v1 - fold_v0, bub, stl).sum()) + 64
    row_port = "w_row" if ws else "x_row"
    ready_port = stream_port_names(dataflow)[1]
    row_bits = widths[row_port]
    bidx_bits, boff_bits = widths.get("w_bidx", 1), widths.get("w_boff", 1)
    while True:
        a = dict(ld_we=np.zeros(cap, np.int64), ld_row=np.zeros(cap, np.int64),
                 ld_data=np.zeros((cap, cols * len(st_g)), np.int64),
                 ld_bidx=np.zeros(cap if block else 1, np.int64),
                 ld_boff=np.zeros(cap if block else 1, np.int64),
                 s_valid=np.zeros(cap, np.int64), s_data=np.zeros((cap, rows * len(fl_g)), np.int64),
                 o_ready=np.zeros(cap, np.int64), e_ready=np.zeros(cap, np.int64),
                 e_valid=np.zeros(cap, np.int64), e_data=np.zeros((cap, cols), np.int64),
                 a_addr=np.zeros((cap if block else 1, rows), np.int64))
        fold_end = np.zeros(f, np.int64)
        n = _systolic_kernel(0 if ws else 1, 1 if n_idx else 0, int(cell.m or 0),
                             cell.accumulator_bits, lanes, row_bits, stationary, fold_st, flow,
                             fold_v0, fold_v1, np.array(st_g, np.int64), np.array(fl_g, np.int64),
                             1 if block else 0, int(cfg.block_cols or 1), bidx_bits, boff_bits,
                             bidx, boff, bub, stl, int(seed) & 0x7FFFFFFF,
                             a["ld_we"], a["ld_row"], a["ld_data"], a["ld_bidx"], a["ld_boff"],
                             a["s_valid"], a["s_data"], a["o_ready"], a["e_ready"], a["e_valid"],
                             a["e_data"], a["a_addr"], fold_end)
        if n >= 0:
            break
        cap *= 2
    a = {k: (v[:n] if v.shape[0] == cap else v) for k, v in a.items()}
    ld = a["ld_data"].reshape(n, cols, len(st_g))
    sd = a["s_data"].reshape(n, rows, len(fl_g))
    if ws:
        wd, wi = ld[:, :, :lanes].reshape(n, -1), ld[:, :, lanes:].reshape(n, -1)
        inputs = {"w_we": pack_words(a["ld_we"], 1), "w_row": pack_words(a["ld_row"], row_bits),
                  "w_data": pack_words(wd, cell.weight_bits),
                  "a_valid": pack_words(a["s_valid"], 1),
                  "a_data": pack_words(a["s_data"], cell.activation_bits)}
    else:
        wd, wi = sd[:, :, :lanes].reshape(n, -1), sd[:, :, lanes:].reshape(n, -1)
        inputs = {"x_we": pack_words(a["ld_we"], 1), "x_row": pack_words(a["ld_row"], row_bits),
                  "x_data": pack_words(a["ld_data"], cell.activation_bits),
                  "w_valid": pack_words(a["s_valid"], 1),
                  "w_data": pack_words(wd, cell.weight_bits)}
    if n_idx:
        inputs["w_idx"] = pack_words(wi, ibits)
    if block:
        inputs["w_bidx"] = pack_words(a["ld_bidx"], bidx_bits)
        inputs["w_boff"] = pack_words(a["ld_boff"], boff_bits)
    inputs["o_ready"] = pack_words(a["o_ready"], 1)
    expected = {ready_port: pack_words(a["e_ready"], 1), "o_valid": pack_words(a["e_valid"], 1),
                "o_data": pack_words(a["e_data"], cell.accumulator_bits)}
    if block:
        expected["a_addr"] = pack_words(a["a_addr"], widths["a_addr"] // rows)
    valid_cycles = np.flatnonzero(a["e_valid"])
    taken = np.flatnonzero(a["e_valid"] & a["o_ready"])
    return WordTrace(inputs, expected, widths, valid_cycles, a["e_data"][taken],
                     np.diff(fold_end, prepend=0), taken)


def fold_batch_trace(cfg: PEConfig, rows: int, cols: int, batch: ArrayFoldBatch, *,
                     seed: int = 0, bubble=(0.0,), stall=(0.0,)) -> WordTrace:
    """Drive ``batch`` through the fast WS array model; return the packed port words.

    ``cfg`` is the PE configuration (block PEs use dense cells, as the array
    top does); the port layout is :func:`accelsim.rtl.arrays.array_signature_members`.
    By default flat out (no bubbles, ``o_ready`` always high): a fold of ``V``
    vectors lasts :func:`~accelsim.sim.pe_model.array_fold_cycles`
    ``= 2*rows + cols + V - 1`` cycles. ``bubble`` / ``stall``: fold ``f``'s
    probabilities of a bubble before a vector and of ``o_ready`` low are
    ``bubble[f % len]`` / ``stall[f % len]`` (as in :func:`systolic_word_trace`).
    """
    model = WSArrayModel(cfg, rows, cols)         # argument checks, cell config
    cell = model.cell_config
    f, r_, c_, lanes = batch.weights.shape
    per = cell.acts_per_beat
    n_idx = batch.indices.shape[3]
    if (r_, c_) != (rows, cols) or lanes != cell.lanes or batch.acts.shape[2:] != (rows, per) \
            or n_idx != (cell.lanes if cell.kind == "nm" else 0):
        raise AccelsimInputError(f"fold batch of weights {batch.weights.shape}, indices "
                                 f"{batch.indices.shape} and vectors {batch.acts.shape} does not fit "
                                 f"a {rows}x{cols} array of {cell.kind} cells")
    kc, n_vec = batch.acts.shape[:2]
    chunk = np.asarray(batch.fold_chunk, dtype=np.int64)
    stationary = np.concatenate([np.asarray(batch.weights, dtype=np.int64),
                                 np.asarray(batch.indices, dtype=np.int64)], axis=3)
    return systolic_word_trace(cfg, "ws", rows, cols, stationary, np.arange(f, dtype=np.int64),
                               np.asarray(batch.acts, dtype=np.int64).reshape(kc * n_vec, rows, per),
                               chunk * n_vec, chunk * n_vec + n_vec, bidx=batch.bidx, boff=batch.boff,
                               bubble=bubble, stall=stall, seed=seed)
