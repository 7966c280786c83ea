"""Command-line interface: parses arguments and calls :mod:`accelsim.commands`.

Exit codes: 0 success, 1 a verification or run that completed with failures,
2 bad input (message on stderr, no traceback), 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


class _Parser(argparse.ArgumentParser):
    """ArgumentParser that reports errors as one paragraph and exits with status 2."""

    def error(self, message):  # noqa: D401 - argparse API
        self.print_usage(sys.stderr)
        sys.stderr.write(f"accelsim: error: {message}\n")
        sys.exit(EXIT_BAD_INPUT)


#: Subcommands in the order ``accelsim --help`` lists them. Each is the module
#: ``accelsim.commands.<name>_cmd`` with ``HELP``, ``DESCRIPTION``,
#: ``add_arguments(parser)`` and ``run_<name>(args)``; the modules import their
#: heavy dependencies inside ``run_<name>``, so building the parser stays fast.
COMMANDS = ("arch", "encode", "simulate", "compare", "rtl", "verify", "demo")


def build_parser() -> argparse.ArgumentParser:
    """Build the ``accelsim`` argument parser."""
    parser = _Parser(prog="accelsim",
                     description="Prune, encode, simulate and generate verified RTL for sparse "
                                 "neural-network accelerators.")
    from accelsim import __version__
    parser.add_argument("--version", action="version", version=f"accelsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        module = importlib.import_module(f"accelsim.commands.{name}_cmd")
        p = sub.add_parser(name, help=module.HELP, description=module.DESCRIPTION)
        module.add_arguments(p)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``accelsim`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    from accelsim.errors import AccelsimInputError
    try:
        module = importlib.import_module(f"accelsim.commands.{args.command}_cmd")
        return int(getattr(module, f"run_{args.command}")(args) or 0)
    except AccelsimInputError as exc:
        sys.stderr.write(f"accelsim {args.command}: {exc}\n")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        sys.stderr.write("accelsim: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # an internal error: say so plainly, no traceback by default
        if os.environ.get("ACCELSIM_DEBUG"):
            raise
        sys.stderr.write(f"accelsim {args.command}: internal error: {type(exc).__name__}: {exc}\n"
                         "This is a bug in accelsim; rerun with ACCELSIM_DEBUG=1 for a traceback.\n")
        return EXIT_FAILED
