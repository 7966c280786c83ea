"""A whole layer on an array top of any dataflow: every fold or tile, where its results go, and the assembly.

``layer_stimulus(cfg, dataflow, rows, cols, wmat, amat)`` cuts a pruned,
quantized layer (``wmat``: N channels x K, ``amat``: V pixels x K) into the
trials the array's verification runs (:func:`accelsim.rtl.verify.verify_jobs`
takes them as they are) and a :class:`Placement` per trial; ``assemble`` adds
per-trial results into the ``V x N`` output, wrapping to ``accumulator_bits``
after every add as the accumulator would. Applied to the trials' expected
results it must give ``wrap(amat @ wmat.T)`` -- the test that the cut maps
every nonzero weight exactly once.

==== ============================================ ================================
flow trial                                        results
==== ============================================ ================================
OS   one tile per (pixel block of ``rows``,       ``rows`` rows x ``cols`` channels,
     channel block of ``cols``), the whole K      complete sums
WS   one fold per (channel block, K chunk of      per pixel, ``cols`` partial sums
     ``rows x chunk``); block: per window segment
     the stored chunks, ``rows`` per fold
IS   one fold per (pixel block of ``cols``, K     per streamed channel (all-zero
     chunk); all-zero channels are not streamed   ones skipped), ``cols`` partial sums
==== ============================================ ================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelsim.sim.array_model import array_cell_config, check_array
from accelsim.sim.pe_model import PEConfig, wrap_signed
from accelsim.rtl.arrays.stimulus import (_chunk, block_ws_folds, os_tile_from_matrix,
                                          sys_fold_from_matrix)

__all__ = ["Placement", "layer_stimulus", "assemble", "bsr_stored_blocks"]


@dataclass(frozen=True)
class Placement:
    """Where a trial's result vectors go: ``results[i][j]`` -> ``out[pixels[i], channels[j]]``.

    OS: ``pixels`` per result row, ``channels`` per column. WS: one result per
    pixel (``pixels``), one value per column (``channels``). IS: results per
    streamed channel: ``channels[i]`` for result ``i`` and ``pixels[j]`` per value
    (``transposed`` is True). Padded rows/columns beyond the layer are dropped.
    """

    pixels: tuple
    channels: tuple
    transposed: bool = False


def bsr_stored_blocks(cfg: PEConfig, wmat, channels) -> list[list[int]]:
    """Stored block columns of each channel's block row (BSR: any nonzero in the block)."""
    wmat = np.asarray(wmat)
    br, bc = cfg.block_rows, cfg.block_cols
    nb = -(-wmat.shape[1] // bc)
    out = []
    for n in channels:
        band = wmat[(n // br) * br:(n // br + 1) * br]
        out.append([b for b in range(nb) if np.any(band[:, b * bc:(b + 1) * bc])])
    return out


def layer_stimulus(cfg: PEConfig, dataflow: str, rows: int, cols: int, wmat, amat, seed: int = 0):
    """Every trial of the layer on the ``rows x cols`` ``dataflow`` array, with its placement.

    Returns
    -------
    list of (trial, Placement)
        ``trial`` is an OS trial (a list of one tile) or a fold.
    """
    check_array(cfg, dataflow, rows, cols)
    rng = np.random.default_rng(seed)
    wmat, amat = np.asarray(wmat, dtype=np.int64), np.asarray(amat, dtype=np.int64)
    n, k = wmat.shape
    v = amat.shape[0]
    out = []
    if dataflow == "os":
        for n0 in range(0, n, cols):
            chans = tuple(range(n0, min(n, n0 + cols)))
            stored = bsr_stored_blocks(cfg, wmat, chans) if cfg.kind == "block" else None
            for p0 in range(0, v, rows):
                pix = tuple(range(p0, min(v, p0 + rows)))
                tile = os_tile_from_matrix(cfg, rows, cols, wmat[list(chans)], amat[list(pix)], rng,
                                           stored_blocks=stored)
                out.append(([tile], Placement(pix, chans)))
        return out
    cell = array_cell_config(cfg, dataflow)
    if dataflow == "ws" and cfg.kind == "block":
        win = cfg.window_words
        for n0 in range(0, n, cols):
            chans = tuple(range(n0, min(n, n0 + cols)))
            stored = bsr_stored_blocks(cfg, wmat, chans)
            per_seg = win // cfg.block_cols
            for s0 in range(0, k, win):
                seg_stored = [[b - s0 // cfg.block_cols for b in st if s0 <= b * cfg.block_cols < s0 + win]
                              for st in stored]
                if not any(seg_stored):
                    continue                      # nothing stored in this segment: no fold
                assert all(0 <= b < per_seg for st in seg_stored for b in st)
                for fold in block_ws_folds(cfg, rows, cols, wmat[list(chans), s0:s0 + win],
                                           amat[:, s0:s0 + win], rng, stored_blocks=seg_stored):
                    out.append((fold, Placement(tuple(range(v)), chans)))
        return out
    span = rows * _chunk(cell)
    if dataflow == "ws":
        from accelsim.rtl.stimulus import fold_from_matrix
        for n0 in range(0, n, cols):
            chans = tuple(range(n0, min(n, n0 + cols)))
            for k0 in range(0, k, span):
                fold = fold_from_matrix(cfg, rows, cols, wmat[list(chans), k0:k0 + span],
                                        amat[:, k0:k0 + span], rng)
                out.append((fold, Placement(tuple(range(v)), chans)))
        return out
    for p0 in range(0, v, cols):
        pix = tuple(range(p0, min(v, p0 + cols)))
        for k0 in range(0, k, span):
            wpart = wmat[:, k0:k0 + span]
            streamed = tuple(int(c) for c in np.flatnonzero(np.any(wpart != 0, axis=1)))
            if not streamed:
                continue                          # every channel zero in this row fold: skipped
            fold = sys_fold_from_matrix(cfg, "is", rows, cols, wpart, amat[list(pix), k0:k0 + span], rng)
            out.append((fold, Placement(pix, streamed, transposed=True)))
    return out


def assemble(results, placements, pixels: int, channels: int, accumulator_bits: int) -> np.ndarray:
    """Add per-trial result vectors into the ``pixels x channels`` output (wrapping every add)."""
    out = [[0] * channels for _ in range(pixels)]
    for res, pl in zip(results, placements):
        for i, vec in enumerate(res):
            for j, value in enumerate(vec):
                if pl.transposed:
                    if i >= len(pl.channels) or j >= len(pl.pixels):
                        continue
                    p, c = pl.pixels[j], pl.channels[i]
                else:
                    if i >= len(pl.pixels) or j >= len(pl.channels):
                        continue
                    p, c = pl.pixels[i], pl.channels[j]
                out[p][c] = wrap_signed(out[p][c] + int(value), accumulator_bits)
    return np.array(out, dtype=object)
