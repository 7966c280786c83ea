"""``accelsim arch FILE``: validate an architecture file and print its summary."""

from __future__ import annotations

__all__ = ["run_arch"]


def run_arch(args) -> int:
    """Load ``args.file``; print the summary (exit 0) or raise on bad input (exit 2)."""
    from accelsim.spec import load_arch

    arch = load_arch(args.file)
    print(arch.summary())
    print("valid")
    return 0
