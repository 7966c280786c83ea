"""Whole-layer verification of the OS array through its fast reference (:mod:`accelsim.rtl.fast_os`) and Verilator.

Tiles (pixel block of ``rows`` x channel block of ``cols``, the whole K) run
in batches of about ``batch_cycles`` cycles, one Verilator run each, with
the bubble / back-pressure patterns of :data:`~accelsim.rtl.trace.DEFAULT_PATTERNS`
cycled over tiles. Every output port is compared in every cycle (``in_ready``,
``o_valid``; ``o_data`` when valid); the result rows the RTL delivers (``o_valid``
and ``o_ready``) are placed into the ``V x N`` output, which must equal the
simulator's functional output element for element.
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["whole_layer_os"]

_BATCH_CYCLES = 400_000
_BATCH_LANES = 24_000_000
"""Bound on per-cycle lanes held per batch (int64), so full-size arrays stay within memory."""


def whole_layer_os(arch, cfg, ops, rows, cols, module, seed, *, batch_cycles: int = _BATCH_CYCLES) -> dict:
    """Every tile of every group on the ``rows x cols`` OS array (see the module docstring)."""
    from accelsim.rtl import verilator as vl
    from accelsim.rtl.export import Top, verilog_source
    from accelsim.rtl.fast_array import unpack_words
    from accelsim.rtl.fast_os import os_programs, os_tiles_trace
    from accelsim.rtl.layer_verify import _first_mismatch
    from accelsim.rtl.trace import DEFAULT_PATTERNS

    built = vl.build(verilog_source(Top("array", module, cfg, rows, cols, "os")), module)
    accb = cfg.accumulator_bits
    bubble = [p.bubble for p in DEFAULT_PATTERNS]
    stall = [p.stall for p in DEFAULT_PATTERNS]
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
        bounds = np.searchsorted(np.cumsum(est), np.arange(limit, est.sum() + limit, limit))
        out_g = np.zeros((pb * rows, nb * cols), dtype=np.int64)
        model_s += time.perf_counter() - tm
        t0 = 0
        for t1 in np.unique(np.append(np.maximum(bounds, 1), tile_prog.size)):
            t1 = int(min(t1, tile_prog.size))
            if t1 <= t0:
                continue
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
            t0 = t1
        assembled[:, g * n_per_group:(g + 1) * n_per_group] = out_g[:v, :n_per_group]
    diff = np.argwhere(assembled != ops.output)
    if diff.size and not message:
        m_, n_ = (int(x) for x in diff[0])
        message = (f"assembled output [{m_}, {n_}] = {int(assembled[m_, n_])}, the functional "
                   f"output is {int(ops.output[m_, n_])} ({len(diff)} elements differ)")
    return dict(folds=tiles_run, total_folds=tiles_run, vectors=rows, cycles=cycles,
                model_cycles=cycles, formula_cycles=0, rtl_cycles=cycles,
                outputs_checked=int(ops.output.size), ok=not message, message=message,
                build_seconds=built.build_seconds, sim_seconds=sim_s, model_seconds=model_s)
