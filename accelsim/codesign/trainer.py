"""Fine-tune candidates with fixed masks, measure them, and remember the results within one search.

Every candidate -- a plan of the search or a baseline -- is trained the same
way: a deep copy of the dense model, its masks attached, ``torch.manual_seed``
set to the search seed, the task's ``finetune`` (the same budget for all),
masks baked in, then validation and test accuracy and a trace of the
pruned model (real weights, input densities on the calibration batch). A
candidate is identified by its masks' description (``key``), so the same
masks are trained once however many archs' searches reach them.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np
import torch

from accelsim.codesign.candidates import plan_key
from accelsim.codesign.masking import apply_masks, bake_masks
from accelsim.codesign.measure import measure_workload
from accelsim.codesign.task import read_metrics
from accelsim.codesign.trace import trace_model

__all__ = ["Trained", "Trainer"]


@dataclass(frozen=True, eq=False)
class Trained:
    """One fine-tuned candidate.

    Attributes
    ----------
    key : tuple
        ``plan_key`` of a plan, or ``("global-magnitude", S)`` for that baseline.
    label : str
    choices : dict
        ``{module: candidate}`` for every prunable module (``dense`` included);
        for the magnitude baseline the per-module reached sparsity as
        ``unstructured:<s>`` strings for information.
    val_accuracy, val_loss : float, float or None
    val_correct : numpy.ndarray of bool or None
        Per-sample validation correctness, when the evaluate function gives it.
    accuracy : float
        Held-out test accuracy (validation accuracy when the task has no test).
    sparsity : float
        Zero fraction over the prunable modules' weights of the fine-tuned model.
    module_sparsity : dict
        ``{module: zero fraction}``.
    workload : accelsim.workload.Workload
        Trace of the fine-tuned, masked model.
    train_seconds : float
        Wall time of fine-tuning and evaluation (not part of any result file
        that must be reproducible).
    """

    key: tuple
    label: str
    choices: dict
    val_accuracy: float
    val_loss: float | None
    val_correct: object
    accuracy: float
    sparsity: float
    module_sparsity: dict
    workload: object
    train_seconds: float


class Trainer:
    """Trains and measures candidates for one search (see the module docstring).

    Parameters
    ----------
    task : accelsim.codesign.task.Task
    modules : list of str
        Prunable module names, in order.
    layer_module : dict
        Traced layer name -> module name.
    reference_weights : dict
        ``{module: float64 weight}`` of the dense model (masks are computed on these).
    seed : int
    objective : str
        Metric that picks a candidate's best weight format on an arch.
    """

    def __init__(self, task, modules, layer_module, reference_weights, seed: int, objective: str):
        self.task = task
        self.modules = list(modules)
        self.layer_module = dict(layer_module)
        self.reference_weights = reference_weights
        self.seed = int(seed)
        self.objective = objective
        self._trained: dict[tuple, Trained] = {}
        self._models: dict[tuple, object] = {}
        self._masks: dict[tuple, dict] = {}
        self._measures: dict[tuple, object] = {}
        self.keep: set = set()

    # ------------------------------------------------------------------ training
    def cached(self, key) -> Trained | None:
        """The trained candidate of ``key`` if it was trained already."""
        return self._trained.get(key)

    def train(self, key: tuple, masks: dict, label: str, choices: dict) -> Trained:
        """Fine-tune the dense model with ``masks`` (``{module: bool array}``) once; memoised by ``key``."""
        if key in self._trained:
            return self._trained[key]
        t0 = time.monotonic()
        model = self._fit(masks)
        self._masks[key] = {m: (np.packbits(np.asarray(v, dtype=bool)), np.shape(v)) for m, v in masks.items()}
        val = read_metrics(self.task.evaluate(model), "evaluate")
        test = read_metrics(self.task.test(model), "test").accuracy if self.task.test is not None else val.accuracy
        workload = trace_model(model, self.task.example_input, self.task.calibration_input,
                               name=self.task.name)
        mods = dict(model.named_modules())
        zeros, total, per = 0, 0, {}
        for name in self.modules:
            w = mods[name].weight.detach()
            z = int((w == 0).sum().item())
            per[name] = z / w.numel()
            zeros += z
            total += w.numel()
        trained = Trained(key=key, label=label, choices=dict(choices), val_accuracy=val.accuracy,
                          val_loss=val.loss, val_correct=val.correct, accuracy=test, sparsity=zeros / total if total else 0.0,
                          module_sparsity=per, workload=workload, train_seconds=time.monotonic() - t0)
        self._trained[key] = trained
        self._models[key] = model
        return trained

    def _fit(self, masks: dict):
        model = copy.deepcopy(self.task.model)
        if masks:
            apply_masks(model, masks)
        if self.task.finetune is not None:
            torch.manual_seed(self.seed)
            self.task.finetune(model)
        bake_masks(model)
        model.eval()
        return model

    def model(self, key):
        """The fine-tuned model of ``key``.

        A model released to save memory is fine-tuned again from its stored
        masks (deterministic: the same weights).
        """
        if key not in self._models:
            masks = {m: np.unpackbits(bits, count=int(np.prod(shape))).astype(bool).reshape(shape)
                     for m, (bits, shape) in self._masks[key].items()}
            self._models[key] = self._fit(masks)
        return self._models[key]

    def release(self, keep) -> None:
        """Forget the fine-tuned models except those of ``keep`` (and :attr:`keep`); metrics and masks stay."""
        wanted = set(keep) | self.keep
        for key in list(self._models):
            if key not in wanted:
                del self._models[key]

    # ------------------------------------------------------------------ measuring
    def measure(self, trained: Trained, arch, formats=None):
        """Best-format whole-workload simulation of ``trained`` on ``arch``, memoised."""
        key = (trained.key, arch.name, None if formats is None else tuple(formats))
        if key not in self._measures:
            self._measures[key] = measure_workload(trained.workload, arch, self.objective, formats)
        return self._measures[key]

    # ------------------------------------------------------------------ sensitivity
    def sensitivity_metrics(self, model):
        """Metrics of ``model`` under the task's sensitivity function (``evaluate`` if it has none)."""
        fn, where = ((self.task.sensitivity, "sensitivity") if self.task.sensitivity is not None
                     else (self.task.evaluate, "evaluate"))
        return read_metrics(fn(model), where)

    def one_shot_damage(self, model, module: str, mask: np.ndarray, reference) -> float:
        """Damage of pruning ``module`` of ``model`` with ``mask`` alone, without fine-tuning.

        Measured with :meth:`sensitivity_metrics`; ``reference`` is that of
        ``model`` itself. Damage is the loss increase when a loss is given,
        otherwise the accuracy decrease. ``model`` is restored afterwards.
        """
        mod = dict(model.named_modules())[module]
        saved = mod.weight.detach().clone()
        t = torch.from_numpy(np.ascontiguousarray(mask, dtype=bool)).to(saved.device)
        try:
            with torch.no_grad():
                mod.weight.copy_(torch.where(t, saved, torch.zeros((), dtype=saved.dtype)))
            m = self.sensitivity_metrics(model)
        finally:
            with torch.no_grad():
                mod.weight.copy_(saved)
        if reference.loss is not None and m.loss is not None:
            return m.loss - reference.loss
        return reference.accuracy - m.accuracy
