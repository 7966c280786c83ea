"""The mapping space: tile sizes, tile loop orders and double buffering, as candidate arrays.

A layer's GEMM ``out[M, N] = act[M, K] @ W[K, N]`` (per group) is placed on
the array as SCALE-Sim places it: a spatial row dimension, a spatial column
dimension and a temporal (streamed) dimension (:data:`ROLES`). A mapping
adds one level of tiles above the folds, at the on-chip buffers:

* a tile of the spatial dimensions is a whole number of folds (``f_row`` row
  folds, ``f_col`` column folds), so tiling them costs no array cycles;
* a tile of the temporal dimension is ``tile_t`` elements; every temporal
  tile streams through every fold of its spatial tile with the fold's own
  fill and drain (SCALE-Sim's per-fold formula with ``T = tile_t``);
* the three tile loops run in one of six orders (outer to inner, e.g.
  ``"nkm"``); inside a tile the folds run in SCALE-Sim's order (column folds
  outer, row folds inner, the temporal dimension streamed);
* ``double_buffered``: half of each buffer holds the working set and the
  other half the next tile's data (transfers overlap compute), or the whole
  buffer holds the working set and transfers do not overlap.

Tile counts are halvings: ``ceil(F / 2**i)`` folds (spatial) and
``ceil(D / 2**i)`` elements (temporal) for ``i = 0, 1, ...`` down to one,
so a dimension of ``F`` folds has about ``log2(F) + 1`` tile sizes.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations

import numpy as np

__all__ = ["ROLES", "ORDERS", "DIMS", "tile_options", "Candidates", "candidates"]

#: GEMM dimensions, in the index order used by the candidate arrays.
DIMS = ("m", "n", "k")

#: Per dataflow: (spatial row dimension, spatial column dimension, temporal dimension).
ROLES = {"ws": ("k", "n", "m"), "os": ("m", "n", "k"), "is": ("k", "m", "n")}

#: The six tile loop orders, outer to inner.
ORDERS = tuple("".join(p) for p in permutations(DIMS))


def tile_options(extent: int) -> np.ndarray:
    """Tile sizes ``ceil(extent / 2**i)`` down to 1, largest first (int64)."""
    extent = max(int(extent), 1)
    out = []
    size = extent
    i = 0
    while True:
        size = -(-extent // (1 << i))
        if not out or size != out[-1]:
            out.append(size)
        if size == 1:
            break
        i += 1
    return np.asarray(out, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class Candidates:
    """Every mapping of one layer, one entry per candidate (all arrays ``(C,)`` int64).

    Attributes
    ----------
    f_row, f_col : numpy.ndarray
        Row and column folds per tile.
    tile_t : numpy.ndarray
        Temporal tile in elements.
    t_index : numpy.ndarray
        Index of ``tile_t`` in the temporal options (for per-option tables).
    order : numpy.ndarray
        Index into :data:`ORDERS`.
    double_buffered : numpy.ndarray
        1 or 0.
    """

    f_row: np.ndarray
    f_col: np.ndarray
    tile_t: np.ndarray
    t_index: np.ndarray
    order: np.ndarray
    double_buffered: np.ndarray

    @property
    def size(self) -> int:
        """Number of candidates."""
        return int(self.order.size)


def candidates(folds_row: int, folds_col: int, extent_t: int) -> Candidates:
    """The full mapping space of a layer with these fold counts and temporal extent.

    The order of the candidates is fixed (row tiles, column tiles, temporal
    tiles, loop order, double buffering; largest tiles first), so ties in the
    search resolve the same way every time.
    """
    rows = tile_options(folds_row)
    cols = tile_options(folds_col)
    temporal = tile_options(extent_t)
    grid = np.meshgrid(np.arange(rows.size), np.arange(cols.size), np.arange(temporal.size),
                       np.arange(len(ORDERS)), np.array([1, 0]), indexing="ij")
    r, c, t, o, db = (g.reshape(-1).astype(np.int64) for g in grid)
    return Candidates(rows[r], cols[c], temporal[t], t, o, db)
