"""ResNet-50 at 90% unstructured: without a supply cap it implies 770-950 input-SRAM bits per cycle
(issue 9); with one activation per array row (256 bits/cycle) the cap holds and the speedup shrinks."""

import math
from dataclasses import replace

import numba
import pytest

from accelsim.prune import prune
from accelsim.sim import simulate
from accelsim.spec import load_arch
from accelsim.workload import load_workload

# Pure-Python kernels (NUMBA_DISABLE_JIT=1) would take minutes on 25 M weights: there the test runs
# on the first block of each stage (the same checks, per layer), with JIT on the whole network.
STAGE_BLOCKS = ("layer1.0.", "layer2.0.", "layer3.0.", "layer4.0.")


@pytest.fixture(scope="module")
def pruned():
    workload = load_workload("resnet50", seed=0)                 # seeded synthetic weights
    if numba.config.DISABLE_JIT:
        workload = workload.with_layers([l for l in workload if l.name.startswith(STAGE_BLOCKS)])
    return prune(workload, "unstructured:0.9")


@pytest.mark.parametrize("dataflow, lo, hi", [("os", 700, 1000), ("ws", 900, 1400)])
def test_supply_caps_resnet50_at_90_percent(pruned, dataflow, lo, hi):
    # SCALE-Sim's loop order: the per-fold demand of the PE rule, without the mapper's tile fill/drain
    # in the denominator (the auto mapping is checked against the cap below)
    auto = load_arch("unstructured-os-32x32")
    assert auto.mapping.mode == "auto" and auto.input_read_bits_per_cycle == 256
    arch = replace(auto, mapping=replace(auto.mapping, mode="scalesim"))
    free = replace(arch, buffers=replace(arch.buffers, input_read_bytes_per_cycle=math.inf))
    capped_run = simulate(pruned, arch, dataflow=dataflow, format="csr")
    free_run = simulate(pruned, free, dataflow=dataflow, format="csr")
    dense_run = simulate(pruned, arch, dataflow=dataflow, format="dense")

    def bits_per_cycle(run):
        return run.total.events["input_sram_read_bits"] / run.total.compute_cycles

    # the observation: the PE rule alone asks the input SRAM for several times 256 bits/cycle
    assert lo <= bits_per_cycle(free_run) <= hi
    # with the cap no layer reads faster than 256 bits per compute cycle (+1 for SCALE-Sim's last cycle)
    for layer in capped_run.layers:
        assert layer.events["input_sram_read_bits"] <= 256 * (layer.compute_cycles + 1), layer.name
    assert bits_per_cycle(capped_run) <= 256
    speedup_free = dense_run.total.compute_cycles / free_run.total.compute_cycles
    speedup_capped = dense_run.total.compute_cycles / capped_run.total.compute_cycles
    assert speedup_free > 3                       # ~4x (OS) / ~6x (WS) without the cap ...
    assert 1.0 < speedup_capped < 1.5             # ... ~1.2x once activations must be read
    # most of the compute time is now spent waiting for activations (the rest of the layers wait on DRAM)
    supply = sum(l.cycle_breakdown["sram_bandwidth"] for l in capped_run.layers)
    assert supply > 0.6 * capped_run.total.compute_cycles
    assert sum(l.limiter == "sram_bandwidth" for l in capped_run.layers) >= len(capped_run.layers) / 3
    assert not any(l.limiter == "sram_bandwidth" for l in free_run.layers)
    # the mapper's tiles obey the same cap
    for layer in simulate(pruned, auto, dataflow=dataflow, format="csr").layers:
        assert layer.events["input_sram_read_bits"] <= 256 * (layer.compute_cycles + 1), layer.name
    # dense is untouched by the default supply
    dense_free = simulate(pruned, free, dataflow=dataflow, format="dense")
    assert dense_free.total.cycles == dense_run.total.cycles
