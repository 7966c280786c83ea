"""What the cost model needs from one layer: fold lengths, operand sizes, buffers, prices.

:func:`mapping_problem` condenses a layer's SCALE-Sim fold schedule (which
already carries the sparse profile: per-fold streamed lengths from the beats
of each column group, skipped folds, IS vector counts) and its operand sizes
(encoded weight bits with metadata, unique input bits, outputs) into a
:class:`MappingProblem`. The mapping never changes which folds exist, only
how the temporal dimension is split and in which order tiles run, so the
fold list is the sparse profile the tiles carry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from accelsim.sim.mapping.space import ROLES, tile_options
from accelsim.sim.memory import ws_input_sram_read_bits

__all__ = ["MappingProblem", "mapping_problem", "fold_base_cycles"]


def fold_base_cycles(dataflow: str, rows: int, cols: int) -> int:
    """Cycles of a fold beyond its streamed length: ``2R + C - 2`` (WS, IS) or ``R + C - 2`` (OS)."""
    return rows + cols - 2 if dataflow == "os" else 2 * rows + cols - 2


@dataclass(frozen=True, eq=False)
class MappingProblem:
    """One layer as the mapping cost model sees it (all sizes in bits, per group unless noted).

    Attributes
    ----------
    dataflow : {"ws", "os", "is"}
    rows, cols, groups : int
    active_groups : int
        Groups with at least one fold (each ends with SCALE-Sim's ``- 1``).
    base_cycles : int
        :func:`fold_base_cycles`.
    folds_row, folds_col : int
        Spatial folds of one group (rows: the most any column group needs).
    extent_row, extent_col : int
        Elements along the spatial dimensions (the last fold holds the remainder).
    extent_t : int
        Longest streamed length of any fold.
    t_options : numpy.ndarray
        Temporal tile sizes (:func:`~accelsim.sim.mapping.space.tile_options`).
    compute_by_t : numpy.ndarray
        Per temporal option: compute cycles of the whole layer.
    folds_by_t : numpy.ndarray
        Per temporal option: folds executed (each temporal tile of a fold counts).
    stationary_sram_by_t : numpy.ndarray
        Per temporal option: extra SRAM bits the split costs (WS: weights
        reloaded into the array per temporal tile; IS: inputs reloaded; OS:
        partial sums moved out of and back into the PEs between tiles).
    stationary_level : str
        ``weight_sram``, ``input_sram`` or ``output_sram``: where those bits go.
    weight_bits, input_bits, output_bits, psum_bits : float
        Per group: encoded weights (values + metadata), unique inputs (times
        the activation-skipping scale), outputs (activation bits) and the
        same outputs at accumulator width.
    first_weight_bits, first_input_bits : float
        What the schedule's first fold reads with one temporal tile, by the
        memory model's shares (WS: the first column group's weights over its
        row folds; OS: its whole weight tile; IS: the first row fold's share
        of the weights; inputs: the first fold's pixels and reduction rows).
    input_revisit_fraction : float
        Share of the inputs a column group reads again (union of its
        channels' nonzero reduction positions; 1 for dense).
    metadata_fraction : float
        Metadata share of the weight bits.
    sram_base : dict
        Layer totals of ``weight_sram_read``, ``input_sram_read``,
        ``output_sram_read`` and ``output_sram_write`` that do not depend on
        the mapping (one temporal tile, no spills).
    capacity_bits : tuple of float
        Weight, input and output buffer sizes.
    bandwidth_bits_per_cycle : float
        ``math.inf`` for unlimited.
    prices : dict
        :func:`accelsim.energy.per_event_energies_pj`.
    fixed_energy_pj : float
        Energy that no mapping changes (MACs, gated MACs, index decodes).
    pes : int
    busy_pe_cycles : int
        PE-cycles doing (or gating) MACs.
    """

    dataflow: str
    rows: int
    cols: int
    groups: int
    active_groups: int
    base_cycles: int
    folds_row: int
    folds_col: int
    extent_row: int
    extent_col: int
    extent_t: int
    t_options: np.ndarray
    compute_by_t: np.ndarray
    folds_by_t: np.ndarray
    stationary_sram_by_t: np.ndarray
    stationary_level: str
    weight_bits: float
    input_bits: float
    output_bits: float
    psum_bits: float
    first_weight_bits: float
    first_input_bits: float
    input_revisit_fraction: float
    metadata_fraction: float
    sram_base: dict
    capacity_bits: tuple
    bandwidth_bits_per_cycle: float
    prices: dict
    fixed_energy_pj: float
    pes: int
    busy_pe_cycles: int

    @property
    def roles(self) -> tuple[str, str, str]:
        """(row, column, temporal) GEMM dimensions of the dataflow."""
        return ROLES[self.dataflow]

    @property
    def compulsory_bits(self) -> float:
        """Every weight and input read once, every output written once (whole layer)."""
        return self.groups * (self.weight_bits + self.input_bits + self.output_bits)


def _first_fold_bits(schedule, ops) -> tuple[float, float]:
    """Weight and input bits of the first fold (one temporal tile), by the memory model's shares."""
    df = schedule.dataflow
    g = ops.groups
    if schedule.fold_cg.size == 0:
        return 0.0, 0.0
    cg0, rf0 = int(schedule.fold_cg[0]), int(schedule.fold_rf[0])
    weight_total = float(ops.weight_value_bits + ops.weight_metadata_bits)
    in_g = ops.input_bits / g
    if df in ("ws", "os"):
        n_cf = schedule.cg_cols.size // g
        padded = np.zeros((g, n_cf * schedule.cols), dtype=np.float64)
        padded[:, :ops.n] = ops.stored
        stored_cg = padded.reshape(g * n_cf, schedule.cols).sum(axis=1)
        total = stored_cg.sum()
        w_cg0 = weight_total * stored_cg[cg0] / total if total else 0.0
        union0 = float(np.asarray(ops.union)[cg0]) / ops.k if ops.k else 1.0
        if df == "ws":
            folds = int(schedule.cg_folds[cg0])
            return w_cg0 / folds, in_g * min(union0, 1.0) / folds
        rows0 = float(schedule.rf_size[rf0])
        return w_cg0, in_g * rows0 / ops.m * min(union0, 1.0)
    vec = np.asarray(ops.is_vectors, dtype=np.float64)
    grp = int(schedule.cg_group[cg0])
    share = vec[grp, rf0] / vec[grp].sum() if vec[grp].sum() else 0.0
    rf_frac = float(schedule.rf_size[rf0]) / max(ops.is_rows, 1)
    cols0 = float(schedule.cg_cols[cg0])
    return weight_total / g * share, in_g * cols0 / ops.m * rf_frac * ops.is_input_scale


def _fold_sram(schedule, ops, abits: float, accbits: float):
    """Per-fold SRAM bits of SCALE-Sim's schedule with no spills: base totals and stationary part."""
    df = schedule.dataflow
    g = ops.groups
    fcg, frf = schedule.fold_cg, schedule.fold_rf
    cg_cols = schedule.cg_cols.astype(np.float64)
    first = np.ones(fcg.size, dtype=bool)
    last = np.ones(fcg.size, dtype=bool)
    if fcg.size > 1:
        same = fcg[1:] == fcg[:-1]
        first[1:] = ~same
        last[:-1] = ~same
    weight_total = float(ops.weight_value_bits + ops.weight_metadata_bits)
    m, n, k = float(ops.m), float(ops.n), float(ops.k)
    if df in ("ws", "os"):
        n_cf = cg_cols.size // g
        padded = np.zeros((g, n_cf * schedule.cols), dtype=np.float64)
        padded[:, :ops.n] = ops.stored
        stored_cg = padded.reshape(g * n_cf, schedule.cols).sum(axis=1)
        total = stored_cg.sum()
        w_cg = weight_total * stored_cg / total if total else np.zeros_like(stored_cg)
    if df == "ws":
        w_fold = w_cg[fcg] / schedule.cg_folds[fcg]
        psum = m * cg_cols[fcg] * accbits
        active = schedule.cg_folds > 0
        base = {"weight_sram_read": 0.0,
                "input_sram_read": ws_input_sram_read_bits(ops, active),
                "output_sram_write": float(psum.sum()),
                "output_sram_read": float(np.where(~first, psum, 0.0).sum()
                                          + np.where(last, m * cg_cols[fcg] * accbits, 0.0).sum())}
        return base, w_fold, "weight_sram"
    if df == "os":
        rows_f = schedule.rf_size[frf].astype(np.float64)
        out = rows_f * cg_cols[fcg] * accbits
        base = {"weight_sram_read": float(w_cg[fcg].sum()),
                "input_sram_read": float((rows_f * ops.union[fcg] * abits).sum()),
                "output_sram_write": float(out.sum()), "output_sram_read": float(out.sum())}
        return base, 2.0 * out, "output_sram"
    grp = schedule.cg_group[fcg]
    vec = ops.is_vectors.astype(np.float64)
    vec_total = vec.sum(axis=1, keepdims=True)
    share = np.divide(vec, vec_total, out=np.zeros_like(vec), where=vec_total > 0)
    w_slice = weight_total / g * share[grp, frf]
    rf_frac = schedule.rf_size[frf].astype(np.float64) / max(ops.is_rows, 1)
    psum = n * cg_cols[fcg] * accbits
    base = {"weight_sram_read": float(w_slice.sum()), "input_sram_read": 0.0,
            "output_sram_write": float(psum.sum()),
            "output_sram_read": float(np.where(~first, psum, 0.0).sum()
                                      + np.where(last, n * cg_cols[fcg] * accbits, 0.0).sum())}
    inputs = cg_cols[fcg] * k * rf_frac * abits * ops.is_input_scale
    return base, inputs, "input_sram"


def mapping_problem(schedule, ops, arch, prices: dict, fixed_energy_pj: float,
                    busy_pe_cycles: int) -> MappingProblem:
    """Build the :class:`MappingProblem` of one scheduled layer.

    Parameters
    ----------
    schedule : accelsim.sim.schedule.Schedule
        SCALE-Sim's fold schedule of the layer (with its sparse profile).
    ops : accelsim.sim.memory.LayerOperands
    arch : accelsim.spec.ArchSpec
    prices : dict
        Per-event energies in pJ (:func:`accelsim.energy.per_event_energies_pj`).
    fixed_energy_pj : float
        Energy of the events no mapping changes.
    busy_pe_cycles : int
    """
    df = schedule.dataflow
    rows, cols, g = schedule.rows, schedule.cols, schedule.groups
    base = fold_base_cycles(df, rows, cols)
    t_len = schedule.fold_cycles - base
    t_max = int(t_len.max()) if t_len.size else 1
    options = tile_options(t_max)
    # per temporal option: sum over folds of ceil(T_s / tile) (vectorised over unique lengths)
    lengths, inverse = np.unique(t_len, return_inverse=True)
    tiles = -(-lengths[None, :] // options[:, None])                   # (n_opt, n_len)
    per_fold_tiles = tiles[:, inverse] if t_len.size else np.zeros((options.size, 0), np.int64)
    folds_by_t = per_fold_tiles.sum(axis=1)
    active_groups = int(np.count_nonzero(schedule.group_cycles > 0))
    compute_by_t = folds_by_t * base + int(t_len.sum()) - active_groups
    abits, accbits = float(ops.activation_bits), float(ops.accumulator_bits)
    sram_base, stat_fold, stat_level = _fold_sram(schedule, ops, abits, accbits)
    if df == "os":
        stationary = ((per_fold_tiles - 1) * stat_fold[None, :]).sum(axis=1)
    else:
        stationary = (per_fold_tiles * stat_fold[None, :]).sum(axis=1)
    if df == "ws":
        folds_row = int(schedule.cg_folds.max(initial=0))
    else:
        folds_row = int(schedule.rf_size.size)
    folds_col = schedule.cg_cols.size // g
    extent_col = int(ops.m) if df == "is" else int(ops.n)
    extent_row = int(ops.m) if df == "os" else min(max(folds_row, 1) * rows, max(int(ops.is_rows), 1))
    weight_total = float(ops.weight_value_bits + ops.weight_metadata_bits)
    union = np.asarray(ops.union, dtype=np.float64)
    active = schedule.cg_folds > 0
    revisit = (float(union[active].mean()) / ops.k if df in ("ws", "os") and active.any() and ops.k
               else 1.0)
    bw = arch.dram_bandwidth_bytes_per_cycle
    b = arch.buffers
    first_w, first_i = _first_fold_bits(schedule, ops)
    return MappingProblem(
        dataflow=df, rows=rows, cols=cols, groups=g, active_groups=active_groups,
        base_cycles=base, folds_row=max(folds_row, 1), folds_col=max(folds_col, 1),
        extent_row=extent_row, extent_col=extent_col, extent_t=t_max, t_options=options, compute_by_t=compute_by_t.astype(np.int64),
        folds_by_t=folds_by_t.astype(np.int64), stationary_sram_by_t=stationary.astype(np.float64),
        stationary_level=stat_level,
        weight_bits=weight_total / g, input_bits=ops.input_bits / g * ops.is_input_scale,
        output_bits=float(ops.m * ops.n) * abits, psum_bits=float(ops.m * ops.n) * accbits,
        first_weight_bits=first_w, first_input_bits=first_i,
        input_revisit_fraction=min(revisit, 1.0),
        metadata_fraction=ops.weight_metadata_bits / weight_total if weight_total else 0.0,
        sram_base=sram_base,
        capacity_bits=(b.weight_bytes * 8.0, b.input_bytes * 8.0, b.output_bytes * 8.0),
        bandwidth_bits_per_cycle=math.inf if math.isinf(bw) else float(bw) * 8.0,
        prices=dict(prices), fixed_energy_pj=float(fixed_energy_pj), pes=rows * cols,
        busy_pe_cycles=int(busy_pe_cycles))
