"""Timing helper shared by the benchmark scripts (not a benchmark itself: ``run_all.py`` runs ``bench_*.py``)."""

from __future__ import annotations

import time

__all__ = ["best_seconds"]


def best_seconds(fn, repeat: int = 5) -> float:
    """The shortest wall time of ``repeat`` calls of ``fn()``, in seconds (the least disturbed run)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best
