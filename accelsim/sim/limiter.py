"""What limits a layer: compute, DRAM bandwidth, SRAM (activation supply) bandwidth or load imbalance.

A layer's cycles split exactly into four parts (``docs/simulator.md``, "The limiter"):

* ``compute``: the fold schedule with every column group's load spread
  evenly over its lanes and no supply cap (the perfectly balanced time);
* ``load_imbalance``: what the most loaded lane adds to that (the schedule of
  the real beats minus the balanced one);
* ``sram_bandwidth``: what the input SRAM read bandwidth adds (folds that
  cannot stream faster than their activations are read);
* ``dram_bandwidth``: DRAM stall cycles.

The limiter is the largest of the three overheads if it is at least
:data:`LIMITING_SHARE` of the layer's cycles (the layer runs at least 1.25x
slower than without it), else ``compute``. Ties go to the earlier name in
:data:`LIMITERS`.
"""

from __future__ import annotations

__all__ = ["LIMITERS", "LIMITING_SHARE", "cycle_breakdown", "limiter"]

#: Limiter names, in tie-break order.
LIMITERS = ("compute", "dram_bandwidth", "sram_bandwidth", "load_imbalance")

#: An overhead limits the layer when it is at least this fraction of its cycles.
LIMITING_SHARE = 0.2


def cycle_breakdown(compute_cycles: int, stall_cycles: int, supply_cycles: int,
                    imbalance_cycles: int) -> dict:
    """Split ``compute_cycles + stall_cycles`` into the four parts of :data:`LIMITERS`.

    Parameters
    ----------
    compute_cycles : int
        The layer's compute cycles (with the supply cap, under its mapping).
    stall_cycles : int
        DRAM stall cycles.
    supply_cycles : int
        What the supply cap adds to the fold schedule (capped minus uncapped).
    imbalance_cycles : int
        The uncapped schedule of the real beats minus that of the balanced beats.

    The ``compute`` part is what remains of ``compute_cycles``; if a mapping's
    compute is shorter than the fold schedule's, the overheads are trimmed
    (imbalance first) so that no part is negative.
    """
    compute = int(compute_cycles)
    supply = max(0, min(int(supply_cycles), compute))
    imbalance = max(0, min(int(imbalance_cycles), compute - supply))
    return {"compute": compute - supply - imbalance, "dram_bandwidth": int(stall_cycles),
            "sram_bandwidth": supply, "load_imbalance": imbalance}


def limiter(breakdown) -> str:
    """The limiter of a :func:`cycle_breakdown` (see the module docstring)."""
    total = sum(int(v) for v in breakdown.values())
    best = max(LIMITERS[1:], key=lambda name: (breakdown[name], -LIMITERS.index(name)))
    if total and breakdown[best] > 0 and breakdown[best] >= LIMITING_SHARE * total:
        return best
    return "compute"
