"""Options shared by several subcommands (argparse declarations only)."""

from __future__ import annotations

__all__ = ["add_workload_args"]


def add_workload_args(p, required: bool = True) -> None:
    """Declare ``--workload``, ``--tokens`` and ``--seed`` on parser ``p``."""
    p.add_argument("--workload", "-w", required=required, metavar="W",
                   help="bundled name (alexnet, vgg16, resnet18, resnet50, mobilenetv2, bert-base, "
                        "tiny-cnn), a workload .yaml, a SCALE-Sim topology .csv, or a checkpoint "
                        "(.safetensors, .pt/.pth/.bin state dict)")
    p.add_argument("--tokens", type=int, default=128, metavar="T",
                   help="tokens (GEMM M) for linear layers read from a checkpoint (default 128)")
    p.add_argument("--seed", type=int, default=0, help="seed for synthetic weights and stimulus (default 0)")
