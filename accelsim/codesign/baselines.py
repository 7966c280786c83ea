"""Baselines of a co-pruning search, fine-tuned and measured exactly like the search's candidates.

* ``magnitude_baseline``: hardware-agnostic global magnitude pruning, one
  ``|w|`` threshold over all prunable weights (what
  ``torch.nn.utils.prune.global_unstructured(..., pruning_method=L1Unstructured)``
  does; the masks come from :func:`accelsim.prune.unstructured.global_unstructured_keep_masks`),
  at the highest sparsity on the grid 0.01, 0.02, ..., 0.99 whose fine-tuned
  validation accuracy stays within the accuracy budget, found by bisection
  (accuracy is assumed to fall with sparsity; about 7 fine-tunes);
* ``nm24_baseline``: every prunable layer 2:4;
* ``nm<N><M>_baseline``: every layer at the native N:M of an arch whose PE is
  N:M other than 2:4.

Each baseline is one model whatever the arch; on each arch it runs in its best
weight format (:func:`accelsim.codesign.measure.measure_workload`).
"""

from __future__ import annotations

import numpy as np

from accelsim.codesign.candidates import candidate_mask, plan_key
from accelsim.prune.unstructured import global_unstructured_keep_masks

__all__ = ["run_baselines", "MAGNITUDE_GRID"]

#: Sparsities the magnitude baseline is searched on.
MAGNITUDE_GRID = tuple(k / 100 for k in range(1, 100))


def _level(s: float) -> str:
    return np.format_float_positional(s, trim="-")


def _report(ctx, phase: str, trained, ok: bool, cached: bool) -> None:
    result = (f"sparsity {100 * trained.sparsity:.1f}%: val {100 * trained.val_accuracy:.2f}%"
              + ("" if ok else " (over budget)"))
    ctx.progress.done_step(phase, result, "-", 0.0 if cached else trained.train_seconds)


def _magnitude(ctx, weights: dict):
    modules = ctx.modules
    arrays = [weights[m] for m in modules]
    trials = []

    def trial(s):
        key = ("global-magnitude", _level(s))
        cached = ctx.trainer.cached(key) is not None
        masks = dict(zip(modules, global_unstructured_keep_masks(arrays, s)))
        per = {m: 1.0 - float(masks[m].mean()) for m in modules}
        choices = {m: f"unstructured:{per[m]:.4f}" for m in modules}
        trained = ctx.trainer.train(key, masks, f"global magnitude {_level(s)}", choices)
        ok = ctx.within_accuracy(trained)
        trials.append(trained)
        _report(ctx, f"magnitude baseline {_level(s)}", trained, ok, cached)
        return trained, ok

    lo, hi = -1, len(MAGNITUDE_GRID)          # -1: unpruned
    best = None
    steps = (len(MAGNITUDE_GRID) + 1).bit_length()     # counted in the search's progress plan
    done = 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        trained, ok = trial(MAGNITUDE_GRID[mid])
        done += 1
        if ok:
            lo, best = mid, trained
        else:
            hi = mid
    ctx.progress.unplan(steps - done)
    if best is None:
        return ctx.dense, trials, ("no global magnitude sparsity on the grid stays within the accuracy budget: "
                                   "the baseline is the dense model")
    return best, trials, (f"global magnitude pruning at {100 * MAGNITUDE_GRID[lo]:.0f}% sparsity, the highest "
                          f"of 1%..99% within the budget (bisection, {done} fine-tunes)")


def _uniform(ctx, weights: dict, scheme: str, kinds: dict):
    choices = {m: scheme for m in ctx.modules}
    key = plan_key(choices)
    cached = ctx.trainer.cached(key) is not None
    masks = {m: candidate_mask(weights[m], scheme, kinds[m]) for m in ctx.modules}
    trained = ctx.trainer.train(key, masks, f"uniform {scheme}", choices)
    _report(ctx, f"uniform {scheme} baseline", trained, ctx.within_accuracy(trained), cached)
    return trained


def run_baselines(ctx, archs, weights: dict, kinds: dict | None = None):
    """Train the baselines; returns ``({name: Trained}, {name: note}, magnitude trials)``.

    Parameters
    ----------
    ctx : search context (``modules``, ``trainer``, ``progress``, ``within_accuracy``, ``dense``)
    archs : list of ArchSpec
    weights : dict
        ``{module: reference weight}``.
    kinds : dict, optional
        ``{module: "conv" | "linear"}`` (default: conv for weights with more than 2 axes).
    """
    kinds = kinds or {m: ("conv" if np.ndim(w) > 2 else "linear") for m, w in weights.items()}
    baselines, notes = {}, {}
    magnitude, trials, note = _magnitude(ctx, weights)
    baselines["magnitude_baseline"], notes["magnitude_baseline"] = magnitude, note
    baselines["nm24_baseline"] = _uniform(ctx, weights, "nm:2:4", kinds)
    notes["nm24_baseline"] = "every prunable layer 2:4 (the 2 largest |w| of every 4 along the reduction)"
    for arch in archs:
        sp = arch.sparsity
        if sp.kind == "nm" and (sp.n, sp.m) != (2, 4):
            name = f"nm{sp.n}{sp.m}_baseline"
            if name not in baselines:
                baselines[name] = _uniform(ctx, weights, f"nm:{sp.n}:{sp.m}", kinds)
                notes[name] = f"every prunable layer {sp.n}:{sp.m}, the native N:M of {arch.name}"
    for trained in baselines.values():
        ctx.trainer.keep.add(trained.key)
    return baselines, notes, trials
