"""Issue 9's acceptance floors for the mapper, and monotonicity of its cost model.

Whole-network checks run the bundled workloads; with ``NUMBA_DISABLE_JIT=1``
(``make test-nojit``) the every-arch-and-workload check keeps to the small
workloads so that run stays light.
"""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.sim import simulate
from accelsim.sim.mapping import candidates, evaluate
from accelsim.spec import load_arch
from accelsim.spec.load import bundled_arch_dir
from accelsim.workload import Layer, load_workload

from simtools import make_arch
from test_mapping import _problem

NOJIT = os.environ.get("NUMBA_DISABLE_JIT") == "1"
WORKLOADS = (("tiny-cnn", "resnet18", "mobilenetv2") if NOJIT else
             ("tiny-cnn", "resnet18", "mobilenetv2", "alexnet", "resnet50", "vgg16", "bert-base"))
ARCHS = sorted(p.stem for p in bundled_arch_dir().glob("*.yaml"))


@pytest.fixture(scope="module")
def workloads():
    return {name: load_workload(name) for name in {*WORKLOADS, "resnet18", "resnet50"}}


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
@pytest.mark.parametrize("dataflow", ["ws", "os", "is"])
def test_dense_resnets_stay_near_the_compulsory_traffic(workloads, name, dataflow):
    arch = load_arch("dense-ws-32x32")
    assert arch.dram_bandwidth_bytes_per_cycle == 16 and arch.mapping.mode == "auto"
    result = simulate(workloads[name], arch, dataflow=dataflow)
    compulsory = sum(layer.compulsory_dram_bytes for layer in result.layers)
    # compulsory: the weights, inputs and outputs of every layer, moved once
    expected = 0
    for layer in workloads[name].layers:
        inputs = (layer.conv.in_channels * layer.conv.in_h * layer.conv.in_w * layer.conv.batch
                  if layer.conv is not None else layer.groups * layer.m * layer.k)
        expected += layer.groups * layer.n * layer.k + inputs + layer.groups * layer.m * layer.n
    assert compulsory == expected
    assert result.total.bytes["dram"]["total"] <= 1.25 * compulsory
    if name == "resnet18" and dataflow == "ws":
        assert result.total.stall_cycles <= 0.25 * result.total.cycles


def _objective(layer, objective):
    energy = float(layer.energy_pj["total"])
    return {"latency": layer.cycles, "energy": energy, "edp": layer.cycles * energy}[objective]


@pytest.mark.slow
@pytest.mark.parametrize("arch_name", ARCHS)
def test_auto_is_never_worse_than_scalesim_layer_by_layer(workloads, arch_name):
    arch = load_arch(arch_name)
    objective = arch.mapping.objective
    worse = []
    for name in WORKLOADS:
        workload = workloads[name]
        auto = simulate(workload, arch)
        fixed = simulate(workload, arch, mapping="scalesim")
        for a, s in zip(auto.layers, fixed.layers):
            assert a.mapping.mode == "auto" and s.mapping.mode == "scalesim"
            if _objective(a, objective) > _objective(s, objective) * (1 + 1e-12):
                worse.append((name, a.name, _objective(a, objective), _objective(s, objective)))
    assert not worse


def test_every_objective_beats_or_ties_scalesim_on_itself(workloads):
    arch = load_arch("eyeriss-12x14")
    workload = workloads["mobilenetv2"]
    fixed = simulate(workload, arch, mapping="scalesim")
    for objective in ("latency", "energy", "edp"):
        auto = simulate(workload, arch, mapping="auto", objective=objective)
        for a, s in zip(auto.layers, fixed.layers):
            assert _objective(a, objective) <= _objective(s, objective) * (1 + 1e-12), (objective, a.name)


# ----------------------------------------------------------------------------- monotonicity
_layers = st.builds(
    lambda m, k, n, g: Layer(name="l", kind="linear", m=m, k=k, n=n, groups=g),
    st.integers(1, 300), st.integers(1, 300), st.integers(1, 200), st.sampled_from([1, 1, 2, 3]))
_kib = st.sampled_from([0.0625, 0.25, 1, 4, 16, 64])


def _with(arch, **changes):
    buffers = {k: changes.pop(k) for k in ("weight_kib", "input_kib", "output_kib") if k in changes}
    if buffers:
        changes["buffers"] = replace(arch.buffers, **buffers)
    return replace(arch, **changes)


@settings(max_examples=60, deadline=None)
@given(layer=_layers, df=st.sampled_from(["ws", "os", "is"]), which=st.sampled_from(
    ["weight_kib", "input_kib", "output_kib", "bandwidth"]), small=_kib,
    factor=st.sampled_from([2, 4, 16]), bw=st.sampled_from([1, 4, 16]))
def test_every_candidate_is_monotone_in_buffers_and_bandwidth(layer, df, which, small, factor, bw):
    # The cost model itself: for every mapping of the space, a larger buffer or more
    # bandwidth never gives more DRAM bits, stalls or cycles.
    base = make_arch(8, 8, df, bandwidth=bw, weight_kib=small, input_kib=small, output_kib=small,
                     mapping="auto")
    if which == "bandwidth":
        bigger = _with(base, dram_bandwidth_bytes_per_cycle=bw * factor)
    else:
        bigger = _with(base, **{which: small * factor})
    costs = []
    for arch in (base, bigger):
        problem, _ = _problem(layer, arch, df)
        cand = candidates(problem.folds_row, problem.folds_col, problem.extent_t, problem.roles)
        costs.append(evaluate(problem, cand))
    small_c, big_c = costs
    for key in ("weight_dram_bits", "input_dram_bits", "psum_spill_bits"):
        assert np.all(getattr(big_c, key) <= getattr(small_c, key) + 1e-6), key
    assert np.all(big_c.stall_cycles <= small_c.stall_cycles)
    assert np.all(big_c.cycles <= small_c.cycles)


@settings(max_examples=40, deadline=None)
@given(layer=_layers, df=st.sampled_from(["ws", "os", "is"]), which=st.sampled_from(
    ["weight_kib", "input_kib", "output_kib", "bandwidth"]), small=_kib,
    factor=st.sampled_from([2, 8]), bw=st.sampled_from([1, 4, 16]))
def test_auto_latency_and_least_traffic_are_monotone(layer, df, which, small, factor, bw):
    base = make_arch(8, 8, df, bandwidth=bw, weight_kib=small, input_kib=small, output_kib=small,
                     mapping="auto", objective="latency")
    if which == "bandwidth":
        bigger = _with(base, dram_bandwidth_bytes_per_cycle=bw * factor)
    else:
        bigger = _with(base, **{which: small * factor})
    small_r = simulate(layer, base).layers[0]
    big_r = simulate(layer, bigger).layers[0]
    assert big_r.cycles <= small_r.cycles
    if which == "bandwidth":
        # same prices: the energy-optimal mapping can only get cheaper (fewer idle PE cycles)
        e_small = simulate(layer, base, objective="energy").total.energy_pj
        e_big = simulate(layer, bigger, objective="energy").total.energy_pj
        assert e_big <= e_small * (1 + 1e-12)
    # the least DRAM traffic the space offers never grows with a buffer or bandwidth
    least = []
    for arch in (base, bigger):
        problem, _ = _problem(layer, arch, df)
        cand = candidates(problem.folds_row, problem.folds_col, problem.extent_t, problem.roles)
        c = evaluate(problem, cand)
        least.append(float((c.dram_read_bits + c.dram_write_bits).min()))
    assert least[1] <= least[0] + 1e-6


def test_mapper_choice_changes_with_the_buffers():
    # a 1 KiB input buffer against a 256 KiB one: different mappings, less traffic with more SRAM
    layer = Layer(name="l", kind="linear", m=4096, k=256, n=256)
    small = simulate(layer, make_arch(16, 16, "ws", bandwidth=8, input_kib=1, output_kib=4,
                                      mapping="auto")).layers[0]
    large = simulate(layer, make_arch(16, 16, "ws", bandwidth=8, input_kib=256, output_kib=4,
                                      mapping="auto")).layers[0]
    assert large.bytes["dram"]["total"] < small.bytes["dram"]["total"]
    assert small.mapping.to_dict() != large.mapping.to_dict()


@pytest.mark.slow
@pytest.mark.parametrize("arch_name, scheme", [("nm24-ws-32x32", "nm:2:4"),
                                               ("unstructured-os-32x32", "unstructured:0.9"),
                                               ("block4x4-ws-32x32", "block:4x4:0.75:pad")])
def test_auto_is_never_worse_than_scalesim_on_pruned_layers(workloads, arch_name, scheme):
    from accelsim.prune import prune

    workload = prune(workloads["tiny-cnn" if NOJIT else "resnet18"], scheme)
    arch = load_arch(arch_name)
    objective = arch.mapping.objective
    worse = []
    for df in ("ws", "os", "is"):
        auto = simulate(workload, arch, dataflow=df)
        fixed = simulate(workload, arch, dataflow=df, mapping="scalesim")
        for a, s in zip(auto.layers, fixed.layers):
            assert a.exploited
            if _objective(a, objective) > _objective(s, objective) * (1 + 1e-12):
                worse.append((df, a.name, _objective(a, objective), _objective(s, objective)))
    assert not worse
