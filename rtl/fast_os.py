"""Fast reference of the output-stationary array: a Numba driver + model writing packed port words.

:class:`accelsim.sim.array_model.OSArrayModel` (pure Python) stays the
specification; this module computes the same registers with flat integer
arrays, so a whole layer (millions of cycles) can be checked against the RTL.
``tests/rtl/test_rtl_fast_os.py`` replays the inputs this module drives
through ``OSArrayModel`` and requires the same outputs in every cycle.

Stimulus is a set of *programs*, one per output-channel block (the events
of a tile depend only on its weights): window writes (``act_we``, one
activation per array row per cycle) and lockstep beats, built with NumPy by
:func:`os_programs` the way :func:`accelsim.rtl.arrays.stimulus.os_tile_from_matrix`
builds one tile. A tile is a program plus the first pixel of its block; the
activations of a write or a dense/N:M beat are read from the padded activation
matrix by the kernel.

The driver obeys valid/ready: before a beat it inserts a bubble with
probability ``bubble``, ``o_ready`` is low with probability ``stall`` (per
tile, cycled like :data:`~accelsim.rtl.trace.DEFAULT_PATTERNS`), and every
data input not in use, and ``in_last`` outside a beat, carries seeded random
garbage. Unlike :func:`accelsim.rtl.arrays.trace.os_trace` it does not wait
for a tile's drain before the next tile: the next tile's writes and beats
overlap the drain, and its ``last`` beat waits for ``in_ready``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from accelsim.errors import AccelsimInputError
from accelsim.sim.array_model import check_array
from accelsim.sim.pe_model import PEConfig
from accelsim.rtl.fast_array import _bits, _seeded_state, _signed, _uniform, pack_words

__all__ = ["OSPrograms", "OSWordTrace", "os_programs", "os_tiles_trace", "KIND_CODES"]

KIND_CODES = {"dense": 0, "nm": 1, "unstructured": 2, "block": 3}
"""Cell kind codes of the kernels."""


@dataclass(frozen=True)
class OSPrograms:
    """Events of every output-channel block's tile, concatenated.

    Attributes
    ----------
    typ : ndarray (E,) int64
        0 = window write, 1 = beat.
    addr : ndarray (E,) int64
        Window address of a write.
    k : ndarray (E,) int64
        Reduction position read: a write's activation column, a dense/N:M beat's first.
    beat : ndarray (E,) int64
        Row of the beat arrays (beats).
    last : ndarray (E,) int64
        The tile's last beat.
    start : ndarray (B + 1,) int64
        Events of program ``b`` are ``start[b]:start[b + 1]``.
    w, idx, sub : ndarray (NB, cols, lanes), (NB, cols, I), (NB, cols) int64
        Each beat's column weights, indices (``I >= 1``) and block sub-beat.
    k_span : int
        Reduction positions the programs read (pad the activations to it).
    """

    typ: np.ndarray
    addr: np.ndarray
    k: np.ndarray
    beat: np.ndarray
    last: np.ndarray
    start: np.ndarray
    w: np.ndarray
    idx: np.ndarray
    sub: np.ndarray
    k_span: int


@dataclass(frozen=True)
class OSWordTrace:
    """A run of OS tiles: input and expected output port words per cycle.

    ``valid_cycles``: cycles with ``o_valid`` expected (``o_data`` compared);
    ``take_cycles``: those with ``o_ready`` high too (a result row leaves);
    ``results``: the model's result rows in that order, ``rows`` per tile.
    """

    inputs: dict
    expected: dict
    widths: dict
    valid_cycles: np.ndarray
    take_cycles: np.ndarray
    results: np.ndarray

    @property
    def cycles(self) -> int:
        """Cycles in the trace."""
        return int(next(iter(self.inputs.values())).shape[0])


# --------------------------------------------------------------------------- programs
class _Builder:
    def __init__(self, cfg, cols):
        self.cfg, self.cols = cfg, cols
        self.ev = []                 # (typ, addr, k, beat, last)
        self.w, self.idx, self.sub = [], [], []
        self.start = [0]

    def write(self, addr, k):
        self.ev.append((0, addr, k, 0, 0))

    def beat(self, k, w, idx, sub):
        self.ev.append((1, 0, k, len(self.w), 0))
        self.w.append(w)
        self.idx.append(idx)
        self.sub.append(sub)

    def end_program(self, rng):
        cfg, cols = self.cfg, self.cols
        first = self.start[-1]
        if not any(e[0] == 1 for e in self.ev[first:]):        # no weight at all: one zero beat
            self.beat(0, np.zeros((cols, cfg.lanes), dtype=np.int64), _garbage_idx(cfg, rng, cols),
                      np.zeros(cols, dtype=np.int64))
        last = max(i for i in range(first, len(self.ev)) if self.ev[i][0] == 1)
        self.ev[last] = self.ev[last][:4] + (1,)
        self.start.append(len(self.ev))


def _garbage_idx(cfg, rng, cols, lanes=None):
    n = max(cfg.indices_per_beat, 1) if lanes is None else lanes
    bits = min(cfg.index_bits or 1, 30)
    return rng.integers(0, 1 << bits, size=(cols, n)).astype(np.int64)


def _dense_nm_program(b: _Builder, w, rng):
    cfg, cols = b.cfg, b.cols
    step = cfg.lanes if cfg.kind == "dense" else cfg.m
    for s in range(0, w.shape[1], step):
        seg = w[:, s:s + step]
        if cfg.kind == "dense":
            b.beat(s, seg.copy(), np.zeros((cols, 1), dtype=np.int64), np.zeros(cols, dtype=np.int64))
            continue
        nz = seg != 0
        if np.any(nz.sum(axis=1) > cfg.n):
            c = int(np.flatnonzero(nz.sum(axis=1) > cfg.n)[0])
            raise AccelsimInputError(f"weight row {c} is not {cfg.n}:{cfg.m} sparse "
                                     f"(group at column {s} has {int(nz[c].sum())} nonzeros)")
        order = np.argsort(~nz, axis=1, kind="stable")[:, :cfg.n]
        keep = np.take_along_axis(nz, order, axis=1)
        vals = np.where(keep, np.take_along_axis(seg, order, axis=1), 0)
        idx = np.where(keep, order, _garbage_idx(cfg, rng, cols))
        b.beat(s, vals, idx, np.zeros(cols, dtype=np.int64))


def _unstructured_program(b: _Builder, w, rng):
    cfg, cols, lanes, win = b.cfg, b.cols, b.cfg.lanes, b.cfg.window_words
    for base in range(0, w.shape[1], win):
        seg = w[:, base:base + win]
        need = np.flatnonzero(np.any(seg != 0, axis=0))
        if not need.size:
            continue
        for j in need:
            b.write(int(j), base + int(j))
        nz = [np.flatnonzero(seg[c]) for c in range(cols)]
        for t in range(max(-(-len(p) // lanes) for p in nz)):
            wt = np.zeros((cols, lanes), dtype=np.int64)
            it = _garbage_idx(cfg, rng, cols)
            for c in range(cols):
                chunk = nz[c][t * lanes:(t + 1) * lanes]
                wt[c, :len(chunk)] = seg[c, chunk]
                it[c, :len(chunk)] = chunk
            b.beat(0, wt, it, np.zeros(cols, dtype=np.int64))


def _block_program(b: _Builder, w, stored, rng):
    cfg, cols, lanes = b.cfg, b.cols, b.cfg.lanes
    cb, bpb = cfg.block_cols, cfg.beats_per_block
    per_window = 1 << cfg.index_bits
    half = 1 << (cfg.weight_bits - 1)
    nblocks = w.shape[1] // cb
    for seg in range(0, nblocks, per_window):
        mine = [[x for x in sorted(stored[c]) if seg <= x < seg + per_window] for c in range(cols)]
        need = sorted(set().union(*mine))
        if not need:
            continue
        for x in need:
            for j in range(cb):
                b.write((x - seg) * cb + j, x * cb + j)
        for t in range(max(len(p) for p in mine) * bpb):
            wt = np.zeros((cols, lanes), dtype=np.int64)
            it = _garbage_idx(cfg, rng, cols)
            st = rng.integers(0, 1 << cfg.sub_bits, size=cols).astype(np.int64)
            for c in range(cols):
                if t < len(mine[c]) * bpb:
                    x, sub = mine[c][t // bpb], t % bpb
                    for j in range(lanes):
                        off = sub * lanes + j
                        # lanes past the block width are masked by the cell: garbage
                        wt[c, j] = w[c, x * cb + off] if off < cb else int(rng.integers(-half, half))
                    it[c, 0], st[c] = x - seg, sub
            b.beat(0, wt, it, st)


def os_programs(cfg: PEConfig, rows: int, cols: int, wmat, seed: int = 0) -> OSPrograms:
    """One tile program per block of ``cols`` output channels of ``wmat`` (N x K).

    Block arrays store, per channel, the block columns of its BSR block row
    that hold a nonzero (:func:`accelsim.rtl.arrays.layer.bsr_stored_blocks`).
    """
    from accelsim.rtl.arrays.layer import bsr_stored_blocks

    check_array(cfg, "os", rows, cols)
    rng = np.random.default_rng(seed)
    wmat = np.asarray(wmat, dtype=np.int64)
    n, k = wmat.shape
    unit = {"dense": cfg.lanes, "nm": cfg.m, "unstructured": 1, "block": cfg.block_cols}[cfg.kind]
    k_span = max(-(-k // unit) * unit, unit)
    b = _Builder(cfg, cols)
    for n0 in range(0, n, cols):
        w = np.zeros((cols, k_span), dtype=np.int64)
        w[:min(cols, n - n0), :k] = wmat[n0:n0 + cols]
        if cfg.kind in ("dense", "nm"):
            _dense_nm_program(b, w, rng)
        elif cfg.kind == "unstructured":
            _unstructured_program(b, w, rng)
        else:
            stored = bsr_stored_blocks(cfg, wmat, range(n0, min(n, n0 + cols)))
            _block_program(b, w, stored + [[]] * (cols - len(stored)), rng)
        b.end_program(rng)
    ev = np.array(b.ev, dtype=np.int64).reshape(-1, 5)
    return OSPrograms(ev[:, 0].copy(), ev[:, 1].copy(), ev[:, 2].copy(), ev[:, 3].copy(),
                      ev[:, 4].copy(), np.array(b.start, dtype=np.int64),
                      np.array(b.w, dtype=np.int64).reshape(-1, cols, cfg.lanes),
                      np.array(b.idx, dtype=np.int64).reshape(len(b.w), cols, -1),
                      np.array(b.sub, dtype=np.int64).reshape(-1, cols), k_span)


# --------------------------------------------------------------------------- kernel
@numba.njit(cache=True)
def _os_kernel(kind, m_group, block_cols, acc_bits, act_bits, g_w, g_a, g_idx, g_sub, g_addr,
               rows, window_words, ev_typ, ev_addr, ev_k, ev_beat, ev_last, prog_start,
               bw, bidx, bsub, apad, tile_prog, tile_p0, bubble, stall, seed,
               in_valid, in_last, a_data, w_data, w_idx, w_sub, act_we, act_addr, act_data,
               o_ready, e_in_ready, e_o_valid, e_o_data, res_rows):
    # kind: 0 dense, 1 N:M, 2 unstructured, 3 block. Returns the cycles written, or -1 if the
    # per-cycle output arrays are too short. res_rows gets the result rows taken, in order.
    rs = _seeded_state(seed)
    cap = in_valid.shape[0]
    cols, lanes = bw.shape[1], bw.shape[2]
    n_idx = w_idx.shape[1] // cols
    per = a_data.shape[1] // rows if kind <= 1 else 0
    shift = 64 - acc_bits
    ashift = 64 - act_bits
    window = np.zeros((rows, max(window_words, 1)), dtype=np.int64)
    acc = np.zeros((rows, cols), dtype=np.int64)
    res = np.zeros((rows, cols), dtype=np.int64)
    clear = True
    left = 0
    n_tiles = tile_prog.shape[0]
    want = rows * n_tiles
    got = 0
    ti = 0
    pos = prog_start[tile_prog[0]]
    end = prog_start[tile_prog[0] + 1]
    presenting = False
    cyc = 0
    while got < want:
        if cyc >= cap:
            return -1
        pat = ti if ti < n_tiles else n_tiles - 1
        # ------------------------------------------------------------ garbage on every input
        in_last[cyc] = _bits(rs, 1)
        for i in range(a_data.shape[1]):
            a_data[cyc, i] = _signed(rs, g_a)
        for i in range(w_data.shape[1]):
            w_data[cyc, i] = _signed(rs, g_w)
        for i in range(w_idx.shape[1]):
            w_idx[cyc, i] = _bits(rs, g_idx)
        for i in range(w_sub.shape[1]):
            w_sub[cyc, i] = _bits(rs, g_sub)
        act_addr[cyc] = _bits(rs, g_addr)
        for r in range(act_data.shape[1]):
            act_data[cyc, r] = _signed(rs, g_a)
        in_valid[cyc] = 0
        act_we[cyc] = 0
        ready = _uniform(rs) >= stall[pat]
        o_ready[cyc] = 1 if ready else 0
        # ------------------------------------------------------------ drive the next event
        beat = False
        write = False
        if ti < n_tiles:
            p0 = tile_p0[ti]
            if ev_typ[pos] == 0:
                write = True
                act_we[cyc] = 1
                act_addr[cyc] = ev_addr[pos]
                for r in range(rows):
                    act_data[cyc, r] = apad[p0 + r, ev_k[pos]]
            elif presenting or _uniform(rs) >= bubble[pat]:
                presenting = True
                beat = True
                b = ev_beat[pos]
                in_valid[cyc] = 1
                in_last[cyc] = ev_last[pos]
                for c in range(cols):
                    for j in range(lanes):
                        w_data[cyc, c * lanes + j] = bw[b, c, j]
                    for j in range(n_idx):
                        w_idx[cyc, c * n_idx + j] = bidx[b, c, j]
                    if w_sub.shape[1] == cols:
                        w_sub[cyc, c] = bsub[b, c]
                for r in range(rows):
                    for p in range(per):
                        a_data[cyc, r * per + p] = apad[p0 + r, ev_k[pos] + p]
        # ------------------------------------------------------------ outputs of this cycle
        o_valid = left > 0
        take = o_valid and ready
        busy = left > 1 or (left == 1 and not ready)
        in_ready = not (in_last[cyc] == 1 and busy)
        e_in_ready[cyc] = 1 if in_ready else 0
        e_o_valid[cyc] = 1 if o_valid else 0
        for c in range(cols):
            e_o_data[cyc, c] = res[0, c]
        # ------------------------------------------------------------ clock edge
        if take:
            for c in range(cols):
                res_rows[got, c] = res[0, c]
            got += 1
            for r in range(rows - 1):
                for c in range(cols):
                    res[r, c] = res[r + 1, c]
            for c in range(cols):
                res[rows - 1, c] = 0
            left -= 1
        if beat and in_ready:
            for r in range(rows):
                for c in range(cols):
                    s = np.int64(0)
                    for j in range(lanes):
                        wv = w_data[cyc, c * lanes + j]
                        if kind == 0:
                            s += wv * a_data[cyc, r * per + j]
                        elif kind == 1:
                            i = w_idx[cyc, c * n_idx + j]
                            if i < m_group:
                                s += wv * a_data[cyc, r * per + i]
                        elif kind == 2:
                            s += wv * window[r, w_idx[cyc, c * n_idx + j]]
                        else:
                            off = w_sub[cyc, c] * lanes + j
                            if off < block_cols:
                                s += wv * window[r, w_idx[cyc, c * n_idx] * block_cols + off]
                    v = s if clear else acc[r, c] + s
                    acc[r, c] = (v << shift) >> shift
            clear = in_last[cyc] == 1
            if clear:
                for r in range(rows):
                    for c in range(cols):
                        res[r, c] = acc[r, c]
                left = rows
            presenting = False
        if write:
            a = act_addr[cyc]
            for r in range(rows):
                window[r, a] = (act_data[cyc, r] << ashift) >> ashift
        if write or (beat and in_ready):
            pos += 1
            if pos == end:
                ti += 1
                if ti < n_tiles:
                    pos = prog_start[tile_prog[ti]]
                    end = prog_start[tile_prog[ti] + 1]
        cyc += 1
    return cyc


def os_tiles_trace(cfg: PEConfig, rows: int, cols: int, programs: OSPrograms, apad, tile_prog,
                   tile_p0, *, bubble=(0.0,), stall=(0.0,), seed: int = 0) -> OSWordTrace:
    """Drive the tiles ``(tile_prog[i], tile_p0[i])`` through the fast OS model; return the port words.

    ``apad`` is the ``(pixels, programs.k_span)`` activation matrix (at least
    ``max(tile_p0) + rows`` pixels, zero padded); tile ``i`` uses the
    ``bubble`` / ``stall`` probabilities ``[i % len]``.
    """
    from accelsim.rtl.arrays import array_signature_members
    from accelsim.rtl.trace import _width

    check_array(cfg, "os", rows, cols)
    widths = {n: _width(m) for n, m in array_signature_members(cfg, "os", rows, cols).items()}
    apad = np.ascontiguousarray(apad, dtype=np.int64)
    tile_prog = np.ascontiguousarray(tile_prog, dtype=np.int64)
    tile_p0 = np.ascontiguousarray(tile_p0, dtype=np.int64)
    nt = tile_prog.size
    if nt == 0:
        raise AccelsimInputError("no OS tiles to run")
    if programs.w.shape[1:] != (cols, cfg.lanes) or apad.shape[1] < programs.k_span \
            or apad.shape[0] < int(tile_p0.max()) + rows or int(tile_prog.max()) >= programs.start.size - 1:
        raise AccelsimInputError(f"OS programs (beats {programs.w.shape}, K {programs.k_span}) or "
                                 f"activations {apad.shape} do not fit a {rows}x{cols} array of "
                                 f"{cfg.kind} cells and these tiles")
    bub = np.resize(np.asarray(bubble, dtype=np.float64), nt)
    stl = np.resize(np.asarray(stall, dtype=np.float64), nt)
    lengths = np.diff(programs.start)[tile_prog]
    worst = 1.0 / max(1e-3, 1.0 - float(max(bub.max(), stl.max())))
    cap = int((lengths.sum() + rows * nt) * worst * 1.2) + 64
    kind = KIND_CODES[cfg.kind]
    per = cfg.acts_per_beat
    n_idx = cfg.indices_per_beat
    g = dict(w=cfg.weight_bits, a=cfg.activation_bits, idx=min(cfg.index_bits or 1, 62),
             sub=cfg.sub_bits or 1, addr=cfg.window_addr_bits or 1)
    while True:
        arr = dict(in_valid=np.zeros(cap, np.int64), in_last=np.zeros(cap, np.int64),
                   a_data=np.zeros((cap, max(rows * per, 1)), np.int64),
                   w_data=np.zeros((cap, cols * cfg.lanes), np.int64),
                   w_idx=np.zeros((cap, cols * n_idx), np.int64),
                   w_sub=np.zeros((cap, cols if cfg.kind == "block" else 0), np.int64),
                   act_we=np.zeros(cap, np.int64), act_addr=np.zeros(cap, np.int64),
                   act_data=np.zeros((cap, rows if cfg.window_words else 0), np.int64),
                   o_ready=np.zeros(cap, np.int64), in_ready=np.zeros(cap, np.int64),
                   o_valid=np.zeros(cap, np.int64), o_data=np.zeros((cap, cols), np.int64))
        res_rows = np.zeros((rows * nt, cols), np.int64)
        n = _os_kernel(kind, int(cfg.m or 0), int(cfg.block_cols or 1), cfg.accumulator_bits,
                       cfg.activation_bits, g["w"], g["a"], g["idx"], g["sub"], g["addr"],
                       rows, cfg.window_words, programs.typ, programs.addr, programs.k, programs.beat,
                       programs.last, programs.start, programs.w, programs.idx, programs.sub,
                       apad, tile_prog, tile_p0, bub, stl, int(seed) & 0x7FFFFFFF,
                       arr["in_valid"], arr["in_last"], arr["a_data"], arr["w_data"], arr["w_idx"],
                       arr["w_sub"], arr["act_we"], arr["act_addr"], arr["act_data"], arr["o_ready"],
                       arr["in_ready"], arr["o_valid"], arr["o_data"], res_rows)
        if n >= 0:
            break
        cap *= 2
    a = {k: v[:n] for k, v in arr.items()}
    ib = cfg.index_bits or 1
    inputs = {"in_valid": pack_words(a["in_valid"], 1), "in_last": pack_words(a["in_last"], 1),
              "w_data": pack_words(a["w_data"], cfg.weight_bits),
              "o_ready": pack_words(a["o_ready"], 1)}
    if per:
        inputs["a_data"] = pack_words(a["a_data"], cfg.activation_bits)
    if n_idx:
        inputs["w_idx"] = pack_words(a["w_idx"], ib)
    if cfg.kind == "block":
        inputs["w_sub"] = pack_words(a["w_sub"], cfg.sub_bits)
    if cfg.window_words:
        inputs["act_we"] = pack_words(a["act_we"], 1)
        inputs["act_addr"] = pack_words(a["act_addr"], cfg.window_addr_bits)
        inputs["act_data"] = pack_words(a["act_data"], cfg.activation_bits)
    expected = {"in_ready": pack_words(a["in_ready"], 1), "o_valid": pack_words(a["o_valid"], 1),
                "o_data": pack_words(a["o_data"], cfg.accumulator_bits)}
    valid = np.flatnonzero(a["o_valid"])
    take = np.flatnonzero(a["o_valid"] & a["o_ready"])
    return OSWordTrace(inputs, expected, widths, valid, take, res_rows)
