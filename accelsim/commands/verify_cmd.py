"""``accelsim verify``: RTL against the simulator's PE model, bit for bit and cycle for cycle."""

from __future__ import annotations

from accelsim.errors import AccelsimInputError

__all__ = ["HELP", "DESCRIPTION", "add_arguments", "run_verify"]

HELP = "verify the RTL against the simulator's PE model"
DESCRIPTION = ("Drive the same stimulus into the simulator's bit-true PE/array "
               "model and the RTL; compare outputs bit for bit and cycle counts "
               "exactly. Exit 1 on any mismatch.")


def add_arguments(p) -> None:
    """Declare the ``accelsim verify`` options on parser ``p``."""
    p.add_argument("--arch", "-a", required=True, metavar="A")
    p.add_argument("--trials", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--simulator", choices=("amaranth", "verilator"), default="verilator")
    p.add_argument("--verilog", metavar="FILE", help="verify this Verilog instead of a freshly generated one")
    p.add_argument("--top", metavar="NAME", help="which top to verify (default: the PE)")


def run_verify(args) -> int:
    """Run the verification; print ``N passed, M failed``; exit 1 on any mismatch."""
    from pathlib import Path

    from accelsim.spec import load_arch
    from accelsim.rtl.verify import verify

    if args.trials < 1:
        raise AccelsimInputError("invalid --trials", hint=f"got {args.trials}; allowed: an integer >= 1")
    if args.verilog is not None and not Path(args.verilog).is_file():
        raise AccelsimInputError(f"Verilog file {args.verilog!r} does not exist")
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
