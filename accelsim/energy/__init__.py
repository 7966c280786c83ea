"""Energy model: per-event energies from a cited table, scaled to the architecture, times event counts."""

from accelsim.energy.model import (BREAKDOWN_KEYS, EVENT_GROUPS, PRICED_EVENTS, UNPRICED_EVENTS,
                                   energy_breakdown_pj, per_event_energies_pj)
from accelsim.energy.table import (EnergyTable, bundled_table_names, energy_table_from_dict,
                                   load_energy_table)

__all__ = ["energy_breakdown_pj", "per_event_energies_pj", "load_energy_table", "EnergyTable",
           "energy_table_from_dict", "bundled_table_names", "PRICED_EVENTS", "UNPRICED_EVENTS",
           "EVENT_GROUPS", "BREAKDOWN_KEYS"]
