"""What pruning did: target and reached sparsity per layer and overall."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["LayerPruneReport", "PruneReport", "layer_report", "no_weight_note"]


@dataclass(frozen=True)
class LayerPruneReport:
    """Pruning result of one layer (or of a single array).

    Attributes
    ----------
    name : str
    target_sparsity : float
        What the scheme aims for (``S``, or ``1 - N/M`` for N:M).
    reached_sparsity : float
        ``1 - nonzeros / params``: the fraction of zeros in the weight, where
        weights removed by ``shrink`` count as zeros. 0.0 for layers without
        a weight.
    params : int
        Weights before pruning (0 for layers without a weight).
    nonzeros : int
        Non-zero weights after pruning.
    shape_before, shape_after : tuple of int
        Weight shapes (differ only when channels were removed); ``()`` for
        layers without a weight.
    notes : tuple of str
        E.g. ``"not applicable: 1x1 kernel"``.
    """

    name: str
    target_sparsity: float
    reached_sparsity: float
    params: int
    nonzeros: int
    shape_before: tuple = ()
    shape_after: tuple = ()
    notes: tuple = ()

    def to_dict(self) -> dict:
        """Plain JSON-ready dict."""
        return {
            "name": self.name,
            "target_sparsity": self.target_sparsity,
            "reached_sparsity": self.reached_sparsity,
            "params": self.params,
            "nonzeros": self.nonzeros,
            "shape_before": list(self.shape_before),
            "shape_after": list(self.shape_after),
            "notes": list(self.notes),
        }


def no_weight_note(kind: str) -> str:
    """Report note for a layer that has no weight to prune."""
    what = "matmul operands are activations" if kind == "matmul" else "shape-only layer"
    return f"not applicable: no weight ({what})"


def layer_report(name: str, target: float, before, after, notes=()) -> LayerPruneReport:
    """Build a :class:`LayerPruneReport` from the weights before and after (or None)."""
    if before is None:
        return LayerPruneReport(name, float(target), 0.0, 0, 0, (), (), tuple(notes))
    params = int(np.size(before))
    nonzeros = int(np.count_nonzero(after))
    reached = (params - nonzeros) / params
    return LayerPruneReport(name, float(target), reached, params, nonzeros,
                            tuple(int(d) for d in np.shape(before)),
                            tuple(int(d) for d in np.shape(after)), tuple(notes))


@dataclass(frozen=True)
class PruneReport:
    """Pruning result of an array, a layer or a workload.

    Attributes
    ----------
    scheme : str
        Canonical scheme string.
    target_sparsity : float
    layers : tuple of LayerPruneReport
        In workload order (one entry for an array or a layer).
    """

    scheme: str
    target_sparsity: float
    layers: tuple = ()

    @property
    def params(self) -> int:
        """Weights before pruning, all layers."""
        return sum(layer.params for layer in self.layers)

    @property
    def nonzeros(self) -> int:
        """Non-zero weights after pruning, all layers."""
        return sum(layer.nonzeros for layer in self.layers)

    @property
    def reached_sparsity(self) -> float:
        """Overall reached sparsity, weighted by parameter count (0.0 if no weights)."""
        return (self.params - self.nonzeros) / self.params if self.params else 0.0

    def __getitem__(self, name: str) -> LayerPruneReport:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def to_dict(self) -> dict:
        """Plain JSON-ready dict."""
        return {
            "scheme": self.scheme,
            "target_sparsity": self.target_sparsity,
            "reached_sparsity": self.reached_sparsity,
            "params": self.params,
            "nonzeros": self.nonzeros,
            "layers": [layer.to_dict() for layer in self.layers],
        }

    def __str__(self) -> str:
        lines = [f"pruning {self.scheme}: reached {self.reached_sparsity:.4f} overall "
                 f"(target {self.target_sparsity:.4f}, {self.params - self.nonzeros} of "
                 f"{self.params} weights zero or removed)"]
        for layer in self.layers:
            note = f"  [{'; '.join(layer.notes)}]" if layer.notes else ""
            lines.append(f"  {layer.name}: {layer.reached_sparsity:.4f} "
                         f"(target {layer.target_sparsity:.4f}){note}")
        return "\n".join(lines)
