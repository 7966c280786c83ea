"""Verify the RTL on a real layer: its pruned weights and realistic activations, fold by fold.

``verify_layer(arch, workload, layer, ...)`` maps the layer's GEMM onto the
array top the way the weight-stationary dataflow does (a fold holds
``cols`` output channels x ``rows * chunk`` reduction elements; ``chunk`` is M
for N:M cells, else the lanes) and checks it in one of two ways:

* **sample** (default): the first ``sample_folds`` folds with the first
  ``sample_vectors`` input vectors, through the cycle-by-cycle Python model
  and random bubbles/back-pressure (:func:`accelsim.rtl.verify.verify_jobs`);
  Amaranth simulator or Verilator.
* **whole layer**: every fold with every input vector, through a fast
  Numba reference and Verilator, in batches of folds, with the bubble /
  back-pressure patterns of :data:`~accelsim.rtl.trace.DEFAULT_PATTERNS`
  cycled over the folds (every fourth runs flat out). WS: through
  :mod:`accelsim.rtl.fast_array`; every output port is compared in every
  cycle (``a_ready``, ``o_valid``, block arrays ``a_addr``; ``o_data`` when
  valid); the output vectors the RTL delivers (``o_valid`` and ``o_ready``)
  are summed over the reduction folds (two's-complement wrap) and the
  assembled layer output must equal the simulator's functional output bit
  for bit; the cycles are the model's (RTL = model in every cycle) and the
  folds driven flat out must last the fold formula ``2*rows + cols + V - 1``.
  OS and IS arrays (:func:`accelsim.rtl.fast_layer.whole_layer_os` /
  ``whole_layer_is``) run the same way (IS: the same flat-out check).

PE-only architectures (no array top) are checked on their PE: sample mode
streams ``(vector, channel)`` outputs of the layer; whole-layer mode is
refused with the reason.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import numpy as np

from accelsim.errors import AccelsimInputError, Problem
from accelsim.sim.pe_model import ARRAY_KINDS, PEConfig, array_fold_cycles

__all__ = ["LayerVerifyResult", "verify_layer", "parse_shape", "layer_fold_batches"]

_BATCH_CYCLES = 400_000
"""Folds are run in batches of about this many cycles (bounds memory; one Verilator run each)."""


@dataclass(frozen=True)
class LayerVerifyResult:
    """Outcome of :func:`verify_layer`.

    Attributes
    ----------
    arch, layer, workload : str
    top : str
        Verilog module checked.
    kind : {"array", "pe"}
    shape : (rows, cols) or None
        Array cells verified (None for a PE).
    full_shape : (rows, cols) or None
        The arch's full array top shape in cells.
    mode : {"whole-layer", "sample"}
    folds, total_folds : int
        Folds run, and folds of the whole layer on this shape (PE: outputs).
    vectors : int
        Input vectors per fold run (IS: the most channel vectors a fold streams;
        OS: the pixels of a tile).
    cycles : int
        Cycles simulated (RTL and model).
    model_cycles, formula_cycles, rtl_cycles : int
        Whole layer: the model's cycles; ``sum(2*rows + cols + V - 1)`` over the
        folds, or 0 where bubbles and back-pressure make the cycles the model's
        (every whole-layer run now: the flat-out folds are checked against the
        formula instead, see ``flat_folds``); the RTL's (per fold, from its
        first cycle to its last output vector taken).
    outputs_checked : int
        Layer output elements compared with the functional output (whole layer).
    ok : bool
    message : str
        The first mismatch, or "".
    seconds, build_seconds, sim_seconds, model_seconds : float
    prune, weight_source, simulator : str
    dataflow : str
        The array's dataflow (``os`` trials are tiles of rows pixels x cols channels).
    flat_folds : int
        Whole layer, WS and IS: folds driven flat out (no bubbles, ``o_ready``
        high; every fourth), each of which lasted the formula's
        ``2*rows + cols + V - 1`` cycles (the run fails otherwise).
    """

    arch: str
    layer: str
    workload: str
    top: str
    kind: str
    shape: tuple | None
    full_shape: tuple | None
    mode: str
    folds: int
    total_folds: int
    vectors: int
    cycles: int
    model_cycles: int
    formula_cycles: int
    rtl_cycles: int
    outputs_checked: int
    ok: bool
    message: str
    seconds: float
    build_seconds: float
    sim_seconds: float
    model_seconds: float
    prune: str
    weight_source: str
    simulator: str
    dataflow: str = "ws"
    flat_folds: int = 0

    def summary(self) -> str:
        """What was verified, in a few lines."""
        if self.kind == "array":
            full = " (the arch's full size)" if self.shape == self.full_shape else \
                f" (the arch's full array is {self.full_shape[0]}x{self.full_shape[1]} cells)"
            what = f"{self.shape[0]}x{self.shape[1]}-cell array top {self.top}{full}"
        else:
            what = f"PE top {self.top}"
        of = f" of {self.total_folds:,}" if self.total_folds else ""
        if self.kind != "array":
            unit = f"{self.folds:,}{of} outputs"
        elif self.dataflow == "os":
            unit = f"{self.folds:,}{of} tiles of {self.shape[0]} pixels x {self.shape[1]} channels"
        elif self.dataflow == "is":
            unit = (f"{self.folds:,}{of} folds of {self.shape[1]} pixels x up to {self.vectors:,} "
                    "channel vectors")
        else:
            unit = f"{self.folds:,}{of} folds x {self.vectors:,} vectors"
        lines = [f"verify {self.arch}: {self.workload} layer {self.layer}, pruning "
                 f"{self.prune}, {self.weight_source}",
                 f"  {what} on {self.simulator}",
                 f"  {self.mode}: {unit}, "
                 f"{self.cycles:,} cycles in {self.seconds:.1f} s (Verilator build "
                 f"{self.build_seconds:.1f} s, RTL simulation {self.sim_seconds:.1f} s, "
                 f"model {self.model_seconds:.1f} s)"]
        if self.mode == "whole-layer":
            ref = f"fast {self.dataflow.upper()} reference"
            lines.append(f"  RTL = model in every cycle (random bubbles and back-pressure, {ref}); "
                         f"{self.outputs_checked:,} outputs equal the simulator's "
                         "functional output" if self.ok else f"  {self.cycles:,} cycles compared")
            if self.ok and self.flat_folds:
                lines.append(f"  the {self.flat_folds:,} folds driven flat out lasted "
                             "2*rows + cols + V - 1 cycles each (the fold formula)")
        lines.append("PASS" if self.ok else f"FAIL: {self.message}")
        return "\n".join(lines)


def parse_shape(text, arch) -> tuple[int, int]:
    """``"full"`` -> the arch's array top shape in cells; ``"RxC"`` -> ``(R, C)`` within it."""
    from accelsim.rtl.export import default_array_shape

    full = default_array_shape(arch)
    if text is None:
        return min(full[0], 4), min(full[1], 4)
    if isinstance(text, tuple):
        rows, cols = text
    else:
        t = str(text).strip().lower()
        if t == "full":
            return full
        parts = t.split("x")
        if len(parts) != 2 or not all(re.fullmatch(r"[0-9]{1,9}", p.strip()) for p in parts):  # ASCII only
            raise AccelsimInputError("invalid array shape",
                                     [Problem("shape", text, "'full' or RxC in array cells, e.g. 4x4")])
        rows, cols = (int(p) for p in parts)
    if not (1 <= rows <= full[0] and 1 <= cols <= full[1]):
        raise AccelsimInputError("invalid array shape", [Problem(
            "shape", text, f"RxC with 1 <= R <= {full[0]} and 1 <= C <= {full[1]} "
                           f"(the {arch.name} array top has {full[0]}x{full[1]} cells), or 'full'")])
    return rows, cols


# --------------------------------------------------------------------------- folds
def _chunk(cell: PEConfig) -> int:
    return cell.m if cell.kind == "nm" else cell.lanes


def _nm_cells(w: np.ndarray, n: int, m: int, index_bits: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """``(..., M)`` dense groups -> ``(..., N)`` values and in-group indices (unused lanes: 0, random index)."""
    nz = w != 0
    count = nz.sum(axis=-1)
    if np.any(count > n):
        where = np.argwhere(count > n)[0]
        raise AccelsimInputError(f"weight is not {n}:{m} sparse: a group of {m} has "
                                 f"{int(count[tuple(where)])} nonzeros", hint=f"prune it with nm:{n}:{m}")
    order = np.argsort(~nz, axis=-1, kind="stable")[..., :n]
    vals = np.take_along_axis(w, order, axis=-1)
    keep = np.take_along_axis(nz, order, axis=-1)
    garbage = rng.integers(0, 1 << index_bits, size=order.shape)
    return np.where(keep, vals, 0), np.where(keep, order, garbage)


def layer_fold_batches(cfg: PEConfig, rows: int, cols: int, wmat, amat, *, seed: int = 0,
                       batch_cycles: int = _BATCH_CYCLES):
    """Yield ``(first_fold, ArrayFoldBatch, tiles)`` covering every fold of one GEMM.

    ``wmat`` is ``(N, K)``, ``amat`` ``(V, K)``. Folds are ordered by output tile,
    then reduction chunk; ``tiles[i] = (n_tile, k_chunk)`` of the batch's fold ``i``.
    """
    from accelsim.rtl.fast_array import ArrayFoldBatch
    from accelsim.sim.pe_model import WSArrayModel

    cell = WSArrayModel(cfg, rows, cols).cell_config
    if cfg.kind == "block":
        yield from _block_fold_batches(cfg, rows, cols, wmat, amat, seed=seed, batch_cycles=batch_cycles)
        return
    chunk = _chunk(cell)
    span = rows * chunk
    wmat = np.asarray(wmat, dtype=np.int64)
    amat = np.asarray(amat, dtype=np.int64)
    n_out, k = wmat.shape
    kc, nt = -(-k // span), -(-n_out // cols)
    wpad = np.zeros((nt * cols, kc * span), dtype=np.int64)
    wpad[:n_out, :k] = wmat
    apad = np.zeros((amat.shape[0], kc * span), dtype=np.int64)
    apad[:, :k] = amat
    acts = apad.reshape(amat.shape[0], kc, rows, chunk).transpose(1, 0, 2, 3)
    tiles_w = wpad.reshape(nt, cols, kc, rows, chunk).transpose(0, 2, 3, 1, 4)  # nt, kc, r, c, chunk
    rng = np.random.default_rng(seed)
    if cell.kind == "nm":
        wv, wi = _nm_cells(tiles_w, cell.n, cell.m, cell.index_bits, rng)
    else:
        wv, wi = tiles_w, np.zeros(tiles_w.shape[:-1] + (0,), dtype=np.int64)
    per_fold = array_fold_cycles(rows, cols, amat.shape[0])
    step = max(1, batch_cycles // per_fold)
    tiles = [(a, b) for a in range(nt) for b in range(kc)]
    wv = wv.reshape(nt * kc, rows, cols, -1)
    wi = wi.reshape(nt * kc, rows, cols, -1)
    for f0 in range(0, len(tiles), step):
        sel = tiles[f0:f0 + step]
        chunks = sorted({b for _, b in sel})
        pos = {b: i for i, b in enumerate(chunks)}
        batch = ArrayFoldBatch(np.ascontiguousarray(wv[f0:f0 + len(sel)]),
                               np.ascontiguousarray(wi[f0:f0 + len(sel)]),
                               np.ascontiguousarray(acts[chunks]),
                               np.array([pos[b] for _, b in sel], dtype=np.int64))
        yield f0, batch, sel


def _block_fold_batches(cfg: PEConfig, rows: int, cols: int, wmat, amat, *, seed: int, batch_cycles: int):
    """Block WS folds: per output tile and activation-window segment, only the stored block columns.

    A block column is mapped if some output channel of the tile has a nonzero
    in it (the block array's skipping); each maps ``block_cols / lanes`` array
    rows (``bidx``, ``boff``), ``rows`` per fold. ``tiles[i]`` is ``(n_tile, k)``
    with ``k`` counting the tile's folds.
    """
    from accelsim.rtl.fast_array import ArrayFoldBatch

    lanes, cb, win = cfg.lanes, cfg.block_cols, cfg.window_words
    wmat = np.asarray(wmat, dtype=np.int64)
    amat = np.asarray(amat, dtype=np.int64)
    n_out, k = wmat.shape
    nt = -(-n_out // cols)
    nseg = -(-k // win)
    wpad = np.zeros((nt * cols, nseg * win), dtype=np.int64)
    wpad[:n_out, :k] = wmat
    apad = np.zeros((amat.shape[0], nseg * win), dtype=np.int64)
    apad[:, :k] = amat
    rng = np.random.default_rng(seed)
    folds = []              # (tile, fold number, positions (rows, lanes), bidx (rows,), boff (rows,))
    for t in range(nt):
        tile = wpad[t * cols:(t + 1) * cols]
        count = 0
        for sgi in range(nseg):
            seg = tile[:, sgi * win:(sgi + 1) * win].reshape(cols, win // cb, cb)
            stored = np.flatnonzero(np.any(seg != 0, axis=(0, 2)))
            chunks = [(int(b), off) for b in stored for off in range(0, cb, lanes)]
            for f in range(0, len(chunks), rows):
                part = chunks[f:f + rows]
                pos = np.zeros((rows, lanes), dtype=np.int64)
                bidx = rng.integers(0, 1 << cfg.index_bits, size=rows)
                boff = rng.integers(0, cb - lanes + 1, size=rows)
                used = np.zeros(rows, dtype=bool)
                for r, (b, off) in enumerate(part):
                    bidx[r], boff[r], used[r] = b, off, True
                pos[:] = sgi * win + (bidx * cb + boff)[:, None] + np.arange(lanes)[None, :]
                folds.append((t, count, pos, used, bidx, boff))
                count += 1
    per_fold = array_fold_cycles(rows, cols, amat.shape[0])
    step = max(1, batch_cycles // per_fold)
    for f0 in range(0, len(folds), step):
        sel = folds[f0:f0 + step]
        wts = np.zeros((len(sel), rows, cols, lanes), dtype=np.int64)
        acts = np.zeros((len(sel), amat.shape[0], rows, lanes), dtype=np.int64)
        for i, (t, _, pos, used, _, _) in enumerate(sel):
            w = wpad[t * cols:(t + 1) * cols][:, pos]            # (cols, rows, lanes)
            wts[i] = np.where(used[None, :, None], w, 0).transpose(1, 0, 2)
            acts[i] = apad[:, np.minimum(pos, apad.shape[1] - 1)] * (pos < apad.shape[1])
        batch = ArrayFoldBatch(wts, np.zeros((len(sel), rows, cols, 0), dtype=np.int64), acts,
                               np.arange(len(sel), dtype=np.int64),
                               np.array([x[4] for x in sel], dtype=np.int64),
                               np.array([x[5] for x in sel], dtype=np.int64))
        yield f0, batch, [(t, c) for t, c, *_ in sel]


# --------------------------------------------------------------------------- whole layer
def _words_int(words) -> int:
    return sum(int(w) << (32 * i) for i, w in enumerate(words))


def _first_mismatch(trace, observed) -> tuple[int, str, int, int] | None:
    best = None
    for name in (n for n in trace.expected if n != "o_data"):
        diff = np.flatnonzero(np.any(trace.expected[name] != observed[name], axis=1))
        if diff.size and (best is None or diff[0] < best[0]):
            c = int(diff[0])
            best = (c, name, _words_int(trace.expected[name][c]), _words_int(observed[name][c]))
    vc = trace.valid_cycles
    exp, got = trace.expected["o_data"][vc], observed["o_data"][vc]
    diff = np.flatnonzero(np.any(exp != got, axis=1))
    if diff.size and (best is None or vc[diff[0]] < best[0]):
        c = int(vc[diff[0]])
        row = int(diff[0])
        best = (c, "o_data", _words_int(exp[row]), _words_int(got[row]))
    return best


def _whole_layer(arch, cfg, ops, rows, cols, module, seed, verilog_text):
    """Every WS fold of every group on Verilator, the :data:`~accelsim.rtl.trace.DEFAULT_PATTERNS` cycled."""
    from accelsim.rtl import verilator as vl
    from accelsim.rtl.export import Top, verilog_source
    from accelsim.rtl.fast_array import fold_batch_trace, unpack_words
    from accelsim.rtl.fast_layer import _output_mismatch
    from accelsim.rtl.trace import pattern_probabilities
    from accelsim.sim.pe_model import WSArrayModel
    from accelsim.sim.quantize import wrap_to_bits

    cell = WSArrayModel(cfg, rows, cols).cell_config
    text = verilog_text if verilog_text is not None else \
        verilog_source(Top("array", module, cfg, rows, cols))
    built = vl.build(text, module)
    accb = cell.accumulator_bits
    bubble, stall = pattern_probabilities()
    n_pat = bubble.size
    # batches of about _BATCH_CYCLES cycles: the patterns stretch folds by 1 / ((1 - b) (1 - s))
    stretch = float(np.mean(1.0 / ((1.0 - bubble) * (1.0 - stall))))
    n_per_group = ops.weight.shape[0] // ops.groups
    assembled = np.zeros_like(ops.output)
    cycles = folds = rtl_cycles = flat_folds = 0
    sim_s = model_s = 0.0
    message = ""
    vectors = ops.activations.shape[1]
    flat = array_fold_cycles(rows, cols, vectors)
    for g in range(ops.groups):
        wmat = ops.weight[g * n_per_group:(g + 1) * n_per_group]
        amat = ops.activations[g]
        out_g = np.zeros((vectors, -(-n_per_group // cols) * cols), dtype=np.int64)
        for f0, batch, tiles in layer_fold_batches(cfg, rows, cols, wmat, amat, seed=seed + g,
                                                   batch_cycles=int(_BATCH_CYCLES / stretch)):
            nf = len(tiles)
            pat = (folds + np.arange(nf)) % n_pat             # pattern of each fold, cycled over the layer
            tm = time.perf_counter()
            trace = fold_batch_trace(cfg, rows, cols, batch, seed=seed + g * 7919 + f0,
                                     bubble=np.roll(bubble, -(folds % n_pat)),
                                     stall=np.roll(stall, -(folds % n_pat)))
            model_s += time.perf_counter() - tm
            observed, secs = vl.run_words(built, trace.inputs)
            sim_s += secs
            ends = np.cumsum(trace.fold_cycles)
            starts = ends - trace.fold_cycles
            # the model: V outputs taken per fold, the last in the fold's last cycle; the folds
            # driven flat out last the formula's cycles
            taken = trace.taken_cycles
            is_flat = (bubble[pat] == 0) & (stall[pat] == 0)
            flat_folds += int(is_flat.sum())
            if taken.size != nf * vectors or \
                    not np.array_equal(taken.reshape(nf, vectors)[:, -1], ends - 1):
                message = message or "the array model's output timing differs from its fold ends"
            if np.any(trace.fold_cycles[is_flat] != flat):
                message = message or ("the fast WS model's flat-out fold timing differs from "
                                      "2*rows + cols + V - 1")
            mm = _first_mismatch(trace, observed)
            if mm is not None and not message:
                c, sig, e, got = mm
                fold = int(np.searchsorted(ends, c, side="right"))
                p = pat[fold]
                message = (f"group {g}, fold {f0 + fold} (output tile {tiles[fold][0]}, reduction "
                           f"chunk {tiles[fold][1]}; bubbles {bubble[p]:g}, o_ready low "
                           f"{stall[p]:g}), cycle {c - starts[fold]} of the fold (global "
                           f"{cycles + c}): {sig} expected {e:#x}, got {got:#x}")
            # the RTL's output vectors: o_valid and o_ready; its cycles: per fold, from its first
            # cycle to its last output taken
            rtl_take = np.flatnonzero(observed["o_valid"][:, 0] & trace.inputs["o_ready"][:, 0])
            if rtl_take.size != nf * vectors:
                message = message or (f"group {g}, folds {f0}..{f0 + nf - 1}: the RTL delivered "
                                      f"{rtl_take.size} output vectors, expected {nf * vectors}")
            else:
                fold_of = np.searchsorted(ends, rtl_take, side="right")
                last = np.full(nf, -1, dtype=np.int64)
                np.maximum.at(last, fold_of, rtl_take)
                rtl_cycles += int(np.sum(last + 1 - starts))
                vecs = unpack_words(observed["o_data"][rtl_take], accb, cols).reshape(nf, vectors, cols)
                for i, (nt, _) in enumerate(tiles):
                    out_g[:, nt * cols:(nt + 1) * cols] += vecs[i]
            cycles += trace.cycles
            folds += nf
        assembled[:, g * n_per_group:(g + 1) * n_per_group] = \
            wrap_to_bits(out_g[:, :n_per_group], accb)
    message = message or _output_mismatch(assembled, ops.output)
    return dict(folds=folds, total_folds=folds, vectors=vectors, cycles=cycles,
                model_cycles=cycles, formula_cycles=0, rtl_cycles=rtl_cycles, flat_folds=flat_folds,
                outputs_checked=int(ops.output.size), ok=not message, message=message,
                build_seconds=built.build_seconds, sim_seconds=sim_s, model_seconds=model_s)


# --------------------------------------------------------------------------- sample
def _total_folds(cfg, rows, cols, ops) -> int:
    from accelsim.sim.pe_model import WSArrayModel
    span = rows * _chunk(WSArrayModel(cfg, rows, cols).cell_config)
    n = ops.weight.shape[0] // ops.groups
    return ops.groups * -(-n // cols) * -(-ops.weight.shape[1] // span)


def _array_sample(arch, cfg, ops, rows, cols, seed, sample_folds, amat):
    """Up to ``sample_folds`` folds (WS, IS) or tiles (OS) of group 0, built by the arrays' own stimulus."""
    from accelsim.rtl.arrays import stimulus as astim
    from accelsim.rtl.stimulus import fold_from_matrix
    from accelsim.sim.array_model import array_cell_config

    rng = np.random.default_rng(seed)
    flow = arch.dataflow
    n = ops.weight.shape[0] // ops.groups
    w = ops.weight[:n]
    if flow == "os":
        pixels = amat[:rows]
        return [[astim.os_tile_from_matrix(cfg, rows, cols, w[n0:n0 + cols], pixels, rng)]
                for n0 in range(0, n, cols)][:sample_folds]
    if flow == "ws" and cfg.kind == "block":
        win = cfg.window_words
        return astim.block_ws_folds(cfg, rows, cols, w[:cols, :win], amat[:, :win], rng)[:sample_folds]
    span = rows * _chunk(array_cell_config(cfg, flow))
    trials = []
    for k0 in range(0, ops.weight.shape[1], span):
        if len(trials) == sample_folds:
            break
        if flow == "is":
            trials.append(astim.sys_fold_from_matrix(cfg, "is", rows, cols, w[:, k0:k0 + span],
                                                     amat[:cols, k0:k0 + span], rng))
        else:
            trials.append(fold_from_matrix(cfg, rows, cols, w[:cols, k0:k0 + span],
                                           amat[:, k0:k0 + span], rng))
    return trials


def _sample(arch, cfg, ops, kind, rows, cols, module, seed, simulator, sample_folds, sample_vectors):
    from accelsim.rtl.stimulus import layer_pe_jobs
    from accelsim.rtl.verify import verify_jobs

    amat = ops.activations[0][:sample_vectors]
    if kind == "array":
        trials = _array_sample(arch, cfg, ops, rows, cols, seed, sample_folds, amat)
        total = _total_folds(cfg, rows, cols, ops) if arch.dataflow == "ws" and cfg.kind != "block" else 0
        vectors = amat.shape[0] if arch.dataflow != "os" else min(rows, amat.shape[0])
        n_checked = len(trials)
    else:
        rng = np.random.default_rng(seed)
        pairs = [(int(rng.integers(0, amat.shape[0])), int(rng.integers(0, ops.weight.shape[0] // ops.groups)))
                 for _ in range(sample_folds * 4)]
        trials = [layer_pe_jobs(cfg, ops.weight, amat, pairs[i:i + 4], seed=seed + i)
                  for i in range(0, len(pairs), 4)]
        total, vectors = ops.weight.shape[0] * ops.activations.shape[1], 1
        n_checked = len(pairs)
    res = verify_jobs(arch, trials, seed=seed, simulator=simulator, top=kind,
                      array_shape=(rows, cols) if kind == "array" else None)
    mm = "" if res.ok else str(res.first_mismatch)
    return dict(folds=n_checked, total_folds=total, vectors=vectors, cycles=res.cycles,
                model_cycles=res.cycles, formula_cycles=0, rtl_cycles=res.cycles, outputs_checked=0,
                ok=res.ok, message=mm, build_seconds=res.build_seconds, sim_seconds=res.sim_seconds,
                model_seconds=0.0)


def verify_layer(arch, workload, layer: str, *, prune=None, shape=None, whole_layer: bool = False,
                 seed: int = 0, simulator: str = "verilator", sample_folds: int = 2,
                 sample_vectors: int = 16, verilog=None) -> LayerVerifyResult:
    """Verify the RTL on one real layer of ``workload`` (see the module docstring).

    Parameters
    ----------
    arch : ArchSpec
    workload : Workload or str
        A Workload, or a bundled name / path for ``load_workload``.
    layer : str
        A conv or linear layer of the workload.
    prune : str, optional
        Pruning scheme (default: ``nm:N:M`` for an N:M PE, else the weights as loaded).
    shape : "full", "RxC" or (rows, cols), optional
        Array cells to verify (default ``min(4, rows) x min(4, cols)``).
    whole_layer : bool
        Every fold and vector (Verilator only) instead of a sample.
    seed : int
    simulator : {"verilator", "amaranth"}
    sample_folds, sample_vectors : int
        Size of the sample (sample mode).
    verilog : path, optional
        Whole layer: verify this Verilog file (module ``accelsim_<arch>_array``
        of the same shape) instead of the generated array top.

    Returns
    -------
    LayerVerifyResult

    Raises
    ------
    AccelsimInputError
        Bad layer, shape, pruning or simulator.
    """
    from accelsim.rtl.export import default_array_shape, top_name
    from accelsim.rtl.layer_operands import layer_operands

    t0 = time.perf_counter()
    if simulator not in ("verilator", "amaranth"):
        raise AccelsimInputError("invalid simulator", [Problem("simulator", simulator,
                                                               "verilator or amaranth")])
    from accelsim.sim.array_model import array_support

    cfg = PEConfig.from_arch(arch)
    kind = "array" if array_support(cfg.kind, arch.dataflow) is None else "pe"
    if kind == "array":
        rows, cols = parse_shape(shape, arch)
        full = default_array_shape(arch)
    else:
        if shape is not None:
            raise AccelsimInputError(f"{arch.name} has no array top yet (a {cfg.kind} PE)", [
                Problem("shape", shape, "no --shape: the PE top is verified")])
        rows = cols = 0
        full = None
    if whole_layer and kind != "array":
        raise AccelsimInputError(
            f"--whole-layer needs an array top; {arch.name} ({cfg.kind} PE) has a PE top only",
            [Problem("whole_layer", True, f"an arch with a {'/'.join(ARRAY_KINDS)} PE, or the sample mode")])
    if verilog is not None and not whole_layer:
        raise AccelsimInputError("a Verilog file is verified on a real layer with whole_layer=True",
                                 [Problem("verilog", str(verilog), "only with whole_layer")])
    if whole_layer and simulator != "verilator":
        raise AccelsimInputError("whole-layer verification runs on Verilator", [Problem(
            "simulator", simulator, "verilator (the Amaranth simulator runs a few thousand cycles/s)")])
    ops = layer_operands(arch, workload, layer, prune=prune, seed=seed)
    wl_name = workload if isinstance(workload, str) else getattr(workload, "name", str(workload))
    module = top_name(arch, kind)
    if whole_layer:
        text = None
        if verilog is not None:
            from pathlib import Path
            if not Path(verilog).is_file():
                raise AccelsimInputError("invalid Verilog file", [Problem("verilog", str(verilog),
                                                                          "an existing file")])
            text = Path(verilog).read_text(encoding="utf-8", errors="replace")
        if arch.dataflow == "os":
            from accelsim.rtl.fast_layer import whole_layer_os
            part = whole_layer_os(arch, cfg, ops, rows, cols, module, seed, verilog_text=text)
        elif arch.dataflow == "is":
            from accelsim.rtl.fast_layer import whole_layer_is
            part = whole_layer_is(arch, cfg, ops, rows, cols, module, seed, verilog_text=text)
        else:
            part = _whole_layer(arch, cfg, ops, rows, cols, module, seed, text)
    else:
        part = _sample(arch, cfg, ops, kind, rows, cols, module, seed, simulator,
                       sample_folds, sample_vectors)
    return LayerVerifyResult(
        arch=arch.name, layer=layer, workload=str(wl_name), top=module, kind=kind,
        shape=(rows, cols) if kind == "array" else None, full_shape=full,
        mode="whole-layer" if whole_layer else "sample", prune=ops.prune or "none",
        weight_source=ops.weight_source, simulator=simulator, dataflow=arch.dataflow,
        seconds=time.perf_counter() - t0, **part)



