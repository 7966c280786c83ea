"""``accelsim simulate``: per-layer cycles, utilization and energy of a workload on an arch."""

from __future__ import annotations

__all__ = ["HELP", "DESCRIPTION", "add_arguments", "run_simulate", "format_sim_table",
           "format_mapping_table"]

HELP = "simulate a (pruned) workload on an architecture"
DESCRIPTION = ("Cycle-approximate simulation of a workload on a sparse PE array: "
               "per-layer cycles, utilization, traffic and energy.")


def add_arguments(p) -> None:
    """Declare the ``accelsim simulate`` options on parser ``p``."""
    from accelsim.commands.options import add_workload_args

    add_workload_args(p)
    p.add_argument("--arch", "-a", required=True, metavar="A", help="architecture file or bundled name")
    p.add_argument("--dataflow", "-d", metavar="DF", help="ws, os or is (default: the arch's)")
    p.add_argument("--prune", metavar="SCHEME", help="pruning scheme applied first")
    p.add_argument("--format", "-f", metavar="F", help="weight format (default: the arch's native one)")
    p.add_argument("--energy-table", metavar="T", help="energy table name or YAML path (default: the arch's)")
    p.add_argument("--activation-sparsity", metavar="MODE",
                   help="model zero activations: 'measured' (layer input density) or 'assume:D' "
                        "(density D in [0,1])")
    p.add_argument("--mapping", metavar="M",
                   help="auto (the mapper picks tiles and loop order per layer) or scalesim "
                        "(SCALE-Sim's fixed order); default: the arch's (auto for YAML, scalesim "
                        "for .cfg)")
    p.add_argument("--objective", metavar="OBJ",
                   help="what the auto mapper minimises: latency, energy or edp (default: the arch's)")
    p.add_argument("--mapping-detail", action="store_true",
                   help="also print each layer's mapping (tiles, loop order, DRAM bytes per operand)")
    p.add_argument("--json", metavar="PATH",
                   help="also write the result as JSON ('-': to standard output, the table then goes "
                        "to standard error)")


def format_sim_table(result, dense=None) -> str:
    """Terminal table of a :class:`~accelsim.sim.SimResult`, with speedup against ``dense`` if given."""
    from accelsim.report import format_table, human_count
    from accelsim.report.records import LIMITER_NAMES

    dense_by_name = {l.name: l for l in dense.layers} if dense is not None else {}
    headers = ["layer", "format", "cycles", "stall", "util", "MACs eff.", "energy (uJ)"]
    if dense is not None:
        headers += ["speedup", "energy x"]
    headers += ["limited by"]
    rows = []
    for layer in result.layers:
        row = [layer.name, layer.format + ("" if layer.exploited else " (dense)"), human_count(layer.cycles),
               human_count(layer.stall_cycles), f"{100 * layer.utilization:.1f}%",
               human_count(layer.macs_effectual), f"{layer.energy_pj['total'] / 1e6:.3f}"]
        if dense is not None:
            d = dense_by_name.get(layer.name)
            row += [f"{d.cycles / layer.cycles:.2f}x" if d and layer.cycles else "-",
                    f"{layer.energy_pj['total'] / d.energy_pj['total']:.2f}" if d and d.energy_pj["total"] else "-"]
        row.append(LIMITER_NAMES.get(layer.limiter, layer.limiter))
        rows.append(row)
    t = result.total
    row = ["TOTAL", "", human_count(t.cycles), human_count(t.stall_cycles), f"{100 * t.utilization:.1f}%",
           human_count(t.macs_effectual), f"{t.energy_pj / 1e6:.3f}"]
    if dense is not None:
        row += [f"{dense.total.cycles / t.cycles:.2f}x" if t.cycles else "-",
                f"{t.energy_pj / dense.total.energy_pj:.2f}" if dense.total.energy_pj else "-"]
    row.append("")
    rows.append(row)
    return format_table(headers, rows)


def format_mapping_table(result) -> str:
    """Terminal table of each layer's mapping and its DRAM traffic against the compulsory bound."""
    from accelsim.report import format_table

    headers = ["layer", "order", "tile MxNxK", "buf", "resident", "W MB", "I MB", "O MB",
               "psum MB", "x compulsory"]
    rows = []
    for layer in result.layers:
        mp = layer.mapping
        mb = {key: value / 8e6 for key, value in mp.dram_bits.items()}
        rows.append([layer.name, mp.order, f"{mp.tile_m}x{mp.tile_n}x{mp.tile_k}",
                     "db" if mp.double_buffered else "sb", mp.resident, f"{mb['weights']:.3f}",
                     f"{mb['inputs']:.3f}", f"{mb['outputs']:.3f}", f"{mb['psum_spill']:.3f}",
                     f"{layer.compulsory_ratio:.2f}"])
    total = result.total.bytes["dram"]["total"]
    bound = sum(layer.compulsory_dram_bytes for layer in result.layers)
    rows.append(["TOTAL", "", "", "", "", "", "", "", "", f"{total / bound:.2f}" if bound else "-"])
    return format_table(headers, rows)


def _activation_sparsity(value):
    from accelsim.errors import AccelsimInputError

    if value is None or value == "measured":
        return value
    if value.startswith("assume:"):
        from accelsim.numbers import parse_float

        density = parse_float(value.split(":", 1)[1])
        if density is not None and 0.0 <= density <= 1.0:
            return value
    raise AccelsimInputError("invalid --activation-sparsity",
                             hint=f"got {value!r}; allowed: 'measured' or 'assume:D' with D in [0, 1]")


def run_simulate(args) -> int:
    """Load inputs, simulate (and a dense baseline when pruned), print, optionally write JSON."""
    import sys

    from accelsim.fileio import STDOUT, check_output_file, write_json_output
    from accelsim.sim import simulate
    from accelsim.spec import load_arch
    from accelsim.commands.options import workload_from_args

    if args.json is not None:
        check_output_file(args.json, "--json", allow_stdout=True)
    out = sys.stderr if args.json == STDOUT else sys.stdout
    arch = load_arch(args.arch)
    workload = workload_from_args(args)
    act = _activation_sparsity(args.activation_sparsity)
    kwargs = dict(dataflow=args.dataflow, seed=args.seed, energy_table=args.energy_table,
                  activation_sparsity=act, mapping=args.mapping, objective=args.objective)
    result = simulate(workload, arch, prune=args.prune, format=args.format, **kwargs)
    dense = None
    if args.prune or (result.format != "dense"):
        dense = simulate(workload, arch, prune=None, format="dense", **kwargs)
    print(f"workload {workload.name}  arch {arch.name}  dataflow {result.dataflow.upper()}  "
          f"prune {args.prune or 'none'}  format {result.format}  mapping {result.mapping}", file=out)
    print(format_sim_table(result, dense), file=out)
    if args.mapping_detail:
        print(format_mapping_table(result), file=out)
    t = result.total
    print(f"total: {t.cycles:,} cycles ({t.latency_s * 1e3:.3f} ms at {arch.clock_mhz:g} MHz), "
          f"{t.energy_pj / 1e6:.3f} uJ" + (f"; versus dense: {dense.total.cycles / t.cycles:.2f}x faster, "
                                            f"{t.energy_pj / dense.total.energy_pj:.2f}x energy"
                                            if dense is not None and t.cycles else ""), file=out)
    if args.json is not None:
        data = result.to_dict()
        if dense is not None:
            data["dense_baseline"] = {"total": dense.to_dict()["total"]}
        where = write_json_output(args.json, data)
        print(f"wrote {where}", file=out)
    return 0
