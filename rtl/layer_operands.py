"""Integer operands of a real layer for RTL verification: weights (pruned, quantized) and activations.

The weights are the layer's own: a checkpoint's tensors when the workload is
a checkpoint (``.safetensors``, torch state dict), else the workload's seeded
synthetic weights. They are pruned with :func:`accelsim.prune.prune` and
quantized by :func:`accelsim.sim.functional.layer_output` (per tensor,
symmetric). Activations are *realistic* rather than uniform: a seeded
zero-mean Gaussian input tensor (what a layer sees after normalisation, so
signed), quantized per tensor to ``activation_bits`` with
:func:`accelsim.sim.quantize.quantize_symmetric`, then lowered to im2col rows
for a convolution. The expected output is the simulator's functional output
(:func:`accelsim.sim.functional.layer_output`) on exactly these operands.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from accelsim.errors import AccelsimInputError, Problem

__all__ = ["LayerOperands", "layer_operands", "check_prune_for_pe", "default_prune",
           "realistic_activations", "im2col"]

_CHECKPOINT_SUFFIXES = (".safetensors", ".pt", ".pth", ".bin")


@dataclass(frozen=True, eq=False)
class LayerOperands:
    """Integer operands and the functional output of one layer.

    Attributes
    ----------
    layer : str
    weight : ndarray (groups * N, K) int64
        Pruned, quantized weight (one row per output channel).
    activations : ndarray (groups, M, K) int64
    output : ndarray (M, groups * N) int64
        The simulator's functional output (wrapped to ``accumulator_bits``).
    groups : int
    prune : str or None
        Canonical pruning scheme applied (None: the weights as loaded).
    weight_source : str
        ``"checkpoint <file>"`` or ``"synthetic (seeded) weights of <workload>"``.
    """

    layer: str
    weight: np.ndarray
    activations: np.ndarray
    output: np.ndarray
    groups: int
    prune: str | None
    weight_source: str


def im2col(x: np.ndarray, conv) -> np.ndarray:
    """Lower a ``(batch * C, H, W)`` or ``(C, H, W)`` input to im2col rows ``(groups, M, K)``.

    ``M`` runs over (batch, output row, output column) and ``K`` over
    (channel in group, kernel row, kernel column), matching
    :meth:`accelsim.workload.Layer.weight_matrix` of a ``(K, C/groups, R, S)`` weight.
    """
    c, kh, kw = conv.in_channels, conv.kernel_h, conv.kernel_w
    x = np.asarray(x).reshape(conv.batch, c, conv.in_h, conv.in_w)
    xp = np.pad(x, ((0, 0), (0, 0), (conv.pad_h, conv.pad_h), (conv.pad_w, conv.pad_w)))
    oh, ow = conv.out_h, conv.out_w
    dh, dw = conv.dilation_h, conv.dilation_w
    cols = np.empty((conv.batch, oh, ow, c, kh, kw), dtype=x.dtype)
    for r in range(kh):
        for s in range(kw):
            y0, x0 = r * dh, s * dw
            cols[:, :, :, :, r, s] = xp[:, :, y0:y0 + conv.stride_h * (oh - 1) + 1:conv.stride_h,
                                        x0:x0 + conv.stride_w * (ow - 1) + 1:conv.stride_w
                                        ].transpose(0, 2, 3, 1)
    g = conv.groups
    cg = c // g
    cols = cols.reshape(conv.batch * oh * ow, g, cg * kh * kw)
    return np.ascontiguousarray(cols.transpose(1, 0, 2))


def realistic_activations(layer, bits: int, seed: int = 0) -> np.ndarray:
    """Seeded zero-mean Gaussian input, quantized per tensor to signed ``bits`` -> ``(groups, M, K)``."""
    from accelsim.sim.quantize import quantize_symmetric

    rng = np.random.default_rng(seed)
    if layer.conv is not None:
        conv = layer.conv
        x = rng.standard_normal((conv.batch * conv.in_channels, conv.in_h, conv.in_w))
        q, _ = quantize_symmetric(x, bits)
        return im2col(q, conv)
    x = rng.standard_normal((int(layer.groups), int(layer.m), int(layer.k)))
    q, _ = quantize_symmetric(x, bits)
    return q


def default_prune(arch) -> str | None:
    """Pruning applied when none is asked for: ``nm:N:M`` for an N:M PE (it needs it), else none."""
    s = arch.sparsity
    return f"nm:{s.n}:{s.m}" if s.kind == "nm" else None


def check_prune_for_pe(arch, scheme):
    """Parse ``scheme`` and check that the arch's PE can run weights pruned with it.

    A dense or unstructured PE runs any elementwise pattern; an N:M PE needs
    ``nm:K:M`` with its ``M`` and ``K <= N``; a block PE needs ``block:RxC:S``
    with its own block shape. Shrinking channel pruning changes the layer's
    shape and is refused.

    Raises
    ------
    AccelsimInputError
        Naming the scheme, the PE and what is allowed.
    """
    from accelsim.prune.scheme import BlockScheme, NMScheme, parse_scheme

    parsed = parse_scheme(scheme)
    s = arch.sparsity
    allowed = None
    if getattr(parsed, "shrink", False):
        allowed = "a scheme that keeps the layer's shape (channel pruning without :shrink)"
    elif s.kind == "nm":
        if not (isinstance(parsed, NMScheme) and parsed.m == s.m and parsed.n <= s.n):
            allowed = f"nm:K:{s.m} with K <= {s.n} (the {s.n}:{s.m} PE of {arch.name})"
    elif s.kind == "block":
        ok = isinstance(parsed, BlockScheme) and \
            (parsed.rows, parsed.cols) == (s.block_rows, s.block_cols)
        if not ok:
            allowed = (f"block:{s.block_rows}x{s.block_cols}:S (the {s.block_rows}x{s.block_cols} "
                       f"block PE of {arch.name})")
    if allowed:
        raise AccelsimInputError(f"pruning {parsed.name!r} does not fit the {s.kind} PE of {arch.name}",
                                 [Problem("prune", parsed.name, allowed)])
    return parsed


def _weight_source(workload) -> str:
    src = str(getattr(workload, "source", "") or "")
    if src.lower().endswith(_CHECKPOINT_SUFFIXES):
        return f"checkpoint {Path(src).name}"
    return f"synthetic (seeded) weights of {workload.name}"


def layer_operands(arch, workload, layer: str, *, prune=None, seed: int = 0) -> LayerOperands:
    """Operands and functional output of ``workload[layer]`` on ``arch``.

    Parameters
    ----------
    arch : ArchSpec
    workload : Workload, or a name/path for :func:`accelsim.workload.loaders.load_workload`
    layer : str
        Layer name; it must have a weight (conv or linear).
    prune : str, optional
        Pruning scheme (default :func:`default_prune`); checked with
        :func:`check_prune_for_pe`.
    seed : int
        Seeds the activations (and synthetic weights of a named workload).

    Raises
    ------
    AccelsimInputError
        Unknown layer, layer without weights, or a scheme the PE cannot run.
    """
    from accelsim.prune import prune as prune_fn
    from accelsim.sim.functional import layer_output
    from accelsim.workload.layer import Workload

    if not isinstance(workload, Workload):
        from accelsim.workload.loaders import load_workload
        workload = load_workload(workload, seed=seed)
    names = [lay.name for lay in workload.layers]
    if layer not in names:
        shown = ", ".join(names[:12]) + (f", ... ({len(names)} layers)" if len(names) > 12 else "")
        raise AccelsimInputError(f"unknown layer {layer!r} in workload {workload.name!r}",
                                 [Problem("layer", layer, f"a layer of the workload: {shown}")])
    lay = workload[layer]
    if lay.weight is None:
        raise AccelsimInputError(f"layer {layer!r} has no weights (a {lay.kind} of two activations)",
                                 [Problem("layer", layer, "a conv or linear layer")])
    scheme = prune if prune is not None else default_prune(arch)
    name = None
    if scheme is not None:
        parsed = check_prune_for_pe(arch, scheme)
        lay = prune_fn(lay, parsed)
        name = parsed.name
    acts = realistic_activations(lay, arch.precision.activation_bits, seed)
    out = layer_output(lay, arch, activations=acts)
    return LayerOperands(layer, np.asarray(out.weight), np.asarray(out.activations),
                         np.asarray(out.output), int(lay.groups), name, _weight_source(workload))
