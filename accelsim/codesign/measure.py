"""Measure a (pruned) model's workload on an arch with the simulator, in its best weight format."""

from __future__ import annotations

from dataclasses import dataclass

from accelsim.codesign.candidates import format_choices

__all__ = ["OBJECTIVES", "Measure", "measure_workload", "objective_value", "format_label"]

#: What a search minimises: energy (pJ), latency (cycles) or the energy-delay product.
OBJECTIVES = ("energy", "latency", "edp")


@dataclass(frozen=True)
class Measure:
    """A whole-workload simulation of one model on one arch.

    Attributes
    ----------
    arch : str
    format : str or None
        Weight format it ran in; None is the arch's native format with dense
        fallback (``accelsim simulate`` without ``--format``).
    energy_pj : float
    cycles : int
    latency_s : float
    layers : tuple of dict
        Per layer: ``name``, ``format``, ``exploited``, ``cycles``, ``energy_pj``.
    """

    arch: str
    format: object
    energy_pj: float
    cycles: int
    latency_s: float
    layers: tuple

    def objective(self, objective: str) -> float:
        """The value of ``objective`` for this measure (lower is better)."""
        return objective_value(objective, self.energy_pj, self.cycles)

    def to_dict(self) -> dict:
        """JSON-ready."""
        return {"arch": self.arch, "format": format_label(self.format), "energy_pj": self.energy_pj,
                "cycles": self.cycles, "latency_s": self.latency_s, "layers": [dict(l) for l in self.layers]}


def format_label(fmt) -> str:
    """``"native"`` for None, else the format string."""
    return "native" if fmt is None else str(fmt)


def objective_value(objective: str, energy_pj: float, cycles: int) -> float:
    """Energy (pJ), cycles, or energy x cycles (pJ x cycles)."""
    if objective == "energy":
        return float(energy_pj)
    if objective == "latency":
        return float(cycles)
    return float(energy_pj) * float(cycles)


def _simulate(workload, arch, fmt) -> Measure:
    from accelsim.sim import simulate

    r = simulate(workload, arch, format=fmt)
    layers = tuple({"name": l.name, "format": l.format, "exploited": bool(l.exploited), "cycles": int(l.cycles),
                    "energy_pj": float(l.energy_pj["total"])} for l in r.layers)
    return Measure(arch.name, fmt, float(r.total.energy_pj), int(r.total.cycles), float(r.total.latency_s), layers)


def measure_workload(workload, arch, objective: str, formats=None) -> Measure:
    """Simulate ``workload`` on ``arch`` in every candidate format; return the best by ``objective``.

    Parameters
    ----------
    formats : sequence, optional
        Formats to try; default the arch's formats (:func:`format_choices`) and
        ``"dense"``. Ties keep the earlier format.
    """
    formats = tuple(formats) if formats is not None else format_choices(arch) + ("dense",)
    best = None
    for fmt in formats:
        m = _simulate(workload, arch, fmt)
        if best is None or m.objective(objective) < best.objective(objective):
            best = m
    return best
