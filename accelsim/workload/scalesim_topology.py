"""Read SCALE-Sim topology CSV files (conv form and GEMM ``M, N, K`` form).

Conventions follow SCALE-Sim v2 (``scalesim/topology_utils.py``):

* Conv form, header ``Layer name, IFMAP Height, IFMAP Width, Filter Height,
  Filter Width, Channels, Num Filter, Strides,`` -- one ``Strides`` column
  (used for both axes) or two (``Stride height, Stride width``). There is no
  padding column: SCALE-Sim's IFMAP sizes already include any padding. Its
  output size is ``ceil((ifmap - filter + stride) / stride)`` =
  ``ceil((ifmap - filter) / stride) + 1`` (``topology_utils.py``), one more
  than PyTorch's floor rule when the stride does not divide ``ifmap - filter``
  (SCALE-Sim's last window overhangs the map). To reproduce SCALE-Sim's
  output size (and so its cycle counts) we set ``padding = 0`` and use the
  IFMAP extent those windows cover, ``(out - 1) * stride + filter``.
  A layer whose name contains ``DP`` is depthwise (SCALE-Sim runs it as one
  single-channel layer per input channel); we build one grouped conv with
  ``groups = Channels`` and ``Channels * Num Filter`` output channels.
* GEMM form, header ``Layer, M, N, K,``. SCALE-Sim maps a row to a conv with
  ``IFMAP = M x K``, ``Filter = 1 x K``, ``Channels = 1``, ``Num Filter = N``:
  M output rows, ``K`` the reduction (window size) and N output columns. That
  is exactly our ``(M, K, N)``; note the column order in the file is M, N, K.
  Each row becomes a linear layer (``in_features = K``, ``out_features = N``,
  ``tokens = M``).
* An optional trailing ``Sparsity`` column (``N:M``) is checked but not
  applied (a warning says so); prune with accelsim's pruning step instead.

Lenient where SCALE-Sim is sloppy: trailing commas optional, spaces and tabs
around fields ignored, blank lines skipped, ``#`` starts a comment, repeated
layer names get ``#2``, ``#3``... appended.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from accelsim.errors import AccelsimInputError, ProblemCollector
from accelsim.limits import check_limit, current as current_limits, limit_problem
from accelsim.numbers import parse_int
from accelsim.workload.layer import Layer, Workload, conv_layer, linear_layer

__all__ = ["parse_scalesim_topology", "read_scalesim_topology", "CONV_HEADER", "GEMM_HEADER"]

CONV_HEADER = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
               "Num Filter, Strides,")
GEMM_HEADER = "Layer, M, N, K,"
_HINT = ("a SCALE-Sim topology CSV starts with one of these headers:\n"
         f"  conv form: {CONV_HEADER}\n"
         f"  GEMM form: {GEMM_HEADER}\n"
         "(see docs/workloads.md)")
_CONV_COLS = ("IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width", "Channels",
              "Num Filter")


def _fields(line: str) -> list[str]:
    line = line.split("#", 1)[0]
    cells = [c.strip() for c in line.split(",")]
    while cells and cells[-1] == "":
        cells.pop()
    return cells


def _key(cell: str) -> str:
    return re.sub(r"[\s_]", "", cell.lower())


def _int(problems: ProblemCollector, where: str, text: str, minimum: int = 1) -> int | None:
    value = parse_int(text)
    top = current_limits().max_dimension
    if value is None or value < minimum:
        problems.add(where, text if len(text) <= 40 else text[:37] + "...", f"an integer >= {minimum}")
        return None
    if value > top:
        problems.problems.append(limit_problem("max_dimension", where, value, "per layer dimension"))
        return None
    return value


def _sparsity(problems: ProblemCollector, where: str, text: str) -> bool:
    """Check an ``N:M`` sparsity cell; True if it asks for sparsity."""
    if text == "" or text.lower() == "dense":
        return False
    match = re.fullmatch(r"([0-9]{1,9})\s*:\s*([0-9]{1,9})", text)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        problems.add(where, text, "N:M with 1 <= N <= M (e.g. 2:4), or empty")
        return False
    return int(match[1]) < int(match[2])


def parse_scalesim_topology(text: str, *, origin: str, batch: int = 1) -> Workload:
    """Parse the text of a SCALE-Sim topology CSV into a shape-only workload.

    Parameters
    ----------
    text : str
        File contents.
    origin : str
        File name for messages; its stem is the workload name.
    batch : int
        Multiplies M of every layer (SCALE-Sim itself has no batch).

    Raises
    ------
    AccelsimInputError
        Unknown header, wrong number of fields, non-integer or out-of-range
        values, filters larger than the IFMAP -- every problem at once.
    """
    summary = f"invalid SCALE-Sim topology {origin}"
    rows = [(i + 1, _fields(line)) for i, line in enumerate(text.splitlines())]
    rows = [(n, cells) for n, cells in rows if cells]
    if not rows:
        raise AccelsimInputError(summary, [], "the file has no header and no layers.\n" + _HINT)
    header_line, header = rows[0]
    keys = [_key(c) for c in header]
    sparsity_col = next((i for i, k in enumerate(keys) if "sparsity" in k), None)
    width = len(header)
    numeric = keys[1:sparsity_col] if sparsity_col is not None else keys[1:]
    if numeric[:3] == ["m", "n", "k"] and len(numeric) == 3:
        form = "gemm"
    elif len(numeric) in (7, 8) and "ifmap" in numeric[0] and "stride" in numeric[6]:
        form = "conv"
    else:
        raise AccelsimInputError(
            summary, [], f"line {header_line}: unrecognised header {', '.join(header)!r}.\n" + _HINT)
    if len(rows) == 1:
        raise AccelsimInputError(summary, [], "the file has a header but no layers.\n" + _HINT)
    check_limit("max_layers", len(rows) - 1, "layers", "layers per workload (one per row)",
                f"{summary}: too many rows")
    problems = ProblemCollector()
    layers: list[Layer] = []
    seen: dict[str, int] = {}
    sparse_rows = 0
    for line_no, cells in rows[1:]:
        label = cells[0] or f"line{line_no}"
        where = f"line {line_no} ({label})"
        if len(cells) != width:
            problems.add(where, ",".join(cells), f"{width} fields like the header ({', '.join(header)})")
            continue
        if sparsity_col is not None and _sparsity(problems, f"{where}.{header[sparsity_col]}",
                                                  cells[sparsity_col]):
            sparse_rows += 1
        values = [_int(problems, f"{where}.{header[i]}", cells[i]) for i in range(1, 1 + len(numeric))]
        if any(v is None for v in values):
            continue
        seen[label] = seen.get(label, 0) + 1
        name = label if seen[label] == 1 else f"{label}#{seen[label]}"
        try:
            if form == "gemm":
                m, n, k = values
                layers.append(linear_layer(name, in_features=k, out_features=n, tokens=m * batch))
                continue
            ih, iw, fh, fw, ch, nf, sh = values[:7]
            sw = values[7] if len(values) == 8 else sh
            if fh > ih or fw > iw:
                problems.add(f"{where}.Filter Height/Width", f"{fh}x{fw}",
                             f"a filter no larger than the IFMAP {ih}x{iw} (SCALE-Sim does not pad)")
                continue
            depthwise = "DP" in label
            out_h = -(-(ih - fh) // sh) + 1
            out_w = -(-(iw - fw) // sw) + 1
            layers.append(conv_layer(
                name, in_channels=ch, in_h=(out_h - 1) * sh + fh, in_w=(out_w - 1) * sw + fw, out_channels=ch * nf if depthwise else nf,
                kernel=(fh, fw), stride=(sh, sw), padding=0, groups=ch if depthwise else 1,
                batch=batch))
        except AccelsimInputError as exc:
            for p in exc.problems:
                problems.add(f"{where}.{p.field.rsplit('.', 1)[-1]}", p.value, p.allowed)
            if not exc.problems:
                problems.add(where, ",".join(cells), exc.hint or exc.summary)
    problems.raise_if_any(summary, _HINT)
    if sparse_rows:
        warnings.warn(f"{origin}: the Sparsity column of {sparse_rows} row(s) is not applied; "
                      "prune the workload with accelsim's pruning step instead", stacklevel=3)
    stem = Path(origin).stem or "scalesim"
    return Workload(name=stem, layers=tuple(layers), source=origin)


def read_scalesim_topology(path, *, batch: int = 1) -> Workload:
    """Read a SCALE-Sim topology CSV file (see :func:`parse_scalesim_topology`)."""
    from accelsim.yamlio import read_text_file

    path = Path(path)
    text = read_text_file(path, "SCALE-Sim topology", encoding="utf-8-sig")
    return parse_scalesim_topology(text, origin=str(path), batch=batch)
