"""Buffers, tiling, DRAM re-fetch and bandwidth stalls with double buffering; bits moved per level.

The model works at fold granularity on a :class:`~accelsim.sim.schedule.Schedule`
(column folds outer, row folds inner, as SCALE-Sim runs them):

Re-fetch. An operand that the loop order revisits stays on chip only if it
fits in half of its buffer (the other half holds the next tile: double
buffering, like SCALE-Sim's ``active_buf_frac = 0.5``); otherwise it is read
from DRAM again at every revisit.

==== =============================== =============================== =========================
flow weights                         inputs                          outputs
==== =============================== =============================== =========================
WS   each weight used once: 1 read   swept once per column fold:     partial sums of a column
                                     re-read per column fold unless  fold spill to DRAM between
                                     the layer input fits            row folds unless M x cols fit
OS   a column fold's weight tile is  like WS                         stay in the PEs; written once
     re-read for every row fold
     unless it fits
IS   swept once per column (pixel)   stationary: read once           like WS with N x cols
     fold unless all weights fit
==== =============================== =============================== =========================

Stalls. Fold ``i``'s DRAM reads are prefetched while fold ``i-1`` computes,
together with the write-back of fold ``i-2``'s outputs. With ``bw`` bits per
cycle::

    stall = ceil(fetch[0] / bw)                                   # first fill
          + sum_i max(0, ceil((fetch[i+1] + wb[i-1]) / bw) - cycles[i])
          + ceil(wb[last] / bw)                                  # final drain

Unlimited bandwidth gives zero stalls. Layers do not overlap.

Bits. DRAM holds the weights in the encoded format (values + metadata), the
unique input activations (``activation_bits``) and the outputs
(``activation_bits``); partial sums use ``accumulator_bits``. SRAM reads
count what the array consumes (im2col activations, as SCALE-Sim counts them).
How an operand's bits split over the folds that move them is proportional to
their share of the operand (weights: stored values of the column group, or
channels streamed in the IS row fold; inputs: pixels or reduction rows).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType

import numba
import numpy as np

__all__ = ["LayerOperands", "MemoryTraffic", "memory_traffic", "stall_cycles", "ws_input_sram_read_bits"]


@dataclass(frozen=True, eq=False)
class LayerOperands:
    """Sizes of one layer's operands, as the memory model needs them.

    Attributes
    ----------
    m, n, k : int
        Per-group GEMM dimensions.
    groups : int
    weight_value_bits, weight_metadata_bits : int
        Storage of the whole layer's weights in the format it runs with.
    stored : numpy.ndarray
        ``(groups, N)`` stored weight values per channel (splits weight bits
        over WS/OS column groups).
    is_vectors : numpy.ndarray
        ``(groups, n_rf)`` channels streamed per IS row fold.
    is_rows : int
        Reduction rows mapped in IS.
    union : numpy.ndarray
        ``(groups * n_cf,)`` reduction positions each WS/OS column group reads.
    input_bits : int
        Unique input activations of the layer, in bits.
    activation_bits, accumulator_bits : int
    is_input_scale : float
        Fraction of IS activations loaded (activation density under skipping).
    ws_fold_activations : numpy.ndarray or None
        WS: ``(groups * n_cf, row folds)`` activations per streamed row of each
        fold (:attr:`~accelsim.sim.sparse_timing.WeightProfile.fold_activations`);
        the input SRAM then serves ``M`` times their sum (a position two row
        folds need is read twice). ``None``: ``M x union`` per column group.
    """

    m: int
    n: int
    k: int
    groups: int
    weight_value_bits: int
    weight_metadata_bits: int
    stored: np.ndarray
    is_vectors: np.ndarray
    is_rows: int
    union: np.ndarray
    input_bits: int
    activation_bits: int
    accumulator_bits: int
    is_input_scale: float = 1.0
    ws_fold_activations: np.ndarray | None = None


@dataclass(frozen=True)
class MemoryTraffic:
    """Bits moved at each level and DRAM stall cycles of one layer.

    Attributes
    ----------
    bits : mapping
        ``{"dram_read": ..., "dram_write": ..., "weight_sram_read": ..., ...}``
        in bits (int), totals including metadata.
    metadata_bits : mapping
        The metadata part of each entry of ``bits`` (weights only).
    stall_cycles : int
    dram_reads : mapping
        How many times each operand is read from DRAM: ``weights``, ``inputs``
        (1 = once) and ``psum_spills`` (rounds of partial sums written out and
        read back).
    operand_bits : mapping
        DRAM bits per operand: ``weights``, ``inputs`` (reads), ``outputs``
        (final writes) and ``psum_spill`` (partial sums written out; they are
        read back too).
    """

    bits: MappingProxyType
    metadata_bits: MappingProxyType
    stall_cycles: int
    dram_reads: MappingProxyType
    operand_bits: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))


@numba.njit(cache=True)
def _stalls(cycles, fetch_bits, writeback_bits, bits_per_cycle):
    """Double-buffered DRAM stalls (see the module docstring)."""
    n = cycles.size
    if n == 0:
        return 0
    total = math.ceil(fetch_bits[0] / bits_per_cycle)
    for i in range(n):
        moving = 0.0
        if i + 1 < n:
            moving += fetch_bits[i + 1]
        if i >= 1:
            moving += writeback_bits[i - 1]
        need = math.ceil(moving / bits_per_cycle)
        if need > cycles[i]:
            total += need - cycles[i]
    total += math.ceil(writeback_bits[n - 1] / bits_per_cycle)
    return total


def _check_stall_bound(cycles, fetch_bits, writeback_bits, bandwidth_bytes_per_cycle: float) -> None:
    """Refuse bandwidths so low that the stall count could pass 2**53 (the kernel counts in int64)."""
    from accelsim.errors import AccelsimInputError, Problem
    from accelsim.limits import MAX_EXACT_COUNT

    moved = float(np.sum(fetch_bits, dtype=np.float64) + np.sum(writeback_bits, dtype=np.float64))
    bound = moved / (float(bandwidth_bytes_per_cycle) * 8.0) + 2.0 * cycles.size + 2.0
    if not bound <= MAX_EXACT_COUNT:
        raise AccelsimInputError("DRAM bandwidth too low for this layer", [Problem(
            "dram.bandwidth_bytes_per_cycle", bandwidth_bytes_per_cycle,
            f"enough bandwidth to move the layer's {moved / 8:,.0f} bytes in at most 2**53 stall cycles "
            f"(at least {moved / 8 / MAX_EXACT_COUNT:.3g} B/cycle)")])


def stall_cycles(cycles: np.ndarray, fetch_bits: np.ndarray, writeback_bits: np.ndarray,
                 bandwidth_bytes_per_cycle: float) -> int:
    """Stall cycles of a fold sequence; 0 for unlimited bandwidth."""
    if math.isinf(bandwidth_bytes_per_cycle) or cycles.size == 0:
        return 0
    _check_stall_bound(cycles, fetch_bits, writeback_bits, bandwidth_bytes_per_cycle)
    return int(_stalls(np.ascontiguousarray(cycles, dtype=np.int64),
                       np.ascontiguousarray(fetch_bits, dtype=np.float64),
                       np.ascontiguousarray(writeback_bits, dtype=np.float64),
                       float(bandwidth_bytes_per_cycle) * 8.0))


def _fold_edges(fold_cg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the first and the last fold of each column group."""
    f = fold_cg.size
    first = np.ones(f, dtype=bool)
    last = np.ones(f, dtype=bool)
    if f > 1:
        same = fold_cg[1:] == fold_cg[:-1]
        first[1:] = ~same
        last[:-1] = ~same
    return first, last


def _first_active_cg(schedule) -> np.ndarray:
    """Per group, the first column group that executes folds (-1 if none)."""
    big = np.iinfo(np.int64).max
    first = np.full(schedule.groups, big, dtype=np.int64)
    active = np.flatnonzero(schedule.cg_folds > 0)
    np.minimum.at(first, schedule.cg_group[active], active)
    first[first == big] = -1
    return first


def _active_cgs_per_group(schedule) -> np.ndarray:
    counts = np.zeros(schedule.groups, dtype=np.int64)
    np.add.at(counts, schedule.cg_group, (schedule.cg_folds > 0).astype(np.int64))
    return counts


def memory_traffic(schedule, ops: LayerOperands, arch) -> MemoryTraffic:
    """Bits moved per level, DRAM re-reads and stall cycles of one scheduled layer."""
    df = schedule.dataflow
    g_count = ops.groups
    fcg, frf = schedule.fold_cg, schedule.fold_rf
    grp = schedule.cg_group[fcg]
    cg_cols = schedule.cg_cols.astype(np.float64)
    cg_folds = schedule.cg_folds
    first, last = _fold_edges(fcg)
    first_cg = _first_active_cg(schedule)
    in_first_sweep = fcg == first_cg[grp]
    active_cgs = _active_cgs_per_group(schedule)
    n_folds = fcg.size

    abits, accbits = float(ops.activation_bits), float(ops.accumulator_bits)
    weight_total = float(ops.weight_value_bits + ops.weight_metadata_bits)
    meta_fraction = ops.weight_metadata_bits / weight_total if weight_total else 0.0
    in_g = ops.input_bits / g_count
    half_w = arch.buffers.weight_bytes * 8 / 2
    half_i = arch.buffers.input_bytes * 8 / 2
    half_o = arch.buffers.output_bytes * 8 / 2
    m, n, k = float(ops.m), float(ops.n), float(ops.k)

    zeros = np.zeros(n_folds)
    w_fetch, i_fetch, p_fetch, p_wb, o_wb = zeros.copy(), zeros.copy(), zeros.copy(), zeros.copy(), zeros.copy()
    reads = {"weights": 1, "inputs": 1, "psum_spills": 0}
    sram = {}

    if df in ("ws", "os"):
        n_cf = cg_cols.size // g_count
        stored = ops.stored
        padded = np.zeros((g_count, n_cf * schedule.cols), dtype=np.float64)
        padded[:, :ops.n] = stored
        stored_cg = padded.reshape(g_count * n_cf, schedule.cols).sum(axis=1)
        total_stored = stored_cg.sum()
        w_cg = weight_total * stored_cg / total_stored if total_stored else np.zeros_like(stored_cg)
        union_frac = ops.union.astype(np.float64) / k
    if df == "ws":
        w_fetch = w_cg[fcg] / cg_folds[fcg]
        fits_in = in_g <= half_i
        if fits_in:
            i_fetch = np.where(in_first_sweep, in_g / cg_folds[fcg], 0.0)
        else:
            i_fetch = in_g * union_frac[fcg] / cg_folds[fcg]
            reads["inputs"] = int(active_cgs.max(initial=0))
        tile = m * cg_cols[fcg] * accbits
        spill = tile > half_o
        p_fetch = np.where(spill & ~first, tile, 0.0)
        p_wb = np.where(spill & ~last, tile, 0.0)
        reads["psum_spills"] = int(cg_folds[_spill_cgs(schedule, m * accbits, half_o)].max(initial=1) - 1)
        o_wb = np.where(last, m * cg_cols[fcg] * abits, 0.0)
        sram["weight_sram_read"] = w_fetch.sum()
        active = cg_folds > 0
        sram["input_sram_read"] = ws_input_sram_read_bits(ops, active)
        psum = m * cg_cols[fcg] * accbits
        sram["output_sram_write"] = psum.sum() + p_fetch.sum()
        sram["output_sram_read"] = np.where(~first, psum, 0.0).sum() + (o_wb * accbits / abits).sum() + p_wb.sum()
    elif df == "os":
        rows_f = schedule.rf_size[frf].astype(np.float64)
        fits_w = bool(np.all(w_cg <= half_w))
        w_fetch = np.where(first, w_cg[fcg], 0.0) if fits_w else w_cg[fcg].copy()
        if not fits_w:
            reads["weights"] = int(schedule.rf_size.size)
        fits_in = in_g <= half_i
        if fits_in:
            i_fetch = np.where(in_first_sweep, in_g * rows_f / m, 0.0)
        else:
            i_fetch = in_g * rows_f / m * union_frac[fcg]
            reads["inputs"] = int(active_cgs.max(initial=0))
        o_wb = rows_f * cg_cols[fcg] * abits
        sram["weight_sram_read"] = w_cg[fcg].sum()
        sram["input_sram_read"] = float((rows_f * ops.union[fcg] * abits).sum())
        sram["output_sram_write"] = (o_wb * accbits / abits).sum()
        sram["output_sram_read"] = sram["output_sram_write"]
    else:
        vec = ops.is_vectors.astype(np.float64)
        vec_total = vec.sum(axis=1, keepdims=True)
        share = np.divide(vec, vec_total, out=np.zeros_like(vec), where=vec_total > 0)
        w_g = weight_total / g_count
        w_slice = w_g * share[grp, frf]
        fits_w = w_g <= half_w
        w_fetch = np.where(in_first_sweep, w_slice, 0.0) if fits_w else w_slice
        if not fits_w:
            reads["weights"] = int(active_cgs.max(initial=0))
        rf_frac = schedule.rf_size[frf].astype(np.float64) / max(ops.is_rows, 1)
        i_fetch = in_g * (cg_cols[fcg] / m) * rf_frac * ops.is_input_scale
        tile = n * cg_cols[fcg] * accbits
        spill = tile > half_o
        p_fetch = np.where(spill & ~first, tile, 0.0)
        p_wb = np.where(spill & ~last, tile, 0.0)
        reads["psum_spills"] = int(cg_folds[_spill_cgs(schedule, n * accbits, half_o)].max(initial=1) - 1)
        o_wb = np.where(last, n * cg_cols[fcg] * abits, 0.0)
        sram["weight_sram_read"] = w_slice.sum()
        sram["input_sram_read"] = float((cg_cols[fcg] * k * rf_frac * abits).sum()) * ops.is_input_scale
        psum = n * cg_cols[fcg] * accbits
        sram["output_sram_write"] = psum.sum() + p_fetch.sum()
        sram["output_sram_read"] = np.where(~first, psum, 0.0).sum() + (o_wb * accbits / abits).sum() + p_wb.sum()

    dram_weight = float(w_fetch.sum())
    bits = {
        "dram_read": dram_weight + i_fetch.sum() + p_fetch.sum(),
        "dram_write": o_wb.sum() + p_wb.sum(),
        "weight_sram_read": sram["weight_sram_read"],
        "weight_sram_write": dram_weight,
        "input_sram_read": sram["input_sram_read"],
        "input_sram_write": float(i_fetch.sum()),
        "output_sram_read": sram["output_sram_read"],
        "output_sram_write": sram["output_sram_write"],
    }
    bits = {key: int(round(float(v))) for key, v in bits.items()}
    meta = {key: 0 for key in bits}
    meta["dram_read"] = int(round(dram_weight * meta_fraction))
    meta["weight_sram_write"] = meta["dram_read"]
    meta["weight_sram_read"] = int(round(float(sram["weight_sram_read"]) * meta_fraction))
    stalls = stall_cycles(schedule.fold_cycles, w_fetch + i_fetch + p_fetch, o_wb + p_wb,
                          arch.dram_bandwidth_bytes_per_cycle)
    operands = {"weights": int(round(dram_weight)), "inputs": int(round(float(i_fetch.sum()))),
                "outputs": int(round(float(o_wb.sum()))), "psum_spill": int(round(float(p_wb.sum())))}
    return MemoryTraffic(MappingProxyType(bits), MappingProxyType(meta), stalls,
                         MappingProxyType(reads), MappingProxyType(operands))


def ws_input_sram_read_bits(ops: LayerOperands, active: np.ndarray) -> float:
    """WS input-SRAM reads: ``M`` x the activations each active column group's folds take, in bits.

    With :attr:`LayerOperands.ws_fold_activations` the sum over the group's
    row folds (a position two folds need is read twice), else its union.
    """
    if ops.ws_fold_activations is not None:
        per_cg = np.asarray(ops.ws_fold_activations, dtype=np.float64).sum(axis=1)
    else:
        per_cg = np.asarray(ops.union, dtype=np.float64)
    return float((float(ops.m) * per_cg[active] * float(ops.activation_bits)).sum())


def _spill_cgs(schedule, bits_per_column: float, half_output_bits: float) -> np.ndarray:
    """Mask of column groups whose partial-sum tile does not fit in half the output buffer."""
    return schedule.cg_cols * bits_per_column > half_output_bits
