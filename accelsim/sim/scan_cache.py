"""Reuse of weight scans across simulations of the same frozen weights.

A design-space sweep simulates one prepared workload on hundreds of
architectures. Each simulation scans every layer's weights (nonzeros per row,
per N:M group, per block, per column group), and for N:M and unstructured
layers those scans cost about as much as the rest of the point. The scans
depend only on the weights and on a few integers (M, block shape, array
columns...), so they can be shared, but only when the weights cannot change
between two simulations.

:func:`freeze` marks an array read-only and registers it; :func:`cached_scan`
reuses a result only for a view whose memory belongs to a registered array
and which is read-only all the way to that array. Anything else (a
caller's writable array, a float tensor turned into a fresh nonzero mask) is
scanned every time, as before. Results are dropped with the array
(a weak reference), so the cache holds no memory of its own once a
workload is released. The sweep's point runner freezes the quantised
workloads it prepares (:meth:`accelsim.sweep.runner.PointRunner.hardware_workload`).
"""

from __future__ import annotations

import threading
import weakref

import numpy as np

__all__ = ["freeze", "cached_scan", "is_frozen"]

_LOCK = threading.Lock()
_FROZEN: dict = {}     # id(owner) -> (weakref to owner, {key: result})


def _forget(owner_id: int) -> None:
    with _LOCK:
        _FROZEN.pop(owner_id, None)


def freeze(array: np.ndarray) -> np.ndarray:
    """Make ``array`` read-only and let scans of it be reused; returns it.

    Parameters
    ----------
    array : numpy.ndarray
        An array that owns its memory (``array.base is None``) and that no one
        will make writable again.

    Raises
    ------
    ValueError
        If ``array`` is a view (another array owns the memory and may change it).
    """
    if not isinstance(array, np.ndarray) or array.base is not None:
        raise ValueError("freeze needs an array that owns its memory")
    array.setflags(write=False)
    key = id(array)
    with _LOCK:
        entry = _FROZEN.get(key)
        if entry is None or entry[0]() is not array:
            _FROZEN[key] = (weakref.ref(array, lambda _ref, k=key: _forget(k)), {})
    return array


def _frozen_results(view: np.ndarray):
    """The result dictionary of the registered array owning ``view``'s memory, or ``None``."""
    node = view
    while True:
        if not isinstance(node, np.ndarray) or node.flags.writeable:
            return None
        if node.base is None:
            break
        node = node.base
    with _LOCK:
        entry = _FROZEN.get(id(node))
    if entry is None or entry[0]() is not node or node.flags.writeable:
        return None
    return entry[1]


def is_frozen(view: np.ndarray) -> bool:
    """Whether scans of ``view`` are reused (its memory belongs to a :func:`freeze`-d array)."""
    return _frozen_results(view) is not None


def _read_only(result):
    if isinstance(result, np.ndarray):
        result.setflags(write=False)
    elif isinstance(result, tuple):
        for item in result:
            _read_only(item)
    return result


def cached_scan(view: np.ndarray, what: tuple, compute):
    """``compute()``, reused for the same frozen memory and the same ``what``.

    Parameters
    ----------
    view : numpy.ndarray
        The array the scan reads.
    what : tuple
        What the scan computes and its parameters (hashable), e.g.
        ``("nm", 4)``.
    compute : callable
        Runs the scan; returns an array, a number or a tuple of them. Arrays
        returned from the cache are read-only.
    """
    results = _frozen_results(view)
    if results is None:
        return compute()
    key = (what, view.__array_interface__["data"][0], view.shape, view.strides, view.dtype.str)
    found = results.get(key)
    if found is None:
        found = results.setdefault(key, _read_only(compute()))
    return found
