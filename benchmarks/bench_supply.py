"""Activation supply on ResNet-50 at 90% unstructured: input-SRAM bits per cycle and speedups, capped or not.

Usage::

    python benchmarks/bench_supply.py

For each dataflow on the bundled ``unstructured-os-32x32`` arch (32x32, default
input SRAM read bandwidth = one int8 activation per array row = 256 bits/cycle)
and the same arch with ``input_read_bytes_per_cycle: unlimited``, prints the
input-SRAM bits read per compute cycle (DRAM stalls excluded), the compute
speedup over running the same weights dense, and how many layers each limiter
names. Also the time of the int8 zero mask and of whole simulations, against
one NumPy pass over the weights.
The table in ``docs/simulator.md`` ("Activation supply") comes from this script.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timing import best_seconds  # noqa: E402  (benchmarks/ holds the running script)



def main() -> int:
    from accelsim.prune import prune
    from accelsim.sim import simulate
    from accelsim.sim.hw_zeros import quantized_nonzero_mask
    from accelsim.spec import load_arch
    from accelsim.workload.loaders import load_workload

    workload = prune(load_workload("resnet50", seed=0), "unstructured:0.9")
    arch = load_arch("unstructured-os-32x32")
    free = replace(arch, buffers=replace(arch.buffers, input_read_bytes_per_cycle=math.inf))
    print(f"ResNet-50, unstructured:0.9 (seed 0), arch {arch.name}, "
          f"default input reads {arch.input_read_bits_per_cycle:g} bits/cycle")
    print(f"{'flow':4} {'supply':9} {'bits/cycle':>10} {'speedup':>8}  limiters")
    for flow in ("os", "ws", "is"):
        dense = simulate(workload, arch, dataflow=flow, format="dense")
        for label, a in (("unlimited", free), ("default", arch)):
            run = simulate(workload, a, dataflow=flow, format="csr")
            bits = run.total.events["input_sram_read_bits"] / run.total.compute_cycles
            speedup = dense.total.compute_cycles / run.total.compute_cycles
            limiters = Counter(layer.limiter for layer in run.layers)
            print(f"{flow:4} {label:9} {bits:10.0f} {speedup:7.2f}x  {dict(sorted(limiters.items()))}")

    # block skipping and N:M on their bundled WS arrays
    for scheme, name in (("block:4x4:0.75:pad", "block4x4-ws-32x32"), ("nm:2:4", "nm24-ws-32x32")):
        pruned = prune(load_workload("resnet50", seed=0), scheme)
        a = load_arch(name)
        a_free = replace(a, buffers=replace(a.buffers, input_read_bytes_per_cycle=math.inf))
        dense = simulate(pruned, a, format="dense")
        for label, arch_ in (("unlimited", a_free), ("default", a)):
            run = simulate(pruned, arch_)
            speedup = dense.total.compute_cycles / run.total.compute_cycles
            limiters = Counter(layer.limiter for layer in run.layers)
            print(f"{scheme} on {name}, supply {label}: compute speedup {speedup:.2f}x, "
                  f"{dict(sorted(limiters.items()))}")

    weights = [layer.weight_matrix() for layer in workload.layers if layer.weight is not None]
    quantized_nonzero_mask(weights[0], 8)
    mask_s = best_seconds(lambda: [quantized_nonzero_mask(w, 8) for w in weights])
    numpy_s = best_seconds(lambda: [float(np.abs(w).sum()) for w in weights])
    print(f"int8 zero mask of all weights: {mask_s * 1e3:7.1f} ms; one NumPy abs().sum() pass: "
          f"{numpy_s * 1e3:7.1f} ms")
    for flow in ("os", "ws"):
        simulate(workload, arch, dataflow=flow)
        sim_s = best_seconds(lambda: simulate(workload, arch, dataflow=flow), 3)
        print(f"simulate {flow.upper()} (whole network): {sim_s * 1e3:7.1f} ms "
              f"({sim_s / numpy_s:.1f}x the NumPy pass)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
