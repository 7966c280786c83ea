"""Scaling rules: exact at table points, hand-checked between them, monotone everywhere."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.energy import load_energy_table
from accelsim.energy.scaling import adder_pj, multiplier_pj, sram_access_pj

T = load_energy_table("horowitz45")


def test_table_points_are_returned_exactly():
    assert T.multiply_pj(8) == 0.2 and T.multiply_pj(32, 32) == 3.1
    assert T.add_pj(8) == 0.03 and T.add_pj(32) == 0.1
    assert T.sram_read_pj_per_bit(8) == 10 / 64
    assert T.sram_read_pj_per_bit(32) == 20 / 64
    assert T.sram_read_pj_per_bit(1024) == 100 / 64


def test_multiplier_between_points_is_a_power_law():
    # 16 bits is the geometric midpoint of 8 and 32: the energy is the geometric mean.
    assert T.multiply_pj(16) == pytest.approx(math.sqrt(0.2 * 3.1))
    # 8 x 32 has the partial products of a 16 x 16 multiplier.
    assert T.multiply_pj(8, 32) == pytest.approx(T.multiply_pj(16, 16))


def test_multiplier_outside_points_is_quadratic():
    assert T.multiply_pj(4) == pytest.approx(0.2 / 4)
    assert T.multiply_pj(64) == pytest.approx(3.1 * 4)
    assert T.multiply_pj(4, 8) == pytest.approx(0.2 / 2)


def test_adder_is_linear_in_bits():
    assert T.add_pj(16) == pytest.approx(0.03 + (16 - 8) / (32 - 8) * (0.1 - 0.03))
    assert T.add_pj(4) == pytest.approx(0.015)
    assert T.add_pj(64) == pytest.approx(0.2)


def test_sram_is_linear_in_log_size_between_points_and_sqrt_outside():
    assert T.sram_read_pj_per_bit(16) == pytest.approx(15 / 64)            # halfway in log2 from 8 to 32
    assert T.sram_read_pj_per_bit(256) == pytest.approx((20 + 3 / 5 * 80) / 64)
    assert T.sram_read_pj_per_bit(2) == pytest.approx(10 * math.sqrt(2 / 8) / 64)
    assert T.sram_read_pj_per_bit(4096) == pytest.approx(100 * 2 / 64)


def test_named_monotonicity_facts():
    assert T.multiply_pj(16) > T.multiply_pj(8)
    assert T.sram_read_pj_per_bit(1024) > T.sram_read_pj_per_bit(256) > T.sram_read_pj_per_bit(8)
    assert T.add_pj(32) > T.add_pj(16) > T.add_pj(8)


widths = st.integers(min_value=1, max_value=64)
sizes = st.floats(min_value=0.25, max_value=65536, allow_nan=False)


@settings(max_examples=100, deadline=None)
@given(widths, widths)
def test_multiplier_and_adder_monotone(a, b):
    lo, hi = min(a, b), max(a, b)
    assert T.multiply_pj(lo) <= T.multiply_pj(hi)
    assert T.multiply_pj(lo, 8) <= T.multiply_pj(hi, 8)
    assert T.add_pj(lo) <= T.add_pj(hi)


@settings(max_examples=100, deadline=None)
@given(sizes, sizes)
def test_sram_monotone(a, b):
    lo, hi = min(a, b), max(a, b)
    assert T.sram_read_pj_per_bit(lo) <= T.sram_read_pj_per_bit(hi) * (1 + 1e-12)


def test_rules_are_continuous_at_the_table_ends():
    pts = ((8, 0.2), (32, 3.1))
    for x in (8, 32):
        assert multiplier_pj(pts, x - 1e-9) == pytest.approx(multiplier_pj(pts, x + 1e-9), rel=1e-6)
        assert adder_pj(pts, x - 1e-9) == pytest.approx(adder_pj(pts, x + 1e-9), rel=1e-6)
    spts = ((8.0, 10.0), (1024.0, 100.0))
    for x in (8.0, 1024.0):
        assert sram_access_pj(spts, x * (1 - 1e-9)) == pytest.approx(sram_access_pj(spts, x * (1 + 1e-9)),
                                                                      rel=1e-6)


def test_single_point_tables_scale_by_the_outside_rule():
    assert multiplier_pj(((8, 0.2),), 16) == pytest.approx(0.8)
    assert adder_pj(((8, 0.03),), 16) == pytest.approx(0.06)
    assert sram_access_pj(((32.0, 20.0),), 128.0) == pytest.approx(40.0)


def test_index_decode_rule():
    # 2-bit index (2:4): read 2 register bits, steer 8 activation bits through 2 mux levels.
    assert T.index_decode_pj(2, 8) == pytest.approx(2 * 0.00375 + 2 * 8 * 0.001875)
