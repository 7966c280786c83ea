"""``accelsim verify``: RTL against the simulator's PE/array model, bit for bit and cycle for cycle."""

from __future__ import annotations

from accelsim.errors import AccelsimInputError, Problem

__all__ = ["HELP", "DESCRIPTION", "add_arguments", "run_verify", "TOPS"]

#: The generated tops ``--top`` names without ``--verilog``.
TOPS = ("pe", "array")

HELP = "verify the RTL against the simulator's PE model"
DESCRIPTION = ("Drive the same stimulus into the simulator's bit-true PE/array "
               "model and the RTL; compare outputs bit for bit and cycle counts "
               "exactly. Without --workload the stimulus is seeded random streams; "
               "with --workload and --layer it is a real layer's pruned weights and "
               "realistic int8 activations (--whole-layer: every fold, checked "
               "against the simulator's functional output). Exit 1 on any mismatch.")


def add_arguments(p) -> None:
    """Declare the ``accelsim verify`` options on parser ``p``."""
    from accelsim.commands.options import add_workload_args
    from accelsim.numbers import int_option

    p.add_argument("--arch", "-a", required=True, metavar="A",
                   help="architecture whose PE (and array) to verify: a bundled name, a YAML file or a "
                        "SCALE-Sim .cfg")
    p.add_argument("--trials", type=int_option(1), default=100, metavar="N",
                   help="random trials without --workload: PE streams of 1-4 outputs each, or array folds "
                        "(default 100; at most the max_verify_trials limit, 1,000,000 by default)")
    p.add_argument("--simulator", choices=("amaranth", "verilator"), default="verilator",
                   help="RTL simulator: verilator (builds the Verilog, default) or amaranth (the Amaranth "
                        "component in Amaranth's Python simulator)")
    p.add_argument("--verilog", metavar="FILE",
                   help="verify this Verilog file instead of a freshly generated one (needs --simulator "
                        "verilator)")
    p.add_argument("--top", metavar="NAME",
                   help="which top to verify: pe (default) or array (the default with --shape or "
                        "--workload), or with --verilog the name of a module in that file")
    add_workload_args(p, required=False)
    p.add_argument("--layer", "-l", metavar="L", help="layer of --workload to verify on")
    p.add_argument("--prune", metavar="P", help="pruning scheme for the layer's weights, e.g. nm:2:4, "
                   "unstructured:0.8, block:4x4:0.5 (default: nm:N:M on an N:M PE, else none)")
    p.add_argument("--shape", metavar="full|RxC",
                   help="array cells to verify: 'full' (the arch's size) or RxC (default 4x4 or smaller)")
    p.add_argument("--whole-layer", action="store_true",
                   help="run every fold of the layer (Verilator) and check the assembled output "
                        "against the simulator's functional output")


def _check(args) -> None:
    layer_opts = [name for name, on in (("--layer", args.layer), ("--prune", args.prune),
                                        ("--whole-layer", args.whole_layer)) if on]
    if args.workload is None and layer_opts:
        verb = "needs" if len(layer_opts) == 1 else "need"
        raise AccelsimInputError(f"{', '.join(layer_opts)} {verb} --workload", [
            Problem("workload", None, "a workload with the layer, e.g. --workload resnet18")])
    if args.workload is not None:
        if not args.layer:
            raise AccelsimInputError("--workload needs --layer", [
                Problem("layer", None, "a conv or linear layer of the workload, e.g. layer1.0.conv1")])
        if args.top is not None:
            raise AccelsimInputError("layer verification checks the array top (or the PE of a "
                                     "PE-only arch)", [Problem("top", args.top, "not given with --workload")])
        if args.verilog is not None and not args.whole_layer:
            raise AccelsimInputError("a Verilog file is verified on a real layer with --whole-layer", [
                Problem("verilog", args.verilog, "given together with --whole-layer")])
    if args.trials < 1:
        raise AccelsimInputError("invalid --trials", [Problem("trials", args.trials, "an integer >= 1")])
    from accelsim.limits import check_limit

    check_limit("max_verify_trials", args.trials, "--trials", "trials", "invalid --trials")
    if args.top is not None and (not args.top.strip() or (args.verilog is None and args.top not in TOPS)):
        raise AccelsimInputError("invalid --top", [Problem("--top", args.top, "one of " + ", ".join(TOPS) + (
            " (a module name is accepted only with --verilog FILE)"))])


def _run_random(args, arch) -> int:
    from pathlib import Path

    from accelsim.rtl.layer_verify import parse_shape
    from accelsim.rtl.verify import verify

    if args.verilog is not None and not Path(args.verilog).is_file():
        raise AccelsimInputError(f"Verilog file {args.verilog!r} does not exist",
                                 [Problem("--verilog", args.verilog, "an existing Verilog file")])
    shape = top = None
    top = args.top
    if args.shape is not None:
        shape = parse_shape(args.shape, arch)
        top = top or "array"
    result = verify(arch, trials=args.trials, seed=args.seed, simulator=args.simulator,
                    verilog=args.verilog, top=top, array_shape=shape)
    what = (f"{result.array_shape[0]}x{result.array_shape[1]}-cell array"
            if result.array_shape else "PE")
    kinds = ("full-width directed trials first, then random" if args.simulator == "verilator"
             else "random")
    print(f"verify {arch.name} ({result.top}, {what}) on {args.simulator}: {result.trials} trials "
          f"({kinds}), {result.cycles:,} cycles simulated in {result.seconds:.2f} s")
    if result.first_mismatch is not None:
        mm = result.first_mismatch
        print(f"first mismatch: trial {mm.trial}, cycle {mm.cycle}, signal {mm.signal}: "
              f"expected {mm.expected}, got {mm.got}")
    print(f"{result.passed} passed, {result.failed} failed")
    return 0 if result.failed == 0 else 1


def run_verify(args) -> int:
    """Run the verification; print what was verified; exit 1 on any mismatch."""
    from accelsim.spec import load_arch

    _check(args)
    arch = load_arch(args.arch)
    if args.workload is None:
        return _run_random(args, arch)
    from accelsim.commands.options import workload_from_args
    from accelsim.rtl.layer_verify import parse_shape, verify_layer

    from accelsim.sim.pe_model import ARRAY_KINDS
    if args.shape is not None and arch.sparsity.kind in ARRAY_KINDS:
        parse_shape(args.shape, arch)           # bad shapes fail before the workload loads
    workload = workload_from_args(args)
    result = verify_layer(arch, workload, args.layer, prune=args.prune, shape=args.shape,
                          whole_layer=args.whole_layer, seed=args.seed, simulator=args.simulator,
                          verilog=args.verilog)
    print(result.summary())
    return 0 if result.ok else 1
