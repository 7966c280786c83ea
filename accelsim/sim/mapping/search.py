"""The mapper: the best mapping of a layer for an objective, by exhaustive search of the space.

:func:`map_layer` evaluates every candidate of
:func:`~accelsim.sim.mapping.space.candidates` with the vectorised cost model
(:func:`~accelsim.sim.mapping.cost.evaluate`) and returns the one with the
smallest objective. Nothing is pruned, so the choice is the optimum of the
space under the cost model. Ties are broken by energy, then cycles, then
DRAM bits, then the fixed candidate order; the function is pure (no cache,
no randomness).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from accelsim.sim.mapping.cost import evaluate
from accelsim.sim.mapping.space import DIMS, ORDERS, ROLES, candidates

__all__ = ["Mapping", "map_layer", "objective_values", "scalesim_mapping"]

#: SCALE-Sim's loop order per dataflow, described like a tile loop order (outer to inner).
_SCALESIM_ORDER = {"ws": "nkm", "os": "nmk", "is": "mkn"}


@dataclass(frozen=True)
class Mapping:
    """The mapping a layer ran with.

    Attributes
    ----------
    mode : {"auto", "scalesim"}
    objective : str or None
        ``latency``, ``energy`` or ``edp`` (None for ``scalesim``).
    dataflow : {"ws", "os", "is"}
    order : str
        Tile loops, outer to inner (e.g. ``"mnk"``). For ``scalesim``: its
        fold order with the streamed dimension last.
    tile_m, tile_n, tile_k : int
        Tile sizes in GEMM elements (reduction: array rows of the compressed
        stream for N:M; spatial tiles are whole folds).
    tiles_m, tiles_n, tiles_k : int
        Tiles along each dimension.
    double_buffered : bool
    resident : str
        The operand that stays on chip across the innermost tile loop with
        more than one trip (``"none"`` when every loop has one trip).
    reduction : str
        ``"on chip"`` or ``"spills to DRAM"`` (partial sums written out and read back).
    dram_bits : mapping
        ``weights``, ``inputs`` (reads), ``outputs`` (final writes),
        ``psum_spill`` (partial sums written out; each is read back too).
    """

    mode: str
    objective: str | None
    dataflow: str
    order: str
    tile_m: int
    tile_n: int
    tile_k: int
    tiles_m: int
    tiles_n: int
    tiles_k: int
    double_buffered: bool
    resident: str
    reduction: str
    dram_bits: MappingProxyType

    def __post_init__(self) -> None:
        object.__setattr__(self, "dram_bits", MappingProxyType(dict(self.dram_bits)))

    def __reduce__(self):
        values = [getattr(self, f) for f in self.__dataclass_fields__]
        values[-1] = dict(values[-1])
        return self.__class__, tuple(values)

    def to_dict(self) -> dict:
        """Plain JSON-ready dictionary."""
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out["dram_bits"] = dict(self.dram_bits)
        return out

    def describe(self) -> str:
        """One line, e.g. ``auto(edp) mnk tiles 1568x64x288 db, weights resident``."""
        head = f"auto({self.objective})" if self.mode == "auto" else "scalesim"
        db = "db" if self.double_buffered else "sb"
        return (f"{head} {self.order} tile {self.tile_m}x{self.tile_n}x{self.tile_k} {db}, "
                f"{self.resident} resident, reduction {self.reduction}")


def objective_values(costs, objective: str) -> np.ndarray:
    """The objective of every candidate: cycles, energy in pJ, or their product."""
    if objective == "latency":
        return costs.cycles.astype(np.float64)
    if objective == "energy":
        return costs.energy_pj
    return costs.energy_pj * costs.cycles


def _resident(order: str, tiles: dict) -> str:
    for dim in reversed(order):
        if tiles[dim] > 1:
            return {"m": "weights", "n": "inputs", "k": "outputs"}[dim]
    return "none"


def _tile_sizes(problem, f_row: int, f_col: int, tile_t: int, extents: dict) -> dict:
    row_d, col_d, t_d = ROLES[problem.dataflow]
    return {row_d: min(f_row * problem.rows, extents[row_d]),
            col_d: min(f_col * problem.cols, extents[col_d]), t_d: min(tile_t, extents[t_d])}


def map_layer(problem, objective: str, extents: dict):
    """Best mapping of one layer.

    Parameters
    ----------
    problem : MappingProblem
    objective : {"latency", "energy", "edp"}
    extents : dict
        ``{"m": M, "n": N, "k": K}`` of one group (for the reported tile sizes).

    Returns
    -------
    mapping : Mapping
    index : int
        Index of the chosen candidate.
    costs : CandidateCosts
        Costs of every candidate (the chosen one at ``index``).
    cand : Candidates
    """
    if objective not in ("latency", "energy", "edp"):
        raise ValueError(f"objective must be latency, energy or edp, not {objective!r}")
    cand = candidates(problem.folds_row, problem.folds_col, problem.extent_t, problem.roles)
    costs = evaluate(problem, cand)
    value = objective_values(costs, objective)
    dram = costs.dram_read_bits + costs.dram_write_bits
    ranked = np.lexsort((np.arange(cand.size), dram, costs.cycles, costs.energy_pj, value))
    best = int(ranked[0])
    tiles = {d: int(costs.tiles[best, i]) for i, d in enumerate(DIMS)}
    order = ORDERS[int(cand.order[best])]
    sizes = _tile_sizes(problem, int(cand.f_row[best]), int(cand.f_col[best]),
                        int(cand.tile_t[best]), extents)
    spill = float(costs.psum_spill_bits[best])
    mapping = Mapping(
        mode="auto", objective=objective, dataflow=problem.dataflow, order=order,
        tile_m=sizes["m"], tile_n=sizes["n"], tile_k=sizes["k"],
        tiles_m=tiles["m"], tiles_n=tiles["n"], tiles_k=tiles["k"],
        double_buffered=bool(cand.double_buffered[best]), resident=_resident(order, tiles),
        reduction="spills to DRAM" if spill > 0 else "on chip",
        dram_bits={"weights": int(round(float(costs.weight_dram_bits[best]))),
                   "inputs": int(round(float(costs.input_dram_bits[best]))),
                   "outputs": int(round(float(costs.output_dram_bits[best]))),
                   "psum_spill": int(round(spill))})
    return mapping, best, costs, cand


def scalesim_mapping(dataflow: str, rows: int, cols: int, extents: dict, dram_bits: dict) -> Mapping:
    """SCALE-Sim's fixed mapping described as a :class:`Mapping` (tiles are single folds)."""
    row_d, col_d, t_d = ROLES[dataflow]
    size = {row_d: min(rows, extents[row_d]), col_d: min(cols, extents[col_d]), t_d: extents[t_d]}
    count = {d: -(-max(extents[d], 1) // max(size[d], 1)) for d in DIMS}
    order = _SCALESIM_ORDER[dataflow]
    return Mapping(mode="scalesim", objective=None, dataflow=dataflow, order=order,
                   tile_m=size["m"], tile_n=size["n"], tile_k=size["k"], tiles_m=count["m"],
                   tiles_n=count["n"], tiles_k=count["k"], double_buffered=True,
                   resident=_resident(order, count),
                   reduction="spills to DRAM" if dram_bits.get("psum_spill", 0) else "on chip",
                   dram_bits=dram_bits)
