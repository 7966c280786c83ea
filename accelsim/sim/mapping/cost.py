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

    stall = ceil(fill / bw) + max(0, ceil((dram - fill - drain) / bw) - fold_cycles) + ceil(drain / bw)

(``fold_cycles``: the folds' summed cycles, ``compute`` before the ``- 1``
per group.)

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


def _cycles(x):
    """Whole cycles of a transfer: ``ceil`` with 1e-6 cycle of slack for float rounding of the shares."""
    return np.ceil(x - 1e-6)


def _ceil_div(a, b):
    return -(-a // b)


def _refetch(relevant: tuple[int, int], loops: list, scale: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Sum over revisiting loops of ``prefix * (trips - 1) * max(0, WS - cap)`` (see module doc).

    ``loops`` is ``[(dim, trips), ...]`` outer to inner for candidates of one
    loop order (``trips`` arrays); ``scale`` is ``size / (totals of the two
    relevant dimensions)``, the bits of one fold tile of the operand.
    """
    total = np.zeros_like(cap)
    inner = np.ones_like(cap)
    # walk inner to outer: ``inner`` = product of relevant trips inside the loop
    suffix = []
    for dim, trips in reversed(loops):
        suffix.append(inner)
        if dim in relevant:
            inner = inner * trips
    suffix.reverse()
    prefix = None
    for (dim, trips), inside in zip(loops, suffix):
        if dim not in relevant:
            over = np.maximum(inside * scale - cap, 0.0) * (trips - 1)
            total += over if prefix is None else prefix * over
        prefix = trips if prefix is None else prefix * trips
    return total


def _fill_drain(problem, cand: Candidates, n_t: np.ndarray, roles) -> tuple:
    """Bits of the first fold's weights and inputs and of the last fold's outputs.

    The first fold reads what SCALE-Sim's schedule's first fold reads by the
    memory model's shares (:attr:`MappingProblem.first_weight_bits`,
    ``first_input_bits``), cut to the first temporal tile (``tile_t / D``)
    for the operands the temporal dimension indexes. The last fold holds the
    remainders: ``(E - (F - 1) * R) / E`` spatially and
    ``(D - (n_t - 1) * tile_t) / D`` in time.
    """
    row_d, col_d, t_d = roles
    t_name = DIMS[t_d]
    first_t = np.minimum(cand.tile_t, problem.extent_t) / problem.extent_t
    w_share = first_t if t_name in OPERANDS["weights"] else 1.0
    i_share = first_t if t_name in OPERANDS["inputs"] else 1.0
    fill = problem.first_weight_bits * w_share + problem.first_input_bits * i_share
    last = np.ones((cand.size, 3))
    last[:, row_d] = max(problem.extent_row - (problem.folds_row - 1) * problem.rows, 1) / problem.extent_row
    last[:, col_d] = max(problem.extent_col - (problem.folds_col - 1) * problem.cols, 1) / problem.extent_col
    last[:, t_d] = (problem.extent_t - (n_t - 1) * cand.tile_t) / problem.extent_t
    m, n = DIMS.index("m"), DIMS.index("n")
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
    tiles_f = tiles.astype(np.float64)
    f_col_f, f_row_f = cand.f_col.astype(np.float64), cand.f_row.astype(np.float64)
    db = cand.double_buffered.astype(bool)
    cap_w, cap_i, cap_o = (np.where(db, c / 2.0, c) for c in problem.capacity_bits)

    g = problem.groups
    rel = {name: (DIMS.index(a), DIMS.index(b)) for name, (a, b) in OPERANDS.items()}
    w_g, i_g = problem.weight_bits, problem.input_bits
    sizes = {"weights": (w_g, cap_w), "inputs": (i_g * problem.input_revisit_fraction, cap_i),
             "outputs": (problem.psum_bits, cap_o)}
    refetch = {name: np.zeros(count) for name in sizes}
    for o, order in enumerate(ORDERS):
        lo, hi = int(cand.order_start[o]), int(cand.order_start[o + 1])
        if lo == hi:
            continue
        part = slice(lo, hi)
        loops = [(DIMS.index(d), tiles_f[part, DIMS.index(d)]) for d in order]
        loops += [(col_d, f_col_f[part]), (row_d, f_row_f[part])]
        for name, (size, cap) in sizes.items():
            a, b = rel[name]
            scale = size / (totals[part, a] * totals[part, b])
            refetch[name][part] = _refetch((a, b), loops, scale, cap[part])
    weight = g * (w_g + refetch["weights"])
    inputs = g * (i_g + refetch["inputs"])
    spill = g * refetch["outputs"]
    outputs = np.full(count, g * problem.output_bits)

    compute = problem.compute_by_t[cand.t_index]
    dram = weight + inputs + outputs + 2.0 * spill
    bw = problem.bandwidth_bits_per_cycle
    if math.isinf(bw):
        stall = np.zeros(count, dtype=np.int64)
    else:
        fill, drain = _fill_drain(problem, cand, n_t, (row_d, col_d, t_d))
        fill_c, drain_c = _cycles(fill / bw), _cycles(drain / bw)
        middle = _cycles(np.maximum(dram - fill - drain, 0.0) / bw)
        # transfers overlap the folds' own cycles (before SCALE-Sim's "- 1" per group)
        window = compute + problem.active_groups
        overlapped = fill_c + np.maximum(middle - window, 0.0) + drain_c
        stall = np.where(db, overlapped, _cycles(dram / bw)).astype(np.int64)
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
    sram = {key: (v if isinstance(v, np.ndarray) else np.full(count, float(v))) for key, v in sram.items()}
    p = problem.prices
    idle = np.maximum(problem.pes * cycles - problem.busy_pe_cycles, 0)
    energy = (problem.fixed_energy_pj + p["pe_idle_cycles"] * idle
              + p["dram_read_bits"] * (weight + inputs + spill)
              + p["dram_write_bits"] * (outputs + spill)
              + sum(p[f"{key}_bits"] * value for key, value in sram.items()))
    return CandidateCosts(compute.astype(np.int64), stall, cycles.astype(np.int64),
                          problem.folds_by_t[cand.t_index], weight, inputs, outputs, spill, tiles,
                          sram, energy)
