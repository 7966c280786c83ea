"""Architecture specification: frozen, validated description of a sparse PE array."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["ArraySpec", "PrecisionSpec", "SparseSupport", "BufferSpec", "ArchSpec",
           "DATAFLOWS", "SPARSE_KINDS", "ACTIVATION_SPARSITY_MODES", "MappingSpec", "MAPPING_MODES",
           "MAPPING_OBJECTIVES"]

DATAFLOWS = ("ws", "os", "is")
SPARSE_KINDS = ("dense", "nm", "unstructured", "block")
ACTIVATION_SPARSITY_MODES = ("none", "gate", "skip")


@dataclass(frozen=True)
class ArraySpec:
    """PE array geometry: ``rows`` x ``cols`` processing elements."""

    rows: int
    cols: int

    @property
    def num_pes(self) -> int:
        """Number of processing elements."""
        return self.rows * self.cols


@dataclass(frozen=True)
class PrecisionSpec:
    """Operand and accumulator widths in bits (two's complement)."""

    weight_bits: int = 8
    activation_bits: int = 8
    accumulator_bits: int = 32


@dataclass(frozen=True)
class SparseSupport:
    """What sparsity the PE can exploit.

    Attributes
    ----------
    kind : {"dense", "nm", "unstructured", "block"}
        ``dense``: no skipping. ``nm``: N:M structured weights, the PE muxes
        N of every M activations by a ``ceil(log2 M)``-bit index.
        ``unstructured``: value + index streams (CSR/CSC/bitmap), zero weights
        skipped. ``block``: all-zero ``block_rows x block_cols`` blocks skipped.
    n, m : int or None
        N:M parameters (``kind == "nm"``).
    index_bits : int or None
        Width of a stored index (unstructured: column/relative index; nm:
        ``ceil(log2 m)``; block: block-column index).
    block_rows, block_cols : int or None
        Block shape (``kind == "block"``).
    lanes : int
        Multipliers per PE (``n`` for N:M, 1 otherwise unless given).
    activation : {"none", "gate", "skip"}
        Handling of zero activations: ``gate`` saves energy, ``skip`` saves cycles.
    """

    kind: str = "dense"
    n: int | None = None
    m: int | None = None
    index_bits: int | None = None
    block_rows: int | None = None
    block_cols: int | None = None
    lanes: int = 1
    activation: str = "none"

    @property
    def native_format(self) -> str:
        """The weight format this PE consumes, as an :func:`accelsim.encode` string."""
        if self.kind == "nm":
            return f"nm:{self.n}:{self.m}"
        if self.kind == "unstructured":
            return "csr"
        if self.kind == "block":
            return f"bsr:{self.block_rows}x{self.block_cols}"
        return "dense"

    @property
    def formats(self) -> tuple[str, ...]:
        """Formats whose sparsity this PE exploits (``dense`` always runs)."""
        if self.kind == "unstructured":
            return ("csr", "csc", "bitmap")
        if self.kind == "dense":
            return ("dense",)
        return (self.native_format,)

    def describe(self) -> str:
        """Short human-readable summary, e.g. ``"N:M 2:4 (2-bit index)"``."""
        if self.kind == "nm":
            return f"N:M {self.n}:{self.m} ({self.index_bits}-bit index, {self.lanes} multipliers)"
        if self.kind == "unstructured":
            return f"unstructured zero-skipping ({self.index_bits}-bit index)"
        if self.kind == "block":
            return f"block skipping {self.block_rows}x{self.block_cols} ({self.index_bits}-bit block index)"
        return "dense"


@dataclass(frozen=True)
class BufferSpec:
    """On-chip SRAM buffers: sizes in KiB (SCALE-Sim's filter/ifmap/ofmap SRAMs) and input read port.

    Attributes
    ----------
    weight_kib, input_kib, output_kib : float
        Buffer sizes.
    input_read_bytes_per_cycle : float or None
        Read bandwidth of the input (activation) SRAM towards the array, in
        bytes per cycle; ``math.inf`` is unlimited. ``None`` means the
        default, :attr:`ArchSpec.default_input_read_activations_per_cycle`
        activations per cycle (resolved by :attr:`ArchSpec.input_read_bits_per_cycle`).
    """

    weight_kib: float
    input_kib: float
    output_kib: float
    input_read_bytes_per_cycle: float | None = None

    @property
    def weight_bytes(self) -> int:
        """Weight buffer size in bytes."""
        return int(self.weight_kib * 1024)

    @property
    def input_bytes(self) -> int:
        """Input (ifmap) buffer size in bytes."""
        return int(self.input_kib * 1024)

    @property
    def output_bytes(self) -> int:
        """Output (ofmap) buffer size in bytes."""
        return int(self.output_kib * 1024)


#: Mapping modes: ``auto`` (the mapper picks tiles and loop order per layer) or ``scalesim``.
MAPPING_MODES = ("auto", "scalesim")
#: What the mapper minimises per layer.
MAPPING_OBJECTIVES = ("latency", "energy", "edp")


@dataclass(frozen=True)
class MappingSpec:
    """How layers are mapped onto the buffers and the array.

    Attributes
    ----------
    mode : {"auto", "scalesim"}
        ``auto``: :func:`accelsim.sim.mapping.map_layer` chooses tile sizes,
        tile loop order and double buffering per layer. ``scalesim``:
        SCALE-Sim's fixed order (column folds outer, every pixel streamed
        through every fold), for exact validation.
    objective : {"latency", "energy", "edp"}
        What ``auto`` minimises (ignored by ``scalesim``).
    """

    mode: str = "auto"
    objective: str = "edp"

    def describe(self) -> str:
        """``auto (edp)`` or ``scalesim``."""
        return f"auto ({self.objective})" if self.mode == "auto" else self.mode


@dataclass(frozen=True)
class ArchSpec:
    """A complete, validated architecture. Build it with :func:`accelsim.load_arch`.

    Attributes
    ----------
    name : str
    array : ArraySpec
    dataflow : {"ws", "os", "is"}
        Default dataflow (weight-, output- or input-stationary).
    precision : PrecisionSpec
    sparsity : SparseSupport
    buffers : BufferSpec
    dram_bandwidth_bytes_per_cycle : float
        ``math.inf`` means unlimited (SCALE-Sim's ``CALC``).
    clock_mhz : float
    energy_table : str
        Name of a table in ``accelsim/energy/tables`` or a path to a YAML table.
    description : str
    source : str
        File the spec was read from (empty if built in code).
    mapping : MappingSpec
        Mapping mode and objective (YAML default: ``auto`` with ``edp``;
        SCALE-Sim ``.cfg`` inputs: ``scalesim``).
    """

    name: str
    array: ArraySpec
    dataflow: str
    precision: PrecisionSpec
    sparsity: SparseSupport
    buffers: BufferSpec
    dram_bandwidth_bytes_per_cycle: float
    clock_mhz: float
    energy_table: str = "horowitz45"
    description: str = ""
    source: str = ""
    mapping: MappingSpec = MappingSpec()

    @property
    def default_input_read_activations_per_cycle(self) -> float:
        """Activations per cycle the input SRAM delivers when the arch file does not say.

        One activation per array row per multiplier: ``rows * lanes``. An N:M
        PE (N array rows) selects N of M activations, so its row port carries
        M per N rows: ``rows * M / N``. This is what the dense (or N:M) array
        consumes at full rate, so only zero-skipping beyond it is capped.
        """
        sp = self.sparsity
        if sp.kind == "nm":
            return self.array.rows * sp.m / sp.n
        return float(self.array.rows * sp.lanes)

    @property
    def input_read_bits_per_cycle(self) -> float:
        """Input SRAM read bandwidth in bits per cycle (``math.inf`` if unlimited)."""
        given = self.buffers.input_read_bytes_per_cycle
        if given is None:
            return self.default_input_read_activations_per_cycle * self.precision.activation_bits
        return float(given) * 8.0

    @property
    def input_read_activations_per_cycle(self) -> float:
        """Input SRAM read bandwidth in activations per cycle (``math.inf`` if unlimited)."""
        return self.input_read_bits_per_cycle / self.precision.activation_bits

    def _input_read_text(self) -> str:
        bits = self.input_read_bits_per_cycle
        if math.isinf(bits):
            return "unlimited"
        text = (f"{bits / 8:g} B/cycle from the input SRAM "
                f"({self.input_read_activations_per_cycle:g} activations/cycle")
        if self.buffers.input_read_bytes_per_cycle is None:
            per = ("M/N per array row" if self.sparsity.kind == "nm"
                   else "one per array row" + (" per lane" if self.sparsity.lanes > 1 else ""))
            text += f"; default: {per}"
        return text + ")"

    @property
    def unlimited_bandwidth(self) -> bool:
        """True if DRAM bandwidth is unlimited."""
        return math.isinf(self.dram_bandwidth_bytes_per_cycle)

    def summary(self) -> str:
        """Multi-line summary for the CLI."""
        bw = ("unlimited" if self.unlimited_bandwidth
              else f"{self.dram_bandwidth_bytes_per_cycle:g} B/cycle")
        p = self.precision
        b = self.buffers
        lines = [
            f"architecture  {self.name}" + (f"  ({self.source})" if self.source else ""),
            f"PE array      {self.array.rows} x {self.array.cols} = {self.array.num_pes} PEs",
            f"dataflow      {self.dataflow.upper()}",
            f"precision     weights {p.weight_bits} b, activations {p.activation_bits} b, "
            f"accumulators {p.accumulator_bits} b",
            f"sparse PE     {self.sparsity.describe()}; activation sparsity: {self.sparsity.activation}",
            f"native format {self.sparsity.native_format}",
            f"buffers       weights {b.weight_kib:g} KiB, inputs {b.input_kib:g} KiB, "
            f"outputs {b.output_kib:g} KiB",
            f"input reads   {self._input_read_text()}",
            f"DRAM          {bw}",
            f"clock         {self.clock_mhz:g} MHz",
            f"energy table  {self.energy_table}",
            f"mapping       {self.mapping.describe()}",
        ]
        if self.description:
            lines.insert(1, f"description   {self.description}")
        return "\n".join(lines)
