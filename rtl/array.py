"""Weight-stationary array top (kept for existing imports; the arrays live in :mod:`accelsim.rtl.arrays`).

``WSArray(cfg, rows, cols)`` is :class:`accelsim.rtl.arrays.SystolicArray` with
``dataflow="ws"``; its latency is ``rows + cols`` cycles (see
:mod:`accelsim.rtl.arrays.systolic` for the ports).
"""

from __future__ import annotations

from accelsim.sim.pe_model import PEConfig, array_latency_cycles
from accelsim.rtl.arrays.systolic import SystolicArray, systolic_signature_members

__all__ = ["WSArray", "array_signature_members", "array_latency_cycles"]


def array_signature_members(cfg: PEConfig, rows: int, cols: int) -> dict:
    """Signature members of the ``rows x cols`` WS array for ``cfg``."""
    return systolic_signature_members(cfg, rows, cols, "ws")


class WSArray(SystolicArray):
    """Weight-stationary ``rows x cols`` systolic array (:class:`SystolicArray`, ``dataflow="ws"``)."""

    def __init__(self, cfg: PEConfig, rows: int, cols: int):
        super().__init__(cfg, rows, cols, "ws")
