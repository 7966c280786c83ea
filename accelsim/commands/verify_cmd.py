"""``accelsim verify``: RTL against the simulator's PE model, bit for bit and cycle for cycle."""

from __future__ import annotations

from accelsim.errors import AccelsimInputError, Problem

__all__ = ["HELP", "DESCRIPTION", "add_arguments", "run_verify", "TOPS"]

#: The generated tops ``--top`` names without ``--verilog``.
TOPS = ("pe", "array")

HELP = "verify the RTL against the simulator's PE model"
DESCRIPTION = ("Drive the same stimulus into the simulator's bit-true PE/array "
               "model and the RTL; compare outputs bit for bit and cycle counts "
               "exactly. Exit 1 on any mismatch.")


def add_arguments(p) -> None:
    """Declare the ``accelsim verify`` options on parser ``p``."""
    from accelsim.numbers import int_option

    p.add_argument("--arch", "-a", required=True, metavar="A",
                   help="architecture whose PE (and array) to verify: a bundled name, a YAML file or a "
                        "SCALE-Sim .cfg")
    p.add_argument("--trials", type=int_option(1), default=100, metavar="N",
                   help="random trials: PE streams of 1-4 outputs each, or array folds (default 100; at most "
                        "the max_verify_trials limit, 1,000,000 by default)")
    p.add_argument("--seed", type=int_option(0, 2 ** 63 - 1), default=0, metavar="S",
                   help="seed of the stimulus and of the bubble/back-pressure pattern (default 0)")
    p.add_argument("--simulator", choices=("amaranth", "verilator"), default="verilator",
                   help="RTL simulator: verilator (builds the Verilog, default) or amaranth (the Amaranth "
                        "component in Amaranth's Python simulator)")
    p.add_argument("--verilog", metavar="FILE",
                   help="verify this Verilog file instead of a freshly generated one (needs --simulator "
                        "verilator)")
    p.add_argument("--top", metavar="NAME",
                   help="which top to verify: pe (default) or array, or with --verilog the name of a module "
                        "in that file")


def run_verify(args) -> int:
    """Run the verification; print ``N passed, M failed``; exit 1 on any mismatch."""
    from pathlib import Path

    from accelsim.spec import load_arch
    from accelsim.rtl.verify import verify

    from accelsim.limits import check_limit

    check_limit("max_verify_trials", args.trials, "--trials", "trials", "invalid --trials")
    if args.verilog is not None and not Path(args.verilog).is_file():
        raise AccelsimInputError(f"Verilog file {args.verilog!r} does not exist",
                                 [Problem("--verilog", args.verilog, "an existing Verilog file")])
    if args.top is not None and args.verilog is None and args.top not in TOPS:
        raise AccelsimInputError("invalid --top", [Problem("--top", args.top, "one of " + ", ".join(TOPS) + (
            " (a module name is accepted only with --verilog FILE)"))])
    if args.top is not None and not args.top.strip():
        raise AccelsimInputError("invalid --top", [Problem("--top", args.top, "pe, array or a module name")])
    arch = load_arch(args.arch)
    result = verify(arch, trials=args.trials, seed=args.seed, simulator=args.simulator,
                    verilog=args.verilog, top=args.top)
    shape = " (array generator verified at up to 4x4 cells)" if result.kind == "array" else ""
    print(f"verify {arch.name} ({result.top}){shape} on {args.simulator}: {result.cycles:,} cycles simulated "
          f"in {result.seconds:.2f} s")
    if result.first_mismatch is not None:
        mm = result.first_mismatch
        print(f"first mismatch: trial {mm.trial}, cycle {mm.cycle}, signal {mm.signal}: "
              f"expected {mm.expected}, got {mm.got}")
    print(f"{result.passed} passed, {result.failed} failed")
    return 0 if result.failed == 0 else 1
