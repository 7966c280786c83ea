"""Cost of every candidate mapping of a layer at once (one Numba loop over the candidates).

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
fold's outputs leave after it ends, and everything
else overlaps compute::

    stall = ceil(fill / bw) + max(0, ceil((dram - fill - drain) / bw) - fold_cycles) + ceil(drain / bw)

(``fold_cycles``: the folds' summed cycles, ``compute`` before the ``- 1``
per group.)

Single buffered, nothing overlaps: ``stall = ceil(dram / bw)``.

Energy = the layer's per-event prices times its event counts (DRAM and SRAM
bits, idle PE cycles; MACs and index decodes are the same for every mapping).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
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


_LEVELS = ("weight_sram", "input_sram", "output_sram")
#: ``_ORDER_DIMS[o]``: the dimension indices of :data:`ORDERS` ``[o]``, outer to inner.
_ORDER_DIMS = np.array([[DIMS.index(d) for d in order] for order in ORDERS], dtype=np.int64)
#: Operand -> its two dimension indices, in the kernel's operand order (weights, inputs, outputs).
_OPERAND_DIMS = np.array([[DIMS.index(d) for d in OPERANDS[name]] for name in ("weights", "inputs", "outputs")],
                         dtype=np.int64)


@numba.njit(cache=True)
def _refetch_one(loop_dims, loop_trips, a, b, scale, cap):
    """Sum over revisiting loops of ``prefix * (trips - 1) * max(0, WS - cap)`` (see module doc).

    ``loop_dims``/``loop_trips`` are the candidate's five loops, outer to
    inner; ``a``, ``b`` the operand's dimensions; ``scale`` the bits of one
    fold tile of the operand.
    """
    total = 0.0
    prefix = 1.0
    for pos in range(loop_dims.size):
        dim = loop_dims[pos]
        trips = loop_trips[pos]
        if dim != a and dim != b:
            inside = 1.0
            for q in range(loop_dims.size - 1, pos, -1):
                if loop_dims[q] == a or loop_dims[q] == b:
                    inside = inside * loop_trips[q]
            over = max(inside * scale - cap, 0.0) * (trips - 1.0)
            total += over if pos == 0 else prefix * over
        prefix = trips if pos == 0 else prefix * trips
    return total


@numba.njit(cache=True)
def _whole_cycles(x):
    """Whole cycles of a transfer: ``ceil`` with 1e-6 cycle of slack for float rounding of the shares."""
    return np.ceil(x - 1e-6)


@numba.njit(cache=True)
def _cost_kernel(f_row, f_col, tile_t, t_index, order, double_buffered, order_dims, operand_dims,
                 roles, spatial, sizes, capacity, compute_by_t, stationary_by_t, stationary_level,
                 groups, active_groups, bw, first_bits, output_bits, sram_base, prices, fixed_energy_pj,
                 pes, busy_pe_cycles,
                 compute_out, stall_out, cycles_out, tiles_out, dram_out, sram_out, energy_out):
    """Costs of every candidate (one loop over candidates; the module doc's formulas).

    ``roles`` = (row, column, temporal) dimension indices; ``spatial`` =
    (folds_row, folds_col, extent_t, extent_row, extent_col, rows, cols);
    ``sizes`` = per-group weight, revisited input and psum bits (the sizes the
    re-fetch rule uses), then weight and input bits; ``first_bits`` = the first
    fold's weight and input bits; ``sram_base`` = weight read, input read,
    output read, output write; ``prices`` = idle, DRAM read, DRAM write, then the
    six SRAM prices in ``sram_out``'s row order (weight read/write, input
    read/write, output read/write). Outputs: ``dram_out[:, 0:4]`` = weight,
    input, output and spill bits.
    """
    row_d, col_d, t_d = roles[0], roles[1], roles[2]
    folds_row, folds_col, extent_t = spatial[0], spatial[1], spatial[2]
    extent_row, extent_col, rows, cols = spatial[3], spatial[4], spatial[5], spatial[6]
    last_row = max(extent_row - (folds_row - 1) * rows, 1) / extent_row
    last_col = max(extent_col - (folds_col - 1) * cols, 1) / extent_col
    w_uses_t = operand_dims[0, 0] == t_d or operand_dims[0, 1] == t_d
    i_uses_t = operand_dims[1, 0] == t_d or operand_dims[1, 1] == t_d
    unlimited = np.isinf(bw)
    loop_dims = np.empty(5, dtype=np.int64)
    loop_trips = np.empty(5, dtype=np.float64)
    tiles = np.empty(3, dtype=np.int64)
    totals = np.empty(3, dtype=np.float64)
    last = np.empty(3, dtype=np.float64)
    refetch = np.empty(3, dtype=np.float64)
    for c in range(f_row.size):
        n_t = -(-extent_t // tile_t[c])
        tiles[row_d] = -(-folds_row // f_row[c])
        tiles[col_d] = -(-folds_col // f_col[c])
        tiles[t_d] = n_t
        totals[row_d] = float(tiles[row_d] * f_row[c])
        totals[col_d] = float(tiles[col_d] * f_col[c])
        totals[t_d] = float(n_t)
        for i in range(3):
            tiles_out[c, i] = tiles[i]
            loop_dims[i] = order_dims[order[c], i]
            loop_trips[i] = float(tiles[loop_dims[i]])
        loop_dims[3], loop_trips[3] = col_d, float(f_col[c])
        loop_dims[4], loop_trips[4] = row_d, float(f_row[c])
        db = double_buffered[c] != 0
        for x in range(3):
            a, b = operand_dims[x, 0], operand_dims[x, 1]
            cap = capacity[x] / 2.0 if db else capacity[x]
            scale = sizes[x] / (totals[a] * totals[b])
            refetch[x] = _refetch_one(loop_dims, loop_trips, a, b, scale, cap)
        weight = groups * (sizes[3] + refetch[0])
        inputs = groups * (sizes[4] + refetch[1])
        spill = groups * refetch[2]
        outputs = groups * output_bits
        compute = compute_by_t[t_index[c]]
        dram = weight + inputs + outputs + 2.0 * spill
        if unlimited:
            stall = 0
        elif db:
            first_t = min(tile_t[c], extent_t) / extent_t
            fill = first_bits[0] * (first_t if w_uses_t else 1.0) + first_bits[1] * (first_t if i_uses_t else 1.0)
            last[row_d] = last_row
            last[col_d] = last_col
            last[t_d] = (extent_t - (n_t - 1) * tile_t[c]) / extent_t
            drain = output_bits * last[0] * last[1]
            fill_c = _whole_cycles(fill / bw)
            drain_c = _whole_cycles(drain / bw)
            middle = _whole_cycles(max(dram - fill - drain, 0.0) / bw)
            window = compute + active_groups
            stall = np.int64(fill_c + max(middle - window, 0.0) + drain_c)
        else:
            stall = np.int64(_whole_cycles(dram / bw))
        cycles = compute + stall
        stationary = stationary_by_t[t_index[c]]
        w_read = sram_base[0] + (stationary if stationary_level == 0 else 0.0)
        i_read = sram_base[1] + (stationary if stationary_level == 1 else 0.0)
        o_read = sram_base[2] + spill + (stationary / 2.0 if stationary_level == 2 else 0.0)
        o_write = sram_base[3] + spill + (stationary / 2.0 if stationary_level == 2 else 0.0)
        sram_out[0, c], sram_out[1, c], sram_out[2, c] = w_read, weight, i_read
        sram_out[3, c], sram_out[4, c], sram_out[5, c] = inputs, o_read, o_write
        idle = max(pes * cycles - busy_pe_cycles, 0)
        sram_energy = 0.0
        for r in range(6):
            sram_energy = sram_energy + prices[3 + r] * sram_out[r, c]
        energy_out[c] = (fixed_energy_pj + prices[0] * idle + prices[1] * (weight + inputs + spill)
                         + prices[2] * (outputs + spill) + sram_energy)
        compute_out[c], stall_out[c], cycles_out[c] = compute, stall, cycles
        dram_out[c, 0], dram_out[c, 1], dram_out[c, 2], dram_out[c, 3] = weight, inputs, outputs, spill


_SRAM_KEYS = ("weight_sram_read", "weight_sram_write", "input_sram_read", "input_sram_write",
              "output_sram_read", "output_sram_write")


def evaluate(problem, cand: Candidates) -> CandidateCosts:
    """Costs of every candidate of ``problem`` (a :class:`~accelsim.sim.mapping.MappingProblem`)."""
    roles = np.array([DIMS.index(d) for d in problem.roles], dtype=np.int64)
    count = cand.size
    g = problem.groups
    sizes = np.array([problem.weight_bits, problem.input_bits * problem.input_revisit_fraction,
                      problem.psum_bits, problem.weight_bits, problem.input_bits], dtype=np.float64)
    spatial = np.array([problem.folds_row, problem.folds_col, problem.extent_t, problem.extent_row,
                        problem.extent_col, problem.rows, problem.cols], dtype=np.int64)
    base = problem.sram_base
    p = problem.prices
    prices = np.array([p["pe_idle_cycles"], p["dram_read_bits"], p["dram_write_bits"]]
                      + [p[f"{key}_bits"] for key in _SRAM_KEYS], dtype=np.float64)
    compute = np.empty(count, dtype=np.int64)
    stall = np.empty(count, dtype=np.int64)
    cycles = np.empty(count, dtype=np.int64)
    tiles = np.empty((count, 3), dtype=np.int64)
    dram = np.empty((count, 4), dtype=np.float64)
    sram = np.empty((6, count), dtype=np.float64)
    energy = np.empty(count, dtype=np.float64)
    _cost_kernel(cand.f_row, cand.f_col, cand.tile_t, cand.t_index, cand.order, cand.double_buffered,
                 _ORDER_DIMS, _OPERAND_DIMS, roles, spatial, sizes,
                 np.array(problem.capacity_bits, dtype=np.float64), problem.compute_by_t,
                 problem.stationary_sram_by_t, _LEVELS.index(problem.stationary_level), int(g),
                 int(problem.active_groups), float(problem.bandwidth_bits_per_cycle),
                 np.array([problem.first_weight_bits, problem.first_input_bits], dtype=np.float64),
                 float(problem.output_bits),
                 np.array([base["weight_sram_read"], base["input_sram_read"], base["output_sram_read"],
                           base["output_sram_write"]], dtype=np.float64),
                 prices, float(problem.fixed_energy_pj), int(problem.pes), int(problem.busy_pe_cycles),
                 compute, stall, cycles, tiles, dram, sram, energy)
    return CandidateCosts(compute, stall, cycles, problem.folds_by_t[cand.t_index], dram[:, 0], dram[:, 1],
                          dram[:, 2], dram[:, 3], tiles, dict(zip(_SRAM_KEYS, sram)), energy)
