"""Which candidates each PE is offered, their masks, and that the simulator exploits every one."""

import numpy as np
import pytest

from accelsim.codesign.candidates import (DENSE, LayerInfo, candidate_family, candidate_mask, format_choices,
                                          layer_candidates, supports_weight_sparsity)
from accelsim.codesign.costs import CostTable, masked_weight
from accelsim.prune import parse_scheme
from accelsim.spec import load_arch
from accelsim.workload import Workload, conv_layer, linear_layer

CONV = LayerInfo("conv", "conv", (32, 16, 3, 3))
FC_OUT = LayerInfo("fc", "linear", (10, 64), is_output=True)


def _families(arch, layer):
    return {candidate_family(c) for c in layer_candidates(load_arch(arch), layer)}


def test_nm_pe_gets_only_its_own_nm():
    assert layer_candidates(load_arch("nm24-ws-32x32"), CONV) == (DENSE, "nm:2:4")


def test_block_pe_gets_unions_of_its_block():
    cands = layer_candidates(load_arch("block4x4-ws-32x32"), CONV)
    assert cands[0] == DENSE
    shapes = {parse_scheme(c).rows * 1000 + parse_scheme(c).cols for c in cands[1:]}
    assert shapes == {4004, 4008, 8004, 8008}
    assert _families("block4x4-ws-32x32", CONV) == {"dense", "block"}


def test_unstructured_pe_gets_every_family():
    assert _families("unstructured-os-32x32", CONV) == {"dense", "unstructured", "nm", "channel", "kernel", "block"}
    # no channel pruning of the output layer, no kernel pruning of a linear layer
    assert _families("unstructured-os-32x32", FC_OUT) == {"dense", "unstructured", "nm", "block"}


def test_dense_pe_gets_nothing():
    arch = load_arch("dense-ws-32x32")
    assert not supports_weight_sparsity(arch)
    assert layer_candidates(arch, CONV) == (DENSE,)
    assert not supports_weight_sparsity(load_arch("eyeriss-12x14"))


def test_candidates_are_canonical_scheme_names():
    for arch in ("nm24-ws-32x32", "unstructured-os-32x32", "block4x4-ws-32x32"):
        for c in layer_candidates(load_arch(arch), CONV)[1:]:
            assert parse_scheme(c).name == c


def test_kernel_levels_name_whole_taps():
    cands = [c for c in layer_candidates(load_arch("unstructured-os-32x32"), CONV) if c.startswith("kernel")]
    assert cands == [f"kernel:{x}" for x in ("0.111", "0.222", "0.333", "0.444", "0.556", "0.667", "0.778", "0.889")]
    w = np.random.default_rng(0).standard_normal((32, 16, 3, 3))
    for k, c in enumerate(cands, 1):
        mask = candidate_mask(w, c, "conv")
        assert (~mask).sum() == k * 32 * 16           # k whole taps of every filter


def test_masks_reach_their_level_and_dense_keeps_all():
    w = np.random.default_rng(1).standard_normal((32, 16, 3, 3))
    assert candidate_mask(w, DENSE, "conv").all()
    assert (~candidate_mask(w, "unstructured:0.7", "conv")).mean() == pytest.approx(0.7, abs=1e-3)
    m = candidate_mask(w, "nm:2:4", "conv").reshape(32, -1).reshape(32, -1, 4)
    assert (m.sum(axis=2) == 2).all()
    b = candidate_mask(w, "block:4x8:0.5", "conv").reshape(32, 144)
    assert (~b).mean() == pytest.approx(0.5, abs=0.02)


def test_masked_weight_zeros_are_positive():
    w = -np.ones((4, 4), dtype=np.float32)
    out = masked_weight(w, np.zeros((4, 4), dtype=bool))
    assert not np.signbit(out).any() and out.dtype == np.float32


def _workload(rng):
    conv = conv_layer("conv", in_channels=16, in_h=8, in_w=8, out_channels=32, kernel=3, padding=1,
                      weight=rng.standard_normal((32, 16, 3, 3)).astype(np.float32), input_density=0.6)
    fc = linear_layer("fc", in_features=256, out_features=10, tokens=1,
                      weight=rng.standard_normal((10, 256)).astype(np.float32), input_density=0.7)
    return Workload("t", (conv, fc))


@pytest.mark.parametrize("arch", ["nm24-ws-32x32", "unstructured-os-32x32", "block4x4-ws-32x32"])
def test_every_offered_candidate_is_exploited_by_the_pe(arch):
    """The simulator runs every candidate sparse (exploited) and cheaper than the dense layer."""
    from accelsim.sim import simulate

    spec = load_arch(arch)
    wl = _workload(np.random.default_rng(2))
    for layer, kind in ((wl["conv"], "conv"), (wl["fc"], "linear")):
        info = LayerInfo(layer.name, kind, layer.weight.shape, is_output=kind == "linear")
        dense = simulate(layer, spec).layers[0]
        for c in layer_candidates(spec, info)[1:]:
            w = masked_weight(layer.weight, candidate_mask(layer.weight, c, kind))
            r = simulate(layer.with_weight(w), spec).layers[0]
            assert r.exploited and r.format == spec.sparsity.native_format, (c, r.notes)
            assert r.energy_pj["total"] < dense.energy_pj["total"], c


def test_cost_table_matches_whole_workload_simulation():
    """Per-layer costs add up to exactly what one simulate of the pruned workload reports."""
    from accelsim.sim import simulate

    spec = load_arch("unstructured-os-32x32")
    wl = _workload(np.random.default_rng(3))
    prunable = {"conv": (wl["conv"].weight.astype(np.float64), "conv"), "fc": (wl["fc"].weight.astype(np.float64),
                                                                          "linear")}
    table = CostTable(wl, spec, prunable, {"conv": "conv", "fc": "fc"})
    choices = {"conv": "kernel:0.333", "fc": "unstructured:0.8"}
    for fmt in format_choices(spec):
        pruned = wl.with_layers([l.with_weight(masked_weight(l.weight, table.mask(l.name, choices[l.name])))
                                 for l in wl.layers])
        whole = simulate(pruned, spec, format=fmt).total
        cost = table.plan_cost(choices, fmt)
        assert cost.energy_pj == whole.energy_pj and cost.cycles == whole.cycles
    before = table.simulations
    table.plan_cost(choices, None)
    assert table.simulations == before                 # memoised


def test_format_choices():
    assert format_choices(load_arch("unstructured-os-32x32")) == (None, "csc", "bitmap")
    assert format_choices(load_arch("nm24-ws-32x32")) == (None,)
    assert format_choices(load_arch("block4x4-ws-32x32")) == (None,)
