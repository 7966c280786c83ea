"""accelsim: prune, encode, simulate and generate verified RTL for sparse NN accelerators.

The public API is small and imported lazily, so ``import accelsim`` stays fast:

>>> import accelsim
>>> arch = accelsim.load_arch("workloads/arch/nm24-ws-32x32.yaml")     # doctest: +SKIP
>>> net = accelsim.load_workload("resnet50")                           # doctest: +SKIP
>>> pruned = accelsim.prune(net, "nm:2:4")                             # doctest: +SKIP
>>> enc = accelsim.encode(pruned["conv1"].weight, "nm:2:4")            # doctest: +SKIP
>>> result = accelsim.simulate(pruned, arch)                           # doctest: +SKIP
>>> review = accelsim.compare(net, ["dense-ws-32x32", arch], prunes=["nm:2:4"])  # doctest: +SKIP
>>> review.write_report("review/")                                     # doctest: +SKIP
>>> table = accelsim.sweep("resnet50-1000", out="sweep-out")          # doctest: +SKIP
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_API = {
    "AccelsimInputError": "accelsim.errors",
    "ArchSpec": "accelsim.spec",
    "load_arch": "accelsim.spec",
    "arch_from_dict": "accelsim.spec",
    "Layer": "accelsim.workload",
    "Workload": "accelsim.workload",
    "conv_layer": "accelsim.workload",
    "linear_layer": "accelsim.workload",
    "matmul_layer": "accelsim.workload",
    "load_workload": "accelsim.workload.loaders",
    "from_torch": "accelsim.workload.torch_frontend",
    "prune": "accelsim.prune",  # a callable module: accelsim.prune(...) and accelsim.prune.apply_to_module
    "prune_with_report": "accelsim.prune",
    "encode": "accelsim.formats",
    "simulate": "accelsim.sim",
    "energy_breakdown_pj": "accelsim.energy",
    "compare": "accelsim.report",
    "ComparisonResult": "accelsim.report",
    "sweep": "accelsim.sweep",  # a callable module: accelsim.sweep(spec, ...) and accelsim.sweep.load_sweep_spec
}

__all__ = sorted(_API) + ["__version__"]


def __getattr__(name: str):
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'accelsim' has no attribute {name!r}")
    imported = importlib.import_module(module)
    # A subpackage that is also a function (accelsim.prune) is its own callable module.
    value = imported if module == f"accelsim.{name}" else getattr(imported, name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
