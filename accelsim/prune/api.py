"""Public entry points: prune an array, a layer or a workload with a scheme."""

from __future__ import annotations

import numpy as np

from accelsim.errors import AccelsimInputError, Problem
from accelsim.prune.arrays import apply_keep_mask, check_weight, matrix_shape
from accelsim.prune.channel import channel_keep_rows, shrink_count
from accelsim.prune.masks import check_blocks_fit, keep_mask
from accelsim.prune.report import PruneReport, layer_report, no_weight_note
from accelsim.prune.scheme import BlockScheme, ChannelScheme, UnstructuredScheme, parse_scheme
from accelsim.prune.shrink import shrink_layer, shrink_workload_layers
from accelsim.prune.unstructured import global_unstructured_keep_masks
from accelsim.workload.layer import Layer, Workload

__all__ = ["prune", "prune_with_report"]


def prune(x, scheme):
    """Prune a weight array, a layer or a workload.

    Parameters
    ----------
    x : numpy.ndarray, Layer or Workload
        An array is pruned with output channels on axis 0 and the other
        axes flattened as the reduction dimension (a 1-D array is one row).
        Layers without a weight (``matmul``) pass through unchanged.
    scheme : str or scheme object
        See :func:`accelsim.prune.parse_scheme`, e.g. ``"nm:2:4"``.

    Returns
    -------
    numpy.ndarray, Layer or Workload
        A new object of the same type; the input is not modified. Arrays
        keep their shape and dtype, except ``channel:S:shrink`` which
        returns fewer rows.
    """
    return prune_with_report(x, scheme)[0]


def prune_with_report(x, scheme):
    """Like :func:`prune`, also returning a :class:`PruneReport`.

    Returns
    -------
    pruned : numpy.ndarray, Layer or Workload
    report : PruneReport
        Target and reached sparsity per layer (one entry named ``"array"``
        for an array) and overall, weighted by parameter count.
    """
    scheme = parse_scheme(scheme)
    if isinstance(x, Workload):
        return _prune_workload(x, scheme)
    if isinstance(x, Layer):
        pruned, entry = _prune_layer(x, scheme)
        return pruned, PruneReport(scheme.name, scheme.target_sparsity, (entry,))
    if isinstance(x, np.ndarray):
        return _prune_array(x, scheme)
    raise AccelsimInputError(
        "cannot prune the given object",
        [Problem("x", type(x).__name__, "a numpy.ndarray, a Layer or a Workload")])


def _report(scheme, entries):
    return PruneReport(scheme.name, scheme.target_sparsity, tuple(entries))


def _is_shrink(scheme) -> bool:
    return isinstance(scheme, ChannelScheme) and scheme.shrink


def _prune_array(weight, scheme):
    w = check_weight(weight, "weight")
    target = scheme.target_sparsity
    if _is_shrink(scheme):
        if w.ndim == 1:
            out = w.copy()
            notes = ("not applicable: a 1-D array is a single channel",)
        else:
            rows = w.shape[0]
            count = shrink_count(scheme.sparsity, rows)
            keep = channel_keep_rows(w.reshape(matrix_shape(w.shape)), count, scheme.norm)
            out = w[np.flatnonzero(keep)].copy()
            notes = (f"shrunk: removed {count} of {rows} output channels",)
        return out, _report(scheme, [layer_report("array", target, w, out, notes)])
    if isinstance(scheme, BlockScheme):
        check_blocks_fit([("array", w.shape)], scheme)
    mask, notes = keep_mask(w, scheme, kind="array")
    out = w.copy() if mask is None else apply_keep_mask(w, mask)
    return out, _report(scheme, [layer_report("array", target, w, out, notes)])


def _layer_weight(layer):
    if layer.weight is None:
        return None
    return check_weight(np.asarray(layer.weight), f"{layer.name}.weight")


def _no_weight_entry(layer, scheme):
    return layer_report(layer.name, scheme.target_sparsity, None, None, (no_weight_note(layer.kind),))


def _prune_layer(layer, scheme):
    w = _layer_weight(layer)
    if w is None:
        return layer, _no_weight_entry(layer, scheme)
    if _is_shrink(scheme):
        new, notes = shrink_layer(layer, scheme)
        return new, layer_report(layer.name, scheme.target_sparsity, w, new.weight, notes)
    if isinstance(scheme, BlockScheme):
        check_blocks_fit([(f"layer {layer.name!r}", w.shape)], scheme)
    mask, notes = keep_mask(w, scheme, kind=layer.kind)
    out = w.copy() if mask is None else apply_keep_mask(w, mask)
    return layer.with_weight(out), layer_report(layer.name, scheme.target_sparsity, w, out, notes)


def _prune_workload(workload, scheme):
    weights = [_layer_weight(layer) for layer in workload.layers]
    if _is_shrink(scheme):
        layers, entries = shrink_workload_layers(workload.layers, scheme, workload.sequential)
        return workload.with_layers(layers), _report(scheme, entries)
    if isinstance(scheme, BlockScheme):
        check_blocks_fit([(f"layer {layer.name!r}", w.shape)
                          for layer, w in zip(workload.layers, weights) if w is not None], scheme)
    if isinstance(scheme, UnstructuredScheme) and scheme.global_threshold:
        return _prune_global(workload, weights, scheme)
    layers, entries = [], []
    for layer in workload.layers:
        new, entry = _prune_layer(layer, scheme)
        layers.append(new)
        entries.append(entry)
    return workload.with_layers(layers), _report(scheme, entries)


def _prune_global(workload, weights, scheme):
    present = [w for w in weights if w is not None]
    masks = iter(global_unstructured_keep_masks(present, scheme.sparsity))
    note = f"global magnitude threshold over {len(present)} layers"
    layers, entries = [], []
    for layer, w in zip(workload.layers, weights):
        if w is None:
            layers.append(layer)
            entries.append(_no_weight_entry(layer, scheme))
            continue
        out = apply_keep_mask(w, next(masks))
        layers.append(layer.with_weight(out))
        entries.append(layer_report(layer.name, scheme.target_sparsity, w, out, (note,)))
    return workload.with_layers(layers), _report(scheme, entries)
