"""Immutable simulation results: one :class:`LayerResult` per layer and a :class:`SimResult` total."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from types import MappingProxyType

__all__ = ["LayerResult", "SimTotal", "SimResult", "LEVELS"]

#: Memory levels whose traffic is reported in :attr:`LayerResult.bytes`.
LEVELS = ("dram", "weight_sram", "input_sram", "output_sram")


def _frozen(mapping) -> MappingProxyType:
    return MappingProxyType(dict(mapping))


def _plain(value):
    """Read-only mappings back to dicts (for pickling)."""
    if isinstance(value, MappingProxyType):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _reduce(obj):
    """Pickle support: rebuild from plain field values (``__post_init__`` freezes them again)."""
    return obj.__class__, tuple(_plain(getattr(obj, f.name)) for f in fields(obj))


@dataclass(frozen=True)
class LayerResult:
    """Timing, traffic, events and energy of one layer.

    Attributes
    ----------
    name : str
    format : str
        The weight format requested for the layer (canonical string).
    exploited : bool
        True if the layer ran in ``format``; False if it ran as dense because
        the PE cannot exploit the format or the layer has no weights.
    dataflow : {"ws", "os", "is"}
    cycles : int
        ``compute_cycles + stall_cycles``.
    compute_cycles : int
        Fold schedule cycles (SCALE-Sim's "Total Cycles" for a dense layer).
    stall_cycles : int
        DRAM bandwidth stalls (0 with unlimited bandwidth).
    utilization : float
        ``macs_effectual / (multipliers * cycles)``.
    macs_dense, macs_effectual : int
        Dense MACs; MACs with a nonzero weight (times the activation density
        when one is known).
    bytes : mapping
        ``{level: {"values": int, "metadata": int, "total": int}}`` for the
        levels :data:`LEVELS`: bytes read plus written at that level.
    events : mapping
        Event counts of the ``sim_contract`` (str -> int).
    energy_pj : mapping
        Energy breakdown in pJ with key ``total``.
    latency_s : float
        ``cycles / (clock_mhz * 1e6)``.
    folds : int
        Folds executed.
    dram_reads : mapping
        Times the weights / inputs are read from DRAM (1 = once) and rounds of
        partial-sum spills.
    activation_density : float
        Activation density used (1.0 when activation sparsity is not modelled).
    notes : tuple of str
    mapping : accelsim.sim.mapping.Mapping or None
        The mapping the layer ran with (tiles, loop order, DRAM bits per operand).
    compulsory_dram_bytes : int
        Every weight (encoded) and input read once and every output written
        once: the least DRAM traffic any mapping can have.
    limiter : {"compute", "dram_bandwidth", "sram_bandwidth", "load_imbalance"}
        What limits the layer (:mod:`accelsim.sim.limiter`).
    cycle_breakdown : mapping
        ``cycles`` split into the four :data:`~accelsim.sim.limiter.LIMITERS`
        parts: balanced compute, DRAM stalls, activation-supply (input SRAM
        read) cycles and load-imbalance cycles; they sum to ``cycles``.
    """

    name: str
    format: str
    exploited: bool
    dataflow: str
    cycles: int
    compute_cycles: int
    stall_cycles: int
    utilization: float
    macs_dense: int
    macs_effectual: int
    bytes: MappingProxyType
    events: MappingProxyType
    energy_pj: MappingProxyType
    latency_s: float
    folds: int
    dram_reads: MappingProxyType
    activation_density: float = 1.0
    notes: tuple = ()
    mapping: object = None
    compulsory_dram_bytes: int = 0

    @property
    def compulsory_ratio(self) -> float:
        """DRAM bytes over :attr:`compulsory_dram_bytes` (1.0 = every operand moved once)."""
        if not self.compulsory_dram_bytes:
            return 1.0
        return self.bytes["dram"]["total"] / self.compulsory_dram_bytes
    limiter: str = "compute"
    cycle_breakdown: MappingProxyType = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "bytes", _frozen({k: _frozen(v) for k, v in self.bytes.items()}))
        for name in ("events", "energy_pj", "dram_reads", "cycle_breakdown"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        object.__setattr__(self, "notes", tuple(self.notes))

    __reduce__ = _reduce

    def to_dict(self) -> dict:
        """Plain JSON-ready dictionary."""
        return {
            "name": self.name, "format": self.format, "exploited": self.exploited,
            "dataflow": self.dataflow, "cycles": self.cycles, "compute_cycles": self.compute_cycles,
            "stall_cycles": self.stall_cycles, "utilization": self.utilization,
            "macs_dense": self.macs_dense, "macs_effectual": self.macs_effectual,
            "bytes": {k: dict(v) for k, v in self.bytes.items()}, "events": dict(self.events),
            "energy_pj": dict(self.energy_pj), "latency_s": self.latency_s, "folds": self.folds,
            "dram_reads": dict(self.dram_reads), "activation_density": self.activation_density,
            "mapping": self.mapping.to_dict() if self.mapping is not None else None,
            "compulsory_dram_bytes": self.compulsory_dram_bytes,
            "compulsory_ratio": self.compulsory_ratio,
            "notes": list(self.notes), "limiter": self.limiter,
            "cycle_breakdown": dict(self.cycle_breakdown),
        }


@dataclass(frozen=True)
class SimTotal:
    """Whole-workload totals.

    Attributes
    ----------
    cycles, compute_cycles, stall_cycles : int
        Sums over layers (layers run back to back).
    energy_pj : float
        Total energy.
    energy_breakdown_pj : mapping
        Per-component sums of the layers' breakdowns.
    macs : int
        Effectual MACs (same as ``macs_effectual``).
    macs_dense, macs_effectual : int
    latency_s : float
    utilization : float
        ``macs_effectual / (multipliers * cycles)``.
    bytes : mapping
        Per-level sums, like :attr:`LayerResult.bytes`.
    events : mapping
        Summed event counts.
    """

    cycles: int
    compute_cycles: int
    stall_cycles: int
    energy_pj: float
    energy_breakdown_pj: MappingProxyType
    macs: int
    macs_dense: int
    macs_effectual: int
    latency_s: float
    utilization: float
    bytes: MappingProxyType
    events: MappingProxyType

    def __post_init__(self) -> None:
        object.__setattr__(self, "bytes", _frozen({k: _frozen(v) for k, v in self.bytes.items()}))
        object.__setattr__(self, "events", _frozen(self.events))
        object.__setattr__(self, "energy_breakdown_pj", _frozen(self.energy_breakdown_pj))

    __reduce__ = _reduce

    def to_dict(self) -> dict:
        """Plain JSON-ready dictionary."""
        return {
            "cycles": self.cycles, "compute_cycles": self.compute_cycles,
            "stall_cycles": self.stall_cycles, "energy_pj": self.energy_pj,
            "energy_breakdown_pj": dict(self.energy_breakdown_pj), "macs": self.macs,
            "macs_dense": self.macs_dense, "macs_effectual": self.macs_effectual,
            "latency_s": self.latency_s, "utilization": self.utilization,
            "bytes": {k: dict(v) for k, v in self.bytes.items()}, "events": dict(self.events),
        }


@dataclass(frozen=True)
class SimResult:
    """Result of :func:`accelsim.sim.simulate`.

    Attributes
    ----------
    layers : tuple of LayerResult
    total : SimTotal
    arch : accelsim.spec.ArchSpec
    dataflow : {"ws", "os", "is"}
    format : str
        Requested weight format (canonical string).
    prune : str or None
        Pruning scheme applied before simulating.
    activation_sparsity : str or None
    workload : str
        Workload (or layer) name.
    notes : tuple of str
    mapping : str
        The mapping mode (``"auto (edp)"``, ``"scalesim"``).
    """

    layers: tuple
    total: SimTotal
    arch: object
    dataflow: str
    format: str
    prune: str | None
    activation_sparsity: str | None = None
    workload: str = ""
    notes: tuple = ()
    mapping: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "notes", tuple(self.notes))

    def __getitem__(self, name: str) -> LayerResult:
        """The result of the layer called ``name``."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def to_dict(self) -> dict:
        """Plain JSON-ready dictionary (``layers[]``, ``total`` and the run's settings)."""
        return {
            "workload": self.workload, "arch": self.arch.name, "dataflow": self.dataflow,
            "format": self.format, "prune": self.prune,
            "activation_sparsity": self.activation_sparsity,
            "clock_mhz": self.arch.clock_mhz,
            "layers": [layer.to_dict() for layer in self.layers],
            "total": self.total.to_dict(), "notes": list(self.notes), "mapping": self.mapping,
            "compulsory_dram_bytes": sum(layer.compulsory_dram_bytes for layer in self.layers),
        }
