"""Provenance of a report: accelsim version, command, seed, content hashes of inputs, arch parameters.

Everything here is deterministic (no clock, no host name), so the same inputs
give byte-identical reports. Bundled files are named ``bundled:<path>``
relative to the bundled data folder, so the text does not depend on where
accelsim is installed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Provenance", "build_provenance", "workload_sha256", "file_sha256", "display_path",
           "arch_parameters", "ARCH_PARAMETER_ROWS", "describe_mapping"]


@dataclass(frozen=True)
class Provenance:
    """Where a comparison came from.

    Attributes
    ----------
    accelsim_version : str
    command : str
        The command line (normalised: every option spelled out) or the API call.
    seed : int
    mapping : str or None
        The mapping option given to the simulator (None: each arch's own).
    inputs : tuple of dict
        ``{"kind", "name", "source", "sha256"}`` per input: the workload's
        content (layer shapes and the weights simulated), the workload file,
        each arch file and each energy table.
    generated_at : str or None
        A timestamp, only when one was asked for.
    """

    accelsim_version: str
    command: str
    seed: int
    mapping: str | None
    inputs: tuple
    generated_at: str | None = None

    def to_dict(self) -> dict:
        """Plain JSON-ready dictionary."""
        out = {"accelsim_version": self.accelsim_version, "command": self.command, "seed": self.seed,
               "mapping": self.mapping, "inputs": [dict(i) for i in self.inputs]}
        if self.generated_at is not None:
            out["generated_at"] = self.generated_at
        return out


def file_sha256(path) -> str:
    """SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def workload_sha256(workload) -> str:
    """SHA-256 of what is simulated: every layer's shape, conv parameters, density and weight bytes."""
    digest = hashlib.sha256()
    header = {"name": workload.name, "layers": []}
    for layer in workload.layers:
        header["layers"].append({
            "name": layer.name, "kind": layer.kind, "m": int(layer.m), "k": int(layer.k), "n": int(layer.n),
            "groups": int(layer.groups), "input_density": layer.input_density,
            "conv": dataclasses.asdict(layer.conv) if layer.conv is not None else None,
            "weight": None if layer.weight is None else [str(np.asarray(layer.weight).dtype),
                                                         list(np.shape(layer.weight))]})
    digest.update(json.dumps(header, sort_keys=True).encode("utf-8"))
    for layer in workload.layers:
        if layer.weight is not None:
            digest.update(np.ascontiguousarray(layer.weight).tobytes())
    return digest.hexdigest()


def _bundled_roots():
    from accelsim.bundled_data import bundled_dir
    from accelsim.energy.table import bundled_table_dir

    return ((bundled_table_dir().resolve(), "energy/tables"), (bundled_dir().resolve(), ""))


def display_path(path) -> str:
    """``bundled:<relative path>`` for bundled files, else the path as given."""
    p = Path(path)
    try:
        resolved = p.resolve()
    except OSError:
        return str(path)
    for root, prefix in _bundled_roots():
        if resolved.is_relative_to(root):
            rel = resolved.relative_to(root).as_posix()
            return "bundled:" + (f"{prefix}/{rel}" if prefix else rel)
    return str(path)


def _workload_file(workload) -> Path | None:
    source = workload.source or ""
    if source.startswith("bundled:"):
        from accelsim.bundled_data import bundled_dir

        candidate = bundled_dir() / f"{source.split(':', 1)[1]}.yaml"
        return candidate if candidate.is_file() else None
    p = Path(source)
    return p if source and p.is_file() else None


def _arch_spec_sha256(arch) -> str:
    data = dataclasses.asdict(arch)
    data.pop("source", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _input_rows(workload, archs) -> list[dict]:
    from accelsim.energy.table import load_energy_table

    rows = [{"kind": "workload content", "name": workload.name, "source": "layer shapes and weights simulated",
             "sha256": workload_sha256(workload)}]
    wfile = _workload_file(workload)
    if wfile is not None:
        rows.append({"kind": "workload file", "name": workload.name, "source": display_path(wfile),
                     "sha256": file_sha256(wfile)})
    tables = {}
    for arch in archs:
        if arch.source and Path(arch.source).is_file():
            rows.append({"kind": "arch file", "name": arch.name, "source": display_path(arch.source),
                         "sha256": file_sha256(arch.source)})
        else:
            rows.append({"kind": "arch (built in code)", "name": arch.name, "source": "ArchSpec fields",
                         "sha256": _arch_spec_sha256(arch)})
        tables.setdefault(arch.energy_table, load_energy_table(arch.energy_table))
    for name, table in tables.items():
        if table.path and Path(table.path).is_file():
            rows.append({"kind": "energy table", "name": table.name, "source": display_path(table.path),
                         "sha256": file_sha256(table.path)})
        else:
            rows.append({"kind": "energy table", "name": table.name, "source": str(name), "sha256": ""})
    return rows


def build_provenance(workload, archs, *, command: str, seed: int, mapping=None, generated_at=None) -> Provenance:
    """Collect the provenance of a comparison of ``workload`` on ``archs``."""
    from accelsim import __version__

    return Provenance(accelsim_version=__version__, command=command, seed=int(seed), mapping=mapping,
                      inputs=tuple(_input_rows(workload, archs)), generated_at=generated_at)


def describe_mapping(arch, override=None) -> str:
    """How layers are mapped: the compare's ``mapping`` option, the arch's ``mapping``, or the fixed order."""
    if override is not None:
        return f"{override} (given to compare)"
    mapping = getattr(arch, "mapping", None)
    if mapping is None:
        return "SCALE-Sim loop order (fixed)"
    if hasattr(mapping, "to_dict"):
        fields = mapping.to_dict()
    elif dataclasses.is_dataclass(mapping):
        fields = dataclasses.asdict(mapping)
    else:
        return str(mapping)
    return ", ".join(f"{k} {v}" for k, v in fields.items() if v is not None)


#: (key, row label) of the side-by-side architecture table, in order.
ARCH_PARAMETER_ROWS = (
    ("description", "description"),
    ("pe_array", "PE array"),
    ("multipliers_per_pe", "multipliers per PE"),
    ("dataflow", "own dataflow"),
    ("dataflows_run", "dataflows compared"),
    ("precision", "precision"),
    ("pe_sparsity", "PE sparsity"),
    ("activation_sparsity", "zero activations"),
    ("native_format", "native format"),
    ("weight_buffer_kib", "weight buffer (KiB)"),
    ("input_buffer_kib", "input buffer (KiB)"),
    ("output_buffer_kib", "output buffer (KiB)"),
    ("dram_bandwidth_bytes_per_cycle", "DRAM bandwidth (B/cycle)"),
    ("dram_bandwidth_gb_per_s", "DRAM bandwidth (GB/s)"),
    ("clock_mhz", "clock (MHz)"),
    ("energy_table", "energy table"),
    ("area_mm2", "PE array area, 45 nm (mm^2)"),
    ("area_nand2_equivalents", "PE array area (NAND2 equivalents)"),
    ("area_source", "area: cell library"),
    ("mapping", "mapping"),
    ("source", "file"),
)


def arch_parameters(arch, dataflows_run=(), mapping_override=None) -> dict:
    """The parameters of ``arch`` the report shows side by side (JSON-ready; unlimited bandwidth is None)."""
    unlimited = math.isinf(arch.dram_bandwidth_bytes_per_cycle)
    bw = None if unlimited else float(arch.dram_bandwidth_bytes_per_cycle)
    p = arch.precision
    return {
        "name": arch.name, "description": arch.description,
        "pe_array": f"{arch.array.rows} x {arch.array.cols} = {arch.array.num_pes} PEs",
        "rows": arch.array.rows, "cols": arch.array.cols,
        "multipliers_per_pe": int(arch.sparsity.lanes),
        "dataflow": arch.dataflow.upper(),
        "dataflows_run": ", ".join(d.upper() for d in dataflows_run),
        "precision": (f"weights {p.weight_bits} bit, activations {p.activation_bits} bit, "
                      f"accumulators {p.accumulator_bits} bit"),
        "pe_sparsity": arch.sparsity.describe(),
        "activation_sparsity": arch.sparsity.activation,
        "native_format": arch.sparsity.native_format,
        "weight_buffer_kib": float(arch.buffers.weight_kib),
        "input_buffer_kib": float(arch.buffers.input_kib),
        "output_buffer_kib": float(arch.buffers.output_kib),
        "dram_bandwidth_bytes_per_cycle": bw,
        "dram_bandwidth_gb_per_s": None if unlimited else bw * arch.clock_mhz * 1e6 / 1e9,
        "clock_mhz": float(arch.clock_mhz),
        "energy_table": arch.energy_table,
        "mapping": describe_mapping(arch, mapping_override),
        "source": display_path(arch.source) if arch.source else "(built in code)",
    }
