"""Activation supply: a zero-skipping fold cannot stream faster than the input SRAM reads its activations."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accelsim.prune import prune
from accelsim.sim import simulate
from accelsim.workload import linear_layer

from simtools import make_arch

# two channels that share no reduction position: channel 0 uses K positions {0, 1}, channel 1 {2, 3}
DISJOINT = np.array([[5, -3, 0, 0], [0, 0, 7, 1]], dtype=np.int8)


def _layer(weight, tokens):
    return linear_layer("fc", in_features=weight.shape[1], out_features=weight.shape[0], tokens=tokens,
                        weight=weight)


def test_ws_fold_streams_no_faster_than_its_activations():
    # 2x2 WS array, default supply: 2 activations/cycle (one per row). Each channel has 2 nonzeros,
    # so one row fold holds weights at 4 distinct positions: every streamed token needs 4 activations,
    # T = max(M, ceil(M * 4 / 2)) = 20 for M = 10. Fold = 2R + C - 2 + T = 24; SCALE-Sim's -1.
    layer = _layer(DISJOINT, tokens=10)
    arch = make_arch(2, 2, "ws", sparsity="unstructured")
    assert arch.input_read_activations_per_cycle == 2
    capped = simulate(layer, arch).layers[0]
    assert capped.folds == 1
    assert capped.compute_cycles == 24 - 1
    free = simulate(layer, make_arch(2, 2, "ws", sparsity="unstructured", input_read="unlimited")).layers[0]
    assert free.compute_cycles == 2 * 2 + 2 - 2 + 10 - 1          # the PE rule alone: T = M
    assert dict(capped.cycle_breakdown) == {"compute": 13, "dram_bandwidth": 0, "sram_bandwidth": 10,
                                            "load_imbalance": 0}
    assert capped.limiter == "sram_bandwidth"
    # the input SRAM serves what the folds consume: 10 tokens x 4 activations x 8 bits
    assert capped.events["input_sram_read_bits"] == 10 * 4 * 8


def test_ws_twice_the_supply_restores_the_pe_rule():
    layer = _layer(DISJOINT, tokens=10)
    arch = make_arch(2, 2, "ws", sparsity="unstructured", input_read=4)   # 4 B = 4 int8 activations
    assert simulate(layer, arch).layers[0].compute_cycles == 13


def test_os_fold_streams_no_faster_than_its_activations():
    # 2x2 OS array, 2 pixels: each pixel row needs the union of its channels' positions (4) while the
    # PEs take 2 beats; supply 2/cycle -> T = ceil(2 pixels * 4 / 2) = 4. Fold = T + R + C - 2 = 6.
    layer = _layer(DISJOINT, tokens=2)
    capped = simulate(layer, make_arch(2, 2, "os", sparsity="unstructured")).layers[0]
    assert capped.compute_cycles == 6 - 1
    free = simulate(layer, make_arch(2, 2, "os", sparsity="unstructured", input_read="unlimited")).layers[0]
    assert free.compute_cycles == 2 + 2 - 1
    assert capped.limiter == "sram_bandwidth"


def test_is_is_capped_only_below_the_dense_rate():
    # IS loads R x C stationary activations per fold; the default never binds (R*C/R = C < fold length),
    # half an activation per cycle does: 4 activations take 8 cycles. Each row fold (K positions {0, 1}
    # and {2, 3}) streams the one channel with weights in it: 2R + C + 1 - 2 = 5 cycles.
    layer = _layer(DISJOINT, tokens=2)
    default = simulate(layer, make_arch(2, 2, "is", sparsity="unstructured")).layers[0]
    free = simulate(layer, make_arch(2, 2, "is", sparsity="unstructured", input_read="unlimited")).layers[0]
    slow = simulate(layer, make_arch(2, 2, "is", sparsity="unstructured", input_read=0.5)).layers[0]
    assert default.compute_cycles == free.compute_cycles == 2 * 5 - 1
    assert slow.compute_cycles == 2 * 8 - 1
    # the same low supply slows a dense layer too: it is a property of the SRAM, not of sparsity
    dense = simulate(layer, make_arch(2, 2, "is")).layers[0]
    dense_slow = simulate(layer, make_arch(2, 2, "is", input_read=0.5)).layers[0]
    assert (dense.compute_cycles, dense_slow.compute_cycles) == (2 * 6 - 1, 2 * 8 - 1)


def test_low_supply_caps_dense_ws():
    w = np.arange(1, 17, dtype=np.int8).reshape(2, 8)               # dense, K = 8 on 4 rows: 2 row folds
    layer = _layer(w, tokens=6)
    full = simulate(layer, make_arch(4, 2, "ws")).layers[0]
    half = simulate(layer, make_arch(4, 2, "ws", input_read=2)).layers[0]   # 2 activations/cycle
    assert full.compute_cycles == 2 * (2 * 4 + 2 - 2 + 6) - 1
    assert half.compute_cycles == 2 * (2 * 4 + 2 - 2 + 12) - 1              # T = ceil(6 * 4 / 2)


def _random_layer(rng, k, n, tokens, density):
    w = rng.integers(-127, 128, size=(n, k)).astype(np.int8)
    w[w == 0] = 1
    w[rng.random((n, k)) >= density] = 0
    return _layer(w, tokens)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), k=st.integers(1, 40), n=st.integers(1, 12), tokens=st.integers(1, 20),
       rows=st.integers(1, 6), cols=st.integers(1, 6), dataflow=st.sampled_from(["ws", "os", "is"]),
       kind=st.sampled_from(["dense", "nm", "unstructured", "block"]),
       bandwidth=st.sampled_from(["unlimited", 1, 4]))
def test_default_supply_never_slows_dense_or_nm(seed, k, n, tokens, rows, cols, dataflow, kind, bandwidth):
    rng = np.random.default_rng(seed)
    layer = _random_layer(rng, k, n, tokens, 1.0)
    pe = {"dense": {}, "nm": {"n": 2, "m": 4}, "unstructured": {}, "block": {"block": "2x2"}}[kind]
    if kind == "nm":
        layer = prune(layer, "nm:2:4")
    fmt = "dense" if kind in ("unstructured", "block") else None     # zero-skipping PEs run dense here
    args = dict(rows=rows, cols=cols, dataflow=dataflow, sparsity=kind, bandwidth=bandwidth, **pe)
    default = simulate(layer, make_arch(**args), format=fmt).layers[0]
    free = simulate(layer, make_arch(input_read="unlimited", **args), format=fmt).layers[0]
    assert default.cycles == free.cycles
    assert default.cycle_breakdown["sram_bandwidth"] == 0
    assert dict(default.bytes) == dict(free.bytes)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), k=st.integers(1, 48), n=st.integers(1, 12), tokens=st.integers(1, 20),
       rows=st.integers(1, 6), cols=st.integers(1, 6), dataflow=st.sampled_from(["ws", "os", "is"]),
       density=st.floats(0.05, 1.0), kind=st.sampled_from(["unstructured", "block", "dense"]),
       low=st.sampled_from([0.25, 0.5, 1, 2, 3, 8]), factor=st.sampled_from([1.5, 2, 4, 16]),
       bandwidth=st.sampled_from(["unlimited", 0.5, 4]), activation=st.sampled_from(["none", "skip"]))
def test_more_supply_never_gives_more_cycles(seed, k, n, tokens, rows, cols, dataflow, density, kind, low,
                                             factor, bandwidth, activation):
    rng = np.random.default_rng(seed)
    layer = _random_layer(rng, k, n, tokens, density)
    layer = linear_layer("fc", in_features=k, out_features=n, tokens=tokens, weight=layer.weight,
                         input_density=0.5)
    pe = {"block": "2x2"} if kind == "block" else {}
    args = dict(rows=rows, cols=cols, dataflow=dataflow, sparsity=kind, bandwidth=bandwidth,
                activation=activation, **pe)
    results = [simulate(layer, make_arch(input_read=a, **args)).layers[0]
               for a in (low, low * factor, "unlimited")]
    cycles = [r.cycles for r in results]
    assert cycles[0] >= cycles[1] >= cycles[2], cycles
    for r in results:
        assert sum(r.cycle_breakdown.values()) == r.cycles
        assert min(r.cycle_breakdown.values()) >= 0


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31), k=st.integers(1, 60), n=st.integers(1, 20), rows=st.integers(1, 6),
       cols=st.integers(1, 6), lanes=st.integers(1, 3), density=st.floats(0.0, 1.0),
       block=st.sampled_from([None, (2, 2), (1, 3), (3, 2)]))
def test_ws_fold_activations_against_a_brute_force_count(seed, k, n, rows, cols, lanes, density, block):
    """Distinct positions per (column group, row fold), counted from each channel's stored positions."""
    from accelsim.formats.spec import parse_format
    from accelsim.sim.sparse_timing import raw_bits_view, timing_rule, weight_profile

    rng = np.random.default_rng(seed)
    layer = _random_layer(rng, k, n, 3, density)
    pe = {"block": f"{block[0]}x{block[1]}"} if block else {}
    arch = make_arch(rows, cols, "ws", sparsity="block" if block else "unstructured", lanes=lanes, **pe)
    rule, _ = timing_rule(arch, parse_format(arch.sparsity.native_format))
    w = layer.weight_matrix()
    profile = weight_profile(layer, rule, rows, cols, "ws", raw_bits_view(w, "fc"))
    if block:                                            # stored = every position of a nonzero block
        br, bc = block
        stored = np.zeros_like(w, dtype=bool)
        for bi in range(0, n, br):
            for bj in range(0, k, bc):
                if w[bi:bi + br, bj:bj + bc].any():
                    stored[bi:bi + br, bj:bj + bc] = True
        per_block = -(-bc // lanes)
    n_cf = -(-n // cols)
    expected = {}
    for j in range(n):
        cg = j // cols
        positions = np.flatnonzero(stored[j] if block else w[j])
        for r, c in enumerate(positions):
            beat = (r // bc) * per_block + (r % bc) // lanes if block else r // lanes
            expected.setdefault((cg, beat // rows), set()).add(int(c))
    got = profile.fold_activations
    for (cg, f), cs in expected.items():
        assert got[cg, f] == len(cs)
    assert got.sum() == sum(len(cs) for cs in expected.values())
    assert got.shape[0] == n_cf


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31), k=st.integers(1, 40), n=st.integers(1, 12), tokens=st.integers(1, 12),
       rows=st.integers(1, 5), cols=st.integers(1, 5), dataflow=st.sampled_from(["ws", "os", "is"]),
       density=st.floats(0.05, 1.0), supply=st.sampled_from([0.25, 1.0, 3.0]))
def test_schedule_supply_cycles_is_capped_minus_uncapped(seed, k, n, tokens, rows, cols, dataflow, density,
                                                          supply):
    from accelsim.formats.spec import parse_format
    from accelsim.sim.schedule import build_schedule
    from accelsim.sim.sparse_timing import raw_bits_view, timing_rule, weight_profile

    layer = _random_layer(np.random.default_rng(seed), k, n, tokens, density)
    arch = make_arch(rows, cols, dataflow, sparsity="unstructured")
    rule, _ = timing_rule(arch, parse_format("csr"))
    profile = weight_profile(layer, rule, rows, cols, dataflow, raw_bits_view(layer.weight_matrix(), "fc"))
    capped = build_schedule(dataflow, profile, tokens, rows, cols, 1, supply)
    free = build_schedule(dataflow, profile, tokens, rows, cols, 1)
    assert free.supply_cycles == 0
    assert capped.supply_cycles == capped.compute_cycles - free.compute_cycles >= 0
    assert capped.num_folds == free.num_folds
