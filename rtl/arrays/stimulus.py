"""Seeded and directed stimulus for the OS, IS and block WS arrays (the WS dense/N:M folds are in rtl.stimulus).

Every tile or fold carries its expected results, computed independently of the
array models: dense dot products of the weight and activation rows with
Python integers, wrapped to ``accumulator_bits``.

* :class:`OSTile` -- one output-stationary tile: window writes (one activation
  per array row per cycle) and lockstep beats; each column streams only its
  nonzeros (unstructured) or nonzero blocks (block) and pads with zero beats.
* :class:`SysFold` -- one WS/IS fold: stationary rows, streamed vectors.
  Block WS folds hold the dense weights of compacted block-column slots: only
  block columns stored by some column of the tile are mapped, and the vectors
  are the activation segments the driver reads at the array's ``a_addr``.
* :func:`full_width_pe_trials` / :func:`full_width_array_trials` -- directed
  cases: maximum-magnitude operands of both signs, reductions long enough to
  cross ``2**24`` (and, with ``wrap=True``, to wrap the accumulator).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.errors import AccelsimInputError
from accelsim.sim.array_model import array_cell_config, check_array
from accelsim.sim.pe_model import PEConfig
from accelsim.rtl.stimulus import (_default_max_k, _garbage_index, _random_row, job_from_row,
                                   random_operand, reference_dot)

__all__ = ["RowWrite", "OSBeat", "OSTile", "SysFold", "os_tile_from_matrix", "random_os_trials",
           "sys_fold_from_matrix", "random_sys_trials", "full_width_pe_trials",
           "full_width_array_trials", "random_array_stimulus", "stored_blocks_of", "block_ws_folds"]


@dataclass(frozen=True)
class RowWrite:
    """Write ``values[r]`` into word ``addr`` of array row ``r``'s window (one cycle)."""

    addr: int
    values: tuple


@dataclass(frozen=True)
class OSBeat:
    """One lockstep beat: ``acts[r]`` per array row (dense/N:M), ``columns[c] = (w, idx, sub)``."""

    acts: tuple
    columns: tuple
    last: bool = False


@dataclass(frozen=True)
class OSTile:
    """One OS tile: events in order, ``expected[r][c]``, and the beats streamed."""

    events: tuple
    expected: tuple
    beats: int


@dataclass(frozen=True)
class SysFold:
    """One WS/IS fold.

    ``stationary[r][c]``: WS ``(weights, indices)``, IS an activation payload;
    ``bidx[r]``: block WS ``(block column, offset)`` of row ``r`` (else ``(0, 0)``);
    ``vectors[v]``: per-row payloads (WS activations, IS ``(weights, indices)``),
    or for block WS the activation segment (``window_words`` values) read at
    the array's ``a_addr``; ``expected[v][c]``.
    """

    stationary: tuple
    bidx: tuple
    vectors: tuple
    expected: tuple


def _pad2(mat, rows: int, width: int) -> np.ndarray:
    mat = np.asarray(mat, dtype=np.int64)
    if mat.ndim == 1:
        mat = mat[None, :]
    out = np.zeros((rows, width), dtype=np.int64)
    out[:mat.shape[0], :mat.shape[1]] = mat
    return out


def stored_blocks_of(cfg: PEConfig, wrow) -> list[int]:
    """Block columns of a weight row that hold a nonzero (BSR of a one-row block row)."""
    c = cfg.block_cols
    w = np.asarray(wrow)
    return [b for b in range(-(-w.size // c)) if np.any(w[b * c:(b + 1) * c])]


# --------------------------------------------------------------------------- OS tiles
def os_tile_from_matrix(cfg: PEConfig, rows: int, cols: int, wmat, amat, rng=None,
                        stored_blocks=None) -> OSTile:
    """Map ``wmat`` (``<= cols`` channels x K) and ``amat`` (``<= rows`` pixels x K) onto one OS tile.

    ``stored_blocks[c]`` lists column ``c``'s stored block columns (block mode;
    default: the blocks of its own row that hold a nonzero).
    """
    check_array(cfg, "os", rows, cols)
    rng = rng or np.random.default_rng(0)
    wmat, amat = np.asarray(wmat, dtype=np.int64), np.asarray(amat, dtype=np.int64)
    k = wmat.shape[1]
    if wmat.shape[0] > cols or amat.shape[0] > rows or amat.shape[1] != k:
        raise AccelsimInputError(f"weights {wmat.shape} / activations {amat.shape} do not fit one "
                                 f"tile of a {rows}x{cols} OS array")
    lanes = cfg.lanes
    events = []
    if cfg.kind in ("dense", "nm"):
        step = lanes if cfg.kind == "dense" else cfg.m
        span = -(-k // step) * step
        w, a = _pad2(wmat, cols, span), _pad2(amat, rows, span)
        for s in range(0, span, step):
            acts = tuple(tuple(int(v) for v in a[r, s:s + step]) for r in range(rows))
            columns = []
            for c in range(cols):
                seg = [int(v) for v in w[c, s:s + step]]
                if cfg.kind == "dense":
                    columns.append((tuple(seg), (), 0))
                    continue
                nz = [j for j, v in enumerate(seg) if v]
                if len(nz) > cfg.n:
                    raise AccelsimInputError(f"weight row {c} is not {cfg.n}:{cfg.m} sparse "
                                             f"(group at column {s} has {len(nz)} nonzeros)")
                fill = cfg.n - len(nz)
                columns.append((tuple(seg[j] for j in nz) + (0,) * fill,
                                tuple(nz) + tuple(_garbage_index(cfg, rng) for _ in range(fill)), 0))
            events.append(OSBeat(acts, tuple(columns)))
    elif cfg.kind == "unstructured":
        win = cfg.window_words
        w, a = _pad2(wmat, cols, k), _pad2(amat, rows, k)
        for base in range(0, k, win):
            hi = min(k, base + win)
            nz = [[j for j in range(base, hi) if w[c, j]] for c in range(cols)]
            need = sorted(set().union(*nz))
            if not need:
                continue
            events.extend(RowWrite(j - base, tuple(int(a[r, j]) for r in range(rows))) for j in need)
            for t in range(max(-(-len(p) // lanes) for p in nz)):
                columns = []
                for c in range(cols):
                    chunk = nz[c][t * lanes:(t + 1) * lanes]
                    fill = lanes - len(chunk)
                    columns.append((tuple(int(w[c, j]) for j in chunk) + (0,) * fill,
                                    tuple(j - base for j in chunk)
                                    + tuple(_garbage_index(cfg, rng) for _ in range(fill)), 0))
                events.append(OSBeat((), tuple(columns)))
    else:
        cb, bpb = cfg.block_cols, cfg.beats_per_block
        nblocks = -(-k // cb)
        w, a = _pad2(wmat, cols, nblocks * cb), _pad2(amat, rows, nblocks * cb)
        if stored_blocks is None:
            stored_blocks = [stored_blocks_of(cfg, w[c]) for c in range(cols)]
        stored_blocks = list(stored_blocks) + [[]] * (cols - len(stored_blocks))
        per_window = 1 << cfg.index_bits
        half = 1 << (cfg.weight_bits - 1)
        for seg in range(0, nblocks, per_window):
            mine = [[b for b in sorted(stored_blocks[c]) if seg <= b < seg + per_window]
                    for c in range(cols)]
            need = sorted(set().union(*mine))
            if not need:
                continue
            for b in need:
                events.extend(RowWrite((b - seg) * cb + j, tuple(int(a[r, b * cb + j]) for r in range(rows)))
                              for j in range(cb))
            for t in range(max(len(p) for p in mine) * bpb):
                columns = []
                for c in range(cols):
                    if t < len(mine[c]) * bpb:
                        b, sub = mine[c][t // bpb], t % bpb
                        lane_w = []
                        for j in range(lanes):
                            off = sub * lanes + j
                            # lanes past the block width are masked by the cell: send garbage
                            lane_w.append(int(w[c, b * cb + off]) if off < cb
                                          else int(rng.integers(-half, half)))
                        columns.append((tuple(lane_w), (b - seg,), sub))
                    else:
                        columns.append(((0,) * lanes, (_garbage_index(cfg, rng),),
                                        int(rng.integers(0, 1 << cfg.sub_bits))))
                events.append(OSBeat((), tuple(columns)))
        k = nblocks * cb
    if not any(isinstance(e, OSBeat) for e in events):
        acts = tuple((0,) * cfg.acts_per_beat for _ in range(rows))
        idx = cfg.indices_per_beat
        events.append(OSBeat(acts, tuple(((0,) * lanes, tuple(_garbage_index(cfg, rng) for _ in range(idx)), 0)
                                         for _ in range(cols))))
    last = max(i for i, e in enumerate(events) if isinstance(e, OSBeat))
    events[last] = OSBeat(events[last].acts, events[last].columns, last=True)
    expected = tuple(tuple(reference_dot(w[c], a[r], cfg.accumulator_bits) for c in range(cols))
                     for r in range(rows))
    return OSTile(tuple(events), expected, sum(isinstance(e, OSBeat) for e in events))


def random_os_trials(cfg: PEConfig, rows: int, cols: int, trials: int, seed: int = 0, *,
                     max_tiles: int = 3, max_k: int | None = None) -> list[list[OSTile]]:
    """Seeded random OS trials: 1..``max_tiles`` tiles each, columns of random density per mode."""
    rng = np.random.default_rng(seed)
    max_k = max_k or _default_max_k(cfg)
    out = []
    for _ in range(trials):
        tiles = []
        for _ in range(int(rng.integers(1, max_tiles + 1))):
            k = int(rng.integers(1, max_k + 1))
            ws, stored = [], []
            for _ in range(cols):
                w, s = _random_row(cfg, rng, k)
                ws.append(w)
                stored.append(s)
            a = random_operand(rng, cfg.activation_bits, (rows, k), zero_fraction=0.3)
            tiles.append(os_tile_from_matrix(cfg, rows, cols, np.array(ws), a, rng,
                                             stored_blocks=stored if cfg.kind == "block" else None))
        out.append(tiles)
    return out


# --------------------------------------------------------------------------- WS / IS folds
def _chunk(cell: PEConfig) -> int:
    return cell.m if cell.kind == "nm" else cell.lanes


def _nm_cell(cfg: PEConfig, seg, rng, where: str):
    nz = [j for j, v in enumerate(seg) if v]
    if len(nz) > cfg.n:
        raise AccelsimInputError(f"weights are not {cfg.n}:{cfg.m} sparse ({where} has {len(nz)} nonzeros)")
    fill = cfg.n - len(nz)
    return (tuple(int(seg[j]) for j in nz) + (0,) * fill,
            tuple(nz) + tuple(_garbage_index(cfg, rng) for _ in range(fill)))


def sys_fold_from_matrix(cfg: PEConfig, dataflow: str, rows: int, cols: int, wmat, amat, rng=None,
                         stored_blocks=None) -> SysFold:
    """One WS or IS fold from a dense weight tile ``wmat`` (channels x K) and activations ``amat`` (pixels x K).

    WS (block): channels are the columns, every pixel one vector; only the
    ``lanes``-chunks of block columns in ``stored_blocks`` (per column; default:
    nonzero in its row) are mapped, one per array row -- a tile with more
    chunks than rows is an error (:func:`block_ws_folds` splits it).
    IS: pixels are the columns, every channel with a nonzero weight one vector
    (all-zero channels are skipped, as the simulator's IS timing says).
    """
    check_array(cfg, dataflow, rows, cols)
    rng = rng or np.random.default_rng(0)
    cell = array_cell_config(cfg, dataflow)
    wmat, amat = np.asarray(wmat, dtype=np.int64), np.asarray(amat, dtype=np.int64)
    k, accb = wmat.shape[1], cfg.accumulator_bits
    if dataflow == "is":
        ch = _chunk(cell)
        if k > rows * ch or amat.shape[0] > cols or amat.shape[1] != k:
            raise AccelsimInputError(f"weights {wmat.shape} / activations {amat.shape} do not fit one "
                                     f"IS fold of a {rows}x{cols} array")
        w, a = _pad2(wmat, wmat.shape[0], rows * ch), _pad2(amat, cols, rows * ch)
        stationary = tuple(tuple(tuple(int(v) for v in a[c, r * ch:(r + 1) * ch]) for c in range(cols))
                           for r in range(rows))
        vectors, expected = [], []
        for n in range(w.shape[0]):
            if not np.any(w[n]):
                continue
            per_row = []
            for r in range(rows):
                seg = w[n, r * ch:(r + 1) * ch]
                per_row.append(_nm_cell(cell, seg, rng, f"channel {n}, row {r}") if cell.kind == "nm"
                               else (tuple(int(v) for v in seg), ()))
            vectors.append(tuple(per_row))
            expected.append(tuple(reference_dot(w[n], a[c], accb) for c in range(cols)))
        return SysFold(stationary, ((0, 0),) * rows, tuple(vectors), tuple(expected))
    if cfg.kind != "block":
        raise AccelsimInputError("sys_fold_from_matrix builds IS folds and block WS folds; "
                                 "use accelsim.rtl.stimulus.fold_from_matrix for dense/N:M WS")
    chunks = _block_chunks(cfg, wmat, stored_blocks)
    if len(chunks) > rows or wmat.shape[0] > cols or amat.shape[1] != k or k > cfg.window_words:
        raise AccelsimInputError(f"weights {wmat.shape} / activations {amat.shape} do not fit one "
                                 f"block WS fold ({len(chunks)} stored chunks of {cfg.lanes} for "
                                 f"{rows} rows, K <= {cfg.window_words})")
    return _block_fold(cfg, rows, cols, wmat, amat, chunks, rng)


def _block_chunks(cfg: PEConfig, wmat, stored_blocks) -> list[tuple[int, int]]:
    """``(block column, offset)`` of every ``lanes``-chunk of the block columns some column stores."""
    if stored_blocks is None:
        stored_blocks = [stored_blocks_of(cfg, row) for row in wmat]
    union = sorted(set().union(*[set(s) for s in stored_blocks])) if len(stored_blocks) else []
    return [(b, off) for b in union for off in range(0, cfg.block_cols, cfg.lanes)]


def _block_fold(cfg, rows, cols, wmat, amat, chunks, rng) -> SysFold:
    lanes, cb, accb = cfg.lanes, cfg.block_cols, cfg.accumulator_bits
    win = cfg.window_words
    w, a = _pad2(wmat, cols, win), _pad2(amat, amat.shape[0], win)
    bidx, stationary, positions = [], [], []
    for r in range(rows):
        if r < len(chunks):
            b, off = chunks[r]
            pos = [b * cb + off + j for j in range(lanes)]
            bidx.append((b, off))
            positions += pos
            stationary.append(tuple((tuple(int(w[c, p]) for p in pos), ()) for c in range(cols)))
        else:   # unused row: zero weights, any block column and offset
            bidx.append((int(rng.integers(0, 1 << cfg.index_bits)), int(rng.integers(0, cb - lanes + 1))))
            stationary.append(tuple(((0,) * lanes, ()) for _ in range(cols)))
    vectors = tuple(tuple(int(v) for v in a[i]) for i in range(a.shape[0]))
    # the fold's partial sums over the positions it maps, with Python integers
    expected = tuple(tuple(reference_dot([w[c, p] for p in positions], [a[i, p] for p in positions], accb)
                           for c in range(cols)) for i in range(a.shape[0]))
    return SysFold(tuple(stationary), tuple(bidx), vectors, expected)


def block_ws_folds(cfg: PEConfig, rows: int, cols: int, wmat, amat, rng=None, stored_blocks=None):
    """All block WS folds of a tile with ``K <= window_words``: its stored chunks, ``rows`` per fold.

    Block columns that no column of the tile stores are never mapped: that is
    the array's block skipping; the fold count is
    ``ceil(stored block columns * block_cols / lanes / rows)``.
    """
    check_array(cfg, "ws", rows, cols)
    rng = rng or np.random.default_rng(0)
    wmat, amat = np.asarray(wmat, dtype=np.int64), np.asarray(amat, dtype=np.int64)
    chunks = _block_chunks(cfg, wmat, stored_blocks)
    return [_block_fold(cfg, rows, cols, wmat, amat, chunks[f:f + rows], rng)
            for f in range(0, max(len(chunks), 1), rows)]


def random_sys_trials(cfg: PEConfig, dataflow: str, rows: int, cols: int, trials: int,
                      seed: int = 0, *, max_vectors: int = 6) -> list[SysFold]:
    """Seeded random IS or block WS folds (random densities, full-range operands)."""
    rng = np.random.default_rng(seed)
    cell = array_cell_config(cfg, dataflow)
    folds = []
    for _ in range(trials):
        if dataflow == "is":
            k = rows * _chunk(cell)
            nvec = int(rng.integers(1, max_vectors + 1))
            wm = np.array([_random_row(cfg, rng, k)[0] for _ in range(nvec)])
            if not wm.any():
                wm[0, int(rng.integers(0, k))] = 1
            am = random_operand(rng, cfg.activation_bits, (cols, k), zero_fraction=0.3)
            folds.append(sys_fold_from_matrix(cfg, "is", rows, cols, wm, am, rng))
            continue
        cb = cfg.block_cols
        per_fold = max(1, rows * cfg.lanes // cb)          # block columns that fit one fold
        nblocks = int(rng.integers(1, min(cfg.window_words // cb, 3 * per_fold + 1) + 1))
        k = nblocks * cb
        rows_w, stored = [], []
        for _ in range(cols):
            w, s_ = _random_row(cfg, rng, k)
            rows_w.append(w)
            stored.append(s_)
        wm = np.array(rows_w)
        am = random_operand(rng, cfg.activation_bits, (int(rng.integers(1, max_vectors + 1)), k),
                            zero_fraction=0.3)
        folds.extend(block_ws_folds(cfg, rows, cols, wm, am, rng, stored_blocks=stored))
    return folds[:trials]


def random_array_stimulus(cfg: PEConfig, dataflow: str, rows: int, cols: int, trials: int,
                          seed: int = 0) -> list:
    """Random trials for any array top (dense/N:M WS: :func:`accelsim.rtl.stimulus.random_array_trials`)."""
    if dataflow == "os":
        return random_os_trials(cfg, rows, cols, trials, seed)
    if dataflow == "is" or cfg.kind == "block":
        return random_sys_trials(cfg, dataflow, rows, cols, trials, seed)
    from accelsim.rtl.stimulus import random_array_trials
    return random_array_trials(cfg, rows, cols, trials, seed)


# --------------------------------------------------------------------------- full-width directed
def _extremes(bits: int) -> tuple[int, int]:
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def _long_k(cfg: PEConfig, wrap: bool) -> int:
    """Reduction length whose max-magnitude sum crosses ``2**24`` (or wraps the accumulator)."""
    prod = 1 << (cfg.weight_bits + cfg.activation_bits - 2)
    target = (1 << (cfg.accumulator_bits - 1)) if wrap else (1 << 24)
    k = target // prod + 2
    if cfg.kind == "nm":                 # N of every M weights are kept
        k = -(-k * cfg.m // cfg.n)
    return max(k, 4)


def _directed_rows(cfg: PEConfig, k: int):
    """(weight row, activation row) pairs: both signs at full magnitude, and -1 activations."""
    wlo, whi = _extremes(cfg.weight_bits)
    alo, ahi = _extremes(cfg.activation_bits)
    pos = np.arange(k)
    cases = [(np.full(k, wlo), np.full(k, alo)),                 # largest positive sum
             (np.full(k, wlo), np.full(k, ahi)),                 # largest negative sum
             (np.where(pos % 2, whi, wlo), np.full(k, -1)),      # -1 activations: signed, not 255
             (np.full(k, whi), np.where(pos % 3, alo, -1))]
    out = []
    for w, a in cases:
        w = w.astype(np.int64).copy()
        if cfg.kind == "nm":                                     # keep N of every M
            w[(pos % cfg.m) >= cfg.n] = 0
        out.append((w, a.astype(np.int64)))
    return out


def full_width_pe_trials(cfg: PEConfig, *, wrap: bool = False) -> list:
    """Directed PE trials: max-magnitude operands, reductions crossing ``2**24`` (``wrap``: the accumulator range)."""
    k = _long_k(cfg, wrap)
    rng = np.random.default_rng(1)
    return [[job_from_row(cfg, w, a, rng)] for w, a in _directed_rows(cfg, k)]


def full_width_array_trials(cfg: PEConfig, dataflow: str, rows: int, cols: int, *,
                            wrap: bool = False) -> list:
    """Directed array trials at full magnitude.

    OS tiles accumulate over time, so they get the long reductions of
    :func:`full_width_pe_trials`. A WS/IS fold sums ``rows`` cells per output,
    so its directed folds fill every cell with extremes of both signs (and -1
    activations); with 8-bit operands a fold's sum stays below ``2**23`` unless
    ``rows * lanes >= 512`` (docs/rtl.md, "Full-width stimulus").
    """
    rng = np.random.default_rng(2)
    if dataflow == "os":
        k = _long_k(cfg, wrap)
        tiles = []
        for w, a in _directed_rows(cfg, k):
            wm = np.tile(w, (cols, 1))
            am = np.tile(a, (rows, 1))
            am[1::2] = np.clip(-am[1::2], *_extremes(cfg.activation_bits))   # both signs across rows
            tiles.append([os_tile_from_matrix(cfg, rows, cols, wm, am, rng)])
        return tiles
    cell = array_cell_config(cfg, dataflow)
    if dataflow == "ws" and cfg.kind != "block":
        from accelsim.rtl.stimulus import fold_from_matrix
        k = rows * _chunk(cell)
        return [fold_from_matrix(cfg, rows, cols, np.tile(w, (cols, 1)), np.tile(a, (3, 1)), rng)
                for w, a in _directed_rows(cfg, k)]
    if dataflow == "is":
        k = rows * _chunk(cell)
        return [sys_fold_from_matrix(cfg, "is", rows, cols, np.tile(w, (3, 1)), np.tile(a, (cols, 1)), rng)
                for w, a in _directed_rows(cfg, k)]
    k = -(-rows * cfg.lanes // cfg.block_cols) * cfg.block_cols
    return [f for w, a in _directed_rows(cfg, k)
            for f in block_ws_folds(cfg, rows, cols, np.tile(w, (cols, 1)), np.tile(a, (3, 1)), rng)]
