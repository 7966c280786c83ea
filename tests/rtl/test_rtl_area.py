"""rtl.area: cell areas, NAND2 equivalents, arch_area (scaled array synthesis, disk cache)."""

import pytest

from accelsim.errors import AccelsimInputError
from accelsim.rtl.area import (MEMORY_BIT_UM2, NAND2_UM2, area_cache_dir, area_from_cells, arch_area)


def test_cell_areas_by_hand():
    # NanGate 45 nm: NAND2_X1 0.798, XOR2_X1 1.596, DFF_X1 4.522, AND2_X1 1.064, MUX2_X1 1.862 um^2
    a = area_from_cells({"$_NAND_": 10, "$_XOR_": 3, "$_SDFFE_PP0P_": 2, "$_DFF_P_": 1}, memory_bits=4)
    logic = 10 * 0.798 + 3 * 1.596
    ff = 2 * (4.522 + 1.064 + 1.862) + 4.522
    mem = 4 * (4.522 + 1.862 + 1.862)
    assert NAND2_UM2 == 0.798 and MEMORY_BIT_UM2 == pytest.approx(8.246)
    assert (a.logic_um2, a.flip_flop_um2, a.memory_um2) == pytest.approx((logic, ff, mem))
    assert a.area_um2 == pytest.approx(logic + ff + mem)
    assert a.nand2_equivalents == pytest.approx((logic + ff + mem) / 0.798)
    assert (a.cells, a.flip_flops, a.memory_bits) == (16, 3, 4)
    assert "NanGate" in a.source and "0.798" in a.source
    scaled = area_from_cells({"$_NAND_": 10}, scale=64)
    assert scaled.area_um2 == pytest.approx(64 * 7.98) and scaled.cells == 640


def test_unknown_cells_are_refused():
    with pytest.raises(AccelsimInputError, match="no cell area for these Yosys cells: LUT4"):
        area_from_cells({"LUT4": 3})


def test_arch_area_scales_the_4x4_array_and_is_cached(archs, tmp_path, monkeypatch):
    from accelsim.rtl.export import Top, top_name, verilog_source
    from accelsim.rtl.synth_stats import gate_level_stats
    from accelsim.sim.pe_model import PEConfig
    monkeypatch.setenv("ACCELSIM_CACHE", str(tmp_path))
    arch = archs["dense"]
    a = arch_area(arch)
    assert (a.synthesized_shape, a.full_shape, a.scale) == ((4, 4), (32, 32), 64.0)
    top = Top("array", top_name(arch, "array"), PEConfig.from_arch(arch), 4, 4)
    stats = gate_level_stats(verilog_source(top), top.name)
    assert a.flip_flops == 64 * stats.flip_flops and a.cells == 64 * stats.cells
    assert a.area_um2 == pytest.approx(64 * area_from_cells(stats.cells_by_type).area_um2)
    # a 32x32 array of 8x8 MACs: between 300 and 3000 NAND2 equivalents per cell
    assert 300 < a.nand2_equivalents / 1024 < 3000
    assert len(list(area_cache_dir().glob("*.json"))) == 1
    again = arch_area(arch)
    assert again == a


def test_unstructured_arch_counts_its_windows(archs, tmp_path, monkeypatch):
    monkeypatch.setenv("ACCELSIM_CACHE", str(tmp_path))
    arch = archs["unstructured"]
    a = arch_area(arch)
    if a.synthesized_shape is None:       # PE-only arch: PE area x rows*cols
        assert a.scale == arch.array.rows * arch.array.cols
        assert a.memory_bits == a.scale * (1 << arch.sparsity.index_bits) * arch.precision.activation_bits
        assert a.memory_um2 > 0
    else:                                 # its OS array: cells scaled by count, windows by rows
        assert a.scale == (a.full_shape[0] * a.full_shape[1]) / (a.synthesized_shape[0] * a.synthesized_shape[1])
        window_bits = (1 << arch.sparsity.index_bits) * arch.precision.activation_bits
        assert a.memory_bits == a.full_shape[0] * window_bits
        assert a.memory_um2 == pytest.approx(a.memory_bits * MEMORY_BIT_UM2)
