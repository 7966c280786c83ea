"""Apply accelsim pruning masks in place to the weights of a torch ``nn.Module``.

The only module of the package that imports torch (lazily, inside the
function). The masks are computed by the same numpy functions as
:func:`accelsim.prune.prune`, on a float64 copy of each weight.
"""

from __future__ import annotations

import numpy as np

from accelsim.errors import AccelsimInputError, Problem
from accelsim.prune.arrays import check_weight
from accelsim.prune.masks import check_blocks_fit, keep_mask
from accelsim.prune.report import PruneReport, layer_report
from accelsim.prune.scheme import BlockScheme, ChannelScheme, UnstructuredScheme, parse_scheme
from accelsim.prune.unstructured import global_unstructured_keep_masks

__all__ = ["apply_to_module"]


def apply_to_module(module, scheme, *, layers=None, persistent: bool = False) -> PruneReport:
    """Prune the weights of matching submodules in place.

    Parameters
    ----------
    module : torch.nn.Module
        Searched with ``named_modules()`` (itself included), in registration
        order; that order is the layer order of the report and of the
        tie-break of ``unstructured:S:global``.
    scheme : str or scheme object
        Any scheme except ``channel:...:shrink`` (modules are never resized:
        shrink works on workloads and arrays).
    layers : tuple of type, optional
        Module types to prune; default ``(nn.Linear, nn.Conv2d, nn.Conv1d)``.
        Their ``weight`` must have output channels on axis 0.
    persistent : bool
        False (default): set the pruned entries of ``weight`` to ``+0.0`` in
        place (by assignment, so no ``-0.0`` is created; zeros already there
        become ``+0.0`` too); the module stays a plain module with unchanged
        ``state_dict`` keys, but training can regrow the zeros. True: use
        ``torch.nn.utils.prune.custom_from_mask`` so ``weight_mask`` is
        stored and re-applied on every forward (``weight_orig`` holds the
        dense values; ``torch.nn.utils.prune.remove`` makes it permanent).
        torch applies that mask by multiplication, so pruned negative
        weights read ``-0.0``; accelsim counts them as zeros (the zero rule,
        ``docs/pruning.md``). A weight that is already reparametrised by
        ``torch.nn.utils.prune`` is always pruned through
        ``custom_from_mask``, so masks combine.

    Returns
    -------
    PruneReport
        One entry per pruned module, named by its qualified name.
    """
    import torch
    from torch import nn
    from torch.nn.utils import prune as torch_prune

    scheme = parse_scheme(scheme)
    if isinstance(scheme, ChannelScheme) and scheme.shrink:
        raise AccelsimInputError(
            f"cannot apply {scheme.name} to a torch module",
            [Problem("scheme", scheme.name, "a scheme without ':shrink' for torch modules")],
            "apply_to_module only masks weights; shrink works on workloads and arrays "
            "(prune(workload, ...) or shrink_channels(weight, consumer_weight, sparsity))")
    if layers is None:
        layers = (nn.Linear, nn.Conv2d, nn.Conv1d)
    targets = []
    for name, sub in module.named_modules():
        if isinstance(sub, tuple(layers)) and isinstance(getattr(sub, "weight", None), torch.Tensor):
            label = name or type(sub).__name__
            w = sub.weight.detach().to("cpu", torch.float64).numpy()
            targets.append((label, sub, check_weight(w, f"{label}.weight")))
    if isinstance(scheme, BlockScheme):
        check_blocks_fit([(f"module {label!r}", w.shape) for label, _, w in targets], scheme)

    if isinstance(scheme, UnstructuredScheme) and scheme.global_threshold:
        masks = global_unstructured_keep_masks([w for _, _, w in targets], scheme.sparsity)
        notes = [(f"global magnitude threshold over {len(targets)} modules",)] * len(targets)
    else:
        masks, notes = [], []
        for _, sub, w in targets:
            kind = "linear" if isinstance(sub, nn.Linear) else "conv"
            mask, note = keep_mask(w, scheme, kind=kind)
            masks.append(mask)
            notes.append(note)

    entries = []
    for (label, sub, w), mask, note in zip(targets, masks, notes):
        if mask is not None:
            t_mask = torch.from_numpy(np.ascontiguousarray(mask)).to(sub.weight.device)
            if persistent or hasattr(sub, "weight_orig"):
                torch_prune.custom_from_mask(sub, "weight", t_mask.to(sub.weight.dtype))
            else:
                with torch.no_grad():
                    # Assign, never multiply: w * 0 is -0.0 for negative w. Zeros already
                    # in the weight are rewritten as +0.0 too, so none is left as -0.0.
                    sub.weight.masked_fill_(~t_mask | (sub.weight == 0), 0)
        after = sub.weight.detach().to("cpu", torch.float64).numpy()
        entries.append(layer_report(label, scheme.target_sparsity, w, after, note))
    return PruneReport(scheme.name, scheme.target_sparsity, tuple(entries))
