"""Whole-layer verification of the OS and IS arrays through their fast references and Verilator.

OS (:func:`whole_layer_os`, reference :mod:`accelsim.rtl.fast_os`): tiles
(pixel block of ``rows`` x channel block of ``cols``, the whole K) run in
batches of about ``batch_cycles`` cycles, one Verilator run each, with the
bubble / back-pressure patterns of :data:`~accelsim.rtl.trace.DEFAULT_PATTERNS`
cycled over tiles. Every output port is compared in every cycle (``in_ready``,
``o_valid``; ``o_data`` when valid); the result rows the RTL delivers (``o_valid``
and ``o_ready``) are placed into the ``V x N`` output, which must equal the
simulator's functional output element for element.

IS (:func:`whole_layer_is`, reference :mod:`accelsim.rtl.fast_is` on the
systolic kernel of :mod:`accelsim.rtl.fast_array`): folds (pixel block of
``cols`` x reduction chunk, all-zero channels skipped) run the same way, in
batches, patterns cycled over folds; every port is compared in every cycle
(``w_ready``, ``o_valid``; ``o_data`` when valid), the output vectors the RTL
delivers are added (wrapping to ``accumulator_bits``) into the ``V x N``
output at their pixels and channels, which must equal the functional output.
Folds driven flat out (the first pattern) must last the formula's
``2*rows + cols + V - 1`` cycles.
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["whole_layer_os", "whole_layer_is"]

_BATCH_CYCLES = 400_000
_BATCH_LANES = 24_000_000
"""Bound on per-cycle lanes held per batch (int64), so full-size arrays stay within memory."""


def _build(cfg, rows, cols, dataflow, module, verilog_text):
    from accelsim.rtl import verilator as vl
    from accelsim.rtl.export import Top, verilog_source

    text = verilog_text if verilog_text is not None else \
        verilog_source(Top("array", module, cfg, rows, cols, dataflow))
    return vl.build(text, module)


def _output_mismatch(assembled, output) -> str:
    """The first element where the assembled layer output differs from the functional one, or ""."""
    diff = np.argwhere(assembled != output)
    if not diff.size:
        return ""
    m_, n_ = (int(x) for x in diff[0])
    return (f"assembled output [{m_}, {n_}] = {int(assembled[m_, n_])}, the functional "
            f"output is {int(output[m_, n_])} ({len(diff)} elements differ)")


def _batches(est, limit) -> list[tuple[int, int]]:
    """Consecutive ``(first, end)`` ranges of items whose estimated cycles ``est`` sum to about ``limit``."""
    edges = np.searchsorted(np.cumsum(est), np.arange(limit, est.sum() + limit, limit))
    out, t0 = [], 0
    for t1 in np.unique(np.append(np.maximum(edges, 1), est.size)):
        t1 = int(min(t1, est.size))
        if t1 > t0:
            out.append((t0, t1))
            t0 = t1
    return out


def whole_layer_os(arch, cfg, ops, rows, cols, module, seed, *, verilog_text=None,
                   batch_cycles: int = _BATCH_CYCLES) -> dict:
    """Every tile of every group on the ``rows x cols`` OS array (see the module docstring).

    ``verilog_text``: verify this Verilog (module ``module``) instead of the generated array.
    """
    from accelsim.rtl import verilator as vl
    from accelsim.rtl.fast_array import unpack_words
    from accelsim.rtl.fast_os import os_programs, os_tiles_trace
    from accelsim.rtl.layer_verify import _first_mismatch
    from accelsim.rtl.trace import pattern_probabilities

    built = _build(cfg, rows, cols, "os", module, verilog_text)
    accb = cfg.accumulator_bits
    bubble, stall = pattern_probabilities()
    n_per_group = ops.weight.shape[0] // ops.groups
    assembled = np.zeros_like(ops.output)
    cycles = tiles_run = 0
    sim_s = model_s = 0.0
    message = ""
    lanes_per_cycle = 8 + rows * (cfg.acts_per_beat + 1) + cols * (cfg.lanes + cfg.indices_per_beat + 2)
    for g in range(ops.groups):
        tm = time.perf_counter()
        wmat = ops.weight[g * n_per_group:(g + 1) * n_per_group]
        amat = np.asarray(ops.activations[g], dtype=np.int64)
        v = amat.shape[0]
        progs = os_programs(cfg, rows, cols, wmat, seed=seed + g)
        nb, pb = -(-n_per_group // cols), -(-v // rows)
        apad = np.zeros((pb * rows, progs.k_span), dtype=np.int64)
        apad[:v, :amat.shape[1]] = amat
        tile_prog = np.repeat(np.arange(nb, dtype=np.int64), pb)
        tile_p0 = np.tile(np.arange(pb, dtype=np.int64) * rows, nb)
        est = np.diff(progs.start)[tile_prog] * 1.4 + rows + 1
        limit = min(batch_cycles, _BATCH_LANES // lanes_per_cycle)
        out_g = np.zeros((pb * rows, nb * cols), dtype=np.int64)
        model_s += time.perf_counter() - tm
        for t0, t1 in _batches(est, limit):
            tm = time.perf_counter()
            sel = np.arange(t0, t1)
            tr = os_tiles_trace(cfg, rows, cols, progs, apad, tile_prog[sel], tile_p0[sel],
                                bubble=np.roll(bubble, -t0), stall=np.roll(stall, -t0),
                                seed=seed + g * 7919 + t0)
            model_s += time.perf_counter() - tm
            observed, secs = vl.run_words(built, tr.inputs)
            sim_s += secs
            mm = _first_mismatch(tr, observed)
            if mm is not None and not message:
                c, sig, e, got = mm
                message = (f"group {g}, tiles {t0}..{t1 - 1}, cycle {c} of the batch (global "
                           f"{cycles + c}): {sig} expected {e:#x}, got {got:#x}")
            take = np.flatnonzero(observed["o_valid"][:, 0] & tr.inputs["o_ready"][:, 0])
            if take.size != (t1 - t0) * rows:
                message = message or (f"group {g}, tiles {t0}..{t1 - 1}: the RTL delivered "
                                      f"{take.size} result rows, expected {(t1 - t0) * rows}")
            else:
                got_rows = unpack_words(observed["o_data"][take], accb, cols).reshape(-1, rows, cols)
                for i, t in enumerate(sel):
                    p0, n0 = tile_p0[t], tile_prog[t] * cols
                    out_g[p0:p0 + rows, n0:n0 + cols] = got_rows[i]
            cycles += tr.cycles
            tiles_run += t1 - t0
        assembled[:, g * n_per_group:(g + 1) * n_per_group] = out_g[:v, :n_per_group]
    message = message or _output_mismatch(assembled, ops.output)
    return dict(folds=tiles_run, total_folds=tiles_run, vectors=rows, cycles=cycles,
                model_cycles=cycles, formula_cycles=0, rtl_cycles=cycles,
                outputs_checked=int(ops.output.size), ok=not message, message=message,
                build_seconds=built.build_seconds, sim_seconds=sim_s, model_seconds=model_s)


def whole_layer_is(arch, cfg, ops, rows, cols, module, seed, *, verilog_text=None,
                   batch_cycles: int = _BATCH_CYCLES) -> dict:
    """Every fold of every group on the ``rows x cols`` IS array (see the module docstring).

    ``verilog_text``: verify this Verilog (module ``module``) instead of the generated array.
    Returns the fields of :class:`~accelsim.rtl.layer_verify.LayerVerifyResult`
    that the run determines (``formula_cycles`` is 0: with bubbles and
    back-pressure the cycles are the model's, checked against the RTL's).
    """
    from accelsim.rtl import verilator as vl
    from accelsim.rtl.fast_array import systolic_cycle_estimate, unpack_words
    from accelsim.rtl.fast_is import concat_folds, is_folds_trace, is_layer_folds
    from accelsim.rtl.layer_verify import _first_mismatch
    from accelsim.rtl.trace import pattern_probabilities
    from accelsim.sim.array_model import array_cell_config, systolic_fold_cycles
    from accelsim.sim.quantize import wrap_to_bits

    built = _build(cfg, rows, cols, "is", module, verilog_text)
    cell = array_cell_config(cfg, "is")
    accb = cell.accumulator_bits
    bubble, stall = pattern_probabilities()
    n_per_group = ops.weight.shape[0] // ops.groups
    cycles = rtl_cycles = folds_run = max_vectors = flat_folds = 0
    sim_s = model_s = 0.0
    message = ""
    n_idx = cell.lanes if cell.kind == "nm" else 0
    lanes_per_cycle = 10 + cols * (cell.acts_per_beat + 1) + rows * (cell.lanes + n_idx)
    limit = min(batch_cycles, _BATCH_LANES // lanes_per_cycle)
    # the groups of a grouped conv share the pixels: their folds run as one stream of batches
    tm = time.perf_counter()
    parts = [is_layer_folds(cfg, rows, cols, ops.weight[g * n_per_group:(g + 1) * n_per_group],
                            np.asarray(ops.activations[g], dtype=np.int64), seed=seed + g)
             for g in range(ops.groups)]
    folds = concat_folds(parts, [g * n_per_group for g in range(ops.groups)])
    group = np.repeat(np.arange(ops.groups), [p.folds for p in parts])
    del parts
    nvec = folds.fold_v1 - folds.fold_v0
    est = systolic_cycle_estimate(rows, cols, nvec, bubble, stall)
    out = np.zeros((folds.pixels, ops.weight.shape[0]), dtype=np.int64)
    model_s += time.perf_counter() - tm
    for f0, f1 in _batches(est, limit):
        tm = time.perf_counter()
        sel = np.arange(f0, f1)
        shift = -(f0 % len(bubble))
        tr = is_folds_trace(cfg, rows, cols, folds, sel, bubble=np.roll(bubble, shift),
                            stall=np.roll(stall, shift), seed=seed + f0)
        model_s += time.perf_counter() - tm
        observed, secs = vl.run_words(built, tr.inputs)
        sim_s += secs
        ends = np.cumsum(tr.fold_cycles)
        flat = systolic_fold_cycles(rows, cols, nvec[sel])
        is_flat = (bubble[sel % len(bubble)] == 0) & (stall[sel % len(stall)] == 0)
        flat_folds += int(is_flat.sum())
        if not message and np.any(tr.fold_cycles[is_flat] != flat[is_flat]):
            message = "the fast IS model's flat-out fold timing differs from 2*rows + cols + V - 1"
        mm = _first_mismatch(tr, observed)
        if mm is not None and not message:
            c, sig, e, got = mm
            i = int(np.searchsorted(ends, c, side="right"))
            f = f0 + i
            message = (f"group {group[f]}, fold {f} (pixels {folds.fold_p0[f]}.., reduction chunk "
                       f"{folds.fold_chunk[f]}), cycle {c - (ends[i] - tr.fold_cycles[i])} of the "
                       f"fold (global {cycles + c}): {sig} expected {e:#x}, got {got:#x}")
        take = np.flatnonzero(observed["o_valid"][:, 0] & tr.inputs["o_ready"][:, 0])
        want = int(nvec[sel].sum())
        if take.size != want:
            message = message or (f"folds {f0}..{f1 - 1}: the RTL delivered {take.size} output "
                                  f"vectors, expected {want}")
        else:
            # the RTL's cycles: per fold, from its first cycle to its last output taken
            fold_of = np.searchsorted(ends, take, side="right")
            last = np.full(sel.size, -1, dtype=np.int64)
            np.maximum.at(last, fold_of, take)
            rtl_cycles += int(np.sum(last + 1 - (ends - tr.fold_cycles)))
            vecs = unpack_words(observed["o_data"][take], accb, cols)
            first = np.repeat(folds.fold_v0[sel] - np.cumsum(nvec[sel]) + nvec[sel], nvec[sel])
            chan = folds.channel[first + np.arange(want)]
            pix = np.repeat(folds.fold_p0[sel], nvec[sel])[:, None] + np.arange(cols)[None, :]
            np.add.at(out, (pix, np.broadcast_to(chan[:, None], pix.shape)), vecs)
        cycles += tr.cycles
        folds_run += sel.size
        max_vectors = max(max_vectors, int(nvec[sel].max()))
    assembled = wrap_to_bits(out[:ops.output.shape[0]], accb)
    message = message or _output_mismatch(assembled, ops.output)
    return dict(folds=folds_run, total_folds=folds_run, vectors=max_vectors, cycles=cycles,
                model_cycles=cycles, formula_cycles=0, rtl_cycles=rtl_cycles, flat_folds=flat_folds,
                outputs_checked=int(ops.output.size), ok=not message, message=message,
                build_seconds=built.build_seconds, sim_seconds=sim_s, model_seconds=model_s)
