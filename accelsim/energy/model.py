"""Energy of a simulation: event counts x per-event energies, grouped into a breakdown."""

from __future__ import annotations

import numbers
import re
from collections.abc import Mapping
from pathlib import Path

from accelsim.energy.table import load_energy_table
from accelsim.errors import AccelsimInputError, ProblemCollector

__all__ = ["per_event_energies_pj", "energy_breakdown_pj", "PRICED_EVENTS", "UNPRICED_EVENTS",
           "BREAKDOWN_KEYS", "EVENT_GROUPS"]

_LEVELS = ("weight_sram", "input_sram", "output_sram", "dram")

#: Events that cost energy, in the order of :func:`per_event_energies_pj`.
PRICED_EVENTS = (
    "macs", "macs_gated", "pe_idle_cycles", "index_decodes",
    *(f"{level}_{op}_bits" for level in _LEVELS for op in ("read", "write")),
)

#: Events accepted but not priced (references and informational splits).
UNPRICED_EVENTS = ("macs_dense", "pe_busy_cycles")

# Bits split into values and metadata, e.g. ``dram_read_metadata_bits``: informational,
# already contained in ``dram_read_bits``.
_SPLIT_KEY = re.compile(r"^(weight_sram|input_sram|output_sram|dram)_(read|write)_(values|metadata)_bits$")

#: Breakdown key -> the events it sums.
EVENT_GROUPS = {
    "mac": ("macs", "macs_gated"),
    "pe_idle": ("pe_idle_cycles",),
    "index_decode": ("index_decodes",),
    **{level: (f"{level}_read_bits", f"{level}_write_bits") for level in _LEVELS},
}

#: Keys of :func:`energy_breakdown_pj`, in order; ``total`` is the sum of the others.
BREAKDOWN_KEYS = (*EVENT_GROUPS, "total")


def _arch_table(arch):
    """``arch.energy_table``; a relative path that does not exist from here is tried next to the arch file."""
    name = arch.energy_table
    if arch.source and (name.endswith((".yaml", ".yml")) or "/" in name) and not Path(name).is_absolute():
        beside = Path(arch.source).resolve().parent / name
        if not Path(name).exists() and beside.exists():
            return beside
    return name


def per_event_energies_pj(arch, table=None) -> dict[str, float]:
    """Energy of one event of each priced kind for ``arch``, in pJ.

    Parameters
    ----------
    arch : accelsim.spec.ArchSpec
    table : EnergyTable, str or path, optional
        Defaults to ``arch.energy_table`` (a bundled name, or a path; a
        relative path is tried from the working directory, then next to the
        architecture file).

    Returns
    -------
    dict of str -> float
        Keyed by event name (:data:`PRICED_EVENTS`), in pJ per event; the
        ``*_bits`` events are priced per bit. The rules:

        * ``macs``: ``multiply(weight_bits x activation_bits) + add(accumulator_bits)``
        * ``macs_gated``: ``gated_mac_fraction * macs``
        * ``pe_idle_cycles``: ``idle_pe_cycle_fraction * macs`` (one PE-cycle, as the
          timing model counts PEs)
        * ``index_decodes``: ``table.index_decode_pj(index_bits, activation_bits)``
          with ``arch.sparsity.index_bits``; 0 for a dense PE (it stores no indices)
        * ``<buffer>_sram_read_bits`` / ``_write_bits``: per-bit SRAM energy at
          that buffer's size in KiB
        * ``dram_read_bits`` / ``dram_write_bits``: DRAM energy per bit
    """
    table = load_energy_table(_arch_table(arch) if table is None else table)
    p = arch.precision
    mac = table.mac_pj(p.weight_bits, p.activation_bits, p.accumulator_bits)
    index_bits = arch.sparsity.index_bits or 0
    prices = {
        "macs": mac,
        "macs_gated": table.gated_mac_fraction * mac,
        "pe_idle_cycles": table.idle_pe_cycle_fraction * mac,
        "index_decodes": table.index_decode_pj(index_bits, p.activation_bits) if index_bits else 0.0,
    }
    sizes = {"weight_sram": arch.buffers.weight_kib, "input_sram": arch.buffers.input_kib,
             "output_sram": arch.buffers.output_kib}
    for level, size_kib in sizes.items():
        prices[f"{level}_read_bits"] = table.sram_read_pj_per_bit(size_kib)
        prices[f"{level}_write_bits"] = table.sram_write_pj_per_bit(size_kib)
    prices["dram_read_bits"] = table.dram_pj_per_bit()
    prices["dram_write_bits"] = table.dram_pj_per_bit()
    return prices


def _check_events(events) -> dict[str, int]:
    """Validate an event mapping; return ``{priced event: count}`` with missing keys as 0."""
    if not isinstance(events, Mapping):
        raise AccelsimInputError(
            f"event counts must be a mapping of event name -> count, not {type(events).__name__}")
    problems = ProblemCollector()
    known = set(PRICED_EVENTS) | set(UNPRICED_EVENTS)
    for key, value in events.items():
        if not isinstance(key, str) or (key not in known and not _SPLIT_KEY.match(key)):
            problems.add(f"events[{key!r}]", value,
                         "no such event; known events: " + ", ".join(PRICED_EVENTS + UNPRICED_EVENTS)
                         + ", and <level>_<read|write>_<values|metadata>_bits")
            continue
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 0:
            problems.add(f"events[{key!r}]", value, "an integer count >= 0")
    problems.raise_if_any("invalid event counts for the energy model")
    return {key: int(events.get(key, 0)) for key in PRICED_EVENTS}


def energy_breakdown_pj(events, arch, table=None) -> dict[str, float]:
    """Energy of a set of event counts on ``arch``, grouped by component, in pJ.

    Parameters
    ----------
    events : mapping of str -> int
        Event counts from the timing simulator (see ``sim_contract``); missing
        keys count as 0. ``macs_dense``, ``pe_busy_cycles`` and the
        ``<level>_<read|write>_<values|metadata>_bits`` splits are accepted
        and not priced (the splits are already inside the ``*_bits`` totals).
    arch : accelsim.spec.ArchSpec
    table : EnergyTable, str or path, optional
        Defaults to ``arch.energy_table``.

    Returns
    -------
    dict of str -> float
        Keys :data:`BREAKDOWN_KEYS`: ``mac`` (full and gated MACs), ``pe_idle``,
        ``index_decode``, ``weight_sram``, ``input_sram``, ``output_sram``
        (reads + writes), ``dram`` (reads + writes) and ``total``, which is
        ``sum()`` of the other values in this order. Each part is
        ``sum(count * price)`` over the events of :data:`EVENT_GROUPS`, with
        prices from :func:`per_event_energies_pj`. Leakage is not modelled.

    Raises
    ------
    AccelsimInputError
        On unknown event names or counts that are not integers >= 0 (all
        listed together), or a bad table.
    """
    counts = _check_events(events)
    prices = per_event_energies_pj(arch, table)
    parts = {group: sum(counts[e] * prices[e] for e in names) for group, names in EVENT_GROUPS.items()}
    parts = {k: float(v) for k, v in parts.items()}
    parts["total"] = sum(parts.values())
    return parts
