"""Mapper speed: the search per layer and for all of ResNet-50, and a sparse whole-network run.

Usage::

    python benchmarks/bench_mapper.py [--repeat 5]

Prints, best of ``--repeat`` after a warm-up call:

* per dataflow, for dense ResNet-50 on ``dense-ws-32x32``: candidates per
  layer, the time of :func:`accelsim.sim.mapping.map_layer` alone (mean and
  largest per layer, sum over the network), and a whole
  :func:`accelsim.simulate` with ``mapping="auto"`` and with ``"scalesim"``;
* dense ResNet-18 and ResNet-50 on ``dense-ws-32x32`` in WS, OS and IS,
  ``auto`` against ``scalesim``: cycles, stall share, DRAM traffic against
  the compulsory bound, layers that spill partial sums, energy per MAC;
* ResNet-50 pruned ``unstructured:0.9`` on ``unstructured-os-32x32``
  simulated with the mapper, against one NumPy pass over its weights
  (``np.abs(w).sum()`` per layer), and their ratio (goal: within 10x).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timing import best_seconds  # noqa: E402  (benchmarks/ holds the running script)



def _problems(workload, arch, dataflow):
    """The mapper's inputs for every layer (built as simulate builds them; dense layers)."""
    from accelsim.energy import per_event_energies_pj
    from accelsim.sim.mapping import mapping_problem
    from accelsim.sim.memory import LayerOperands
    from accelsim.sim.schedule import build_schedule
    from accelsim.sim.sparse_timing import TimingRule, weight_profile

    rows, cols = arch.array.rows, arch.array.cols
    prices = per_event_energies_pj(arch)
    out = []
    for layer in workload.layers:
        prof = weight_profile(layer, TimingRule("dense", 1), rows, cols, dataflow, None)
        sched = build_schedule(dataflow, prof, layer.m, rows, cols, 1)
        g, m, n, k = layer.groups, layer.m, layer.n, layer.k
        ops = LayerOperands(m, n, k, g, g * n * k * 8, 0, prof.stored, prof.is_vectors,
                            prof.is_rows, prof.union.reshape(-1), g * m * k * 8, 8, 32)
        macs = g * m * n * k
        out.append((mapping_problem(sched, ops, arch, prices, macs * prices["macs"], macs),
                    {"m": m, "n": n, "k": k}))
    return out


def bench_search(repeat: int) -> None:
    from accelsim.sim import simulate
    from accelsim.sim.mapping import candidates, map_layer
    from accelsim.spec import load_arch
    from accelsim.workload.loaders import load_workload

    workload = load_workload("resnet50")
    arch = load_arch("dense-ws-32x32")
    print(f"ResNet-50 dense, {len(workload)} layers, arch {arch.name} "
          f"({arch.dram_bandwidth_bytes_per_cycle:g} B/cycle), objective {arch.mapping.objective}")
    for df in ("ws", "os", "is"):
        problems = _problems(workload, arch, df)
        sizes = [candidates(p.folds_row, p.folds_col, p.extent_t, p.roles).size for p, _ in problems]
        per_layer = [best_seconds(lambda p=p, e=e: map_layer(p, "edp", e), repeat) for p, e in problems]
        simulate(workload, arch, dataflow=df)                           # warm-up
        auto_s = best_seconds(lambda: simulate(workload, arch, dataflow=df, mapping="auto"), repeat)
        fixed_s = best_seconds(lambda: simulate(workload, arch, dataflow=df, mapping="scalesim"), repeat)
        print(f"  {df.upper()}: candidates per layer {min(sizes):,}-{max(sizes):,} "
              f"(mean {np.mean(sizes):,.0f}); map_layer mean {np.mean(per_layer) * 1e3:.2f} ms, "
              f"max {max(per_layer) * 1e3:.2f} ms, all layers {sum(per_layer) * 1e3:.0f} ms; "
              f"simulate auto {auto_s * 1e3:.0f} ms, scalesim {fixed_s * 1e3:.0f} ms")


def bench_quality() -> None:
    from accelsim.sim import simulate
    from accelsim.spec import load_arch
    from accelsim.workload.loaders import load_workload

    arch = load_arch("dense-ws-32x32")
    print(f"Dense networks on {arch.name} ({arch.dram_bandwidth_bytes_per_cycle:g} B/cycle): "
          "mapping, cycles, stalls, DRAM / compulsory, layers spilling partial sums, pJ/MAC")
    for name in ("resnet18", "resnet50"):
        workload = load_workload(name)
        for df in ("ws", "os", "is"):
            for mapping in ("scalesim", "auto"):
                r = simulate(workload, arch, dataflow=df, mapping=mapping)
                bound = sum(layer.compulsory_dram_bytes for layer in r.layers)
                spills = sum(1 for layer in r.layers if layer.mapping.dram_bits["psum_spill"])
                t = r.total
                print(f"  {name:9s} {df.upper()} {mapping:8s} {t.cycles:>12,} cycles "
                      f"{100 * t.stall_cycles / t.cycles:5.1f}% stalls  DRAM "
                      f"{t.bytes['dram']['total'] / 1e6:7.1f} MB = "
                      f"{t.bytes['dram']['total'] / bound:5.2f}x compulsory ({bound / 1e6:.1f} MB)  "
                      f"spills {spills:2d}/{len(r.layers)}  {t.energy_pj / t.macs_dense:6.2f} pJ/MAC")


def bench_sparse(repeat: int) -> None:
    from accelsim.prune import prune
    from accelsim.sim import simulate
    from accelsim.spec import load_arch
    from accelsim.workload.loaders import load_workload

    workload = prune(load_workload("resnet50"), "unstructured:0.9")
    arch = load_arch("unstructured-os-32x32")
    weights = [layer.weight for layer in workload.layers if layer.weight is not None]
    simulate(workload, arch)                                            # warm-up
    auto_s = best_seconds(lambda: simulate(workload, arch, mapping="auto"), repeat)
    fixed_s = best_seconds(lambda: simulate(workload, arch, mapping="scalesim"), repeat)
    numpy_s = best_seconds(lambda: [float(np.abs(w).sum()) for w in weights], repeat)
    auto = simulate(workload, arch, mapping="auto")
    fixed = simulate(workload, arch, mapping="scalesim")
    print(f"ResNet-50 unstructured:0.9 on {arch.name} ({arch.dataflow.upper()}), "
          f"{sum(w.size for w in weights) / 1e6:.1f} M weights")
    print(f"  simulate, mapping auto:     {auto_s * 1e3:8.1f} ms  ({auto.total.cycles:,} cycles, "
          f"{auto.total.bytes['dram']['total'] / 1e6:.1f} MB DRAM)")
    print(f"  simulate, mapping scalesim: {fixed_s * 1e3:8.1f} ms  ({fixed.total.cycles:,} cycles, "
          f"{fixed.total.bytes['dram']['total'] / 1e6:.1f} MB DRAM)")
    print(f"  numpy abs().sum() pass:     {numpy_s * 1e3:8.1f} ms")
    print(f"  ratio auto / numpy:         {auto_s / numpy_s:8.1f} x  (goal <= 10)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    bench_search(args.repeat)
    bench_quality()
    bench_sparse(args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
