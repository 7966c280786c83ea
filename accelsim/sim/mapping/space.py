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


def _distinct_orders() -> np.ndarray:
    """``KEEP[pattern, order]``: the first order of each class that behaves the same.

    ``pattern`` has bit ``i`` set when dimension ``DIMS[i]`` has more than
    one tile. A loop of one trip revisits nothing and scales nothing, so two
    orders that rank the multi-tile dimensions alike cost the same; only the
    first of them (lowest index in :data:`ORDERS`) is kept.
    """
    keep = np.zeros((8, len(ORDERS)), dtype=bool)
    for pattern in range(8):
        seen = set()
        for i, order in enumerate(ORDERS):
            key = "".join(d for d in order if pattern >> DIMS.index(d) & 1)
            if key not in seen:
                seen.add(key)
                keep[pattern, i] = True
    return keep


_KEEP = _distinct_orders()


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
    order_start : numpy.ndarray
        ``(len(ORDERS) + 1,)``: candidates of order ``o`` are
        ``order_start[o]:order_start[o + 1]`` (the arrays are order-major).
    """

    f_row: np.ndarray
    f_col: np.ndarray
    tile_t: np.ndarray
    t_index: np.ndarray
    order: np.ndarray
    double_buffered: np.ndarray
    order_start: np.ndarray

    @property
    def size(self) -> int:
        """Number of candidates."""
        return int(self.order.size)


def candidates(folds_row: int, folds_col: int, extent_t: int, roles=ROLES["ws"],
               distinct: bool = True) -> Candidates:
    """The mapping space of a layer with these fold counts and temporal extent.

    Every tile size, loop order and buffering, except loop orders that are
    equivalent to an earlier one because they differ only in where
    single-tile loops sit (see :func:`_distinct_orders`; such orders have
    exactly the same cost). The order of the candidates is fixed (loop
    order, row tiles, column tiles, temporal tiles, double buffering;
    largest tiles first), so ties in the search resolve the same way every
    time.

    Parameters
    ----------
    folds_row, folds_col : int
        Spatial folds of the layer.
    extent_t : int
        Temporal extent.
    roles : tuple of str
        (row, column, temporal) dimensions (:data:`ROLES`), to know which
        dimension each tile count belongs to.
    distinct : bool
        False: keep the equivalent orders too (the whole space, for brute force).
    """
    rows = tile_options(folds_row)
    cols = tile_options(folds_col)
    temporal = tile_options(extent_t)
    grid = np.indices((len(ORDERS), rows.size, cols.size, temporal.size, 2)).reshape(5, -1)
    o, r, c, t, db = grid.astype(np.int64)
    db = 1 - db
    f_row, f_col, tile_t = rows[r], cols[c], temporal[t]
    multi = {roles[0]: -(-max(folds_row, 1) // f_row) > 1, roles[1]: -(-max(folds_col, 1) // f_col) > 1,
             roles[2]: -(-max(extent_t, 1) // tile_t) > 1}
    pattern = sum(multi[d].astype(np.int64) << i for i, d in enumerate(DIMS))
    keep = _KEEP[pattern, o] if distinct else np.ones(o.size, dtype=bool)
    o = o[keep]
    start = np.searchsorted(o, np.arange(len(ORDERS) + 1))
    return Candidates(f_row[keep], f_col[keep], tile_t[keep], t[keep], o, db[keep], start)
