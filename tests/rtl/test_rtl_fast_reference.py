"""The fast Numba references (rtl.fast_pe, rtl.fast_array) against the cycle-by-cycle Python models.

The fast models' inputs are decoded from their packed port words and replayed
through PEModel / WSArrayModel (the specification); every output of every
cycle must agree.
"""

import numpy as np
import pytest

from accelsim.rtl.fast_array import fold_batch_trace, pack_words, unpack_words
from accelsim.rtl.fast_pe import fast_pe_trace
from accelsim.rtl.layer_verify import layer_fold_batches
from accelsim.rtl.stimulus import random_operand, random_pe_trials
from accelsim.sim.pe_model import (Beat, PEConfig, PEInputs, PEModel, WSArrayModel, array_fold_cycles,
                                   unpack_lanes)


def _value(row) -> int:
    return sum(int(w) << (32 * i) for i, w in enumerate(row))


def _replay_pe(cfg, tr) -> list:
    """Cycles where PEModel, fed the fast trace's inputs, disagrees with its expected outputs."""
    model, ins = PEModel(cfg), tr.inputs
    ib = cfg.index_bits or 1
    w = unpack_words(ins["in_w"], cfg.weight_bits, cfg.lanes)
    a = unpack_words(ins["in_a"], cfg.activation_bits, cfg.acts_per_beat) if "in_a" in ins else None
    idx = [unpack_lanes(_value(r), ib, cfg.indices_per_beat, signed=False) for r in ins["in_idx"]] \
        if "in_idx" in ins else None
    data = unpack_words(ins["act_data"], cfg.activation_bits, 1)[:, 0] if "act_we" in ins else None
    exp_d = unpack_words(tr.expected["out_data"], cfg.accumulator_bits, 1)[:, 0]
    bad = []
    for c in range(tr.cycles):
        beat = None
        if ins["in_valid"][c, 0]:
            beat = Beat(tuple(int(x) for x in w[c]), tuple(idx[c]) if idx else (),
                        tuple(int(x) for x in a[c]) if a is not None else (),
                        int(ins["in_sub"][c, 0]) if "in_sub" in ins else 0, bool(ins["in_last"][c, 0]))
        write = (int(ins["act_addr"][c, 0]), int(data[c])) if data is not None and ins["act_we"][c, 0] \
            else None
        o = model.step(PEInputs(beat is not None, beat, bool(ins["out_ready"][c, 0]), write))
        if (int(o.in_ready), int(o.out_valid)) != (tr.expected["in_ready"][c, 0],
                                                   tr.expected["out_valid"][c, 0]) \
                or (o.out_valid and o.out_data != exp_d[c]):
            bad.append(c)
    return bad


@pytest.mark.parametrize("kind", ["dense", "nm", "unstructured", "block"])
def test_fast_pe_equals_python_model(archs, kind):
    cfg = PEConfig.from_arch(archs[kind])
    trials = random_pe_trials(cfg, 40, seed=11)
    tr = fast_pe_trace(cfg, trials, seed=4)
    assert tr.cycles > 40 * 3
    assert _replay_pe(cfg, tr) == []
    # the model's results equal the independent reference, and stalls really happened
    np.testing.assert_array_equal(tr.model_results, tr.reference_results)
    assert 0 < tr.inputs["out_ready"][:, 0].sum() < tr.cycles
    assert np.any(tr.expected["in_ready"][:, 0] == 0)


def test_fast_pe_is_deterministic_and_seeded(archs):
    cfg = PEConfig.from_arch(archs["nm"])
    trials = random_pe_trials(cfg, 10, seed=1)
    a, b, c = (fast_pe_trace(cfg, trials, seed=s) for s in (3, 3, 4))
    assert all(np.array_equal(a.inputs[k], b.inputs[k]) for k in a.inputs)
    assert a.cycles != c.cycles or not all(np.array_equal(a.inputs[k], c.inputs[k]) for k in a.inputs)


def test_pack_unpack_roundtrip():
    rng = np.random.default_rng(0)
    for bits in (1, 2, 7, 8, 13, 32, 33):
        lanes = rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), size=(9, 5)) if bits > 1 \
            else rng.integers(0, 2, size=(9, 5))
        words = pack_words(lanes, bits)
        assert words.shape == (9, -(-5 * bits // 32))
        back = unpack_words(words, bits, 5)
        expect = lanes if bits > 1 else -lanes      # a 1-bit lane reads back signed
        np.testing.assert_array_equal(back, expect)
        # the packing is the RTL's: lane i at bits [i*bits, (i+1)*bits)
        for r in range(9):
            assert _value(words[r]) == sum((int(v) & ((1 << bits) - 1)) << (i * bits)
                                           for i, v in enumerate(lanes[r]))


def _replay_array(cfg, rows, cols, tr) -> list:
    """Cycles where SystolicArrayModel (WS), fed the fast trace's inputs, disagrees with it."""
    from accelsim.sim.array_model import SystolicArrayModel, SystolicInputs
    model = SystolicArrayModel(cfg, rows, cols, "ws")
    cell, ins, L, P = model.cell_config, tr.inputs, model.cell_config.lanes, model.cell_config.acts_per_beat
    wd = unpack_words(ins["w_data"], cell.weight_bits, cols * L)
    wi = unpack_words(ins["w_idx"], cell.index_bits, cols * L) & ((1 << cell.index_bits) - 1) \
        if "w_idx" in ins else None
    ad = unpack_words(ins["a_data"], cell.activation_bits, rows * P)
    od = unpack_words(tr.expected["o_data"], cell.accumulator_bits, cols)
    addr_bits = tr.widths["a_addr"] // rows if "a_addr" in tr.expected else 0
    bad = []
    for c in range(tr.cycles):
        load = None
        if ins["w_we"][c, 0]:
            cells = tuple((tuple(int(x) for x in wd[c, j * L:(j + 1) * L]),
                           tuple(int(x) for x in wi[c, j * L:(j + 1) * L]) if wi is not None else ())
                          for j in range(cols))
            b = (int(ins["w_bidx"][c, 0]), int(ins["w_boff"][c, 0])) if "w_bidx" in ins else (0, 0)
            load = (int(ins["w_row"][c, 0]), cells, b)
        acts = tuple(tuple(int(x) for x in ad[c, r * P:(r + 1) * P]) for r in range(rows))
        o = model.step(SystolicInputs(bool(ins["a_valid"][c, 0]), acts, bool(ins["o_ready"][c, 0]), load))
        ok = (int(o.ready), int(o.o_valid)) == (tr.expected["a_ready"][c, 0], tr.expected["o_valid"][c, 0])
        ok = ok and not (o.o_valid and tuple(o.o_data) != tuple(int(x) for x in od[c]))
        if addr_bits:
            packed = sum(int(a) << (i * addr_bits) for i, a in enumerate(o.a_addr))
            ok = ok and packed == _value(tr.expected["a_addr"][c])
        if not ok:
            bad.append(c)
    return bad


@pytest.mark.parametrize("kind", ["dense", "nm", "block"])
@pytest.mark.parametrize("rows,cols", [(3, 4), (1, 1), (2, 1)])
def test_fast_array_equals_python_model(archs, kind, rows, cols):
    cfg = PEConfig.from_arch(archs[kind])
    cell = WSArrayModel(cfg, rows, cols).cell_config
    chunk = cell.m if cell.kind == "nm" else cell.lanes
    rng = np.random.default_rng(rows * 10 + cols)
    k, n, v = 2 * rows * chunk + 1, 2 * cols + 1, 5
    w = random_operand(rng, 8, (n, k))
    if cell.kind == "nm":                       # keep at most N of every M
        g = np.zeros((n, -(-k // cell.m) * cell.m), dtype=np.int64)
        g[:, :k] = w
        g = g.reshape(n, -1, cell.m)
        drop = np.argsort(rng.random(g.shape), axis=2)[:, :, cell.n:]
        np.put_along_axis(g, drop, 0, axis=2)
        w = g.reshape(n, -1)[:, :k]
    if cfg.kind == "block":                      # zero whole blocks so some block columns are skipped
        cb = cfg.block_cols
        kb = -(-k // cb) * cb
        g = np.zeros((n, kb), dtype=np.int64)
        g[:, :k] = w
        g = g.reshape(n, -1, cb)
        g[:, rng.random(g.shape[1]) < 0.4, :] = 0
        w = g.reshape(n, -1)[:, :k]
    a = random_operand(rng, 8, (v, k))
    folds = 0
    for _, batch, tiles in layer_fold_batches(cfg, rows, cols, w, a, seed=2):
        tr = fold_batch_trace(cfg, rows, cols, batch, seed=3)
        assert tr.cycles == len(tiles) * array_fold_cycles(rows, cols, v)
        assert _replay_array(cfg, rows, cols, tr) == []
        folds += len(tiles)
    if cfg.kind == "block":                      # only stored block columns are mapped
        cb = cfg.block_cols
        expect = 0
        for t in range(0, n, cols):
            tile = np.zeros((cols, -(-k // cb) * cb), dtype=np.int64)
            tile[:min(cols, n - t), :k] = w[t:t + cols]
            stored = int(np.any(tile.reshape(cols, -1, cb) != 0, axis=(0, 2)).sum())
            expect += -(-stored * (cb // cell.lanes) // rows)
        assert folds == expect
    else:
        assert folds == -(-n // cols) * -(-k // (rows * chunk))


@pytest.mark.parametrize("kind", ["dense", "nm", "block"])
def test_fast_ws_with_bubbles_and_back_pressure_equals_python_model(archs, kind):
    # the systolic kernel behind fold_batch_trace, driven with the four stall patterns
    from accelsim.rtl.fast_array import systolic_word_trace
    cfg, rows, cols = PEConfig.from_arch(archs[kind]), 2, 3
    cell = WSArrayModel(cfg, rows, cols).cell_config
    chunk = cell.m if cell.kind == "nm" else cell.lanes
    rng = np.random.default_rng(7)
    k = 2 * rows * chunk if cfg.kind != "block" else cfg.window_words
    w, a = random_operand(rng, 8, (2 * cols, k)), random_operand(rng, 8, (6, k))
    if cell.kind == "nm":
        w.reshape(-1, cell.m)[:, cell.n:] = 0
    for _, b, tiles in layer_fold_batches(cfg, rows, cols, w, a, seed=2):
        f, v = len(tiles), b.acts.shape[1]
        st = np.concatenate([b.weights, b.indices], axis=3)
        vecs = b.acts.reshape(-1, rows, b.acts.shape[3])
        tr = systolic_word_trace(cfg, "ws", rows, cols, st, np.arange(f), vecs, b.fold_chunk * v,
                                 b.fold_chunk * v + v, bidx=b.bidx, boff=b.boff,
                                 bubble=(0.0, 0.3, 0.0, 0.25), stall=(0.0, 0.0, 0.4, 0.25), seed=9)
        assert _replay_array(cfg, rows, cols, tr) == []
        assert np.any(tr.expected["a_ready"][:, 0] == 0) and tr.cycles > f * array_fold_cycles(rows, cols, v)
        if cfg.kind == "block":                  # a_addr is compared, also in back-pressured cycles
            held = int(np.flatnonzero(tr.expected["a_ready"][:, 0] == 0)[0])
            tr.expected["a_addr"][held, 0] ^= 1
            assert _replay_array(cfg, rows, cols, tr) == [held]
