"""The fast IS array reference (rtl.fast_is on rtl.fast_array's kernel) against SystolicArrayModel("is").

The fast trace's inputs are decoded from the packed port words and replayed
through the cycle-by-cycle Python model (the specification); every output of
every cycle must agree. Then a small real layer through Verilator: the
generated IS array passes, a mutant of it fails.
"""

import numpy as np
import pytest

from accelsim.rtl.fast_array import unpack_words
from accelsim.rtl.fast_is import is_folds_trace, is_layer_folds
from accelsim.rtl.stimulus import random_operand
from accelsim.sim.array_model import SystolicArrayModel, SystolicInputs, array_cell_config
from accelsim.sim.pe_model import PEConfig

CFGS = {"dense": PEConfig(kind="dense", lanes=2),
        "nm": PEConfig(kind="nm", lanes=2, n=2, m=4, index_bits=2),
        "unstructured": PEConfig(kind="unstructured", lanes=2, index_bits=3),
        "block": PEConfig(kind="block", lanes=3, index_bits=2, block_rows=2, block_cols=4)}
PATTERNS = dict(bubble=(0.0, 0.3, 0.0, 0.25), stall=(0.0, 0.0, 0.4, 0.25))


def _replay(cfg, rows, cols, tr) -> list:
    """Cycles where SystolicArrayModel (IS), fed the fast trace's inputs, disagrees with it."""
    model = SystolicArrayModel(cfg, rows, cols, "is")
    cell, ins = model.cell_config, tr.inputs
    lanes, per = cell.lanes, cell.acts_per_beat
    n_idx = lanes if cell.kind == "nm" else 0
    xd = unpack_words(ins["x_data"], cell.activation_bits, cols * per)
    wd = unpack_words(ins["w_data"], cell.weight_bits, rows * lanes)
    wi = unpack_words(ins["w_idx"], cell.index_bits, rows * n_idx) & ((1 << cell.index_bits) - 1) \
        if n_idx else None
    od = unpack_words(tr.expected["o_data"], cell.accumulator_bits, cols)
    bad = []
    for c in range(tr.cycles):
        load = None
        if ins["x_we"][c, 0]:
            load = (int(ins["x_row"][c, 0]),
                    tuple(tuple(int(x) for x in xd[c, j * per:(j + 1) * per]) for j in range(cols)),
                    (0, 0))
        stream = tuple((tuple(int(x) for x in wd[c, r * lanes:(r + 1) * lanes]),
                        tuple(int(x) for x in wi[c, r * n_idx:(r + 1) * n_idx]) if n_idx else ())
                       for r in range(rows))
        o = model.step(SystolicInputs(bool(ins["w_valid"][c, 0]), stream, bool(ins["o_ready"][c, 0]),
                                      load))
        ok = (int(o.ready), int(o.o_valid)) == (tr.expected["w_ready"][c, 0],
                                                tr.expected["o_valid"][c, 0])
        if not ok or (o.o_valid and tuple(o.o_data) != tuple(int(x) for x in od[c])):
            bad.append(c)
    return bad


def _wrap(x, bits):
    x = np.asarray(x, dtype=np.int64) & ((1 << bits) - 1)
    return np.where(x >= 1 << (bits - 1), x - (1 << bits), x)


def _assembled(cfg, folds, tr, v, n):
    """The layer output from the trace's taken vectors (an independent placement of the folds)."""
    out = np.zeros((folds.pixels, n), dtype=np.int64)
    vecs = tr.out_vectors
    i = 0
    for f in range(folds.folds):
        for t in range(folds.fold_v0[f], folds.fold_v1[f]):
            out[folds.fold_p0[f]:folds.fold_p0[f] + vecs.shape[1], folds.channel[t]] += vecs[i]
            i += 1
    assert i == vecs.shape[0]
    return _wrap(out[:v], cfg.accumulator_bits)


def _layer(cfg, seed, n=7, k=19, v=9, bits=8):
    rng = np.random.default_rng(seed)
    w = random_operand(rng, bits, (n, k))
    if cfg.kind == "nm":                       # keep at most N of every M
        for g in range(0, k, cfg.m):
            drop = rng.permuted(np.tile(np.arange(min(cfg.m, k - g)) >= cfg.n, (n, 1)), axis=1)
            w[:, g:g + cfg.m][drop] = 0
    elif cfg.kind != "dense":
        w[rng.random(w.shape) < 0.6] = 0
    w[2] = 0                                   # an all-zero channel: never streamed
    return w, random_operand(rng, bits, (v, k), zero_fraction=0.2)


@pytest.mark.parametrize("kind", list(CFGS))
@pytest.mark.parametrize("rows,cols", [(3, 4), (1, 1), (2, 3)])
def test_fast_is_equals_python_model(kind, rows, cols):
    cfg = CFGS[kind]
    w, a = _layer(cfg, seed=rows * 10 + cols)
    folds = is_layer_folds(cfg, rows, cols, w, a, seed=1)
    tr = is_folds_trace(cfg, rows, cols, folds, **PATTERNS, seed=5)
    assert _replay(cfg, rows, cols, tr) == []
    # the taken vectors assemble to the layer's output (an independent NumPy reference)
    np.testing.assert_array_equal(_assembled(cfg, folds, tr, a.shape[0], w.shape[0]), a @ w.T)
    # channel 2 is never streamed; bubbles, back-pressure and held vectors really happened
    assert 2 not in folds.channel
    assert 0 < tr.inputs["o_ready"][:, 0].sum() < tr.cycles
    assert np.any(tr.expected["w_ready"][:, 0] == 0)
    # flat-out folds (pattern 0) last 2*rows + cols + V - 1 cycles, the others longer
    flat = 2 * rows + cols + folds.fold_v1 - folds.fold_v0 - 1
    np.testing.assert_array_equal(tr.fold_cycles[::4], flat[::4])
    assert np.all(tr.fold_cycles >= flat) and tr.cycles > flat.sum()


def test_all_zero_chunks_have_no_fold():
    cfg = CFGS["dense"]
    w = np.zeros((5, 16), dtype=np.int64)
    w[1, 0], w[3, 9] = 7, -3                   # chunk 0 (k 0..5) and chunk 1 (k 6..11) used
    folds = is_layer_folds(cfg, 3, 2, w, np.ones((4, 16), dtype=np.int64))
    assert folds.folds == 2 * 2                # 2 pixel blocks x 2 chunks; chunk 2 is skipped
    assert list(folds.fold_chunk) == [0, 1, 0, 1] and list(folds.channel) == [1, 3]


def test_groups_run_as_one_stream():
    # a grouped conv: each group its own weights and activations over the same pixels
    from accelsim.rtl.fast_is import concat_folds
    cfg, rows, cols = CFGS["nm"], 2, 3
    (w0, a0), (w1, a1) = _layer(cfg, seed=1, n=3, v=5), _layer(cfg, seed=2, n=3, v=5)
    folds = concat_folds([is_layer_folds(cfg, rows, cols, w0, a0),
                          is_layer_folds(cfg, rows, cols, w1, a1)], [0, 3])
    tr = is_folds_trace(cfg, rows, cols, folds, **PATTERNS, seed=4)
    assert _replay(cfg, rows, cols, tr) == []
    np.testing.assert_array_equal(_assembled(cfg, folds, tr, 5, 6),
                                  np.concatenate([a0 @ w0.T, a1 @ w1.T], axis=1))


@pytest.mark.parametrize("kind", ["dense", "nm"])
def test_full_width_operands_and_accumulator_wrap(kind):
    # 16-bit extremes: each product is up to 2**30, so 4 rows x 2 lanes wrap the 32-bit accumulator
    base = CFGS[kind]
    cfg = PEConfig(kind=base.kind, lanes=2, n=base.n, m=base.m, index_bits=base.index_bits,
                   weight_bits=16, activation_bits=16, accumulator_bits=32)
    rows, cols = 4, 3
    cell = array_cell_config(cfg, "is")
    k = rows * (cell.m if kind == "nm" else cell.lanes)
    lo, hi = -(1 << 15), (1 << 15) - 1
    pos = np.arange(k)
    w = np.array([np.full(k, lo), np.full(k, lo), np.where(pos % 2, hi, lo), np.full(k, hi)])
    a = np.array([np.full(k, lo), np.full(k, hi), np.full(k, -1)])
    if kind == "nm":
        w[:, (pos % cfg.m) >= cfg.n] = 0
    folds = is_layer_folds(cfg, rows, cols, w, a)
    tr = is_folds_trace(cfg, rows, cols, folds, **PATTERNS, seed=3)
    assert _replay(cfg, rows, cols, tr) == []
    exact = a @ w.T
    assert np.abs(exact).max() >= 1 << 31       # the sums really leave the accumulator range
    np.testing.assert_array_equal(_assembled(cfg, folds, tr, 3, 4), _wrap(exact, 32))


def test_a_broken_fast_is_kernel_fails_the_replay(monkeypatch):
    import accelsim.rtl.fast_array as fa
    cfg, rows, cols = CFGS["nm"], 2, 3
    w, a = _layer(cfg, seed=3)
    folds = is_layer_folds(cfg, rows, cols, w, a)
    good = getattr(fa._systolic_kernel, "py_func", fa._systolic_kernel)   # NUMBA_DISABLE_JIT: a function

    def broken(*args):                      # off by one: in-group index M - 1 reads nothing
        args = list(args)
        args[2] -= 1
        return good(*args)
    monkeypatch.setattr(fa, "_systolic_kernel", broken)
    tr = is_folds_trace(cfg, rows, cols, folds, **PATTERNS, seed=2)
    assert len(_replay(cfg, rows, cols, tr)) > 0


def test_bad_fold_input_is_refused():
    from accelsim.errors import AccelsimInputError
    from accelsim.rtl.fast_array import systolic_word_trace
    cfg = CFGS["dense"]
    folds = is_layer_folds(cfg, 2, 2, np.ones((3, 4)), np.ones((2, 4)))
    with pytest.raises(AccelsimInputError, match="do not fit a 2x3 IS array"):
        systolic_word_trace(cfg, "is", 2, 3, folds.stationary, folds.fold_st, folds.flow,
                            folds.fold_v0, folds.fold_v1)
    with pytest.raises(AccelsimInputError, match="at least one streamed vector"):
        systolic_word_trace(cfg, "is", 2, 2, folds.stationary, folds.fold_st, folds.flow,
                            folds.fold_v0, folds.fold_v0)
    with pytest.raises(AccelsimInputError, match="probabilities in"):
        is_folds_trace(cfg, 2, 2, folds, bubble=(1.0,), stall=(0.0,))
    with pytest.raises(AccelsimInputError, match="not N x K and V x K"):
        is_layer_folds(cfg, 2, 2, np.ones((3, 4)), np.ones((2, 5)))


# --------------------------------------------------------------------------- whole layer, Verilator
def _is_arch(kind="nm", **pe):
    from accelsim.spec import arch_from_dict
    pe = pe or {"n": 2, "m": 4}
    return arch_from_dict({
        "name": f"{kind}-is", "array": {"rows": 8, "cols": 4}, "dataflow": "is",   # 2:4: 4x4 cells
        "precision": {"weight_bits": 8, "activation_bits": 8, "accumulator_bits": 32},
        "pe": {"sparsity": kind, **pe},
        "buffers": {"weight_kib": 64, "input_kib": 64, "output_kib": 64},
        "dram": {"bandwidth_bytes_per_cycle": 16}})


@pytest.fixture(scope="module")
def tiny():
    from accelsim.workload.loaders import load_workload
    return load_workload("tiny-cnn")


def test_whole_layer_is_passes_on_verilator(have_verilator, tiny):
    from accelsim.rtl.layer_operands import layer_operands
    from accelsim.rtl.layer_verify import verify_layer
    arch = _is_arch()
    r = verify_layer(arch, tiny, "conv2", whole_layer=True)      # 64 pixels, K = 72, 16 channels, 2:4
    assert r.ok, r.message
    assert r.dataflow == "is" and r.mode == "whole-layer" and r.shape == (4, 4)
    # one fold per (block of 4 pixels, chunk of 4 rows x M = 4 weights) with a nonzero channel
    ops = layer_operands(arch, tiny, "conv2")
    w = np.zeros((16, 80), dtype=np.int64)                       # K padded to 5 chunks of 16
    w[:, :72] = ops.weight
    used = int(np.any(w.reshape(16, 5, 16) != 0, axis=(0, 2)).sum())
    assert r.folds == r.total_folds == (64 // 4) * used
    assert r.outputs_checked == 64 * 16
    assert r.rtl_cycles == r.model_cycles == r.cycles > r.folds * (2 * 4 + 4)
    assert "fast IS reference" in r.summary() and "PASS" in r.summary()


@pytest.mark.parametrize("mutant", ["adder->subtractor", "index lanes swapped"])
def test_whole_layer_is_catches_a_mutant(have_verilator, tiny, tmp_path, mutant):
    import verilog_mutants as vm

    from accelsim.rtl.export import Top, top_name, verilog_source
    from accelsim.rtl.layer_verify import verify_layer
    arch = _is_arch()
    module = top_name(arch, "array")
    text = verilog_source(Top("array", module, PEConfig.from_arch(arch), 4, 4, "is"))
    bad = tmp_path / "bad.v"
    bad.write_text(vm.accumulate_subtracts(text, module) if mutant == "adder->subtractor"
                   else vm.swap_index_lanes(text, module, "w_idx", 2))
    r = verify_layer(arch, tiny, "conv2", whole_layer=True, verilog=bad)
    assert not r.ok and "fold" in r.message and "expected" in r.message, r.message
    assert "FAIL" in r.summary()
