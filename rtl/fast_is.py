"""Fast reference of the input-stationary array: a whole layer's IS folds for the fast systolic kernel.

The IS array (:class:`accelsim.rtl.arrays.systolic.SystolicArray` with
``dataflow="is"``; model :class:`accelsim.sim.array_model.SystolicArrayModel`)
keeps one pixel per column stationary: cell ``(r, c)`` holds the
``acts_per_beat`` activations of pixel ``c`` in reduction chunk ``r`` (chunk:
M for N:M cells, else ``lanes``). A fold is a block of ``cols`` pixels x one
reduction chunk of ``rows * chunk``; it streams one vector per output channel
(per row: ``lanes`` weights, N:M the N stored values and their in-group
indices), and skips the channels whose weights are all zero in that chunk
(the simulator's IS timing). Block and unstructured PEs run on dense cells.

:func:`is_layer_folds` cuts a GEMM into those folds the way
:func:`accelsim.rtl.arrays.layer.layer_stimulus` does (pixel block outer,
reduction chunk inner); :func:`is_folds_trace` drives a selection of them
through :func:`accelsim.rtl.fast_array.systolic_word_trace` (bubbles and
back-pressure included). The stationary sets and streamed vectors are
built once per layer with NumPy; a batch of folds only indexes them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.errors import AccelsimInputError
from accelsim.sim.array_model import array_cell_config, check_array
from accelsim.sim.pe_model import PEConfig

__all__ = ["ISFolds", "is_layer_folds", "concat_folds", "is_folds_trace"]


@dataclass(frozen=True)
class ISFolds:
    """Every IS fold of one GEMM, in order (pixel block, then reduction chunk).

    Attributes
    ----------
    stationary : ndarray (PB * KC, rows, cols, P) int64
        Stationary activations of pixel block ``p`` and chunk ``k`` at
        ``p * KC + k`` (``P = acts_per_beat``; padding pixels and positions 0).
    flow : ndarray (T, rows, lanes + I) int64
        Streamed vectors of every chunk, chunk after chunk: per row ``lanes``
        weights then ``I`` N:M indices (``I = 0`` for dense cells).
    channel : ndarray (T,) int64
        Output channel of each streamed vector.
    fold_st, fold_v0, fold_v1, fold_p0, fold_chunk : ndarray (F,) int64
        Fold ``f`` loads ``stationary[fold_st[f]]``, streams
        ``flow[fold_v0[f]:fold_v1[f]]``; its results belong to pixels
        ``fold_p0[f] + c`` (column ``c``) and reduction chunk ``fold_chunk[f]``.
    pixels : int
        Padded pixel count (``PB * cols``).
    """

    stationary: np.ndarray
    flow: np.ndarray
    channel: np.ndarray
    fold_st: np.ndarray
    fold_v0: np.ndarray
    fold_v1: np.ndarray
    fold_p0: np.ndarray
    fold_chunk: np.ndarray
    pixels: int

    @property
    def folds(self) -> int:
        """Number of folds."""
        return int(self.fold_st.size)


def is_layer_folds(cfg: PEConfig, rows: int, cols: int, wmat, amat, *, seed: int = 0) -> ISFolds:
    """Cut a GEMM (``wmat``: N channels x K, ``amat``: V pixels x K) into IS folds.

    Unused N:M lanes get weight 0 and a seeded random index (``seed``).

    Raises
    ------
    AccelsimInputError
        If the operands are not 2-D with the same K, or an N:M group holds
        more than N nonzeros.
    """
    from accelsim.rtl.layer_verify import _nm_cells

    check_array(cfg, "is", rows, cols)
    cell = array_cell_config(cfg, "is")
    wmat, amat = np.asarray(wmat, dtype=np.int64), np.asarray(amat, dtype=np.int64)
    if wmat.ndim != 2 or amat.ndim != 2 or wmat.shape[1] != amat.shape[1]:
        raise AccelsimInputError(f"weights {wmat.shape} and activations {amat.shape} are not "
                                 "N x K and V x K matrices of one GEMM")
    chunk = cell.m if cell.kind == "nm" else cell.lanes
    span = rows * chunk
    (n, k), v = wmat.shape, amat.shape[0]
    kc, pb = max(-(-k // span), 1), max(-(-v // cols), 1)
    wpad = np.zeros((n, kc * span), dtype=np.int64)
    wpad[:, :k] = wmat
    apad = np.zeros((pb * cols, kc * span), dtype=np.int64)
    apad[:v, :k] = amat
    # stationary[p, k, r, c, :] = apad[p * cols + c, k * span + r * chunk : ... + chunk]
    stationary = apad.reshape(pb, cols, kc, rows, chunk).transpose(0, 2, 3, 1, 4) \
        .reshape(pb * kc, rows, cols, chunk)
    per_chunk = wpad.reshape(n, kc, rows, chunk)
    streamed = np.any(per_chunk != 0, axis=(2, 3))            # (N, KC): channel streamed in chunk
    kk, nn = np.nonzero(streamed.T)                           # chunk-major order, channels ascending
    vecs = per_chunk[nn, kk]                                  # (T, rows, chunk)
    if cell.kind == "nm":
        vals, idx = _nm_cells(vecs, cell.n, cell.m, cell.index_bits, np.random.default_rng(seed))
        flow = np.concatenate([vals, idx], axis=2)
    else:
        flow = vecs
    start = np.zeros(kc + 1, dtype=np.int64)
    start[1:] = np.cumsum(streamed.sum(axis=0))
    p_idx, k_idx = (x.ravel() for x in np.meshgrid(np.arange(pb), np.arange(kc), indexing="ij"))
    keep = start[k_idx + 1] > start[k_idx]                    # chunks where every channel is zero: no fold
    p_idx, k_idx = p_idx[keep], k_idx[keep]
    return ISFolds(np.ascontiguousarray(stationary), np.ascontiguousarray(flow, dtype=np.int64),
                   nn.astype(np.int64), (p_idx * kc + k_idx).astype(np.int64),
                   start[k_idx], start[k_idx + 1], (p_idx * cols).astype(np.int64),
                   k_idx.astype(np.int64), pb * cols)


def concat_folds(parts, channel_offsets) -> ISFolds:
    """The folds of several GEMMs over the same pixels (a grouped conv's groups) as one run.

    ``parts[i]``'s channels are shifted by ``channel_offsets[i]``; fold order is
    part after part.
    """
    parts = list(parts)
    if not parts or len(channel_offsets) != len(parts) or len({p.pixels for p in parts}) != 1:
        raise AccelsimInputError("concat_folds needs one channel offset per part and parts of "
                                 "the same padded pixels")
    st_off = np.cumsum([0] + [p.stationary.shape[0] for p in parts])
    v_off = np.cumsum([0] + [p.flow.shape[0] for p in parts])
    cat = np.concatenate
    return ISFolds(cat([p.stationary for p in parts]), cat([p.flow for p in parts]),
                   cat([p.channel + off for p, off in zip(parts, channel_offsets)]),
                   cat([p.fold_st + st_off[i] for i, p in enumerate(parts)]),
                   cat([p.fold_v0 + v_off[i] for i, p in enumerate(parts)]),
                   cat([p.fold_v1 + v_off[i] for i, p in enumerate(parts)]),
                   cat([p.fold_p0 for p in parts]), cat([p.fold_chunk for p in parts]),
                   parts[0].pixels)


def is_folds_trace(cfg: PEConfig, rows: int, cols: int, folds: ISFolds, select=None, *,
                   bubble=(0.0,), stall=(0.0,), seed: int = 0):
    """Drive folds ``select`` (default all) of ``folds`` through the fast IS model.

    Returns the :class:`~accelsim.rtl.fast_array.WordTrace` of
    :func:`accelsim.rtl.fast_array.systolic_word_trace`; selected fold ``i``
    uses ``bubble[i % len]`` and ``stall[i % len]``.
    """
    from accelsim.rtl.fast_array import systolic_word_trace

    sel = np.arange(folds.folds) if select is None else np.asarray(select, dtype=np.int64)
    if sel.size == 0:
        raise AccelsimInputError("no IS folds selected")
    return systolic_word_trace(cfg, "is", rows, cols, folds.stationary, folds.fold_st[sel],
                               folds.flow, folds.fold_v0[sel], folds.fold_v1[sel],
                               bubble=bubble, stall=stall, seed=seed)
