"""The array timing simulator agrees with the bit-true PE model and the WS array model.

Every expected number comes from running the models of ``accelsim/sim/pe_model.py``
(``PEModel``, ``WSArrayModel``) cycle by cycle on a layer's real weights, plus the
counting conventions written below (and in docs/simulator.md, "Agreement with the
PE model"); none comes from the simulator under test.

Conventions reconciled here
---------------------------
* OS: ``fold_cycles - (rows + cols - 2) = S * max over the fold's PEs of the beats
  the PE accepts`` (the skew is SCALE-Sim's dense fill/drain; ``S = N`` for N:M,
  where one N:M PE is N array positions, else ``S = 1``). The simulator counts MAC
  cycles as SCALE-Sim does, so the PE's ``PIPELINE_DEPTH`` registers are not in
  the fold. A fold in which every PE has zero beats is skipped by the simulator,
  while a lone PE would still send its one empty beat carrying ``last``.
* WS: ``array_fold_cycles(R, C, V) = 2R + C + V - 1 = simulator fold + 1`` (the
  model counts inclusively up to the cycle the output leaves its output register;
  SCALE-Sim counts up to the cycle of the last MAC). Over a layer of F folds,
  ``sum(model folds) = compute_cycles + 1 + F`` (SCALE-Sim's total is the index of
  the last cycle, one less than the count).
* N:M on WS: the simulator's ``R x C`` array is ``R x C`` multipliers. As a
  WSArrayModel it is ``R`` rows of 1:M cells (one weight + index, the group's M
  activations), giving identical folds (``+ 1``). The RTL's N:M cells hold the same
  multipliers as ``R/N`` rows: the same number of row folds,
  ``ceil(ceil(K/M) * N / R)``, but a fold shorter by ``2 * (R - R/N) - 1`` cycles
  (N products summed in one stage instead of N pipelined rows).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from accelsim.formats.spec import parse_format
from accelsim.sim import simulate
from accelsim.sim.functional import layer_output
from accelsim.sim.pe_model import (PIPELINE_DEPTH, ArrayInputs, Beat, PEConfig, PEInputs, PEModel,
                                   WSArrayModel, array_fold_cycles, pe_beats, wrap_signed)
from accelsim.sim.schedule import build_schedule
from accelsim.sim.sparse_timing import raw_bits_view, timing_rule, weight_profile
from accelsim.spec import arch_from_dict
from accelsim.workload import linear_layer

MODES = {
    "dense": dict(kind="dense"),
    "dense-2lanes": dict(kind="dense", lanes=2),
    "nm-2:4": dict(kind="nm", n=2, m=4),
    "nm-1:4": dict(kind="nm", n=1, m=4),
    "unstructured": dict(kind="unstructured"),
    "unstructured-3lanes": dict(kind="unstructured", lanes=3),
    "block-2x2": dict(kind="block", block=(2, 2)),
    "block-4x4-3lanes": dict(kind="block", block=(4, 4), lanes=3),
}


# ----------------------------------------------------------------------------- helpers
def _arch(mode: dict, dataflow: str, rows: int, cols: int, bits=(8, 8, 32)):
    kind = mode["kind"]
    pe = {"sparsity": kind}
    if kind == "nm":
        pe.update(n=mode["n"], m=mode["m"])
    if kind == "block":
        pe["block"] = "{}x{}".format(*mode["block"])
    if "lanes" in mode:
        pe["lanes"] = mode["lanes"]
    if "index_bits" in mode:
        pe["index_bits"] = mode["index_bits"]
    return arch_from_dict({
        "name": f"agree-{kind}-{dataflow}-{rows}x{cols}",
        "array": {"rows": rows, "cols": cols},
        "dataflow": dataflow,
        "precision": dict(zip(("weight_bits", "activation_bits", "accumulator_bits"), bits)),
        "pe": pe,
        # the PE/array timing rule alone: activations arrive as fast as the PEs take them
        # (the input-SRAM supply cap is tested in test_activation_supply.py)
        "buffers": {"weight_kib": 64, "input_kib": 64, "output_kib": 64,
                    "input_read_bytes_per_cycle": "unlimited"},
        "dram": {"bandwidth_bytes_per_cycle": "unlimited"},
    })


def _operand(rng, bits: int, shape) -> np.ndarray:
    """Signed ``bits``-wide integers, no zeros, extremes frequent."""
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    v = rng.integers(lo, hi, size=shape, endpoint=True)
    pick = rng.random(shape) < 0.2
    v[pick] = np.where(rng.random(int(pick.sum())) < 0.5, lo, hi)
    v[v == 0] = hi
    return v.astype(np.int64)


def _random_weight(rng, mode: dict, n_out: int, k: int, bits: int, full_rows=()) -> np.ndarray:
    """An integer weight obeying the mode's sparsity; rows in ``full_rows`` are as dense as allowed."""
    w = _operand(rng, bits, (n_out, k))
    kind = mode["kind"]
    if kind == "dense":                     # a dense PE multiplies zeros like any other weight
        w[rng.random(w.shape) < 0.2] = 0
    elif kind == "unstructured":            # per-row densities: load imbalance and empty rows
        density = rng.choice([0.0, 0.1, 0.3, 0.7, 1.0], size=(n_out, 1))
        density[list(full_rows)] = 1.0
        w[rng.random(w.shape) >= density] = 0
    elif kind == "nm":
        n, m = mode["n"], mode["m"]
        for j in range(n_out):
            for g in range(0, k, m):
                size = min(m, k - g)
                keep = min(n, size) if j in full_rows else int(rng.integers(0, min(n, size) + 1))
                drop = np.ones(size, dtype=bool)
                drop[rng.choice(size, keep, replace=False)] = False
                w[j, g:g + size][drop] = 0
    else:
        br, bc = mode["block"]
        grid = rng.random((-(-n_out // br), -(-k // bc))) < 0.4
        for j in full_rows:
            grid[j // br, :] = True
        mask = np.kron(grid, np.ones((br, bc), dtype=bool))[:n_out, :k]
        inner = rng.random(w.shape) < 0.2   # zeros inside stored blocks are streamed as zeros
        inner[list(full_rows)] = False
        w[~mask | inner] = 0
    return w


def _stored_blocks(mode: dict, w: np.ndarray, j: int) -> list[int]:
    """Block columns BSR stores for channel ``j``'s block row (nonzero anywhere in the block)."""
    br, bc = mode["block"]
    band = w[(j // br) * br:(j // br + 1) * br]
    return [b for b in range(-(-w.shape[1] // bc)) if np.any(band[:, b * bc:(b + 1) * bc])]


def _pe_stream(cfg: PEConfig, wrow, avec, stored=None):
    """One output's PE events, laid out as ``rtl/stimulus.job_from_row`` lays them out.

    Events are ``Beat`` or ``(addr, value)`` activation-window writes. Returns
    ``(events, empty)``; ``empty`` is True when the output has no beats and one
    empty beat carries ``last``.
    """
    wrow, avec = [int(v) for v in wrow], [int(v) for v in avec]
    k, lanes, ev = len(wrow), cfg.lanes, []
    if cfg.kind == "dense":
        for s in range(0, k, lanes):
            pad = [0] * max(0, s + lanes - k)
            ev.append(Beat(tuple(wrow[s:s + lanes] + pad), acts=tuple(avec[s:s + lanes] + pad)))
    elif cfg.kind == "nm":
        m = cfg.m
        for g in range(0, k, m):
            pad = [0] * max(0, g + m - k)
            wg, ag = wrow[g:g + m] + pad, avec[g:g + m] + pad
            nz = [i for i, v in enumerate(wg) if v]
            fill = [0] * (cfg.n - len(nz))
            ev.append(Beat(tuple([wg[i] for i in nz] + fill), indices=tuple(nz + fill), acts=tuple(ag)))
    elif cfg.kind == "unstructured":
        win = cfg.window_words
        for base in range(0, k, win):
            cols = [j for j in range(base, min(k, base + win)) if wrow[j]]
            ev.extend((j - base, avec[j]) for j in cols)
            for s in range(0, len(cols), lanes):
                chunk = cols[s:s + lanes]
                fill = [0] * (lanes - len(chunk))
                ev.append(Beat(tuple([wrow[j] for j in chunk] + fill),
                               indices=tuple([j - base for j in chunk] + fill)))
    else:
        c, per_window = cfg.block_cols, 1 << cfg.index_bits
        extra = [0] * (-(-k // c) * c - k)
        wpad, apad = wrow + extra, avec + extra
        for i, b in enumerate(stored):
            if i == 0 or b // per_window != stored[i - 1] // per_window:
                ev.extend(((bb % per_window) * c + j, apad[bb * c + j]) for bb in stored
                          if bb // per_window == b // per_window for j in range(c))
            for sub in range(cfg.beats_per_block):
                offs = [sub * lanes + j for j in range(lanes)]
                ev.append(Beat(tuple(wpad[b * c + o] if o < c else 0 for o in offs),
                               indices=(b % per_window,), sub=sub))
    empty = not any(isinstance(e, Beat) for e in ev)
    if empty:
        ev.append(Beat((0,) * lanes, indices=(0,) * cfg.indices_per_beat,
                       acts=(0,) * cfg.acts_per_beat))
    last = max(i for i, e in enumerate(ev) if isinstance(e, Beat))
    b = ev[last]
    ev[last] = Beat(b.weights, b.indices, b.acts, b.sub, last=True)
    return ev, empty


def _run_pe(cfg: PEConfig, events):
    """Drive one output through a fresh ``PEModel``, one event per cycle.

    Returns ``(result, beats_accepted, cycles)`` where ``cycles`` counts inclusively
    from the first accepted beat to the cycle ``out_valid`` is high.
    """
    pe = PEModel(cfg)
    first, accepted, cycle = None, 0, 0
    for e in events:
        if isinstance(e, Beat):
            out = pe.step(PEInputs(in_valid=True, beat=e))
            assert out.in_ready
            accepted += 1
            first = cycle if first is None else first
        else:
            out = pe.step(PEInputs(act_write=e))
        assert not out.out_valid
        cycle += 1
    for _ in range(PIPELINE_DEPTH + 4):
        out = pe.step(PEInputs())
        if out.out_valid:
            return out.out_data, accepted, cycle - first + 1
        cycle += 1
    raise AssertionError("the PE model produced no result")


def _ref(wrow, avec, bits: int) -> int:
    """Independent reference: wrap(sum(w*a)) with Python integers."""
    return wrap_signed(sum(int(w) * int(a) for w, a in zip(wrow, avec)), bits)


def _sim_schedule(layer, arch, dataflow: str):
    """The simulator's fold schedule of ``layer`` (the calls ``simulate`` makes)."""
    rule, exploited = timing_rule(arch, parse_format(arch.sparsity.native_format))
    assert exploited
    profile = weight_profile(layer, rule, arch.array.rows, arch.array.cols, dataflow,
                             raw_bits_view(layer.weight_matrix(), layer.name))
    return build_schedule(dataflow, profile, layer.m, arch.array.rows, arch.array.cols, rule.lanes)


# ----------------------------------------------------------------------------- OS
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("name", MODES)
def test_os_fold_minus_skew_is_the_most_loaded_pe(name, seed):
    mode = MODES[name]
    rng = np.random.default_rng([seed, *map(ord, name)])
    k, n_out, pixels = (int(v) for v in (rng.integers(1, 41), rng.integers(1, 13), rng.integers(1, 8)))
    rows, cols = (int(v) for v in rng.integers(1, 5, size=2))
    arch = _arch(mode, "os", rows, cols)
    cfg = PEConfig.from_arch(arch)
    w = _random_weight(rng, mode, n_out, k, 8)
    act = _operand(rng, 8, (pixels, k))
    layer = linear_layer("fc", in_features=k, out_features=n_out, tokens=pixels, weight=w)

    # PE (pixel i, channel j) of the OS array reduces output (i, j) on its real stream.
    beats = np.zeros((pixels, n_out), dtype=np.int64)
    for j in range(n_out):
        stored = _stored_blocks(mode, w, j) if mode["kind"] == "block" else None
        for i in range(pixels):
            events, empty = _pe_stream(cfg, w[j], act[i], stored)
            result, accepted, cycles = _run_pe(cfg, events)
            assert result == _ref(w[j], act[i], cfg.accumulator_bits)
            assert cycles == accepted + PIPELINE_DEPTH          # no window writes between beats
            beats[i, j] = 0 if empty else accepted                # the empty beat is not work
    # one N:M PE (N multipliers) is N array positions: N times its beats per position
    scale = mode["n"] if mode["kind"] == "nm" else 1
    skew = rows + cols - 2
    expected = []
    for cf in range(-(-n_out // cols)):
        for rf in range(-(-pixels // rows)):
            t = int(beats[rf * rows:(rf + 1) * rows, cf * cols:(cf + 1) * cols].max()) * scale
            if t:                                                 # nothing to stream: skipped
                expected.append((cf, rf, t + skew))

    sched = _sim_schedule(layer, arch, "os")
    got = [(int(c), int(r), int(d)) for c, r, d in zip(sched.fold_cg, sched.fold_rf, sched.fold_cycles)]
    assert got == expected
    result = simulate(layer, arch).layers[0]
    assert result.folds == len(expected)
    assert result.compute_cycles == max(sum(e[2] for e in expected) - 1, 0)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_nm_os_array_position_is_a_one_multiplier_pe(n):
    """The N in ``T = N * beats``: a 1:M PE streaming each group as N (weight, index) beats."""
    m, k = 4, 27
    rng = np.random.default_rng(n)
    mode = dict(kind="nm", n=n, m=m)
    w = _random_weight(rng, mode, 3, k, 8, full_rows=(0,))
    act = _operand(rng, 8, (2, k))
    full = PEConfig(kind="nm", n=n, m=m, lanes=n, index_bits=2)
    one = PEConfig(kind="nm", n=1, m=m, lanes=1, index_bits=2)
    for j in range(3):
        for i in range(2):
            r_full, b_full, _ = _run_pe(full, _pe_stream(full, w[j], act[i])[0])
            # the array position's stream: slot s of every group as its own one-lane beat
            beats = []
            for g in range(0, k, m):
                ag = [int(v) for v in act[i, g:g + m]] + [0] * max(0, g + m - k)
                nz = [q for q in range(min(m, k - g)) if w[j, g + q]]
                for s in range(n):
                    wv, q = (int(w[j, g + nz[s]]), nz[s]) if s < len(nz) else (0, 0)
                    beats.append(Beat((wv,), indices=(q,), acts=tuple(ag)))
            beats[-1] = Beat(beats[-1].weights, beats[-1].indices, beats[-1].acts, last=True)
            r_one, b_one, _ = _run_pe(one, beats)
            assert r_one == r_full == _ref(w[j], act[i], 32)
            assert b_one == n * b_full == n * math.ceil(k / m)


# ----------------------------------------------------------------------------- WS
def _run_ws_fold(cfg: PEConfig, rows: int, cols: int, cells, vectors):
    """Load ``cells`` one row per cycle, then stream ``vectors``; return outputs and the fold's cycles.

    Cycles are counted inclusively from the first weight write to the cycle the
    last output vector is valid.
    """
    array = WSArrayModel(cfg, rows, cols)
    outputs, cycle, last = [], 0, None
    inputs = [ArrayInputs(weight_write=(r, cells[r])) for r in range(rows)]
    inputs += [ArrayInputs(a_valid=True, acts=v) for v in vectors]
    for inp in inputs:
        out = array.step(inp)
        assert out.a_ready
        if out.o_valid:
            outputs.append(out.o_data)
            last = cycle
        cycle += 1
    while len(outputs) < len(vectors):
        assert cycle < 4 * (rows + cols + len(vectors)) + 8, "the array model stopped producing"
        out = array.step(ArrayInputs())
        if out.o_valid:
            outputs.append(out.o_data)
            last = cycle
        cycle += 1
    return np.array(outputs, dtype=np.int64), last + 1


def _reference_layer(w, act, bits):
    return np.array([[_ref(w[j], act[i], bits) for j in range(w.shape[0])]
                     for i in range(act.shape[0])], dtype=np.int64)


WS_DENSE_SHAPES = [  # rows, cols, lanes, K, N, M (tokens)
    (4, 4, 1, 10, 6, 3), (4, 4, 1, 17, 9, 5), (3, 5, 1, 7, 11, 2), (2, 3, 2, 13, 4, 4),
    (4, 2, 3, 25, 3, 1), (1, 1, 1, 3, 2, 2), (4, 4, 2, 32, 4, 6),
]


@pytest.mark.parametrize("rows,cols,lanes,k,n_out,tokens", WS_DENSE_SHAPES)
def test_ws_dense_fold_equals_array_model_fold_minus_one(rows, cols, lanes, k, n_out, tokens):
    rng = np.random.default_rng([rows, cols, lanes, k, n_out, tokens])
    mode = dict(kind="dense", lanes=lanes)
    arch = _arch(mode, "ws", rows, cols, bits=(8, 8, 16))
    cfg = PEConfig.from_arch(arch)
    w = _random_weight(rng, mode, n_out, k, 8)
    act = _operand(rng, 8, (tokens, k))
    layer = linear_layer("fc", in_features=k, out_features=n_out, tokens=tokens, weight=w)

    # The model's layout: cell (r, c) holds `lanes` weights, so a fold covers rows * lanes
    # reduction elements of `cols` channels; folds run column folds outer.
    span = rows * lanes
    tiles = [(cf, rf) for cf in range(-(-n_out // cols)) for rf in range(-(-k // span))]
    wpad = np.zeros((-(-n_out // cols) * cols, -(-k // span) * span), dtype=np.int64)
    wpad[:n_out, :k] = w
    apad = np.zeros((tokens, wpad.shape[1]), dtype=np.int64)
    apad[:, :k] = act
    total = np.zeros((tokens, wpad.shape[0]), dtype=np.int64)
    model_cycles = []
    for cf, rf in tiles:
        ks = slice(rf * span, (rf + 1) * span)
        cells = [tuple((tuple(int(v) for v in wpad[cf * cols + c, ks][r * lanes:(r + 1) * lanes]), ())
                       for c in range(cols)) for r in range(rows)]
        vectors = [tuple(tuple(int(v) for v in apad[i, ks][r * lanes:(r + 1) * lanes])
                         for r in range(rows)) for i in range(tokens)]
        out, cycles = _run_ws_fold(cfg, rows, cols, cells, vectors)
        assert cycles == array_fold_cycles(rows, cols, tokens) == 2 * rows + cols + tokens - 1
        total[:, cf * cols:(cf + 1) * cols] += out
        model_cycles.append(cycles)
    assert np.array_equal(np.vectorize(lambda v: wrap_signed(int(v), 16))(total[:, :n_out]),
                          _reference_layer(w, act, 16))

    sched = _sim_schedule(layer, arch, "ws")
    assert [(int(c), int(r)) for c, r in zip(sched.fold_cg, sched.fold_rf)] == tiles
    assert [int(d) + 1 for d in sched.fold_cycles] == model_cycles   # simulator fold = model - 1
    result = simulate(layer, arch).layers[0]
    assert result.compute_cycles == sum(model_cycles) - len(tiles) - 1


def _nm_groups(wrow, m):
    """Per M-group of one channel: (nonzero in-group positions, their weights)."""
    k = len(wrow)
    out = []
    for g in range(0, k, m):
        wg = [int(v) for v in wrow[g:g + m]]
        nz = [q for q, v in enumerate(wg) if v]
        out.append((nz, [wg[q] for q in nz]))
    return out


def _act_group(avec, q, m):
    """The M activations of group ``q`` (a partial last group zero-padded; past the end all 0)."""
    seg = [int(v) for v in avec[q * m:(q + 1) * m]]
    return tuple(seg + [0] * (m - len(seg)))


WS_NM_SHAPES = [  # rows (multipliers), cols, N, M, K, channels, tokens
    (4, 4, 2, 4, 23, 6, 3), (4, 3, 1, 4, 30, 5, 2), (6, 4, 2, 4, 40, 7, 4),
    (3, 4, 2, 4, 17, 4, 3), (4, 2, 2, 8, 37, 3, 2), (2, 4, 1, 4, 9, 4, 1),
]


@pytest.mark.parametrize("rows,cols,n,m,k,n_out,tokens", WS_NM_SHAPES)
def test_ws_nm_row_folds_match_the_array_model_layout(rows, cols, n, m, k, n_out, tokens):
    rng = np.random.default_rng([rows, cols, n, m, k, n_out, tokens])
    mode = dict(kind="nm", n=n, m=m)
    arch = _arch(mode, "ws", rows, cols, bits=(8, 8, 16))
    w = _random_weight(rng, mode, n_out, k, 8)
    act = _operand(rng, 8, (tokens, k))
    layer = linear_layer("fc", in_features=k, out_features=n_out, tokens=tokens, weight=w)
    reference = _reference_layer(w, act, 16)
    n_cf, groups = -(-n_out // cols), -(-k // m)
    wrap16 = np.vectorize(lambda v: wrap_signed(int(v), 16))
    ib = max(1, math.ceil(math.log2(m)))

    # (a) the simulator's array view: R rows of 1:M cells. Compressed position p of a
    # channel is slot p % N of group p // N; row r of row fold f holds p = f * R + r.
    one = PEConfig(kind="nm", n=1, m=m, lanes=1, index_bits=ib, accumulator_bits=16)
    positions = groups * n
    folds_a = -(-positions // rows)
    total = np.zeros((tokens, n_cf * cols), dtype=np.int64)
    cycles_a = []
    for cf in range(n_cf):
        chans = [cf * cols + c for c in range(cols)]
        per = {j: _nm_groups(w[j], m) for j in chans if j < n_out}
        for f in range(folds_a):
            cells, vectors = [], []
            for r in range(rows):
                p = f * rows + r
                row = []
                for j in chans:
                    nz, vals = per[j][p // n] if (j < n_out and p < positions) else ([], [])
                    s = p % n
                    row.append(((vals[s],), (nz[s],)) if s < len(nz) else ((0,), (0,)))
                cells.append(tuple(row))
            for i in range(tokens):
                vectors.append(tuple(_act_group(act[i], p // n, m)
                                     for p in range(f * rows, (f + 1) * rows)))
            out, cycles = _run_ws_fold(one, rows, cols, cells, vectors)
            total[:, cf * cols:(cf + 1) * cols] += out
            cycles_a.append(cycles)
    assert np.array_equal(wrap16(total[:, :n_out]), reference)
    assert folds_a == math.ceil(math.ceil(k / m) * n / rows)
    assert cycles_a == [array_fold_cycles(rows, cols, tokens)] * (n_cf * folds_a)

    sched = _sim_schedule(layer, arch, "ws")
    assert sched.cg_folds.tolist() == [folds_a] * n_cf
    assert [int(d) + 1 for d in sched.fold_cycles] == cycles_a       # simulator fold = model - 1

    # (b) the RTL's N:M cells (N multipliers each): the same multipliers as R/N rows,
    # one M-group per cell row -> the same number of row folds, a shorter fill.
    if rows % n:
        return
    rm = rows // n
    cell = PEConfig(kind="nm", n=n, m=m, lanes=n, index_bits=ib, accumulator_bits=16)
    folds_b = -(-groups // rm)
    assert folds_b == folds_a
    total[...] = 0
    for cf in range(n_cf):
        chans = [cf * cols + c for c in range(cols)]
        per = {j: _nm_groups(w[j], m) for j in chans if j < n_out}
        for f in range(folds_b):
            cells = []
            for r in range(rm):
                q = f * rm + r
                row = []
                for j in chans:
                    nz, vals = per[j][q] if (j < n_out and q < groups) else ([], [])
                    fill = [0] * (n - len(nz))
                    row.append((tuple(vals + fill), tuple(nz + fill)))
                cells.append(tuple(row))
            vectors = [tuple(_act_group(act[i], q, m) for q in range(f * rm, (f + 1) * rm))
                       for i in range(tokens)]
            out, cycles = _run_ws_fold(cell, rm, cols, cells, vectors)
            total[:, cf * cols:(cf + 1) * cols] += out
            assert cycles == array_fold_cycles(rm, cols, tokens)
            assert cycles == sched.fold_cycles[0] + 1 - (2 * (rows - rm))
    assert np.array_equal(wrap16(total[:, :n_out]), reference)


# ----------------------------------------------------------------------------- values
FUNCTIONAL_MODES = {**MODES, "unstructured-narrow-index": dict(kind="unstructured", lanes=2,
                                                               index_bits=3)}


@pytest.mark.parametrize("name", FUNCTIONAL_MODES)
def test_functional_path_and_pe_model_agree_bit_for_bit(name):
    """6-bit operands into a 12-bit accumulator: sums wrap, and both paths wrap alike."""
    mode = FUNCTIONAL_MODES[name]
    rng = np.random.default_rng([*map(ord, name)])
    k, n_out, pixels, bits = 29, 6, 3, (6, 6, 12)
    arch = _arch(mode, "os", 4, 4, bits=bits)
    cfg = PEConfig.from_arch(arch)
    w = _random_weight(rng, mode, n_out, k, 6, full_rows=(0,))
    act = _operand(rng, 6, (pixels, k))
    act[0] = -32                                     # with row 0 at -32: products of +1024
    w[0] = np.where(w[0] != 0, -32, 0)
    layer = linear_layer("fc", in_features=k, out_features=n_out, tokens=pixels, weight=w)

    functional = layer_output(layer, arch, activations=act).output
    model = np.zeros((pixels, n_out), dtype=np.int64)
    for j in range(n_out):
        stored = _stored_blocks(mode, w, j) if mode["kind"] == "block" else None
        for i in range(pixels):
            model[i, j] = _run_pe(cfg, _pe_stream(cfg, w[j], act[i], stored)[0])[0]
    assert np.array_equal(model, functional)
    assert np.array_equal(model, _reference_layer(w, act, 12))
    exact = act @ w.T
    assert np.any(exact != model)                    # the accumulator really wrapped


# ----------------------------------------------------------------------------- windows
@pytest.mark.parametrize("lanes", [1, 2, 3])
def test_unstructured_window_segments(lanes):
    """K > window: the PE streams each window segment separately.

    Its beats are ``sum over segments of ceil(nnz_s / lanes)``; the simulator (the
    contract's rule) counts ``ceil(nnz / lanes)``: equal for one lane, and at most
    ``segments - 1`` fewer beats otherwise.
    """
    k, n_out, index_bits = 37, 8, 3
    mode = dict(kind="unstructured", lanes=lanes, index_bits=index_bits)
    rng = np.random.default_rng(lanes)
    arch = _arch(mode, "os", 2, 2)
    cfg = PEConfig.from_arch(arch)
    w = _random_weight(rng, mode, n_out, k, 8)
    act = _operand(rng, 8, (1, k))
    layer = linear_layer("fc", in_features=k, out_features=n_out, tokens=1, weight=w)
    rule, _ = timing_rule(arch, parse_format("csr"))
    sim_beats = weight_profile(layer, rule, 2, 2, "os", raw_bits_view(w, "fc")).beats[0]
    win = cfg.window_words
    segments = -(-k // win)
    for j in range(n_out):
        events, empty = _pe_stream(cfg, w[j], act[0])
        result, accepted, _ = _run_pe(cfg, events)
        assert result == _ref(w[j], act[0], 32)
        measured = 0 if empty else accepted
        per_segment = [int(np.count_nonzero(w[j, s:s + win])) for s in range(0, k, win)]
        assert measured == sum(pe_beats("unstructured", lanes=lanes, nnz=c) for c in per_segment)
        if lanes == 1:
            assert sim_beats[j] == measured
        else:
            assert sim_beats[j] <= measured <= sim_beats[j] + segments - 1
