"""Hardware-aware co-pruning: per-layer pruning patterns chosen by simulated cycles and energy.

>>> from accelsim.codesign import coprune                                   # doctest: +SKIP
>>> result = coprune(model, evaluate, ["nm24-ws-32x32", "unstructured-os-32x32"],
...                  example_input=x[:1], finetune=finetune, max_accuracy_drop=1.0)  # doctest: +SKIP
>>> result.winner, result.best().trained.choices                            # doctest: +SKIP

The names are imported lazily (the search imports torch), so
``import accelsim.codesign`` stays cheap. See ``docs/codesign.md``.
"""

from __future__ import annotations

import importlib

_API = {
    "coprune": "accelsim.codesign.search",
    "run_search": "accelsim.codesign.search",
    "CoPruneResult": "accelsim.codesign.search",
    "deterministic_torch": "accelsim.codesign.search",
    "Task": "accelsim.codesign.task",
    "run_copruning": "accelsim.codesign.api",
    "load_task": "accelsim.codesign.api",
    "TASKS": "accelsim.codesign.api",
    "write_outputs": "accelsim.codesign.outputs",
    "plan_dict": "accelsim.codesign.outputs",
    "save_pruned_model": "accelsim.codesign.export",
    "save_state_dict": "accelsim.codesign.export",
    "layer_candidates": "accelsim.codesign.candidates",
    "OBJECTIVES": "accelsim.codesign.measure",
}

__all__ = sorted(_API)


def __getattr__(name: str):
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'accelsim.codesign' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
