"""Run chunks of design points on an existing Dask cluster (``--scheduler tcp://HOST:PORT``).

The only module of accelsim that imports ``dask``/``distributed``, and only
when a scheduler address is given. Each task is one chunk of points and runs
:func:`accelsim.sweep.runner.run_chunk` on a worker; a worker process keeps
its prepared workloads between tasks. At most ``2 x (worker threads)`` chunks
are in flight, and every finished chunk's records come back to this process,
which commits them, exactly as with the local executor.

Workers need the same accelsim version (checked before any task is sent) and
must be able to read the sweep's files (workload, architecture and
energy-table files outside the bundled data): the runner checks the workload
file's SHA-256 and the point's key on the worker and refuses a mismatch.
"""

from __future__ import annotations

import re

from accelsim.errors import AccelsimInputError
from accelsim.sweep.runner import run_chunk

__all__ = ["DaskExecutor", "check_scheduler_address"]

_ADDRESS = re.compile(r"^(?:(?P<scheme>[a-z][a-z0-9+.-]*)://)?(?P<host>\[[0-9a-fA-F:]+\]|[^\s:/\[\]]+):(?P<port>\d+)/?$")


def check_scheduler_address(address) -> str:
    """Validate ``tcp://HOST:PORT`` (``tls://``, ``ws://``, ``wss://`` or no scheme also work); return it.

    Raises
    ------
    AccelsimInputError
        Naming ``--scheduler`` and the allowed form.
    """
    allowed = "a Dask scheduler address such as tcp://127.0.0.1:8786 (scheme tcp, tls, ws or wss)"
    match = _ADDRESS.match(address.strip()) if isinstance(address, str) else None
    if match is None or (match["scheme"] or "tcp") not in ("tcp", "tls", "ws", "wss") \
            or not 0 < int(match["port"]) < 65536:
        raise AccelsimInputError("invalid --scheduler", hint=f"got {address!r}; allowed: {allowed}")
    return address.strip() if match["scheme"] else f"tcp://{address.strip()}"


def _worker_version() -> str:
    import accelsim

    return accelsim.__version__


class DaskExecutor:
    """Runs chunks on the Dask cluster at ``address``; use as a context manager.

    Parameters
    ----------
    context : accelsim.sweep.runner.SweepContext
    address : str
        The scheduler, e.g. ``tcp://127.0.0.1:8786``.
    timeout_s : float
        How long to wait for the scheduler to answer.
    """

    def __init__(self, context, address: str, timeout_s: float = 20.0):
        self.context = context
        self.address = check_scheduler_address(address)
        self.timeout_s = timeout_s
        self._client = None
        self.workers = 0

    @property
    def description(self) -> str:
        """For messages: ``Dask cluster tcp://...: 2 worker threads``."""
        return f"Dask cluster {self.address} ({self.workers} worker threads)"

    def __enter__(self):
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - a dependency of accelsim
            raise AccelsimInputError(f"--scheduler needs the 'distributed' package ({exc})") from None
        try:
            self._client = Client(self.address, timeout=f"{self.timeout_s}s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise AccelsimInputError(f"cannot reach the Dask scheduler at {self.address}: {exc}",
                                     hint="start one with `dask scheduler` and workers with "
                                          "`dask worker tcp://HOST:PORT`, or run without --scheduler") from None
        try:
            threads = self._client.nthreads()
            self.workers = sum(threads.values())
            if not self.workers:
                raise AccelsimInputError(f"the Dask cluster at {self.address} has no workers",
                                         hint="start some with `dask worker " + self.address + "`")
            versions = self._client.run(_worker_version)
            from accelsim import __version__

            other = {w: v for w, v in versions.items() if v != __version__}
            if other:
                shown = ", ".join(f"{w}: {v}" for w, v in sorted(other.items())[:3])
                raise AccelsimInputError(f"Dask workers run another accelsim version than this one ({__version__}): "
                                         f"{shown}", hint="install the same accelsim on every worker")
        except BaseException:
            self._close()
            raise
        return self

    def _close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __exit__(self, kind, value, tb):
        self._close()
        return False

    def run(self, chunks, on_records) -> None:
        """Run every chunk on the cluster; call ``on_records(records)`` here as each finishes."""
        from distributed import as_completed

        client = self._client
        source = iter(chunks)
        window = 2 * self.workers
        outstanding = set()

        def submit_next():
            chunk = next(source, None)
            if chunk is None:
                return None
            future = client.submit(run_chunk, self.context, chunk, pure=False)
            outstanding.add(future)
            return future

        first = [f for f in (submit_next() for _ in range(window)) if f is not None]
        if not first:
            return
        futures = as_completed(first, loop=client.loop)       # this client, not a default one
        try:
            for future in futures:
                records = future.result()
                outstanding.discard(future)
                future.release()
                on_records(records)
                following = submit_next()
                if following is not None:
                    futures.add(following)
        except BaseException:
            client.cancel(list(outstanding))
            raise
