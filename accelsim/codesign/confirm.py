"""Cross-validated confirmation of the search's final choices.

The search accepts or rejects dozens of fine-tuned candidates on one
validation set and keeps the cheapest that passed, so the winner is, among
near-equal plans, the one that was luckiest on those images: its held-out
drop is larger than its validation drop. A margin on the same validation set
cannot tell two plans with the same validation record apart, however many
standard errors it asks for. What can is data the search never looked at.

A *fold* is the task re-split: a dense model pre-trained without the fold's
validation images, its own fine-tuning function and its own validation set
(disjoint from the search's; the test split is in none of them). To confirm
a plan, its choices (``{module: candidate}``) are turned into masks on the
fold model's own weights, the masked fold model is fine-tuned like every
candidate, and its per-sample correctness on the fold's validation set is
compared with that of the fold's dense model fine-tuned with the same
budget. The search's validation pairs and every fold's are pooled, and the
plan is confirmed when the pooled paired drop passes the same rule as the
search (:class:`~accelsim.codesign.budget.AccuracyBudget`: ``drop + Z*se <=
D``). With the digits task's two folds, the pooled set is the 1,347 images
outside the test split, 898 of which took no part in the search's decisions.

The search confirms, per arch, its feasible candidates cheapest first and
keeps the first one confirmed (the dense plan needs no confirmation); the
magnitude baseline confirms its feasible sparsities highest first, so both
are held to the same rule.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch

from accelsim.codesign.budget import AccuracyBudget, BudgetCheck
from accelsim.codesign.masking import apply_masks, bake_masks, module_weights
from accelsim.codesign.task import Metrics, read_metrics

__all__ = ["Fold", "Confirmer", "pooled_metrics"]


@dataclass(frozen=True)
class Fold:
    """One re-split of the task for confirmation.

    Attributes
    ----------
    model : torch.nn.Module
        Dense model trained without this fold's validation data (same architecture and module names).
    finetune : callable or None
        ``finetune(model)`` on this fold's training data, the same budget as the search's.
    evaluate : callable
        ``evaluate(model)`` on this fold's validation data; must return per-sample ``correct``.
    """

    model: object
    finetune: object
    evaluate: object


def pooled_metrics(parts) -> Metrics:
    """Concatenate the per-sample correctness of several :class:`Metrics` into one (accuracy over all)."""
    flags = np.concatenate([np.asarray(p.correct, dtype=bool) for p in parts])
    return Metrics(float(flags.mean()) if flags.size else 0.0, None, flags)


class Confirmer:
    """Confirms plans on the task's folds (see the module docstring).

    Parameters
    ----------
    folds : callable or sequence of Fold
        Built on first use when callable (pre-training the fold models costs time).
    modules : list of str
    kinds : dict
        ``{module: "conv" | "linear"}``.
    seed : int
        ``torch.manual_seed(seed)`` before every fine-tune, as in the search.
    dense_metrics : Metrics
        The search's dense reference on its validation set (with ``correct``).
    drop_pp, margin_se : float
        The search's budget.
    progress : SearchProgress or None
    """

    def __init__(self, folds, modules, kinds, seed, dense_metrics, drop_pp, margin_se, progress=None):
        self._folds_source = folds
        self._folds = None
        self.modules = list(modules)
        self.kinds = dict(kinds)
        self.seed = int(seed)
        self.dense_metrics = dense_metrics
        self.drop_pp = float(drop_pp)
        self.margin_se = float(margin_se)
        self.progress = progress
        self._checks: dict = {}
        self.fine_tunes = 0

    @property
    def n_folds(self) -> int:
        """Folds (built on first call)."""
        return len(self._built())

    def _built(self):
        if self._folds is None:
            source = self._folds_source() if callable(self._folds_source) else self._folds_source
            built = []
            for i, fold in enumerate(source):
                weights = module_weights(fold.model, self.modules)
                dense = self._fit_eval(fold, {}, f"fold {i + 1}")
                built.append((fold, weights, dense))
            self._folds = built
        return self._folds

    def _fit_eval(self, fold, masks, where) -> Metrics:
        model = copy.deepcopy(fold.model)
        if masks:
            apply_masks(model, masks)
        if fold.finetune is not None:
            torch.manual_seed(self.seed)
            fold.finetune(model)
        bake_masks(model)
        model.eval()
        self.fine_tunes += 1
        metrics = read_metrics(fold.evaluate(model), f"{where} evaluate")
        if metrics.correct is None:
            from accelsim.errors import AccelsimInputError, Problem
            raise AccelsimInputError("a confirmation fold gives no per-sample correctness",
                                     [Problem("folds", where, "an evaluate function returning "
                                                              "{'accuracy': a, 'correct': per-sample booleans}")])
        return metrics

    def check(self, key, search_metrics: Metrics, masks_of, label: str = "") -> BudgetCheck:
        """Pooled budget check of one plan, memoised by ``key``.

        Parameters
        ----------
        key : hashable
            The plan's identity (``Trained.key``).
        search_metrics : Metrics
            The plan's fine-tuned metrics on the search's validation set.
        masks_of : callable
            ``masks_of({module: fold weight}) -> {module: bool keep-mask}`` (pruned modules only).
        """
        if key in self._checks:
            return self._checks[key]
        folds = self._built()
        dense_parts, cand_parts = [self.dense_metrics], [search_metrics]
        for i, (fold, weights, dense) in enumerate(folds):
            dense_parts.append(dense)
            cand_parts.append(self._fit_eval(fold, masks_of(weights), f"fold {i + 1}"))
        budget = AccuracyBudget(pooled_metrics(dense_parts), self.drop_pp, self.margin_se)
        result = budget.check(pooled_metrics(cand_parts))
        self._checks[key] = result
        if self.progress is not None:
            self.progress.note(f"confirm {label[:60]}: pooled drop {result.drop_pp:+.2f} pp, "
                               f"se {result.se_pp:.2f} pp over {len(budget.dense.correct)} images: "
                               + ("confirmed" if result.within else "rejected"))
        return result

    def result(self, key) -> BudgetCheck | None:
        """The check of ``key`` if it was confirmed or rejected."""
        return self._checks.get(key)
