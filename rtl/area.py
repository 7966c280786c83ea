"""Silicon area estimate of the generated RTL: Yosys gate counts x 45 nm standard-cell areas.

Method. The top is synthesized by :func:`accelsim.rtl.synth_stats.gate_level_stats`
(``target="generic"``: Yosys ``synth`` + ABC to Yosys' internal gate cells).
Each gate cell is given the area of the NanGate 45 nm Open Cell Library cell
that implements it (:data:`CELL_AREA_UM2`), and the sum is also expressed in
NAND2 equivalents (``area / NAND2_X1``). Flip-flops are ``DFF_X1`` plus the
gates of their enable (a ``MUX2_X1``) and synchronous reset (an ``AND2_X1``),
since that library has no such flip-flops. Memories that Yosys keeps as
``$mem_v2`` macros (the activation windows of the unstructured and block PEs)
are costed per bit as a register-file bit (:data:`MEMORY_BIT_UM2`: an enabled
flip-flop and one read multiplexer). This is a pre-layout, unplaced estimate:
no wires, clock tree, placement density or SRAM compilers; it is for
comparing architectures with one another, not for sign-off.

Source of the cell areas: NanGate FreePDK45 Open Cell Library (Nangate Inc.,
2008-2011; ``NangateOpenCellLibrary_typical.lib``), e.g. ``NAND2_X1`` =
0.798 um^2, ``INV_X1`` = 0.532 um^2, ``DFF_X1`` = 4.522 um^2.

Arrays. :func:`arch_area` synthesizes the arch's array top at
``min(rows, 4) x min(cols, 4)`` cells and scales it by the cell count of the
full array (synthesizing a 32x32 array takes many minutes). Registers at the
array's edges (input skew, output deskew) grow with ``rows**2`` and ``cols**2``
rather than with the cell count, so for a 32x32 dense WS array the scaled
estimate is about 4 % low. Memories (the OS arrays' activation windows, one
per array row) are scaled by the row count instead. An arch without an array
top gets its PE area times ``rows * cols`` PEs. Buffers (SRAM), DRAM interface and control are not
included. Results are cached on disk, keyed by a SHA-256 of the Verilog, the
scale and the cell table.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from types import MappingProxyType

from accelsim.errors import AccelsimInputError

__all__ = ["NAND2_UM2", "CELL_AREA_UM2", "MEMORY_BIT_UM2", "AREA_SOURCE", "AreaEstimate",
           "area_from_cells", "arch_area", "area_cache_dir", "SAMPLE_CELLS"]

AREA_SOURCE = ("NanGate FreePDK45 Open Cell Library, NangateOpenCellLibrary_typical.lib "
               "(NAND2_X1 = 0.798 um^2)")
NAND2_UM2 = 0.798
"""Area of NanGate 45 nm ``NAND2_X1`` (um^2): the unit of a NAND2 equivalent."""

_INV, _NAND2, _NOR2, _AND2, _OR2 = 0.532, 0.798, 0.798, 1.064, 1.064
_XOR2, _XNOR2, _MUX2, _AOI21, _OAI21, _AOI22, _OAI22 = 1.596, 1.596, 1.862, 1.064, 1.064, 1.330, 1.330
_DFF, _DFFR, _BUF = 4.522, 5.320, 0.798

CELL_AREA_UM2 = MappingProxyType({
    "$_NOT_": _INV, "$_BUF_": _BUF, "$_NAND_": _NAND2, "$_NOR_": _NOR2, "$_AND_": _AND2,
    "$_OR_": _OR2, "$_XOR_": _XOR2, "$_XNOR_": _XNOR2,
    "$_ANDNOT_": _INV + _NOR2,          # A & ~B = NOR(~A, B)
    "$_ORNOT_": _INV + _NAND2,          # A | ~B = NAND(~A, B)
    "$_MUX_": _MUX2, "$_NMUX_": _MUX2 + _INV,
    "$_AOI3_": _AOI21, "$_OAI3_": _OAI21, "$_AOI4_": _AOI22, "$_OAI4_": _OAI22,
})
"""Combinational Yosys gate cell -> area in um^2 (NanGate 45 nm cell, or the cells that build it)."""

MEMORY_BIT_UM2 = _DFF + _MUX2 + _MUX2
"""One bit of a ``$mem_v2`` memory: an enabled flip-flop (DFF_X1 + MUX2_X1) and a read MUX2_X1."""

SAMPLE_CELLS = 4
"""Arrays are synthesized at ``min(rows, 4) x min(cols, 4)`` cells and scaled."""

_TABLE_VERSION = "1"
_FF = re.compile(r"^\$_(DFF|DFFE|SDFF|SDFFE|SDFFCE|DFFSR|DFFSRE|ALDFF|ALDFFE)_([A-Z0-9]+)_$")


def _flip_flop_um2(kind: str) -> float | None:
    """Area of a Yosys flip-flop cell type, or None if ``kind`` is not one."""
    m = _FF.match(kind)
    if not m:
        return None
    name, pol = m.group(1), m.group(2)
    area = _DFF
    if name in ("DFF", "DFFE") and len(pol) >= 3:       # asynchronous reset/set: DFFR_X1
        area = _DFFR
    if name.startswith("SDFF"):                         # synchronous reset gate
        area += _AND2
    if name.endswith("E") or name == "SDFFCE":          # clock enable: hold multiplexer
        area += _MUX2
    if name.startswith("DFFSR"):
        area = _DFFR + _AND2 + (_MUX2 if name.endswith("E") else 0.0)
    return area


@dataclass(frozen=True)
class AreaEstimate:
    """Area of a design (um^2 at 45 nm and NAND2 equivalents) with its breakdown.

    Attributes
    ----------
    area_um2, nand2_equivalents : float
    logic_um2, flip_flop_um2, memory_um2 : float
        Combinational gates, flip-flops and ``$mem_v2`` memory bits.
    cells, flip_flops, memory_bits : int
        Counts of the design (scaled for an array, see ``scale``).
    top : str
        Module synthesized.
    synthesized_shape, full_shape : (rows, cols) or None
        Array cells synthesized and of the full array (None for a PE).
    scale : float
        Factor applied to the synthesized gates and flip-flops (full cells /
        synthesized cells, or PEs); memories use full rows / synthesized rows.
    source : str
        Cell-area source.
    """

    area_um2: float
    nand2_equivalents: float
    logic_um2: float
    flip_flop_um2: float
    memory_um2: float
    cells: int
    flip_flops: int
    memory_bits: int
    top: str
    synthesized_shape: tuple | None
    full_shape: tuple | None
    scale: float
    source: str = AREA_SOURCE

    @property
    def area_mm2(self) -> float:
        """Area in mm^2."""
        return self.area_um2 * 1e-6

    def as_dict(self) -> dict:
        """JSON-ready fields."""
        d = asdict(self)
        d["area_mm2"] = self.area_mm2
        for key in ("synthesized_shape", "full_shape"):
            d[key] = list(d[key]) if d[key] is not None else None
        return d


def area_from_cells(cells_by_type, memory_bits: int = 0, *, top: str = "", scale: float = 1.0,
                    synthesized_shape=None, full_shape=None, memory_scale: float | None = None) -> AreaEstimate:
    """Area of a gate-level netlist from its Yosys cell counts (``GateLevelStats.cells_by_type``).

    Gates and flip-flops are multiplied by ``scale``, memory bits by
    ``memory_scale`` (default ``scale``).

    Raises
    ------
    AccelsimInputError
        A cell type without an area (not a generic-target gate or flip-flop).
    """
    logic = ff = 0.0
    n_ff = n_cells = 0
    unknown = []
    for kind, count in cells_by_type.items():
        count = int(count)
        if kind == "$mem_v2":
            continue
        n_cells += count
        if kind in CELL_AREA_UM2:
            logic += CELL_AREA_UM2[kind] * count
            continue
        a = _flip_flop_um2(kind)
        if a is None:
            unknown.append(kind)
        else:
            ff += a * count
            n_ff += count
    if unknown:
        raise AccelsimInputError("no cell area for these Yosys cells: " + ", ".join(sorted(unknown)),
                                 hint="area needs the generic target's gate cells "
                                      "(gate_level_stats(..., target='generic'))")
    mscale = scale if memory_scale is None else memory_scale
    mem = MEMORY_BIT_UM2 * int(memory_bits)
    total = (logic + ff) * scale + mem * mscale
    return AreaEstimate(area_um2=total, nand2_equivalents=total / NAND2_UM2, logic_um2=logic * scale,
                        flip_flop_um2=ff * scale, memory_um2=mem * mscale,
                        cells=round(n_cells * scale), flip_flops=round(n_ff * scale),
                        memory_bits=round(int(memory_bits) * mscale), top=top,
                        synthesized_shape=synthesized_shape, full_shape=full_shape, scale=float(scale))


def area_cache_dir() -> Path:
    """``$ACCELSIM_CACHE/area`` or ``~/.cache/accelsim/area``."""
    base = os.environ.get("ACCELSIM_CACHE")
    return (Path(base) if base else Path.home() / ".cache" / "accelsim") / "area"


def _design(arch):
    """(top, synthesized shape, full shape, scale) for :func:`arch_area`."""
    from accelsim.rtl.export import default_array_shape, tops_for_arch

    full = default_array_shape(arch)
    sample = (min(full[0], SAMPLE_CELLS), min(full[1], SAMPLE_CELLS))
    tops = tops_for_arch(arch, sample)
    array = next((t for t in tops if t.kind == "array"), None)
    if array is not None:
        return array, sample, full, (full[0] * full[1]) / (sample[0] * sample[1]), full[0] / sample[0]
    pe = next(t for t in tops if t.kind == "pe")
    n = float(arch.array.rows * arch.array.cols)
    return pe, None, None, n, n


def arch_area(arch, *, cache: bool = True, timeout_s: float = 1800.0) -> AreaEstimate:
    """Area of ``arch``'s PE array (see the module docstring for the method and its limits).

    Parameters
    ----------
    arch : ArchSpec
    cache : bool
        Read/write the on-disk cache (:func:`area_cache_dir`).
    timeout_s : float
        Limit of the Yosys run.

    Returns
    -------
    AreaEstimate
    """
    from accelsim.fileio import atomic_write_json
    from accelsim.rtl.export import verilog_source
    from accelsim.rtl.synth_stats import gate_level_stats

    top, sample, full, scale, mscale = _design(arch)
    text = verilog_source(top)
    key = hashlib.sha256("\0".join([text, top.name, repr((scale, mscale)), _TABLE_VERSION,
                                    json.dumps(dict(CELL_AREA_UM2), sort_keys=True)]).encode()).hexdigest()
    path = area_cache_dir() / f"{key[:32]}.json"
    if cache and path.is_file():
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
            return area_from_cells(d["cells_by_type"], d["memory_bits"], top=top.name, scale=scale,
                                   synthesized_shape=sample, full_shape=full, memory_scale=mscale)
        except (ValueError, KeyError, TypeError):
            pass                      # a damaged entry is recomputed
    stats = gate_level_stats(text, top.name, "generic", timeout_s=timeout_s)
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(path, {"top": top.name, "cells_by_type": dict(stats.cells_by_type),
                                 "memory_bits": stats.memory_bits, "yosys": stats.yosys})
    return area_from_cells(stats.cells_by_type, stats.memory_bits, top=top.name, scale=scale,
                           synthesized_shape=sample, full_shape=full, memory_scale=mscale)
