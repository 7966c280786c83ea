"""What a co-pruning search needs from a model: fine-tune, evaluate, example inputs.

A :class:`Task` bundles the user's callables. The search calls ``finetune``
on deep copies of the model with masks attached (see
:mod:`accelsim.codesign.masking`), ``evaluate`` for every decision, and
``test`` only to report held-out accuracy. Each call of ``finetune`` is
preceded by ``torch.manual_seed(seed)``, so a loop that draws its shuffling
from torch's global generator sees the same data order for every candidate.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from accelsim.errors import AccelsimInputError, Problem

__all__ = ["Task", "Metrics", "read_metrics"]


@dataclass(frozen=True, eq=False)
class Metrics:
    """Metrics of one model: ``accuracy`` in [0, 1], ``loss`` (lower is better) or None, and
    ``correct``, per-sample correctness (numpy bool array) or None."""

    accuracy: float
    loss: float | None = None
    correct: object = None


def read_metrics(value, where: str = "evaluate") -> Metrics:
    """Turn what an evaluate function returned into :class:`Metrics`.

    Accepted: a number (the accuracy in [0, 1]) or a mapping with
    ``"accuracy"`` and optionally ``"loss"`` and ``"correct"`` (a 1-D sequence,
    array or tensor of booleans, one per sample: it lets the budget compare
    candidate and dense model sample by sample, see :mod:`accelsim.codesign.budget`).

    Raises
    ------
    AccelsimInputError
        Naming ``where``, for anything else (or an accuracy outside [0, 1]).
    """
    loss, correct = None, None
    if isinstance(value, Mapping):
        acc = value.get("accuracy")
        loss = value.get("loss")
        correct = value.get("correct")
    else:
        acc = value
    ok_acc = (isinstance(acc, numbers.Real) and not isinstance(acc, bool) and math.isfinite(float(acc))
              and 0.0 <= float(acc) <= 1.0)
    ok_loss = loss is None or (isinstance(loss, numbers.Real) and not isinstance(loss, bool)
                               and math.isfinite(float(loss)))
    flags = None
    if correct is not None:
        if hasattr(correct, "detach"):
            correct = correct.detach().cpu().numpy()
        flags = np.asarray(correct)
        if flags.ndim != 1 or flags.dtype.kind not in "bui" or (flags.size and not np.isin(flags, (0, 1)).all()):
            flags = None
            ok_loss = False
        else:
            flags = flags.astype(bool)
    if not (ok_acc and ok_loss):
        raise AccelsimInputError(
            f"{where} returned an unusable result",
            [Problem(where, _short(value), "an accuracy in [0, 1], or a mapping {'accuracy': a in [0, 1], "
                                           "'loss': finite number (optional), 'correct': 1-D booleans, one "
                                           "per sample (optional)}")])
    return Metrics(float(acc), None if loss is None else float(loss), flags)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True)
class Task:
    """A model to co-prune and the functions that train and score it.

    Attributes
    ----------
    name : str
    model : torch.nn.Module
        The trained dense model; masks are computed from its weights and every
        candidate is fine-tuned from them. It is never modified.
    finetune : callable
        ``finetune(model) -> None``: trains ``model`` in place for the
        fine-tuning budget (the same for every candidate and baseline). Masks
        are attached as parametrisations, so an ordinary training loop keeps
        them fixed. ``None`` means no fine-tuning (one-shot pruning).
    evaluate : callable
        ``evaluate(model)`` on validation data: an accuracy in [0, 1] or
        ``{"accuracy": a, "loss": l}``. The loss, when given, ranks the
        sensitivity of layers more finely than accuracy.
    example_input : object
        Input of one forward pass (``accelsim.from_torch``): its batch sets the
        simulated workload (1 = one inference).
    calibration_input : object or None
        Input on which the fraction of non-zero activations of each layer is
        measured (default: ``example_input``).
    test : callable or None
        ``test(model)`` on held-out data, same return convention; reported only.
    sensitivity : callable or None
        ``sensitivity(model)``, same return convention, on data *other* than the
        validation set (e.g. part of the training set): it ranks the one-shot
        damage of every candidate, which steers the path and the refinement.
        Kept apart from ``evaluate``, the validation set only accepts or rejects
        fine-tuned candidates, so the choice among patterns cannot fit its
        noise. ``None`` uses ``evaluate``.
    folds : callable, sequence of accelsim.codesign.confirm.Fold, or None
        Re-splits of the task on which the search confirms its final choices
        (:mod:`accelsim.codesign.confirm`); a callable is called once, when
        needed. ``None``: no confirmation, the validation rule alone decides.
    description : str
    finetune_budget : str
        Human-readable fine-tuning budget, for the report.
    """

    name: str
    model: object
    finetune: object
    evaluate: object
    example_input: object
    calibration_input: object = None
    test: object = None
    sensitivity: object = None
    description: str = ""
    finetune_budget: str = ""
    folds: object = None
