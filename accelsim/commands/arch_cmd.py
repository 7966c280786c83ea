"""``accelsim arch FILE``: validate an architecture file and print its summary."""

from __future__ import annotations

__all__ = ["HELP", "DESCRIPTION", "add_arguments", "run_arch"]

HELP = "validate an architecture file and print its summary"
DESCRIPTION = ("Validate an architecture file (YAML or SCALE-Sim .cfg) and print "
               "its summary. Exit 0 if valid, 2 otherwise.")


def add_arguments(p) -> None:
    """Declare the ``accelsim arch`` options on parser ``p``."""
    p.add_argument("file", metavar="FILE", help="architecture file or bundled name")


def run_arch(args) -> int:
    """Load ``args.file``; print the summary (exit 0) or raise on bad input (exit 2)."""
    from accelsim.spec import load_arch

    arch = load_arch(args.file)
    print(arch.summary())
    print("valid")
    return 0
