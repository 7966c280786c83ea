"""``accelsim compare``: every arch x dataflow x format x pruning combination in one report."""

from __future__ import annotations

from pathlib import Path

#: Files that mark a folder as an earlier ``compare`` report (see accelsim.fileio.check_output_dir).
REPORT_FILES = ("results.json", "report.html")

__all__ = ["HELP", "DESCRIPTION", "add_arguments", "run_compare"]

HELP = "compare dataflows, formats, pruning and archs in one report"
DESCRIPTION = ("Run every combination of archs x dataflows x formats x pruning "
               "schemes and write a report (md, html, json, csv, png).")


def add_arguments(p) -> None:
    """Declare the ``accelsim compare`` options on parser ``p``."""
    from accelsim.commands.options import add_workload_args

    add_workload_args(p)
    p.add_argument("--arch", "-a", action="append", required=True, metavar="A",
                   help="architecture (repeat for several)")
    p.add_argument("--dataflows", default=None, metavar="LIST", help="comma list of ws,os,is (default: all)")
    p.add_argument("--formats", default=None, metavar="LIST",
                   help="comma list of formats (default: dense and each arch's native format)")
    p.add_argument("--prune", action="append", default=None, metavar="SCHEME",
                   help="pruning scheme (repeat for several; default: none)")
    p.add_argument("--out", "-o", required=True, metavar="DIR", help="output folder")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def run_compare(args) -> int:
    """Parse the lists, run the comparison, write the report, print where it is."""
    from accelsim.fileio import atomic_output_dir, check_output_dir
    from accelsim.report.compare import parse_list, run_comparison
    from accelsim.report.writer import write_report
    from accelsim.spec import DATAFLOWS, load_arch
    from accelsim.commands.options import workload_from_args

    check_output_dir(args.out, "--out", recognise=REPORT_FILES)
    dataflows = parse_list(args.dataflows, "--dataflows", DATAFLOWS)
    formats = None
    if args.formats is not None:
        from accelsim.formats import parse_format
        formats = [parse_format(f).name for f in parse_list(args.formats, "--formats")]
    prunes = None
    if args.prune:
        from accelsim.prune import parse_scheme
        prunes = [None if p.strip().lower() in ("none", "") else parse_scheme(p).name for p in args.prune]
        prunes = list(dict.fromkeys(prunes))
    archs = [load_arch(a) for a in args.arch]
    workload = workload_from_args(args)
    comparison = run_comparison(workload, archs, dataflows=dataflows, formats=formats, prunes=prunes,
                                seed=args.seed, quiet=args.quiet)
    with atomic_output_dir(args.out, command="compare", recognise=REPORT_FILES) as staging:
        files = write_report(comparison, staging)
    final = Path(args.out)
    files = {name: final / Path(path).name for name, path in files.items()}
    for cfg, why in comparison.skipped:
        print(f"skipped {cfg.label}: {why}")
    print(f"{len(comparison.runs)} configurations simulated; report: {files['report.html']}")
    for kind in ("report.md", "results.json", "results.csv"):
        print(f"  {kind}: {files[kind]}")
    return 0
