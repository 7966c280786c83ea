"""Quantisation and two's-complement helpers of the functional mode."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.errors import AccelsimInputError
from accelsim.sim.quantize import (dequantize, int_range, quantize_symmetric, random_ints, symmetric_max,
                                   wrap_to_bits)


def _wrap_ref(v: int, bits: int) -> int:
    """Independent reference: Python's arbitrary-precision modulo."""
    half = 1 << (bits - 1)
    return (v + half) % (1 << bits) - half


def test_ranges():
    assert int_range(8) == (-128, 127)
    assert int_range(1) == (-1, 0)
    assert symmetric_max(8) == 127 and symmetric_max(4) == 7


def test_quantize_rounds_half_to_even_and_scales_by_the_max():
    # max |x| = 127 with 8 bits -> scale 1, so the codes are the rounded inputs.
    q, scale = quantize_symmetric([0.5, 1.5, 2.5, -2.5, -0.5, 3.49, 127.0], 8)
    assert scale == 1.0
    assert q.tolist() == [0, 2, 2, -2, 0, 3, 127]
    assert q.dtype == np.int64


def test_quantize_symmetric_range_and_zero():
    q, scale = quantize_symmetric([-1.0, 0.0, 0.25, 1.0], 4)
    assert scale == pytest.approx(1 / 7)
    assert q.tolist() == [-7, 0, 2, 7]            # 0.25 * 7 = 1.75 -> 2
    q0, s0 = quantize_symmetric(np.zeros((2, 3)), 8)
    assert s0 == 1.0 and not q0.any() and q0.shape == (2, 3)


def test_quantize_rejects_bad_input():
    with pytest.raises(AccelsimInputError) as info:
        quantize_symmetric([1.0, np.nan, np.inf], 8)
    assert str(info.value) == "cannot quantize: 2 value(s) are NaN or infinite"
    with pytest.raises(AccelsimInputError) as info:
        quantize_symmetric([1.0], 1)
    assert str(info.value) == "invalid bit width: bits must be an integer from 2 to 32, not 1"
    q, scale = quantize_symmetric([5e-324, -1e-310], 8)     # subnormal scale: flushed to zero
    assert q.tolist() == [0, 0] and scale == 1.0
    with pytest.raises(AccelsimInputError, match="cannot quantize an array of dtype <U1"):
        quantize_symmetric(["a"], 8)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=30), st.integers(2, 16))
def test_quantize_properties(values, bits):
    x = np.array(values)
    q, scale = quantize_symmetric(x, bits)
    qmax = 2 ** (bits - 1) - 1
    assert np.all(np.abs(q) <= qmax)
    assert np.all(q[x == 0] == 0)
    if np.abs(x).max() / qmax < 2.2250738585072014e-308:     # documented flush of subnormal scales
        assert not q.any() and scale == 1.0
    else:
        assert np.abs(q).max() == qmax
        # each code is x / scale rounded half-to-even (Python's round() is the reference)
        assert q.tolist() == [round(v / scale) for v in x.tolist()]
        assert np.all(np.abs(dequantize(q, scale) - x) <= scale / 2 * (1 + 1e-9))


def test_wrap_scalars_by_hand():
    assert wrap_to_bits(127, 8) == 127
    assert wrap_to_bits(128, 8) == -128
    assert wrap_to_bits(255, 8) == -1
    assert wrap_to_bits(-129, 8) == 127
    assert wrap_to_bits(2 ** 70 + 5, 64) == 5
    assert wrap_to_bits(1, 1) == -1 and wrap_to_bits(2, 1) == 0
    assert isinstance(wrap_to_bits(np.int64(300), 8), int)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-(2 ** 63), 2 ** 63 - 1), min_size=1, max_size=20), st.integers(1, 64))
def test_wrap_arrays_match_python_modulo(values, bits):
    got = wrap_to_bits(np.array(values, dtype=np.int64), bits)
    assert got.dtype == np.int64
    assert got.tolist() == [_wrap_ref(v, bits) for v in values]


def test_wrap_uint64_and_shapes():
    u = np.array([[2 ** 64 - 1, 2 ** 63]], dtype=np.uint64)
    assert wrap_to_bits(u, 64).tolist() == [[-1, -(2 ** 63)]]
    assert wrap_to_bits(u, 8).tolist() == [[-1, 0]]
    assert wrap_to_bits(np.int64(7), 3) == -1


def test_wrap_rejects_bad_input():
    with pytest.raises(AccelsimInputError, match="wrap_to_bits needs integers, not an array of dtype float64"):
        wrap_to_bits(np.array([1.5]), 8)
    with pytest.raises(AccelsimInputError, match="bits must be an integer from 1 to 64, not 65"):
        wrap_to_bits(3, 65)


def test_random_ints_cover_the_range_and_are_seeded():
    a = random_ints(np.random.default_rng(3), (4000,), 4)
    b = random_ints(np.random.default_rng(3), (4000,), 4)
    assert np.array_equal(a, b)
    assert a.min() == -8 and a.max() == 7
    sparse = random_ints(np.random.default_rng(3), (4000,), 8, density=0.25)
    assert 0.2 < np.count_nonzero(sparse) / sparse.size < 0.3
