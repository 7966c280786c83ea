"""Fixed pruning masks on a torch module: kept through fine-tuning, zeros exactly ``+0.0``.

A mask is attached with :func:`torch.nn.utils.parametrize.register_parametrization`:
the module's ``weight`` becomes ``torch.where(mask, original, 0.0)``, so any
training loop (the user's own, with its own optimiser) sees the masked
weight in every forward pass, the pruned entries get no gradient, and the
zeros are ``+0.0`` (``weight * mask`` would give ``-0.0`` for negative
weights, which a bit-pattern zero test counts as non-zero).
:func:`bake_masks` removes the parametrisations and leaves plain weights
with the zeros in place.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize

__all__ = ["FixedMask", "apply_masks", "bake_masks", "masked_copy", "prunable_modules", "module_weights"]

#: Module types whose ``weight`` a plan may prune (output channels on axis 0).
PRUNABLE_TYPES = (nn.Conv1d, nn.Conv2d, nn.Linear)


class FixedMask(nn.Module):
    """Parametrisation ``weight -> where(mask, weight, +0.0)`` with a constant boolean mask."""

    def __init__(self, mask: torch.Tensor):
        super().__init__()
        self.register_buffer("mask", mask.to(torch.bool), persistent=False)

    def forward(self, weight: torch.Tensor) -> torch.Tensor:  # noqa: D102 - torch API
        return torch.where(self.mask, weight, torch.zeros((), dtype=weight.dtype, device=weight.device))


def prunable_modules(model: nn.Module) -> dict:
    """``{qualified name: module}`` of the Conv1d/Conv2d/Linear modules, in registration order."""
    return {name: m for name, m in model.named_modules()
            if isinstance(m, PRUNABLE_TYPES) and isinstance(getattr(m, "weight", None), torch.Tensor)}


def module_weights(model: nn.Module, names) -> dict:
    """``{name: float64 numpy copy of the module's weight}`` for the given module names."""
    mods = dict(model.named_modules())
    return {n: mods[n].weight.detach().to("cpu", torch.float64).numpy().copy() for n in names}


def apply_masks(model: nn.Module, masks: dict) -> None:
    """Attach fixed masks in place: ``masks`` maps module names to boolean numpy arrays.

    A module already parametrised by this function gets its parametrisation
    replaced. The current weight values are kept (pruned entries read as 0).
    """
    mods = dict(model.named_modules())
    for name, mask in masks.items():
        module = mods[name]
        if parametrize.is_parametrized(module, "weight"):
            parametrize.remove_parametrizations(module, "weight", leave_parametrized=True)
        t = torch.from_numpy(np.ascontiguousarray(mask, dtype=bool)).to(module.weight.device)
        with torch.no_grad():
            module.weight.copy_(torch.where(t, module.weight, torch.zeros((), dtype=module.weight.dtype)))
        parametrize.register_parametrization(module, "weight", FixedMask(t))


def bake_masks(model: nn.Module) -> None:
    """Remove every weight parametrisation left by :func:`apply_masks`, keeping the masked values."""
    for module in model.modules():
        if parametrize.is_parametrized(module, "weight") and any(
                isinstance(p, FixedMask) for p in module.parametrizations["weight"]):
            parametrize.remove_parametrizations(module, "weight", leave_parametrized=True)
            with torch.no_grad():      # leave_parametrized keeps where(...)'s +0.0; make sure of it
                w = module.weight
                w.copy_(torch.where(w == 0, torch.zeros((), dtype=w.dtype), w))


def masked_copy(model: nn.Module, masks: dict) -> nn.Module:
    """A deep copy of ``model`` with ``masks`` attached (the original is untouched)."""
    clone = copy.deepcopy(model)
    apply_masks(clone, masks)
    return clone
