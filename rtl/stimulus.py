"""Seeded stimulus for the PE and the array: random streams for every mode and real pruned layers.

A PE *job* is one output: the events to stream (activation-window writes and
beats) plus the expected result computed independently of the PE model, from
the dense weight row and activation vector with Python integers. An array
*fold* is one set of stationary weights plus the input vectors streamed
through it, with expected output vectors computed the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.errors import AccelsimInputError
from accelsim.sim.pe_model import ARRAY_KINDS, Beat, PEConfig, pe_beats, wrap_signed

__all__ = ["WindowWrite", "Job", "Fold", "job_from_row", "random_pe_trials", "random_array_trials",
           "fold_from_matrix", "layer_pe_jobs", "layer_array_folds", "resnet18_layer_streams",
           "random_operand", "reference_dot"]


@dataclass(frozen=True)
class WindowWrite:
    """Write ``value`` to activation-window word ``addr`` (one cycle)."""

    addr: int
    value: int


@dataclass(frozen=True)
class Job:
    """One output of a PE: events in stream order, the expected result and the contract beat count."""

    events: tuple
    expected: int
    beats: int

    @property
    def stream_beats(self) -> int:
        """Beats actually streamed (includes the empty beat of a zero-beat output)."""
        return sum(isinstance(e, Beat) for e in self.events)


@dataclass(frozen=True)
class Fold:
    """One fold of the array: ``weights[r][c] = (weights, indices)``, input vectors and expected outputs."""

    weights: tuple
    vectors: tuple
    expected: tuple


def reference_dot(weights, acts, bits: int) -> int:
    """Independent reference: wrap(sum(w*a)) with Python integers."""
    return wrap_signed(sum(int(w) * int(a) for w, a in zip(weights, acts)), bits)


def random_operand(rng: np.random.Generator, bits: int, size, zero_fraction: float = 0.0) -> np.ndarray:
    """Uniform signed ``bits``-wide integers (extremes included) with a fraction of zeros."""
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    vals = rng.integers(lo, hi, size=size, endpoint=True, dtype=np.int64)
    # make the extremes common: they catch sign-extension and wrap bugs
    pick = rng.random(size) < 0.1
    vals[pick] = np.where(rng.random(int(pick.sum())) < 0.5, lo, hi)
    if zero_fraction:
        vals[rng.random(size) < zero_fraction] = 0
    return vals


def _garbage_index(cfg: PEConfig, rng) -> int:
    return int(rng.integers(0, 1 << min(cfg.index_bits, 30)))


def _check_range(what: str, values, bits: int) -> None:
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if values and (min(values) < lo or max(values) > hi):
        raise AccelsimInputError(f"{what} values out of the {bits}-bit signed range",
                                 hint=f"got {min(values)}..{max(values)}; allowed {lo}..{hi} "
                                      "(quantize them first)")


def job_from_row(cfg: PEConfig, wrow, avec, rng: np.random.Generator, stored_blocks=None) -> Job:
    """Encode one output (dense weight row ``wrow`` and activations ``avec``) as PE events.

    ``stored_blocks`` (block mode) lists the block columns stored for this row's
    block row (default: the blocks where this row is nonzero). Unused lanes carry
    zero weights and random indices; the expected value comes from
    :func:`reference_dot`.
    """
    wrow = [int(v) for v in wrow]
    avec = [int(v) for v in avec]
    k = len(wrow)
    _check_range("weight", wrow, cfg.weight_bits)
    _check_range("activation", avec, cfg.activation_bits)
    if len(avec) != k:
        raise AccelsimInputError(f"weight row has {k} elements but the activation vector {len(avec)}")
    expected = reference_dot(wrow, avec, cfg.accumulator_bits)
    lanes = cfg.lanes
    events = []
    if cfg.kind == "dense":
        for s in range(0, k, lanes):
            w = wrow[s:s + lanes] + [0] * max(0, s + lanes - k)
            a = avec[s:s + lanes] + [0] * max(0, s + lanes - k)
            events.append(Beat(tuple(w), acts=tuple(a)))
        beats = pe_beats("dense", lanes=lanes, k=k)
    elif cfg.kind == "nm":
        mm = cfg.m
        for g in range(0, k, mm):
            wg = wrow[g:g + mm] + [0] * max(0, g + mm - k)
            ag = avec[g:g + mm] + [0] * max(0, g + mm - k)
            nz = [j for j, v in enumerate(wg) if v]
            if len(nz) > cfg.n:
                raise AccelsimInputError(
                    f"weight row is not {cfg.n}:{mm} sparse: group at column {g} has {len(nz)} "
                    f"nonzeros", hint=f'prune it first, e.g. accelsim.prune.prune(w, "nm:{cfg.n}:{mm}")')
            w = [wg[j] for j in nz] + [0] * (cfg.n - len(nz))
            idx = nz + [_garbage_index(cfg, rng) for _ in range(cfg.n - len(nz))]
            events.append(Beat(tuple(w), indices=tuple(idx), acts=tuple(ag)))
        beats = pe_beats("nm", lanes=lanes, k=k, m=mm)
    elif cfg.kind == "unstructured":
        win = cfg.window_words
        nnz = 0
        for base in range(0, k, win):
            cols = [j for j in range(base, min(k, base + win)) if wrow[j]]
            nnz += len(cols)
            events.extend(WindowWrite(j - base, avec[j]) for j in cols)
            for s in range(0, len(cols), lanes):
                chunk = cols[s:s + lanes]
                w = [wrow[j] for j in chunk] + [0] * (lanes - len(chunk))
                idx = [j - base for j in chunk] + [_garbage_index(cfg, rng)
                                                   for _ in range(lanes - len(chunk))]
                events.append(Beat(tuple(w), indices=tuple(idx)))
        beats = pe_beats("unstructured", lanes=lanes, nnz=nnz)
    else:
        c = cfg.block_cols
        nblocks = -(-k // c)
        if stored_blocks is None:
            stored_blocks = [b for b in range(nblocks) if any(wrow[b * c:(b + 1) * c])]
        per_window = 1 << cfg.index_bits
        wpad = wrow + [0] * (nblocks * c - k)
        apad = avec + [0] * (nblocks * c - k)
        stored = sorted(stored_blocks)
        for i, b in enumerate(stored):
            local = b % per_window
            if i == 0 or b // per_window != stored[i - 1] // per_window:
                # load every stored block of this window segment before its beats
                for bb in stored:
                    if bb // per_window == b // per_window:
                        events.extend(WindowWrite((bb % per_window) * c + j, apad[bb * c + j])
                                      for j in range(c))
            for sub in range(cfg.beats_per_block):
                w = []
                for j in range(lanes):
                    off = sub * lanes + j
                    # lanes past the block width are masked by the PE: send garbage
                    half = 1 << (cfg.weight_bits - 1)
                    w.append(wpad[b * c + off] if off < c else int(rng.integers(-half, half)))
                events.append(Beat(tuple(w), indices=(local,), sub=sub))
        beats = pe_beats("block", lanes=lanes, nonzero_blocks=len(stored_blocks), block_cols=c)
    if not any(isinstance(e, Beat) for e in events):
        idx = tuple(_garbage_index(cfg, rng) for _ in range(cfg.indices_per_beat))
        sub = int(rng.integers(0, 1 << cfg.sub_bits)) if cfg.kind == "block" else 0
        events.append(Beat((0,) * lanes, indices=idx, sub=sub))
    last = max(i for i, e in enumerate(events) if isinstance(e, Beat))
    b = events[last]
    events[last] = Beat(b.weights, b.indices, b.acts, b.sub, last=True)
    return Job(tuple(events), expected, int(beats))


# --------------------------------------------------------------------------- random PE streams
def _default_max_k(cfg: PEConfig) -> int:
    if cfg.kind == "dense":
        return 12 * cfg.lanes + 4
    if cfg.kind == "nm":
        return 10 * cfg.m
    if cfg.kind == "unstructured":
        return min(2 * cfg.window_words + 8, 96)
    return cfg.block_cols * min(2 * (1 << cfg.index_bits) + 2, 24)


def _random_row(cfg: PEConfig, rng, k: int):
    """A random weight row of length ``k`` obeying the PE's sparsity, and its stored blocks."""
    density = float(rng.choice([0.0, 0.15, 0.5, 0.85, 1.0]))
    w = random_operand(rng, cfg.weight_bits, k)
    stored = None
    if cfg.kind == "nm":
        for g in range(0, k, cfg.m):
            size = min(cfg.m, k - g)
            keep = int(rng.integers(0, min(cfg.n, size) + 1)) if density < 1.0 else min(cfg.n, size)
            mask = np.zeros(size, dtype=bool)
            mask[rng.choice(size, keep, replace=False)] = True
            w[g:g + size][~mask] = 0
    elif cfg.kind == "block":
        c = cfg.block_cols
        nblocks = -(-k // c)
        stored = [b for b in range(nblocks) if rng.random() < density]
        mask = np.zeros(k, dtype=bool)
        for b in stored:
            mask[b * c:(b + 1) * c] = True
        w[~mask] = 0
        w[rng.random(k) < 0.2] = 0     # zeros inside stored blocks are streamed as zeros
    else:
        w[rng.random(k) >= density] = 0
    return w, stored


def random_pe_trials(cfg: PEConfig, trials: int, seed: int = 0, *, max_outputs: int = 4,
                     max_k: int | None = None) -> list[list[Job]]:
    """Seeded random PE trials: each trial is 1..``max_outputs`` jobs of random length.

    Weights use the full signed range (extremes are frequent) with random
    densities, including all-zero rows; activations are ~30% zeros.
    """
    rng = np.random.default_rng(seed)
    max_k = max_k or _default_max_k(cfg)
    out = []
    for _ in range(trials):
        jobs = []
        for _ in range(int(rng.integers(1, max_outputs + 1))):
            k = int(rng.integers(1, max_k + 1))
            w, stored = _random_row(cfg, rng, k)
            a = random_operand(rng, cfg.activation_bits, k, zero_fraction=0.3)
            jobs.append(job_from_row(cfg, w, a, rng, stored_blocks=stored))
        out.append(jobs)
    return out


# --------------------------------------------------------------------------- array folds
def _cell_chunk(cfg: PEConfig) -> int:
    return cfg.m if cfg.kind == "nm" else cfg.lanes


def _check_array_kind(cfg: PEConfig) -> None:
    if cfg.kind not in ARRAY_KINDS:
        raise AccelsimInputError("no array top for this PE",
                                 hint=f"the weight-stationary array supports {', '.join(ARRAY_KINDS)}; "
                                      f"got {cfg.kind!r}")


def fold_from_matrix(cfg: PEConfig, rows: int, cols: int, wmat, amat, rng=None) -> Fold:
    """Map a dense weight tile onto the array.

    ``wmat`` is ``(cols, K)`` (one output column per row, ``K <= rows * chunk``
    with ``chunk = M`` for N:M, else ``lanes``) and ``amat`` is ``(V, K)``; the
    expected outputs are ``wrap(amat @ wmat.T)`` computed with Python integers.
    """
    _check_array_kind(cfg)
    rng = rng or np.random.default_rng(0)
    chunk = _cell_chunk(cfg)
    wmat = np.asarray(wmat, dtype=np.int64)
    amat = np.asarray(amat, dtype=np.int64)
    k = wmat.shape[1]
    if wmat.shape[0] > cols or k > rows * chunk or amat.shape[1] != k:
        raise AccelsimInputError(f"tile {wmat.shape} / vectors {amat.shape} do not fit a "
                                 f"{rows}x{cols} array with {chunk} reduction elements per cell")
    wpad = np.zeros((cols, rows * chunk), dtype=np.int64)
    wpad[:wmat.shape[0], :k] = wmat
    apad = np.zeros((amat.shape[0], rows * chunk), dtype=np.int64)
    apad[:, :k] = amat
    weights = []
    for r in range(rows):
        row = []
        for c in range(cols):
            seg = [int(v) for v in wpad[c, r * chunk:(r + 1) * chunk]]
            if cfg.kind == "nm":
                nz = [j for j, v in enumerate(seg) if v]
                if len(nz) > cfg.n:
                    raise AccelsimInputError(f"weight tile is not {cfg.n}:{cfg.m} sparse "
                                             f"(cell {r},{c} has {len(nz)} nonzeros)")
                idx = nz + [_garbage_index(cfg, rng) for _ in range(cfg.n - len(nz))]
                row.append((tuple(seg[j] for j in nz) + (0,) * (cfg.n - len(nz)), tuple(idx)))
            else:
                row.append((tuple(seg), ()))
        weights.append(tuple(row))
    vectors = tuple(tuple(tuple(int(v) for v in apad[i, r * chunk:(r + 1) * chunk])
                          for r in range(rows)) for i in range(apad.shape[0]))
    expected = tuple(tuple(reference_dot(wpad[c], apad[i], cfg.accumulator_bits) for c in range(cols))
                     for i in range(apad.shape[0]))
    return Fold(tuple(weights), vectors, expected)


def _nm_dense_equivalent(cfg: PEConfig, weights, indices) -> list[int]:
    dense = [0] * cfg.m
    for w, i in zip(weights, indices):
        if i < cfg.m:
            dense[i] += w
    return dense


def random_array_trials(cfg: PEConfig, rows: int, cols: int, trials: int, seed: int = 0, *,
                        max_vectors: int = 6) -> list[Fold]:
    """Seeded random folds: random stationary weights (N:M indices random, repeats allowed) and vectors.

    Expected outputs use the dense equivalent of each cell (N:M: weights
    scattered to their indices, an index ``>= M`` dropped) and Python integers.
    """
    _check_array_kind(cfg)
    rng = np.random.default_rng(seed)
    chunk = _cell_chunk(cfg)
    folds = []
    for _ in range(trials):
        zf = float(rng.choice([0.0, 0.3, 0.7, 1.0]))
        weights, dense = [], np.zeros((cols, rows * chunk), dtype=object)
        for r in range(rows):
            row = []
            for c in range(cols):
                w = [int(v) for v in random_operand(rng, cfg.weight_bits, cfg.lanes, zf)]
                if cfg.kind == "nm":
                    idx = [_garbage_index(cfg, rng) for _ in range(cfg.n)]
                    dense[c, r * chunk:(r + 1) * chunk] = _nm_dense_equivalent(cfg, w, idx)
                else:
                    idx = []
                    dense[c, r * chunk:(r + 1) * chunk] = w
                row.append((tuple(w), tuple(idx)))
            weights.append(tuple(row))
        nvec = int(rng.integers(1, max_vectors + 1))
        acts = random_operand(rng, cfg.activation_bits, (nvec, rows * chunk), zero_fraction=0.3)
        vectors = tuple(tuple(tuple(int(v) for v in acts[i, r * chunk:(r + 1) * chunk])
                              for r in range(rows)) for i in range(nvec))
        expected = tuple(tuple(reference_dot(dense[c], acts[i], cfg.accumulator_bits)
                               for c in range(cols)) for i in range(nvec))
        folds.append(Fold(tuple(weights), vectors, expected))
    return folds


# --------------------------------------------------------------------------- real layers
def layer_pe_jobs(cfg: PEConfig, wmat, amat, pairs, seed: int = 0) -> list[Job]:
    """PE jobs for ``(vector, output_channel)`` pairs of a pruned, quantized layer.

    ``wmat`` is ``(N, K)`` integer weights (one row per output channel), ``amat``
    ``(V, K)`` integer activations (im2col rows). Block mode stores the blocks of
    the row's block row that are nonzero anywhere in the block.
    """
    rng = np.random.default_rng(seed)
    wmat = np.asarray(wmat, dtype=np.int64)
    jobs = []
    for v, n in pairs:
        stored = None
        if cfg.kind == "block":
            r0 = (n // cfg.block_rows) * cfg.block_rows
            band = wmat[r0:r0 + cfg.block_rows]
            c = cfg.block_cols
            nb = -(-wmat.shape[1] // c)
            stored = [b for b in range(nb) if np.any(band[:, b * c:(b + 1) * c])]
        jobs.append(job_from_row(cfg, wmat[n], amat[v], rng, stored_blocks=stored))
    return jobs


def layer_array_folds(cfg: PEConfig, rows: int, cols: int, wmat, amat, *, max_folds: int = 2) -> list[Fold]:
    """The first ``max_folds`` folds (reduction chunks x output-column tiles) of a layer on the array."""
    wmat = np.asarray(wmat, dtype=np.int64)
    span = rows * _cell_chunk(cfg)
    folds = []
    for n0 in range(0, wmat.shape[0], cols):
        for k0 in range(0, wmat.shape[1], span):
            if len(folds) == max_folds:
                return folds
            folds.append(fold_from_matrix(cfg, rows, cols, wmat[n0:n0 + cols, k0:k0 + span],
                                          np.asarray(amat)[:, k0:k0 + span]))
    return folds


def _quantize(x: np.ndarray, bits: int) -> np.ndarray:
    qmax = (1 << (bits - 1)) - 1
    scale = float(np.max(np.abs(x))) / qmax if np.any(x) else 1.0
    return np.clip(np.rint(x / scale), -qmax, qmax).astype(np.int64)


def _inline_prune(w: np.ndarray, scheme: str) -> np.ndarray:
    """Fallback pruning with NumPy when ``accelsim.prune`` is unavailable."""
    w = w.copy()
    if scheme.startswith("nm:"):
        n, m = (int(v) for v in scheme.split(":")[1:3])
        g = w.reshape(w.shape[0], -1, m)
        order = np.argsort(-np.abs(g), axis=2, kind="stable")
        np.put_along_axis(g, order[:, :, n:], 0.0, axis=2)
        return g.reshape(w.shape)
    sparsity = float(scheme.split(":")[1])
    thresh = np.quantile(np.abs(w), sparsity)
    w[np.abs(w) <= thresh] = 0.0
    return w


def resnet18_layer_streams(scheme: str, *, layer: str = "layer1.0.conv1", vectors: int = 4,
                           weight_bits: int = 8, activation_bits: int = 8, seed: int = 0):
    """A pruned, quantized ResNet-18 layer and im2col activations of a seeded random input.

    Uses ``accelsim.workload.loaders.load_workload("resnet18")`` and
    ``accelsim.prune.prune(layer, scheme)`` when available (else a seeded
    weight of layer1.0.conv1's shape, 64x64x3x3, pruned with NumPy).
    ``scheme`` is ``"nm:2:4"`` or ``"unstructured:0.8"``.

    Returns
    -------
    (wmat, amat, name) : (ndarray (N, K), ndarray (vectors, K), str)
    """
    rng = np.random.default_rng(seed)
    try:
        from accelsim.prune import prune
        from accelsim.workload.loaders import load_workload
        lay = next(l for l in load_workload("resnet18").layers if l.name == layer)
        pruned = prune(lay, scheme)
        w4 = np.asarray(pruned.weight, dtype=np.float64)
        conv = lay.conv
        pad, stride = conv.pad_h, conv.stride_h
        in_h = conv.in_h
        source = "accelsim.workload resnet18 + accelsim.prune"
    except ImportError:   # pragma: no cover - only before the workload/prune packages existed
        w4 = rng.standard_normal((64, 64, 3, 3))
        w4 = _inline_prune(w4.reshape(64, -1), scheme).reshape(w4.shape)
        pad, stride, in_h = 1, 1, 56
        source = "seeded synthetic weight + numpy pruning"
    kout, cin, kh, kw = w4.shape
    wmat = _quantize(w4.reshape(kout, -1), weight_bits)
    # post-ReLU style input: non-negative, about half zeros
    x = rng.integers(0, 1 << (activation_bits - 1), size=(cin, in_h, in_h))
    x[rng.random(x.shape) < 0.5] = 0
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    out_h = (in_h + 2 * pad - kh) // stride + 1
    amat = np.zeros((vectors, cin * kh * kw), dtype=np.int64)
    for i in range(vectors):
        p = int(rng.integers(0, out_h * out_h))
        y, xx = divmod(p, out_h)
        amat[i] = xp[:, y * stride:y * stride + kh, xx * stride:xx * stride + kw].reshape(-1)
    return wmat, amat, f"resnet18.{layer} {scheme} ({source})"
