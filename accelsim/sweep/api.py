"""Public entry points: run a sweep into a folder (resumable), or get its records as a DataFrame."""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from accelsim.errors import AccelsimInputError, Problem

__all__ = ["sweep", "run_sweep", "check_sweep", "SweepRun", "check_workers"]


@dataclass(frozen=True)
class SweepRun:
    """What one run of a sweep did.

    Attributes
    ----------
    folder : pathlib.Path
        The sweep folder (``sweep.sqlite``, ``report/``).
    planned : int
        Points of the sweep.
    already_stored : int
        Points found in the store when the run started (``--resume``).
    computed : int
        Points this run simulated and committed.
    errors : int
        Of those, points the simulator refused (stored with their message).
    seconds : float
        Wall time of the simulation phase.
    executor : str
        Where the points ran.
    report : pathlib.Path or None
        ``report.html``, if written.
    """

    folder: Path
    planned: int
    already_stored: int
    computed: int
    errors: int
    seconds: float
    executor: str
    report: Path | None

    @property
    def points_per_second(self) -> float:
        """Points simulated per second of wall time in this run."""
        return self.computed / self.seconds if self.seconds > 0 else 0.0


def check_workers(workers) -> int | None:
    """Validate ``--workers`` (an integer >= 1, or None for every core)."""
    if workers is None:
        return None
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1 or workers > 1024:
        raise AccelsimInputError("invalid --workers", [Problem("workers", workers, "an integer from 1 to 1024")])
    return workers


def _meta(plan) -> dict:
    from accelsim import __version__

    spec = plan.spec
    return {"name": spec.name, "spec": spec.to_dict(), "spec_sha256": spec.sha256(), "accelsim": __version__,
            "plan": plan.summary(), "param_paths": [p.path for p in spec.parameters],
            "objectives": list(spec.objectives)}


def _open_store(folder: Path, plan, resume: bool):
    """Open (or create) the store and check it belongs to this sweep; return ``(store, stored keys)``.

    The sweep's metadata is written by :func:`_initialise` once every point
    has passed validation (a spec refused at that stage leaves an empty store,
    which the corrected spec can use).
    """
    from accelsim import __version__
    from accelsim.sweep.store import ResultStore

    store = ResultStore.open(folder, create=True)
    try:
        meta = store.meta()
        if meta.get("spec_sha256"):
            if meta["spec_sha256"] != plan.spec.sha256():
                raise AccelsimInputError(
                    f"{str(folder)!r} holds another sweep ({meta.get('name')!r}, {store.count():,} points stored)",
                    hint="give a new --out folder for this spec (a store holds one sweep)")
            if meta.get("accelsim") != __version__:
                raise AccelsimInputError(
                    f"{str(folder)!r} was written by accelsim {meta.get('accelsim')}; this is {__version__}, whose "
                    "results are other points", hint="give a new --out folder")
            stored = store.count()
            if stored and not resume:
                raise AccelsimInputError(
                    f"{str(folder)!r} already holds {stored:,} of the {len(plan.points):,} points of this sweep",
                    hint="pass --resume to run the others, or give a new --out folder")
        keys = store.keys()
    except BaseException:
        store.close()
        raise
    return store, keys


def _initialise(store, plan) -> None:
    if not store.meta().get("spec_sha256"):
        store.initialise(_meta(plan))


def run_sweep(spec, out, *, resume: bool = False, workers: int | None = None, scheduler: str | None = None,
              quiet: bool = False, report: bool = True, chunk_size: int | None = None, stream=None) -> SweepRun:
    """Run a sweep into the folder ``out``: plan, run what is not stored yet, commit, report.

    Parameters
    ----------
    spec : str, os.PathLike, dict or SweepSpec
        The sweep spec (see ``docs/sweeps.md``).
    out : path
        The sweep folder. Must be new, empty, or hold this sweep's store
        (then ``resume`` must be true if any point is stored).
    resume : bool
        Skip the points already stored.
    workers : int, optional
        Local worker processes (default: every core of this machine). Not
        with ``scheduler``.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://HOST:PORT``).
    quiet : bool
        No progress on the terminal.
    report : bool
        Rebuild ``out/report`` at the end.
    chunk_size : int, optional
        Points per task (default: about 16 tasks per worker, at most 8 points each).
    stream : file, optional
        Where progress goes (default stderr).

    Returns
    -------
    SweepRun

    Raises
    ------
    AccelsimInputError
        An invalid spec or point (every problem together, before anything
        runs), an output folder that cannot be used, or a scheduler that
        cannot be reached.
    """
    from accelsim.fileio import check_output_dir
    from accelsim.sweep.executor import (LocalExecutor, chunked, default_chunk_size, default_workers,
                                         inherits_parent_state)
    from accelsim.sweep.plan import assignment_label, plan_sweep
    from accelsim.sweep.progress import SweepProgress
    from accelsim.sweep.report import build_report
    from accelsim.sweep.runner import SweepContext, release_runners, runner_for
    from accelsim.sweep.store import STORE_NAME, ResultStore

    check_output_dir(out, "--out", recognise=(STORE_NAME,))
    workers = check_workers(workers)
    if scheduler is not None and workers is not None:
        raise AccelsimInputError("--workers and --scheduler exclude each other",
                                 hint="the cluster's workers run the points when --scheduler is given")
    if scheduler is not None:
        from accelsim.sweep.dask_executor import check_scheduler_address

        scheduler = check_scheduler_address(scheduler)
    if chunk_size is not None and (not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1):
        raise AccelsimInputError("invalid chunk size", [Problem("chunk_size", chunk_size, "an integer >= 1")])
    plan = plan_sweep(spec)
    folder = Path(out)
    store, stored_keys = _open_store(folder, plan, resume)
    try:
        todo = [p for p in plan.points if p.key not in stored_keys]
        spec = plan.spec
        context = SweepContext(spec.sha256(), _version(), spec.base_arch_json, spec.base_arch_source,
                               tuple(p.path for p in spec.parameters), spec.workloads,
                               _limits_items())
        # every workload is loaded and pruned before any point runs (a scheme that cannot prune a workload
        # is bad input); forked local workers inherit them, others prepare their own
        runner_for(context).prepare(todo)
        if scheduler is not None or not inherits_parent_state():
            release_runners()
        _initialise(store, plan)
        best = store.best()
    finally:
        store.close()
    already = len(plan.points) - len(todo)
    points = plan.points

    def label_of(index: int) -> str:
        p = points[index]
        text = f"{spec.workloads[p.workload].label} {p.prune or 'unpruned'} {p.dataflow} {p.format}"
        params = assignment_label(spec, p.values)
        return f"{text} {params}" if params else text

    computed = errors = 0
    elapsed = 0.0
    description = "nothing to run"
    if todo:
        if scheduler is not None:
            from accelsim.sweep.dask_executor import DaskExecutor

            executor = DaskExecutor(context, scheduler)
        else:
            executor = LocalExecutor(context, min(workers or default_workers(), len(todo)), prepare=todo)
        start = time.monotonic()
        with executor:
            description = executor.description
            size = chunk_size or default_chunk_size(len(todo), max(1, executor.workers))
            progress = SweepProgress(len(todo), label_of, best=best, stream=stream, quiet=quiet)
            # only this process writes the store: workers return records, this process commits them
            # (a forked worker inherits the connection's file descriptor but never uses it, and leaves
            # with os._exit, so it cannot touch the database or its locks)
            with ResultStore.open(folder) as writer:

                def on_records(records):
                    nonlocal computed, errors
                    writer.add(records)
                    computed += len(records)
                    errors += sum(1 for r in records if r["status"] != "ok")
                    progress.update(records)

                executor.run(chunked(todo, size), on_records)
        elapsed = time.monotonic() - start
        progress.finish()
    report_path = build_report(folder) if report else None
    return SweepRun(folder, len(plan.points), already, computed, errors, elapsed, description, report_path)


def check_sweep(spec):
    """Validate a sweep completely without running a point: plan it and prepare its workloads.

    Returns
    -------
    SweepPlan

    Raises
    ------
    AccelsimInputError
        As :func:`run_sweep` would, before running anything.
    """
    from accelsim.sweep.plan import plan_sweep
    from accelsim.sweep.runner import PointRunner, SweepContext

    plan = plan_sweep(spec)
    s = plan.spec
    context = SweepContext(s.sha256(), _version(), s.base_arch_json, s.base_arch_source,
                           tuple(p.path for p in s.parameters), s.workloads, _limits_items())
    PointRunner(context).prepare(plan.points)
    return plan


def _limits_items() -> tuple:
    """This process's limits as ``(name, value)`` pairs, for the workers (see ``apply_context_limits``)."""
    from dataclasses import asdict

    from accelsim.limits import current

    return tuple(asdict(current()).items())


def _version() -> str:
    from accelsim import __version__

    return __version__


def sweep(spec, out=None, *, resume: bool = False, workers: int | None = None, scheduler: str | None = None,
          progress: bool = False, report: bool | None = None, chunk_size: int | None = None):
    """Run a design-space sweep and return its records as a pandas DataFrame.

    ``accelsim.sweep`` is also the package of the sweep machinery: this
    function is what calling it does.

    Parameters
    ----------
    spec : str, os.PathLike, dict or SweepSpec
        A sweep spec file, a bundled spec name (``"resnet50-1000"``), or the
        same fields as a mapping (see ``docs/sweeps.md``).
    out : path, optional
        Sweep folder to keep the store (and report) in. Default: a temporary
        folder, removed afterwards.
    resume : bool
        Skip points already stored in ``out``.
    workers : int, optional
        Local worker processes (default: every core).
    scheduler : str, optional
        A Dask scheduler address, ``tcp://HOST:PORT``.
    progress : bool
        Show progress on stderr.
    report : bool, optional
        Write ``out/report`` (default: when ``out`` is given).
    chunk_size : int, optional
        Points per task.

    Returns
    -------
    pandas.DataFrame
        One row per point of the sweep, in plan order: ``key``, the inputs
        (workload, prune, seed, dataflow, format, one column per swept
        parameter) and the results (``cycles``, ``energy_pj``, ``latency_s``,
        ``utilization``, ``dram_bytes``, ``multipliers``, ``sram_kib``, ...).
        See :func:`accelsim.sweep.results.records_frame`.

    Examples
    --------
    >>> import accelsim
    >>> df = accelsim.sweep({"workloads": ["tiny-cnn"], "arch": "dense-ws-32x32",
    ...                      "space": {"array.rows": [8, 16, 32]}})    # doctest: +SKIP
    >>> df[["array.rows", "cycles", "energy_pj"]]                     # doctest: +SKIP
    """
    from accelsim.sweep.results import load_results

    def run(folder, write_report):
        outcome = run_sweep(spec, folder, resume=resume, workers=workers, scheduler=scheduler, quiet=not progress,
                            report=write_report, chunk_size=chunk_size, stream=sys.stderr)
        return load_results(outcome.folder)

    if out is None:
        with tempfile.TemporaryDirectory(prefix="accelsim-sweep-") as tmp:
            return run(Path(tmp) / "sweep", bool(report))
    return run(out, True if report is None else bool(report))
