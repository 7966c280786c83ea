"""Compare accelsim's dense cycles and speed with the real SCALE-Sim (PyPI ``scalesim``).

Usage::

    python benchmarks/scalesim_compare.py                    # ResNet-18, 32x32, WS/OS/IS
    python benchmarks/scalesim_compare.py --reference tests/sim/scalesim_reference.csv

SCALE-Sim runs in its own virtual environment (it pins other NumPy versions),
``.venv-scalesim`` in the repository, which ``make bench`` creates::

    python3 -m venv .venv-scalesim
    .venv-scalesim/bin/pip install "scalesim==3.0.0" "numpy<2.4"

Point ``ACCELSIM_SCALESIM_PYTHON`` at its interpreter if it lives elsewhere.
Each SCALE-Sim run is ``python -m scalesim.scale -c CFG -t TOPOLOGY -l LAYOUT
-p OUT -i conv|gemm -s N`` with ``InterfaceBandwidth: CALC`` (no DRAM stalls)
and large SRAMs; the number compared is the "Total Cycles" column of its
``COMPUTE_REPORT.csv``.

Layer mapping (accelsim -> SCALE-Sim conv row): SCALE-Sim has no padding and
computes ``ofmap = ceil((ifmap - filter) / stride) + 1``; accelsim's layers use
PyTorch's rule. An accelsim conv with output ``P x Q`` becomes the SCALE-Sim
row ``IFMAP = ((P-1)*stride + R) x ((Q-1)*stride + S)``, same filter, channels
per group, filters per group and stride (one SCALE-Sim layer per group).
A linear layer becomes a 1x1 IFMAP with ``in_features`` channels.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: The Makefile's SCALE-Sim venv (``SCALESIM_VENV ?= .venv-scalesim``), unless the variable says otherwise.
SCALESIM_PYTHON = os.environ.get("ACCELSIM_SCALESIM_PYTHON", str(ROOT / ".venv-scalesim" / "bin" / "python"))

_CFG = """[general]
run_name = run

[architecture_presets]
ArrayHeight:    {rows}
ArrayWidth:     {cols}
IfmapSramSzkB:   4096
FilterSramSzkB:  4096
OfmapSramSzkB:   4096
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : 10
Dataflow : {dataflow}
MemoryBanks:   1
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 100
IfmapSRAMBankNum: 10
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: 100
FilterSRAMBankNum: 10
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport : false
SparseRep : ellpack_block
OptimizedMapping : false
BlockSize : 8
RandomNumberGeneratorSeed : 40

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
"""

CONV_HEADER = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
               "Num Filter, Strides,\n")
GEMM_HEADER = "Layer, M, N, K,\n"

#: Reference cases: SCALE-Sim conv rows (H, W, R, S, C, K, stride) and GEMM rows (M, N, K).
REFERENCE_CONV = [
    (10, 9, 3, 3, 5, 7, 1), (11, 13, 3, 2, 3, 9, 2), (8, 8, 1, 1, 17, 5, 1), (1, 1, 1, 1, 40, 10, 1),
    (12, 7, 5, 5, 2, 3, 3), (16, 16, 3, 3, 16, 32, 1), (15, 15, 3, 3, 8, 20, 2),
    (14, 14, 1, 1, 32, 64, 2), (9, 9, 9, 9, 3, 4, 1), (28, 28, 5, 5, 1, 6, 1),
    (7, 7, 3, 3, 64, 70, 1), (20, 6, 4, 2, 6, 33, 4),
]
REFERENCE_GEMM = [(1, 10, 40), (64, 64, 64), (17, 33, 65), (128, 10, 7), (5, 100, 3)]
REFERENCE_ARRAYS = [(8, 8), (32, 32), (16, 4), (4, 16), (7, 13), (1, 8), (8, 1), (64, 8)]


def scalesim_available() -> bool:
    """True if the SCALE-Sim interpreter exists and imports ``scalesim``."""
    if not Path(SCALESIM_PYTHON).exists():
        return False
    done = subprocess.run([SCALESIM_PYTHON, "-c", "import scalesim.scale_sim"], capture_output=True)
    return done.returncode == 0


def scalesim_version() -> str:
    done = subprocess.run([SCALESIM_PYTHON, "-c",
                           "import importlib.metadata as m; print(m.version('scalesim'))"],
                          capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def run_scalesim(rows: int, cols: int, dataflow: str, topology_rows: list[str], gemm: bool):
    """Run SCALE-Sim once; return ``([(total_cycles, stall_cycles), ...], seconds)``."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "run.cfg").write_text(_CFG.format(rows=rows, cols=cols, dataflow=dataflow))
        (tmp / "topology.csv").write_text((GEMM_HEADER if gemm else CONV_HEADER)
                                          + "".join(r + ",\n" for r in topology_rows))
        (tmp / "layout.csv").write_text("Layer name,\n")
        cmd = [SCALESIM_PYTHON, "-m", "scalesim.scale", "-c", str(tmp / "run.cfg"),
               "-t", str(tmp / "topology.csv"), "-l", str(tmp / "layout.csv"),
               "-p", str(tmp / "out"), "-i", "gemm" if gemm else "conv", "-s", "N"]
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"SCALE-Sim failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        with open(tmp / "out" / "run" / "COMPUTE_REPORT.csv") as f:
            lines = list(csv.reader(f))[1:]
    return [(int(r[2]), int(r[3])) for r in lines if r], seconds


def conv_row_output(h, w, r, s, stride):
    """SCALE-Sim's output size: ``ceil((ifmap - filter) / stride) + 1`` per axis."""
    return math.ceil((h - r) / stride) + 1, math.ceil((w - s) / stride) + 1


def accelsim_layer_to_scalesim(layer) -> list[str]:
    """SCALE-Sim topology rows (one per group) equivalent to an accelsim conv/linear layer."""
    if layer.conv is not None:
        cp = layer.conv
        if cp.stride_h != cp.stride_w:
            raise ValueError(f"{layer.name}: SCALE-Sim needs equal strides")
        h = (cp.out_h - 1) * cp.stride_h + cp.kernel_h
        w = (cp.out_w - 1) * cp.stride_w + cp.kernel_w
        row = (f"{layer.name}, {h}, {w}, {cp.kernel_h}, {cp.kernel_w}, {cp.in_channels // cp.groups}, "
               f"{cp.out_channels // cp.groups}, {cp.stride_h}")
        return [row.replace(layer.name, f"{layer.name}_g{g}", 1) for g in range(cp.groups)]
    return [f"{layer.name}, 1, 1, 1, 1, {layer.k}, {layer.n}, 1"] * layer.groups


def write_reference(path: Path) -> None:
    """Run SCALE-Sim on every reference case and write the CSV of its cycles."""
    version = scalesim_version()
    out = []
    for rows, cols in REFERENCE_ARRAYS:
        for dataflow in ("ws", "os", "is"):
            conv_rows = [f"c{i}, " + ", ".join(map(str, c)) for i, c in enumerate(REFERENCE_CONV)]
            got, _ = run_scalesim(rows, cols, dataflow, conv_rows, gemm=False)
            for c, (total, stall) in zip(REFERENCE_CONV, got):
                out.append(["conv", *c, "", "", "", rows, cols, dataflow, total, stall])
            gemm_rows = [f"g{i}, {m}, {n}, {k}" for i, (m, n, k) in enumerate(REFERENCE_GEMM)]
            got, _ = run_scalesim(rows, cols, dataflow, gemm_rows, gemm=True)
            for (m, n, k), (total, stall) in zip(REFERENCE_GEMM, got):
                out.append(["gemm", "", "", "", "", "", "", "", m, n, k, rows, cols, dataflow, total, stall])
            print(f"{rows}x{cols} {dataflow}: done", flush=True)
    with open(path, "w", newline="") as f:
        f.write(f"# Produced by the real SCALE-Sim, PyPI package scalesim {version}, with\n"
                "#   python benchmarks/scalesim_compare.py --reference tests/sim/scalesim_reference.csv\n"
                "# which runs, per array and dataflow: python -m scalesim.scale -c CFG -t TOPOLOGY "
                "-l LAYOUT -p OUT -i conv|gemm -s N\n"
                "# CFG: InterfaceBandwidth CALC, 4096 kB SRAMs. total_cycles = COMPUTE_REPORT.csv "
                "'Total Cycles', stall_cycles = 'Stall Cycles'.\n"
                "# conv rows are SCALE-Sim topology rows (no padding, ofmap = ceil((ifmap-filter)/stride)+1);"
                " gemm rows are its GEMM form (M, N, K).\n")
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["kind", "ifmap_h", "ifmap_w", "filter_h", "filter_w", "channels",
                         "num_filter", "stride", "gemm_m", "gemm_n", "gemm_k", "array_rows",
                         "array_cols", "dataflow", "total_cycles", "stall_cycles"])
        writer.writerows(out)
    print(f"wrote {len(out)} rows to {path}")


def compare_resnet18(rows: int = 32, cols: int = 32, layers: int | None = None) -> None:
    """ResNet-18 on a rows x cols array: cycles of both tools and the speed ratio.

    ``layers`` limits the run to the first that many layers (SCALE-Sim needs
    about 10 minutes per dataflow for the whole network here).
    """
    import dataclasses

    from accelsim.sim import simulate
    from accelsim.spec import MappingSpec, load_arch
    from accelsim.workload.loaders import load_workload

    workload = load_workload("resnet18", weights=False)
    if layers is not None:
        workload = workload.with_layers(workload.layers[:layers])
    base = load_arch("dense-ws-32x32")
    # SCALE-Sim's own loop order: the anchor is its cycle count, not the mapper's
    arch = dataclasses.replace(base, array=dataclasses.replace(base.array, rows=rows, cols=cols),
                               dram_bandwidth_bytes_per_cycle=math.inf,
                               mapping=MappingSpec("scalesim"))
    simulate(workload, arch, dataflow="ws")          # warm the Numba cache / imports
    topology = [row for layer in workload.layers for row in accelsim_layer_to_scalesim(layer)]
    have = scalesim_available()
    if not have:
        print(f"SCALE-Sim is not installed ({SCALESIM_PYTHON}); accelsim only. To compare, run `make bench`, or:\n"
              "  python3 -m venv .venv-scalesim\n"
              "  .venv-scalesim/bin/pip install 'scalesim==3.0.0' 'numpy<2.4'")
    print(f"ResNet-18 (first {len(workload)} layers) on {rows}x{cols}, unlimited bandwidth")
    print(f"{'flow':4} {'accelsim cycles':>16} {'scalesim cycles':>16} {'equal':>6} "
          f"{'accelsim s':>11} {'scalesim s':>11} {'speedup':>9}")
    for dataflow in ("ws", "os", "is"):
        start = time.perf_counter()
        result = simulate(workload, arch, dataflow=dataflow)
        ours_s = time.perf_counter() - start
        ours = result.total.cycles
        if have:
            got, theirs_s = run_scalesim(rows, cols, dataflow, topology, gemm=False)
            theirs = sum(total for total, _ in got)
            print(f"{dataflow:4} {ours:16,} {theirs:16,} {str(ours == theirs):>6} {ours_s:11.4f} "
                  f"{theirs_s:11.1f} {theirs_s / ours_s:8.0f}x", flush=True)
        else:
            print(f"{dataflow:4} {ours:16,} {'-':>16} {'-':>6} {ours_s:11.4f}", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, help="write the SCALE-Sim reference CSV here")
    parser.add_argument("--rows", type=int, default=32)
    parser.add_argument("--cols", type=int, default=32)
    parser.add_argument("--layers", type=int, default=None,
                        help="only the first N layers of ResNet-18 (default: all)")
    args = parser.parse_args(argv)
    if args.reference:
        if not scalesim_available():
            print(f"SCALE-Sim not found at {SCALESIM_PYTHON}; see this script's docstring.")
            return 1
        write_reference(args.reference)
        return 0
    compare_resnet18(args.rows, args.cols, args.layers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
