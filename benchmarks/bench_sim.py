"""Simulator speed: ResNet-50 pruned 90% unstructured against one NumPy pass over its weights.

Usage::

    python benchmarks/bench_sim.py [--repeat 5]

Prints

* the time of one whole-network :func:`accelsim.sim.simulate` of ResNet-50
  (synthetic weights, pruned ``unstructured:0.9`` beforehand) on the bundled
  ``unstructured-os-32x32`` arch, best of ``--repeat`` after a warm-up call;
* the time of one NumPy pass over the same weights (``np.abs(w).sum()`` for
  every layer), best of ``--repeat``; and their ratio (goal: <= 20);
* the wall time of two fresh ``python -c`` processes that each run one
  simulate, and the Numba cache misses each saw: the second process must load
  every kernel from the cache (0 misses).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timing import best_seconds  # noqa: E402  (benchmarks/ holds the running script)

_CHILD = """
import time
t0 = time.perf_counter()
from accelsim.sim import simulate, schedule, sparse_timing, memory
from accelsim.workload import linear_layer
import numpy as np
w = np.random.default_rng(0).standard_normal((64, 256)).astype(np.float32)
w[np.abs(w) < 1.0] = 0
layer = linear_layer('fc', in_features=256, out_features=64, tokens=32, weight=w)
t1 = time.perf_counter()
for flow in ('ws', 'os', 'is'):
    simulate(layer, 'unstructured-os-32x32', dataflow=flow)
t2 = time.perf_counter()
kernels = [schedule._count_folds, schedule._fill_folds, sparse_timing._scan_unstructured,
           sparse_timing._ws_fold_positions, memory._stalls]
misses = sum(sum(k.stats.cache_misses.values()) for k in kernels)
print(f'{t2 - t1:.3f} {misses}')
"""



def bench_resnet50(repeat: int) -> None:
    from accelsim.prune import prune
    from accelsim.sim import simulate
    from accelsim.spec import load_arch
    from accelsim.workload.loaders import load_workload

    workload = prune(load_workload("resnet50"), "unstructured:0.9")
    arch = load_arch("unstructured-os-32x32")
    weights = [layer.weight for layer in workload.layers if layer.weight is not None]
    params = sum(w.size for w in weights)
    simulate(workload, arch)                                   # warm-up (Numba cache load)
    sim_s = best_seconds(lambda: simulate(workload, arch), repeat)
    numpy_s = best_seconds(lambda: [float(np.abs(w).sum()) for w in weights], repeat)
    result = simulate(workload, arch)
    print(f"ResNet-50, unstructured:0.9, {len(workload)} layers, {params / 1e6:.1f} M weights, "
          f"arch {arch.name}")
    print(f"  simulate:              {sim_s * 1e3:8.1f} ms  ({result.total.cycles:,} cycles, "
          f"{result.total.stall_cycles:,} stall)")
    print(f"  numpy abs().sum() pass: {numpy_s * 1e3:8.1f} ms")
    print(f"  ratio:                 {sim_s / numpy_s:8.1f} x  (goal <= 20)")


def bench_cold_processes() -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for run in (1, 2):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, env=env)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            print(done.stderr)
            raise SystemExit(1)
        sim_s, misses = done.stdout.split()
        print(f"  fresh process {run}: wall {wall:6.2f} s, first simulate calls {float(sim_s):6.3f} s, "
              f"Numba cache misses {misses}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    bench_resnet50(args.repeat)
    print("Numba cache (second process must not recompile):")
    bench_cold_processes()
    return 0


if __name__ == "__main__":
    sys.exit(main())
