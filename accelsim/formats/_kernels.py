"""Numba kernels that build the index structure of the sparse formats.

Every kernel takes a 2-D (or 3-D) boolean nonzero mask and scalars, and writes
into output arrays the caller allocated (count first, allocate, then fill).
Values are never touched here: the Python wrappers gather them with NumPy in
the weight's own dtype, so a single compiled specialisation serves every dtype.
"""

from __future__ import annotations

import numba

__all__ = ["compressed_count", "compressed_fill", "block_occupancy", "nm_count", "nm_select"]


@numba.njit(cache=True)
def compressed_count(mask, run_limit, counts):
    """Count stored entries per row of a compressed (CSR-like) encoding.

    Parameters
    ----------
    mask : bool[:, :]
        Nonzero mask, one row per compressed line.
    run_limit : int
        Longest run of zeros one relative index can skip (``2**bits - 1``);
        a longer gap costs ``gap // (run_limit + 1)`` padding entries. Pass a
        value >= the row length for absolute indices (never any padding).
    counts : int64[:]
        Output, one count per row.
    """
    rows, cols = mask.shape
    step = run_limit + 1
    for r in range(rows):
        n = 0
        prev = -1
        for c in range(cols):
            if mask[r, c]:
                n += (c - prev - 1) // step + 1
                prev = c
        counts[r] = n


@numba.njit(cache=True)
def compressed_fill(mask, run_limit, indptr, indices):
    """Write the minor-axis index of every stored entry, padding included.

    Parameters
    ----------
    mask : bool[:, :]
    run_limit : int
        As for :func:`compressed_count`.
    indptr : int64[:]
        Row pointers (``rows + 1``) from the counts.
    indices : int64[:]
        Output, ``indptr[-1]`` absolute minor indices, ascending in each row. A
        padding entry sits ``run_limit + 1`` positions after its predecessor.
    """
    rows, cols = mask.shape
    for r in range(rows):
        k = indptr[r]
        prev = -1
        for c in range(cols):
            if mask[r, c]:
                while c - prev - 1 > run_limit:
                    prev = prev + run_limit + 1
                    indices[k] = prev
                    k += 1
                indices[k] = c
                k += 1
                prev = c


@numba.njit(cache=True)
def block_occupancy(mask, block_rows, block_cols, occupied):
    """Mark the R x C blocks that hold a nonzero.

    Parameters
    ----------
    mask : bool[:, :]
        Nonzero mask of the matrix (not padded; edge blocks may be partial).
    block_rows, block_cols : int
        R and C.
    occupied : bool[:, :]
        Output ``(ceil(rows / R), ceil(cols / C))``, all False on entry.
    """
    rows, cols = mask.shape
    for i in range(rows):
        bi = i // block_rows
        for j in range(cols):
            if mask[i, j]:
                occupied[bi, j // block_cols] = True


@numba.njit(cache=True)
def nm_count(mask, m, counts):
    """Count nonzeros of every group of ``m`` consecutive mask elements.

    Parameters
    ----------
    mask : bool[:]
        Flattened nonzero mask of the ``(rows, groups, M)`` padded matrix.
    m : int
        Group size M.
    counts : int64[:]
        Output, one count per group (``mask.size // m``).
    """
    for q in range(counts.size):
        n = 0
        base = q * m
        for p in range(m):
            n += mask[base + p]
        counts[q] = n


@numba.njit(cache=True)
def nm_select(mask, m, counts, n_keep, positions, flat):
    """Choose the N kept positions of every group, ascending.

    The kept positions are every nonzero position plus, when a group has
    fewer than N nonzeros, its lowest zero positions (stored as explicit
    zeros). The caller has checked ``counts <= n_keep``.

    Parameters
    ----------
    mask : bool[:]
        Flattened nonzero mask of the ``(rows, groups, M)`` padded matrix.
    m : int
        Group size M.
    counts : int64[:]
        Nonzeros per group, from :func:`nm_count`.
    n_keep : int
        N.
    positions : uint8[:, :]
        Output ``(groups, N)``: in-group positions 0..M-1.
    flat : int64[:, :]
        Output ``(groups, N)``: the same positions as flat indices into the
        mask, ``group * M + position``.
    """
    for q in range(counts.size):
        fill = n_keep - counts[q]
        base = q * m
        k = 0
        for p in range(m):
            keep = mask[base + p]
            if not keep and fill > 0:
                keep = True
                fill -= 1
            if keep:
                positions[q, k] = p
                flat[q, k] = base + p
                k += 1
