"""Fast reference of the weight-stationary array: a Numba driver + model writing packed port words.

:class:`accelsim.sim.pe_model.WSArrayModel` (pure Python, one object per
register) stays the specification; this module computes the same registers
with flat integer arrays, so a whole layer (millions of cycles) can be
checked against the RTL. ``tests/rtl/test_rtl_fast_array.py`` replays the
inputs this module drives through ``WSArrayModel`` and requires the same
outputs in every cycle.

The driver runs folds flat out (no input bubbles, ``o_ready`` always high):
per fold it writes the ``rows`` stationary weight rows, one per cycle, streams
the fold's ``V`` input vectors, one per cycle, and waits for the last output,
so a fold lasts :func:`~accelsim.sim.pe_model.array_fold_cycles`
``= 2*rows + cols + V - 1`` cycles. Inputs that are not in use carry seeded
random garbage (the array computes on ``a_data`` garbage; a correct design
never lets it reach a valid output).

Port data are packed as in the RTL (element ``i`` at bits
``[i*width, (i+1)*width)``) into 32-bit words, the layout of the Verilator
harness (:func:`accelsim.rtl.verilator.harness_source`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from accelsim.errors import AccelsimInputError
from accelsim.sim.pe_model import PEConfig, WSArrayModel, array_fold_cycles

__all__ = ["ArrayFoldBatch", "WordTrace", "fold_batch_trace", "pack_words", "unpack_words",
           "word_count"]


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
    """A flat-out run: input and expected output port words per cycle.

    ``inputs[name]`` / ``expected[name]`` are ``(cycles, words)`` uint32 arrays;
    ``valid_cycles`` are the cycles whose ``o_data`` is compared (expected
    ``o_valid``), ``out_vectors`` the model's output vectors in that order
    (signed, ``accumulator_bits``) and ``fold_cycles`` the cycles of each fold.
    """

    inputs: dict
    expected: dict
    widths: dict
    valid_cycles: np.ndarray
    out_vectors: np.ndarray
    fold_cycles: np.ndarray

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
def _array_kernel(kind, m_group, acc_bits, wbits, abits, ibits, row_bits,
                  weights, indices, acts, fold_chunk, seed,
                  w_we, w_row, w_data, w_idx, a_valid, a_data, a_ready, o_valid, o_data,
                  block, block_cols, bidx_bits, boff_bits, bidx, boff, w_bidx, w_boff, a_addr):
    # kind 0 = dense cells, 1 = N:M cells; block = 1: block WS (rows hold a block column
    # index and offset, and report a_addr = bidx * block_cols + boff). All outputs are
    # preallocated per cycle.
    rs = _seeded_state(seed)
    n_folds, rows, cols, lanes = weights.shape
    n_idx = indices.shape[3]
    n_vec = acts.shape[1]
    per = acts.shape[3]
    shift = 64 - acc_bits
    w_reg = np.zeros((rows, cols, lanes), dtype=np.int64)
    i_reg = np.zeros((rows, cols, max(n_idx, 1)), dtype=np.int64)
    act = np.zeros((rows, cols, per), dtype=np.int64)
    new_act = np.zeros((rows, cols, per), dtype=np.int64)
    psum = np.zeros((rows, cols), dtype=np.int64)
    new_psum = np.zeros((rows, cols), dtype=np.int64)
    max_skew = max(rows - 1, 1)
    skew = np.zeros((rows, max_skew, per), dtype=np.int64)       # skew[r, 0] newest, skew[r, r-1] oldest
    deskew = np.zeros((cols, max(cols - 1, 1)), dtype=np.int64)  # deskew[c, 0] newest
    depth = rows + cols - 1
    valid = np.zeros(depth, dtype=np.int64)                      # valid[0] newest
    a_in = np.zeros((rows, per), dtype=np.int64)
    b_reg = np.zeros((rows, 2), dtype=np.int64)
    left = np.zeros((rows, per), dtype=np.int64)
    cyc = 0
    for f in range(n_folds):
        chunk = fold_chunk[f]
        fold_len = 2 * rows + cols + n_vec - 1
        for t in range(fold_len):
            # ---------------------------------------------------------- drive this cycle's inputs
            writing = t < rows
            vec = t - rows
            presenting = (not writing) and vec < n_vec
            w_we[cyc] = 1 if writing else 0
            if writing:
                w_row[cyc] = t
                for c in range(cols):
                    for j in range(lanes):
                        w_data[cyc, c * lanes + j] = weights[f, t, c, j]
                    for j in range(n_idx):
                        w_idx[cyc, c * n_idx + j] = indices[f, t, c, j]
            else:
                w_row[cyc] = _bits(rs, row_bits)
                for c in range(cols):
                    for j in range(lanes):
                        w_data[cyc, c * lanes + j] = _signed(rs, wbits)
                    for j in range(n_idx):
                        w_idx[cyc, c * n_idx + j] = _bits(rs, ibits)
            if block:
                if writing:
                    w_bidx[cyc] = bidx[f, t]
                    w_boff[cyc] = boff[f, t]
                else:
                    w_bidx[cyc] = _bits(rs, bidx_bits)
                    w_boff[cyc] = _bits(rs, boff_bits)
                for r in range(rows):
                    a_addr[cyc, r] = b_reg[r, 0] * block_cols + b_reg[r, 1]
            a_valid[cyc] = 1 if presenting else 0
            for r in range(rows):
                for p in range(per):
                    if presenting:
                        a_in[r, p] = acts[chunk, vec, r, p]
                    else:
                        a_in[r, p] = _signed(rs, abits)
                    a_data[cyc, r * per + p] = a_in[r, p]
            # ---------------------------------------------------------- outputs of this cycle
            a_ready[cyc] = 1
            o_valid[cyc] = valid[depth - 1]
            for c in range(cols):
                o_data[cyc, c] = deskew[c, cols - 2 - c] if c < cols - 1 else psum[rows - 1, c]
            # ---------------------------------------------------------- clock edge
            for r in range(rows):
                for p in range(per):
                    left[r, p] = a_in[0, p] if r == 0 else skew[r, r - 1, p]
            for r in range(rows):
                for c in range(cols):
                    s = np.int64(0)
                    for j in range(lanes):
                        if kind == 1:
                            k = i_reg[r, c, j]
                            a = 0
                            if k < m_group:
                                a = left[r, k] if c == 0 else act[r, c - 1, k]
                        else:
                            a = left[r, j] if c == 0 else act[r, c - 1, j]
                        s += w_reg[r, c, j] * a
                    above = psum[r - 1, c] if r > 0 else 0
                    v = above + s
                    new_psum[r, c] = (v << shift) >> shift
                    for p in range(per):
                        new_act[r, c, p] = left[r, p] if c == 0 else act[r, c - 1, p]
            for c in range(cols - 1):
                for k in range(cols - 2 - c, 0, -1):
                    deskew[c, k] = deskew[c, k - 1]
                deskew[c, 0] = psum[rows - 1, c]
            for r in range(1, rows):
                for k in range(r - 1, 0, -1):
                    for p in range(per):
                        skew[r, k, p] = skew[r, k - 1, p]
                for p in range(per):
                    skew[r, 0, p] = a_in[r, p]
            for r in range(rows):
                for c in range(cols):
                    psum[r, c] = new_psum[r, c]
                    for p in range(per):
                        act[r, c, p] = new_act[r, c, p]
            for k in range(depth - 1, 0, -1):
                valid[k] = valid[k - 1]
            valid[0] = a_valid[cyc]
            if writing:
                for c in range(cols):
                    for j in range(lanes):
                        w_reg[t, c, j] = weights[f, t, c, j]
                    for j in range(n_idx):
                        i_reg[t, c, j] = indices[f, t, c, j]
                if block:
                    b_reg[t, 0] = bidx[f, t]
                    b_reg[t, 1] = boff[f, t]
            cyc += 1


def fold_batch_trace(cfg: PEConfig, rows: int, cols: int, batch: ArrayFoldBatch, *,
                     seed: int = 0) -> WordTrace:
    """Drive ``batch`` through the fast array model; return the packed port words.

    ``cfg`` is the PE configuration (block PEs use dense cells, as the array
    top does); the port layout is :func:`accelsim.rtl.array.array_signature_members`.
    """
    from accelsim.rtl.array import array_signature_members
    from accelsim.rtl.trace import _width

    model = WSArrayModel(cfg, rows, cols)         # argument checks, cell config
    cell = model.cell_config
    members = array_signature_members(cfg, rows, cols)
    block = "a_addr" in members
    widths = {n: _width(mem) for n, mem in members.items()}
    f, r_, c_, lanes = batch.weights.shape
    per = cell.acts_per_beat
    n_idx = batch.indices.shape[3]
    if (r_, c_) != (rows, cols) or lanes != cell.lanes or batch.acts.shape[2:] != (rows, per) \
            or n_idx != (cell.lanes if cell.kind == "nm" else 0):
        raise AccelsimInputError(f"fold batch of weights {batch.weights.shape}, indices "
                                 f"{batch.indices.shape} and vectors {batch.acts.shape} does not fit "
                                 f"a {rows}x{cols} array of {cell.kind} cells")
    n_vec = batch.acts.shape[1]
    per_fold = array_fold_cycles(rows, cols, n_vec)
    n = f * per_fold
    ibits = cell.index_bits or 1
    row_bits = widths["w_row"]
    w_we = np.zeros(n, dtype=np.int64)
    w_row = np.zeros(n, dtype=np.int64)
    w_data = np.zeros((n, cols * lanes), dtype=np.int64)
    w_idx = np.zeros((n, max(cols * n_idx, 1)), dtype=np.int64)
    a_valid = np.zeros(n, dtype=np.int64)
    a_data = np.zeros((n, rows * per), dtype=np.int64)
    a_ready = np.zeros(n, dtype=np.int64)
    o_valid = np.zeros(n, dtype=np.int64)
    o_data = np.zeros((n, cols), dtype=np.int64)
    if block and (batch.bidx is None or batch.bidx.shape != (f, rows)):
        raise AccelsimInputError("a block WS fold batch needs bidx and boff of shape (folds, rows)")
    z = np.zeros((1, 1), dtype=np.int64)
    bidx = np.ascontiguousarray(batch.bidx, dtype=np.int64) if block else z
    boff = np.ascontiguousarray(batch.boff, dtype=np.int64) if block else z
    w_bidx = np.zeros(n if block else 1, dtype=np.int64)
    w_boff = np.zeros(n if block else 1, dtype=np.int64)
    a_addr = np.zeros((n if block else 1, rows), dtype=np.int64)
    bidx_bits = widths.get("w_bidx", 1)
    boff_bits = widths.get("w_boff", 1)
    addr_bits = widths["a_addr"] // rows if block else 1
    _array_kernel(1 if cell.kind == "nm" else 0, int(cell.m or 0), cell.accumulator_bits,
                  cell.weight_bits, cell.activation_bits, ibits, row_bits,
                  np.ascontiguousarray(batch.weights, dtype=np.int64),
                  np.ascontiguousarray(batch.indices, dtype=np.int64),
                  np.ascontiguousarray(batch.acts, dtype=np.int64),
                  np.ascontiguousarray(batch.fold_chunk, dtype=np.int64), int(seed) & 0x7FFFFFFF,
                  w_we, w_row, w_data, w_idx, a_valid, a_data, a_ready, o_valid, o_data,
                  1 if block else 0, int(cfg.block_cols or 1), bidx_bits, boff_bits, bidx, boff,
                  w_bidx, w_boff, a_addr)
    inputs = {"w_we": pack_words(w_we, 1), "w_row": pack_words(w_row, row_bits),
              "w_data": pack_words(w_data, cell.weight_bits),
              "a_valid": pack_words(a_valid, 1), "a_data": pack_words(a_data, cell.activation_bits),
              "o_ready": np.ones((n, 1), dtype=np.uint32)}
    if "w_idx" in widths:
        inputs["w_idx"] = pack_words(w_idx, ibits)
    expected = {"a_ready": pack_words(a_ready, 1), "o_valid": pack_words(o_valid, 1),
                "o_data": pack_words(o_data, cell.accumulator_bits)}
    if block:
        inputs["w_bidx"] = pack_words(w_bidx, bidx_bits)
        inputs["w_boff"] = pack_words(w_boff, boff_bits)
        expected["a_addr"] = pack_words(a_addr, addr_bits)
    valid_cycles = np.flatnonzero(o_valid)
    return WordTrace(inputs, expected, widths, valid_cycles, o_data[valid_cycles],
                     np.full(f, per_fold, dtype=np.int64))
