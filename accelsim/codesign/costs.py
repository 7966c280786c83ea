"""Simulated cost of every (layer, candidate, format) on an arch, memoised within one search.

The simulator runs the layers of a workload back to back and its total is
the sum of the per-layer results (``accelsim.sim.simulate``: ``SimTotal``
sums ``LayerResult``), so the cost of a whole plan is the sum of its layers'
costs. Each per-layer cost here is one :func:`accelsim.simulate` call on a
one-layer workload holding the candidate's masked weight, with the input
density measured on the reference model; it is cached per (layer, candidate,
format), since a candidate's mask depends only on the reference weights.
The final models are measured again end to end (:mod:`accelsim.codesign.measure`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.codesign.candidates import DENSE, candidate_mask
from accelsim.workload.layer import Workload

__all__ = ["LayerCost", "CostTable", "masked_weight"]


@dataclass(frozen=True)
class LayerCost:
    """Simulated cost of one layer: ``energy_pj`` (total, pJ) and ``cycles``."""

    energy_pj: float
    cycles: int


def masked_weight(weight: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``weight`` with the pruned entries set to ``+0.0`` (never ``-0.0``), same dtype."""
    w = np.asarray(weight)
    return np.where(mask, w, np.zeros((), dtype=w.dtype)).astype(w.dtype, copy=False)


class CostTable:
    """Per-layer simulated costs of candidates on one arch (memoised).

    Parameters
    ----------
    workload : Workload
        The reference (dense) workload: shapes, real weights, measured input
        densities. Layers no plan prunes (matmuls) are fixed costs.
    arch : accelsim.spec.ArchSpec
    prunable : dict of str -> (numpy.ndarray, str)
        ``module name -> (reference weight in module layout, kind)`` of the
        modules a plan may prune; masks are computed on these weights.
    layer_module : dict of str -> str
        ``layer name -> module name`` for the traced layers of those modules
        (a module called twice has two layers).
    """

    def __init__(self, workload: Workload, arch, prunable: dict, layer_module: dict):
        self.workload = workload
        self.arch = arch
        self.prunable = dict(prunable)
        self.layer_module = dict(layer_module)
        self._layers = {layer.name: layer for layer in workload.layers}
        self._module_layers: dict[str, list[str]] = {}
        for layer in workload.layers:
            if layer.name in self.layer_module:
                self._module_layers.setdefault(self.layer_module[layer.name], []).append(layer.name)
        self._masks: dict[tuple, np.ndarray] = {}
        self._cache: dict[tuple, LayerCost] = {}
        self.simulations = 0

    def mask(self, module: str, candidate: str) -> np.ndarray:
        """Keep-mask of ``module`` under ``candidate`` (module layout), memoised."""
        key = (module, candidate)
        if key not in self._masks:
            weight, kind = self.prunable[module]
            self._masks[key] = candidate_mask(weight, candidate, kind)
        return self._masks[key]

    def layer_cost(self, name: str, candidate: str, fmt) -> LayerCost:
        """Cost of traced layer ``name`` with its module pruned by ``candidate``, in format ``fmt``."""
        key = (name, candidate, fmt)
        cost = self._cache.get(key)
        if cost is None:
            from accelsim.sim import simulate

            layer = self._layers[name]
            if candidate != DENSE:
                module = self.layer_module[name]
                weight, _ = self.prunable[module]
                pruned = masked_weight(weight, self.mask(module, candidate))
                layer = layer.with_weight(pruned.reshape(np.shape(layer.weight)).astype(np.float32))
            result = simulate(Workload(self.workload.name, (layer,), source=self.workload.source),
                              self.arch, format=fmt)
            cost = LayerCost(float(result.total.energy_pj), int(result.total.cycles))
            self._cache[key] = cost
            self.simulations += 1
        return cost

    def module_cost(self, module: str, candidate: str, fmt) -> LayerCost:
        """Summed cost of the traced layers of ``module`` under ``candidate``."""
        energy, cycles = 0.0, 0
        for name in self._module_layers[module]:
            c = self.layer_cost(name, candidate, fmt)
            energy += c.energy_pj
            cycles += c.cycles
        return LayerCost(energy, cycles)

    def fixed_cost(self, fmt) -> LayerCost:
        """Summed cost of the layers no plan changes (matmuls, attention projections)."""
        energy, cycles = 0.0, 0
        for layer in self.workload.layers:
            if layer.name not in self.layer_module:
                c = self.layer_cost(layer.name, DENSE, fmt)
                energy += c.energy_pj
                cycles += c.cycles
        return LayerCost(energy, cycles)

    def plan_cost(self, choices: dict, fmt) -> LayerCost:
        """Predicted cost of a plan ``{module name: candidate}`` (missing: dense), summed in layer order."""
        energy, cycles = 0.0, 0
        for layer in self.workload.layers:
            module = self.layer_module.get(layer.name)
            c = self.layer_cost(layer.name, choices.get(module, DENSE) if module else DENSE, fmt)
            energy += c.energy_pj
            cycles += c.cycles
        return LayerCost(energy, cycles)
