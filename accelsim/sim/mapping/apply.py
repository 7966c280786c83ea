"""Turn the mapper's chosen candidate into the memory model's :class:`~accelsim.sim.memory.MemoryTraffic`."""

from __future__ import annotations

from types import MappingProxyType

from accelsim.sim.memory import MemoryTraffic

__all__ = ["chosen_traffic"]


def chosen_traffic(problem, costs, index: int) -> MemoryTraffic:
    """Bits per level, metadata bits, stall cycles and re-read counts of candidate ``index``.

    ``dram_reads`` reports how many times each operand crosses the DRAM
    interface relative to reading it once (floats, 1.0 = once) and
    ``psum_spills`` the partial-sum bits spilled relative to the outputs at
    accumulator width.
    """
    i = int(index)
    weight = float(costs.weight_dram_bits[i])
    inputs = float(costs.input_dram_bits[i])
    spill = float(costs.psum_spill_bits[i])
    outputs = float(costs.output_dram_bits[i])
    bits = {"dram_read": weight + inputs + spill, "dram_write": outputs + spill}
    for key, values in costs.sram_bits.items():
        bits[key] = float(values[i])
    bits = {key: int(round(v)) for key, v in bits.items()}
    meta = {key: 0 for key in bits}
    mf = problem.metadata_fraction
    meta["dram_read"] = int(round(weight * mf))
    meta["weight_sram_write"] = meta["dram_read"]
    meta["weight_sram_read"] = int(round(float(costs.sram_bits["weight_sram_read"][i]) * mf))
    g = problem.groups
    w_once = g * problem.weight_bits
    i_once = g * problem.input_bits
    psum_once = g * problem.psum_bits
    reads = {"weights": round(weight / w_once, 4) if w_once else 1.0,
             "inputs": round(inputs / i_once, 4) if i_once else 1.0,
             "psum_spills": round(spill / psum_once, 4) if psum_once else 0.0}
    return MemoryTraffic(MappingProxyType(bits), MappingProxyType(meta), int(costs.stall_cycles[i]),
                         MappingProxyType(reads))
