"""Run chunks of design points on this machine's cores and hand each finished chunk to the caller.

* One worker runs the points in this process (no pool, no pickling).
* Several workers are a process pool. Where ``fork`` exists (Linux), the
  parent loads and prunes every workload the points need *before* the pool
  starts, and the workers inherit them copy-on-write: nothing is pruned twice
  and nothing large is pickled. Elsewhere each worker prepares what it needs
  on first use.
* Points go out in chunks, and at most ``2 x workers`` chunks are in flight,
  so the parent's memory does not grow with the number of points; the parent
  receives each chunk's records (a few hundred bytes per point) and commits
  them (see :mod:`accelsim.sweep.store`).
* Workers ignore SIGINT (the parent handles Ctrl-C and shuts the pool down)
  and exit on their own if the parent dies (SIGKILL included), so no orphan
  process is left behind.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import os
import signal
import threading
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from accelsim.sweep.runner import run_chunk, runner_for

__all__ = ["LocalExecutor", "chunked", "default_workers", "default_chunk_size", "inherits_parent_state"]


def default_workers() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def inherits_parent_state() -> bool:
    """True where worker processes are forked (they inherit the parent's prepared workloads)."""
    return "fork" in multiprocessing.get_all_start_methods()


def default_chunk_size(points: int, workers: int) -> int:
    """Points per task: about 16 tasks per worker, between 1 and 8 points each."""
    return max(1, min(8, points // max(1, workers * 16)))


def chunked(points, size: int):
    """Consecutive slices of ``points`` of ``size`` (the last one shorter)."""
    for start in range(0, len(points), size):
        yield points[start:start + size]


def _watch_parent(parent_pid: int) -> None:
    import time

    while True:
        if os.getppid() != parent_pid:
            os._exit(1)
        time.sleep(0.5)


def _init_worker(parent_pid: int) -> None:
    """Process-pool initialiser: leave signals to the parent, exit when the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            signal.signal(sig, signal.SIG_DFL)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True, name="accelsim-parent-watch").start()


class LocalExecutor:
    """Runs chunks on ``workers`` local processes (1: in this process).

    Use as a context manager; :meth:`run` blocks until every chunk is done.

    Parameters
    ----------
    context : accelsim.sweep.runner.SweepContext
    workers : int
    prepare : sequence of DesignPoint, optional
        Points whose workloads are prepared before the pool forks.
    """

    def __init__(self, context, workers: int, prepare=()):
        self.context = context
        self.workers = int(workers)
        self._prepare = prepare
        self._pool = None

    @property
    def description(self) -> str:
        """For messages: ``2 local worker processes``."""
        return "1 local process" if self.workers == 1 else f"{self.workers} local worker processes"

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            gc.unfreeze()
        return False

    def run(self, chunks, on_records) -> None:
        """Run every chunk; call ``on_records(records)`` in this process as each chunk finishes.

        With several workers and ``fork``, this process first prepares the
        workloads and runs the first point itself (loading the simulator's
        compiled kernels), so the forked workers start warm.
        """
        runner = runner_for(self.context)
        source = iter(chunks)
        if self.workers == 1:
            for chunk in source:
                on_records(runner.run_chunk(chunk))
            return
        method = "fork" if inherits_parent_state() else "spawn"
        if method == "fork":
            runner.prepare(self._prepare)       # already done by run_sweep: cached, costs nothing
            first = next(source, None)
            if first is None:
                return
            on_records(runner.run_chunk(first[:1]))
            if len(first) > 1:
                source = itertools.chain([first[1:]], source)
            # keep the inherited objects out of the collector's reach, so it does not write to (and
            # copy) their pages in every worker (the documented use of gc.freeze before fork)
            gc.freeze()
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context(method),
                                         initializer=_init_worker, initargs=(os.getpid(),))
        window = 2 * self.workers
        pending = set()

        def fill():
            while len(pending) < window:
                chunk = next(source, None)
                if chunk is None:
                    return
                pending.add(self._pool.submit(run_chunk, self.context, chunk))

        fill()
        while pending:
            done, still = wait(pending, return_when=FIRST_COMPLETED)
            pending.clear()
            pending.update(still)
            for future in done:
                on_records(future.result())
            fill()
