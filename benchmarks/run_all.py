"""Run every benchmark in this folder (``make bench``) and print their reports.

Benchmarks measure; they never assert a time. Each prints its own figures
(ratios measured in the same run where a peer tool is involved).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(HERE.glob("bench_*.py")) + sorted(HERE.glob("scalesim_compare.py"))
    failed = []
    for script in scripts:
        print(f"\n===== {script.name} =====", flush=True)
        start = time.monotonic()
        r = subprocess.run([sys.executable, str(script)])
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
