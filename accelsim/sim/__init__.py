"""Cycle-approximate simulation of sparse PE arrays: fold schedule, sparse timing, memory, results."""

from accelsim.sim.result import LayerResult, SimResult, SimTotal
from accelsim.sim.simulate import simulate

__all__ = ["simulate", "SimResult", "LayerResult", "SimTotal"]
