"""Options shared by several subcommands: their argparse declarations, and reading them back."""

from __future__ import annotations

import argparse
import re

__all__ = ["add_workload_args", "parse_input_shape", "workload_from_args", "MAX_SEED", "MAX_TOKENS"]

from accelsim.numbers import int_option

#: Largest ``--seed`` (NumPy's and torch's seeds take any integer up to 2**63 - 1 here).
MAX_SEED = 2 ** 63 - 1
#: Largest ``--tokens`` (the default ``max_dimension`` limit, see docs/limits.md).
MAX_TOKENS = 2 ** 31 - 1

_SHAPE = re.compile(r"^\s*[0-9]+\s*(,\s*[0-9]+\s*){1,2}$")   # ASCII digits only (not '٣' or '²')


def parse_input_shape(text: str) -> tuple:
    """argparse type of ``--input-shape``: ``"C,H,W"`` (or ``"C,L"``) -> a tuple of ints.

    Raises
    ------
    argparse.ArgumentTypeError
        Not two or three comma-separated ASCII integers >= 1 (the message shows an example).
    """
    from accelsim.errors import AccelsimInputError
    from accelsim.workload.checkpoint import check_input_shape

    allowed = "C,H,W (or C,L for Conv1d) of integers >= 1, e.g. 3,224,224"
    if not isinstance(text, str) or not _SHAPE.match(text):
        raise argparse.ArgumentTypeError(f"expected {allowed}; got {text!r}")
    try:
        return check_input_shape(tuple(int(part) for part in text.split(",")))
    except AccelsimInputError as exc:
        raise argparse.ArgumentTypeError(
            f"expected {allowed}; got {text!r} ({exc.problems[0].allowed})") from None


def add_workload_args(p, required: bool = True) -> None:
    """Declare ``--workload``, ``--tokens``, ``--seed``, ``--input-shape`` and ``--topology`` on ``p``."""
    p.add_argument("--workload", "-w", required=required, metavar="W",
                   help="bundled name (alexnet, vgg16, resnet18, resnet50, mobilenetv2, bert-base, "
                        "tiny-cnn), a workload .yaml, a SCALE-Sim topology .csv, or a checkpoint "
                        "(.safetensors, .pt/.pth/.bin state dict)")
    p.add_argument("--tokens", type=int_option(1, MAX_TOKENS), default=128, metavar="T",
                   help="tokens (GEMM M) for linear layers read from a checkpoint (default 128)")
    p.add_argument("--seed", type=int_option(0, MAX_SEED), default=0,
                   help="seed for synthetic weights and stimulus (default 0)")
    p.add_argument("--input-shape", type=parse_input_shape, default=None, metavar="C,H,W",
                   help="checkpoints with conv weights: the input of the first conv, e.g. 3,224,224 "
                        "(C,L for Conv1d); conv sizes are then assumed stride 1, 'same' padding "
                        "(see docs/workloads.md); not needed with --topology or a safetensors file "
                        "written by accelsim")
    p.add_argument("--topology", metavar="W", default=None,
                   help="checkpoints: take the exact layer shapes from this bundled name or workload "
                        ".yaml; layer NAME gets the checkpoint's tensor NAME.weight")


def workload_from_args(args):
    """Load the workload the shared options name (``--workload`` and the options above)."""
    from accelsim.workload.loaders import load_workload

    return load_workload(args.workload, tokens=args.tokens, seed=args.seed,
                         input_shape=getattr(args, "input_shape", None),
                         topology=getattr(args, "topology", None))
