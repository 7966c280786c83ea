"""Checks of the co-pruning arguments (torch-free, so bad input fails before anything heavy loads)."""

from __future__ import annotations

import math
import numbers

from accelsim.codesign.budget import DEFAULT_MARGIN_SE
from accelsim.codesign.candidates import supports_weight_sparsity
from accelsim.codesign.measure import OBJECTIVES
from accelsim.errors import ProblemCollector

__all__ = ["check_settings", "load_archs", "DEFAULT_REFINE_STEPS"]

#: Greedy refinement fine-tunes per arch after the bisection.
DEFAULT_REFINE_STEPS = 6


def _number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(float(value))


def check_settings(problems: ProblemCollector, *, max_accuracy_drop, target_energy_pj, target_latency_cycles,
                   objective, seed, refine_steps, names, margin_se=DEFAULT_MARGIN_SE) -> None:
    """Record a problem (named by ``names[argument]``) for every bad setting."""
    if not _number(max_accuracy_drop) or not 0.0 <= float(max_accuracy_drop) <= 100.0:
        problems.add(names["max_accuracy_drop"], max_accuracy_drop, "a number of percentage points in [0, 100]")
    if not _number(margin_se) or not 0.0 <= float(margin_se) <= 10.0:
        problems.add(names.get("margin_se", "margin_se"), margin_se,
                     "a number of standard errors in [0, 10] (0: plain accuracy comparison)")
    if target_energy_pj is not None and target_latency_cycles is not None:
        problems.add(names["target_latency_cycles"], target_latency_cycles,
                     f"not together with {names['target_energy_pj']} (give one target)")
    if target_energy_pj is not None and (not _number(target_energy_pj) or float(target_energy_pj) <= 0):
        problems.add(names["target_energy_pj"], target_energy_pj, "an energy in pJ > 0")
    if target_latency_cycles is not None and (not _number(target_latency_cycles) or float(target_latency_cycles) <= 0):
        problems.add(names["target_latency_cycles"], target_latency_cycles, "a number of cycles > 0")
    if objective not in OBJECTIVES:
        problems.add(names["objective"], objective, "one of " + ", ".join(OBJECTIVES))
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
        problems.add(names["seed"], seed, "an integer >= 0")
    if not isinstance(refine_steps, numbers.Integral) or isinstance(refine_steps, bool) or refine_steps < 0:
        problems.add(names["refine_steps"], refine_steps, "an integer >= 0")


def load_archs(arch, problems: ProblemCollector, field: str) -> list:
    """Load one arch or a list of them; refuse duplicates and a list without any sparse PE."""
    from accelsim.spec import ArchSpec, load_arch

    items = list(arch) if isinstance(arch, (list, tuple)) else [arch]
    if not items:
        problems.add(field, arch, "at least one architecture")
        return []
    archs = []
    for item in items:
        if isinstance(item, ArchSpec):
            archs.append(item)
        elif isinstance(item, str) or hasattr(item, "__fspath__"):
            archs.append(load_arch(item))
        else:
            problems.add(field, type(item).__name__, "an ArchSpec, an arch file path or a bundled arch name")
    names = [a.name for a in archs]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.add(field, dup, "each architecture once")
    if archs and not any(supports_weight_sparsity(a) for a in archs):
        for a in archs:
            problems.add(field, a.name, f"an architecture whose PE exploits weight sparsity (N:M, unstructured "
                                        f"or block); {a.name} has a dense PE ({a.sparsity.describe()}), so no "
                                        f"pruning pattern saves anything on it")
    return archs
