"""Keep-masks of one weight for any scheme, and the block-fit check over many weights."""

from __future__ import annotations

import numpy as np

from accelsim.errors import AccelsimInputError, Problem
from accelsim.prune.arrays import matrix_shape, prune_count
from accelsim.prune.block import block_fits, block_grid, block_keep_mask
from accelsim.prune.channel import channel_keep_rows
from accelsim.prune.kernel import kernel_keep_mask, kernel_taps
from accelsim.prune.nm import nm_keep_mask
from accelsim.prune.scheme import BlockScheme, ChannelScheme, KernelScheme, NMScheme, UnstructuredScheme
from accelsim.prune.unstructured import unstructured_keep_mask

__all__ = ["keep_mask", "check_blocks_fit"]


def keep_mask(weight: np.ndarray, scheme, *, kind: str = "array"):
    """Keep-mask of one checked weight under a parsed scheme (global and shrink aside).

    Parameters
    ----------
    weight : numpy.ndarray
        Output channels on axis 0; the other axes are the reduction
        dimension (a 1-D array is one row).
    scheme : scheme object
        ``UnstructuredScheme`` is applied per weight here; ``ChannelScheme``
        masks rows (no shrinking).
    kind : {"array", "conv", "linear"}
        Only used by ``kernel`` to decide applicability and word the note.

    Returns
    -------
    mask : numpy.ndarray of bool or None
        Same shape as ``weight``; None when the scheme does not apply.
    notes : tuple of str
    """
    shape = matrix_shape(weight.shape)
    if isinstance(scheme, UnstructuredScheme):
        return unstructured_keep_mask(weight, scheme.sparsity), ()
    if isinstance(scheme, NMScheme):
        keep = nm_keep_mask(weight.reshape(shape), scheme.n, scheme.m)
        notes = ()
        tail = shape[1] % scheme.m
        if tail:
            notes = (f"reduction length {shape[1]} is not a multiple of M={scheme.m}: "
                     f"the trailing group of {tail} is treated as zero-padded to {scheme.m}",)
        return keep.reshape(weight.shape), notes
    if isinstance(scheme, BlockScheme):
        keep = block_keep_mask(weight.reshape(shape), scheme.rows, scheme.cols, scheme.sparsity)
        notes = ()
        if not block_fits(shape, scheme.rows, scheme.cols):
            br, bc = block_grid(shape, scheme.rows, scheme.cols)
            notes = (f"matrix {shape[0]}x{shape[1]} padded to {br * scheme.rows}x{bc * scheme.cols}: "
                     f"edge blocks are partial",)
        return keep.reshape(weight.shape), notes
    if isinstance(scheme, ChannelScheme):
        rows = channel_keep_rows(weight.reshape(shape), prune_count(scheme.sparsity, shape[0]), scheme.norm)
        keep = np.broadcast_to(rows[:, None], shape).reshape(weight.shape).copy()
        return keep, ()
    if isinstance(scheme, KernelScheme):
        if kind == "linear":
            return None, ("not applicable: linear layer (no kernel taps)",)
        if weight.ndim < 3:
            return None, (f"not applicable: {weight.ndim}-D weight has no kernel taps",)
        taps = kernel_taps(weight.shape)
        if taps == 1:
            label = "1x1 kernel" if weight.ndim == 4 else "single-tap kernel"
            return None, (f"not applicable: {label}",)
        return kernel_keep_mask(weight, scheme.sparsity), ()
    raise TypeError(f"not a pruning scheme: {scheme!r}")  # parse_scheme guarantees one


def check_blocks_fit(items, scheme: BlockScheme) -> None:
    """Raise one error listing every weight the block does not tile (unless ``pad``).

    Parameters
    ----------
    items : iterable of (name, weight shape)
    scheme : BlockScheme
    """
    if scheme.pad:
        return
    problems = []
    for name, shape in items:
        mshape = matrix_shape(shape)
        if not block_fits(mshape, scheme.rows, scheme.cols):
            problems.append(Problem(
                f"{name} weight matrix", f"{mshape[0]}x{mshape[1]}",
                f"rows a multiple of {scheme.rows} and columns a multiple of {scheme.cols} "
                f"to tile with {scheme.rows}x{scheme.cols} blocks"))
    if problems:
        padded = BlockScheme(scheme.rows, scheme.cols, scheme.sparsity, pad=True).name
        raise AccelsimInputError(
            f"cannot apply {scheme.name}: the {scheme.rows}x{scheme.cols} block does not tile "
            f"every weight matrix (rows = output channels, columns = reduction)",
            problems,
            f"add ':pad' (e.g. {padded}) to treat the edges as zero-padded partial blocks, "
            f"ranked by the norm of their real elements")
