"""RTL verification speed: the fast references' cycles/s and a full-size 32x32 array verification.

Usage::

    python benchmarks/bench_rtl.py [--trials 4000] [--arch A[:is|:os] ...] [--warm-cache]
                                   [--full-only] [--skip-layers] [--skip-full]

Prints

* PE model side cycles/s, per bundled arch: the cycle-by-cycle Python
  reference (:func:`~accelsim.rtl.stimulus.random_pe_trials` +
  :func:`accelsim.rtl.trace.pe_trace`, the specification) and the fast one --
  everything ``verify(..., simulator="verilator")`` does for a PE apart from
  Verilator: stimulus (:func:`accelsim.rtl.fast_stimulus.pe_verify_events`),
  driver + PE + port packing (:func:`accelsim.rtl.fast_pe.fast_pe_trace`) and
  the comparison -- on seeded random trials with bubbles and back-pressure
  (goal: >= 1 M cycles/s);
* the same for a 4x4 array: WS flat out (``WSArrayModel`` against
  :func:`accelsim.rtl.fast_array.fold_batch_trace`; also its rate with the
  whole-layer bubble / back-pressure patterns), IS and OS with bubbles
  and back-pressure (:func:`accelsim.rtl.arrays.trace.systolic_trace` /
  ``os_trace`` against :func:`accelsim.rtl.fast_is.is_folds_trace` /
  :func:`accelsim.rtl.fast_os.os_tiles_trace`),
* whole-layer verifications of ResNet-18 ``layer1.0.conv1`` on the default
  4x4-cell IS and OS arrays (``--skip-layers`` skips them): IS = the bundled
  dense and 2:4 archs and the unstructured one at 80 % run as IS arrays, OS =
  ``unstructured-os-32x32`` at 80 %, and
* a whole-layer verification of the same layer on the full-size array of
  ``--arch`` (default: every bundled arch; 32x32 cells for
  ``dense-ws-32x32``; 80 % unstructured on the unstructured arch, 4x4 blocks
  at 50 % on the block arch, 2:4 on the N:M arch; ``NAME:is`` / ``NAME:os``
  runs the arch with that dataflow), Verilator build included: by default in
  an empty build cache (a cold build, Verilator runtime included);
  ``--warm-cache`` uses the normal cache (goal: < 5 min).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import best_seconds  # noqa: E402


def _pe_rates(trials: int) -> None:
    import numpy as np

    from accelsim.rtl.fast_pe import fast_pe_trace
    from accelsim.rtl.fast_stimulus import pe_verify_events
    from accelsim.rtl.stimulus import random_pe_trials
    from accelsim.rtl.trace import pe_trace
    from accelsim.rtl.verify import compare_words
    from accelsim.sim.pe_model import PEConfig
    from accelsim.spec import load_arch
    from accelsim.spec.load import bundled_arch_dir

    def model_side(cfg, n):
        # what verify(simulator="verilator") does for a PE apart from Verilator: directed + drawn
        # stimulus, driver + PE model + port packing, and the comparison (of the expected words)
        trace = fast_pe_trace(cfg, pe_verify_events(cfg, n, seed=1), seed=2)
        compare_words(trace, {k: v.copy() for k, v in trace.expected.items()})
        return trace

    print(f"PE model side, {trials:,} trials (4 directed full-width + random; bubbles and back-pressure)")
    print("  Python spec = random_pe_trials (Job objects) + pe_trace (PEModel) on a tenth of the trials;")
    print("  fast = pe_verify_events + fast_pe_trace + compare_words (everything verify does but "
          "Verilator); best of 3; CPU = process time of the best run")
    print(f"  {'arch':<24}{'cycles':>10}{'Python (spec)':>16}{'fast model side':>18}{'stimulus':>11}"
          f"{'CPU':>9}{'ratio':>8}")
    for name in sorted(p.stem for p in bundled_arch_dir().glob("*.yaml")):
        cfg = PEConfig.from_arch(load_arch(name))
        model_side(cfg, 8)                                          # compile / load the Numba cache
        best = None
        for _ in range(3):
            t0, c0 = time.perf_counter(), time.process_time()
            stim = pe_verify_events(cfg, trials, seed=1)
            t1 = time.perf_counter()
            fast = fast_pe_trace(cfg, stim, seed=2)
            compare_words(fast, {k: v.copy() for k, v in fast.expected.items()})
            run = (time.perf_counter() - t0, t1 - t0, time.process_time() - c0)
            best = run if best is None or run[0] < best[0] else best
        assert np.array_equal(fast.model_results, fast.reference_results)
        few = max(1, trials // 10)
        t0 = time.perf_counter()
        slow = pe_trace(cfg, random_pe_trials(cfg, few, seed=1), seed=2)
        slow_s = time.perf_counter() - t0
        fr, sr = fast.cycles / best[0], slow.cycles / slow_s
        print(f"  {name:<24}{fast.cycles:>10,}{sr / 1e3:>12.0f} k/s{fr / 1e6:>14.2f} M/s"
              f"{best[1] * 1e3:>8.1f} ms{best[2] * 1e3:>6.0f} ms{fr / sr:>7.0f}x")
    print(f"  load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs")


def _array_rates() -> None:
    import numpy as np

    from accelsim.rtl.fast_array import fold_batch_trace
    from accelsim.rtl.layer_verify import layer_fold_batches
    from accelsim.rtl.stimulus import fold_from_matrix, random_operand
    from accelsim.rtl.trace import array_trace
    from accelsim.sim.pe_model import PEConfig
    from accelsim.spec import load_arch

    print("4x4 array model (folds of a random 64 x 256 GEMM, 200 vectors)")
    cfg = PEConfig.from_arch(load_arch("dense-ws-32x32"))
    rng = np.random.default_rng(0)
    w, a = random_operand(rng, 8, (64, 256)), random_operand(rng, 8, (200, 256))
    batches = list(layer_fold_batches(cfg, 4, 4, w, a))
    fold_batch_trace(cfg, 4, 4, batches[0][1])
    t0 = time.perf_counter()
    cycles = sum(fold_batch_trace(cfg, 4, 4, b).cycles for _, b, _ in batches)
    fast_s = time.perf_counter() - t0
    folds = [fold_from_matrix(cfg, 4, 4, w[:4, k:k + 4], a[:, k:k + 4]) for k in range(0, 32, 4)]
    t0 = time.perf_counter()
    slow = array_trace(cfg, 4, 4, folds)
    slow_s = time.perf_counter() - t0
    print(f"  WS flat out: Python (spec) {slow.cycles / slow_s / 1e3:.0f} k cycles/s ({slow.cycles:,} "
          f"cycles); Numba {cycles / fast_s / 1e6:.2f} M cycles/s ({cycles:,} cycles)")
    from accelsim.rtl.trace import pattern_probabilities
    bub, stl = pattern_probabilities()
    t0 = time.perf_counter()
    cycles = sum(fold_batch_trace(cfg, 4, 4, b, bubble=bub, stall=stl).cycles for _, b, _ in batches)
    fast_s = time.perf_counter() - t0
    print(f"  WS (bubbles, back-pressure, the whole-layer patterns): Numba {cycles / fast_s / 1e6:.2f} "
          f"M cycles/s ({cycles:,} cycles)")
    _is_os_rates(w, a)


def _is_os_rates(w, a) -> None:
    from accelsim.rtl.arrays.layer import layer_stimulus
    from accelsim.rtl.arrays.trace import os_trace, systolic_trace
    from accelsim.rtl.fast_is import is_folds_trace, is_layer_folds
    from accelsim.rtl.fast_os import os_programs, os_tiles_trace
    from accelsim.rtl.trace import pattern_probabilities
    from accelsim.sim.pe_model import PEConfig
    import numpy as np

    bubble, stall = pattern_probabilities()
    for kind, cfg in (("dense", PEConfig(kind="dense")),
                      ("2:4", PEConfig(kind="nm", lanes=2, n=2, m=4, index_bits=2))):
        wk = w.copy()
        if cfg.kind == "nm":
            wk.reshape(-1, 4)[:, 2:] = 0
        is_folds_trace(cfg, 4, 4, is_layer_folds(cfg, 4, 4, wk[:4, :16], a[:4, :16]))   # Numba cache

        def run_is():
            folds = is_layer_folds(cfg, 4, 4, wk, a)
            return folds, is_folds_trace(cfg, 4, 4, folds, bubble=bubble, stall=stall)
        fast_s = best_seconds(run_is, 3)
        folds, fast = run_is()
        some = [f for f, _ in layer_stimulus(cfg, "is", 4, 4, wk, a[:8])][:16]
        t0 = time.perf_counter()
        slow = systolic_trace(cfg, "is", 4, 4, some)
        slow_s = time.perf_counter() - t0
        print(f"  IS {kind} (bubbles, back-pressure): Python (spec) {slow.cycles / slow_s / 1e3:.0f} k "
              f"cycles/s ({slow.cycles:,} cycles); Numba {fast.cycles / fast_s / 1e6:.2f} M cycles/s "
              f"({fast.cycles:,} cycles, {folds.folds:,} folds, fold cutting included)")
    cfg = PEConfig(kind="dense")

    def run_os(w, a):
        progs = os_programs(cfg, 4, 4, w)
        nb, pb = w.shape[0] // 4, a.shape[0] // 4
        apad = np.zeros((pb * 4, progs.k_span), dtype=np.int64)
        apad[:, :a.shape[1]] = a[:pb * 4]
        return os_tiles_trace(cfg, 4, 4, progs, apad, np.repeat(np.arange(nb), pb),
                              np.tile(np.arange(pb) * 4, nb), bubble=bubble, stall=stall)
    run_os(w[:4, :16], a[:4, :16])                                               # Numba cache
    fast_s = best_seconds(lambda: run_os(w, a), 3)
    fast = run_os(w, a)
    some = [t for t, _ in layer_stimulus(cfg, "os", 4, 4, w[:8], a[:16])]
    t0 = time.perf_counter()
    slow = os_trace(cfg, 4, 4, some)
    slow_s = time.perf_counter() - t0
    print(f"  OS dense (bubbles, back-pressure): Python (spec) {slow.cycles / slow_s / 1e3:.0f} k "
          f"cycles/s ({slow.cycles:,} cycles); Numba {fast.cycles / fast_s / 1e6:.2f} M cycles/s "
          f"({fast.cycles:,} cycles, programs included)")


def _arch_with_dataflow(spec: str):
    """``NAME`` or ``NAME:DATAFLOW``: a bundled arch, optionally run with another dataflow."""
    import dataclasses

    from accelsim.spec import load_arch

    name, _, flow = spec.partition(":")
    arch = load_arch(name)
    if flow and flow != arch.dataflow:
        arch = dataclasses.replace(arch, dataflow=flow, name=f"{name}-as-{flow}")
    return arch


def _cpu_s() -> float:
    import resource
    return sum(getattr(resource.getrusage(who), f) for who in
               (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN) for f in ("ru_utime", "ru_stime"))


def _layer_rows() -> None:
    from accelsim.rtl.layer_verify import verify_layer

    print("whole-layer verification of resnet18 layer1.0.conv1 on the default 4x4-cell arrays "
          "(bubbles and back-pressure; Verilator cache as configured)")
    print(f"  {'arch':<34}{'prune':<18}{'folds':>9}{'cycles':>12}{'wall':>8}{'CPU':>8}{'model':>8}"
          f"{'Verilator':>10}{'build':>7}{'model rate':>13}")
    for spec, prune in (("dense-ws-32x32:is", None), ("nm24-ws-32x32:is", None),
                        ("unstructured-os-32x32:is", "unstructured:0.8"),
                        ("unstructured-os-32x32", "unstructured:0.8")):
        arch = _arch_with_dataflow(spec)
        t0, c0 = time.perf_counter(), _cpu_s()
        r = verify_layer(arch, "resnet18", "layer1.0.conv1", prune=prune, whole_layer=True)
        wall, cpu = time.perf_counter() - t0, _cpu_s() - c0
        assert r.ok, r.message
        print(f"  {arch.name:<34}{r.prune:<18}{r.folds:>9,}{r.cycles:>12,}{wall:>7.1f}s{cpu:>7.1f}s"
              f"{r.model_seconds:>7.1f}s{r.sim_seconds:>9.1f}s{r.build_seconds:>6.1f}s"
              f"{r.cycles / max(r.model_seconds, 1e-9) / 1e6:>9.2f} M/s")
    print(f"  load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs")


_FULL_SIZE_ARCHS = ("dense-ws-32x32", "nm24-ws-32x32", "block4x4-ws-32x32", "unstructured-os-32x32",
                    "eyeriss-12x14")
_FULL_SIZE_PRUNING = {"unstructured-os-32x32": "unstructured:0.8", "block4x4-ws-32x32": "block:4x4:0.5"}
"""Pruning of the full-size runs (others: the arch's default, ``nm:2:4`` on an N:M arch, else none)."""


def _full_size(arch_name: str, warm: bool) -> None:
    from accelsim.rtl.layer_verify import verify_layer

    arch = _arch_with_dataflow(arch_name)
    tmp = None
    if not warm:
        tmp = tempfile.TemporaryDirectory(prefix="accelsim-bench-rtl-")
        os.environ["ACCELSIM_CACHE"] = tmp.name
    print(f"full-size whole-layer verification, {'warm' if warm else 'empty'} Verilator cache")
    t0, c0 = time.perf_counter(), _cpu_s()
    prune = _FULL_SIZE_PRUNING.get(arch_name.partition(":")[0])
    r = verify_layer(arch, "resnet18", "layer1.0.conv1", prune=prune, shape="full", whole_layer=True)
    wall, cpu = time.perf_counter() - t0, _cpu_s() - c0
    print("  " + r.summary().replace("\n", "\n  "))
    print(f"  {arch_name}: wall {wall:.1f} s, CPU {cpu:.1f} s (Verilator build {r.build_seconds:.1f} s; "
          f"goal < 300 s); load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if tmp is not None:
        tmp.cleanup()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--trials", type=int, default=4000, help="random PE trials per mode (default 4000)")
    p.add_argument("--arch", action="append", help="arch of the full-size run, NAME or NAME:is / "
                   "NAME:os for another dataflow (repeatable; default every bundled arch)")
    p.add_argument("--skip-layers", action="store_true",
                   help="skip the 4x4 IS/OS whole-layer runs")
    p.add_argument("--full-only", action="store_true", help="only the full-size runs")
    p.add_argument("--warm-cache", action="store_true", help="use the normal Verilator cache")
    p.add_argument("--skip-full", action="store_true", help="skip the full-size array run")
    args = p.parse_args(argv)
    if not args.full_only:
        _pe_rates(args.trials)
        _array_rates()
        if not args.skip_layers:
            _layer_rows()
    if not args.skip_full:
        for name in args.arch or _FULL_SIZE_ARCHS:
            _full_size(name, args.warm_cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())
