"""Sweep throughput: the 1,000-point ResNet-50 sweep, memory against points done, 2 workers against 1.

Usage::

    python benchmarks/bench_sweep.py [--samples 1000] [--speedup-samples 400]

Prints

* the wall time of ``accelsim sweep resnet50-1000`` (``workloads/sweeps/resnet50-1000.yaml``:
  planning, loading and pruning ResNet-50 once, and every point; the report is
  timed apart) on 2 local workers, its points per second, and the CPU seconds
  per point (user + system time of this process and its workers: unlike the
  wall time, it does not depend on what else the machine is running). Goal:
  under 60 s;
* the memory of the run while it progresses (resident memory of the parent,
  proportional set size of the parent and its workers), sampled every 0.5 s and
  shown at each tenth of the points: flat in the number of points done;
* the same spec with ``--speedup-samples`` points run with 1 worker and then
  with 2 workers in this run, and the ratio of their wall times;
* the machine's load average before each run (this machine is shared: a load
  above 2 means other work took cores from the runs; then the wall times and
  their ratio measure that load, and the CPU seconds are the figures to read).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _cpu_seconds() -> float:
    """User + system time of the finished child processes (each run is a child: fresh, no warm caches)."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


class _MemorySampler:
    """Samples (points stored, RSS of the sweep process, total PSS of it and its workers) every 0.5 s."""

    def __init__(self, folder: Path, pid: int):
        import psutil

        self.folder, self.psutil, self.pid = folder, psutil, pid
        self.samples: list[tuple[int, float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _stored(self) -> int:
        import sqlite3

        db = self.folder / "sweep.sqlite"
        if not db.exists():
            return 0
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
                return con.execute("SELECT COUNT(*) FROM points").fetchone()[0]
        except sqlite3.Error:
            return 0

    def _loop(self) -> None:
        try:
            me = self.psutil.Process(self.pid)
        except self.psutil.NoSuchProcess:
            return
        while not self._stop.wait(0.5):
            try:
                procs = [me, *me.children(recursive=True)]
                pss = 0
                for p in procs:
                    try:
                        pss += p.memory_full_info().pss
                    except (self.psutil.NoSuchProcess, self.psutil.AccessDenied):
                        pass
                self.samples.append((self._stored(), me.memory_info().rss / 2**20, pss / 2**20))
            except self.psutil.Error:
                pass

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _spec(samples: int, folder: Path) -> Path:
    """The bundled resnet50-1000 spec with ``samples`` points, written into ``folder``."""
    import yaml

    from accelsim.bundled_data import bundled_dir

    data = yaml.safe_load((bundled_dir() / "sweeps" / "resnet50-1000.yaml").read_text())
    data["sampling"]["samples"] = samples
    path = folder / f"resnet50-{samples}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _run(spec: Path, folder: Path, workers: int, sample_memory: bool = False):
    """``accelsim sweep SPEC --out FOLDER --workers N`` in a fresh process: (points, wall, CPU, load, samples)."""
    import subprocess

    from accelsim.sweep import load_results

    load = os.getloadavg()[0]
    cpu0, t0 = _cpu_seconds(), time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "accelsim", "sweep", str(spec), "--out", str(folder),
                             "--workers", str(workers), "--quiet", "--no-report"], stdout=subprocess.PIPE, text=True)
    sampler = _MemorySampler(folder, proc.pid) if sample_memory else None
    if sampler:
        sampler.__enter__()
    out, _ = proc.communicate()
    wall = time.perf_counter() - t0
    if sampler:
        sampler.__exit__()
    if proc.returncode:
        raise SystemExit(f"accelsim sweep failed ({proc.returncode}): {out}")
    import re

    phase = float(re.search(r"simulated in ([0-9.]+) s", out).group(1))
    return (len(load_results(folder)), wall, _cpu_seconds() - cpu0, load, sampler.samples if sampler else [],
            phase)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=1000, help="points of the main run (default 1000)")
    parser.add_argument("--speedup-samples", type=int, default=400, help="points of the 1-vs-2-worker runs")
    args = parser.parse_args()

    from accelsim.sweep import build_report
    from accelsim.sweep.executor import default_workers

    print(f"cores available: {default_workers()}; spec: workloads/sweeps/resnet50-1000.yaml")
    tmp = Path(tempfile.mkdtemp(prefix="accelsim-bench-sweep-"))
    try:
        folder = tmp / "main"
        n, wall, cpu, load, samples, phase = _run(_spec(args.samples, tmp), folder, workers=2, sample_memory=True)
        t0 = time.perf_counter()
        build_report(folder)
        report_s = time.perf_counter() - t0
        print(f"\n{n} ResNet-50 points on 2 local workers, `accelsim sweep` in a fresh process "
              f"(load average before: {load:.1f})")
        print(f"  wall time        {wall:8.1f} s   (goal: < 60 s)   {n / wall:.1f} points/s")
        print(f"  of which         {wall - phase:8.1f} s   before the points run in parallel (start-up, planning, "
              f"loading and pruning ResNet-50, the first point)")
        print(f"  CPU time         {cpu:8.1f} s   {1000 * cpu / n:.0f} ms of CPU per point (user + system, "
              f"the sweep process and its workers)")
        print(f"  report           {report_s:8.1f} s   (tables and {len(list((folder / 'report').glob('*.png')))} plots)")
        print("\n  memory while the points finish (MiB):")
        print("    points stored   parent RSS   parent + workers PSS")
        shown = set()
        for stored, rss, pss in samples:
            tenth = min(10, stored * 10 // max(n, 1))
            if tenth not in shown and stored > 0:
                shown.add(tenth)
                print(f"    {stored:13d}   {rss:10.0f}   {pss:20.0f}")
        if samples:
            print(f"    peak over the whole run (pruning included): parent RSS {max(s[1] for s in samples):.0f} MiB, "
                  f"total PSS {max(s[2] for s in samples):.0f} MiB")

        k = args.speedup_samples
        spec_k = _spec(k, tmp)
        _, wall1, cpu1, load1, _, _ = _run(spec_k, tmp / "one", workers=1)
        _, wall2, cpu2, load2, _, _ = _run(spec_k, tmp / "two", workers=2)
        print(f"\n{k} points, 1 worker against 2 (same spec, same run)")
        print(f"  1 worker   {wall1:7.1f} s wall  {k / wall1:6.2f} points/s  CPU {cpu1:6.1f} s  (load before {load1:.1f})")
        print(f"  2 workers  {wall2:7.1f} s wall  {k / wall2:6.2f} points/s  CPU {cpu2:6.1f} s  (load before {load2:.1f})")
        print(f"  speedup of 2 workers over 1: {wall1 / wall2:.2f}x (wall time); CPU time of 2 workers / 1: "
              f"{cpu2 / cpu1:.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
