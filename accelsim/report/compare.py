"""Run a design-space comparison: archs x dataflows x pruning schemes x formats."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

from accelsim.errors import AccelsimInputError, ProblemCollector

__all__ = ["Config", "ConfigRun", "Comparison", "plan_configs", "run_comparison", "parse_list"]


@dataclass(frozen=True)
class Config:
    """One point of the comparison."""

    arch: str
    dataflow: str
    prune: str | None
    format: str

    @property
    def label(self) -> str:
        """Short unique label, e.g. ``nm24-ws-32x32/WS/nm:2:4/nm:2:4``."""
        return f"{self.arch}/{self.dataflow.upper()}/{self.prune or 'unpruned'}/{self.format}"


@dataclass(frozen=True)
class ConfigRun:
    """A config and its simulation result."""

    config: Config
    result: object  # accelsim.sim.SimResult


@dataclass(frozen=True)
class Comparison:
    """Everything a report needs: the runs, what was skipped and why, storage per (prune, format)."""

    workload: str
    runs: tuple
    skipped: tuple  # (Config, reason)
    storage: dict = field(default_factory=dict)  # (prune, format) -> encode summary
    archs: dict = field(default_factory=dict)    # name -> ArchSpec


def parse_list(value: str | None, what: str, allowed=None) -> list[str] | None:
    """Split a comma list; ``None`` stays ``None``; empty items are an error."""
    if value is None:
        return None
    items = [v.strip().lower() for v in value.split(",")]
    problems = ProblemCollector()
    for item in items:
        if not item:
            problems.add(what, value, "a comma-separated list without empty items")
        elif allowed is not None and item not in allowed:
            problems.add(what, item, "one of " + ", ".join(allowed))
    problems.raise_if_any(f"invalid {what}")
    return list(dict.fromkeys(items))


def plan_configs(archs, dataflows, formats, prunes):
    """All combinations, split into runnable and skipped (with a reason).

    Without ``formats``, each pruned workload runs in the arch's native format
    (on a dense arch that is ``dense``: pruning it gains nothing, which the
    report shows). A format is skipped on an arch whose PE cannot exploit it (it would only run
    as dense, which the ``dense`` format already shows). A sparse format other
    than N:M needs no particular pruning, but ``nm:N:M`` needs weights that are
    N:M-sparse: it is skipped unless the pruning scheme is ``nm:N:M`` itself.
    The unpruned dense run of every arch and dataflow is always included: it is
    the baseline of every speedup.
    """
    from accelsim.formats import parse_format

    runnable, skipped = [], []
    for arch in archs:
        for dataflow in (dataflows or [arch.dataflow]):
            # the baseline every speedup is measured against
            runnable.append(Config(arch.name, dataflow, None, "dense"))
        arch_formats = formats if formats is not None else [arch.sparsity.native_format]
        for dataflow in (dataflows or [arch.dataflow]):
            for prune in prunes:
                for fmt in arch_formats:
                    fmt = parse_format(fmt).name
                    cfg = Config(arch.name, dataflow, prune, fmt)
                    if cfg in runnable:
                        continue
                    if fmt != "dense" and fmt not in arch.sparsity.formats:
                        skipped.append((cfg, f"the {arch.sparsity.describe()} PE of {arch.name} cannot "
                                             f"exploit {fmt} (it would run as dense)"))
                    elif fmt.startswith("nm:") and (prune or "").split(":")[:3] != fmt.split(":")[:3]:
                        skipped.append((cfg, f"{fmt} needs weights pruned with {':'.join(fmt.split(':')[:3])}, "
                                             f"not {prune or 'unpruned'}"))
                    else:
                        runnable.append(cfg)
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


def run_comparison(workload, archs, *, dataflows=None, formats=None, prunes=None, seed=0,
                   quiet=False, pruned_workloads=None) -> Comparison:
    """Simulate every runnable combination; return a :class:`Comparison`.

    Parameters
    ----------
    workload : Workload
    archs : sequence of ArchSpec
    dataflows : list of str, optional
        Default: each arch's own dataflow.
    formats : list of str, optional
        Default: ``dense`` plus each arch's native format.
    prunes : list of (str or None), optional
        Pruning schemes; ``None`` means unpruned. Default: unpruned only.
    pruned_workloads : dict, optional
        ``scheme -> workload`` already pruned with that scheme, used instead of
        pruning again (the demo prunes once for its storage table and here).
    """
    from accelsim.commands.encode_cmd import encode_workload
    from accelsim.prune import prune as prune_fn
    from accelsim.sim import simulate

    if not archs:
        raise AccelsimInputError("no architecture given", hint="pass at least one --arch")
    names = [a.name for a in archs]
    if len(set(names)) != len(names):
        raise AccelsimInputError("the same architecture name is given twice: " + ", ".join(names))
    prunes = list(prunes) if prunes else [None]
    runnable, skipped = plan_configs(archs, dataflows, formats, prunes)
    if not runnable:
        raise AccelsimInputError("nothing to run: every combination was skipped",
                                 hint="\n".join(f"  - {c.label}: {why}" for c, why in skipped))
    given = pruned_workloads or {}
    pruned = {p: (given[p] if p in given else prune_fn(workload, p) if p else workload) for p in [None] + prunes}
    by_name = {a.name: a for a in archs}
    progress = _Progress(len(runnable), quiet)
    runs, storage = [], {}
    for cfg in runnable:
        wl = pruned[cfg.prune]
        result = simulate(wl, by_name[cfg.arch], dataflow=cfg.dataflow, format=cfg.format, seed=seed)
        runs.append(ConfigRun(cfg, result))
        key = (cfg.prune, cfg.format)
        if key not in storage:
            bits = by_name[cfg.arch].precision.weight_bits
            storage[key] = encode_workload(wl, cfg.format, value_bits=bits)
        progress.step(cfg.label)
    return Comparison(workload=workload.name, runs=tuple(runs), skipped=tuple(skipped), storage=storage,
                      archs=by_name)
