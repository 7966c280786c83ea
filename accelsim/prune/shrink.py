"""Physically remove pruned channels from layers and workloads (``channel:S:shrink``).

Consumer rule (see docs/pruning.md): a workload is shrunk only if its layers
form one *sequential chain* -- every layer has a weight, is a conv or a
linear layer, and reads exactly what the previous layer writes (its input
channels equal the previous layer's output channels, or, for a linear layer
after a conv, a multiple of them: a flattened NCHW output). The consumer of
a layer is then the next layer, through any depthwise convs (which follow
their producer's channels). Anything else -- matmul layers, channel counts
that do not line up (downsample branches, concatenations, residual blocks
with projections) -- means the graph is not recoverable from the list, and
every layer is masked instead, with a note saying why.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from accelsim.prune.arrays import matrix_shape, prune_count
from accelsim.prune.channel import channel_keep_rows, shrink_count
from accelsim.prune.report import layer_report, no_weight_note

__all__ = ["is_depthwise", "chain_break", "shrink_layer", "shrink_workload_layers"]


def is_depthwise(layer) -> bool:
    """True for a conv with ``groups == in_channels == out_channels`` (one filter per channel)."""
    conv = layer.conv
    return (layer.kind == "conv" and conv is not None and layer.groups > 1
            and conv.groups == conv.in_channels == conv.out_channels == layer.groups)


def _in_channels(layer):
    if layer.kind == "conv" and layer.conv is not None:
        return layer.conv.in_channels
    if layer.kind == "linear" and layer.groups == 1:
        return layer.k
    return None


def _columns_per_channel(producer, consumer):
    """Consumer columns per producer channel (1, or h*w for a flattened conv output), or None."""
    rows = producer.out_channels
    cin = _in_channels(consumer)
    if cin == rows:
        return 1
    if producer.kind == "conv" and consumer.kind == "linear" and cin is not None and cin % rows == 0:
        return cin // rows
    return None


def chain_break(layers) -> str | None:
    """Why ``layers`` is not a sequential chain, or None if it is."""
    for layer in layers:
        if layer.kind not in ("conv", "linear"):
            return f"layer {layer.name!r} is a {layer.kind} without weights"
        if layer.weight is None:
            return f"layer {layer.name!r} has no weight"
        if _in_channels(layer) is None:
            return f"layer {layer.name!r} has no known input-channel count"
    for a, b in zip(layers, layers[1:]):
        if _columns_per_channel(a, b) is None:
            return (f"layer {b.name!r} reads {_in_channels(b)} input channels but the previous "
                    f"layer {a.name!r} writes {a.out_channels}")
    return None


def _grouped(layer) -> bool:
    return layer.groups > 1 and not is_depthwise(layer)


def _shrink_outputs(layer, kept):
    w = np.asarray(layer.weight)[kept]
    if layer.kind == "linear":
        return layer.with_shape(n=len(kept), weight=w)
    return layer.with_shape(n=len(kept), weight=w, conv=replace(layer.conv, out_channels=len(kept)))


def _shrink_inputs(layer, kept, q):
    w = np.asarray(layer.weight)
    if layer.kind == "linear":
        cols = (kept[:, None] * q + np.arange(q)[None, :]).ravel()
        return layer.with_shape(k=len(cols), weight=w[:, cols])
    conv = layer.conv
    taps = conv.kernel_h * conv.kernel_w
    picked = w.reshape(w.shape[0], conv.in_channels, taps)[:, kept]
    if w.ndim >= 3 and w.shape[1] == conv.in_channels:       # (K, C, R, S) layout
        picked = picked.reshape((w.shape[0], len(kept)) + w.shape[2:])
    else:                                                     # flattened (K, C*R*S)
        picked = picked.reshape(w.shape[0], -1)
    return layer.with_shape(k=len(kept) * taps, weight=picked,
                            conv=replace(conv, in_channels=len(kept)))


def _shrink_depthwise(layer, kept):
    c = len(kept)
    conv = replace(layer.conv, in_channels=c, out_channels=c, groups=c)
    return layer.with_shape(groups=c, weight=np.asarray(layer.weight)[kept], conv=conv)


def _kept_rows(layer, count, norm):
    w = np.asarray(layer.weight)
    keep = channel_keep_rows(w.reshape(matrix_shape(w.shape)), count, norm)
    return np.flatnonzero(keep).astype(np.int64)


def _mask_rows(layer, sparsity, norm):
    w = np.asarray(layer.weight)
    keep = channel_keep_rows(w.reshape(matrix_shape(w.shape)), prune_count(sparsity, w.shape[0]), norm)
    out = np.array(w, copy=True)
    out[~keep] = 0
    return layer.with_weight(out)


def _count_and_notes(sparsity, rows):
    count = shrink_count(sparsity, rows)
    notes = [f"shrunk: removed {count} of {rows} output channels"]
    if prune_count(sparsity, rows) > count:
        notes.append("kept 1 output channel: a layer needs at least one")
    return count, notes


def shrink_layer(layer, scheme):
    """Shrink one layer's output channels (no consumer is known).

    Returns
    -------
    Layer, tuple of str
        The new layer and report notes. Grouped and depthwise convs are
        masked instead (their output channels are tied to their inputs).
    """
    if is_depthwise(layer) or _grouped(layer):
        what = "depthwise conv" if is_depthwise(layer) else f"grouped conv (groups={layer.groups})"
        return (_mask_rows(layer, scheme.sparsity, scheme.norm),
                (f"masked, not shrunk: {what}, its output channels are tied to its input channels",))
    count, notes = _count_and_notes(scheme.sparsity, layer.out_channels)
    kept = _kept_rows(layer, count, scheme.norm)
    notes.append("no consumer updated: a single layer")
    return _shrink_outputs(layer, kept), tuple(notes)


def _mask_all(layers, scheme, notes, reason: str):
    """Mask (do not shrink) every layer with a weight, noting ``reason``; the fallback of shrinking."""
    out = []
    for i, layer in enumerate(layers):
        if layer.weight is None:
            out.append(layer)
            notes[i].append(no_weight_note(layer.kind))
            continue
        out.append(_mask_rows(layer, scheme.sparsity, scheme.norm))
        notes[i].append(reason)
    return out, _reports(layers, out, notes, scheme)


def shrink_workload_layers(layers, scheme, sequential: bool = True):
    """Apply ``channel:S[:norm]:shrink`` to the layers of a workload.

    Consumers are only shrunk when the workload is marked ``sequential``
    (:attr:`accelsim.workload.Workload.sequential`) and its layers form a chain;
    otherwise every layer is masked and the report says why.

    Returns
    -------
    list of Layer, list of LayerPruneReport
    """
    layers = list(layers)
    n = len(layers)
    notes = [[] for _ in range(n)]
    if not sequential:
        return _mask_all(layers, scheme, notes,
                         "masked, not shrunk: the workload is not marked sequential (it may have branches "
                         "or residual additions, which a layer list cannot show)")
    broken = chain_break(layers)
    if broken is not None:
        return _mask_all(layers, scheme, notes,
                         f"masked, not shrunk: the workload is not a sequential chain ({broken}), "
                         f"so consumers are ambiguous (branches or residual additions)")

    cur = list(layers)
    followed = set()
    for i in range(n):
        if i in followed:
            continue
        layer = cur[i]
        rows = layer.out_channels
        j = i + 1
        while j < n and is_depthwise(cur[j]):
            j += 1
        reason = None
        if i == n - 1:
            reason = "last layer (its outputs are the model's outputs)"
        elif is_depthwise(layer):
            reason = "depthwise conv whose producer was not shrunk (its channels are its inputs)"
        elif _grouped(layer):
            reason = f"grouped conv (groups={layer.groups})"
        elif j == n:
            reason = f"its channels reach the model's outputs through depthwise layer {cur[n - 1].name!r}"
        elif _grouped(cur[j]):
            reason = f"consumer {cur[j].name!r} is a grouped conv (groups={cur[j].groups})"
        if reason is not None:
            cur[i] = _mask_rows(layer, scheme.sparsity, scheme.norm)
            notes[i].append(f"masked, not shrunk: {reason}")
            continue
        count, shrink_notes = _count_and_notes(scheme.sparsity, rows)
        kept = _kept_rows(layer, count, scheme.norm)
        cur[i] = _shrink_outputs(layer, kept)
        notes[i].extend(shrink_notes)
        for d in range(i + 1, j):
            cur[d] = _shrink_depthwise(cur[d], kept)
            notes[d].append(f"channels shrunk with producer {layer.name!r}: removed {count} of {rows}")
            followed.add(d)
        consumer = cur[j]
        q = consumer.k // rows if consumer.kind == "linear" else 1
        cur[j] = _shrink_inputs(consumer, kept, q)
        notes[j].append(f"input channels shrunk by producer {layer.name!r}: removed {count} of {rows}")
    return cur, _reports(layers, cur, notes, scheme)


def _reports(before, after, notes, scheme):
    return [layer_report(a.name, scheme.sparsity, a.weight, b.weight, notes[i])
            for i, (a, b) in enumerate(zip(before, after))]
