"""``accelsim encode``: per-layer sparsity and storage of a (pruned) workload in one format."""

from __future__ import annotations

import numpy as np

from accelsim.errors import AccelsimInputError

__all__ = ["HELP", "DESCRIPTION", "add_arguments", "run_encode", "encode_workload"]

HELP = "prune a workload and report per-layer storage per format"
DESCRIPTION = ("Prune a workload (optional) and encode every weight into a sparse "
               "format; print per-layer sparsity and storage (values, metadata, "
               "total) against dense.")


def add_arguments(p) -> None:
    """Declare the ``accelsim encode`` options on parser ``p``."""
    from accelsim.commands.options import add_workload_args
    from accelsim.numbers import int_option

    add_workload_args(p)
    p.add_argument("--prune", metavar="SCHEME", help="pruning scheme, e.g. unstructured:0.9, nm:2:4, "
                   "block:4x4:0.5, channel:0.5, kernel:0.5")
    p.add_argument("--format", "-f", default="csr", metavar="F",
                   help="dense, csr, csc, bsr:RxC, nm:N:M[:compact], bitmap (default csr)")
    p.add_argument("--value-bits", type=int_option(1, 64), default=8, metavar="B",
                   help="bits per stored value, 1 to 64 (default 8)")
    p.add_argument("--index-bits", type=int_option(1, 64), default=None, metavar="B",
                   help="bits per stored index, 1 to 64 (default: the minimal width)")
    p.add_argument("--json", metavar="PATH",
                   help="also write the result as JSON ('-': to standard output, the table then goes "
                        "to standard error)")


def encode_workload(workload, fmt: str, *, value_bits: int = 8, index_bits: int | None = None) -> dict:
    """Encode every weight of ``workload`` in ``fmt``; return a JSON-ready summary.

    Returns
    -------
    dict
        ``layers`` (name, matrix shape, params, sparsity, storage_bits, dense_bits) and
        ``total`` (the same summed over layers).
    """
    from accelsim.formats import encode, parse_format

    spec = parse_format(fmt)
    if not isinstance(value_bits, int) or value_bits < 1 or value_bits > 64:
        raise AccelsimInputError("invalid --value-bits", hint=f"got {value_bits!r}; allowed: an integer from 1 to 64")
    layers = []
    totals = {"values": 0, "metadata": 0, "total": 0, "dense_bits": 0, "params": 0, "zeros": 0}
    for layer in workload.layers:
        if layer.weight is None:
            continue
        weight = np.asarray(layer.weight)
        try:
            enc = encode(weight, spec.name, value_bits=value_bits, index_bits=index_bits)
        except AccelsimInputError as exc:
            raise AccelsimInputError(f"layer {layer.name!r}: {exc.summary}", exc.problems, exc.hint) from None
        bits = enc.storage_bits()
        params = int(weight.size)
        zeros = int(params - np.count_nonzero(weight))
        dense_bits = params * value_bits
        layers.append({
            "name": layer.name,
            "matrix_shape": [int(layer.groups * layer.n), int(layer.k)],
            "params": params,
            "sparsity": zeros / params,
            "storage_bits": {k: int(bits[k]) for k in ("values", "metadata", "total")},
            "dense_bits": dense_bits,
            "vs_dense": int(bits["total"]) / dense_bits,
        })
        for key in ("values", "metadata", "total"):
            totals[key] += int(bits[key])
        totals["dense_bits"] += dense_bits
        totals["params"] += params
        totals["zeros"] += zeros
    if not layers:
        raise AccelsimInputError(f"workload {workload.name!r} has no layers with weights to encode")
    total = {
        "params": totals["params"],
        "sparsity": totals["zeros"] / totals["params"],
        "storage_bits": {k: totals[k] for k in ("values", "metadata", "total")},
        "dense_bits": totals["dense_bits"],
        "vs_dense": totals["total"] / totals["dense_bits"],
    }
    return {"format": spec.name, "value_bits": value_bits, "index_bits": index_bits,
            "layers": layers, "total": total}


def format_encode_table(summary: dict) -> str:
    """Terminal table for :func:`encode_workload`'s result."""
    from accelsim.report import format_table, human_bits

    rows = []
    for item in summary["layers"]:
        b = item["storage_bits"]
        rows.append([item["name"], "x".join(map(str, item["matrix_shape"])), f"{100 * item['sparsity']:.1f}%",
                     human_bits(b["values"]), human_bits(b["metadata"]), human_bits(b["total"]),
                     human_bits(item["dense_bits"]), f"{item['vs_dense']:.3f}"])
    t = summary["total"]
    b = t["storage_bits"]
    rows.append(["TOTAL", "", f"{100 * t['sparsity']:.1f}%", human_bits(b["values"]),
                 human_bits(b["metadata"]), human_bits(b["total"]), human_bits(t["dense_bits"]),
                 f"{t['vs_dense']:.3f}"])
    return format_table(["layer", "matrix (NxK)", "sparsity", "values", "metadata", "total", "dense",
                         "total/dense"], rows)


def run_encode(args) -> int:
    """Load, prune, encode; print the table and optionally write JSON."""
    import sys

    from accelsim.fileio import STDOUT, check_output_file, write_json_output
    from accelsim.commands.options import workload_from_args

    if args.json is not None:
        check_output_file(args.json, "--json", allow_stdout=True)
    out = sys.stderr if args.json == STDOUT else sys.stdout
    workload = workload_from_args(args)
    report = None
    if args.prune is not None:
        from accelsim.prune import prune_with_report
        workload, report = prune_with_report(workload, args.prune)
    summary = encode_workload(workload, args.format, value_bits=args.value_bits, index_bits=args.index_bits)
    summary["workload"] = workload.name
    summary["prune"] = args.prune
    print(f"workload {workload.name}  format {summary['format']}  prune {args.prune or 'none'}  "
          f"value bits {args.value_bits}  index bits {args.index_bits or 'minimal'}", file=out)
    print(format_encode_table(summary), file=out)
    if args.json is not None:
        where = write_json_output(args.json, summary)
        print(f"wrote {where}", file=out)
    return 0
