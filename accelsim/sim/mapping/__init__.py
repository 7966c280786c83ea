"""Per-layer mappings (tile sizes, tile loop order, double buffering), their cost model and the mapper.

``mapping_problem`` condenses a scheduled layer, ``candidates`` lists the
mapping space, ``evaluate`` costs every candidate at once and ``map_layer``
picks the best for an objective. See ``docs/simulator.md`` ("Mapping").
"""

from accelsim.sim.mapping.apply import chosen_traffic
from accelsim.sim.mapping.cost import OPERANDS, CandidateCosts, evaluate
from accelsim.sim.mapping.problem import MappingProblem, fold_base_cycles, mapping_problem
from accelsim.sim.mapping.search import Mapping, map_layer, objective_values, scalesim_mapping
from accelsim.sim.mapping.space import DIMS, ORDERS, ROLES, Candidates, candidates, tile_options

__all__ = ["Mapping", "MappingProblem", "mapping_problem", "map_layer", "scalesim_mapping",
           "evaluate", "CandidateCosts", "candidates", "Candidates", "tile_options",
           "objective_values", "chosen_traffic", "fold_base_cycles", "DIMS", "ORDERS", "ROLES",
           "OPERANDS"]
