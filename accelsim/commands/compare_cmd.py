"""``accelsim compare``: every arch x dataflow x format x pruning combination in one report."""

from __future__ import annotations

__all__ = ["run_compare"]


def run_compare(args) -> int:
    """Parse the lists, run the comparison, write the report, print where it is."""
    from accelsim.report.compare import parse_list, run_comparison
    from accelsim.report.writer import write_report
    from accelsim.spec import DATAFLOWS, load_arch
    from accelsim.workload.loaders import load_workload

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
    workload = load_workload(args.workload, tokens=args.tokens, seed=args.seed)
    comparison = run_comparison(workload, archs, dataflows=dataflows, formats=formats, prunes=prunes,
                                seed=args.seed, quiet=args.quiet)
    files = write_report(comparison, args.out)
    for cfg, why in comparison.skipped:
        print(f"skipped {cfg.label}: {why}")
    print(f"{len(comparison.runs)} configurations simulated; report: {files['report.html']}")
    for kind in ("report.md", "results.json", "results.csv"):
        print(f"  {kind}: {files[kind]}")
    return 0
