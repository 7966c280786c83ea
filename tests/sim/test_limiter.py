"""The per-layer limiter: compute, DRAM bandwidth, SRAM (activation supply) bandwidth, load imbalance."""

import json

import numpy as np
import pytest

from accelsim.sim import simulate
from accelsim.sim.limiter import LIMITERS, cycle_breakdown, limiter
from accelsim.workload import linear_layer

from simtools import make_arch


def _dense_weight(n, k, seed=0):
    w = np.random.default_rng(seed).integers(1, 100, size=(n, k)).astype(np.int8)
    return w


def test_breakdown_sums_to_the_cycles():
    parts = cycle_breakdown(compute_cycles=90, stall_cycles=10, supply_cycles=20, imbalance_cycles=20)
    assert parts == {"compute": 50, "load_imbalance": 20, "sram_bandwidth": 20, "dram_bandwidth": 10}
    assert sum(parts.values()) == 90 + 10
    # a mapping shorter than the fold schedule: overheads trimmed, imbalance first, never negative
    assert cycle_breakdown(30, 0, 20, 20) == {"compute": 0, "dram_bandwidth": 0, "sram_bandwidth": 20,
                                              "load_imbalance": 10}


@pytest.mark.parametrize("parts, expected", [
    ({"compute": 100, "dram_bandwidth": 0, "sram_bandwidth": 0, "load_imbalance": 0}, "compute"),
    ({"compute": 80, "dram_bandwidth": 20, "sram_bandwidth": 0, "load_imbalance": 0}, "dram_bandwidth"),
    ({"compute": 81, "dram_bandwidth": 19, "sram_bandwidth": 0, "load_imbalance": 0}, "compute"),   # < 20%
    ({"compute": 50, "dram_bandwidth": 10, "sram_bandwidth": 30, "load_imbalance": 10}, "sram_bandwidth"),
    ({"compute": 50, "dram_bandwidth": 10, "sram_bandwidth": 10, "load_imbalance": 30}, "load_imbalance"),
    ({"compute": 40, "dram_bandwidth": 30, "sram_bandwidth": 30, "load_imbalance": 0}, "dram_bandwidth"),  # tie
    ({"compute": 0, "dram_bandwidth": 0, "sram_bandwidth": 0, "load_imbalance": 0}, "compute"),
])
def test_limiter_rule(parts, expected):
    assert limiter(parts) == expected


# ----------------------------------------------------------------- one constructed layer per limiter
def test_compute_bound_dense_layer():
    layer = linear_layer("fc", in_features=64, out_features=16, tokens=32, weight=_dense_weight(16, 64))
    r = simulate(layer, make_arch(8, 8, "ws")).layers[0]
    assert r.limiter == "compute"
    assert r.cycle_breakdown["compute"] == r.cycles


def test_dram_bound_layer():
    layer = linear_layer("fc", in_features=64, out_features=16, tokens=32, weight=_dense_weight(16, 64))
    r = simulate(layer, make_arch(8, 8, "ws", bandwidth=0.25)).layers[0]
    assert r.limiter == "dram_bandwidth"
    assert r.cycle_breakdown["dram_bandwidth"] == r.stall_cycles > 0.2 * r.cycles


def test_sram_bound_layer():
    # 8 channels on 8 columns, each with 8 nonzeros at its own positions: one WS row fold needs all
    # 64 positions per token against 8 activations per cycle (one per row)
    w = np.zeros((8, 64), dtype=np.int8)
    for j in range(8):
        w[j, 8 * j:8 * j + 8] = j + 1
    layer = linear_layer("fc", in_features=64, out_features=8, tokens=32, weight=w)
    r = simulate(layer, make_arch(8, 8, "ws", sparsity="unstructured")).layers[0]
    assert r.limiter == "sram_bandwidth"
    # T = 32 * 64 / 8 = 256 instead of 32: fold 2*8 + 8 - 2 + 256
    assert r.compute_cycles == 2 * 8 + 8 - 2 + 256 - 1
    assert r.cycle_breakdown["sram_bandwidth"] == 256 - 32


def test_load_imbalance_bound_layer():
    # channel 3 keeps all 64 weights, the others 2 each: the fold waits for channel 3
    w = _dense_weight(8, 64)
    keep = np.zeros_like(w, dtype=bool)
    keep[3, :] = True
    keep[:, :2] = True
    layer = linear_layer("fc", in_features=64, out_features=8, tokens=16, weight=np.where(keep, w, 0))
    r = simulate(layer, make_arch(8, 8, "os", sparsity="unstructured")).layers[0]
    assert r.limiter == "load_imbalance"
    # balanced: ceil((64 + 7*2) / 8) = 10 beats instead of 64, two row folds of 16 tokens / 8 rows
    assert r.cycle_breakdown["compute"] == 2 * (10 + 8 + 8 - 2) - 1
    assert r.cycle_breakdown["load_imbalance"] == 2 * (64 - 10)


def test_limiter_is_in_the_json():
    layer = linear_layer("fc", in_features=64, out_features=16, tokens=32, weight=_dense_weight(16, 64))
    data = json.loads(json.dumps(simulate(layer, make_arch(8, 8, "ws", bandwidth=0.25)).to_dict()))
    row = data["layers"][0]
    assert row["limiter"] == "dram_bandwidth"
    assert set(row["cycle_breakdown"]) == set(LIMITERS)
    assert sum(row["cycle_breakdown"].values()) == row["cycles"]
