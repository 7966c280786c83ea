"""Cost of every candidate mapping of a layer at once (vectorised NumPy).

Loop nest of one group, outer to inner: the three tile loops in the
candidate's order (trip counts ``n_d``: tiles along ``d``), then the two fold
loops of SCALE-Sim's order inside a tile (column folds, row folds; trip
counts ``f_col``, ``f_row``), then the stream (the temporal dimension, which
has no fold loop). An operand ``X`` (weights: ``k, n``; inputs: ``m, k``;
outputs: ``m, n``) is indexed by two dimensions; a loop over its third
dimension revisits it. At a revisiting loop ``l``::

    working set  WS_X(l) = |X| * prod_{d of X} (trips of d's loops inside l) / (n_d * f_d)
    re-read      prefix(l) * (trips(l) - 1) * max(0, WS_X(l) - cap_X)

where ``prefix(l)`` is the product of the trip counts outside ``l`` and
``cap_X`` the part of X's buffer that can keep data (half of it when
double buffered, all of it otherwise). Re-reading only what does not fit is
*partial re-fetch*: traffic grows smoothly as the buffer shrinks below the
working set, and never grows with the buffer. For outputs a revisit is a
partial-sum spill (written out at accumulator width and read back). The
stationary operand inside the array (weights in WS, inputs in IS, outputs
in OS) is reused over the stream for free.

Cycles. ``compute`` = the per-fold SCALE-Sim formula summed over folds and
temporal tiles (each temporal tile pays the fold's fill and drain), minus
one per group. DRAM time is ``ceil(bits / bandwidth)``. Double buffered, the
first fold's weights and inputs arrive before compute starts, the last
fold's outputs leave after it ends (:func:`_fill_drain`), and everything
else overlaps compute::

    stall = ceil(fill / bw) + max(0, ceil((dram - fill - drain) / bw) - compute) + ceil(drain / bw)

Single buffered, nothing overlaps: ``stall = ceil(dram / bw)``.

Energy = the layer's per-event prices times its event counts (DRAM and SRAM
bits, idle PE cycles; MACs and index decodes are the same for every mapping).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from accelsim.sim.mapping.space import DIMS, ORDERS, Candidates

__all__ = ["CandidateCosts", "evaluate", "OPERANDS"]

#: Operand -> the two GEMM dimensions indexing it.
OPERANDS = {"weights": ("k", "n"), "inputs": ("m", "k"), "outputs": ("m", "n")}

_ORDER_DIMS = np.array([[DIMS.index(c) for c in order] for order in ORDERS], dtype=np.int64)


@dataclass(frozen=True, eq=False)
class CandidateCosts:
    """Per-candidate costs (arrays ``(C,)``; bits and energies are whole-layer totals).

    Attributes
    ----------
    compute_cycles, stall_cycles, cycles : numpy.ndarray
        int64.
    folds : numpy.ndarray
        Folds executed (temporal tiles of a fold count separately).
    weight_dram_bits, input_dram_bits, output_dram_bits, psum_spill_bits : numpy.ndarray
        DRAM reads of weights and inputs, final output writes, and partial
        sums spilled (each spilled bit is written and read back once).
    tiles : numpy.ndarray
        ``(C, 3)`` tile trip counts along m, n, k.
    sram_bits : dict
        ``weight_sram_read`` ... ``output_sram_write`` arrays.
    energy_pj : numpy.ndarray
    """

    compute_cycles: np.ndarray
    stall_cycles: np.ndarray
    cycles: np.ndarray
    folds: np.ndarray
    weight_dram_bits: np.ndarray
    input_dram_bits: np.ndarray
    output_dram_bits: np.ndarray
    psum_spill_bits: np.ndarray
    tiles: np.ndarray
    sram_bits: dict
    energy_pj: np.ndarray

    @property
    def dram_read_bits(self) -> np.ndarray:
        """Weights + inputs + spilled partial sums read back."""
        return self.weight_dram_bits + self.input_dram_bits + self.psum_spill_bits

    @property
    def dram_write_bits(self) -> np.ndarray:
        """Outputs + spilled partial sums."""
        return self.output_dram_bits + self.psum_spill_bits


def _ceil_div(a, b):
    return -(-a // b)


def _refetch(size: float, relevant: tuple[int, int], trips: list, dims: list, totals: np.ndarray,
             cap: np.ndarray) -> np.ndarray:
    """Sum over revisiting loops of ``prefix * (trips - 1) * max(0, WS - cap)`` (see module doc)."""
    levels = len(trips)
    # suffix[l] = product of the relevant-dimension trips strictly inside loop l
    suffix = [None] * levels
    inner = np.ones_like(cap)
    for pos in range(levels - 1, -1, -1):
        suffix[pos] = inner
        is_rel = (dims[pos] == relevant[0]) | (dims[pos] == relevant[1])
        inner = inner * np.where(is_rel, trips[pos], 1)
    scale = size / (totals[:, relevant[0]] * totals[:, relevant[1]])
    total = np.zeros_like(cap)
    prefix = np.ones_like(cap)
    for pos in range(levels):
        revisits = (dims[pos] != relevant[0]) & (dims[pos] != relevant[1])
        working = suffix[pos] * scale
        total = total + np.where(revisits, prefix * (trips[pos] - 1) * np.maximum(working - cap, 0.0),
                                 0.0)
        prefix = prefix * trips[pos]
    return total


def _fill_drain(problem, cand: Candidates, n_t: np.ndarray, roles) -> tuple:
    """Bits of the first fold's weights and inputs and of the last fold's outputs.

    The first fold's share of an operand along a spatial dimension is one
    fold of its ``F`` folds (``1/F``, the memory model's even split), along
    the temporal dimension the first tile (``tile_t / D``). The last fold
    holds the remainders: ``(E - (F - 1) * R) / E`` spatially and
    ``(D - (n_t - 1) * tile_t) / D`` in time.
    """
    row_d, col_d, t_d = roles
    first = np.ones((cand.size, 3))
    last = np.ones((cand.size, 3))
    first[:, row_d] = 1.0 / problem.folds_row
    first[:, col_d] = 1.0 / problem.folds_col
    first[:, t_d] = np.minimum(cand.tile_t, problem.extent_t) / problem.extent_t
    last[:, row_d] = max(problem.extent_row - (problem.folds_row - 1) * problem.rows, 1) / problem.extent_row
    last[:, col_d] = max(problem.extent_col - (problem.folds_col - 1) * problem.cols, 1) / problem.extent_col
    last[:, t_d] = (problem.extent_t - (n_t - 1) * cand.tile_t) / problem.extent_t
    m, n, k = (DIMS.index(d) for d in "mnk")
    fill = (problem.weight_bits * first[:, k] * first[:, n]
            + problem.input_bits * first[:, m] * first[:, k])
    drain = problem.output_bits * last[:, m] * last[:, n]
    return fill, drain


def evaluate(problem, cand: Candidates) -> CandidateCosts:
    """Costs of every candidate of ``problem`` (a :class:`~accelsim.sim.mapping.MappingProblem`)."""
    row_d, col_d, t_d = (DIMS.index(d) for d in problem.roles)
    count = cand.size
    n_row = _ceil_div(problem.folds_row, cand.f_row)
    n_col = _ceil_div(problem.folds_col, cand.f_col)
    n_t = _ceil_div(problem.extent_t, cand.tile_t)
    tiles = np.empty((count, 3), dtype=np.int64)
    folds = np.ones((count, 3), dtype=np.int64)
    tiles[:, row_d], tiles[:, col_d], tiles[:, t_d] = n_row, n_col, n_t
    folds[:, row_d], folds[:, col_d] = cand.f_row, cand.f_col
    totals = (tiles * folds).astype(np.float64)
    order_dims = _ORDER_DIMS[cand.order]                               # (C, 3)
    trips = [tiles[np.arange(count), order_dims[:, i]].astype(np.float64) for i in range(3)]
    trips += [cand.f_col.astype(np.float64), cand.f_row.astype(np.float64)]
    dims = [order_dims[:, i] for i in range(3)] + [np.full(count, col_d), np.full(count, row_d)]
    db = cand.double_buffered.astype(bool)
    cap_w, cap_i, cap_o = (np.where(db, c / 2.0, c) for c in problem.capacity_bits)

    g = problem.groups
    rel = {name: (DIMS.index(a), DIMS.index(b)) for name, (a, b) in OPERANDS.items()}
    w_g, i_g = problem.weight_bits, problem.input_bits
    weight = g * (w_g + _refetch(w_g, rel["weights"], trips, dims, totals, cap_w))
    inputs = g * (i_g + _refetch(i_g * problem.input_revisit_fraction, rel["inputs"], trips, dims,
                                 totals, cap_i))
    spill = g * _refetch(problem.psum_bits, rel["outputs"], trips, dims, totals, cap_o)
    outputs = np.full(count, g * problem.output_bits)

    compute = problem.compute_by_t[cand.t_index]
    dram = weight + inputs + outputs + 2.0 * spill
    bw = problem.bandwidth_bits_per_cycle
    if math.isinf(bw):
        stall = np.zeros(count, dtype=np.int64)
    else:
        fill, drain = _fill_drain(problem, cand, n_t, (row_d, col_d, t_d))
        fill_c, drain_c = np.ceil(fill / bw), np.ceil(drain / bw)
        middle = np.ceil(np.maximum(dram - fill - drain, 0.0) / bw)
        overlapped = fill_c + np.maximum(middle - compute, 0.0) + drain_c
        stall = np.where(db, overlapped, np.ceil(dram / bw)).astype(np.int64)
    cycles = compute + stall

    base = problem.sram_base
    stationary = problem.stationary_sram_by_t[cand.t_index]
    sram = {
        "weight_sram_read": base["weight_sram_read"] + (stationary if problem.stationary_level == "weight_sram" else 0.0),
        "weight_sram_write": weight,
        "input_sram_read": base["input_sram_read"] + (stationary if problem.stationary_level == "input_sram" else 0.0),
        "input_sram_write": inputs,
        "output_sram_read": base["output_sram_read"] + spill
        + (stationary / 2.0 if problem.stationary_level == "output_sram" else 0.0),
        "output_sram_write": base["output_sram_write"] + spill
        + (stationary / 2.0 if problem.stationary_level == "output_sram" else 0.0),
    }
    sram = {key: np.broadcast_to(np.asarray(v, dtype=np.float64), (count,)) for key, v in sram.items()}
    p = problem.prices
    idle = np.maximum(problem.pes * cycles - problem.busy_pe_cycles, 0)
    energy = (problem.fixed_energy_pj + p["pe_idle_cycles"] * idle
              + p["dram_read_bits"] * (weight + inputs + spill)
              + p["dram_write_bits"] * (outputs + spill)
              + sum(p[f"{key}_bits"] * value for key, value in sram.items()))
    return CandidateCosts(compute.astype(np.int64), stall, cycles.astype(np.int64),
                          problem.folds_by_t[cand.t_index], weight, inputs, outputs, spill, tiles,
                          sram, energy)
