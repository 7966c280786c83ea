"""Functional mode: bit-exact integer outputs from every encoded format."""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accelsim.errors import AccelsimInputError
from accelsim.formats import encode
from accelsim.sim.functional import LayerOutput, functional_gemm, layer_output
from accelsim.spec import arch_from_dict, load_arch
from accelsim.workload import conv_layer, linear_layer, matmul_layer

FORMATS = ("dense", "csr", "csc", "bsr:4x4", "nm:2:4", "bitmap")


def _arch(weight_bits=8, activation_bits=8, accumulator_bits=32, **pe):
    return arch_from_dict({
        "name": "t", "array": {"rows": 4, "cols": 4}, "dataflow": "ws",
        "precision": {"weight_bits": weight_bits, "activation_bits": activation_bits,
                      "accumulator_bits": accumulator_bits},
        "pe": pe or {"sparsity": "dense"},
        "buffers": {"weight_kib": 8, "input_kib": 8, "output_kib": 8},
        "dram": {"bandwidth_bytes_per_cycle": 16},
    })


def _reference(act, weight, acc_bits):
    """NumPy int64 GEMM per group, reduced to acc_bits with Python-int modulo (independent of the code)."""
    act = act[None] if act.ndim == 2 else act
    per = weight.shape[0] // act.shape[0]
    full = np.concatenate([act[g].astype(np.int64) @ weight[g * per:(g + 1) * per].T.astype(np.int64)
                           for g in range(act.shape[0])], axis=1)
    half, mod = 1 << (acc_bits - 1), 1 << acc_bits
    return np.array([[(int(v) + half) % mod - half for v in row] for row in full], dtype=np.int64)


def _make_nm(weight, n=2, m=4):
    """Zero all but the first n nonzeros of every group of m columns."""
    w = weight.copy()
    for r in range(w.shape[0]):
        for c0 in range(0, w.shape[1], m):
            nz = np.flatnonzero(w[r, c0:c0 + m])
            w[r, c0 + nz[n:]] = 0
    return w


def _operands(draw_or_rng, groups, m, k, rows_per_group, wbits, abits, w_density, fmt):
    rng = draw_or_rng
    act = rng.integers(-(1 << (abits - 1)), 1 << (abits - 1), size=(groups, m, k))
    act[rng.random(act.shape) < 0.3] = 0
    w = rng.integers(-(1 << (wbits - 1)), 1 << (wbits - 1), size=(groups * rows_per_group, k))
    w[rng.random(w.shape) >= w_density] = 0
    if fmt.startswith("bsr"):          # zero whole 4x4 blocks too, so some blocks are skipped
        for r0 in range(0, w.shape[0], 4):
            for c0 in range(0, k, 4):
                if rng.random() < 0.4:
                    w[r0:r0 + 4, c0:c0 + 4] = 0
    if fmt.startswith("nm"):
        w = _make_nm(w)
    return act, w


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fmt=st.sampled_from(FORMATS),
    groups=st.integers(1, 2), m=st.integers(1, 5), k=st.integers(1, 19), rows=st.integers(1, 6),
    widths=st.sampled_from([(8, 8, 32), (8, 8, 16), (4, 8, 12), (6, 6, 12), (3, 5, 8)]),
    w_density=st.sampled_from([0.0, 0.3, 0.7, 1.0]),
    narrow_index=st.booleans(),
    seed=st.integers(0, 2 ** 32 - 1),
)
def test_bit_exact_across_formats(fmt, groups, m, k, rows, widths, w_density, narrow_index, seed):
    wbits, abits, acc = widths
    rng = np.random.default_rng(seed)
    act, w = _operands(rng, groups, m, k, rows, wbits, abits, w_density, fmt)
    # narrow indices force EIE-style relative indices with padding entries for csr/csc/bsr
    index_bits = 1 if narrow_index and fmt in ("csr", "csc", "bsr:4x4") else None
    tensor = encode(w, fmt, value_bits=wbits, index_bits=index_bits)
    arch = _arch(wbits, abits, acc)
    got = functional_gemm(act if groups > 1 else act[0], tensor, arch)
    assert got.dtype == np.int64 and got.shape == (m, groups * rows)
    assert np.array_equal(got, _reference(act, w, acc))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("acc", [12, 16, 32])
def test_wraps_at_small_accumulator_widths(fmt, acc):
    # 8-bit operands at full scale over K = 64: raw sums reach ~64 * 127 * 127 >> 2**15.
    rng = np.random.default_rng(7)
    act = rng.integers(100, 128, size=(3, 64)) * rng.choice([-1, 1], size=(3, 64))
    w = rng.integers(100, 128, size=(8, 64))
    w = _make_nm(w) if fmt.startswith("nm") else w
    raw = act.astype(np.int64) @ w.T.astype(np.int64)
    if acc < 32:
        assert np.abs(raw).max() >= 1 << (acc - 1)      # the test really wraps
    arch = _arch(8, 8, acc) if acc >= 16 else _arch(4, 8, acc)
    if acc < 16:                                         # 4-bit weights for a 12-bit accumulator
        w = np.clip(w // 16, -8, 7)
        w = _make_nm(w) if fmt.startswith("nm") else w
        assert np.abs(act.astype(np.int64) @ w.T.astype(np.int64)).max() >= 1 << (acc - 1)
    got = functional_gemm(act, encode(w, fmt, value_bits=8), arch)
    expected = _reference(act, w, acc)
    assert np.array_equal(got, expected)
    lo, hi = -(1 << (acc - 1)), (1 << (acc - 1)) - 1
    assert got.min() >= lo and got.max() <= hi


def test_wide_operands_wrap_like_int64_then_accumulator():
    # 32-bit operands, 64-bit accumulator: the int64 sums overflow and wrap modulo 2**64.
    arch = _arch(32, 32, 64)
    act = np.full((1, 8), -(2 ** 31), dtype=np.int64)
    w = np.full((2, 8), -(2 ** 31), dtype=np.int64)
    expected = np.full((1, 2), (8 * 2 ** 62 + 2 ** 63) % 2 ** 64 - 2 ** 63, dtype=np.int64)   # = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # pure-Python (NUMBA_DISABLE_JIT) int64 overflow
        assert np.array_equal(functional_gemm(act, w, arch), expected)
        assert np.array_equal(functional_gemm(act, encode(w, "csr", value_bits=32), arch), expected)


def test_dense_numpy_weight_and_encoded_agree():
    rng = np.random.default_rng(1)
    act = rng.integers(-128, 128, size=(4, 10))
    w = rng.integers(-128, 128, size=(5, 10))
    arch = _arch()
    assert np.array_equal(functional_gemm(act, w, arch), functional_gemm(act, encode(w, "dense"), arch))
    assert np.array_equal(functional_gemm(act, w, arch), act @ w.T)


def test_hand_computed_small_case():
    act = np.array([[1, 2, 3, 4]])
    w = np.array([[1, 0, 0, -1], [0, 2, 0, 0]])
    # row 0: 1*1 + 4*(-1) = -3; row 1: 2*2 = 4
    for fmt in FORMATS:
        assert functional_gemm(act, encode(w, fmt), _arch()).tolist() == [[-3, 4]], fmt


def test_operand_errors_are_reported_together():
    arch = _arch(4, 8, 16)
    with pytest.raises(AccelsimInputError) as info:
        functional_gemm(np.array([[300, 1]]), np.array([[8, 0, 1]]), arch)
    assert str(info.value).splitlines() == [
        "invalid operands for the functional GEMM",
        "  - activations: got 300; allowed: integers in [-128, 127] (8-bit two's complement)",
        "  - weight: got 8; allowed: integers in [-8, 7] (4-bit two's complement)",
    ]


def test_shape_and_dtype_errors():
    arch = _arch()
    with pytest.raises(AccelsimInputError) as info:
        functional_gemm(np.ones((2, 3), dtype=np.int64), np.ones((4, 5), dtype=np.int64), arch)
    assert "  - weight: got 'matrix of shape (4, 5)'; allowed: 3 columns (the reduction length K of the " \
           "activations)" in str(info.value)
    with pytest.raises(AccelsimInputError) as info:
        functional_gemm(np.ones((3, 2, 5), dtype=np.int64), np.ones((4, 5), dtype=np.int64), arch)
    assert "  - activations: got '3 groups'; allowed: a divisor of the weight's 4 rows" in str(info.value)
    with pytest.raises(AccelsimInputError) as info:
        functional_gemm(np.ones((2, 3)), encode(np.ones((2, 3), dtype=np.float32), "csr"), arch)
    lines = str(info.value).splitlines()
    assert lines[1].startswith("  - activations: got 'array of dtype float64'; allowed: integers")
    assert lines[2] == ("  - weight: got 'csr tensor of dtype float32'; allowed: an encoded integer weight "
                        "(quantize before encoding)")


# ------------------------------------------------------------------ layer_output
def _nm_weight(rng, rows, k):
    return _make_nm(rng.standard_normal((rows, k)))


def test_layer_output_linear_float_weight_on_nm_arch():
    rng = np.random.default_rng(5)
    w = _nm_weight(rng, 6, 16)
    layer = linear_layer("fc", in_features=16, out_features=6, tokens=3, weight=w)
    arch = load_arch("nm24-ws-32x32")
    res = layer_output(layer, arch)
    assert isinstance(res, LayerOutput) and res.format == "nm:2:4"
    # the integer weight is the symmetric 8-bit quantisation of w
    scale = np.abs(w).max() / 127
    assert res.weight_scale == pytest.approx(scale)
    assert np.array_equal(res.weight, np.clip(np.rint(w / scale), -127, 127).astype(np.int64))
    assert np.array_equal(res.output, _reference(res.activations, res.weight, 32))
    assert not res.output.flags.writeable


def test_layer_output_grouped_conv_all_formats():
    rng = np.random.default_rng(9)
    w = rng.integers(-128, 128, size=(4, 2, 3, 3)).astype(np.int8)     # K filters=4, C/groups=2
    w = _make_nm(w.reshape(4, 18)).reshape(4, 2, 3, 3)
    layer = conv_layer("c", in_channels=4, in_h=5, in_w=5, out_channels=4, kernel=3, groups=2,
                       weight=w, input_density=0.5)
    assert (layer.groups, layer.m, layer.k, layer.n) == (2, 9, 18, 2)
    arch = _arch(8, 8, 16)
    outs = {}
    for fmt in FORMATS:
        res = layer_output(layer, arch, format=fmt, seed=11)
        assert res.activations.shape == (2, 9, 18) and res.weight_scale is None
        assert np.array_equal(res.output, _reference(res.activations, w.reshape(4, 18), 16)), fmt
        outs[fmt] = res.output
    assert all(np.array_equal(o, outs["dense"]) for o in outs.values())


def test_layer_output_is_deterministic_and_seeded():
    layer = matmul_layer("qk", m=4, k=8, n=5, repeats=2)       # no weight: generated from the seed
    arch = _arch()
    a, b = layer_output(layer, arch, seed=3), layer_output(layer, arch, seed=3)
    c = layer_output(layer, arch, seed=4)
    assert np.array_equal(a.output, b.output) and np.array_equal(a.activations, b.activations)
    assert np.array_equal(a.weight, b.weight)
    assert not np.array_equal(a.activations, c.activations)
    assert np.array_equal(a.output, _reference(a.activations, a.weight, 32))


def test_layer_output_input_density_and_given_activations():
    rng = np.random.default_rng(2)
    w = rng.integers(-128, 128, size=(8, 64))
    layer = linear_layer("fc", in_features=64, out_features=8, tokens=50, weight=w, input_density=0.2)
    res = layer_output(layer, _arch())
    assert 0.12 < np.count_nonzero(res.activations) / res.activations.size < 0.28
    act = rng.integers(-128, 128, size=(50, 64))
    given_res = layer_output(layer, _arch(), activations=act)
    assert np.array_equal(given_res.activations[0], act)
    assert np.array_equal(given_res.output, _reference(act, w, 32))


def test_layer_output_rejects_bad_activations_and_weights():
    w = np.ones((2, 4), dtype=np.int64)
    layer = linear_layer("fc", in_features=4, out_features=2, tokens=3, weight=w)
    with pytest.raises(AccelsimInputError) as info:
        layer_output(layer, _arch(), activations=np.ones((3, 5), dtype=np.int64))
    assert str(info.value) == ("invalid activations for layer 'fc'\n"
                               "got shape (1, 3, 5); expected (1, 3, 4) (groups, M, K) or (3, 4)")
    big = linear_layer("fc", in_features=4, out_features=2, weight=np.full((2, 4), 200, dtype=np.int64))
    with pytest.raises(AccelsimInputError) as info:
        layer_output(big, _arch())
    assert str(info.value).splitlines() == [
        "invalid integer weight for layer 'fc'",
        "  - fc.weight: got 200; allowed: integers in [-128, 127] (8-bit two's complement)",
    ]
