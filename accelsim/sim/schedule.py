"""SCALE-Sim-equivalent fold schedule of a (sparse) GEMM on an R x C systolic array, per dataflow.

SCALE-Sim maps a GEMM ``out[M, N] = act[M, K] @ W[K, N]`` onto the array as
spatial rows ``Sr``, spatial columns ``Sc`` and a temporal dimension ``T``
(``scalesim/topology_utils.py``, ``calc_spatio_temporal_params``):

==== ============ ============= ============ =========================================
flow Sr (rows)    Sc (columns)  T (time)     cycles of one fold
==== ============ ============= ============ =========================================
WS   K reduction  N channels    M pixels     ``R + (R-1) + T + (C-1) = 2R + C + T - 2``
OS   M pixels     N channels    K reduction  ``T + (R-1) + (C-1)    = T + R + C - 2``
IS   K reduction  M pixels      N channels   ``2R + C + T - 2``
==== ============ ============= ============ =========================================

(WS/IS: ``R`` cycles to load the stationary operand, ``R-1`` of skew, ``T``
streaming, ``C-1`` to drain; OS: ``T`` streaming plus ``R-1 + C-1`` of skew
and drain.) Folds run one after another, column folds outer and row folds
inner, and SCALE-Sim's "Total Cycles" is the index of the last cycle, i.e.
``sum(fold cycles) - 1`` (``scalesim/memory/double_buffered_scratchpad_mem.py``).
Independent groups (conv groups, attention heads) are run one after another
as separate SCALE-Sim layers, each with its own ``- 1``.

Sparse weights change the schedule as the contract's PE timing rule says
(beats from :mod:`accelsim.sim.sparse_timing`; the fold lasts as long as its
most loaded PE):

* WS: column fold ``cf`` needs ``ceil(max_j beats_j / R)`` row folds (``j`` over
  its channels); every row fold has the dense fold length.
* OS: every fold of column fold ``cf`` streams ``T = max_j beats_j``.
* IS: row fold ``rf`` streams ``T = `` the channels with a stored weight in it.

A fold with nothing to stream (all its channels' weights zero) is skipped.

Activation supply. A zero-skipping PE still has to receive every activation
it multiplies, and the input SRAM delivers at most ``A`` activations per cycle
(``ArchSpec.input_read_activations_per_cycle``). A fold cannot stream faster
than its activations can be read, so its streaming phase lasts at least
``ceil(demand / A)`` cycles (fill, skew and drain unchanged):

* WS fold ``(cf, rf)``: ``T = max(M, ceil(M * a / A))``, ``a`` the distinct
  reduction positions of the weights the fold holds
  (:attr:`~accelsim.sim.sparse_timing.WeightProfile.fold_activations`).
* OS fold ``(cf, rf)``: ``T = max(max beats, ceil(p * u * d / A))``, ``p`` the
  pixels of the row fold, ``u`` the positions with a stored weight in any
  channel of the column group (``WeightProfile.union``), ``d`` the activation
  density when the PE skips zero activations (else 1).
* IS fold: at least ``ceil(r * c * ratio / A)`` cycles for the ``r x c``
  stationary activations it loads (``ratio`` = M/N for N:M, else 1).

With the default ``A`` (what a dense or N:M array consumes at full rate)
dense and N:M folds are never longer (``a <= A`` per streamed row), so the
SCALE-Sim anchor is untouched; ``A = inf`` switches the cap off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

__all__ = ["Schedule", "schedule_ws", "schedule_os", "schedule_is", "build_schedule", "balanced_beats",
           "supply_cycles"]


@dataclass(frozen=True, eq=False)
class Schedule:
    """Folds of one layer in execution order.

    Attributes
    ----------
    dataflow : {"ws", "os", "is"}
    rows, cols : int
        Array geometry.
    groups : int
    fold_cg, fold_rf, fold_cycles : numpy.ndarray
        ``(F,)`` int64: column group, row-fold index and cycles of each fold.
    cg_group : numpy.ndarray
        ``(n_cg,)`` int64: group of each column group (column groups are
        group-major: ``g * n_cf + cf``).
    cg_cols : numpy.ndarray
        ``(n_cg,)`` int64: array columns mapped (channels for WS/OS, pixels for IS).
    cg_folds : numpy.ndarray
        ``(n_cg,)`` int64: folds executed per column group.
    rf_size : numpy.ndarray
        ``(n_rf,)`` int64: OS: pixels of each row fold; IS: reduction rows of
        each row fold; WS: empty.
    group_cycles : numpy.ndarray
        ``(groups,)`` int64: sum of fold cycles per group.
    compute_cycles : int
        ``sum over groups of max(group_cycles - 1, 0)`` (SCALE-Sim's convention).
    supply_cycles : int
        Cycles the activation-supply cap added to the folds (0 without a cap);
        ``compute_cycles - supply_cycles`` is the uncapped schedule's.
    """

    dataflow: str
    rows: int
    cols: int
    groups: int
    fold_cg: np.ndarray
    fold_rf: np.ndarray
    fold_cycles: np.ndarray
    cg_group: np.ndarray
    cg_cols: np.ndarray
    cg_folds: np.ndarray
    rf_size: np.ndarray
    group_cycles: np.ndarray
    compute_cycles: int
    supply_cycles: int = 0

    @property
    def num_folds(self) -> int:
        """Number of folds executed."""
        return int(self.fold_cycles.size)


@numba.njit(cache=True)
def _count_folds(cg_row, table, counts, cycles):
    """Per column group: folds (table entries > 0) and their summed cycles."""
    for cg in range(cg_row.size):
        row = cg_row[cg]
        c = 0
        s = 0
        for rf in range(table.shape[1]):
            d = table[row, rf]
            if d > 0:
                c += 1
                s += d
        counts[cg] = c
        cycles[cg] = s


@numba.njit(cache=True)
def _fill_folds(cg_row, table, fold_cg, fold_rf, fold_cycles):
    """Write the folds (column group major, row fold minor) into preallocated arrays."""
    f = 0
    for cg in range(cg_row.size):
        row = cg_row[cg]
        for rf in range(table.shape[1]):
            d = table[row, rf]
            if d > 0:
                fold_cg[f] = cg
                fold_rf[f] = rf
                fold_cycles[f] = d
                f += 1


def _ceil_div(a, b):
    return -(-a // b)


def supply_cycles(demand, activations_per_cycle: float) -> np.ndarray:
    """``ceil(demand / A)`` as int64 (0 where ``A`` is infinite).

    A relative tolerance of ``1e-12`` keeps an exact quotient (``64 * 2 / 2``)
    from rounding up through floating-point error.
    """
    demand = np.asarray(demand, dtype=np.float64)
    if math.isinf(activations_per_cycle):
        return np.zeros(demand.shape, dtype=np.int64)
    return np.ceil(demand / float(activations_per_cycle) * (1.0 - 1e-12)).astype(np.int64)


def balanced_beats(beats: np.ndarray, cols: int) -> np.ndarray:
    """``(groups, N)`` beats with every column group's load spread evenly: ``ceil(mean)`` per channel.

    The schedule of these beats is the perfectly balanced time the load
    imbalance is measured against.
    """
    g, n = beats.shape
    n_cf = _ceil_div(n, cols)
    padded = np.zeros((g, n_cf * cols), dtype=np.int64)
    padded[:, :n] = beats
    sums = padded.reshape(g, n_cf, cols).sum(axis=2)
    counts = np.minimum(cols, n - np.arange(n_cf) * cols)
    mean = -(-sums // counts[None, :])
    return np.repeat(mean, cols, axis=1)[:, :n].astype(np.int64)


def _column_sizes(total: int, cols: int, groups: int) -> np.ndarray:
    """Columns used by each column fold, repeated for every group."""
    n_cf = _ceil_div(total, cols)
    sizes = np.full(n_cf, cols, dtype=np.int64)
    sizes[-1] = total - (n_cf - 1) * cols
    return np.tile(sizes, groups)


def _max_per_column_group(beats: np.ndarray, cols: int) -> np.ndarray:
    """``(groups, N)`` -> ``(groups * ceil(N/cols),)`` max over each column group."""
    g, n = beats.shape
    n_cf = _ceil_div(n, cols)
    padded = np.zeros((g, n_cf * cols), dtype=np.int64)
    padded[:, :n] = beats
    return padded.reshape(g * n_cf, cols).max(axis=1)


def _finish(dataflow, rows, cols, groups, cg_row, table, cg_group, cg_cols, rf_size,
            uncapped=None) -> Schedule:
    """Build the :class:`Schedule` of a fold table; ``uncapped`` is the table without the supply cap."""
    cg_row = np.ascontiguousarray(cg_row, dtype=np.int64)
    table = np.ascontiguousarray(table, dtype=np.int64)
    n_cg = cg_row.size
    counts = np.empty(n_cg, dtype=np.int64)
    cycles = np.empty(n_cg, dtype=np.int64)
    _count_folds(cg_row, table, counts, cycles)
    total = int(counts.sum())
    fold_cg = np.empty(total, dtype=np.int64)
    fold_rf = np.empty(total, dtype=np.int64)
    fold_cycles = np.empty(total, dtype=np.int64)
    _fill_folds(cg_row, table, fold_cg, fold_rf, fold_cycles)
    group_cycles = np.zeros(groups, dtype=np.int64)
    np.add.at(group_cycles, cg_group, cycles)
    compute = int(np.maximum(group_cycles - 1, 0).sum())
    supply = 0
    if uncapped is not None:
        # folds are the same with and without the cap (the cap only lengthens them)
        rows_used = np.asarray(cg_row, dtype=np.int64)
        supply = int((table[rows_used] - np.asarray(uncapped, dtype=np.int64)[rows_used]).sum())
    return Schedule(dataflow, rows, cols, groups, fold_cg, fold_rf, fold_cycles, cg_group, cg_cols,
                    counts, np.asarray(rf_size, dtype=np.int64), group_cycles, compute, supply)


def schedule_ws(beats: np.ndarray, m: int, rows: int, cols: int, fold_activations=None,
                activations_per_cycle: float = math.inf) -> Schedule:
    """Weight stationary: ``Sr = beats`` (reduction), ``Sc = N``, ``T = M``.

    Parameters
    ----------
    beats : numpy.ndarray
        ``(groups, N)`` int64 beats per output channel.
    m : int
        Streamed rows (output pixels / tokens).
    rows, cols : int
    fold_activations : numpy.ndarray, optional
        ``(groups * ceil(N / cols), row folds)`` activations per streamed row
        of each fold (needed when ``activations_per_cycle`` is finite).
    activations_per_cycle : float
        Input SRAM read bandwidth ``A``; ``inf`` (default) for no cap.
    """
    groups, n = beats.shape
    max_beats = _max_per_column_group(beats, cols)
    row_folds = _ceil_div(max_beats, rows)
    width = int(row_folds.max()) if row_folds.size else 0
    stream = np.full((max_beats.size, width), int(m), dtype=np.int64)
    in_use = np.arange(width)[None, :] < row_folds[:, None]
    uncapped = None
    if fold_activations is not None and not math.isinf(activations_per_cycle) and width:
        acts = np.zeros((max_beats.size, width), dtype=np.float64)
        w = min(width, fold_activations.shape[1])
        acts[:, :w] = fold_activations[:, :w]
        uncapped = np.where(in_use, 2 * rows + cols - 2 + stream, 0)
        stream = np.maximum(stream, supply_cycles(int(m) * acts, activations_per_cycle))
    fold = 2 * rows + cols - 2 + stream
    table = np.where(in_use, fold, 0)
    n_cg = max_beats.size
    cg_group = np.repeat(np.arange(groups, dtype=np.int64), n_cg // groups)
    return _finish("ws", rows, cols, groups, np.arange(n_cg), table, cg_group,
                   _column_sizes(n, cols, groups), np.zeros(0), uncapped)


def schedule_os(beats: np.ndarray, m: int, rows: int, cols: int, union=None,
                activations_per_cycle: float = math.inf, activation_scale: float = 1.0) -> Schedule:
    """Output stationary: ``Sr = M``, ``Sc = N``, ``T = max beats of the column group``.

    ``union`` (``(groups * ceil(N / cols),)`` positions each column group
    reads), ``activations_per_cycle`` and ``activation_scale`` (density of
    skipped activations) set the supply floor of ``T``.
    """
    groups, n = beats.shape
    max_beats = _max_per_column_group(beats, cols)
    n_rf = _ceil_div(int(m), rows)
    rf_size = np.full(n_rf, rows, dtype=np.int64)
    rf_size[-1] = int(m) - (n_rf - 1) * rows
    stream = np.broadcast_to(max_beats[:, None], (max_beats.size, n_rf))
    uncapped = None
    if union is not None and not math.isinf(activations_per_cycle):
        demand = rf_size[None, :] * np.asarray(union, dtype=np.float64)[:, None] * float(activation_scale)
        uncapped = np.where(max_beats[:, None] > 0, stream + rows + cols - 2, 0)
        stream = np.maximum(stream, supply_cycles(demand, activations_per_cycle))
    table = np.where(max_beats[:, None] > 0, stream + rows + cols - 2, 0)
    n_cg = max_beats.size
    cg_group = np.repeat(np.arange(groups, dtype=np.int64), n_cg // groups)
    return _finish("os", rows, cols, groups, np.arange(n_cg), table, cg_group,
                   _column_sizes(n, cols, groups), rf_size, uncapped)


def schedule_is(vectors: np.ndarray, is_rows: int, m: int, rows_per_fold: int, rows: int,
                cols: int, activations_per_row: float = 1.0,
                activations_per_cycle: float = math.inf) -> Schedule:
    """Input stationary: ``Sr = K``, ``Sc = M``, ``T = channels streamed in the row fold``.

    Parameters
    ----------
    vectors : numpy.ndarray
        ``(groups, n_rf)`` int64 channels with a stored weight in each row fold.
    is_rows : int
        Reduction elements mapped (for the ``rf_size`` bookkeeping).
    m : int
        Output pixels / tokens (the array columns).
    rows_per_fold : int
        Reduction elements per row fold (``rows * lanes``).
    activations_per_row : float
        Activations loaded per mapped reduction row (``M/N`` for N:M, else 1).
    activations_per_cycle : float
        Input SRAM read bandwidth ``A``; ``inf`` (default) for no cap.
    """
    groups, n_rf = vectors.shape
    table = np.where(vectors > 0, 2 * rows + cols + vectors - 2, 0)
    n_cf = _ceil_div(int(m), cols)
    cg_row = np.repeat(np.arange(groups, dtype=np.int64), n_cf)
    rf_size = np.full(n_rf, rows_per_fold, dtype=np.int64)
    if n_rf:
        rf_size[-1] = int(is_rows) - (n_rf - 1) * rows_per_fold
    col_sizes = _column_sizes(int(m), cols, groups)
    if math.isinf(activations_per_cycle):
        return _finish("is", rows, cols, groups, cg_row, table, cg_row.copy(), col_sizes, rf_size)
    # one table row per (group, pixel fold): the last pixel fold loads fewer activations
    demand = col_sizes[:, None] * rf_size[None, :] * float(activations_per_row)
    uncapped = table[cg_row]
    table = np.where(uncapped > 0, np.maximum(uncapped, supply_cycles(demand, activations_per_cycle)), 0)
    return _finish("is", rows, cols, groups, np.arange(cg_row.size), table, cg_row.copy(), col_sizes,
                   rf_size, uncapped)


def build_schedule(dataflow: str, profile, m: int, rows: int, cols: int, lanes: int = 1,
                   activations_per_cycle: float = math.inf, activation_scale: float = 1.0,
                   beats=None) -> Schedule:
    """Schedule a layer from its :class:`~accelsim.sim.sparse_timing.WeightProfile`.

    Parameters
    ----------
    activations_per_cycle : float
        Input SRAM read bandwidth in activations per cycle (``inf``: no cap).
    activation_scale : float
        Fraction of activations read when the PE skips zero activations (OS).
    beats : numpy.ndarray, optional
        Beats to use instead of ``profile.beats`` (e.g. :func:`balanced_beats`).
    """
    beats = profile.beats if beats is None else beats
    if dataflow == "ws":
        return schedule_ws(beats, m, rows, cols, profile.fold_activations, activations_per_cycle)
    if dataflow == "os":
        return schedule_os(beats, m, rows, cols, profile.union.reshape(-1), activations_per_cycle,
                           activation_scale)
    return schedule_is(profile.is_vectors, profile.is_rows, m, rows * lanes, rows, cols,
                       profile.activations_per_row, activations_per_cycle)
