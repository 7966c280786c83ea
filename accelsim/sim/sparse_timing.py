"""Per-output sparse timing from real weights: beats per output channel, IS vector counts, storage bits.

The beat counts come from the PE model's timing rule,
:func:`accelsim.sim.pe_model.pe_beats` (``sim_contract``), evaluated on every
output channel at once: there is one timing rule in the code base, shared by
the timing simulator, the bit-true PE model and the RTL verified against it.
In the array model one array position is one multiplier; the N:M RTL PE (N
multipliers) is N array positions, so N:M compresses the reduction dimension
``K`` to ``N * ceil(K/M)`` array rows and 2:4 halves the reduction folds. Per
output channel ``j`` (one row of ``layer.weight_matrix()``):

============ =========================== =========================================================
rule         beats of channel ``j``      PE model call (every call also passes ``lanes``)
============ =========================== =========================================================
dense        ``ceil(K / lanes)``         ``pe_beats("dense", k=K)``
nm N:M       ``N * ceil(K / M)``         ``N * pe_beats("nm", k=K, m=M)`` (``lanes = N``)
unstructured ``ceil(nnz_j / lanes)``     ``pe_beats("unstructured", nnz=nnz_j)``
block RxC    ``nzb_j * ceil(C / lanes)`` ``pe_beats("block", nonzero_blocks=nzb_j, block_cols=C)``
============ =========================== =========================================================

(``nnz_j`` counted from the weights; ``nzb_j`` the nonzero blocks of ``j``'s
block row.) How these agree with the PE and array models, and the counting
conventions between them, is documented in ``docs/simulator.md`` ("Agreement
with the PE model") and checked by ``tests/sim/test_array_pe_agreement.py``.

An element is zero when ``value == 0`` (the zero rule of
:mod:`accelsim.formats`: ``-0.0`` is a zero). For the input-stationary
dataflow the profile also counts, per row fold of the reduction, how many
output channels have any stored weight in it (:attr:`WeightProfile.is_vectors`):
IS streams one weight vector per output channel through a row fold and can
skip only all-zero vectors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from accelsim.errors import AccelsimInputError, Problem
from accelsim.formats.spec import FormatSpec
from accelsim.sim.pe_model import pe_beats
from accelsim.sim.scan_cache import cached_scan

__all__ = ["TimingRule", "WeightProfile", "timing_rule", "weight_profile", "weight_storage_bits",
           "raw_bits_view"]


@dataclass(frozen=True)
class TimingRule:
    """How the PE consumes a layer's weights.

    Attributes
    ----------
    rule : {"dense", "nm", "unstructured", "block"}
    lanes : int
        Multipliers per array position (1 for N:M: its N lanes are N array rows).
    n, m : int or None
        N:M parameters.
    block_rows, block_cols : int or None
        Block shape (rows along output channels, columns along the reduction).
    """

    rule: str
    lanes: int = 1
    n: int | None = None
    m: int | None = None
    block_rows: int | None = None
    block_cols: int | None = None


@dataclass(frozen=True, eq=False)
class WeightProfile:
    """What the fold schedule and the memory model need from one layer's weights.

    Attributes
    ----------
    beats : numpy.ndarray
        ``(groups, N)`` int64: beats per output channel (WS/OS).
    union : numpy.ndarray
        ``(groups, ceil(N / cols))`` int64: reduction positions with a stored
        weight in any channel of each column group (activations the group reads).
    is_rows : int
        Reduction rows mapped onto the array in IS (``ceil(K/M)*N`` for N:M).
    is_vectors : numpy.ndarray
        ``(groups, ceil(is_rows / (rows * lanes)))`` int64: channels with a stored
        weight in each IS row fold.
    stored : numpy.ndarray
        ``(groups, N)`` int64: stored weight values per channel (explicit zeros
        of N:M and BSR included).
    nnz : int
        Nonzero weights of the layer.
    stored_blocks : int
        Nonzero blocks (block rule only; 0 otherwise).
    fold_activations : numpy.ndarray or None
        WS only: ``(groups * ceil(N / cols), row folds)`` float64, the
        activations each fold's PEs multiply per streamed row: distinct
        reduction positions of the weights the fold holds (beats
        ``rf*R ..`` of every channel of the column group). ``R * lanes`` per
        full fold for dense, ``rows * M / N`` for N:M (the PE muxes M).
    activations_per_row : float
        Activations one mapped reduction row needs: ``M / N`` for N:M, else 1.
    """

    beats: np.ndarray
    union: np.ndarray
    is_rows: int
    is_vectors: np.ndarray
    stored: np.ndarray
    nnz: int
    stored_blocks: int = 0
    fold_activations: np.ndarray | None = None
    activations_per_row: float = 1.0


def timing_rule(arch, fmt: FormatSpec) -> tuple[TimingRule, bool]:
    """The rule a format runs with on ``arch`` and whether the PE exploits it.

    A format the PE cannot exploit (not in ``arch.sparsity.formats``) runs as
    dense; ``"dense"`` always runs as itself.

    Returns
    -------
    rule : TimingRule
    exploited : bool
        True when the layer runs in the requested format.
    """
    sp = arch.sparsity
    lanes = 1 if sp.kind == "nm" else int(sp.lanes)
    name = fmt.name
    if name == "dense":
        return TimingRule("dense", lanes), True
    if name not in sp.formats:
        return TimingRule("dense", lanes), False
    if fmt.kind == "nm":
        return TimingRule("nm", 1, n=fmt.n, m=fmt.m), True
    if fmt.kind == "bsr":
        br, bc = fmt.block_shape
        return TimingRule("block", lanes, block_rows=br, block_cols=bc), True
    return TimingRule("unstructured", lanes), True


def _min_width(count: int) -> int:
    """Bits to tell ``count`` values apart: ``max(1, ceil(log2 count))``."""
    return max(1, (int(count) - 1).bit_length())


def weight_storage_bits(fmt: FormatSpec, rows: int, cols: int, nnz: int, value_bits: int,
                        stored_blocks: int = 0) -> tuple[int, int]:
    """Storage of a ``rows x cols`` weight matrix in ``fmt``: ``(values_bits, metadata_bits)``.

    The same rules as :meth:`accelsim.formats.SparseTensor.storage_bits` with
    minimal index widths (``w(x) = max(1, ceil(log2 x))``), computed from counts
    so no encoded tensor has to be built:

    * dense: ``rows*cols`` values, no metadata
    * csr: ``nnz`` values; ``nnz*w(cols) + (rows+1)*w(nnz+1)``
    * csc: ``nnz`` values; ``nnz*w(rows) + (cols+1)*w(nnz+1)``
    * bitmap: ``nnz`` values; ``rows*cols`` bits
    * bsr RxC: ``blocks*R*C`` values; ``blocks*w(ceil(cols/C)) + (ceil(rows/R)+1)*w(blocks+1)``
    * nm N:M: ``rows*ceil(cols/M)*N`` values; ``N*w(M)`` per group (``w(C(M,N))`` compact)
    """
    vb = int(value_bits)
    kind = fmt.kind
    if kind == "dense":
        return rows * cols * vb, 0
    if kind == "csr":
        return nnz * vb, nnz * _min_width(cols) + (rows + 1) * _min_width(nnz + 1)
    if kind == "csc":
        return nnz * vb, nnz * _min_width(rows) + (cols + 1) * _min_width(nnz + 1)
    if kind == "bitmap":
        return nnz * vb, rows * cols
    if kind == "bsr":
        br, bc = fmt.block_shape
        grid_r, grid_c = -(-rows // br), -(-cols // bc)
        return (stored_blocks * br * bc * vb,
                stored_blocks * _min_width(grid_c) + (grid_r + 1) * _min_width(stored_blocks + 1))
    groups = rows * -(-cols // fmt.m)
    per_group = fmt.nm_code_bits if fmt.compact else fmt.n * fmt.nm_index_bits
    return groups * fmt.n * vb, groups * per_group


def raw_bits_view(matrix: np.ndarray, name: str) -> np.ndarray:
    """C-contiguous unsigned-integer view of a weight matrix (nonzero element = nonzero word).

    Float ``-0.0`` is mapped to ``+0.0`` first (a copy only when there is
    one), so every zero, whatever its sign, is an all-zero word.
    """
    arr = np.ascontiguousarray(matrix)
    if arr.dtype.kind not in "biuf" or arr.dtype.itemsize not in (1, 2, 4, 8):
        raise AccelsimInputError(f"cannot simulate layer {name!r}",
                                 [Problem(f"{name}.weight", f"dtype {arr.dtype}",
                                          "a bool, integer or float array")])
    if arr.dtype.kind == "f":
        negative_zero = (arr == 0) & np.signbit(arr)
        if negative_zero.any():
            arr = arr.copy()
            arr[negative_zero] = 0
    return arr.view(np.dtype(f"u{arr.dtype.itemsize}"))


# ----------------------------------------------------------------------------- kernels
@numba.njit(cache=True)
def _scan_unstructured(u, n_per_group, cols, n_cf, rf_size, row_nnz, union, is_flags):
    """One pass: nnz per row; union[g*n_cf + cf, k] marks; is_flags[row, rf] marks.

    ``union`` is only written when it has a column, ``is_flags`` when ``rf_size > 0``.
    """
    n_rows, k = u.shape
    do_union = union.shape[1] > 0
    for j in range(n_rows):
        g = j // n_per_group
        cg = g * n_cf + (j % n_per_group) // cols
        count = 0
        for c in range(k):
            if u[j, c] != 0:
                count += 1
                if do_union:
                    union[cg, c] = 1
                if rf_size > 0:
                    is_flags[j, c // rf_size] = 1
        row_nnz[j] = count


@numba.njit(cache=True)
def _scan_blocks(u, block_rows, block_cols, nonzero_blocks, row_nnz):
    """nonzero_blocks[bi, bj] = 1 if the block has a nonzero; nnz per row."""
    n_rows, k = u.shape
    for j in range(n_rows):
        bi = j // block_rows
        count = 0
        for c in range(k):
            if u[j, c] != 0:
                count += 1
                nonzero_blocks[bi, c // block_cols] = 1
        row_nnz[j] = count


@numba.njit(cache=True)
def _scan_nm(u, m, row_nnz, row_max_group):
    """nnz per row and the largest nonzero count of any M-group of the row."""
    n_rows, k = u.shape
    for j in range(n_rows):
        count = 0
        best = 0
        for start in range(0, k, m):            # one M-group at a time: no modulo, no branch per element
            in_group = 0
            for c in range(start, min(start + m, k)):
                in_group += u[j, c] != 0
            count += in_group
            if in_group > best:
                best = in_group
        row_nnz[j] = count
        row_max_group[j] = best


@numba.njit(cache=True)
def _ws_fold_positions(u, n_per_group, cols, n_cf, chunk, stamp, out):
    """out[cg, f] = distinct reduction positions of the stored weights ranked ``f*chunk ..`` per channel.

    Channel ``j``'s ``r``-th nonzero weight sits in row fold ``r // chunk``.
    ``stamp`` (``(folds, K)`` int64, zero) marks positions already counted
    for the current column group (rows of a column group are contiguous).
    Branch-free inner loops: the row's nonzero positions are compacted first,
    then every fold's positions are stamped unconditionally.
    """
    n_rows, k = u.shape
    positions = np.empty(k, dtype=np.int64)
    for j in range(n_rows):
        g = j // n_per_group
        cg = g * n_cf + (j % n_per_group) // cols
        mark = cg + 1
        count = 0
        for c in range(k):
            positions[count] = c
            count += u[j, c] != 0
        f = 0
        start = 0
        while start < count:
            stop = min(start + chunk, count)
            added = 0
            for r in range(start, stop):
                c = positions[r]
                added += stamp[f, c] != mark
                stamp[f, c] = mark
            out[cg, f] += added
            f += 1
            start = stop


@numba.njit(cache=True)
def _ws_fold_positions_blocks(blocks, n_rows, n_per_group, cols, n_cf, block_rows, block_cols, k,
                              lanes, rows, stamp, out):
    """Like :func:`_ws_fold_positions` for BSR: a stored block's element ``e`` is beat ``b*ceil(C/lanes) + e//lanes``."""
    per_block = (block_cols + lanes - 1) // lanes
    for j in range(n_rows):
        g = j // n_per_group
        cg = g * n_cf + (j % n_per_group) // cols
        bi = j // block_rows
        b = 0
        for bj in range(blocks.shape[1]):
            if blocks[bi, bj]:
                start = bj * block_cols
                width = min(block_cols, k - start)
                for e in range(width):
                    f = (b * per_block + e // lanes) // rows
                    c = start + e
                    if stamp[f, c] != cg + 1:
                        stamp[f, c] = cg + 1
                        out[cg, f] += 1
                b += 1


def _dense_fold_activations(n_cg: int, k_rows: int, rows: int, per_row: float, chunk: int) -> np.ndarray:
    """``(n_cg, ceil(k_rows / chunk))``: ``min(chunk, rows left) * per_row`` for every column group."""
    n_rf = _ceil_div(k_rows, chunk)
    sizes = np.minimum(chunk, k_rows - np.arange(n_rf) * chunk).astype(np.float64) * per_row
    return np.broadcast_to(sizes[None, :], (n_cg, n_rf))


# ----------------------------------------------------------------------------- scans (reused for frozen weights)
def _nm_counts(u, m):
    row_nnz = np.empty(u.shape[0], dtype=np.int64)
    row_max = np.empty(u.shape[0], dtype=np.int64)
    _scan_nm(u, m, row_nnz, row_max)
    return row_nnz, row_max


def _unstructured_scan(u, n, cols, n_cf, rf_size, want_union):
    row_nnz = np.empty(u.shape[0], dtype=np.int64)
    union = np.zeros((u.shape[0] // n * n_cf, u.shape[1] if want_union else 0), dtype=np.uint8)
    n_rf = _ceil_div(u.shape[1], rf_size) if rf_size else 0
    is_flags = np.zeros((u.shape[0], n_rf), dtype=np.uint8)
    _scan_unstructured(u, n, cols, n_cf, rf_size, row_nnz, union, is_flags)
    return row_nnz, union, is_flags


def _ws_positions(u, n, cols, n_cf, chunk, folds):
    stamp = np.zeros((folds, u.shape[1]), dtype=np.int64)
    out = np.zeros((u.shape[0] // n * n_cf, folds), dtype=np.int64)
    _ws_fold_positions(u, n, cols, n_cf, chunk, stamp, out)
    return out.astype(np.float64)


def _block_scan(u, block_rows, block_cols, grid_r, grid_c):
    nonzero_blocks = np.zeros((grid_r, grid_c), dtype=np.uint8)
    row_nnz = np.empty(u.shape[0], dtype=np.int64)
    _scan_blocks(u, block_rows, block_cols, nonzero_blocks, row_nnz)
    return nonzero_blocks, row_nnz


# ----------------------------------------------------------------------------- profile
def _ceil_div(a, b):
    return -(-a // b)


def weight_profile(layer, rule: TimingRule, rows: int, cols: int, dataflow: str,
                   value_view: np.ndarray | None) -> WeightProfile:
    """Beats, column-group activation unions, IS vector counts and stored counts of a layer.

    Parameters
    ----------
    layer : accelsim.workload.Layer
    rule : TimingRule
    rows, cols : int
        Array geometry.
    dataflow : {"ws", "os", "is"}
    value_view : numpy.ndarray or None
        :func:`raw_bits_view` of ``layer.weight_matrix()``; ``None`` for a layer
        without weights (runs dense).
    """
    g, n, k = int(layer.groups), int(layer.n), int(layer.k)
    n_cf = _ceil_div(n, cols)
    lanes = rule.lanes
    rf_elems = rows * lanes
    want_union = dataflow in ("ws", "os")
    want_is = dataflow == "is"
    want_ws = dataflow == "ws"
    if rule.rule == "dense" or value_view is None:
        nnz = g * n * k if value_view is None else cached_scan(
            value_view, ("nnz",), lambda: int(np.count_nonzero(value_view)))
        beats = np.full((g, n), pe_beats("dense", lanes=lanes, k=k), dtype=np.int64)
        n_rf = _ceil_div(k, rf_elems)
        acts = _dense_fold_activations(g * n_cf, k, rows, 1.0, rf_elems) if want_ws else None
        return WeightProfile(beats, np.full((g, n_cf), k, dtype=np.int64), k,
                             np.full((g, n_rf), n, dtype=np.int64),
                             np.full((g, n), k, dtype=np.int64), nnz, fold_activations=acts)
    if rule.rule == "nm":
        row_nnz, row_max = cached_scan(value_view, ("nm", rule.m), lambda: _nm_counts(value_view, rule.m))
        bad = np.flatnonzero(row_max > rule.n)
        if bad.size:
            raise AccelsimInputError(
                f"cannot run layer {layer.name!r} as nm:{rule.n}:{rule.m}",
                [Problem(f"{layer.name}.weight", f"{int(row_max.max())} nonzeros in one group of "
                         f"{rule.m} (output channel {int(bad[0])}, {bad.size} channels affected)",
                         f"at most {rule.n} nonzeros in every group of {rule.m} along the reduction")],
                hint=f"prune the workload first, e.g. prune='nm:{rule.n}:{rule.m}'")
        # one N:M PE (N multipliers) is N array positions: N * its beats
        compressed = rule.n * pe_beats("nm", lanes=rule.n, k=k, m=rule.m)
        n_rf = _ceil_div(compressed, rows)
        per_row = rule.m / rule.n
        acts = _dense_fold_activations(g * n_cf, compressed, rows, per_row, rows) if want_ws else None
        return WeightProfile(np.full((g, n), compressed, dtype=np.int64),
                             np.full((g, n_cf), k, dtype=np.int64), compressed,
                             np.full((g, n_rf), n, dtype=np.int64),
                             np.full((g, n), compressed, dtype=np.int64), int(row_nnz.sum()),
                             fold_activations=acts, activations_per_row=per_row)
    if rule.rule == "unstructured":
        n_rf = _ceil_div(k, rf_elems)
        row_nnz, union, is_flags = cached_scan(
            value_view, ("unstructured", n, cols, n_cf, rf_elems if want_is else 0, want_union),
            lambda: _unstructured_scan(value_view, n, cols, n_cf, rf_elems if want_is else 0, want_union))
        beats = pe_beats("unstructured", lanes=lanes, nnz=row_nnz).reshape(g, n)
        union_count = (union.sum(axis=1, dtype=np.int64).reshape(g, n_cf) if want_union
                       else np.full((g, n_cf), k, dtype=np.int64))
        vectors = (is_flags.reshape(g, n, n_rf).sum(axis=1, dtype=np.int64) if want_is
                   else np.full((g, n_rf), n, dtype=np.int64))
        acts = None
        if want_ws:
            folds = _ceil_div(int(row_nnz.max(initial=0)), rf_elems)
            acts = cached_scan(value_view, ("ws_positions", n, cols, n_cf, rf_elems, folds),
                               lambda: _ws_positions(value_view, n, cols, n_cf, rf_elems, folds))
        return WeightProfile(beats, union_count, k, vectors, row_nnz.reshape(g, n),
                             int(row_nnz.sum()), fold_activations=acts)
    # block
    br, bc = rule.block_rows, rule.block_cols
    grid_r, grid_c = _ceil_div(g * n, br), _ceil_div(k, bc)
    nonzero_blocks, row_nnz = cached_scan(value_view, ("blocks", br, bc),
                                          lambda: _block_scan(value_view, br, bc, grid_r, grid_c))
    blocks = nonzero_blocks.astype(bool)
    per_block_row = blocks.sum(axis=1, dtype=np.int64)
    block_row_of = np.arange(g * n) // br
    nzb = per_block_row[block_row_of]
    beats = pe_beats("block", lanes=lanes, nonzero_blocks=nzb, block_cols=bc).reshape(g, n)
    stored = (nzb * bc).reshape(g, n)
    col_width = np.minimum(bc, k - np.arange(grid_c) * bc)          # real positions per block column
    if want_union:
        block_cols_of_rows = blocks[block_row_of]                      # (g*n, grid_c)
        padded = np.zeros((g, n_cf * cols, grid_c), dtype=bool)
        padded[:, :n, :] = block_cols_of_rows.reshape(g, n, grid_c)
        any_cols = padded.reshape(g, n_cf, cols, grid_c).any(axis=2)
        union_count = (any_cols * col_width).sum(axis=2).astype(np.int64)
    else:
        union_count = np.full((g, n_cf), k, dtype=np.int64)
    n_rf = _ceil_div(k, rf_elems)
    if want_is:
        cum = np.concatenate([np.zeros((grid_r, 1), dtype=np.int64),
                              np.cumsum(blocks, axis=1, dtype=np.int64)], axis=1)
        lo = np.arange(n_rf) * rf_elems
        hi = np.minimum(lo + rf_elems, k)
        first_b, last_b = lo // bc, (hi - 1) // bc
        flags = (cum[:, last_b + 1] - cum[:, first_b]) > 0             # (grid_r, n_rf)
        vectors = flags[block_row_of].reshape(g, n, n_rf).sum(axis=1, dtype=np.int64)
    else:
        vectors = np.full((g, n_rf), n, dtype=np.int64)
    acts = None
    if want_ws:
        folds = _ceil_div(int(beats.max(initial=0)), rows)
        stamp = np.zeros((folds, k), dtype=np.int64)
        out = np.zeros((g * n_cf, folds), dtype=np.int64)
        _ws_fold_positions_blocks(nonzero_blocks, g * n, n, cols, n_cf, br, bc, k, lanes, rows, stamp, out)
        acts = out.astype(np.float64)
    return WeightProfile(beats, union_count, k, vectors, stored, int(row_nnz.sum()),
                         int(per_block_row.sum()), fold_activations=acts)
