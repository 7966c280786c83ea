"""Per-layer pruning candidates that an architecture's PE can exploit, and their masks.

A *candidate* is a pruning scheme string for one layer (``"dense"`` keeps the
layer unpruned). Which families and levels are offered depends on the PE
(``arch.sparsity.kind``), because a pattern the PE cannot skip costs accuracy
and saves nothing:

==============  ===============================================================
PE              candidates per layer (besides ``dense``)
==============  ===============================================================
unstructured    every family: ``unstructured:S``; N:M variants ``3:4 2:4 1:4
                2:8 1:8``; ``channel:S`` (not on the output layer);
                ``kernel:S`` (convs with more than one tap); ``block:4x4:S``
                (S = 0.5, 0.75, 0.9).
                The PE skips every zero weight, so each family is exploited;
                the simulator then tells them apart (load balance, metadata).
N:M (n, m)      ``nm:n:m``: the PE stores n of every m weights whatever they
                are, so sparser patterns save nothing and other families run
                dense.
block (R x C)   ``block:BxD:S`` for block shapes that are unions of the PE's
                ``R x C`` block: ``RxC``, ``Rx2C``, ``2RxC``, ``2Rx2C`` (a
                zero block of any of them is all-zero PE blocks).
dense           none: such an arch cannot profit from weight pruning.
==============  ===============================================================

Masks are computed by :mod:`accelsim.prune`'s numpy functions, always from
the same (dense reference) weights, so a candidate's mask, and so its
simulated cost, is a function of (layer, scheme) alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.prune.arrays import check_weight, matrix_shape
from accelsim.prune.block import block_fits
from accelsim.prune.masks import keep_mask
from accelsim.prune.scheme import BlockScheme, parse_scheme

__all__ = ["DENSE", "SPARSITY_LEVELS", "NM_VARIANTS", "LayerInfo", "supports_weight_sparsity",
           "layer_candidates", "candidate_mask", "candidate_family", "format_choices", "plan_key"]

#: The candidate that leaves a layer unpruned.
DENSE = "dense"

#: Target sparsities offered for the families with a free level.
SPARSITY_LEVELS = (0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)

#: Levels of the block family on an unstructured PE (zero blocks are no cheaper there than zero
#: weights, so fewer levels are worth a sensitivity evaluation).
_COARSE_LEVELS = (0.5, 0.75, 0.9)

#: N:M patterns offered on an unstructured (zero-skipping) PE.
NM_VARIANTS = ((3, 4), (2, 4), (1, 4), (2, 8), (1, 8))

#: Channel pruning keeps at least this fraction of a layer's outputs.
_MAX_CHANNEL_SPARSITY = 0.75


@dataclass(frozen=True)
class LayerInfo:
    """What the candidate menu needs to know about one prunable layer.

    Attributes
    ----------
    name : str
        Layer (module) name.
    kind : {"conv", "linear"}
    weight_shape : tuple of int
        PyTorch layout, output channels first.
    is_output : bool
        True for the last prunable layer of the model (its rows are the
        model's outputs: channel pruning would delete outputs).
    """

    name: str
    kind: str
    weight_shape: tuple
    is_output: bool = False

    @property
    def matrix_shape(self) -> tuple[int, int]:
        """``(output channels, reduction)`` of the weight matrix."""
        return matrix_shape(self.weight_shape)

    @property
    def taps(self) -> int:
        """Kernel taps per input channel (1 for linear layers and 1x1 convs)."""
        return int(np.prod(self.weight_shape[2:], dtype=np.int64)) if len(self.weight_shape) > 2 else 1


def supports_weight_sparsity(arch) -> bool:
    """True if the PE of ``arch`` skips some zero weights (its kind is not ``dense``)."""
    return arch.sparsity.kind != "dense"


def _level(s: float) -> str:
    return np.format_float_positional(s, trim="-")


def _tap_level(k: int, taps: int) -> str:
    """S to 3 (or 4) places with ``round(S * taps) == k``: ``kernel:0.333`` prunes 3 of 9 taps."""
    for digits in range(3, 5):
        s = round(k / taps, digits)
        if round(s * taps) == k and 0 < s < 1:
            return _level(s)
    return _level(k / taps)


def _block(rows: int, cols: int, s: float, shape) -> str:
    pad = "" if block_fits(shape, rows, cols) else ":pad"
    return f"block:{rows}x{cols}:{_level(s)}{pad}"


def layer_candidates(arch, layer: LayerInfo) -> tuple[str, ...]:
    """Scheme strings the PE of ``arch`` can exploit on ``layer``, ``DENSE`` first.

    Parameters
    ----------
    arch : accelsim.spec.ArchSpec
    layer : LayerInfo

    Returns
    -------
    tuple of str
        Canonical scheme strings (``parse_scheme(s).name == s``), no duplicates.
    """
    sp = arch.sparsity
    rows, red = layer.matrix_shape
    out = [DENSE]
    if sp.kind == "nm":
        out.append(f"nm:{sp.n}:{sp.m}")
    elif sp.kind == "unstructured":
        out += [f"unstructured:{_level(s)}" for s in SPARSITY_LEVELS]
        out += [f"nm:{n}:{m}" for n, m in NM_VARIANTS if m <= max(red, 2)]
        if not layer.is_output and rows > 1:
            out += [f"channel:{_level(s)}" for s in SPARSITY_LEVELS if s <= _MAX_CHANNEL_SPARSITY]
        if layer.kind == "conv" and layer.taps > 1:
            out += [f"kernel:{_tap_level(k, layer.taps)}" for k in range(1, layer.taps)]
        out += [_block(4, 4, s, (rows, red)) for s in _COARSE_LEVELS]
    elif sp.kind == "block":
        r, c = sp.block_rows, sp.block_cols
        for br, bc in ((r, c), (r, 2 * c), (2 * r, c), (2 * r, 2 * c)):
            if br <= rows and bc <= red:
                out += [_block(br, bc, s, (rows, red)) for s in SPARSITY_LEVELS]
    return tuple(dict.fromkeys(parse_scheme(s).name if s != DENSE else s for s in out))


def candidate_family(candidate: str) -> str:
    """The family of a candidate: ``dense``, ``unstructured``, ``nm``, ``channel``, ``kernel`` or ``block``."""
    return candidate.split(":", 1)[0]


def candidate_mask(weight: np.ndarray, candidate: str, kind: str) -> np.ndarray:
    """Boolean keep-mask of ``weight`` under ``candidate`` (all True for ``dense``).

    Parameters
    ----------
    weight : numpy.ndarray
        Output channels on axis 0 (PyTorch layout); ranked in float64.
    candidate : str
        ``"dense"`` or a scheme string.
    kind : {"conv", "linear"}

    Returns
    -------
    numpy.ndarray of bool
        Same shape as ``weight``.
    """
    w = check_weight(np.asarray(weight, dtype=np.float64), "weight")
    if candidate == DENSE:
        return np.ones(w.shape, dtype=bool)
    scheme = parse_scheme(candidate)
    if isinstance(scheme, BlockScheme) and not scheme.pad and not block_fits(matrix_shape(w.shape),
                                                                              scheme.rows, scheme.cols):
        scheme = BlockScheme(scheme.rows, scheme.cols, scheme.sparsity, pad=True)
    mask, _ = keep_mask(w, scheme, kind=kind)
    if mask is None:
        return np.ones(w.shape, dtype=bool)
    return np.asarray(mask, dtype=bool)


def format_choices(arch) -> tuple:
    """Weight formats a plan may run in on ``arch``: ``None`` (the native one) and the PE's others.

    ``None`` lets the simulator run layers that do not fit an N:M format dense,
    which an explicit ``nm:N:M`` format would refuse; it is what
    ``accelsim simulate`` does without ``--format``.
    """
    native = arch.sparsity.native_format
    others = tuple(f for f in arch.sparsity.formats if f not in (native, "dense"))
    return (None,) + others


def plan_key(choices: dict) -> tuple:
    """Canonical key of a per-module plan: its non-dense choices, in the given (module) order."""
    return tuple((m, c) for m, c in choices.items() if c != DENSE)
