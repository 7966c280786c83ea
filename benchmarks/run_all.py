"""Run every benchmark in this folder (``make bench``) and print their reports.

Benchmarks measure; they never assert a time. Each prints its own figures
(ratios measured in the same run where a peer tool is involved).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    # SCALE-Sim takes ~10 min per dataflow on all of ResNet-18; the default
    # bench compares the first 6 layers (ACCELSIM_SCALESIM_LAYERS=all for every layer).
    layers = os.environ.get("ACCELSIM_SCALESIM_LAYERS", "6")
    scripts = [(s, []) for s in sorted(HERE.glob("bench_*.py"))]
    scripts.append((HERE / "scalesim_compare.py", [] if layers == "all" else ["--layers", layers]))
    scripts.append((HERE / "zigzag_compare.py", []))
    failed = []
    for script, extra in scripts:
        print(f"\n===== {script.name} {' '.join(extra)} =====", flush=True)
        start = time.monotonic()
        r = subprocess.run([sys.executable, str(script), *extra])
        print(f"----- {script.name}: exit {r.returncode}, {time.monotonic() - start:.1f} s wall", flush=True)
        if r.returncode:
            failed.append(script.name)
    if failed:
        print("failed: " + ", ".join(failed))
        return 1
    print(f"\n{len(scripts)} benchmarks ran")
    return 0


if __name__ == "__main__":
    sys.exit(main())
