"""PE array tops for every dataflow, and the one entry point that builds them.

========== ============================ =============================================
dataflow   component                    Python model (``accelsim.sim.array_model``)
========== ============================ =============================================
ws         :class:`SystolicArray` (WS)  :class:`SystolicArrayModel` (``dataflow="ws"``)
is         :class:`SystolicArray` (IS)  :class:`SystolicArrayModel` (``dataflow="is"``)
os         :class:`OSArray`             :class:`OSArrayModel`
========== ============================ =============================================

Entry points: :func:`make_array` (component) and :func:`make_array_model`
(model) for a :class:`~accelsim.sim.pe_model.PEConfig`, a dataflow and a shape;
:func:`array_for_arch` / :func:`model_for_arch` for an
:class:`~accelsim.spec.ArchSpec` (its own dataflow, default shape
:func:`accelsim.rtl.export.default_array_shape`). :func:`array_support` says
which sparse mode has a top for which dataflow, with the reason where not
(``docs/rtl.md``, "Array tops").
"""

from __future__ import annotations

from accelsim.sim.array_model import (ARRAY_DATAFLOWS, array_support, check_array,
                                      make_array_model)
from accelsim.sim.pe_model import PEConfig
from accelsim.rtl.arrays.output_stationary import OSArray, os_signature_members
from accelsim.rtl.arrays.systolic import SystolicArray, systolic_signature_members

__all__ = ["ARRAY_DATAFLOWS", "array_support", "check_array", "make_array", "make_array_model",
           "array_signature_members", "array_for_arch", "model_for_arch", "SystolicArray",
           "OSArray", "stream_port_names"]


def array_signature_members(cfg: PEConfig, dataflow: str, rows: int, cols: int) -> dict:
    """Signature members (name -> In/Out) of the ``dataflow`` array top."""
    if dataflow == "os":
        return os_signature_members(cfg, rows, cols)
    return systolic_signature_members(cfg, rows, cols, dataflow)


def make_array(cfg: PEConfig, dataflow: str, rows: int, cols: int):
    """A fresh Amaranth component of the ``rows x cols`` ``dataflow`` array for ``cfg``."""
    check_array(cfg, dataflow, rows, cols)
    if dataflow == "os":
        return OSArray(cfg, rows, cols)
    return SystolicArray(cfg, rows, cols, dataflow)


def _shape(arch, rows, cols):
    if rows is None or cols is None:
        from accelsim.rtl.export import default_array_shape
        r, c = default_array_shape(arch)
        rows, cols = rows or r, cols or c
    return rows, cols


def array_for_arch(arch, rows: int | None = None, cols: int | None = None):
    """The array component of an architecture (its dataflow and sparse mode)."""
    rows, cols = _shape(arch, rows, cols)
    return make_array(PEConfig.from_arch(arch), arch.dataflow, rows, cols)


def model_for_arch(arch, rows: int | None = None, cols: int | None = None):
    """The Python model of :func:`array_for_arch`'s component."""
    rows, cols = _shape(arch, rows, cols)
    return make_array_model(PEConfig.from_arch(arch), arch.dataflow, rows, cols)


def stream_port_names(dataflow: str) -> tuple[str, str, str]:
    """``(valid, ready, output data)`` port names of a dataflow's array top."""
    return {"ws": ("a_valid", "a_ready", "o_data"), "is": ("w_valid", "w_ready", "o_data"),
            "os": ("in_valid", "in_ready", "o_data")}[dataflow]
