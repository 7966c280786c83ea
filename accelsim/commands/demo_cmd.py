"""``accelsim demo``: the whole tool on bundled defaults, end to end."""

from __future__ import annotations

import time
from pathlib import Path

__all__ = ["HELP", "DESCRIPTION", "add_arguments", "run_demo", "DEMO_ARCHS", "DEMO_PRUNES"]

HELP = "run the end-to-end demo on bundled defaults"
DESCRIPTION = ("Prune bundled networks, encode, simulate, compare, generate and "
               "verify RTL; print where each output is.")


def add_arguments(p) -> None:
    """Declare the ``accelsim demo`` options on parser ``p``."""
    p.add_argument("--out", "-o", default="demo-out", metavar="DIR", help="output folder (default demo-out)")
    p.add_argument("--quick", action="store_true", help="smaller workloads (for tests)")

DEMO_ARCHS = ("dense-ws-32x32", "nm24-ws-32x32", "unstructured-os-32x32", "block4x4-ws-32x32")
DEMO_PRUNES = ("nm:2:4", "unstructured:0.8", "block:4x4:0.5:pad")
DEMO_FORMATS = ("dense", "csr", "bitmap", "bsr:4x4", "nm:2:4")
RTL_ARCH = "nm24-ws-32x32"
#: Entries that mark a folder as an earlier demo output (see accelsim.fileio.check_output_dir).
DEMO_OUTPUTS = ("rtl", "resnet50", "bert-base", "tiny-cnn", "resnet18")


def _say(text: str) -> None:
    print(text, flush=True)


def run_demo(args) -> int:
    """Prune, encode, compare, generate RTL and verify it; print where every output is."""
    from accelsim.commands.encode_cmd import encode_workload
    from accelsim.prune import prune
    from accelsim.report import compare, format_table
    from accelsim.report.tables import headline
    from accelsim.spec import load_arch
    from accelsim.workload.loaders import load_workload

    from accelsim.fileio import atomic_output_dir, check_output_dir

    start = time.monotonic()
    check_output_dir(args.out, "--out", recognise=DEMO_OUTPUTS)
    out = Path(args.out)
    workloads = ("tiny-cnn", "resnet18") if args.quick else ("resnet50", "bert-base")
    archs = [load_arch(name) for name in DEMO_ARCHS]
    findings = []
    outputs = []

    for wl_name in workloads:
        workload = load_workload(wl_name)
        _say(f"\n== {workload.name}: {len(workload)} layers, {workload.macs / 1e9:.2f} GMACs ==")
        # 1. storage of every pruning pattern in every format
        rows = []
        pruned_workloads = {}
        for scheme in DEMO_PRUNES:
            pruned = pruned_workloads[scheme] = prune(workload, scheme)
            for fmt in DEMO_FORMATS:
                if fmt.startswith("nm:") and not scheme.startswith("nm:"):
                    continue
                s = encode_workload(pruned, fmt)["total"]
                b = s["storage_bits"]
                rows.append([scheme, fmt, f"{100 * s['sparsity']:.1f}%", f"{b['values'] / 8 / 2**20:.2f}",
                             f"{b['metadata'] / 8 / 2**20:.2f}", f"{s['vs_dense']:.3f}"])
        _say(format_table(["prune", "format", "sparsity", "values MiB", "metadata MiB", "total/dense"], rows))
        # 2. dataflows x formats x archs
        _say(f"comparing WS/OS/IS, {len(archs)} archs, {len(DEMO_PRUNES)} pruning schemes ...")
        result = compare(workload, archs, dataflows=["ws", "os", "is"], prunes=list(DEMO_PRUNES), progress=True,
                         pruned_workloads=pruned_workloads,
                         command=(f"accelsim demo{' --quick' if args.quick else ''}: accelsim.compare({wl_name!r}, "
                                  f"{list(DEMO_ARCHS)!r}, dataflows=['ws', 'os', 'is'], "
                                  f"prunes={list(DEMO_PRUNES)!r})"))
        result.write_report(out / wl_name)
        outputs.append((f"{wl_name} report", out / wl_name / "report.html"))
        findings.append(f"{wl_name}: " + headline(result.winners, result.summaries))

    # 3. RTL for the default sparse arch, verified in Verilator
    from accelsim.rtl.export import generate
    from accelsim.rtl.verify import verify

    rtl_arch = load_arch(RTL_ARCH)
    rtl_dir = out / "rtl"
    with atomic_output_dir(rtl_dir, command="demo", recognise=("manifest.json",)) as staging:
        manifest = generate(rtl_arch, staging)
    _say(f"\n== RTL for {rtl_arch.name}: {', '.join(t['name'] for t in manifest['tops'])} -> {rtl_dir} ==")
    outputs.append(("Verilog + manifest", rtl_dir / "manifest.json"))
    failed = 0
    for top, trials in (("pe", 50 if args.quick else 200), ("array", 10 if args.quick else 40)):
        result = verify(rtl_arch, trials=trials, seed=0, simulator="verilator", top=top)
        failed += result.failed
        what = "PE" if top == "pe" else "array generator at 4x4 (same generator as the full array)"
        _say(f"Verilator verification of the {what} against the simulator's bit-true {top} model: "
             f"{result.passed} passed, {result.failed} failed ({result.cycles:,} cycles in {result.seconds:.1f} s)")
        findings.append(f"RTL {top} ({result.top}) vs the bit-true model in Verilator: "
                        f"{result.passed} passed, {result.failed} failed")

    _say("\n== outputs ==")
    for what, path in outputs:
        _say(f"  {what}: {path}")
    _say("\n== summary ==")
    for line in findings:
        _say(f"  - {line}")
    _say(f"demo finished in {time.monotonic() - start:.0f} s")
    return 0 if failed == 0 else 1
