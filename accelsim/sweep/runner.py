"""Run design points: the code every worker process executes (locally or on a Dask worker).

A :class:`PointRunner` holds what a worker needs for a whole sweep: the base
architecture mapping and the workloads. Each ``(workload, prune scheme, seed)``
is loaded and pruned once per process and reused for every point that needs
it, so a point costs one :func:`accelsim.simulate` call plus building its
architecture. The runner recomputes every point's key from what it actually
loaded and refuses to run a point whose key differs (another accelsim version,
or a workload file with other contents on a cluster worker).
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass

from accelsim.errors import AccelsimInputError, Problem

__all__ = ["SweepContext", "PointRunner", "run_chunk", "apply_context_limits", "runner_for", "release_runners", "point_inputs"]


@dataclass(frozen=True)
class SweepContext:
    """Everything a worker needs besides the points (small and picklable)."""

    spec_sha256: str
    version: str
    base_arch_json: str
    base_arch_source: str
    param_paths: tuple
    workloads: tuple   # WorkloadRef
    limits: tuple = ()   # (name, value) of the starting process's limits, applied on every worker


def point_inputs(context: SweepContext, point, arch_data: dict | None = None) -> dict:
    """The inputs of a point as stored in its record."""
    w = context.workloads[point.workload]
    inputs = {"workload": w.label, "workload_sha256": w.sha256, "tokens": w.tokens, "batch": w.batch,
              "prune": point.prune, "seed": point.seed, "dataflow": point.dataflow, "format": point.format,
              "accelsim": context.version,
              "params": {path: value for path, value in zip(context.param_paths, point.values)}}
    if arch_data is not None:
        inputs["arch"] = arch_data
    return inputs


def _outputs(result, arch) -> dict:
    from accelsim.sweep.constraints import derived_quantities

    t = result.total
    derived = derived_quantities(arch)
    sram_traffic = sum(t.bytes[level]["total"] for level in ("weight_sram", "input_sram", "output_sram"))
    out = {
        "cycles": int(t.cycles), "compute_cycles": int(t.compute_cycles), "stall_cycles": int(t.stall_cycles),
        "energy_pj": float(t.energy_pj), "latency_s": float(t.latency_s), "utilization": float(t.utilization),
        "dram_bytes": int(t.bytes["dram"]["total"]), "dram_metadata_bytes": int(t.bytes["dram"]["metadata"]),
        "sram_traffic_bytes": int(sram_traffic), "macs_effectual": int(t.macs_effectual),
        "macs_dense": int(t.macs_dense), "multipliers": int(derived["multipliers"]),
        "sram_kib": float(derived["sram_kib"]), "edp_pj_s": float(t.energy_pj) * float(t.latency_s),
        "weight_format": result.format,
        "layers_ran_dense": sum(1 for layer in result.layers if not layer.exploited),
    }
    for part, value in sorted(t.energy_breakdown_pj.items()):
        if part != "total":
            out[f"energy_pj_{part}"] = float(value)
    notes = sorted({n for layer in result.layers for n in layer.notes} | set(result.notes))
    out["notes"] = "; ".join(notes[:6]) + (f"; and {len(notes) - 6} more" if len(notes) > 6 else "")
    return out


def _frozen(workload):
    """``workload`` with every weight array read-only and registered for scan reuse (copied if it is a view)."""
    import numpy as np

    from accelsim.sim.scan_cache import freeze

    layers = []
    for layer in workload.layers:
        if isinstance(layer.weight, np.ndarray):
            weight = layer.weight if layer.weight.base is None else layer.weight.copy()
            freeze(weight)
            if weight is not layer.weight:
                layer = layer.with_weight(weight)
        layers.append(layer)
    return workload.with_layers(layers)


class PointRunner:
    """Runs points of one sweep, caching prepared workloads (thread-safe)."""

    def __init__(self, context: SweepContext):
        import json

        self.context = context
        self._base = json.loads(context.base_arch_json)
        self._workloads: dict = {}
        self._hardware: dict = {}
        self._identities: dict = {}
        self._tables: dict = {}
        self._lock = threading.Lock()

    def _energy_table(self, arch):
        """The arch's energy table, loaded once per process (the same rule as ``simulate``: a relative
        path that does not exist from here is looked up beside the architecture file)."""
        key = (arch.energy_table, arch.source)
        table = self._tables.get(key)
        if table is None:
            from accelsim.energy import load_energy_table
            from accelsim.energy.model import _arch_table

            table = self._tables[key] = load_energy_table(_arch_table(arch))
        return table

    def _check_workload_file(self, index: int) -> None:
        from accelsim.workload.bundled import resolve_bundled_name
        from pathlib import Path

        if index in self._identities:
            return
        ref = self.context.workloads[index]
        path = resolve_bundled_name(ref.source) if ref.bundled else Path(ref.source)
        if path is None:
            raise AccelsimInputError(f"workload {ref.label!r} is not bundled with the accelsim installed here")
        try:
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError as exc:
            raise AccelsimInputError(f"workload {ref.label!r} cannot be read here ({path}: {exc.strerror}); on a "
                                     "cluster every worker must see the same files") from None
        if digest != ref.sha256:
            raise AccelsimInputError(f"workload {ref.label!r} ({path}) has other contents here than when the sweep "
                                     "was planned; on a cluster every worker must see the same files")
        if ref.topology is not None:
            topo = resolve_bundled_name(ref.topology) if "/" not in ref.topology else Path(ref.topology)
            try:
                same = topo is not None and hashlib.sha256(Path(topo).read_bytes()).hexdigest() == ref.topology_sha256
            except OSError:
                same = False
            if not same:
                raise AccelsimInputError(f"the topology {ref.topology!r} of workload {ref.label!r} is missing or "
                                         "differs here; on a cluster every worker must see the same files")
        self._identities[index] = digest

    def workload(self, index: int, prune, seed: int):
        """The workload ``index`` with synthetic weights of ``seed``, pruned with ``prune`` (cached)."""
        key = (index, prune, seed)
        with self._lock:
            cached = self._workloads.get(key)
            if cached is not None:
                return cached
            from accelsim.prune import prune as prune_fn
            from accelsim.workload.loaders import load_workload

            self._check_workload_file(index)
            ref = self.context.workloads[index]
            loaded = load_workload(ref.source, seed=seed, **ref.load_options())
            prepared = prune_fn(loaded, prune) if prune else loaded
            self._workloads[key] = prepared
            return prepared

    def hardware_workload(self, index: int, prune, seed: int, weight_bits: int):
        """:meth:`workload` with its float weights quantised to ``weight_bits`` integers (cached).

        The simulator counts the zeros of the quantised weights
        (:func:`accelsim.sim.hw_zeros.hardware_nonzero_view`); quantising once
        per workload, rather than in every point's ``simulate``, gives the
        same results (the sweep tests compare records with direct
        ``simulate`` calls on the float weights) at less CPU per point. The
        weights are frozen (:func:`accelsim.sim.scan_cache.freeze`), so every
        point after the first reuses the simulator's weight scans.
        """
        key = (index, prune, seed, int(weight_bits))
        with self._lock:
            cached = self._hardware.get(key)
        if cached is not None:
            return cached
        from accelsim.sim.hw_zeros import hardware_weights

        converted = _frozen(hardware_weights(self.workload(index, prune, seed), int(weight_bits)))
        with self._lock:
            return self._hardware.setdefault(key, converted)

    def prepare(self, points) -> None:
        """Load and prune every workload ``points`` need, before any point runs.

        Raises
        ------
        AccelsimInputError
            Every (workload, prune scheme, seed) that cannot be loaded or
            pruned, together (for example a block scheme whose block does not
            tile a layer).
        """
        problems = []
        for index, prune, seed in dict.fromkeys((p.workload, p.prune, p.seed) for p in points):
            try:
                self.workload(index, prune, seed)
            except AccelsimInputError as exc:
                ref = self.context.workloads[index]
                detail = "; ".join(str(p) for p in exc.problems[:3]) or str(exc).splitlines()[0]
                problems.append(Problem(f"prune {prune or 'none'} of workload {ref.label!r} (seed {seed})",
                                        prune, f"a scheme this workload can be pruned with: {detail}"))
        if problems:
            raise AccelsimInputError("invalid sweep: some workloads cannot be prepared (no point was run)", problems)

    def run(self, point) -> dict:
        """Simulate one point; returns its record (``status`` ``ok`` or ``error``).

        A point whose inputs are refused by the simulator (an
        :class:`~accelsim.errors.AccelsimInputError` from ``simulate``) gets an
        ``error`` record with the message: rerunning it would fail the same
        way. Any other exception (a workload that cannot be prepared here
        included) propagates and stops the sweep. ``elapsed_s`` is the time
        of the ``simulate`` call.
        """
        from accelsim.sim import simulate
        from accelsim.sweep.points import arch_identity, build_arch, point_key
        from accelsim.sweep.spec import canonical_json

        ctx = self.context
        data, arch = build_arch(self._base, ctx.base_arch_source, ctx.param_paths, point.values,
                                point.dataflow)
        try:
            table = self._energy_table(arch)
        except AccelsimInputError as exc:
            raise AccelsimInputError(f"design point {point.index}: {exc}") from None
        sha = hashlib.sha256(canonical_json(arch_identity(arch, table)).encode()).hexdigest()
        key = point_key(ctx.version, ctx.workloads[point.workload].identity(), point.prune, point.seed,
                        arch.dataflow, point.format, sha)
        if key != point.key:
            from accelsim import __version__

            raise AccelsimInputError(
                f"design point {point.index} has another key on this worker (accelsim {__version__}, sweep "
                f"planned with {ctx.version}): the worker's accelsim, architecture or energy-table files differ")
        record = {"key": point.key, "index": point.index, "inputs": point_inputs(ctx, point, data),
                  "outputs": None, "error": None}
        # a failure here stops the sweep
        workload = self.hardware_workload(point.workload, point.prune, point.seed, arch.precision.weight_bits)
        start = time.perf_counter()
        try:
            result = simulate(workload, arch, dataflow=point.dataflow,
                              format=None if point.format == "native" else point.format, seed=point.seed,
                              energy_table=table)
            record["outputs"] = _outputs(result, arch)
            record["status"] = "ok"
        except AccelsimInputError as exc:
            record["status"] = "error"
            record["error"] = str(exc)
        record["elapsed_s"] = time.perf_counter() - start
        return record

    def run_chunk(self, points) -> list:
        """Run several points; returns their records in order."""
        return [self.run(p) for p in points]


_RUNNERS: dict = {}
_RUNNERS_LOCK = threading.Lock()


def runner_for(context: SweepContext) -> PointRunner:
    """The process's runner for ``context`` (one per sweep; kept for the process's life)."""
    with _RUNNERS_LOCK:
        runner = _RUNNERS.get(context.spec_sha256)
        if runner is None or runner.context != context:
            _RUNNERS.clear()          # one sweep at a time: free the previous one's workloads
            runner = _RUNNERS[context.spec_sha256] = PointRunner(context)
        return runner


def release_runners() -> None:
    """Forget this process's runners and their prepared workloads."""
    with _RUNNERS_LOCK:
        _RUNNERS.clear()


def apply_context_limits(context: SweepContext) -> None:
    """Make this process's limits those of the process that started the sweep.

    A remote Dask worker sees neither the client's :func:`accelsim.limits.set_limits`
    nor its ``ACCELSIM_LIMIT_*`` variables; the context carries them. Only the
    limits that differ are set, so a worker already in agreement is left as it is.
    """
    from accelsim import limits

    if not context.limits:
        return
    in_force = limits.current()
    changes = {name: value for name, value in context.limits if getattr(in_force, name) != value}
    if changes:
        limits.set_limits(**changes)


def run_chunk(context: SweepContext, points) -> list:
    """Task function of the executors: run ``points`` with this process's runner."""
    apply_context_limits(context)
    return runner_for(context).run_chunk(points)
