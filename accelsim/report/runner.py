"""Plan and run a design-space comparison: archs x dataflows x pruning schemes x formats."""

from __future__ import annotations

import inspect
import sys
import time
from dataclasses import dataclass, field

from accelsim.errors import AccelsimInputError, ProblemCollector

__all__ = ["Config", "ConfigRun", "Comparison", "plan_configs", "run_comparison", "parse_list",
           "SAME_AS_BASELINE"]

#: Reason given for a pruned run in the dense format: it is the dense baseline again.
SAME_AS_BASELINE = ("same cycles and energy as the unpruned dense baseline: the dense format stores and "
                    "multiplies every zero, so pruning alone changes nothing on the hardware")


@dataclass(frozen=True)
class Config:
    """One point of the comparison.

    Attributes
    ----------
    arch, dataflow : str
    prune : str or None
        Canonical pruning scheme; None means unpruned.
    format : str
        Canonical weight format.
    """

    arch: str
    dataflow: str
    prune: str | None
    format: str

    @property
    def label(self) -> str:
        """Unique label, e.g. ``nm24-ws-32x32/WS/nm:2:4/nm:2:4``."""
        return f"{self.arch}/{self.dataflow.upper()}/{self.prune or 'unpruned'}/{self.format}"

    @property
    def is_baseline(self) -> bool:
        """True for the unpruned dense run every speedup is measured against."""
        return self.prune is None and self.format == "dense"


@dataclass(frozen=True)
class ConfigRun:
    """A config and its simulation result (:class:`accelsim.sim.SimResult`)."""

    config: Config
    result: object


@dataclass(frozen=True)
class Comparison:
    """Everything a report needs: the runs, what was not run and why, storage per (prune, format).

    Attributes
    ----------
    workload : str
        Workload name.
    runs : tuple of ConfigRun
        In report order: by arch, then dataflow; the baseline first in each.
    skipped : tuple of (Config, str)
        Combinations not run, with the reason.
    storage : dict
        ``(prune, format) -> encode summary`` of every combination run.
    archs : dict
        ``name -> ArchSpec``, in the order given.
    seed : int
    mapping : str or None
        The ``mapping`` passed to the simulator (None: each arch's own).
    """

    workload: str
    runs: tuple
    skipped: tuple
    storage: dict = field(default_factory=dict)
    archs: dict = field(default_factory=dict)
    seed: int = 0
    mapping: str | None = None


def parse_list(value, what: str, allowed=None) -> list[str] | None:
    """Split a comma list (or take a list); ``None`` stays ``None``; empty items are an error."""
    if value is None:
        return None
    raw = value.split(",") if isinstance(value, str) else list(value)
    items = [str(v).strip().lower() for v in raw]
    problems = ProblemCollector()
    for item in items:
        if not item:
            problems.add(what, value, "a comma-separated list without empty items")
        elif allowed is not None and item not in allowed:
            problems.add(what, item, "one of " + ", ".join(allowed))
    if not items:
        problems.add(what, value, "at least one item")
    problems.raise_if_any(f"invalid {what}")
    return list(dict.fromkeys(items))


def _cannot_run(arch, cfg: Config) -> str | None:
    """Why ``cfg`` is not run on ``arch`` (None if it runs)."""
    fmt, prune = cfg.format, cfg.prune
    if fmt == "dense" and prune is not None:
        return SAME_AS_BASELINE
    if fmt != "dense" and fmt not in arch.sparsity.formats:
        return (f"the {arch.sparsity.describe()} PE of {arch.name} cannot exploit {fmt} "
                f"(it would run as dense)")
    if fmt.startswith("nm:") and (prune or "").split(":")[:3] != fmt.split(":")[:3]:
        return f"{fmt} needs weights pruned with {':'.join(fmt.split(':')[:3])}, not {prune or 'unpruned'}"
    return None


def plan_configs(archs, dataflows, formats, prunes):
    """All combinations, split into runnable and skipped (with a reason).

    For every arch and dataflow the unpruned dense baseline runs first (every
    speedup is measured against it), then each pruning scheme in each format.
    Without ``formats`` that is the arch's native format only. Not run, with
    the reason: a sparse format the PE cannot exploit (it would run as dense);
    ``nm:N:M`` on weights not pruned ``nm:N:M`` (they would not encode); and
    pruned weights in the ``dense`` format, which give the baseline's cycles
    and energy again.

    Returns
    -------
    (list of Config, list of (Config, str))
    """
    from accelsim.formats import parse_format

    runnable, skipped = [], []
    for arch in archs:
        arch_formats = [parse_format(f).name for f in (formats if formats is not None
                                                       else [arch.sparsity.native_format])]
        for dataflow in (dataflows or [arch.dataflow]):
            baseline = Config(arch.name, dataflow, None, "dense")
            runnable.append(baseline)
            for prune in prunes:
                for fmt in arch_formats:
                    cfg = Config(arch.name, dataflow, prune, fmt)
                    if cfg == baseline or cfg in runnable or any(cfg == c for c, _ in skipped):
                        continue
                    why = _cannot_run(arch, cfg)
                    if why is None:
                        runnable.append(cfg)
                    else:
                        skipped.append((cfg, why))
    return runnable, skipped


class _Progress:
    """A small progress bar on stderr (silent when ``quiet``)."""

    def __init__(self, total: int, quiet: bool):
        self.total, self.quiet, self.done, self.start = total, quiet, 0, time.monotonic()

    def step(self, label: str) -> None:
        self.done += 1
        if self.quiet:
            return
        if not sys.stderr.isatty():
            # logs: one line per tenth of the run, no carriage returns
            if self.done == self.total or self.done % max(1, self.total // 10) == 0:
                sys.stderr.write(f"{self.done}/{self.total} configs, {time.monotonic() - self.start:.1f}s\n")
            return
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        elapsed = time.monotonic() - self.start
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                         f"{elapsed:5.1f}s {label[:50]:<50}")
        if self.done == self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _mapping_kwargs(simulate, mapping) -> dict:
    """``{"mapping": mapping}`` when one is given (the simulator must accept it), else ``{}``."""
    if mapping is None:
        return {}
    if "mapping" not in inspect.signature(simulate).parameters:
        raise AccelsimInputError(f"invalid mapping {mapping!r}",
                                 hint="this accelsim's simulator has no mapping option; leave it out")
    return {"mapping": mapping}


def run_comparison(workload, archs, *, dataflows=None, formats=None, prunes=None, seed=0,
                   quiet=False, pruned_workloads=None, mapping=None) -> Comparison:
    """Simulate every runnable combination; return a :class:`Comparison`.

    Parameters
    ----------
    workload : Workload
    archs : sequence of ArchSpec
    dataflows : list of str, optional
        Default: each arch's own dataflow.
    formats : list of str, optional
        Canonical formats. Default: each arch's native format.
    prunes : list of (str or None), optional
        Canonical pruning schemes; ``None`` means unpruned. Default: unpruned only.
    seed : int
        Passed to the simulator.
    quiet : bool
        No progress bar.
    pruned_workloads : dict, optional
        ``scheme -> workload`` already pruned with that scheme, used instead of
        pruning again.
    mapping : str, optional
        Passed to :func:`accelsim.simulate` as ``mapping=`` only when given.
    """
    from accelsim.commands.encode_cmd import encode_workload
    from accelsim.prune import prune as prune_fn
    from accelsim.sim import simulate

    if not archs:
        raise AccelsimInputError("no architecture given", hint="pass at least one --arch")
    names = [a.name for a in archs]
    if len(set(names)) != len(names):
        raise AccelsimInputError("the same architecture name is given twice: " + ", ".join(names))
    extra = _mapping_kwargs(simulate, mapping)
    prunes = list(dict.fromkeys(prunes)) if prunes else [None]
    runnable, skipped = plan_configs(archs, dataflows, formats, prunes)
    given = pruned_workloads or {}
    needed = list(dict.fromkeys(c.prune for c in runnable))
    pruned = {p: (given[p] if p in given else prune_fn(workload, p) if p else workload) for p in needed}
    by_name = {a.name: a for a in archs}
    progress = _Progress(len(runnable), quiet)
    runs, storage = [], {}
    for cfg in runnable:
        wl = pruned[cfg.prune]
        result = simulate(wl, by_name[cfg.arch], dataflow=cfg.dataflow, format=cfg.format, seed=seed, **extra)
        runs.append(ConfigRun(cfg, result))
        key = (cfg.prune, cfg.format)
        if key not in storage:
            from accelsim.sim.hw_zeros import hardware_weights

            bits = by_name[cfg.arch].precision.weight_bits
            # the stored values are the quantised ones, so storage counts the zeros the simulator counts
            storage[key] = encode_workload(hardware_weights(wl, bits), cfg.format, value_bits=bits)
        progress.step(cfg.label)
    return Comparison(workload=workload.name, runs=tuple(runs), skipped=tuple(skipped), storage=storage,
                      archs=by_name, seed=int(seed), mapping=mapping)
