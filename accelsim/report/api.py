""":func:`compare`: the public API of ``accelsim compare`` (the command line is a thin layer over it)."""

from __future__ import annotations

import os

from accelsim.errors import AccelsimInputError, ProblemCollector

__all__ = ["compare", "parse_dataflows", "parse_formats", "parse_prunes"]


def _as_list(value):
    if value is None:
        return None
    if isinstance(value, (str, os.PathLike)) or not hasattr(value, "__iter__"):
        return [value]
    return list(value)


def _load_archs(archs):
    from accelsim.spec import ArchSpec, load_arch

    items = _as_list(archs)
    if not items:
        raise AccelsimInputError("no architecture given", hint="pass at least one arch (a name, a file or an ArchSpec)")
    return [a if isinstance(a, ArchSpec) else load_arch(a) for a in items]


def parse_dataflows(dataflows, what: str = "dataflows"):
    """``None``, ``"all"``, a comma string or a list -> list of dataflows (or None: each arch's own)."""
    from accelsim.report.runner import parse_list
    from accelsim.spec import DATAFLOWS

    if isinstance(dataflows, str) and dataflows.strip().lower() == "all":
        return list(DATAFLOWS)
    return parse_list(dataflows, what, DATAFLOWS)


def parse_formats(formats, what: str = "formats"):
    """``None``, a comma string or a list -> canonical format names (or None: each arch's native one)."""
    from accelsim.formats import parse_format
    from accelsim.report.runner import parse_list

    items = parse_list(formats, what)
    return None if items is None else list(dict.fromkeys(parse_format(f).name for f in items))


def parse_prunes(prunes, what: str = "prunes"):
    """``None``, a scheme or a list of schemes -> canonical schemes, None for unpruned."""
    from accelsim.prune import parse_scheme

    items = _as_list(prunes)
    if items is None:
        return None
    out = []
    problems = ProblemCollector()
    for p in items:
        if p is None or (isinstance(p, str) and p.strip().lower() == "none"):
            out.append(None)
        elif isinstance(p, str) and not p.strip():
            problems.add(what, p, "a pruning scheme such as 'nm:2:4', or 'none' for the unpruned weights "
                                  "(an empty scheme is refused, as by encode and simulate)")
        elif isinstance(p, str):
            out.append(parse_scheme(p).name)
        else:
            problems.add(what, p, "pruning scheme strings such as 'nm:2:4', or None / 'none' for unpruned")
    problems.raise_if_any(f"invalid {what}")
    return list(dict.fromkeys(out))


def _api_call(workload, archs, dataflows, prunes, formats, seed, mapping) -> str:
    """The call as Python source, with names for objects (recorded as provenance)."""
    def arch_text(a):
        return repr(a.name) if not isinstance(a, (str, os.PathLike)) else repr(os.fspath(a))

    wl = repr(workload) if isinstance(workload, (str, os.PathLike)) else f"<Workload {workload.name!r}>"
    args = [wl, "[" + ", ".join(arch_text(a) for a in (_as_list(archs) or [])) + "]",
            f"dataflows={dataflows!r}", f"prunes={prunes!r}", f"formats={formats!r}", f"seed={seed!r}"]
    if mapping is not None:
        args.append(f"mapping={mapping!r}")
    return "accelsim.compare(" + ", ".join(args) + ")"


def compare(workload, archs, *, dataflows=None, prunes=None, formats=None, seed: int = 0, mapping=None,
            tokens: int = 128, progress: bool = False, command: str | None = None, pruned_workloads=None,
            areas=None):
    """Simulate every combination of archs x dataflows x pruning schemes x formats on one workload.

    For every arch and dataflow, the unpruned dense run (the baseline of
    every speedup) runs first, then every pruning scheme in every format.
    Combinations that cannot run, or would only repeat the baseline, are
    listed in :attr:`ComparisonResult.skipped` with the reason.

    Parameters
    ----------
    workload : Workload, str or os.PathLike
        A workload, or a name/file for :func:`accelsim.load_workload`
        (loaded with ``seed`` and ``tokens``).
    archs : ArchSpec, str, os.PathLike or a sequence of them
        Architectures (bundled names, files or specs); names must differ.
    dataflows : sequence of str, str, optional
        ``"ws"``, ``"os"``, ``"is"`` (a list or a comma string), or ``"all"``.
        Default: each arch's own dataflow only.
    prunes : sequence of (str or None), optional
        Pruning schemes (``"nm:2:4"``, ``"unstructured:0.8"``, ...); ``None``
        or ``"none"`` means unpruned. Default: unpruned only.
    formats : sequence of str, str, optional
        Weight formats (``"csr"``, ``"bsr:4x4"``, ...). Default: each arch's
        native format only.
    seed : int
        Seed of synthetic weights and of the simulator.
    mapping : str, optional
        Passed to :func:`accelsim.simulate` as ``mapping=`` only when given
        (otherwise each arch's own mapping applies).
    tokens : int
        Tokens (GEMM M) of linear layers read from a checkpoint.
    progress : bool
        Show a progress bar on standard error.
    command : str, optional
        What to record as the command in the provenance (the CLI passes its
        command line); default: this call, written as Python.
    pruned_workloads : dict, optional
        ``scheme -> workload`` already pruned with that scheme (used instead
        of pruning again).
    areas : dict, optional
        ``arch name -> area`` to show beside the figures of merit: an
        :class:`accelsim.rtl.area.AreaEstimate` (from
        :func:`accelsim.rtl.area.arch_area`) or a dict with ``area_um2``,
        ``nand2_equivalents`` and ``source``. Every arch needs one.

    Returns
    -------
    ComparisonResult
        With ``to_dataframe()``, ``to_dict()`` and ``write_report(dir)``.

    Raises
    ------
    AccelsimInputError
        A bad workload, arch, dataflow, scheme or format (all problems of a
        list reported together), or nothing left to run.
    """
    from accelsim.report.runner import run_comparison
    from accelsim.report.provenance import build_provenance
    from accelsim.report.result import ComparisonResult
    from accelsim.workload import Workload
    from accelsim.workload.loaders import load_workload

    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise AccelsimInputError("invalid seed", hint=f"got {seed!r}; allowed: an integer >= 0")
    df_list, prune_list, fmt_list = parse_dataflows(dataflows), parse_prunes(prunes), parse_formats(formats)
    arch_specs = _load_archs(archs)
    area_dicts = _area_dicts(areas, arch_specs)
    wl = workload if isinstance(workload, Workload) else load_workload(workload, tokens=tokens, seed=seed)
    comparison = run_comparison(wl, arch_specs, dataflows=df_list, formats=fmt_list, prunes=prune_list,
                                seed=seed, quiet=not progress, pruned_workloads=pruned_workloads, mapping=mapping)
    if command is None:
        command = _api_call(workload, archs, df_list, prune_list, fmt_list, seed, mapping)
    provenance = build_provenance(wl, arch_specs, command=command, seed=seed, mapping=mapping)
    result = ComparisonResult.from_comparison(comparison, provenance)
    return result if area_dicts is None else result.with_areas(area_dicts)


def _area_dicts(areas, arch_specs):
    """Check ``areas`` covers every arch; return ``name -> {area_um2, nand2_equivalents, source}``."""
    if areas is None:
        return None
    names = [a.name for a in arch_specs]
    out, problems = {}, []
    for name in names:
        a = areas.get(name) if hasattr(areas, "get") else None
        if a is not None and not isinstance(a, dict):
            a = {"area_um2": getattr(a, "area_um2", None),
                 "nand2_equivalents": getattr(a, "nand2_equivalents", None),
                 "source": getattr(a, "source", "")}
        if a is None or not isinstance(a.get("area_um2"), (int, float)) or a["area_um2"] < 0:
            problems.append(name)
            continue
        out[name] = {"area_um2": float(a["area_um2"]),
                     "nand2_equivalents": float(a.get("nand2_equivalents") or 0.0),
                     "source": str(a.get("source", ""))}
    if problems:
        raise AccelsimInputError("invalid areas", hint=f"no area (a number of um^2 >= 0) for arch "
                                 f"{', '.join(problems)}; allowed: one per arch of {', '.join(names)}")
    return out
