"""Command-line interface: parses arguments and calls :mod:`accelsim.commands`.

Exit codes: 0 success, 1 a verification or run that completed with failures,
2 bad input (message on stderr, no traceback), 130 interrupted (SIGINT),
128 + N terminated by signal N (SIGTERM 143, SIGHUP 129).
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import re
import signal
import sys
import warnings

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
COMMANDS = ("arch", "encode", "simulate", "compare", "sweep", "copruning", "rtl", "verify", "demo")


#: Destinations of options (and positionals) that name files or folders: checked for names the
#: file system cannot hold before a command starts (see :func:`_check_path_lengths`).
PATH_OPTIONS = ("file", "path", "workload", "arch", "topology", "energy_table", "json", "out", "export",
                "verilog")


def _option_names(p) -> dict:
    names = {}
    for action in p._actions:  # argparse keeps no public list of a parser's options
        if action.dest in PATH_OPTIONS:
            names[action.dest] = action.option_strings[0] if action.option_strings else (action.metavar
                                                                                           or action.dest)
    return names


def _name_max() -> int:
    try:
        return int(os.pathconf("/", "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return 255


def _check_path_lengths(args, names: dict) -> None:
    """Refuse a path option with a name longer than the file system allows (ENAMETOOLONG), naming it."""
    from accelsim.errors import AccelsimInputError, Problem

    name_max, path_max = _name_max(), 4096
    problems = []
    for dest, option in names.items():
        values = getattr(args, dest, None)
        for value in values if isinstance(values, list) else [values]:
            if not isinstance(value, str):
                continue
            raw = os.fsencode(value)
            longest = max((len(part) for part in raw.split(b"/")), default=0)
            if longest > name_max or len(raw) > path_max:
                shown = value if len(value) <= 60 else f"{value[:40]}...({len(value)} characters)"
                problems.append(Problem(option, shown, f"a path whose names are at most {name_max} bytes "
                                                       f"each and {path_max} bytes in all (the file "
                                                       f"system's limits); the longest name here has "
                                                       f"{longest} bytes"))
    if problems:
        raise AccelsimInputError("file name too long", problems)


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
        p.set_defaults(_path_options=_option_names(p))
    return parser


class Terminated(KeyboardInterrupt):
    """Raised in the main thread on SIGTERM or SIGHUP, so ``finally`` blocks and the atomic
    writers clean up their temporaries exactly as on Ctrl-C."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _raise_terminated(signum, frame):  # noqa: ARG001 - signal handler signature
    raise Terminated(signum)


def _install_signal_handlers() -> None:
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) in (signal.SIG_DFL, None):
            signal.signal(sig, _raise_terminated)


_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f]")


def _clean(text: str) -> str:
    """A message fit for a terminal: ANSI escape sequences and control characters removed."""
    return _CONTROL.sub("", str(text))


def _show_warning(message, category, filename, lineno, file=None, line=None):  # noqa: ARG001
    """Warnings as one line each (no source line, no file position)."""
    stream = file if file is not None else sys.stderr
    try:
        stream.write(f"accelsim: warning: {_clean(message)}\n")
    except (OSError, ValueError):
        pass


#: OSError numbers that mean the user named a path that cannot be used (exit 2).
_PATH_ERRNOS = {errno.ENAMETOOLONG, errno.ENOENT, errno.EACCES, errno.EISDIR, errno.ENOTDIR,
                errno.EROFS, errno.ELOOP, errno.EPERM, errno.EEXIST, errno.ENXIO, errno.ENODEV}


def main(argv=None) -> int:
    """Entry point of the ``accelsim`` console script."""
    warnings.showwarning = _show_warning
    _install_signal_handlers()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    from accelsim.errors import AccelsimInputError
    try:
        _check_path_lengths(args, getattr(args, "_path_options", {}))
        module = importlib.import_module(f"accelsim.commands.{args.command}_cmd")
        return int(getattr(module, f"run_{args.command}")(args) or 0)
    except AccelsimInputError as exc:
        sys.stderr.write(f"accelsim {args.command}: {_clean(exc)}\n")
        return EXIT_BAD_INPUT
    except Terminated as exc:
        sys.stderr.write(f"accelsim: terminated by signal {exc.signum}\n")
        return 128 + exc.signum
    except KeyboardInterrupt:
        sys.stderr.write("accelsim: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:
        if os.environ.get("ACCELSIM_DEBUG"):
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        sys.stderr.write(f"accelsim {args.command}: {_clean(where)}{_clean(exc.strerror or exc)}\n")
        return EXIT_BAD_INPUT if exc.errno in _PATH_ERRNOS else EXIT_FAILED
    except Exception as exc:  # an internal error: say so plainly, no traceback by default
        if os.environ.get("ACCELSIM_DEBUG"):
            raise
        sys.stderr.write(f"accelsim {args.command}: internal error: {type(exc).__name__}: {_clean(exc)}\n"
                         "This is a bug in accelsim; rerun with ACCELSIM_DEBUG=1 for a traceback.\n")
        return EXIT_FAILED
