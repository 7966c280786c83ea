"""``accelsim sweep``: run a design-space sweep (resumable, local or on Dask), export it, rebuild its report."""

from __future__ import annotations

__all__ = ["HELP", "DESCRIPTION", "add_arguments", "run_sweep_command", "run_sweep"]

HELP = "design-space sweep: thousands of points, resumable, local or on a Dask cluster"
DESCRIPTION = ("Run every design point of a sweep spec (workloads x prune schemes x a sampled space of "
               "architecture fields x dataflows x formats), committing each point's results to DIR/sweep.sqlite "
               "as it finishes, then write DIR/report. `accelsim sweep SPEC --out DIR [--resume]` runs; "
               "`accelsim sweep --export FILE.csv|FILE.parquet DIR` exports the stored points; "
               "`accelsim sweep --report DIR` rebuilds the report. The spec format: docs/sweeps.md.")


def add_arguments(p) -> None:
    """Declare the ``accelsim sweep`` options on parser ``p``."""
    p.add_argument("path", metavar="SPEC_OR_DIR",
                   help="the sweep spec (YAML file or bundled name, e.g. resnet50-1000); with --export or "
                        "--report, the sweep folder")
    p.add_argument("--out", "-o", metavar="DIR", help="sweep folder: the store (sweep.sqlite) and report/")
    p.add_argument("--resume", action="store_true", help="skip the points already stored in DIR")
    from accelsim.numbers import int_option

    p.add_argument("--workers", "-j", type=int_option(1, 4096), default=None, metavar="N",
                   help="local worker processes (default: every core)")
    p.add_argument("--scheduler", metavar="ADDR", help="run on an existing Dask cluster, e.g. tcp://HOST:8786")
    p.add_argument("--chunk-size", type=int_option(1, 1_000_000), default=None, metavar="N",
                   help="points per task, 1 to 1000000 (default: automatic)")
    p.add_argument("--no-report", action="store_true", help="do not write DIR/report at the end")
    p.add_argument("--check", action="store_true", help="validate the spec and every point (workloads loaded and pruned), print the counts, "
                        "run nothing")
    p.add_argument("--export", metavar="FILE", help="write the stored points of the folder SPEC_OR_DIR to FILE "
                                                    "(.csv or .parquet)")
    p.add_argument("--report", dest="rebuild_report", action="store_true",
                   help="rebuild the report of the folder SPEC_OR_DIR from its store")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress line")


def _refuse_with(args, mode: str, options) -> None:
    from accelsim.errors import AccelsimInputError

    given = [name for name, value in options if value]
    if given:
        raise AccelsimInputError(f"{mode} does not take {', '.join(given)}",
                                 hint="`accelsim sweep --export FILE DIR` and `accelsim sweep --report DIR` read "
                                      "an existing sweep folder; run options go with `accelsim sweep SPEC --out DIR`")


def run_sweep(args) -> int:
    """Dispatch: export, report, check or run."""
    from accelsim.errors import AccelsimInputError

    run_options = [("--out", args.out), ("--resume", args.resume), ("--workers", args.workers is not None),
                   ("--scheduler", args.scheduler), ("--chunk-size", args.chunk_size is not None),
                   ("--no-report", args.no_report), ("--check", args.check)]
    if args.export is not None and args.rebuild_report:
        raise AccelsimInputError("--export and --report exclude each other", hint="run them one after the other")
    if args.export is not None:
        _refuse_with(args, "--export", run_options)
        from accelsim.sweep.results import export_results

        path = export_results(args.path, args.export)
        print(f"exported the stored points of {args.path} to {path}")
        return 0
    if args.rebuild_report:
        _refuse_with(args, "--report", run_options)
        from accelsim.sweep.report import build_report

        print(f"report: {build_report(args.path)}")
        return 0
    if args.check:
        _refuse_with(args, "--check", run_options[1:6])
        from accelsim.sweep.api import check_sweep

        plan = check_sweep(args.path)
        s = plan.summary()
        skipped = sum(x["points"] for x in s["skipped"])
        print(f"sweep {plan.spec.name!r}: {s['points']:,} valid design points ({s['drawn']:,} assignments drawn, "
              f"{s['rejected_by_constraints']:,} architectures rejected by constraints, {s['duplicates']:,} "
              f"duplicates, {skipped:,} points skipped)")
        for x in s["skipped"]:
            print(f"  skipped {x['points']:,}: {x['reason']}")
        return 0
    if not args.out:
        raise AccelsimInputError("accelsim sweep SPEC needs --out DIR",
                                 hint="for example: accelsim sweep resnet50-1000 --out sweep-out")
    return run_sweep_command(args)


def run_sweep_command(args) -> int:
    """Run the sweep and print where its results are."""
    from accelsim.sweep.api import run_sweep as run
    from accelsim.sweep.store import store_path

    outcome = run(args.path, args.out, resume=args.resume, workers=args.workers, scheduler=args.scheduler,
                  quiet=args.quiet, report=not args.no_report, chunk_size=args.chunk_size)
    refused = f" ({outcome.errors:,} refused by the simulator)" if outcome.errors else ""
    if outcome.computed:
        print(f"{outcome.computed:,} points simulated{refused} in {outcome.seconds:.1f} s on {outcome.executor} "
              f"({outcome.points_per_second:.1f} points/s); {outcome.already_stored:,} were already stored; "
              f"{outcome.planned:,} in the sweep")
    else:
        print(f"all {outcome.planned:,} points of the sweep were already stored; nothing to run")
    print(f"store: {store_path(outcome.folder)}")
    if outcome.report is not None:
        print(f"report: {outcome.report}")
    return 0
